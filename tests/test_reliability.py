"""Uploads reach a final state whatever fails: repeated and concurrent chunks, a worker that
dies while verifying, a broker that is away, staging space that is never given back."""

import hashlib
import json
import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.utils import timezone

from hub import storage
from hub.celery import app as celery_app
from releases import tasks
from releases.models import ReleaseFile, Upload, UploadStatus, blob_storage_key
from releases.services import staging, verification
from tests.factories import RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice(shared_storage, seeded, settings):
    # Every upload here goes the worker's way, whatever its size (small files are otherwise
    # verified in the request of their last chunk).
    settings.HUB_UPLOAD_VERIFY_INLINE = 0
    owner = UserFactory(username="alice")
    repo = RepositoryFactory(owner=owner, name="weights")
    client = Client()
    client.force_login(owner)
    return owner, repo, client


@pytest.fixture
def by_hand(settings):
    """Nothing this test queues reaches a worker: the test runs the verification itself (a
    live worker from another test would otherwise race it, or write while the test's tables
    are emptied)."""
    stop_the_task_from_being_sent(settings)
    yield
    restore_sending(settings)


def _start(client, repo, path: str, data: bytes) -> dict:
    response = client.post(
        f"/api/v1/repos/{repo.full_name}/releases/v1.00/uploads",
        json.dumps({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def _put(client, state: dict, index: int, body: bytes):
    return client.put(
        f"{state['url']}/chunks/{index}", body, content_type="application/octet-stream"
    )


def _piece(state: dict, data: bytes, index: int) -> bytes:
    return data[index * state["chunk_size"] : (index + 1) * state["chunk_size"]]


def _staged(state: dict) -> bytes:
    return Path(default_storage.path(f"uploads/{state['id']}/data")).read_bytes()


def _wait_done(client, state: dict, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while state["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        state = client.get(state["url"]).json()
    return state


def test_tabs_sending_the_same_chunk_at_once_leave_exactly_the_accepted_bytes(alice, by_hand):
    owner, repo, client = alice
    data = os.urandom(3 * 64 * 1024)
    state = _start(client, repo, "model.bin", data)
    for index in range(state["chunk_count"]):
        barrier = threading.Barrier(3)
        answers: list[tuple[int, dict]] = []

        def send(index=index, barrier=barrier, answers=answers) -> None:
            tab = Client()
            tab.force_login(owner)
            barrier.wait()
            response = _put(tab, state, index, _piece(state, data, index))
            answers.append((response.status_code, response.json()))
            connection.close()

        threads = [threading.Thread(target=send) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if index < state["chunk_count"] - 1:
            assert [status for status, _ in answers] == [200, 200, 200]
        else:  # the first to land hands the file to the verification; the others are told so
            assert sorted(status for status, _ in answers) == [200, 409, 409]
            told = [body["upload"] for status, body in answers if status == 409]
            assert {upload["status"] for upload in told} <= {"verifying", "done"}
        # Other bytes for a chunk already accepted are refused and change nothing.
        assert _put(client, state, index, os.urandom(64 * 1024)).status_code == 409
        if index < state["chunk_count"] - 1:  # the last chunk hands the bytes on to the worker
            assert _staged(state) == data[: (index + 1) * state["chunk_size"]]
            folder = Path(default_storage.path(f"uploads/{state['id']}"))
            # No stray bodies: the staged bytes and each accepted chunk's leaf digests.
            leaves = [f"leaves-{i:06d}" for i in range(index + 1)]
            assert sorted(p.name for p in folder.iterdir()) == ["data", *leaves, "lock"]
    upload = Upload.objects.get(id=state["id"])
    assert upload.chunks_received == upload.chunk_count
    verification.upload_complete(upload=upload)
    assert client.get(state["url"]).json()["status"] == "done"
    assert ReleaseFile.objects.get(path="model.bin").blob.sha256 == upload.sha256


def test_a_repeated_chunk_with_the_same_bytes_changes_nothing(alice, by_hand):
    _owner, repo, client = alice
    data = os.urandom(2 * 64 * 1024)
    state = _start(client, repo, "model.bin", data)
    for index in (0, 0, 1, 0, 1):
        response = _put(client, state, index, _piece(state, data, index))
        assert response.status_code == 200, response.json()
        if index == 1:
            break  # the last chunk: from here on the upload takes no more chunks
    assert Upload.objects.get(id=state["id"]).chunks_received == 2
    again = _put(client, state, 1, _piece(state, data, 1))
    assert again.status_code == 409 and again.json()["upload"]["chunks_received"] == 2


def test_a_verification_interrupted_after_the_bytes_moved_finishes_on_the_next_run(alice, by_hand):
    _owner, repo, client = alice
    data = os.urandom(100 * 1024)
    state = _start(client, repo, "model.bin", data)
    for index in range(state["chunk_count"]):
        assert _put(client, state, index, _piece(state, data, index)).status_code == 200
    upload = Upload.objects.get(id=state["id"])
    # The first run verified the bytes and moved them into place, then its worker died
    # before the blob and the file were committed.
    source = verification._verify(upload)
    storage.move(default_storage, source, blob_storage_key(upload.sha256))
    staging.discard(upload)
    Upload.objects.filter(pk=upload.pk).update(lease_until=None)
    verification.upload_complete(upload=Upload.objects.get(pk=upload.pk))
    upload.refresh_from_db()
    assert upload.status == UploadStatus.DONE, upload.error
    rf = ReleaseFile.objects.get(path="model.bin")
    assert rf.blob.blob_id == upload.blob_id
    assert b"".join(client.get(f"/{repo.full_name}/resolve/v1.00/model.bin").streaming_content) == (
        data
    )


def test_a_verification_nobody_finished_is_resumed_by_the_periodic_check(
    alice, celery_worker_process, settings
):
    """A worker died mid-verification (or the task was never queued): its lease runs out,
    the periodic check queues it again and a live worker finishes it."""
    _owner, repo, client = alice
    data = os.urandom(200 * 1024)
    state = _start(client, repo, "model.bin", data)
    stop_the_task_from_being_sent(settings)
    for index in range(state["chunk_count"]):
        assert _put(client, state, index, _piece(state, data, index)).status_code == 200
    upload = Upload.objects.get(id=state["id"])
    assert upload.status == UploadStatus.VERIFYING
    # The dead worker's lease, now past, and no sign of life for a while.
    long_ago = timezone.now() - timedelta(seconds=settings.HUB_UPLOAD_STUCK_AFTER + 5)
    Upload.objects.filter(pk=upload.pk).update(lease_until=long_ago, updated_at=long_ago)
    restore_sending(settings)
    assert tasks.resume_stuck_uploads() == 1
    state = _wait_done(client, state)
    assert state["status"] == "done", state["error"]
    assert ReleaseFile.objects.get(path="model.bin").blob.sha256 == upload.sha256


def test_a_held_lease_keeps_a_second_run_away(alice, by_hand):
    _owner, repo, client = alice
    data = os.urandom(10 * 1024)
    state = _start(client, repo, "model.bin", data)
    assert _put(client, state, 0, data).status_code == 200
    upload = Upload.objects.get(id=state["id"])
    assert verification._take_lease(upload)
    assert not verification._take_lease(upload)  # a second run while the first works
    assert verification.uploads_stuck() == []
    verification.upload_complete(upload=upload)  # does nothing: the lease is held
    assert Upload.objects.get(pk=upload.pk).status == UploadStatus.VERIFYING


BROKEN_BROKER = "redis://127.0.0.1:1/0"


def _point_celery_at(url: str) -> None:
    # The app keeps its connection pools; kombu keeps one pool per broker URL, so dropping
    # the app's references makes it take the pool of the new URL.
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def stop_the_task_from_being_sent(settings) -> None:
    """Point this process's Celery client at a port where nothing listens."""
    settings.CELERY_BROKER_URL = BROKEN_BROKER
    _point_celery_at(BROKEN_BROKER)


def restore_sending(settings) -> None:
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
    _point_celery_at(os.environ["REDIS_URL"])


def test_with_the_broker_away_the_last_chunk_says_so_and_the_work_waits(
    alice, celery_worker_process, settings
):
    _owner, repo, client = alice
    data = os.urandom(100 * 1024)
    state = _start(client, repo, "model.bin", data)
    stop_the_task_from_being_sent(settings)
    try:
        for index in range(state["chunk_count"]):
            response = _put(client, state, index, _piece(state, data, index))
            assert response.status_code == 200
    finally:
        restore_sending(settings)
    last = response.json()
    assert last["status"] == "verifying"
    assert "as soon as the hub's workers are reachable" in last["note"]
    upload = Upload.objects.get(id=state["id"])
    long_ago = timezone.now() - timedelta(seconds=settings.HUB_UPLOAD_STUCK_AFTER + 5)
    Upload.objects.filter(pk=upload.pk).update(updated_at=long_ago)
    assert tasks.resume_stuck_uploads() == 1
    assert _wait_done(client, state)["status"] == "done"


def test_pages_work_without_redis_as_a_cache(alice, settings):
    _owner, repo, client = alice
    settings.CACHES = {  # Django drops its cache connections when this setting changes
        "default": {
            "BACKEND": "hub.cache.DegradingRedisCache",
            "LOCATION": BROKEN_BROKER,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    for url in ["/", "/models", "/models?q=weights", f"/{repo.full_name}/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert (
            "alice/weights" in response.content.decode() or "weights" in response.content.decode()
        )


def test_a_users_unfinished_uploads_have_a_quota(alice, settings):
    _owner, repo, client = alice
    settings.HUB_UPLOAD_QUOTA = 250 * 1024
    _start(client, repo, "one.bin", b"1" * (200 * 1024))
    data = b"2" * (100 * 1024)
    digest = hashlib.sha256(data).hexdigest()
    response = client.post(
        f"/api/v1/repos/{repo.full_name}/releases/v1.00/uploads",
        json.dumps({"path": "two.bin", "size": len(data), "sha256": digest}),
        content_type="application/json",
    )
    assert response.status_code == 413
    answer = response.json()
    assert answer["used"] == 200 * 1024 and answer["quota"] == 250 * 1024
    assert "200.0 KiB of your 250.0 KiB" in answer["error"]
    assert Upload.objects.count() == 1


def test_abandoned_and_failed_uploads_give_their_staging_space_back(alice, settings):
    _owner, repo, client = alice
    data = os.urandom(3 * 64 * 1024)
    abandoned = _start(client, repo, "old.bin", data)
    assert _put(client, abandoned, 0, _piece(abandoned, data, 0)).status_code == 200
    failed = _start(client, repo, "bad.bin", data)
    assert _put(client, failed, 0, _piece(failed, data, 0)).status_code == 200
    Upload.objects.filter(id=failed["id"]).update(status=UploadStatus.FAILED)  # e.g. a crash
    live = _start(client, repo, "live.bin", data)
    assert _put(client, live, 0, _piece(live, data, 0)).status_code == 200
    week_ago = timezone.now() - timedelta(days=settings.HUB_UPLOAD_EXPIRE_DAYS, minutes=1)
    Upload.objects.filter(id=abandoned["id"]).update(updated_at=week_ago)
    assert tasks.clean_up_uploads() == 1
    folders = {p.name for p in Path(default_storage.path("uploads")).iterdir()}
    assert folders == {live["id"]}
    assert Upload.objects.get(id=abandoned["id"]).status == UploadStatus.FAILED
    assert Upload.objects.get(id=live["id"]).status == UploadStatus.RECEIVING


def test_with_the_broker_away_a_test_inference_is_recorded_and_starts_later(
    anvil, celery_worker_process, shared_storage, seeded, settings
):
    from inference.models import InferenceJob, Status
    from inference.tasks import resume_stuck_jobs
    from inference.tests.helpers import onnx_file, wait_for

    runner = UserFactory(username="op", is_staff=True, is_superuser=True)
    rf = onnx_file(RepositoryFactory(owner=runner, name="risky"), "risk.onnx")
    client = Client()
    client.force_login(runner)
    stop_the_task_from_being_sent(settings)
    try:
        response = client.post(
            f"/inference/files/{rf.pk}/run/",
            {"input_0": "[[0.1, 0.2, 0.3, 0.4]]", "mode": "VANILLA"},
            follow=True,
        )
    finally:
        restore_sending(settings)
    assert response.status_code == 200
    assert "will start as soon as the hub&#x27;s workers are reachable" in response.content.decode()
    job = InferenceJob.objects.get()
    assert job.status == Status.QUEUED
    settings.INFERENCE_STUCK_AFTER = 0
    assert resume_stuck_jobs() == 1
    job = wait_for(job, Status.CONFIRMED, Status.FAILED)
    assert job.status == Status.CONFIRMED, job.error
    assert InferenceJob.objects.count() == 1  # one job, one transaction: nothing sent twice


def test_bodies_of_single_request_uploads_left_by_a_dead_process_are_swept(alice):
    from django.core.files.base import ContentFile

    default_storage.save("incoming/fresh", ContentFile(b"still arriving"))
    default_storage.save("incoming/stale", ContentFile(b"its process died"))
    two_days_ago = time.time() - 2 * 86400
    os.utime(default_storage.path("incoming/stale"), (two_days_ago, two_days_ago))
    tasks.clean_up_uploads()
    assert default_storage.exists("incoming/fresh")
    assert not default_storage.exists("incoming/stale")


def test_a_small_file_is_verified_in_the_request_of_its_last_chunk(alice, by_hand, settings):
    settings.HUB_UPLOAD_VERIFY_INLINE = 1024 * 1024
    _owner, repo, client = alice
    data = os.urandom(100 * 1024)  # two chunks of 64 KiB, no worker and no broker needed
    state = _start(client, repo, "small.bin", data)
    for index in range(state["chunk_count"]):
        answer = _put(client, state, index, _piece(state, data, index))
        assert answer.status_code == 200
    assert answer.json()["status"] == "done" and "note" not in answer.json()
    assert ReleaseFile.objects.get(path="small.bin").blob.size == len(data)
