"""A full disk, for real (a small tmpfs as the file storage): every door that takes bytes
answers a 503 problem, and nothing of the refused request stays behind (no staged body, no
blob, no file in the release): the room is all there again for the next upload."""

import hashlib
import json
from pathlib import Path

import pytest
from django.urls import reverse

from releases.models import Blob, ReleaseFile, Upload
from releases.tests.test_api_v1 import client_for, multipart_body, put_file

pytestmark = pytest.mark.django_db
KIB = 1024


def stored_files(disk: Path) -> list[Path]:
    return [p for p in disk.rglob("*") if p.is_file()]


def assert_full_disk_answer(answer) -> None:
    assert answer.status_code == 503, answer.content[:300]
    assert answer["Content-Type"] == "application/problem+json"
    assert "storage is unavailable or full; nothing was saved" in answer.json()["detail"]


@pytest.fixture
def disk(small_disk, settings):
    settings.HUB_UPLOAD_CHUNK_SIZE = 256 * KIB
    return small_disk


def test_a_file_put_whole_on_a_full_disk_is_a_503_and_leaves_nothing(owner, public_repo, disk):
    api = client_for(owner)
    url = f"/api/v1/repos/{public_repo.full_name}/releases/v1.00/files/weights.bin"
    assert_full_disk_answer(put_file(api, url, b"w" * 512 * KIB))  # more than the disk holds
    assert stored_files(disk) == []
    assert not Blob.objects.exists() and not ReleaseFile.objects.exists()
    # All the room is free again: a file of most of the disk goes in.
    assert put_file(api, url, b"w" * 300 * KIB).status_code == 201


def test_a_batch_on_a_full_disk_is_a_503_and_leaves_nothing(owner, public_repo, disk):
    api = client_for(owner)
    url = f"/api/v1/repos/{public_repo.full_name}/releases/v1.00/files"
    # The first file fits and is staged; the second fills the disk.
    body, content_type = multipart_body(
        [(f"f{n}.bin", bytes([n]) * 200 * KIB, None) for n in (1, 2, 3)]
    )
    assert_full_disk_answer(api.post(url, body, content_type=content_type))
    assert stored_files(disk) == []
    assert not Blob.objects.exists() and not ReleaseFile.objects.exists()
    body, content_type = multipart_body([("f1.bin", b"\x01" * 250 * KIB, None)])
    answer = api.post(url, body, content_type=content_type)
    assert [f["status"] for f in answer.json()["files"]] == ["added"]


def test_a_chunk_on_a_full_disk_is_a_503_and_the_upload_resumes_from_the_chunks_kept(
    owner, public_repo, disk
):
    api = client_for(owner)
    data = b"c" * 512 * KIB
    declared = {"path": "c.bin", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    start = api.post(
        reverse("upload_start", kwargs={
            "owner": owner.username, "name": public_repo.name, "version": (1, 0),
        }),
        json.dumps(declared),
        content_type="application/json",
    ).json()  # fmt: skip
    chunk = 256 * KIB
    put = lambda i: api.put(  # noqa: E731
        f"{start['url']}/chunks/{i}", data[i * chunk : (i + 1) * chunk],
        content_type="application/octet-stream",
    )  # fmt: skip
    assert put(0).status_code == 200
    assert_full_disk_answer(put(1))
    upload = Upload.objects.get()
    assert upload.chunks_received == 1  # the accepted chunk stays for the retry, no more
    staged = [p for p in stored_files(disk) if p.name == "data"]
    assert [p.stat().st_size for p in staged] == [chunk]
    assert not Blob.objects.exists() and not ReleaseFile.objects.exists()
