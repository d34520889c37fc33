"""Writes of repositories. Each function is one transaction and raises `hub.errors` (with the
form field concerned in `field`) when it will not do what was asked."""

import logging
import re
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.models import User
from hub.errors import Conflict, Invalid
from hub.markdown import Unrenderable, html_excerpt, render_markdown, unrenderable_notice
from hub.names import validate_url_name
from repos.facets import facets_forget
from repos.models import (
    MAX_TAGS,
    NAME_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TRENDING_DAYS,
    TRENDING_STAR_WEIGHT,
    DailyActivity,
    License,
    Repository,
    RepositoryRedirect,
    Star,
    Tag,
    Task,
    Visibility,
)

log = logging.getLogger(__name__)


def validate_repository_name(name: str) -> None:
    validate_url_name(name, kind="repository name", max_length=NAME_MAX_LENGTH)


def _clean_name(name: str) -> None:
    try:
        validate_repository_name(name)
    except ValidationError as exc:
        raise Invalid(exc.messages[0], field="name") from None


def _clean_tags(tags) -> list[str]:
    try:
        return normalize_tags(tags)
    except ValidationError as exc:
        raise Invalid(exc.messages[0], field="tags") from None


def normalize_tags(raw: str | Iterable[str]) -> list[str]:
    """Lowercase, de-duplicated tags in the order given; raises ValidationError on bad ones.

    Accepts a comma-separated string or a list. Inner white space becomes '-', so
    "Time Series" is the tag `time-series`.
    """
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    tags: list[str] = []
    for item in items:
        tag = "-".join(item.strip().lower().split())
        if not tag or tag in tags:
            continue
        if len(tag) > TAG_MAX_LENGTH:
            raise ValidationError(
                f"The tag “{tag[:TAG_MAX_LENGTH]}…” is longer than {TAG_MAX_LENGTH} characters."
            )
        if not all(ch.isalnum() or ch in "-_.+" for ch in tag):
            raise ValidationError(
                f"The tag “{tag}” may hold only letters, digits, '-', '_', '.' and '+'."
            )
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"A repository has at most {MAX_TAGS} tags ({len(tags)} given).")
    return tags


def _set_tags(repository: Repository, tags: list[str]) -> None:
    existing = {t.name: t for t in Tag.objects.filter(name__in=tags)}
    missing = [Tag(name=name) for name in tags if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=tags)}
    repository.tags.set([existing[name] for name in tags])


def _refresh_search_vector(repository: Repository, tags: list[str]) -> None:
    if connection.vendor != "postgresql":
        return
    # The name also as separate words, so that "model" finds "my.model.v2".
    name_words = re.sub(r"[._-]+", " ", repository.name)
    Repository.objects.filter(pk=repository.pk).update(
        search_vector=(
            SearchVector("name", weight="A", config="simple")
            + SearchVector(Value(name_words), weight="A", config="simple")
            + SearchVector(Value(" ".join(tags)), weight="B", config="simple")
            + SearchVector("description", weight="C", config="english")
        )
    )


def _apply_description(repository: Repository, description: str) -> None:
    """Set the model card and what is derived from it; a card that cannot be rendered (too
    large, nested too deeply: `hub.markdown`) is refused, with the reason."""
    try:
        description_html = render_markdown(description)
    except Unrenderable as error:
        raise Invalid(error.message, field="description") from None
    repository.description = description
    repository.description_html = description_html
    repository.summary = html_excerpt(description_html)


def _name_taken_error() -> Conflict:
    return Conflict("You already have a repository with this name.", field="name")


