"""Facet counts: repositories per task and the most used tags, among what a user may read.

Counting them reads every repository and every tag of one (about a second at a million
repositories), so they are cached, in two parts that add up to what a user may read
(`repos.access`): the counts of their role's scope, shared by everyone of the role (listed
repositories; public ones for moderators; all for who reads private ones), and the counts
of their own repositories outside that scope, per user.

Writes that can change the counts call `facets_forget`. A user's own counts are dropped at
once (exact). The shared counts are marked stale and computed again by the next request
that shows them: at once while that takes little time (below FRESH_BELOW: a hub of tens of
thousands of repositories sees its counts change on the next page), else no more often than
every STALE_FACTOR times what counting took and at least MIN_STALE_SECONDS apart, by one
request while the others show the previous counts. At a million repositories (counting
~1 s) the shared counts are thus at most about a minute behind the writes, and counting takes
at most a few percent of one database connection however many writes come in.
"""

import time
from collections import Counter
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, QuerySet

from repos import access
from repos.models import Repository, Tag, Task

POPULAR_TAGS = 16
KEPT_TAGS = POPULAR_TAGS * 4  # a user's own tags can lift a few of these into the top 16
CACHE_SECONDS = 24 * 3600  # an entry is replaced by recounting, never left to expire
FRESH_BELOW = 0.05  # seconds: counting this fast follows every write at once
STALE_FACTOR = 30
MIN_STALE_SECONDS = 30
_VERSION = "v2"
_now = time.time  # the clock, replaced in tests


@dataclass(frozen=True)
class Facets:
    tasks: list[Task]
    tags: list[Tag]


def _count(repos: QuerySet[Repository], *, tag_limit: int | None) -> tuple[dict, dict]:
    task_counts = dict(
        repos.order_by().values_list("task_id").annotate(n=Count("id")).values_list("task_id", "n")
    )
    tag_rows = (
        Tag.objects.filter(repositories__in=repos.order_by().values("id"))
        .values_list("name")
        .annotate(n=Count("repositories"))
        .order_by("-n", "name")
        .values_list("name", "n")
    )
    if tag_limit is not None:
        tag_rows = tag_rows[:tag_limit]
    return task_counts, dict(tag_rows)


def _shared_key(scope: str) -> str:
    return f"repos:facets:{scope}:{_VERSION}"


def _stale_key(scope: str) -> str:
    return f"repos:facets:{scope}:stale:{_VERSION}"


def _lock_key(scope: str) -> str:
    return f"repos:facets:{scope}:counting:{_VERSION}"


def _own_key(user_id: int) -> str:
    return f"repos:facets:own:{user_id}:{_VERSION}"


def _due(entry: dict, stale_since: float | None, now: float) -> bool:
    """Whether cached counts must be counted again now (see the module's docstring)."""
    if stale_since is None or stale_since < entry["counted_at"]:
        return False  # no write since they were counted
    if entry["seconds"] < FRESH_BELOW:
        return True
    wait = max(MIN_STALE_SECONDS, STALE_FACTOR * entry["seconds"])
    return now - entry["counted_at"] >= wait


def _shared_counts(scope: str) -> tuple[dict, dict]:
    found = cache.get_many([_shared_key(scope), _stale_key(scope)])
    entry, stale_since = found.get(_shared_key(scope)), found.get(_stale_key(scope))
    now = _now()
    if entry is not None and not _due(entry, stale_since, now):
        return entry["tasks"], entry["tags"]
    # One request counts; the others show the previous counts meanwhile (if there are any).
    counting = cache.add(_lock_key(scope), 1, timeout=MIN_STALE_SECONDS)
    if entry is not None and not counting:
        return entry["tasks"], entry["tags"]
    try:
        started = _now()
        repos = Repository.objects.filter(access.scope_q(scope))
        tasks, tags = _count(repos, tag_limit=KEPT_TAGS)
        entry = {
            "tasks": tasks,
            "tags": tags,
            "counted_at": started,  # a write during the count leaves the result stale
            "seconds": _now() - started,
        }
        cache.set(_shared_key(scope), entry, CACHE_SECONDS)
    finally:
        if counting:
            cache.delete(_lock_key(scope))
    return entry["tasks"], entry["tags"]


def _own_counts(user, scope: str) -> tuple[dict, dict]:
    """Counts of the user's own repositories outside their role's scope (private ones, and
    hidden ones for ordinary users): few, counted exactly, dropped on each of their writes."""
    if scope == access.EVERYTHING or not user.is_authenticated:
        return {}, {}
    own = Repository.objects.filter(owner=user).exclude(access.scope_q(scope))
    return cache.get_or_set(_own_key(user.pk), lambda: _count(own, tag_limit=None), CACHE_SECONDS)


def facets_forget(owner_id: int | None = None) -> None:
    """Called by writes that can change the counts: the owner's own counts are dropped, the
    shared ones marked stale (counted again as the module's docstring says).

    Done now and again once the write commits: a count between the two would otherwise hold
    the state before the write.
    """

    def forget():
        now = _now()
        cache.set_many(
            {_stale_key(scope): now for scope in (access.LISTED, access.PUBLIC, access.EVERYTHING)},
            CACHE_SECONDS,
        )
        if owner_id is not None:
            cache.delete(_own_key(owner_id))

    forget()
    transaction.on_commit(forget)


def listing_changed_at() -> float | None:
    """When a write last changed what the public lists may show (the shared counts' stale
    mark, set by `facets_forget` before and after the write commits); None before any."""
    return cache.get(_stale_key(access.LISTED))


def facets(*, user) -> Facets:
    """Tasks with repository counts and the most used tags, among what `user` may read."""
    scope = access.role_scope(user)
    task_counts, tag_counts = _shared_counts(scope)
    own_tasks, own_tags = _own_counts(user, scope)
    if own_tasks:
        task_counts = Counter(task_counts) + Counter(own_tasks)
        tag_counts = Counter(tag_counts) + Counter(own_tags)
    tasks = list(Task.objects.all())
    for task in tasks:
        task.repo_count = task_counts.get(task.pk, 0)
    ranked = sorted(tag_counts.items(), key=lambda item: (-item[1], item[0]))[:POPULAR_TAGS]
    tags = [Tag(name=name) for name, _ in ranked]
    for tag, (_, count) in zip(tags, ranked, strict=True):
        tag.repo_count = count
    return Facets(tasks=tasks, tags=tags)
