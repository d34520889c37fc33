from django.db.models import QuerySet
from django.http import Http404

from releases.models import Release
from repos.models import Repository


def release_list(*, repository: Repository) -> QuerySet[Release]:
    """Releases of a repository the caller may already read, newest first."""
    return repository.releases.select_related("created_by").order_by("-major", "-minor")


def release_get(*, repository: Repository, version: tuple[int, int]) -> Release:
    major, minor = version
    release = (
        repository.releases.select_related("created_by").filter(major=major, minor=minor).first()
    )
    if release is None:
        raise Http404("No such release.")
    release.repository = repository
    return release
