"""A worker holds a job by a lease, so that two workers never work on one job at once: a token
that every write of the holder checks and renews. A worker that was too slow can neither write
nor sign."""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from inference.models import FINISHED, InferenceJob, Status

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker holds the job now (this one was too slow): stop touching it."""


def claim(job_id: int) -> InferenceJob | None:
    """Take the job's lease, so that two workers never work on one job at once. Every write
    of the holder checks the lease's token and renews it."""
    now = timezone.now()
    token = uuid.uuid4()
    taken = (
        InferenceJob.objects.filter(pk=job_id)
        .exclude(status__in=FINISHED)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(
            lease_until=now + timedelta(seconds=settings.INFERENCE_LEASE_SECONDS),
            lease_token=token,
            attempts=F("attempts") + 1,
        )
    )
    if not taken:
        return None
    return InferenceJob.objects.select_related("file__blob").get(pk=job_id)


def release(job: InferenceJob) -> None:
    InferenceJob.objects.filter(pk=job.pk, lease_token=job.lease_token).update(
        lease_until=None, lease_token=None
    )


def save(job: InferenceJob, **fields) -> None:
    """Write fields of the job if this worker still holds its lease, and renew the lease."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.INFERENCE_LEASE_SECONDS)
    changed = InferenceJob.objects.filter(pk=job.pk, lease_token=job.lease_token).update(
        **{"updated_at": now, "lease_until": lease, **fields}
    )
    if not changed:
        raise LeaseLost(f"job {job.pk}")
    for name, value in fields.items():
        setattr(job, name, value)


def fail(job: InferenceJob, reason: str, **fields) -> None:
    log.info("inference failed job=%s reason=%s", job.pk, reason)
    save(job, status=Status.FAILED, error=reason, finished_at=timezone.now(), **fields)


def lock_own(job: InferenceJob) -> InferenceJob:
    """The job's row, locked, if this worker still holds its lease (else LeaseLost)."""
    locked = InferenceJob.objects.select_for_update().get(pk=job.pk)
    if locked.lease_token != job.lease_token:
        raise LeaseLost(f"job {job.pk}")
    return locked


def note_problem(job_id: int, problem: str) -> None:
    InferenceJob.objects.filter(pk=job_id).update(last_problem=problem, updated_at=timezone.now())


def stuck_job_ids(limit: int = 500) -> list[int]:
    """Unfinished jobs nobody is working on that have not moved for a while."""
    now = timezone.now()
    return list(
        InferenceJob.objects.exclude(status__in=FINISHED)
        .filter(updated_at__lt=now - timedelta(seconds=settings.INFERENCE_STUCK_AFTER))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
