"""What the uploader tells and offers while files go up: the chunk in flight, Pause that keeps
the chunks, a warning before leaving mid-upload, and the unfinished uploads after a reload."""

import pytest
from playwright.sync_api import expect

from releases.models import ReleaseFile, Upload
from tests.browser.helpers import random_file
from tests.browser.test_upload_flow import release_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEAVING_IS_WARNED = """() => {
  const event = new Event("beforeunload", { cancelable: true });
  window.dispatchEvent(event);
  return event.defaultPrevented;
}"""


def test_pause_keeps_the_chunks_and_dropping_the_file_again_resumes(
    hub_server, seeded, celery_worker_process, shared_storage, page, tmp_path
):
    path, _data = random_file(tmp_path, "big.bin", 4 * 64 * 1024, seed=11)  # four chunks
    _owner, release = release_page(hub_server, page)
    held = []
    page.route("**/chunks/1", lambda route: held.append(route))  # the 2nd chunk stays in flight
    assert not page.evaluate(LEAVING_IS_WARNED)

    page.locator("#uploader input[type=file][data-picker]").first.set_input_files(path)

    status = page.locator(".upload-row .upload-status")
    expect(status).to_have_text("Uploading: chunk 2 of 4")
    # Leaving the page now makes the browser ask first (after a gesture, as browsers want).
    page.locator("h2.release-version").click()
    page.once("dialog", lambda dialog: dialog.dismiss())  # stay
    with page.expect_event("dialog") as asked:
        page.evaluate("setTimeout(() => { location.href = '/'; }, 10)")
    assert asked.value.type == "beforeunload"
    assert page.evaluate(LEAVING_IS_WARNED)

    page.get_by_role("button", name="Pause").click()

    expect(status).to_contain_text("Paused: drop the file again to resume")
    expect(status).to_contain_text("1 of 4 chunks sent")
    expect(page.locator(".upload-summary")).to_contain_text("paused 1")
    upload = Upload.objects.get()
    assert (upload.status, upload.chunks_received) == ("receiving", 1)
    unfinished = page.locator("#unfinished-uploads")
    expect(unfinished).to_contain_text("big.bin")  # refreshed in place
    assert not page.evaluate(LEAVING_IS_WARNED)

    # After a reload the page says what is left and how to resume it.
    page.unroute("**/chunks/1")
    page.reload()
    expect(unfinished).to_contain_text("An upload was left unfinished")
    expect(unfinished).to_contain_text("drop the same file here again to resume")
    expect(unfinished.locator("li")).to_contain_text("big.bin 1 of 4 chunks sent · 256.0 KiB")

    page.locator("#uploader input[type=file][data-picker]").first.set_input_files(path)
    expect(status).to_have_text("Uploaded and verified", timeout=60_000)
    expect(unfinished.locator(".unfinished")).to_have_count(0)
    expect(page.locator(".files-table tbody tr")).to_contain_text("big.bin")
    upload.refresh_from_db()
    assert upload.status == "done" and Upload.objects.count() == 1
    assert ReleaseFile.objects.get(release=release).path == "big.bin"


def test_an_unfinished_upload_can_be_discarded_from_the_release_page(
    hub_server, seeded, shared_storage, page, tmp_path
):
    path, _data = random_file(tmp_path, "big.bin", 4 * 64 * 1024, seed=12)
    release_page(hub_server, page)
    page.route("**/chunks/1", lambda route: None)  # never answered
    picker = page.locator("#uploader input[type=file][data-picker]").first
    picker.set_input_files(path)
    expect(page.locator(".upload-status")).to_have_text("Uploading: chunk 2 of 4")
    page.get_by_role("button", name="Pause").click()
    unfinished = page.locator("#unfinished-uploads")
    expect(unfinished).to_contain_text("big.bin")

    unfinished.get_by_role("button", name="Discard").click()

    expect(unfinished.locator(".unfinished")).to_have_count(0)
    upload = Upload.objects.get()
    assert upload.status == "failed"
    page.reload()
    expect(unfinished.locator(".unfinished")).to_have_count(0)
    # Dropped again, the file starts from its first chunk.
    page.route("**/chunks/0", lambda route: None)
    picker.set_input_files(path)
    expect(page.locator(".upload-status")).to_have_text("Uploading: chunk 1 of 4")
