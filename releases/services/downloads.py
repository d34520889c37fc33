"""Counting downloads."""

from django.db.models import F

from repos.models import Repository


def download_record(*, repository_id: int) -> None:
    """Count one download of a file of the repository (one atomic UPDATE)."""
    Repository.objects.filter(pk=repository_id).update(downloads=F("downloads") + 1)
