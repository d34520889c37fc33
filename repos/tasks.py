"""Periodic work of the repos app (scheduled in `CELERY_BEAT_SCHEDULE`)."""

from celery import shared_task

from repos import services
from repos.models import TRENDING_DAYS


@shared_task(acks_late=True, ignore_result=True)
def prune_daily_activity() -> int:
    """Drop the per-day download and star counters that "trending" no longer reads."""
    return services.activity_prune(keep_days=TRENDING_DAYS)


@shared_task(acks_late=True, ignore_result=True)
def refresh_trending() -> int:
    """Recompute the trending scores from the daily counters, as days leave the window."""
    return services.trending_refresh()
