"""Counting downloads."""

from repos.services import repository_download_record


def download_record(*, repository_id: int) -> None:
    """Count one download of the repository's files (its total and today's counter, for
    "trending")."""
    repository_download_record(repository_id=repository_id)
