from django.db.models import Q, QuerySet
from django.http import Http404

from releases.models import Release, ReleaseFile
from repos.models import Repository
from repos.selectors import readable_q


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


def release_file_readable_by_blob_id(*, user, blob_id: str) -> ReleaseFile:
    """A file with this Blob ID in a repository `user` may read; 404 otherwise."""
    rf = (
        ReleaseFile.objects.filter(readable_q(user, prefix="release__repository__"))
        .filter(blob__blob_id=blob_id)
        .select_related("blob", "release__repository__owner")
        .order_by("-created_at")
        .first()
    )
    if rf is None:
        raise Http404("No such blob.")
    return rf


def release_files(*, release: Release) -> list[ReleaseFile]:
    files = list(release.files.select_related("blob").order_by("path"))
    for rf in files:
        rf.release = release
    return files


def release_previous(*, release: Release) -> Release | None:
    """The release just before `release` in version order."""
    return (
        release.repository.releases.filter(
            Q(major__lt=release.major) | Q(major=release.major, minor__lt=release.minor)
        )
        .order_by("-major", "-minor")
        .first()
    )
