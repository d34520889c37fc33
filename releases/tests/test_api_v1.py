"""The public JSON API (/api/v1/): the same rules as the pages, answered as JSON."""

import base64
import hashlib
import json
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from accounts import tokens
from hub.blobid import BlobIdHasher
from releases.models import Blob, ReleaseFile
from releases.services.files import file_add_content
from repos.models import Repository
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


def blob_id_of_bytes(data: bytes) -> str:
    hasher = BlobIdHasher()
    hasher.update(data)
    return hasher.blob_id()


def client_for(user, scope: str = "write") -> Client:
    _token, raw = tokens.token_create(user=user, name="test", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def send(client: Client, method: str, url: str, body=None):
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(url, data, content_type="application/json")


def test_a_publisher_scripts_a_repository_from_creation_to_deletion(owner):
    api = client_for(owner)
    created = send(api, "post", "/api/v1/repos", {
        "name": "eth-gas", "description": "# Gas\n\nForecasts gas.", "task": "defi-forecasting",
        "license": "apache-2.0", "tags": ["Ethereum", "gas"], "private": True,
    })  # fmt: skip
    assert created.status_code == 201, created.json()
    repo = created.json()
    assert repo["full_name"] == "alice/eth-gas" and repo["private"] is True
    assert repo["latest_version"] == "v1.00" and repo["tags"] == ["ethereum", "gas"]
    assert repo["license"] == "Apache-2.0" and repo["summary"] == "Forecasts gas."

    release = send(api, "post", "/api/v1/repos/alice/eth-gas/releases", {"bump": "major"})
    assert release.status_code == 201 and release.json()["version"] == "v2.00"
    versions = [r["version"] for r in api.get("/api/v1/repos/alice/eth-gas/releases").json()]
    assert versions == ["v2.00", "v1.00"]

    rf = file_add_content(
        release=Repository.objects.get(name="eth-gas").latest_release,
        path="model/weights.bin",
        data=b"weights",
        user=owner,
    )
    files = api.get("/api/v1/repos/alice/eth-gas/releases/latest/files").json()
    assert files == [{
        "path": "model/weights.bin", "size": 7, "sha256": rf.blob.sha256,
        "blob_id": rf.blob.blob_id,
        "download_url": "/alice/eth-gas/resolve/v2.00/model/weights.bin",
        "ipfs_url": None,  # private: the public gateway does not serve it
    }]  # fmt: skip
    assert api.get(files[0]["download_url"]).status_code == 200

    patched = send(api, "patch", "/api/v1/repos/alice/eth-gas", {"private": False, "tags": []})
    assert patched.json()["private"] is False and patched.json()["tags"] == []
    assert patched.json()["description"].startswith("# Gas")
    public = api.get("/api/v1/repos/alice/eth-gas/releases/latest/files").json()[0]
    assert public["ipfs_url"] == f"/ipfs/{rf.blob.blob_id}"  # public now: the gateway serves it
    assert api.get(public["ipfs_url"] + "?format=car").status_code == 200
    renamed = send(api, "post", "/api/v1/repos/alice/eth-gas/rename", {"name": "gas-price"})
    assert renamed.json()["full_name"] == "alice/gas-price"
    gone = api.delete("/api/v1/repos/alice/gas-price/releases/v2.00/files/model/weights.bin")
    assert gone.status_code == 204
    assert api.get("/api/v1/repos/alice/gas-price/releases/v2.00/files").json() == []
    refused = api.delete("/api/v1/repos/alice/gas-price?confirm=wrong")
    assert refused.status_code == 400 and refused.json()["field"] == "confirm_name"
    assert api.delete("/api/v1/repos/alice/gas-price?confirm=gas-price").status_code == 204
    assert not Repository.objects.exists()


def test_errors_are_problem_details(owner, public_repo):
    api = client_for(owner)
    taken = send(api, "post", "/api/v1/repos", {"name": public_repo.name})
    assert taken.status_code == 409
    assert taken["Content-Type"] == "application/problem+json"
    body = taken.json()
    assert body["title"] == "Conflict" and body["status"] == 409 and body["field"] == "name"
    assert body["detail"] == "You already have a repository with this name."
    bad = send(api, "post", "/api/v1/repos", {"name": "x", "task": "no-such-task"})
    assert bad.status_code == 400 and "No task “no-such-task”" in bad.json()["detail"]
    shape = send(api, "post", "/api/v1/repos", {"name": ["not", "text"]})
    assert shape.status_code == 422 and shape.json()["detail"].startswith("The request is not")
    unknown = api.get("/api/v1/repos/alice/eth-volatility/releases/v9.99/files")
    assert unknown.status_code == 404 and unknown.json()["detail"] == "No such release."


def test_what_a_caller_cannot_read_does_not_exist(owner, other, private_repo, public_repo):
    stranger = client_for(other)
    for url in [
        f"/api/v1/repos/{private_repo.full_name}",
        f"/api/v1/repos/{private_repo.full_name}/releases",
        f"/api/v1/repos/{private_repo.full_name}/releases/v1.00/files",
    ]:
        assert stranger.get(url).status_code == 404, url
        assert Client().get(url).status_code == 404, url
    listed = {r["full_name"] for r in stranger.get("/api/v1/repos").json()["items"]}
    assert listed == {public_repo.full_name}
    # Readable but not theirs: refused (403), and nothing changes.
    answer = send(stranger, "post", f"/api/v1/repos/{public_repo.full_name}/releases", {})
    assert answer.status_code == 403
    assert send(Client(), "post", "/api/v1/repos", {"name": "anon"}).status_code == 401


def test_search_filters_sort_and_pages_like_the_model_list(owner):
    for n in range(5):
        RepositoryFactory(owner=owner, name=f"vol-{n}", tags=["ethereum"] if n % 2 else [])
    RepositoryFactory(owner=owner, name="other")
    page = Client().get("/api/v1/repos?tag=ethereum&sort=name&per_page=1").json()
    assert page["count"] == 2 and page["pages"] == 2
    assert [r["name"] for r in page["items"]] == ["vol-1"]
    second = Client().get(page["next"]).json()
    assert [r["name"] for r in second["items"]] == ["vol-3"] and second["next"] is None
    found = Client().get("/api/v1/repos?q=vol&per_page=100").json()
    assert found["count"] == 5 and found["count_capped"] is False


def test_a_search_counts_up_to_the_cap_and_its_pages_go_on_past_it(owner, monkeypatch):
    monkeypatch.setattr("releases.api_v1.repositories.FILTERED_COUNT_CAP", 3)
    for n in range(5):
        RepositoryFactory(owner=owner, name=f"vol-{n}")
    page = Client().get("/api/v1/repos?q=vol&sort=name&per_page=2").json()
    assert page["count"] == 3 and page["count_capped"] is True and page["pages"] == 2
    names = [r["name"] for r in page["items"]]
    while page["next"]:
        page = Client().get(page["next"]).json()
        names += [r["name"] for r in page["items"]]
    assert names == [f"vol-{n}" for n in range(5)] and page["page"] == 3
    assert page["pages"] == 3 and page["count_capped"] is True
    unfiltered = Client().get("/api/v1/repos").json()
    assert unfiltered["count"] == 5 and unfiltered["count_capped"] is False


def test_listing_costs_the_same_queries_at_any_size(owner, django_assert_max_num_queries):
    for n in range(3):
        RepositoryFactory(owner=owner, name=f"small-{n}", tags=["a", "b"])
    client = Client()
    with django_assert_max_num_queries(8) as small:
        client.get("/api/v1/repos?per_page=50")
    for n in range(30):
        RepositoryFactory(owner=owner, name=f"more-{n}", tags=["a", "b"])
    with django_assert_max_num_queries(len(small)):
        assert len(client.get("/api/v1/repos?per_page=50").json()["items"]) == 33


def test_the_schema_and_its_docs_page_are_served_by_the_hub():
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/repos/{owner}/{name}/releases/{version}/files" in schema["paths"]
    docs = Client().get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle" in docs and "cdn" not in docs.lower()


def test_the_uploader_endpoints_take_tokens_too(owner, public_repo):
    api = client_for(owner)
    data = b"tiny"
    import hashlib

    plan = send(api, "post", f"/api/v1/repos/{public_repo.full_name}/releases/v1.00/plan", {
        "files": [{"path": "t.bin", "size": 4, "sha256": hashlib.sha256(data).hexdigest()}],
    })  # fmt: skip
    assert plan.status_code == 200 and plan.json()["files"][0]["action"] == "upload"


def put_file(client: Client, url: str, data: bytes, digest_of: bytes | None = None, **headers):
    digest = base64.b64encode(hashlib.sha256(data if digest_of is None else digest_of).digest())
    headers.setdefault("Content-Digest", f"sha-256=:{digest.decode()}:")
    return client.put(url, data, content_type="application/octet-stream", headers=headers)


def test_a_small_file_is_added_in_one_request(owner, other, public_repo, private_repo):
    api = client_for(owner)
    url = f"/api/v1/repos/{public_repo.full_name}/releases/v1.00/files/config/model.json"
    data = b'{"layers": 4}'
    created = put_file(api, url, data)
    assert created.status_code == 201, created.json()
    blob = Blob.objects.get()
    assert created.json() == {
        "path": "config/model.json", "size": len(data), "sha256": blob.sha256,
        "blob_id": blob_id_of_bytes(data),
        "download_url": f"/{public_repo.full_name}/resolve/v1.00/config/model.json",
        "ipfs_url": f"/ipfs/{blob_id_of_bytes(data)}",
    }  # fmt: skip
    assert blob.blocks.count() == 1  # its block index, from the same pass
    # The same content again: nothing to do. Other content at the path: a conflict.
    assert put_file(api, url, data).status_code == 200
    conflict = put_file(api, url, b"other")
    assert conflict.status_code == 409 and "other content" in conflict.json()["detail"]
    # Bytes that are not the declared ones, or no declaration: refused, nothing kept.
    wrong = put_file(api, url.replace("model.json", "b.bin"), b"abc", digest_of=b"abd")
    assert wrong.status_code == 400 and "not the declared" in wrong.json()["detail"]
    bare = api.put(url.replace("model.json", "c.bin"), b"x", content_type="text/plain")
    assert bare.status_code == 400 and "Content-Digest" in bare.json()["detail"]
    assert Blob.objects.count() == 1 and ReleaseFile.objects.count() == 1
    # A read token, a stranger, somebody else's private repository.
    assert put_file(client_for(owner, "read"), url, b"r").status_code == 403
    assert put_file(client_for(other), url, b"s").status_code == 403
    hidden = f"/api/v1/repos/{private_repo.full_name}/releases/v1.00/files/s.bin"
    assert put_file(client_for(other), hidden, b"s").status_code == 404
    assert Blob.objects.count() == 1


def test_blocked_content_sent_in_one_request_is_refused_after_the_transfer(owner, public_repo):
    rf = file_add_content(
        release=public_repo.latest_release, path="bad.bin", data=b"bad bytes", user=owner
    )
    Blob.objects.filter(pk=rf.blob_id).update(blocked_at=timezone.now())
    url = f"/api/v1/repos/{public_repo.full_name}/releases/v1.00/files/again.bin"
    refused = put_file(client_for(owner), url, b"bad bytes")
    assert refused.status_code in (403, 410) and not ReleaseFile.objects.filter(path="again.bin")


def multipart_body(files: list[tuple[str, bytes, bytes | None]]) -> tuple[bytes, str]:
    """A multipart/form-data body of `file` parts: (path, bytes, bytes whose sha256 is
    declared, or None for the bytes themselves)."""
    boundary = "hub-test-boundary"
    out = b""
    for path, data, declared in files:
        digest = base64.b64encode(hashlib.sha256(data if declared is None else declared).digest())
        out += (
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{path}"\r\n'
                f"Content-Type: application/octet-stream\r\nContent-Digest: sha-256=:"
                f"{digest.decode()}:\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_many_small_files_are_added_in_one_request_each_with_its_outcome(
    owner, public_repo, settings
):
    api = client_for(owner)
    url = f"/api/v1/repos/{public_repo.full_name}/releases/v1.00/files"
    file_add_content(release=public_repo.latest_release, path="kept.txt", data=b"k", user=owner)
    blocked = file_add_content(
        release=public_repo.latest_release, path="bad.bin", data=b"bad", user=owner
    )
    Blob.objects.filter(pk=blocked.blob_id).update(blocked_at=timezone.now())
    body, content_type = multipart_body([
        ("a/one.bin", b"one", None),
        ("a/two.bin", b"two" * 1000, None),
        ("kept.txt", b"k", None),            # the same content: present, not stored again
        ("kept.txt", b"other", None),         # twice in one request
        ("b/wrong.bin", b"abc", b"abd"),      # not the declared bytes
        ("again.bin", b"bad", None),          # blocked content
        ("a/one-copy.bin", b"one", None),     # the same bytes as a/one.bin: one blob
        ("../up.bin", b"x", None),            # not a path in a release
    ])  # fmt: skip
    answer = api.post(url, body, content_type=content_type)
    assert answer.status_code == 200, answer.json()
    got = {(o["path"], o["status"]) for o in answer.json()["files"]}
    assert got == {
        ("a/one.bin", "added"), ("a/two.bin", "added"), ("kept.txt", "present"),
        ("kept.txt", "invalid"), ("b/wrong.bin", "invalid"), ("again.bin", "blocked"),
        ("a/one-copy.bin", "added"), ("../up.bin", "invalid"),
    }  # fmt: skip
    files = {o["path"]: o for o in answer.json()["files"] if o["status"] == "added"}
    assert files["a/two.bin"]["file"]["blob_id"] == blob_id_of_bytes(b"two" * 1000)
    release = public_repo.latest_release
    assert set(release.files.values_list("path", flat=True)) == {
        "kept.txt",
        "bad.bin",
        "a/one.bin",
        "a/two.bin",
        "a/one-copy.bin",
    }
    one = release.files.get(path="a/one.bin").blob
    assert release.files.get(path="a/one-copy.bin").blob == one and one.blocks.count() == 1
    # Other content at a path already taken is a conflict; the limit refuses the rest.
    settings.HUB_MAX_FILES_PER_RELEASE = 6
    body, content_type = multipart_body([
        ("a/one.bin", b"changed", None), ("c.bin", b"c", None), ("d.bin", b"d", None),
    ])  # fmt: skip
    answer = api.post(url, body, content_type=content_type).json()["files"]
    assert [o["status"] for o in answer] == ["conflict", "added", "refused"]
    assert "maximum of 6 files" in answer[2]["detail"]
    # Staged bytes never outlive the request.
    assert not list(Path(default_storage.path("incoming")).glob("u*"))


def test_a_batch_needs_multipart_and_a_write_token(owner, other, public_repo):
    url = f"/api/v1/repos/{public_repo.full_name}/releases/v1.00/files"
    body, content_type = multipart_body([("x.bin", b"x", None)])
    assert client_for(owner).post(url, b"{}", content_type="application/json").status_code == 400
    assert client_for(owner, "read").post(url, body, content_type=content_type).status_code == 403
    assert client_for(other).post(url, body, content_type=content_type).status_code == 403
    assert not ReleaseFile.objects.exists()


def test_a_batch_takes_small_files_only(owner, public_repo, settings):
    settings.HUB_UPLOAD_CHUNK_SIZE = 1024
    url = f"/api/v1/repos/{public_repo.full_name}/releases/v1.00/files"
    body, content_type = multipart_body([("big.bin", b"b" * 1025, None), ("s.bin", b"s", None)])
    answer = client_for(owner).post(url, body, content_type=content_type).json()["files"]
    assert [o["status"] for o in answer] == ["invalid", "added"]
    assert "upload of chunks" in answer[0]["detail"]
    body, content_type = multipart_body([(f"f{n}.bin", b"x" * 1000, None) for n in range(5)])
    too_big = client_for(owner).post(url, body, content_type=content_type)
    assert too_big.status_code == 400 and "send fewer files at once" in too_big.json()["detail"]
