import re
from urllib.parse import quote

from playwright.sync_api import expect

from tests.factories import PASSWORD


def log_in(page, base: str, user, next_url: str) -> None:
    """Sign in through the site's log-in form and land on `next_url`."""
    page.goto(f"{base}/accounts/login/?next={quote(next_url)}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base + next_url)


def link_in(message, base: str) -> str:
    """The one link to the hub in a mail."""
    (url,) = re.findall(re.escape(base) + r"/\S+", message.body)
    return url


def job_in_state(rf, user, status: str, **fields):
    """A test-inference job of `rf` stored as a worker would have left it in `status`, with
    no task queued: the page shows it as it is."""
    from django.utils import timezone

    from inference.models import InferenceJob

    repo = rf.release.repository
    return InferenceJob.objects.create(
        file=rf,
        repository=repo,
        model_id=rf.blob.blob_id,
        file_label=f"{repo.full_name} {rf.release.version} {rf.path}",
        requested_by=user,
        inputs={"position": {"type": "float32", "shape": [1, 4], "values": [[1, 2, 3, 4]]}},
        input_sha256="0" * 64,
        backend="local",
        status=status,
        started_at=None if status == "queued" else timezone.now(),
        **fields,
    )


def random_file(folder, name: str, size: int, seed: int):
    """A file of `size` reproducible random bytes in `folder`; returns its path and bytes."""
    import random

    data = random.Random(seed).randbytes(size)
    path = folder / name
    path.write_bytes(data)
    return path, data


def uploader_requests(page) -> list[tuple[str, dict]]:
    """The uploader's JSON requests (plan, link, upload start) as the page sends them, as
    (the last part of the URL, the body); the list fills while the test runs."""
    sent: list[tuple[str, dict]] = []

    def record(request) -> None:
        kind = request.url.rsplit("/", 1)[-1]
        if request.method == "POST" and kind in ("plan", "link", "uploads"):
            sent.append((kind, request.post_data_json))

    page.on("request", record)
    return sent
