"""The OpenGradient SDK's API (/api/v0/): the SDK's paths and answers, the hub's rules.

The real, unmodified SDK is driven against a live server in tests/test_opengradient_sdk.py;
these tests pin the wire format, the first-version rule and the streaming of uploads.
"""

import hashlib
import json
import random
import tracemalloc

import pytest
from django.test import Client
from django.utils import timezone

from accounts import tokens
from hub import storage
from hub.blobid import blob_id_of_file
from releases.models import Blob, ReleaseFile
from releases.rules import BLOCKED_MESSAGE
from releases.services.files import file_add_content
from releases.services.releases import release_create
from repos.models import Repository
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db
BOUNDARY = "----hub-test-boundary-7d1f"


@pytest.fixture(autouse=True)
def _media(shared_storage):
    return shared_storage


def sdk_client(user, scope: str = "write") -> Client:
    _token, raw = tokens.token_create(user=user, name="sdk", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post_json(client: Client, url: str, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def multipart(name: str, data: bytes, field: str = "file") -> tuple[bytes, bytes]:
    """The head and tail around a file's bytes in a multipart body, as requests_toolbelt
    writes them."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


def upload(client: Client, url: str, name: str, data: bytes, field: str = "file"):
    head, tail = multipart(name, data, field)
    return client.post(
        url, head + data + tail, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )


def content(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def test_the_sdk_flow_creates_a_model_its_versions_and_files(owner):
    api = sdk_client(owner)
    created = post_json(api, "/api/v0/models/", {"name": "eth-vol", "description": "Volatility"})
    assert created.status_code == 201, created.json()
    assert created.json()["name"] == "eth-vol"
    repo = Repository.objects.get(owner=owner, name="eth-vol")
    assert (repo.task.slug, repo.license.spdx_id, repo.is_private) == ("other", "MIT", False)

    versions = "/api/v0/models/eth-vol/versions"
    first = post_json(api, versions, {"notes": "Initial version 1.00", "is_major": False})
    assert first.status_code == 201 and first.json()["versionString"] == "1.00"
    assert post_json(api, versions, {"notes": "", "is_major": False}).json()["versionString"] == (
        "1.01"
    )
    assert post_json(api, versions, {"notes": "New net", "is_major": True}).json() == {
        "versionString": "2.00",
        "notes": "New net",
        "url": "http://testserver/alice/eth-vol/releases/v2.00/",
    }
    assert [r.version for r in repo.releases.all()] == ["v2.00", "v1.01", "v1.00"]
    assert repo.releases.get(major=1, minor=0).notes == "Initial version 1.00"

    data = content(300_000, seed=1)  # two Blob ID chunks: a dag-pb root
    sent = upload(api, "/api/v0/models/eth-vol/versions/1.01/files", "model.onnx", data)
    assert sent.status_code == 201, sent.json()
    blob = Blob.objects.get()
    assert sent.json()["ipfsCid"] == blob.blob_id and blob.blob_id.startswith("bafybei")
    assert sent.json()["size"] == 300_000 and blob.sha256 == hashlib.sha256(data).hexdigest()
    listed = api.get("/api/v0/models/eth-vol/versions/1.01/files")
    assert listed.status_code == 200
    assert listed.json() == [{
        "name": "model.onnx", "path": "model.onnx", "size": 300_000, "ipfsCid": blob.blob_id,
        "sha256": blob.sha256, "createdAt": ReleaseFile.objects.get().created_at.isoformat(),
        "downloadUrl": "http://testserver/alice/eth-vol/resolve/v1.01/model.onnx",
    }]  # fmt: skip
    assert api.get("/api/v0/models/eth-vol/versions/v1.00/files").json() == []


def test_only_an_untouched_repositorys_v1_00_is_given_out_again(owner):
    """The first-version rule: once, with notes, on a repository as it was created."""
    fresh = RepositoryFactory(owner=owner, name="fresh")
    assert release_create(repository=fresh, bump="minor", notes="x").version == "v1.01"  # site

    claimed = RepositoryFactory(owner=owner, name="claimed")
    for expected in ("v1.00", "v1.01"):
        release = release_create(
            repository=claimed, bump="minor", notes="n", reuse_empty_first=True
        )
        assert release.version == expected
    assert Repository.objects.get(pk=claimed.pk).latest_release.version == "v1.01"

    silent = RepositoryFactory(owner=owner, name="silent")  # no notes could claim it
    assert release_create(repository=silent, bump="minor", reuse_empty_first=True).version == (
        "v1.01"
    )
    used = RepositoryFactory(owner=owner, name="used")
    file_add_content(release=used.latest_release, path="a.bin", data=b"a", user=owner)
    assert (
        release_create(repository=used, bump="major", notes="n", reuse_empty_first=True).version
        == "v2.00"
    )


def test_duplicates_conflicts_and_blocked_content_follow_the_sites_rules(owner):
    api = sdk_client(owner)
    RepositoryFactory(owner=owner, name="rules")
    url = "/api/v0/models/rules/versions/1.00/files"
    data = content(5000, seed=2)
    first = upload(api, url, "w.bin", data)
    again = upload(api, url, "w.bin", data)
    assert again.status_code == 201 and again.json()["ipfsCid"] == first.json()["ipfsCid"]
    assert ReleaseFile.objects.count() == 1

    other = upload(api, url, "w.bin", b"other bytes")
    assert other.status_code == 409
    assert other["Content-Type"] == "application/problem+json"
    assert "already has “w.bin” with other content" in other.json()["detail"]
    assert Blob.objects.count() == 1  # refused before anything was stored

    Blob.objects.filter(sha256=hashlib.sha256(data).hexdigest()).update(
        blocked_at=timezone.now(), blocked_reason="malware"
    )
    blocked = upload(api, url, "copy.bin", data)
    assert blocked.status_code == 403 and blocked.json()["detail"] == BLOCKED_MESSAGE
    assert ReleaseFile.objects.count() == 1


def test_callers_without_a_valid_write_token_are_refused(owner, other, public_repo):
    created = post_json(Client(), "/api/v0/models/", {"name": "x", "description": ""})
    assert created.status_code == 401 and created["WWW-Authenticate"].startswith("Bearer")
    assert created.json()["status"] == 401
    session = Client()
    session.force_login(owner)  # cookies are not taken here: no CSRF to forge
    assert post_json(session, "/api/v0/models/", {"name": "x"}).status_code == 401
    bad = Client(HTTP_AUTHORIZATION="Bearer hub_not-a-token")
    assert bad.get("/api/v0/models/eth-volatility/versions/1.00/files").status_code == 401

    reader = sdk_client(owner, scope="read")
    assert reader.get("/api/v0/models/eth-volatility/versions/1.00/files").status_code == 200
    refused = post_json(reader, "/api/v0/models/eth-volatility/versions", {"notes": "n"})
    assert refused.status_code == 403

    stranger = sdk_client(other)  # alice's public model is not bob's model
    assert stranger.get("/api/v0/models/eth-volatility/versions/1.00/files").status_code == 404
    assert post_json(stranger, "/api/v0/models/eth-volatility/versions", {}).status_code == 404
    owner_api = sdk_client(owner)
    assert owner_api.get("/api/v0/models/eth-volatility/versions/9.00/files").status_code == 404
    assert owner_api.get("/api/v0/models/eth-volatility/versions/latest/files").status_code == 404
    assert owner_api.delete("/api/v0/models/eth-volatility/versions").status_code == 405
    taken = post_json(owner_api, "/api/v0/models/", {"name": "eth-volatility"})
    assert taken.status_code == 409 and taken.json()["detail"]


def test_malformed_or_oversized_uploads_are_refused_and_leave_nothing(owner, settings, _media):
    api = sdk_client(owner)
    RepositoryFactory(owner=owner, name="broken")
    url = "/api/v0/models/broken/versions/1.00/files"
    assert api.post(url, b"raw", content_type="application/octet-stream").status_code == 400
    assert upload(api, url, "w.bin", b"x", field="model").status_code == 400
    head, _tail = multipart("w.bin", b"")
    cut = api.post(
        url,
        head + content(70_000, seed=3),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    assert cut.status_code == 400 and "not complete" in cut.json()["detail"]
    settings.HUB_MAX_FILE_SIZE = 4096
    big = upload(api, url, "w.bin", content(10_000, seed=5))
    assert big.status_code == 413 and "at most 4.0 KiB" in big.json()["detail"]
    assert not ReleaseFile.objects.exists() and not Blob.objects.exists()
    assert not any(p.is_file() for p in (_media / "incoming").glob("*"))


def test_a_large_upload_streams_through_in_bounded_memory(
    owner, settings, tmp_path, monkeypatch, _media
):
    """Larger than FILE_UPLOAD_MAX_MEMORY_SIZE, sent from disk: Django's multipart parser
    (memory or a temporary file) is never used, and memory stays a small fraction of it."""

    def refuse(*args, **kwargs):
        raise AssertionError("Django parsed the upload itself")

    monkeypatch.setattr("django.http.request.MultiPartParser", refuse)
    size = 8 * settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 12_345
    data = content(size, seed=4)
    head, tail = multipart("big.bin", data)
    body = tmp_path / "body"
    body.write_bytes(head + data + tail)
    model = tmp_path / "big.bin"
    model.write_bytes(data)
    del data
    api = sdk_client(owner)
    RepositoryFactory(owner=owner, name="big")
    assert upload(api, "/api/v0/models/big/versions/1.00/files", "small.bin", b"s").status_code == (
        201  # the first request imports the URL configuration: not the upload's memory
    )
    with body.open("rb") as stream:
        tracemalloc.start()
        response = api.generic(
            "POST",
            "/api/v0/models/big/versions/1.00/files",
            CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
            CONTENT_LENGTH=str(body.stat().st_size),
            **{"wsgi.input": stream},
        )
        _now, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert response.status_code == 201, response.json()
    assert response.json()["ipfsCid"] == blob_id_of_file(model)
    assert response.json()["size"] == size
    # A few pieces of the request at a time (3.6 MB measured here), whatever the file's size.
    assert peak < 6 * storage.PIECE < size / 3, f"peak {peak:,} bytes for {size:,} bytes"
    stored = Blob.objects.get(blob_id=response.json()["ipfsCid"])
    assert (_media / stored.storage_key).stat().st_size == size
    assert not any(p.is_file() for p in (_media / "incoming").glob("*"))
