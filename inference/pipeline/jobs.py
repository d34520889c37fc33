"""A job's way through a worker: claim it, check that it may run, run the model, sign, follow;
and what is left when a step fails."""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from inference import chain, tensors
from inference.models import InferenceJob, Status
from inference.pipeline.leases import LeaseLost, claim, fail, release, save
from inference.pipeline.transactions import Transient, follow, sign_and_store
from inference.runtime import ModelError, run_model
from releases.models import Blob
from repos import access

log = logging.getLogger(__name__)


def advance(job_id: int) -> None:
    """Move the job as far as it can go now."""
    job = claim(job_id)
    if job is None:
        return
    try:
        _advance(job)
    except LeaseLost:
        log.warning("inference lease lost job=%s", job.pk)
    except Transient:
        raise
    except ImproperlyConfigured as exc:
        log.error("inference settings incomplete job=%s problem=%s", job.pk, exc)
        _stop(job, f"The hub's chain settings are incomplete: {exc}")
    except Exception as exc:
        # A bug or an unforeseen answer: say so on the job rather than leave it running.
        log.exception("inference error job=%s", job.pk)
        _stop(job, f"Unexpected error in the worker: {exc.__class__.__name__}: {exc}")
    finally:
        release(job)


def _stop(job: InferenceJob, problem: str) -> None:
    """Fail a job that has signed nothing; a signed one only notes the problem, since its
    transaction may still be mined."""
    try:
        if job.tx_hash is None:
            fail(job, problem)
        else:
            save(job, last_problem=problem)
    except LeaseLost:
        pass


def _advance(job: InferenceJob) -> None:
    backend = chain.backend()
    if job.tx_hash is None:
        if job.status == Status.QUEUED:
            save(job, status=Status.RUNNING, started_at=timezone.now())
        refusal = why_not_runnable(job, backend)
        if refusal:
            fail(job, refusal)
            return
        if backend.runs_model and job.outputs is None and not run_model_step(job):
            return
        if not sign_and_store(job, backend):
            return
        follow(job, backend, fresh=True)
        return
    follow(job, backend)


def why_not_runnable(job: InferenceJob, backend) -> str:
    """Why the job's model must not run (here or on the network), or "": its content was
    blocked by the moderators, or the file the worker would run is gone. Asked before the
    model's bytes are read and before anything is signed."""
    if job.file is not None:
        blob = job.file.blob
    else:  # deleted; a moderator's deletion also blocks the content, wherever it is
        blob = Blob.objects.filter(blob_id=job.model_id).first()
    if blob is not None and not access.content_usable(blob):
        return f"{access.BLOCKED_MESSAGE} It cannot be run."
    if job.file is None and backend.runs_model and job.outputs is None:
        return "The file was deleted before the model could run."
    return ""


def run_model_step(job: InferenceJob) -> bool:
    """Run the model in this worker and store the outputs; False when the job failed."""
    try:
        outputs = run_model(job.file.blob, job.inputs)
    except ModelError as exc:
        fail(job, str(exc))
        return False
    save(job, outputs=outputs, output_sha256=tensors.sha256_hex(outputs))
    return True


def give_up(job_id: int, problem: str) -> None:
    """Retries are spent. A job whose transaction is signed is not failed, since that
    transaction may still be mined: it stays submitted for the periodic check."""
    job = claim(job_id)
    if job is None:
        return  # finished, or another worker has it
    try:
        attempts = settings.INFERENCE_RPC_RETRIES + 1
        _stop(
            job,
            f"The chain's RPC endpoint could not be reached after {attempts} attempts ({problem}).",
        )
    finally:
        release(job)
