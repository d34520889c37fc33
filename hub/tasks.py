from celery import shared_task


@shared_task(ignore_result=False)
def ping() -> str:
    """A liveness probe: answered by any worker that is up and reading the queue."""
    return "pong"
