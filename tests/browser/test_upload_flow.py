"""The release page's uploader, end to end: Chromium computes Blob IDs in its Web Workers, the
live server takes the chunks, and a real Celery worker verifies them into the release."""

import base64
import hashlib
import random
from pathlib import Path

import pytest
from playwright.sync_api import expect

from releases.models import Blob, ReleaseFile, Upload
from tests.browser.helpers import log_in, uploader_requests
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CHUNK_SIZE = 64 * 1024
VERIFIED = 60_000  # ms a browser waits for the worker to verify an upload


def content(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def upload_media(shared_storage):
    """The live server stores into the folder the session's worker reads (64 KiB chunks)."""
    return shared_storage


@pytest.fixture
def upload_worker(celery_worker_process, upload_media):
    """The session's real Celery worker, on the test database and the same media folder."""
    return celery_worker_process


def release_page(base: str, page, *, owner_name="nadia", name="eth-gas-forecast"):
    owner = UserFactory(username=owner_name)
    repo = RepositoryFactory(owner=owner, name=name)
    url = f"/{owner.username}/{repo.name}/releases/v1.00/"
    log_in(page, base, owner, url)
    return owner, repo.latest_release


def drop_file(page, name: str, data: bytes) -> None:
    """Drop one file on the drop zone, as the browser does after a drag from the desktop."""
    transfer = page.evaluate_handle(
        """([name, base64]) => {
            const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name));
            return transfer;
        }""",
        [name, base64.b64encode(data).decode()],
    )
    page.dispatch_event("#uploader .dropzone", "drop", {"dataTransfer": transfer})


def test_the_owner_uploads_two_files_in_chunks_and_sees_them_with_blob_ids(
    hub_server, seeded, upload_worker, page, tmp_path
):
    weights = content(300 * 1024 + 17, seed=1)  # 5 chunks, the last one short
    config = content(150 * 1024, seed=2)  # 3 whole chunks
    (tmp_path / "weights.bin").write_bytes(weights)
    (tmp_path / "config.json").write_bytes(config)
    _owner, release = release_page(hub_server, page)
    expect(page.locator(".files-table")).to_have_count(0)
    sent = uploader_requests(page)

    page.locator("#uploader input[type=file][data-picker]").first.set_input_files(
        [tmp_path / "weights.bin", tmp_path / "config.json"]
    )

    rows = page.locator(".upload-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".upload-path")).to_have_text("weights.bin")
    expect(rows.nth(1).locator(".upload-path")).to_have_text("config.json")
    for n in range(2):
        expect(rows.nth(n).locator(".upload-status")).to_have_text(
            "Uploaded and verified", timeout=VERIFIED
        )
    summary = page.locator(".upload-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(
        "Uploaded 2 · linked 0 · already present 0 · conflicts 0 · failed 0"
    )

    # The file list is refreshed in place: no click, no reload.
    expect(page.locator("#files-title .count")).to_have_text("2")
    files = (("weights.bin", weights), ("config.json", config))
    for path, data in files:
        blob = Blob.objects.get(sha256=sha256(data))
        row = page.locator(".files-table tbody tr").filter(has_text=path)
        expect(row.locator(".blob-id")).to_have_attribute("title", blob.blob_id)
        assert blob.size == len(data)
    assert sorted(
        ReleaseFile.objects.filter(release=release).values_list("path", "blob__sha256")
    ) == [("config.json", sha256(config)), ("weights.bin", sha256(weights))]
    assert sorted(Upload.objects.values_list("path", "status", "chunks_received")) == [
        ("config.json", "done", 3),
        ("weights.bin", "done", 5),
    ]
    # The browser declared each file by its Blob ID; the worker took the sha256 of the bytes.
    blob_ids = {path: Blob.objects.get(sha256=sha256(data)).blob_id for path, data in files}
    assert [(kind, body.get("sha256")) for kind, body in sent] == [
        ("plan", None),
        ("uploads", None),
        ("uploads", None),
    ]
    assert [(f["path"], f["blob_id"]) for f in sent[0][1]["files"]] == list(blob_ids.items())
    assert {body["path"]: body["blob_id"] for _, body in sent[1:]} == blob_ids
    assert dict(Upload.objects.values_list("path", "blob_id")) == blob_ids
    assert dict(Upload.objects.values_list("path", "sha256")) == {
        path: sha256(data) for path, data in files
    }

    # What was uploaded is what a download gives back.
    row = page.locator(".files-table tbody tr").filter(has_text="weights.bin")
    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    assert Path(download.value.path()).read_bytes() == weights


def test_dropping_a_file_the_release_already_has_uploads_nothing(
    hub_server, seeded, upload_media, page
):
    from releases.services.files import file_add_content

    weights = content(200 * 1024, seed=3)
    owner, release = release_page(hub_server, page)
    file_add_content(release=release, path="weights.bin", data=weights, user=owner)
    page.reload()
    expect(page.locator("#files-title .count")).to_have_text("1")

    drop_file(page, "weights.bin", weights)

    row = page.locator(".upload-row")
    expect(row.locator(".upload-status")).to_have_text("Already in this release: nothing to do")
    expect(page.locator(".upload-summary")).to_contain_text(
        "Uploaded 0 · linked 0 · already present 1 · conflicts 0 · failed 0"
    )
    assert not Upload.objects.exists()
    assert list(release.files.values_list("path", flat=True)) == ["weights.bin"]


def test_a_file_the_owner_can_read_elsewhere_is_linked_without_transfer(
    hub_server, seeded, upload_media, page
):
    from releases.services.files import file_add_content

    weights = content(300 * 1024, seed=6)  # two leaves: a bafybei… Blob ID
    author = UserFactory(username="tomas")
    base = RepositoryFactory(owner=author, name="base-model")
    there = file_add_content(
        release=base.latest_release, path="base.bin", data=weights, user=author
    )
    _owner, release = release_page(hub_server, page)
    sent = uploader_requests(page)

    drop_file(page, "weights.bin", weights)

    expect(page.locator(".upload-row .upload-status")).to_have_text(
        "Linked, identical to tomas/base-model v1.00 base.bin"
    )
    expect(page.locator(".upload-summary")).to_contain_text(
        "Uploaded 0 · linked 1 · already present 0 · conflicts 0 · failed 0"
    )
    expect(page.locator("#files-title .count")).to_have_text("1")
    assert not Upload.objects.exists()
    assert release.files.get(path="weights.bin").blob == there.blob
    declared = {"path": "weights.bin", "blob_id": there.blob.blob_id}
    assert sent == [
        ("plan", {"files": [{**declared, "size": len(weights)}]}),
        ("link", declared),
    ]


def test_a_file_back_at_its_deleted_path_is_declared_by_its_sha256(
    hub_server, seeded, upload_worker, page
):
    from releases.services.files import file_add_content, release_file_delete

    weights = content(300 * 1024, seed=8)
    owner, release = release_page(hub_server, page)
    removed = file_add_content(release=release, path="weights.bin", data=weights, user=owner)
    release_file_delete(release_file=removed)
    sent = uploader_requests(page)

    drop_file(page, "weights.bin", weights)

    # The path takes back only its own content, which the hub compares by sha256: a Blob ID
    # would tell whether anyone else still holds it. The browser hashes again and asks again.
    expect(page.locator(".upload-row .upload-status")).to_have_text(
        "Uploaded and verified", timeout=VERIFIED
    )
    digest, blob_id = sha256(weights), removed.blob.blob_id
    assert [(kind, body.get("files", [body])[0]) for kind, body in sent] == [
        ("plan", {"path": "weights.bin", "size": len(weights), "blob_id": blob_id}),
        ("plan", {"path": "weights.bin", "size": len(weights), "sha256": digest}),
        (
            "uploads",
            {"path": "weights.bin", "size": len(weights), "sha256": digest, "direct": True},
        ),
    ]
    assert release.files.get(path="weights.bin").blob.sha256 == digest


def test_a_file_with_new_content_at_a_taken_path_asks_for_a_new_release(
    hub_server, seeded, upload_media, page, tmp_path
):
    from releases.services.files import file_add_content

    original = content(100 * 1024, seed=4)
    retrained = content(100 * 1024, seed=5)
    (tmp_path / "weights.bin").write_bytes(retrained)
    owner, release = release_page(hub_server, page)
    file_add_content(release=release, path="weights.bin", data=original, user=owner)

    page.locator("#uploader input[type=file][data-picker]").first.set_input_files(
        tmp_path / "weights.bin"
    )

    status = page.locator(".upload-row .upload-status")
    expect(status).to_contain_text("v1.00 already has “weights.bin” with other content")
    expect(status).to_contain_text("create a new release")
    next_step = page.get_by_role("link", name="Create v1.01 and upload it there")
    expect(next_step).to_have_attribute("href", "/nadia/eth-gas-forecast/releases/new/")
    expect(page.locator(".upload-summary")).to_contain_text(
        "Uploaded 0 · linked 0 · already present 0 · conflicts 1 · failed 0"
    )
    assert not Upload.objects.exists()
    assert release.files.get(path="weights.bin").blob.sha256 == sha256(original)


@pytest.mark.parametrize("visitor", ["anonymous", "another user", "staff"])
def test_only_the_owner_sees_the_uploader(hub_server, seeded, page, visitor):
    owner = UserFactory(username="nadia")
    RepositoryFactory(owner=owner, name="eth-gas-forecast")
    url = "/nadia/eth-gas-forecast/releases/v1.00/"
    if visitor == "another user":
        log_in(page, hub_server, UserFactory(username="tomas"), url)
    elif visitor == "staff":
        log_in(page, hub_server, UserFactory(username="sam", is_staff=True), url)
    else:
        page.goto(hub_server + url)

    expect(page.locator("h2.release-version")).to_contain_text("v1.00")
    expect(page.locator(".empty-state")).to_contain_text(
        "Files uploaded into this release will be listed here"
    )
    expect(page.locator("#uploader")).to_have_count(0)
    expect(page.locator("input[type=file]")).to_have_count(0)
    expect(page.get_by_text("Drop files or folders here")).to_have_count(0)
