"""The upload flow on S3-compatible storage, against a local S3 server (moto)."""

import hashlib
import json
import random

import pytest
import requests
from django.core.files.storage import default_storage
from django.utils.functional import empty

from hub.blobid import BlobIdHasher
from hub.celery import app as celery_app
from releases.models import Blob, ReleaseFile, Upload
from releases.tasks import read_onnx_signature
from tests import s3
from tests.factories import RepositoryFactory
from tests.s3 import moto_server

pytestmark = pytest.mark.django_db
BUCKET = "hub-test-blobs"


@pytest.fixture(scope="module")
def s3_server():
    with moto_server(BUCKET) as endpoint:
        yield endpoint


@pytest.fixture
def s3_storage(settings, s3_server, django_capture_on_commit_callbacks):
    settings.HUB_UPLOAD_CHUNK_SIZE = 1024
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3.storage_backend(s3_server, BUCKET, querystring_expire=60),
    }
    default_storage._wrapped = empty
    celery_app.conf.task_always_eager = True
    yield django_capture_on_commit_callbacks
    celery_app.conf.task_always_eager = False
    default_storage._wrapped = empty


def test_an_upload_lands_in_s3_and_downloads_redirect_to_a_presigned_url(
    personas, owner, s3_storage
):
    RepositoryFactory(owner=owner, name="s3-repo")
    client = personas["owner"]
    data = bytes(range(256)) * 9  # three chunks
    body = {"path": "w.bin", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    state = client.post(
        "/api/v1/repos/alice/s3-repo/releases/v1.00/uploads", json.dumps(body),
        content_type="application/json",
    ).json()  # fmt: skip
    with s3_storage(execute=True):
        for i in range(state["chunk_count"]):
            piece = data[i * 1024 : (i + 1) * 1024]
            response = client.put(
                f"{state['url']}/chunks/{i}", piece, content_type="application/octet-stream"
            )
            assert response.status_code == 200, response.json()
    assert client.get(state["url"]).json()["status"] == "done"
    blob = Blob.objects.get()
    keys = [o["Key"] for o in s3_client().list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert blob.storage_key in keys
    assert not [k for k in keys if k.startswith(f"uploads/{state['id']}")]  # chunks removed
    response = personas["anonymous"].get("/alice/s3-repo/resolve/v1.00/w.bin")
    assert response.status_code == 302
    assert "Signature" in response["Location"] or "X-Amz-Signature" in response["Location"]
    assert requests.get(response["Location"], timeout=10).content == data
    assert ReleaseFile.objects.get().path == "w.bin"


def test_onnx_signatures_are_read_from_s3(owner, s3_storage):
    from hub import demo_models
    from releases.services.files import file_add_content

    repo = RepositoryFactory(owner=owner, name="s3-onnx")
    rf = file_add_content(
        release=repo.latest_release, path="m.onnx", data=demo_models.risk_score(), user=owner
    )
    read_onnx_signature(rf.blob_id)
    rf.blob.refresh_from_db()
    assert rf.blob.onnx_status == "valid"
    assert rf.blob.onnx_signature["inputs"][0]["name"] == "position"


MIB = 1024 * 1024


def s3_client():
    return s3.client(default_storage.endpoint_url)


def start_direct(client, body):
    response = client.post(
        "/api/v1/repos/alice/s3-repo/releases/v1.00/uploads",
        json.dumps({**body, "direct": True}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def parts_sent(client, state, through):
    return client.post(
        f"{state['url']}/parts", json.dumps({"through": through}), content_type="application/json"
    )


def test_a_direct_upload_sends_its_chunks_to_s3_and_is_verified_from_there(
    personas, owner, s3_storage, settings
):
    settings.HUB_UPLOAD_CHUNK_SIZE = 5 * MIB  # S3's smallest part
    RepositoryFactory(owner=owner, name="s3-repo")
    client = personas["owner"]
    data = random.Random(3).randbytes(11 * MIB)  # parts of 5, 5 and 1 MiB
    digest = hashlib.sha256(data).hexdigest()
    state = start_direct(client, {"path": "w.bin", "size": len(data), "sha256": digest})
    assert state["direct"] is True and sorted(state["part_urls"]) == ["0", "1", "2"]
    # Signature V4 with the part's length signed: S3 takes no other size at that URL.
    assert "X-Amz-SignedHeaders=content-length%3Bhost" in state["part_urls"]["0"]
    # Through the hub, a direct upload takes no chunk.
    refused = client.put(f"{state['url']}/chunks/0", data[: 5 * MIB], "application/octet-stream")
    assert refused.status_code == 409 and "part URLs" in refused.json()["error"]
    # The bytes go to S3 itself, with no credentials but the URL's signature.
    assert requests.put(state["part_urls"]["0"], data=data[: 5 * MIB], timeout=30).ok
    # A part of the wrong length is not counted; nothing moves.
    assert requests.put(state["part_urls"]["1"], data=data[: 3 * MIB], timeout=30).ok
    assert parts_sent(client, state, 2).json()["chunks_received"] == 1
    # Started again (a reload, a second run): the same upload resumes at the next chunk.
    resumed = start_direct(client, {"path": "w.bin", "size": len(data), "sha256": digest})
    assert resumed["id"] == state["id"] and resumed["chunks_received"] == 1
    assert sorted(resumed["part_urls"]) == ["1", "2"]
    missing = parts_sent(client, state, 2)
    assert missing.status_code == 409 and "send it to its part URL again" in missing.json()["error"]
    assert requests.put(state["part_urls"]["1"], data=data[5 * MIB : 10 * MIB], timeout=30).ok
    assert requests.put(state["part_urls"]["2"], data=data[10 * MIB :], timeout=30).ok
    with s3_storage(execute=True):
        answer = parts_sent(client, state, 3)
    assert answer.status_code == 200 and answer.json()["chunks_received"] == 3
    assert client.get(state["url"]).json()["status"] == "done"
    # Said again (a retry whose answer was lost): the upload's state, nothing more.
    repeat = parts_sent(client, state, 3)
    assert repeat.status_code == 200 and repeat.json()["status"] == "done"
    blob = ReleaseFile.objects.select_related("blob").get(path="w.bin").blob
    reference = BlobIdHasher()
    reference.update(data)
    assert blob.sha256 == digest and blob.blob_id == reference.blob_id()
    keys = [o["Key"] for o in s3_client().list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert blob.storage_key in keys and not [k for k in keys if k.startswith("uploads/")]
    assert not s3_client().list_multipart_uploads(Bucket=BUCKET).get("Uploads")


def test_a_cancelled_or_abandoned_direct_upload_leaves_no_parts(
    personas, owner, s3_storage, settings
):
    from releases.services import maintenance

    settings.HUB_UPLOAD_CHUNK_SIZE = 5 * MIB
    RepositoryFactory(owner=owner, name="s3-repo")
    client = personas["owner"]
    body = {"path": "a.bin", "size": 6 * MIB, "sha256": "a" * 64}
    state = start_direct(client, body)
    assert requests.put(state["part_urls"]["0"], data=b"a" * 5 * MIB, timeout=30).ok
    assert s3_client().list_multipart_uploads(Bucket=BUCKET).get("Uploads")
    client.delete(state["url"])
    assert not s3_client().list_multipart_uploads(Bucket=BUCKET).get("Uploads")
    # An upload whose row went (its repository was deleted) has its parts dropped too.
    state = start_direct(client, {**body, "path": "b.bin"})
    Upload.objects.filter(pk=state["id"]).delete()
    maintenance.uploads_expire(days=7)
    assert not s3_client().list_multipart_uploads(Bucket=BUCKET).get("Uploads")


def test_direct_uploads_need_s3_and_chunks_s3_takes_as_parts(personas, owner, s3_storage):
    RepositoryFactory(owner=owner, name="s3-repo")  # chunks of 1 KiB here: too small for S3
    body = {"path": "c.bin", "size": 3000, "sha256": "c" * 64}
    state = start_direct(personas["owner"], body)
    assert state["direct"] is False and "part_urls" not in state
