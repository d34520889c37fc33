"""Revisions as `huggingface_hub` names them, mapped onto releases.

A release has no git commit; its commit id is derived from its row and number (sha1 of
both), so it is stable, 40 hex digits like the client expects, and different for every
release ever made, even one deleted and numbered again.
"""

import hashlib
import re

from hub.errors import NotFound
from releases import selectors
from releases.models import Release
from repos.models import Repository

MAIN = "main"
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
NO_REVISION = "No such revision: use main, a release (v1.01 or 1.01) or a release's commit id."


def commit_id(release: Release) -> str:
    return hashlib.sha1(
        f"hub-release:{release.pk}:{release.version}".encode(), usedforsecurity=False
    ).hexdigest()


def release_by_revision(*, repository: Repository, revision: str | tuple[int, int]) -> Release:
    """The release of a readable repository that `revision` names; NotFound otherwise."""
    if isinstance(revision, tuple):  # already parsed by the URL's version converter
        return selectors.release_get(repository=repository, version=revision)
    if revision == MAIN:
        release = selectors.release_list(repository=repository).first()
    elif version := selectors.version_of(revision):
        return selectors.release_get(repository=repository, version=version)
    elif COMMIT_RE.match(revision):
        release = next(
            (r for r in selectors.release_list(repository=repository) if commit_id(r) == revision),
            None,
        )
    else:
        release = None
    if release is None:
        raise NotFound(NO_REVISION)
    release.repository = repository
    return release
