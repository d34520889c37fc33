"""An upload interrupted mid-way resumes after a reload; private files stay hidden."""

import hashlib
import random

import pytest
from playwright.sync_api import expect

from releases.models import ReleaseFile, Upload
from tests.browser.helpers import random_file
from tests.browser.test_upload_flow import log_in, release_page
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_interrupted_upload_resumes_from_the_last_stored_chunk(
    hub_server, seeded, celery_worker_process, shared_storage, page, tmp_path
):
    path, data = random_file(tmp_path, "big.bin", 6 * 64 * 1024, seed=5)  # six chunks
    _owner, release = release_page(hub_server, page)

    # The connection drops when the fourth chunk is sent.
    page.route("**/chunks/3", lambda route: route.abort())
    page.locator("#uploader input[type=file][data-picker]").first.set_input_files(path)
    expect(page.locator(".upload-status")).to_contain_text("retrying", timeout=30_000)
    upload = Upload.objects.get()
    assert upload.chunks_received == 3 and upload.status == "receiving"
    assert not ReleaseFile.objects.exists()

    # The user reloads the page and drops the same file again: it continues, not restarts.
    page.unroute("**/chunks/3")
    page.reload()
    page.locator("#uploader input[type=file][data-picker]").first.set_input_files(path)
    status = page.locator(".upload-status")
    expect(status).to_have_text("Uploaded and verified", timeout=60_000)
    upload.refresh_from_db()
    assert upload.status == "done" and Upload.objects.count() == 1
    rf = ReleaseFile.objects.select_related("blob").get(release=release)
    assert rf.blob.sha256 == hashlib.sha256(data).hexdigest()


def test_a_stranger_cannot_see_a_private_file(hub_server, seeded, shared_storage, page):
    from releases.services.files import file_add_content

    owner = UserFactory(username="petra")
    repo = RepositoryFactory(owner=owner, name="private-weights", visibility="private")
    rf = file_add_content(
        release=repo.latest_release, path="w.onnx", data=b"private bytes", user=owner
    )
    stranger = UserFactory(username="sam")
    log_in(page, hub_server, stranger, "/")
    for url in (
        "/petra/private-weights/releases/v1.00/files/w.onnx",
        "/petra/private-weights/resolve/v1.00/w.onnx",
        f"/blobs/{rf.blob.blob_id}",
    ):
        response = page.goto(hub_server + url)
        assert response.status == 404, url
        expect(page.locator("body")).not_to_contain_text("private bytes")


def test_a_folder_keeps_its_paths_and_a_duplicate_inside_is_skipped(
    hub_server, seeded, celery_worker_process, shared_storage, page, tmp_path
):
    from releases.services.files import file_add_content

    folder = tmp_path / "model"
    (folder / "weights").mkdir(parents=True)
    files = {
        "model/config.json": b'{"layers": 4}',
        "model/weights/part-1.bin": random.Random(1).randbytes(100 * 1024),
        "model/weights/part-2.bin": random.Random(2).randbytes(90 * 1024),
    }
    for rel, data in files.items():
        (tmp_path / rel).write_bytes(data)
    owner, release = release_page(hub_server, page)
    file_add_content(release=release, path="model/config.json", data=files["model/config.json"],
                     user=owner)  # fmt: skip
    page.reload()

    page.locator("#uploader input[webkitdirectory]").set_input_files(folder)

    summary = page.locator(".upload-summary")
    expect(summary).to_contain_text(
        "Uploaded 2 · linked 0 · already present 1 · conflicts 0 · failed 0", timeout=60_000
    )
    config_row = page.locator(".upload-row").filter(has_text="model/config.json")
    expect(config_row.locator(".upload-status")).to_have_text(
        "Already in this release: nothing to do"
    )
    # The release page, refreshed in place, shows the dropped folder; the files are inside.
    folder_row = page.locator(".files-table tbody tr").filter(has_text="model/")
    expect(folder_row).to_contain_text("3 files")
    for rel, data in files.items():
        rf = ReleaseFile.objects.select_related("blob").get(release=release, path=rel)
        assert rf.blob.sha256 == hashlib.sha256(data).hexdigest()
        folder, _, name = rel.rpartition("/")
        page.goto(f"{hub_server}{release.get_absolute_url()}tree/{folder}")
        row = page.locator(".files-table tbody tr").filter(has_text=name)
        expect(row.locator(".blob-id")).to_have_attribute("title", rf.blob.blob_id)


def test_cancel_stops_an_upload_and_adds_nothing(
    hub_server, seeded, celery_worker_process, shared_storage, page, tmp_path
):
    path = tmp_path / "slow.bin"
    path.write_bytes(random.Random(9).randbytes(4 * 64 * 1024))
    release_page(hub_server, page)
    page.route("**/chunks/1", lambda route: route.abort())  # stuck on the second chunk
    page.locator("#uploader input[type=file][data-picker]").first.set_input_files(path)
    expect(page.locator(".upload-status")).to_contain_text("retrying", timeout=30_000)

    page.get_by_role("button", name="Cancel").click()

    expect(page.locator(".upload-status")).to_have_text("Cancelled", timeout=15_000)
    expect(page.locator(".upload-summary")).to_contain_text("failed 1")
    upload = Upload.objects.get()
    assert upload.status == "failed" and upload.error == "Cancelled."
    assert not ReleaseFile.objects.exists()
