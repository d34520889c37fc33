from typing import Any

from django.conf import settings
from django.db import transaction

from hub import queue
from hub.errors import Blocked, NotFound
from inference import tensors
from inference.models import InferenceJob, Mode
from releases.models import ReleaseFile
from repos import access


def file_label(rf: ReleaseFile) -> str:
    repo = rf.release.repository
    return f"{repo.owner.username}/{repo.name} {rf.release.version} {rf.path}"


def job_create(
    *,
    file: ReleaseFile,
    user,
    mode: Mode,
    inputs: dict[str, dict[str, Any]],
    enqueue: bool = True,
) -> InferenceJob:
    """Record a test inference of `file` and queue it once the record is committed
    (`enqueue=False` leaves the sending to the caller: benchmarks and tests). When the broker
    cannot be reached the job stays queued in the database, `job.queued` is False, and the
    periodic check sends it once the broker is back.

    Raises NotFound when `user` may not run it and Blocked for content the moderators removed.
    """
    from inference.tasks import run_inference

    if not (access.may_run_inference(user) and access.may_read(user, file.release.repository)):
        raise NotFound("No such file.")
    if not access.content_usable(file.blob):
        raise Blocked(f"{access.BLOCKED_MESSAGE} It cannot be run.")

    job = InferenceJob.objects.create(  # one INSERT: committed at once
        file=file,
        repository=file.release.repository,
        model_id=file.blob.blob_id,
        file_label=file_label(file),
        requested_by=user,
        mode=mode,
        inputs=inputs,
        input_sha256=tensors.sha256_hex(inputs),
        backend=settings.CHAIN_BACKEND,
    )
    if enqueue:

        def send() -> None:
            job.queued = queue.send(run_inference, job.pk)

        transaction.on_commit(send)
    return job
