"""The upload flow on S3-compatible storage, against a local S3 server (moto)."""

import hashlib
import json
import socket

import boto3
import pytest
import requests
from django.core.files.storage import default_storage
from django.utils.functional import empty

from hub.celery import app as celery_app
from releases.models import Blob, ReleaseFile
from releases.tasks import read_onnx_signature
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db
BUCKET = "hub-test-blobs"


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)  # fmt: skip
    yield endpoint
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_server, django_capture_on_commit_callbacks):
    settings.HUB_UPLOAD_CHUNK_SIZE = 1024
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_server,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "file_overwrite": False,
                "querystring_expire": 60,
            },
        },
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
    keys = [o["Key"] for o in boto3.client(
        "s3", endpoint_url=default_storage.endpoint_url, aws_access_key_id="test",
        aws_secret_access_key="test", region_name="us-east-1",
    ).list_objects_v2(Bucket=BUCKET)["Contents"]]  # fmt: skip
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