def repository_create_bare(
    *,
    owner: User,
    name: str,
    task: Task,
    license: License,
    description: str = "",
    tags: Iterable[str] = (),
    visibility: str = Visibility.PUBLIC,
) -> Repository:
    """The repository alone, without releases. Front doors call
    `releases.services.releases.repository_create`, which adds v1.00 in the same transaction;
    the caller holds the transaction."""
    _clean_name(name)
    tag_names = _clean_tags(tags)
    repository = Repository(
        owner=owner, name=name, task=task, license=license, visibility=visibility
    )
    _apply_description(repository, description)
    try:
        with transaction.atomic():
            repository.save()
            # A new repository takes over an old name that redirected elsewhere.
            RepositoryRedirect.objects.filter(owner=owner, old_name__iexact=name).delete()
            _set_tags(repository, tag_names)
            _refresh_search_vector(repository, tag_names)
            facets_forget(repository.owner_id)
    except IntegrityError as exc:
        if Repository.objects.filter(owner=owner, name__iexact=name).exists():
            raise _name_taken_error() from exc
        raise
    log.info("repository created repo=%s id=%s", repository.full_name, repository.pk)
    return repository


@transaction.atomic
def repository_update(
    *,
    repository: Repository,
    description: str,
    task: Task,
    license: License,
    tags: Iterable[str],
) -> Repository:
    """Change a repository's description, task, licence and tags."""
    tag_names = _clean_tags(tags)
    _apply_description(repository, description)
    repository.task = task
    repository.license = license
    # Only what changed here: the counters (stars, downloads, trend) move under it meanwhile.
    repository.save(
        update_fields=[
            "description",
            "description_html",
            "summary",
            "task",
            "license",
            "updated_at",
        ]
    )
    _set_tags(repository, tag_names)
    _refresh_search_vector(repository, tag_names)
    facets_forget(repository.owner_id)
    return repository


def repository_rename(*, repository: Repository, new_name: str) -> Repository:
    """Rename; the old name keeps redirecting to the repository until it is reused."""
    _clean_name(new_name)
    old_name = repository.name
    if new_name == old_name:
        return repository
    owner = repository.owner
    try:
        with transaction.atomic():
            # Renaming back to an old name (or changing only its case) drops that redirect.
            RepositoryRedirect.objects.filter(owner=owner, old_name__iexact=new_name).delete()
            repository.name = new_name
            repository.save(update_fields=["name", "updated_at"])
            if old_name.lower() != new_name.lower():
                RepositoryRedirect.objects.create(
                    owner=owner, old_name=old_name, repository=repository
                )
            _refresh_search_vector(repository, list(repository.tags.values_list("name", flat=True)))
    except IntegrityError as exc:
        repository.name = old_name
        raise _name_taken_error() from exc
    log.info("repository renamed id=%s from=%s to=%s", repository.pk, old_name, new_name)
    return repository


def repository_set_visibility(*, repository: Repository, visibility: str) -> Repository:
    if visibility not in Visibility.values:
        raise Invalid("Choose public or private.", field="visibility")
    repository.visibility = visibility
    repository.save(update_fields=["visibility", "updated_at"])
    facets_forget(repository.owner_id)
    log.info("repository visibility id=%s visibility=%s", repository.pk, visibility)
    return repository


def repository_delete(*, repository: Repository, confirm_name: str) -> None:
    """Delete a repository with its releases; its name becomes free again."""
    if confirm_name.strip() != repository.full_name and confirm_name.strip() != repository.name:
        raise Invalid(f"Type “{repository.name}” to confirm the deletion.", field="confirm_name")
    pk, full_name = repository.pk, repository.full_name
    with transaction.atomic():
        # The repository's own latest_release points into the rows being deleted.
        Repository.objects.filter(pk=pk).update(latest_release=None)
        repository.delete()
        facets_forget(repository.owner_id)
    log.info("repository deleted id=%s repo=%s", pk, full_name)


def repository_refresh_derived(*, repository: Repository) -> None:
    """Re-derive what is computed from a repository's fields (after an edit in the admin).
    The admin saved the card already: one that cannot be rendered shows why instead."""
    try:
        _apply_description(repository, repository.description)
    except Invalid as error:
        repository.description_html = unrenderable_notice(error.message)
        repository.summary = ""
    Repository.objects.filter(pk=repository.pk).update(
        description_html=repository.description_html, summary=repository.summary
    )
    _refresh_search_vector(repository, list(repository.tags.values_list("name", flat=True)))
    facets_forget(repository.owner_id)


