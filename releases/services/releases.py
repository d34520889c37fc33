"""Writes of releases, and the creation of a repository with its first release. Version
numbers are assigned here and nowhere else."""

import logging
from typing import Literal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from hub.errors import Invalid, NotFound
from hub.markdown import Unrenderable, html_text_excerpt, render_markdown
from releases.models import NOTES_EXCERPT_CHARS, Release
from releases.services.files import release_copy_files
from repos import services as repo_services
from repos.models import Repository

log = logging.getLogger(__name__)

Bump = Literal["minor", "major"]
_ATTEMPTS = 5


def notes_derived(notes: str) -> dict[str, str]:
    """Release notes with what is derived from them, as `Release` fields: their HTML (shown
    on the release's own page) and a short excerpt of their text (shown in lists, which never
    show the HTML: a list of releases would multiply notes up to `hub.markdown`'s bound by the
    page's length). Notes the hub will not render are refused, with the reason."""
    try:
        notes_html = render_markdown(notes)
    except Unrenderable as error:
        raise Invalid(error.message, field="notes") from None
    excerpt = html_text_excerpt(notes_html, NOTES_EXCERPT_CHARS)
    return {"notes": notes, "notes_html": notes_html, "notes_excerpt": excerpt}


def release_notes_update(*, release: Release, notes: str) -> Release:
    """Replace a release's notes (the admin's edit), with their HTML and excerpt."""
    _save_notes(release, notes_derived(notes))
    log.info("release notes updated release=%s chars=%s", release.pk, len(notes))
    return release


def _save_notes(release: Release, notes_fields: dict[str, str]) -> Release:
    for name, value in notes_fields.items():
        setattr(release, name, value)
    release.save(update_fields=list(notes_fields))
    return release


def release_create_first(*, repository: Repository, user: User | None) -> Release:
    """v1.00, created with the repository (the caller holds the transaction)."""
    return Release.objects.create(
        repository=repository, major=1, minor=0, created_by=user, **notes_derived("")
    )


def repository_create(*, owner: User, **fields) -> Repository:
    """Create a repository (`repos.services.repository_create_bare` takes the fields) and its
    first release, v1.00, in one transaction."""
    with transaction.atomic():
        repository = repo_services.repository_create_bare(owner=owner, **fields)
        release = release_create_first(repository=repository, user=owner)
        Repository.objects.filter(pk=repository.pk).update(latest_release=release)
        repository.latest_release = release
    return repository


def next_version(current: tuple[int, int] | None, bump: Bump) -> tuple[int, int]:
    """1.04 → 1.05 for a minor release, 1.04 → 2.00 for a major one."""
    if current is None:
        return 1, 0
    major, minor = current
    return (major + 1, 0) if bump == "major" else (major, minor + 1)


def _unclaimed_first(repository: Repository) -> Release | None:
    """The repository's v1.00 if the repository is still as it was created: v1.00 is its only
    release, without notes, files, deleted paths or uploads. The caller holds the row lock."""
    releases = list(Release.objects.filter(repository=repository)[:2])
    if len(releases) != 1:
        return None
    first = releases[0]
    if (first.major, first.minor) != (1, 0) or first.notes:
        return None
    if first.files.exists() or first.deleted_paths.exists() or first.uploads.exists():
        return None
    return first


def release_create(
    *,
    repository: Repository,
    bump: Bump,
    notes: str = "",
    user: User | None = None,
    reuse_empty_first: bool = False,
    copy_from: Release | None = None,
) -> Release:
    """Create the next release of `repository`.

    The repository row is locked for the transaction, so concurrent requests take turns;
    the unique constraint on (repository, major, minor) is the last word, and a request
    that still loses a race (e.g. on a database without row locks) retries with the next
    number instead of failing.

    `reuse_empty_first`, for clients whose "create a repository" makes no release and whose
    next call asks for the first one (the OpenGradient SDK's `create_model`): a repository
    still untouched since its creation (see `_unclaimed_first`) answers with its v1.00 instead
    of a new v1.01, and `notes` become that release's notes. Those notes are what claim it,
    so this needs notes: without them a second request could not tell that v1.00 was given
    out already, and gets a new release. The site keeps making v1.00 with every repository.
    """
    if bump not in ("minor", "major"):
        raise Invalid("Choose a minor or a major release.")
    if copy_from is not None and copy_from.repository_id != repository.pk:
        raise Invalid("Files are copied from a release of the same repository.")
    notes_fields = notes_derived(notes)
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                # NO KEY UPDATE: rivals for the next number queue here, while inserts
                # that only reference the repository (key share) are not blocked.
                if not Repository.objects.select_for_update(no_key=True).filter(pk=repository.pk):
                    raise NotFound("This repository was deleted.")
                first = _unclaimed_first(repository) if reuse_empty_first and notes else None
                if first is not None:
                    release = _save_notes(first, notes_fields)
                else:
                    release = _create_next(repository, bump, notes_fields, user)
                    if copy_from is not None:
                        release_copy_files(release=release, source=copy_from, user=user)
                Repository.objects.filter(pk=repository.pk).update(
                    latest_release=release, updated_at=timezone.now()
                )
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        repository.latest_release = release
        log.info(
            "release created repo=%s version=%s reused_first=%s copied_from=%s",
            repository.pk,
            release.version,
            first is not None,
            copy_from.version if copy_from else "",
        )
        return release
    raise AssertionError("unreachable")


def _create_next(
    repository: Repository, bump: Bump, notes_fields: dict[str, str], user: User | None
) -> Release:
    top = (
        Release.objects.filter(repository=repository)
        .order_by("-major", "-minor")
        .values_list("major", "minor")
        .first()
    )
    major, minor = next_version(top, bump)
    return Release.objects.create(
        repository=repository,
        major=major,
        minor=minor,
        created_by=user,
        **notes_fields,
    )
