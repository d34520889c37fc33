"""`releases/<version>/zip`: a release's files as one streamed zip with a manifest, on local
storage and on S3, readable by who may read the repository and counted as a download."""

import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import empty

from releases.models import Blob
from releases.services.files import file_add_content
from repos.models import DailyActivity, Repository
from tests import s3
from tests.factories import RepositoryFactory
from tests.personas import who_may_read
from tests.s3 import moto_server

pytestmark = pytest.mark.django_db
FILES = {
    "model.onnx": bytes(range(256)) * 1000,
    "config/settings.json": b'{"layers": 3}\n',
    "README.md": "# Ünïcode card\n".encode(),
    "empty.txt": b"",
}


def zip_url(repo, version=(1, 0)) -> str:
    kwargs = {"owner": repo.owner.username, "name": repo.name, "version": version}
    return reverse("release_zip", kwargs=kwargs)


def filled(repo):
    for path, data in FILES.items():
        file_add_content(release=repo.latest_release, path=path, data=data, user=repo.owner)
    return repo


def unzip(response) -> zipfile.ZipFile:
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    return zipfile.ZipFile(io.BytesIO(body))


def check_archive(response, repo):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f'filename="{repo.name}-v1.00.zip"' in response["Content-Disposition"]
    archive = unzip(response)
    assert archive.testzip() is None  # every member's CRC is right
    assert archive.namelist()[0] == "MANIFEST.json"
    assert {name: archive.read(name) for name in archive.namelist()[1:]} == FILES
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    manifest = json.loads(archive.read("MANIFEST.json"))
    assert manifest["repository"] == repo.full_name and manifest["release"] == "v1.00"
    blobs = {b.sha256: b.blob_id for b in Blob.objects.all()}
    assert manifest["files"] == [
        {
            "path": path,
            "size": len(FILES[path]),
            "sha256": hashlib.sha256(FILES[path]).hexdigest(),
            "blob_id": blobs[hashlib.sha256(FILES[path]).hexdigest()],
        }
        for path in sorted(FILES)
    ]
    assert manifest["omitted"] == []


def test_the_zip_holds_every_file_and_a_manifest_of_them(local_storage, personas, owner):
    repo = filled(RepositoryFactory(owner=owner, name="zipped"))
    check_archive(personas["anonymous"].get(zip_url(repo)), repo)


@who_may_read
def test_who_may_download_the_zip_is_who_may_read(
    local_storage, personas, owner, visibility, expected
):
    repo = filled(RepositoryFactory(owner=owner, visibility=visibility))
    got = {who: c.get(zip_url(repo)).status_code for who, c in personas.items()}
    assert got == expected
    assert personas["owner"].get(zip_url(repo, (9, 0))).status_code == 404


def test_a_zip_counts_as_one_download_and_a_head_as_none(local_storage, client, owner):
    repo = filled(RepositoryFactory(owner=owner))
    head = client.head(zip_url(repo))
    assert head.status_code == 200 and int(head["Content-Length"]) > sum(map(len, FILES.values()))
    assert Repository.objects.get(pk=repo.pk).downloads == 0
    b"".join(client.get(zip_url(repo)).streaming_content)
    assert Repository.objects.get(pk=repo.pk).downloads == 1
    assert DailyActivity.objects.get(repository=repo).downloads == 1
    assert client.post(zip_url(repo)).status_code == 405


def test_blocked_content_is_left_out_and_named_in_the_manifest(local_storage, client, owner):
    repo = filled(RepositoryFactory(owner=owner))
    Blob.objects.filter(sha256=hashlib.sha256(FILES["model.onnx"]).hexdigest()).update(
        blocked_at=timezone.now()
    )
    archive = unzip(client.get(zip_url(repo)))
    assert "model.onnx" not in archive.namelist()
    manifest = json.loads(archive.read("MANIFEST.json"))
    assert [f["path"] for f in manifest["files"]] == [
        "README.md",
        "config/settings.json",
        "empty.txt",
    ]
    assert manifest["omitted"] == [
        {"path": "model.onnx", "reason": "removed by the moderators as unsafe"}
    ]


def test_a_file_named_like_the_manifest_keeps_its_name(local_storage, client, owner):
    repo = RepositoryFactory(owner=owner)
    release = repo.latest_release
    file_add_content(release=release, path="MANIFEST.json", data=b"mine", user=owner)
    archive = unzip(client.get(zip_url(repo)))
    assert archive.read("MANIFEST.json") == b"mine"
    assert json.loads(archive.read("_MANIFEST.json"))["files"][0]["path"] == "MANIFEST.json"


def test_an_empty_release_is_a_zip_of_its_manifest(local_storage, client, owner):
    repo = RepositoryFactory(owner=owner)
    archive = unzip(client.get(zip_url(repo)))
    assert archive.namelist() == ["MANIFEST.json"]


BUCKET = "hub-zip-test"


@pytest.fixture
def s3_storage(settings):
    with moto_server(BUCKET) as endpoint:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": s3.storage_backend(endpoint, BUCKET),
        }
        default_storage._wrapped = empty
        yield
        default_storage._wrapped = empty


def test_the_zip_streams_from_s3(s3_storage, personas, owner):
    repo = filled(RepositoryFactory(owner=owner, name="on-s3"))
    check_archive(personas["other"].get(zip_url(repo)), repo)


def test_the_release_page_links_to_the_zip_when_it_has_files(local_storage, client, owner):
    repo = RepositoryFactory(owner=owner)
    page = repo.url("release_detail", version=(1, 0))
    assert "Download all (zip)" not in client.get(page).content.decode()
    filled(repo)
    assert (
        f'href="{zip_url(repo)}" download>Download all (zip)' in client.get(page).content.decode()
    )


def test_the_zip_checksums_match_zlib(local_storage, client, owner):
    """The CRCs come from zlib-ng's crc32 (releases/archive.py): Python's zipfile checks them
    against its own; a large member too."""
    repo = RepositoryFactory(owner=owner)
    big = bytes(range(251)) * 40_000  # ~10 MB, many pieces
    file_add_content(release=repo.latest_release, path="big.bin", data=big, user=owner)
    archive = unzip(client.get(zip_url(repo)))
    assert archive.testzip() is None and archive.read("big.bin") == big