def activity_record(*, repository_id: int, downloads: int = 0, stars: int = 0) -> None:
    """Count downloads and stars (+1 given, -1 taken back) of a repository, in the caller's
    transaction: its totals, today's (UTC) counter and its trending score.

    Today's counter is one UPSERT and the rest one UPDATE with F(), so that concurrent
    downloads and stars add up without a lock held across a read."""
    table = DailyActivity._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (repository_id, day, downloads, stars) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (repository_id, day) DO UPDATE SET "
            f"downloads = {table}.downloads + excluded.downloads, "
            f"stars = {table}.stars + excluded.stars",
            [repository_id, timezone.now().date(), downloads, stars],
        )
    Repository.objects.filter(pk=repository_id).update(
        downloads=F("downloads") + downloads,
        stars=F("stars") + stars,
        trend=Greatest(F("trend") + downloads + stars * TRENDING_STAR_WEIGHT, 0),
    )


def trending_refresh() -> int:
    """Recompute the trending score of every repository that has one or had activity in the
    last TRENDING_DAYS days, from the daily counters: the days that left the window stop
    counting (run periodically, `repos.tasks.refresh_trending`). Returns how many changed.

    It reads the repositories with activity (the counters' day index) and those with a score
    (the trending index), never the whole table, and writes only the scores that changed."""
    since = timezone.now().date() - timedelta(days=TRENDING_DAYS - 1)
    window = DailyActivity.objects.filter(day__gte=since)
    total = (
        window.filter(repository=OuterRef("pk"))
        .values("repository")
        .annotate(score=Sum(F("downloads") + F("stars") * TRENDING_STAR_WEIGHT))
        .values("score")
    )
    score = Greatest(Coalesce(Subquery(total), 0), 0)
    with transaction.atomic():
        active = window.values("repository_id")
        changed = (
            Repository.objects.filter(pk__in=active)
            .alias(score=score)
            .exclude(trend=F("score"))
            .update(trend=score)
        )
        changed += Repository.objects.filter(trend__gt=0).exclude(pk__in=active).update(trend=0)
    log.info("trending refreshed changed=%s since=%s", changed, since)
    return changed


def activity_prune(*, keep_days: int) -> int:
    """Delete the daily counters older than the last `keep_days` days (trending reads no
    further back): the table keeps about a week of the repositories that had activity."""
    before = timezone.now().date() - timedelta(days=keep_days - 1)
    deleted, _ = DailyActivity.objects.filter(day__lt=before).delete()
    log.info("daily activity pruned rows=%s before=%s", deleted, before)
    return deleted


@transaction.atomic
def repository_download_record(*, repository_id: int) -> None:
    """Count one download: the repository's total, today's counter and its trending score."""
    activity_record(repository_id=repository_id, downloads=1)


def star_add(*, user: User, repository: Repository) -> bool:
    """Star a repository the user may read (the caller got it from a selector); a second star
    changes nothing. True when this call added it.

    The count on the repository, today's counter and the trending score change in the
    transaction of the Star row (an UPDATE with F(), not `save()`: starring is not an update
    of the repository)."""
    with transaction.atomic():
        _star, created = Star.objects.get_or_create(user=user, repository=repository)
        if created:
            activity_record(repository_id=repository.pk, stars=1)
    if created:
        repository.stars += 1
        log.info("repository starred id=%s user=%s", repository.pk, user.pk)
    return created


def star_remove(*, user: User, repository: Repository) -> bool:
    """Take a star back; nothing happens without one. True when this call removed it."""
    with transaction.atomic():
        removed, _ = Star.objects.filter(user=user, repository=repository).delete()
        if removed:
            activity_record(repository_id=repository.pk, stars=-1)
    if removed:
        repository.stars -= 1
        log.info("repository unstarred id=%s user=%s", repository.pk, user.pk)
    return bool(removed)
