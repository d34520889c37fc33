"""Uploads end to end with a real Celery worker process on the test database."""

import hashlib
import json
import os
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from releases.models import Blob, ReleaseFile, Upload
from tests.factories import RepositoryFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def _start(client, repo, path, data):
    return client.post(
        f"/api/v1/repos/{repo.owner.username}/{repo.name}/releases/v1.00/uploads",
        json.dumps({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}),
        content_type="application/json",
    )


def test_the_worker_verifies_an_upload_and_the_file_appears(
    celery_worker_process, shared_storage, seeded
):
    owner = UserFactory(username="wendy")
    repo = RepositoryFactory(owner=owner, name="worker-upload")
    client = Client()
    client.force_login(owner)
    data = os.urandom(300 * 1024)  # five chunks of 64 KiB
    state = _start(client, repo, "weights.bin", data).json()
    for index in range(state["chunk_count"]):
        piece = data[index * state["chunk_size"] : (index + 1) * state["chunk_size"]]
        response = client.put(
            f"{state['url']}/chunks/{index}", piece, content_type="application/octet-stream"
        )
        assert response.status_code == 200
    deadline = time.monotonic() + 30
    while state["status"] != "done" and time.monotonic() < deadline:
        time.sleep(0.2)
        state = client.get(state["url"]).json()
        assert state["status"] != "failed", state["error"]
    assert state["status"] == "done"
    rf = ReleaseFile.objects.select_related("blob").get(path="weights.bin")
    assert rf.blob.sha256 == hashlib.sha256(data).hexdigest()
    download = client.get("/wendy/worker-upload/resolve/v1.00/weights.bin")
    assert b"".join(download.streaming_content) == data


def test_two_identical_uploads_at_the_same_moment_become_one(shared_storage, seeded):
    owner = UserFactory(username="twins")
    repo = RepositoryFactory(owner=owner, name="race")
    data = b"same file, sent twice at once"
    barrier = threading.Barrier(4)
    answers = []

    def start():
        client = Client()
        client.force_login(owner)
        barrier.wait()
        response = _start(client, repo, "model.bin", data)
        answers.append((response.status_code, response.json().get("id")))
        connection.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _ in answers} == {201}
    assert len({upload_id for _, upload_id in answers}) == 1
    assert Upload.objects.count() == 1
    assert not Blob.objects.exists()
