"""Where the page has no crypto.subtle (plain HTTP, not on localhost) the uploader declares the
sha256 it streams through hash-wasm instead of the Blob ID.

Chromium reaches the live server as http://hub.test: an origin that is not secure, so neither
the page nor its workers have crypto.subtle, as on a real plain-HTTP deployment."""

import hashlib
import os
import random

import pytest
from playwright.sync_api import expect

from releases.models import ReleaseFile, Upload
from tests.browser.helpers import log_in, uploader_requests
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOST = "hub.test"


@pytest.fixture(scope="module")
def browser(browser):
    """A second Chromium of the session's Playwright, resolving HOST to this machine."""
    insecure = browser.browser_type.launch(
        executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
              f"--host-resolver-rules=MAP {HOST} 127.0.0.1"],
    )  # fmt: skip
    yield insecure
    insecure.close()


def test_the_uploader_declares_the_sha256_where_crypto_subtle_is_missing(
    hub_server, seeded, celery_worker_process, shared_storage, settings, page, tmp_path
):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    base = hub_server.replace("127.0.0.1", HOST)
    data = random.Random(7).randbytes(300 * 1024 + 5)
    (tmp_path / "weights.bin").write_bytes(data)
    owner = UserFactory(username="nadia")
    repo = RepositoryFactory(owner=owner, name="eth-gas-forecast")
    log_in(page, base, owner, "/nadia/eth-gas-forecast/releases/v1.00/")
    assert page.evaluate("() => [isSecureContext, typeof crypto.subtle]") == [False, "undefined"]
    sent = uploader_requests(page)

    page.locator("#uploader input[type=file][data-picker]").first.set_input_files(
        tmp_path / "weights.bin"
    )

    expect(page.locator(".upload-row .upload-status")).to_have_text(
        "Uploaded and verified", timeout=60_000
    )
    expect(page.locator(".upload-row .hash-bar")).to_have_js_property("value", 1)
    digest = hashlib.sha256(data).hexdigest()
    assert [(kind, body.get("sha256"), body.get("blob_id")) for kind, body in sent] == [
        ("plan", None, None),
        ("uploads", digest, None),
    ]
    assert sent[0][1]["files"] == [{"path": "weights.bin", "size": len(data), "sha256": digest}]
    assert Upload.objects.get().sha256 == digest
    rf = ReleaseFile.objects.select_related("blob").get(release=repo.latest_release)
    assert rf.blob.sha256 == digest
