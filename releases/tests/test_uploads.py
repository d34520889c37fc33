import hashlib
import io
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hub.blobid import CHUNK_SIZE, BlobIdHasher
from hub.celery import app as celery_app
from hub.errors import Conflict
from releases.models import Blob, DeletedPath, ReleaseFile, Upload
from releases.services import staging, uploads
from tests.factories import RepositoryFactory, UserFactory, add_releases

pytestmark = pytest.mark.django_db
EMPTY_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


CAPTURE = {}


@pytest.fixture(autouse=True)
def _small_chunks_and_eager_tasks(settings, tmp_path, django_capture_on_commit_callbacks):
    # Tasks run in-process here, when the request's transaction would commit; the real
    # worker is exercised in tests/test_upload_worker.py.
    CAPTURE["on_commit"] = django_capture_on_commit_callbacks
    settings.HUB_UPLOAD_CHUNK_SIZE = 1024
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def vurl(repo, view, version="v1.00", **kwargs):
    major, minor = version[1:].split(".")
    return reverse(
        view,
        kwargs={"owner": repo.owner.username, "name": repo.name,
                "version": (int(major), int(minor)), **kwargs},
    )  # fmt: skip


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def upload(client, repo, path: str, data: bytes, version="v1.00", declared=None):
    """Upload through the HTTP API as the browser does; returns the final upload state."""
    start = post_json(
        client,
        vurl(repo, "upload_start", version),
        {"path": path, "size": len(data), "sha256": declared or sha(data)},
    )
    assert start.status_code == 201, start.json()
    state = start.json()
    with CAPTURE["on_commit"](execute=True):
        for index in range(state["chunks_received"], state["chunk_count"]):
            piece = data[index * state["chunk_size"] : (index + 1) * state["chunk_size"]]
            response = client.put(
                f"{state['url']}/chunks/{index}", piece, content_type="application/octet-stream"
            )
            assert response.status_code == 200, response.json()
            state = response.json()
    return client.get(state["url"]).json()


@pytest.fixture
def repo(owner):
    return RepositoryFactory(owner=owner, name="uploads-repo")


def test_an_upload_lands_in_the_release_with_its_blob_id(
    personas, repo, django_capture_on_commit_callbacks
):
    data = bytes(range(256)) * 10  # 2,560 bytes: three chunks
    state = upload(personas["owner"], repo, "model.bin", data)
    assert state["status"] == "done"
    rf = ReleaseFile.objects.select_related("blob").get(release__repository=repo, path="model.bin")
    assert rf.blob.sha256 == sha(data) and rf.blob.size == len(data)
    assert rf.blob.blob_id.startswith("bafkrei")
    # Its block index comes from the same hashing pass: a single raw leaf, the file itself.
    assert list(rf.blob.blocks.values_list("kind", "offset", "size")) == [("leaf", 0, len(data))]
    page = personas["anonymous"].get(repo.get_absolute_url()).content.decode()
    assert "model.bin" in page and rf.blob.blob_id[:12] in page


