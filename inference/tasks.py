import logging

from celery import shared_task
from django.conf import settings

from hub import queue
from inference import pipeline

log = logging.getLogger(__name__)


def retry_delay(retries: int) -> int:
    """Seconds before retry number `retries` + 1: doubling, at most a minute."""
    return min(settings.INFERENCE_RETRY_DELAY * 2**retries, 60)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def run_inference(self, job_id: int) -> None:
    """Take an inference job as far as it goes: safe to run any number of times."""
    try:
        pipeline.advance(job_id)
    except pipeline.Transient as exc:
        retries = self.request.retries
        if retries >= settings.INFERENCE_RPC_RETRIES:
            pipeline.give_up(job_id, str(exc))
            return
        delay = retry_delay(retries)
        pipeline.note_problem(
            job_id, f"The chain could not be reached ({exc}); trying again in {delay} s."
        )
        log.info("inference retry job=%s in=%ss problem=%s", job_id, delay, exc)
        raise self.retry(countdown=delay) from None


@shared_task(acks_late=True, ignore_result=True)
def resume_stuck_jobs() -> int:
    """Periodic: hand unfinished jobs that nobody works on back to the workers."""
    ids = pipeline.stuck_job_ids()
    for job_id in ids:
        queue.send(run_inference, job_id)
    if ids:
        log.info("inference resumed jobs=%s", len(ids))
    return len(ids)
