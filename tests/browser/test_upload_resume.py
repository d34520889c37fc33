"""An upload interrupted mid-way resumes after a reload; private files stay hidden."""

import hashlib
import random

import pytest
from playwright.sync_api import expect

from releases.models import ReleaseFile, Upload
from tests.browser.test_upload_flow import log_in, release_page
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_interrupted_upload_resumes_from_the_last_stored_chunk(
    hub_server, seeded, celery_worker_process, shared_storage, page, tmp_path
):
    data = random.Random(5).randbytes(6 * 64 * 1024)  # six chunks
    path = tmp_path / "big.bin"
    path.write_bytes(data)
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
    from releases.uploads import file_add_content

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
