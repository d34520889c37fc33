"""The release page's uploader on S3 storage (moto): its chunks go straight to the bucket at
presigned part URLs, never through the hub, and the hub joins and verifies them."""

import hashlib
import random

import pytest
from django.core.files.storage import default_storage
from django.utils.functional import empty
from playwright.sync_api import expect

from hub.celery import app as celery_app
from releases.models import Blob, ReleaseFile, Upload
from tests import s3
from tests.browser.helpers import log_in
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BUCKET = "hub-browser-direct"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def endpoint():
    with s3.moto_server(BUCKET) as url:
        yield url


@pytest.fixture
def on_s3(settings, endpoint):
    settings.HUB_UPLOAD_CHUNK_SIZE = 5 * MIB  # S3's smallest part
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3.storage_backend(endpoint, BUCKET),
    }
    policy = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {  # as hub/settings.py makes it for an S3 endpoint
        "DIRECTIVES": {**policy, "connect-src": [*policy["connect-src"], endpoint]}
    }
    default_storage._wrapped = empty
    celery_app.conf.task_always_eager = True  # the verification runs in the live server
    yield endpoint
    celery_app.conf.task_always_eager = False
    default_storage._wrapped = empty


def test_the_browser_sends_chunks_straight_to_the_bucket(hub_server, seeded, on_s3, page, tmp_path):
    owner = UserFactory(username="nadia")
    repo = RepositoryFactory(owner=owner, name="on-s3")
    data = random.Random(5).randbytes(11 * MIB)  # parts of 5, 5 and 1 MiB
    (tmp_path / "weights.bin").write_bytes(data)
    url = f"/{owner.username}/{repo.name}/releases/v1.00/"
    log_in(page, hub_server, owner, url)
    to_hub, to_bucket = [], []
    page.on(
        "request",
        lambda r: (to_bucket if r.url.startswith(on_s3) else to_hub).append((r.method, r.url)),
    )

    page.locator("#uploader input[type=file][data-picker]").first.set_input_files(
        tmp_path / "weights.bin"
    )

    row = page.locator(".upload-row")
    expect(row.locator(".upload-status")).to_have_text("Uploaded and verified", timeout=60_000)
    upload = Upload.objects.get()
    assert upload.multipart_id and upload.status == "done" and upload.chunks_received == 3
    blob = ReleaseFile.objects.get(release=repo.latest_release, path="weights.bin").blob
    assert blob.sha256 == hashlib.sha256(data).hexdigest() == Blob.objects.get().sha256
    # Three PUTs to the bucket; none of the file's bytes went to the hub.
    assert [m for m, _ in to_bucket if m == "PUT"] == ["PUT"] * 3
    assert not [u for m, u in to_hub if m == "PUT"]
    assert len([u for m, u in to_hub if u.endswith("/parts")]) == 3
    client = s3.client(on_s3)
    assert not client.list_multipart_uploads(Bucket=BUCKET).get("Uploads")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [blob.storage_key]