def test_chunks_on_leaf_boundaries_bring_the_blob_id_with_them(
    personas, repo, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # Chunks of whole Blob ID leaves: each request computes its chunk's leaf digests, and
    # the verification reads the bytes once, for the file's sha256 only.
    settings.HUB_UPLOAD_CHUNK_SIZE = 2 * CHUNK_SIZE
    data = os.urandom(5 * CHUNK_SIZE + 77)  # three chunks, six leaves, the last one short
    leaf_hashing = []
    real_update = BlobIdHasher.update
    monkeypatch.setattr(
        BlobIdHasher,
        "update",
        lambda self, piece: (leaf_hashing.append(len(piece)), real_update(self, piece)),
    )
    state = upload(personas["owner"], repo, "weights.bin", data)
    assert state["status"] == "done"
    blob = Blob.objects.get()
    reference = BlobIdHasher()
    real_update(reference, data)
    assert blob.sha256 == sha(data) and blob.blob_id == reference.blob_id()
    assert leaf_hashing == []  # nothing hashed the bytes a second time for the Blob ID
    leaves = blob.blocks.filter(kind="leaf").order_by("offset")
    assert [(b.offset, b.size) for b in leaves] == [
        (n * CHUNK_SIZE, CHUNK_SIZE) for n in range(5)
    ] + [(5 * CHUNK_SIZE, 77)]


def test_a_whole_file_in_one_request_is_verified_as_it_arrives(
    personas, repo, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.HUB_UPLOAD_CHUNK_SIZE = CHUNK_SIZE
    data = os.urandom(3 * CHUNK_SIZE + 5)  # four chunks in one body
    client = personas["owner"]
    state = post_json(
        client,
        vurl(repo, "upload_start"),
        {"path": "w.bin", "size": len(data), "sha256": sha(data)},
    ).json()
    assert state["request_max"] == settings.HUB_UPLOAD_REQUEST_MAX
    monkeypatch.setattr(staging, "assemble", lambda *a, **k: pytest.fail("read twice"))
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.put(
            f"{state['url']}/chunks/0", data, content_type="application/octet-stream"
        )
    assert answer.status_code == 200 and answer.json()["chunks_received"] == 4
    assert client.get(state["url"]).json()["status"] == "done"
    blob = ReleaseFile.objects.get(path="w.bin").blob
    reference = BlobIdHasher()
    reference.update(data)
    assert blob.sha256 == sha(data) and blob.blob_id == reference.blob_id()
    assert blob.blocks.filter(kind="leaf").count() == 4 and blob.blocks.count() == 5


def test_a_run_of_chunks_resumes_and_its_length_is_checked(
    personas, repo, settings, django_capture_on_commit_callbacks
):
    data = os.urandom(5000)  # chunks of 1,024: four whole ones and 904 bytes
    client = personas["owner"]
    state = post_json(
        client, vurl(repo, "upload_start"), {"path": "r.bin", "size": 5000, "sha256": sha(data)}
    ).json()

    def put(index, body):
        return client.put(
            f"{state['url']}/chunks/{index}", body, content_type="application/octet-stream"
        )

    assert put(0, data[:2048]).json()["chunks_received"] == 2  # a run of two
    # Not whole chunks, or more than one request takes: refused, nothing moves.
    ragged = put(2, data[2048:3500])
    assert ragged.status_code == 400 and "must be 1,024 bytes" in ragged.json()["error"]
    settings.HUB_UPLOAD_REQUEST_MAX = 2048
    too_much = put(2, data[2048:])
    assert too_much.status_code == 400 and "at most 2.0 KiB" in too_much.json()["error"]
    settings.HUB_UPLOAD_REQUEST_MAX = 4096
    with django_capture_on_commit_callbacks(execute=True):
        last = put(2, data[2048:])  # the rest, its short last chunk included
    assert last.status_code == 200 and last.json()["chunks_received"] == 5
    assert ReleaseFile.objects.get(path="r.bin").blob.sha256 == sha(data)


def test_a_whole_file_run_with_other_bytes_than_declared_fails(
    personas, repo, django_capture_on_commit_callbacks
):
    client = personas["owner"]
    data = b"q" * 3000
    state = post_json(
        client, vurl(repo, "upload_start"), {"path": "q.bin", "size": 3000, "sha256": sha(b"x")}
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        client.put(f"{state['url']}/chunks/0", data, content_type="application/octet-stream")
    final = client.get(state["url"]).json()
    assert final["status"] == "failed" and "not the declared one" in final["error"]
    assert not ReleaseFile.objects.exists() and not Blob.objects.exists()


def test_an_empty_file_is_allowed_and_gets_the_empty_blob_id(
    personas, repo, django_capture_on_commit_callbacks
):
    state = upload(personas["owner"], repo, "empty.txt", b"")
    assert state["status"] == "done"
    assert Blob.objects.get().blob_id == EMPTY_CID


def test_nothing_is_visible_before_the_last_chunk(personas, repo):
    client = personas["owner"]
    data = b"x" * 3000
    state = post_json(
        client, vurl(repo, "upload_start"), {"path": "a.bin", "size": 3000, "sha256": sha(data)}
    ).json()
    client.put(f"{state['url']}/chunks/0", data[:1024], content_type="application/octet-stream")
    assert not ReleaseFile.objects.exists()
    assert "a.bin" not in personas["owner"].get(repo.get_absolute_url()).content.decode()


def test_a_digest_mismatch_is_refused_and_adds_nothing(
    personas, repo, django_capture_on_commit_callbacks
):
    state = upload(personas["owner"], repo, "a.bin", b"real bytes", declared=sha(b"other"))
    assert state["status"] == "failed"
    assert "sha256" in state["error"]
    assert not ReleaseFile.objects.exists() and not Blob.objects.exists()


def test_chunks_out_of_order_past_the_end_or_repeated_with_other_bytes_are_refused(personas, repo):
    client = personas["owner"]
    data = b"y" * 2048
    state = post_json(
        client, vurl(repo, "upload_start"), {"path": "b.bin", "size": 2048, "sha256": sha(data)}
    ).json()

    def put(i, body):
        return client.put(
            f"{state['url']}/chunks/{i}", body, content_type="application/octet-stream"
        )

    response = put(1, data[1024:])
    assert response.status_code == 409 and "send chunk 0" in response.json()["error"]
    assert put(0, data[:1024]).status_code == 200
    # The same chunk again (a retry, a second tab): answered like the first time, nothing moves.
    again = put(0, data[:1024])
    assert again.status_code == 200 and again.json()["chunks_received"] == 1
    # The same index with other bytes: refused, and the accepted bytes stay as they were.
    response = put(0, b"z" * 1024)
    assert response.status_code == 409 and "already received with other" in response.json()["error"]
    assert response.json()["upload"]["chunks_received"] == 1
    staged = Path(default_storage.path(f"uploads/{state['id']}/data"))
    assert staged.read_bytes() == data[:1024]
    assert put(5, b"z").status_code == 400
    response = put(1, data[1024:] + b"extra")
    assert response.status_code == 400 and "must be 1,024 bytes" in response.json()["error"]
    assert Upload.objects.get().chunks_received == 1
    # No stray bodies: the staged bytes, the leaf digests of the one accepted chunk, and the
    # lock its writers take.
    assert sorted(p.name for p in staged.parent.iterdir()) == ["data", "leaves-000000", "lock"]


def test_an_upload_resumes_where_it_stopped(personas, repo, django_capture_on_commit_callbacks):
    client = personas["owner"]
    data = b"r" * 3000
    first = post_json(
        client, vurl(repo, "upload_start"), {"path": "c.bin", "size": 3000, "sha256": sha(data)}
    ).json()
    client.put(f"{first['url']}/chunks/0", data[:1024], content_type="application/octet-stream")
    # The page is reloaded: the same file is started again and continues from chunk 1.
    state = upload(client, repo, "c.bin", data)
    assert state["id"] == first["id"] and state["status"] == "done"


def test_bad_declarations_are_refused_before_transfer(personas, repo, settings):
    client = personas["owner"]
    settings.HUB_MAX_FILE_SIZE = 5000
    cases = [
        ({"path": "../x", "size": 1, "sha256": "0" * 64}, "'..'"),
        ({"path": "big.bin", "size": 5001, "sha256": "0" * 64}, "at most"),
        ({"path": "a.bin", "size": -1, "sha256": "0" * 64}, "whole number"),
        ({"path": "a.bin", "size": 1, "sha256": "xyz"}, "64 hexadecimal"),
    ]
    for body, message in cases:
        response = post_json(client, vurl(repo, "upload_start"), body)
        assert response.status_code == 400 and message in response.json()["error"], body
    assert post_json(client, vurl(repo, "upload_start"), ["not", "an", "object"]).status_code == 400
    assert not Upload.objects.exists()


def test_only_the_owner_can_upload(personas, repo):
    body = {"path": "a.bin", "size": 1, "sha256": "0" * 64}
    assert post_json(personas["other"], vurl(repo, "upload_start"), body).status_code == 403
    assert post_json(personas["staff"], vurl(repo, "upload_start"), body).status_code == 403
    assert post_json(personas["anonymous"], vurl(repo, "upload_start"), body).status_code == 401
    start = post_json(personas["owner"], vurl(repo, "upload_start"), body).json()
    stolen = personas["other"].put(
        f"{start['url']}/chunks/0", b"a", content_type="application/octet-stream"
    )
    assert stolen.status_code == 404
    assert Upload.objects.get().chunks_received == 0


def test_an_upload_into_a_deleted_repository_is_refused(personas, repo):
    client = personas["owner"]
    start = post_json(
        client, vurl(repo, "upload_start"), {"path": "a.bin", "size": 1, "sha256": sha(b"a")}
    ).json()
    client.post(
        reverse("repo_delete", kwargs={"owner": "alice", "name": repo.name}),
        {"confirm_name": repo.name},
    )
    response = client.put(f"{start['url']}/chunks/0", b"a", content_type="application/octet-stream")
    assert response.status_code == 404


def test_plan_answers_for_each_file(
    personas, owner, other, repo, django_capture_on_commit_callbacks
):
    shared = b"shared weights"
    theirs_public = RepositoryFactory(owner=other, name="public-one")
    theirs_private = RepositoryFactory(owner=other, name="private-one", visibility="private")
    upload(personas["owner"], repo, "model.onnx", b"mine")
    upload(personas["other"], theirs_public, "shared.bin", shared)
    upload(personas["other"], theirs_private, "secret.bin", b"secret bytes")
    files = [
        {"path": "model.onnx", "size": 4, "sha256": sha(b"mine")},
        {"path": "model.onnx", "size": 4, "sha256": sha(b"mine")},
        {"path": "config.json", "size": 4, "sha256": sha(b"mine")},
        {"path": "other.bin", "size": 14, "sha256": sha(shared)},
        {"path": "secret-copy.bin", "size": 12, "sha256": sha(b"secret bytes")},
        {"path": "fresh.bin", "size": 5, "sha256": sha(b"fresh")},
        {"path": "/abs", "size": 1, "sha256": sha(b"x")},
    ]
    plan = post_json(personas["owner"], vurl(repo, "files_plan"), {"files": files}).json()["files"]
    assert [p["action"] for p in plan] == [
        "present", "invalid", "link", "link", "upload", "upload", "invalid",
    ]  # fmt: skip
    assert "Same content" in plan[2]["warning"]
    assert plan[3]["source"]["label"] == "identical to bob/public-one v1.00 shared.bin"
    assert "private-one" not in json.dumps(plan)
    changed = {"path": "model.onnx", "size": 3, "sha256": sha(b"new")}
    conflict = post_json(personas["owner"], vurl(repo, "files_plan"), {"files": [changed]})
    answer = conflict.json()["files"][0]
    assert answer["action"] == "conflict" and "create a new release" in answer["message"]


def test_linking_needs_content_the_user_can_read(
    personas, other, repo, django_capture_on_commit_callbacks
):
    private = RepositoryFactory(owner=other, name="hidden", visibility="private")
    upload(personas["other"], private, "w.bin", b"hidden weights")
    response = post_json(
        personas["owner"],
        vurl(repo, "files_link"),
        {"path": "w.bin", "sha256": sha(b"hidden weights")},
    )
    assert response.status_code == 404
    assert not ReleaseFile.objects.filter(release__repository=repo).exists()


def test_identical_content_is_stored_once(personas, repo, django_capture_on_commit_callbacks):
    upload(personas["owner"], repo, "a.bin", b"same")
    other_repo = RepositoryFactory(owner=UserFactory(username="carol"), name="x")
    from django.test import Client

    carol = Client()
    carol.force_login(other_repo.owner)
    upload(carol, other_repo, "b.bin", b"same")
    assert Blob.objects.count() == 1
    assert ReleaseFile.objects.count() == 2


def test_the_file_limit_is_checked_before_transfer(
    personas, repo, settings, django_capture_on_commit_callbacks
):
    settings.HUB_MAX_FILES_PER_RELEASE = 1
    upload(personas["owner"], repo, "one.bin", b"1")
    response = post_json(
        personas["owner"],
        vurl(repo, "upload_start"),
        {"path": "two.bin", "size": 1, "sha256": sha(b"2")},
    )
    assert response.status_code == 400 and "maximum of 1 files" in response.json()["error"]


def test_downloads_serve_bytes_with_headers_and_ranges(
    personas, repo, django_capture_on_commit_callbacks
):
    data = bytes(range(256)) * 8
    upload(personas["owner"], repo, "dir/model.onnx", data)
    blob = Blob.objects.get()
    url = vurl(repo, "resolve", path="dir/model.onnx")
    response = personas["anonymous"].get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Length"] == str(len(data))
    assert response["ETag"] == f'"{blob.blob_id}"'
    assert 'filename="model.onnx"' in response["Content-Disposition"]
    partial = personas["anonymous"].get(url, HTTP_RANGE="bytes=10-19")
    assert partial.status_code == 206
    assert b"".join(partial.streaming_content) == data[10:20]
    assert partial["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert personas["anonymous"].get(url, HTTP_RANGE="bytes=-5").status_code == 206
    assert personas["anonymous"].get(url, HTTP_RANGE="bytes=99999-").status_code == 416
    by_id = personas["anonymous"].get(reverse("blob_download", kwargs={"blob_id": blob.blob_id}))
    assert b"".join(by_id.streaming_content) == data
    repo.refresh_from_db()
    assert repo.downloads == 2  # full downloads count; the ranges of one download do not


def test_private_files_and_blob_ids_are_hidden_from_strangers(
    personas, private_repo, django_capture_on_commit_callbacks
):
    upload(personas["owner"], private_repo, "secret.onnx", b"private model")
    blob = Blob.objects.get()
    urls = [
        vurl(private_repo, "resolve", path="secret.onnx"),
        vurl(private_repo, "file_detail", path="secret.onnx"),
        reverse("blob_download", kwargs={"blob_id": blob.blob_id}),
    ]
    for url in urls:
        assert personas["other"].get(url).status_code == 404, url
        assert personas["anonymous"].get(url).status_code == 404, url
        assert personas["staff"].get(url).status_code == 200, url
        assert personas["owner"].get(url).status_code == 200, url


def test_delete_a_file_keeps_the_blob_until_garbage_collection(
    personas, repo, django_capture_on_commit_callbacks
):
    upload(personas["owner"], repo, "a.bin", b"to delete")
    delete_url = vurl(repo, "file_delete", path="a.bin")
    assert personas["other"].post(delete_url).status_code == 403
    assert personas["owner"].get(delete_url).status_code == 200
    assert personas["owner"].post(delete_url).status_code == 302
    assert not ReleaseFile.objects.exists()
    assert Blob.objects.count() == 1
    call_command("collect_blobs")
    assert Blob.objects.count() == 1  # too young: a commit may be about to attach it
    Blob.objects.update(created_at=timezone.now() - timedelta(days=1, minutes=1))
    call_command("collect_blobs")
    assert not Blob.objects.exists()


def test_a_new_release_can_copy_the_previous_files(
    personas, repo, django_capture_on_commit_callbacks
):
    upload(personas["owner"], repo, "a.bin", b"aaa")
    upload(personas["owner"], repo, "b.bin", b"bbb")
    add_releases(repo, "minor")
    page = personas["owner"].get(vurl(repo, "release_detail", "v1.01")).content.decode()
    assert "Copy the 2 files of v1.00" in page
    response = personas["owner"].post(vurl(repo, "release_copy", "v1.01"))
    assert response.status_code == 302
    assert sorted(ReleaseFile.objects.filter(release__minor=1).values_list("path", flat=True)) == [
        "a.bin",
        "b.bin",
    ]
    assert Blob.objects.count() == 2


def test_storage_failure_answers_503_and_counts_nothing(personas, repo, monkeypatch):
    client = personas["owner"]
    state = post_json(
        client, vurl(repo, "upload_start"), {"path": "a.bin", "size": 3, "sha256": sha(b"abc")}
    ).json()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("releases.services.staging.receive", full_disk)
    response = client.put(
        f"{state['url']}/chunks/0", b"abc", content_type="application/octet-stream"
    )
    assert response.status_code == 503
    assert "storage is unavailable or full" in response.json()["error"]
    assert Upload.objects.get().chunks_received == 0
    monkeypatch.undo()
    response = client.put(
        f"{state['url']}/chunks/0", b"abc", content_type="application/octet-stream"
    )
    assert response.status_code == 200  # the same chunk goes through once storage is back


def test_a_deleted_path_stays_reserved_for_its_content(personas, repo):
    client = personas["owner"]
    upload(client, repo, "f0.bin", b"first")
    client.post(vurl(repo, "file_delete", path="f0.bin"))
    response = post_json(
        client, vurl(repo, "upload_start"), {"path": "f0.bin", "size": 5, "sha256": sha(b"other")}
    )
    assert response.status_code == 409 and "can only come back" in response.json()["error"]
    other = {"path": "f0.bin", "size": 5, "sha256": sha(b"other")}
    plan = post_json(client, vurl(repo, "files_plan"), {"files": [other]})
    assert plan.json()["files"][0]["action"] == "conflict"
    # The same bytes may come back.
    assert upload(client, repo, "f0.bin", b"first")["status"] == "done"


def test_hostile_requests_get_clear_json_errors(personas, repo):
    client = personas["owner"]
    zeros = "0" * 64
    # A lone surrogate, written as the JSON escape itself: json.loads turns it into U+D800.
    surrogate = '{"files": [{"path": "a\\ud800b", "size": 1, "sha256": "' + zeros + '"}]}'
    assert "\\ud800" in surrogate and "\ud800" in json.loads(surrogate)["files"][0]["path"]
    cases = [
        (surrogate, 200, "control characters"),
        (json.dumps({"files": [{"path": "a", "size": 10**400, "sha256": zeros}]}), 200, "larger"),
        ("[" * 100000, 400, "not valid JSON"),
        (json.dumps({"files": [{"path": 5, "size": 1, "sha256": zeros}]}), 200, "must be text"),
    ]
    for body, status, message in cases:
        response = client.post(vurl(repo, "files_plan"), body, content_type="application/json")
        assert response.status_code == status, body[:40]
        assert response["Content-Type"] in ("application/json", "application/problem+json")
        answer = response.json()
        if status == 200:
            assert answer["files"][0]["action"] == "invalid", body[:40]
            answer = answer["files"][0]["message"]
        else:
            answer = answer["error"]
        assert message in answer, (body[:40], answer)
    assert not repo.latest_release.files.exists()


def test_download_http_details(personas, repo):
    data = b"<html><script>alert(1)</script></html>"
    upload(personas["owner"], repo, "page.html", data)
    url = vurl(repo, "resolve", path="page.html")
    anon = personas["anonymous"]
    response = anon.get(url)
    assert response["Content-Type"] == "application/octet-stream"
    etag = response["ETag"]
    assert anon.get(url, HTTP_IF_NONE_MATCH=f'W/{etag}, "other"').status_code == 304
    assert anon.get(url, HTTP_RANGE="bytes=0-1,4-5").status_code == 200
    assert anon.get(url, HTTP_RANGE="bytes=" + "9" * 5000 + "-").status_code == 200
    assert anon.get(url, HTTP_RANGE="bytes=0-3", HTTP_IF_RANGE='"old"').status_code == 200
    assert anon.get(url, HTTP_RANGE="bytes=0-3", HTTP_IF_RANGE=etag).status_code == 206


def test_cancel_during_verification_adds_nothing(personas, repo):
    from releases.services.verification import upload_complete

    client = personas["owner"]
    data = b"z" * 1500
    state = post_json(
        client, vurl(repo, "upload_start"), {"path": "z.bin", "size": 1500, "sha256": sha(data)}
    ).json()
    for index in range(2):  # the verification is queued on commit, which a test never reaches
        piece = data[index * 1024 : (index + 1) * 1024]
        client.put(f"{state['url']}/chunks/{index}", piece, content_type="application/octet-stream")
    assert client.get(state["url"]).json()["status"] == "verifying"
    assert client.delete(state["url"]).json()["status"] == "failed"
    upload_complete(upload=Upload.objects.get(id=state["id"]))
    assert not ReleaseFile.objects.exists()
    assert Upload.objects.get().error == "Cancelled."


def test_copying_files_skips_paths_reserved_for_other_content(
    personas, repo, django_capture_on_commit_callbacks
):
    upload(personas["owner"], repo, "a.bin", b"aaa")
    upload(personas["owner"], repo, "b.bin", b"bbb")
    add_releases(repo, "minor")
    target = repo.releases.get(minor=1)
    DeletedPath.objects.create(release=target, path="a.bin", sha256=sha(b"other"))
    DeletedPath.objects.create(release=target, path="b.bin", sha256=sha(b"bbb"))
    response = personas["owner"].post(vurl(repo, "release_copy", "v1.01"))
    assert response.status_code == 302
    assert list(target.files.values_list("path", flat=True)) == ["b.bin"]
    assert list(target.deleted_paths.values_list("path", flat=True)) == ["a.bin"]


def test_a_backwards_range_is_ignored_and_one_past_the_end_is_unsatisfiable(personas, repo):
    data = b"0123456789"
    upload(personas["owner"], repo, "digits.bin", data)
    url = vurl(repo, "resolve", path="digits.bin")
    anon = personas["anonymous"]
    backwards = anon.get(url, HTTP_RANGE="bytes=5-2")  # RFC 9110: not a valid range
    assert backwards.status_code == 200
    assert b"".join(backwards.streaming_content) == data
    past = anon.get(url, HTTP_RANGE="bytes=10-")
    assert past.status_code == 416 and past["Content-Range"] == "bytes */10"


def test_a_download_counts_once_not_per_request(personas, repo):
    data = b"x" * 3000
    upload(personas["owner"], repo, "w.bin", data)
    url = vurl(repo, "resolve", path="w.bin")
    anon = personas["anonymous"]

    def downloads() -> int:
        repo.refresh_from_db()
        return repo.downloads

    assert anon.head(url).status_code == 200
    etag = anon.get(url)["ETag"]
    assert downloads() == 1
    assert anon.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert downloads() == 1
    # A download manager: the first range counts, the others belong to the same download.
    for first, last in [(0, 999), (1000, 1999), (2000, 2999)]:
        assert anon.get(url, HTTP_RANGE=f"bytes={first}-{last}").status_code == 206
    assert anon.get(url, HTTP_RANGE="bytes=-100").status_code == 206
    assert downloads() == 2
    blob_id = ReleaseFile.objects.get(path="w.bin").blob.blob_id
    assert anon.get(f"/blobs/{blob_id}").status_code == 200
    assert downloads() == 3


def test_api_requests_without_a_csrf_token_get_json(owner, repo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(
        vurl(repo, "files_plan"), json.dumps({"files": []}), content_type="application/json"
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "CSRF token" in response.json()["error"]
    page = client.post(vurl(repo, "release_copy", "v1.00"))
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")


def test_a_refusal_is_logged_as_one_line_without_a_traceback(personas, repo, caplog):
    caplog.set_level("INFO")
    response = personas["other"].get(repo.url("repo_settings"))
    assert response.status_code == 403
    assert [r for r in caplog.records if r.getMessage().startswith("refused path=")]
    assert all(record.exc_info is None for record in caplog.records)


def test_a_request_that_looked_before_another_finished_never_writes_over_its_bytes(
    owner, repo, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # B reads the upload while it is still empty; before B gets to write, A sends the whole
    # file in one request. B must not write in place over what A's chunks left there.
    settings.HUB_UPLOAD_CHUNK_SIZE = CHUNK_SIZE
    data = os.urandom(2 * CHUNK_SIZE)
    up = uploads.upload_start(
        release=repo.latest_release, user=owner, path="w.bin", size=len(data), sha256=sha(data)
    )
    real_run, first = uploads._run, []

    def a_finishes_meanwhile(upload, index, length):
        if not first:
            first.append(True)
            uploads.upload_put_chunk(
                upload_id=up.id, user=owner, index=0, stream=io.BytesIO(data), length=len(data)
            )
        return real_run(upload, index, length)

    monkeypatch.setattr(uploads, "_run", a_finishes_meanwhile)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict):
        uploads.upload_put_chunk(
            upload_id=up.id, user=owner, index=0, stream=io.BytesIO(bytes(CHUNK_SIZE)),
            length=CHUNK_SIZE,
        )  # fmt: skip
    blob = ReleaseFile.objects.get(path="w.bin").blob
    with default_storage.open(blob.storage_key, "rb") as stored:
        assert sha(stored.read()) == blob.sha256 == sha(data)


def test_a_chunk_waits_a_while_for_the_request_writing_the_upload_then_is_told_its_state(
    personas, repo, monkeypatch
):
    monkeypatch.setattr(uploads, "WRITER_WAIT", 0.2)
    client = personas["owner"]
    data = b"w" * 2048
    state = post_json(
        client, vurl(repo, "upload_start"), {"path": "w.bin", "size": 2048, "sha256": sha(data)}
    ).json()
    upload = Upload.objects.get(id=state["id"])
    with staging.sole_writer(upload, wait=False) as sole:  # another request writes meanwhile
        assert sole
        answer = client.put(
            f"{state['url']}/chunks/0", data[:1024], content_type="application/octet-stream"
        )
    assert answer.status_code == 409 and "Another request is sending" in answer.json()["error"]
    assert answer.json()["upload"]["chunks_received"] == 0
    again = client.put(
        f"{state['url']}/chunks/0", data[:1024], content_type="application/octet-stream"
    )
    assert again.status_code == 200 and again.json()["chunks_received"] == 1


# Files sent while they are hashed: announced by size, declared after their bytes.


def test_a_plan_by_size_says_upload_only_where_no_copy_can_exist(
    personas, owner, other, repo, django_capture_on_commit_callbacks
):
    upload(personas["owner"], repo, "mine.bin", b"m" * 7)
    upload(personas["other"], RepositoryFactory(owner=other, name="pub"), "p.bin", b"p" * 11)
    hidden = RepositoryFactory(owner=other, name="hidden", visibility="private")
    upload(personas["other"], hidden, "s.bin", b"s" * 13)
    busy = post_json(
        personas["owner"],
        vurl(repo, "upload_start"),
        {"path": "busy.bin", "size": 50, "sha256": sha(b"b" * 50)},
    )
    assert busy.status_code == 201
    files = [
        {"path": "fresh.bin", "size": 5},
        {"path": "same-size.bin", "size": 7},  # as a file of the user's
        {"path": "public-size.bin", "size": 11},  # as a public file of someone else's
        {"path": "secret-size.bin", "size": 13, "sha256": None},  # only a private one has it
        {"path": "mine.bin", "size": 99},  # the path is taken
        {"path": "busy.bin", "size": 50},  # the user's upload with its sha256 resumes
        {"path": "../bad", "size": 1},
    ]
    plan = post_json(personas["owner"], vurl(repo, "files_plan"), {"files": files}).json()
    assert [p["action"] for p in plan["files"]] == [
        "upload", "hash", "hash", "upload", "hash", "hash", "invalid",
    ]  # fmt: skip
    assert "sha256" not in plan["files"][0]


def declared_later(client, repo, path: str, data: bytes, *, declare: str | None = None):
    """Start an upload without sha256, send every byte in one request, then declare it."""
    start = post_json(client, vurl(repo, "upload_start"), {"path": path, "size": len(data)})
    assert start.status_code == 201, start.json()
    state = start.json()
    assert state["sha256"] is None
    with CAPTURE["on_commit"](execute=True):
        sent = client.put(f"{state['url']}/chunks/0", data, content_type="application/octet-stream")
        assert sent.status_code == 200 and sent.json()["status"] == "receiving"
        return client.patch(
            state["url"], json.dumps({"sha256": declare or sha(data)}), "application/json"
        )


def test_a_file_sent_while_hashed_is_checked_against_the_bytes_as_they_came(
    personas, repo, monkeypatch, settings
):
    settings.HUB_UPLOAD_CHUNK_SIZE = CHUNK_SIZE  # chunks of whole leaves: their digests kept
    data = os.urandom(3 * CHUNK_SIZE + 5)  # four chunks in one request
    monkeypatch.setattr(staging, "assemble", lambda *a, **k: pytest.fail("read twice"))
    answer = declared_later(personas["owner"], repo, "w.bin", data)
    assert answer.status_code == 200 and answer.json()["status"] == "done"
    upload_row = Upload.objects.get()
    assert upload_row.sha256 == upload_row.received_sha256 == sha(data)
    blob = ReleaseFile.objects.get(path="w.bin").blob
    reference = BlobIdHasher()
    reference.update(data)
    assert blob.sha256 == sha(data) and blob.blob_id == reference.blob_id()
    # Declaring the same digest again changes nothing; another one is refused.
    again = personas["owner"].patch(
        answer.json()["url"], json.dumps({"sha256": sha(data)}), "application/json"
    )
    assert again.status_code == 200 and again.json()["status"] == "done"
    other = personas["owner"].patch(
        answer.json()["url"], json.dumps({"sha256": sha(b"x")}), "application/json"
    )
    assert other.status_code == 409


def test_a_declaration_that_differs_from_the_bytes_adds_nothing(personas, repo):
    answer = declared_later(personas["owner"], repo, "w.bin", b"w" * 3000, declare=sha(b"x"))
    assert answer.json()["status"] == "failed" and "not the declared one" in answer.json()["error"]
    assert not ReleaseFile.objects.exists() and not Blob.objects.exists()


def test_a_declaration_before_the_last_chunk_or_after_chunks_in_pieces_is_verified(
    personas, repo, django_capture_on_commit_callbacks
):
    client = personas["owner"]
    data = os.urandom(3000)
    state = post_json(client, vurl(repo, "upload_start"), {"path": "a.bin", "size": 3000}).json()
    with django_capture_on_commit_callbacks(execute=True):
        for index in (0, 1, 2):  # one chunk a request: no digest of the whole file
            piece = data[index * 1024 : (index + 1) * 1024]
            client.put(f"{state['url']}/chunks/{index}", piece, "application/octet-stream")
        assert Upload.objects.get().received_sha256 == ""
        declared = client.patch(state["url"], json.dumps({"sha256": sha(data)}), "application/json")
    assert declared.json()["status"] == "done"  # the verification read the staged bytes

    state = post_json(client, vurl(repo, "upload_start"), {"path": "b.bin", "size": 3000}).json()
    client.patch(state["url"], json.dumps({"sha256": sha(data[::-1])}), "application/json")
    with django_capture_on_commit_callbacks(execute=True):
        client.put(f"{state['url']}/chunks/0", data[::-1], "application/octet-stream")
    assert client.get(state["url"]).json()["status"] == "done"  # verified after the last chunk
    assert ReleaseFile.objects.get(path="b.bin").blob.sha256 == sha(data[::-1])


def test_an_undeclared_upload_is_never_resumed_but_replaced(personas, repo):
    client = personas["owner"]
    first = post_json(client, vurl(repo, "upload_start"), {"path": "c.bin", "size": 3000}).json()
    client.put(f"{first['url']}/chunks/0", b"c" * 1024, "application/octet-stream")
    # Nobody can tell its bytes are the file's: the page says it cannot resume.
    page = client.get(repo.latest_release.get_absolute_url()).content.decode()
    assert first["id"] in page and "so it cannot resume: upload the file again" in page
    second = post_json(client, vurl(repo, "upload_start"), {"path": "c.bin", "size": 3000})
    assert second.status_code == 201 and second.json()["id"] != first["id"]
    replaced = Upload.objects.get(pk=first["id"])
    assert replaced.status == "failed" and replaced.error.startswith("Replaced")
    # Someone else's upload at the path is not replaced, nor one with a declared sha256.
    assert (
        post_json(
            client, vurl(repo, "upload_start"), {"path": "c.bin", "size": 3000, "sha256": sha(b"c")}
        ).status_code
        == 201
    )  # replaces the undeclared one again
    refused = post_json(client, vurl(repo, "upload_start"), {"path": "c.bin", "size": 3000})
    assert refused.status_code == 409


def test_an_undeclared_upload_needs_a_free_path(personas, repo, django_capture_on_commit_callbacks):
    upload(personas["owner"], repo, "taken.bin", b"t" * 10)
    response = post_json(
        personas["owner"], vurl(repo, "upload_start"), {"path": "taken.bin", "size": 10}
    )
    assert (
        response.status_code == 409
        and "start its upload with the file's" in (response.json()["error"])
    )


# Files declared by their Blob ID (the browser computes it several times faster than sha256).


def cid(data: bytes) -> str:
    hasher = BlobIdHasher()
    hasher.update(data)
    return hasher.blob_id()


def test_a_plan_by_blob_id_answers_like_one_by_sha256_and_reveals_nothing(
    personas, owner, other, repo, django_capture_on_commit_callbacks
):
    upload(personas["owner"], repo, "mine.bin", b"mine")
    upload(personas["other"], RepositoryFactory(owner=other, name="pub"), "p.bin", b"public")
    hidden = RepositoryFactory(owner=other, name="hidden", visibility="private")
    upload(personas["other"], hidden, "s.bin", b"secret bytes")
    files = [
        {"path": "mine.bin", "size": 4, "blob_id": cid(b"mine")},
        {"path": "copy.bin", "size": 4, "blob_id": cid(b"mine")},
        {"path": "p.bin", "size": 6, "blob_id": cid(b"public")},
        {"path": "s.bin", "size": 12, "blob_id": cid(b"secret bytes")},
        {"path": "new.bin", "size": 3, "blob_id": cid(b"new")},
        {"path": "mine.bin/x", "size": 3, "blob_id": "bafkrei" + "a" * 10},
    ]
    answer = post_json(personas["owner"], vurl(repo, "files_plan"), {"files": files}).json()
    plan = answer["files"]
    assert [p["action"] for p in plan] == [
        "present", "link", "link", "upload", "upload", "invalid",
    ]  # fmt: skip
    assert plan[4]["blob_id"] == cid(b"new") and "sha256" not in plan[4]
    # Private content is answered like new content: nothing of it comes back.
    assert plan[3] == {
        "path": "s.bin",
        "size": 12,
        "action": "upload",
        "blob_id": cid(b"secret bytes"),
    }
    assert "blob_id must be a Blob ID" in plan[5]["message"]
    changed = {"path": "mine.bin", "size": 3, "blob_id": cid(b"new")}
    conflict = post_json(personas["owner"], vurl(repo, "files_plan"), {"files": [changed]})
    assert conflict.json()["files"][0]["action"] == "conflict"
    # A deleted path takes back only its own content, which may be gone from the hub or only
    # in others' hands: by Blob ID the answer would tell which, so the sha256 is asked for.
    DeletedPath.objects.create(release=repo.latest_release, path="gone.bin", sha256=sha(b"x"))
    for content in (b"x", b"secret bytes"):
        back = {"path": "gone.bin", "size": len(content), "blob_id": cid(content)}
        plan = post_json(personas["owner"], vurl(repo, "files_plan"), {"files": [back]}).json()
        assert plan["files"][0]["action"] == "hash"
        start = post_json(personas["owner"], vurl(repo, "upload_start"), back)
        assert start.status_code == 409 and "with the file's sha256" in start.json()["error"]
    linked = post_json(
        personas["owner"], vurl(repo, "files_link"), {"path": "p.bin", "blob_id": cid(b"public")}
    )
    assert linked.status_code == 201
    refused = post_json(
        personas["owner"],
        vurl(repo, "files_link"),
        {"path": "s.bin", "blob_id": cid(b"secret bytes")},
    )
    assert refused.status_code == 404


def test_an_upload_declared_by_its_blob_id_gets_the_sha256_of_its_bytes(
    personas, repo, settings, django_capture_on_commit_callbacks
):
    settings.HUB_UPLOAD_CHUNK_SIZE = CHUNK_SIZE
    client = personas["owner"]
    data = os.urandom(CHUNK_SIZE + 3000)  # two leaves: a dag-pb Blob ID, bafybei…
    assert cid(data).startswith("bafybei")
    body = {"path": "w.bin", "size": len(data), "blob_id": cid(data)}
    state = post_json(client, vurl(repo, "upload_start"), body).json()
    client.put(f"{state['url']}/chunks/0", data[:CHUNK_SIZE], "application/octet-stream")
    again = post_json(client, vurl(repo, "upload_start"), body).json()
    assert again["id"] == state["id"] and again["chunks_received"] == 1  # resumes
    with django_capture_on_commit_callbacks(execute=True):
        client.put(f"{state['url']}/chunks/1", data[CHUNK_SIZE:], "application/octet-stream")
    assert client.get(state["url"]).json()["status"] == "done"
    blob = ReleaseFile.objects.get(path="w.bin").blob
    assert blob.sha256 == sha(data) == Upload.objects.get().sha256 and blob.blob_id == cid(data)
    present = post_json(client, vurl(repo, "upload_start"), body)
    assert present.status_code == 409 and present.json()["state"] == "present"


def test_an_upload_whose_bytes_differ_from_the_declared_blob_id_adds_nothing(
    personas, repo, django_capture_on_commit_callbacks
):
    client = personas["owner"]
    body = {"path": "w.bin", "size": 3000, "blob_id": cid(b"x" * 3000)}
    state = post_json(client, vurl(repo, "upload_start"), body).json()
    with django_capture_on_commit_callbacks(execute=True):
        client.put(f"{state['url']}/chunks/0", b"y" * 3000, "application/octet-stream")
    final = client.get(state["url"]).json()
    assert final["status"] == "failed" and "the Blob ID" in final["error"]
    assert not ReleaseFile.objects.exists() and not Blob.objects.exists()
