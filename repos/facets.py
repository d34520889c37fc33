"""Facet counts: repositories per task and the most used tags, among what a user may read.

They scan the whole table, so the public part is cached; every write that can change the
counts calls `facets_forget`. A signed-in user's own unlisted repositories are added on top;
moderators get exact counts of what they may read.
"""

from collections import Counter
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, QuerySet

from repos import access
from repos.access import listed_q, readable_q
from repos.models import Repository, Tag, Task

# Facet counts (repositories per task, most used tags) scan the whole table, so the public
# part is cached and dropped by every write that can change it (see repos.services). A
# signed-in user's own private repositories are added on top; moderators get exact counts.
FACETS_CACHE_KEY = "repos:facets:public:v1"
FACETS_CACHE_SECONDS = 600
POPULAR_TAGS = 16


@dataclass(frozen=True)
class Facets:
    tasks: list[Task]
    tags: list[Tag]


def _count_facets(repos: QuerySet[Repository], *, tag_limit: int | None) -> tuple[dict, dict]:
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


def _public_facet_counts() -> tuple[dict, dict]:
    def compute():
        public = Repository.objects.filter(listed_q())
        return _count_facets(public, tag_limit=POPULAR_TAGS * 4)

    return cache.get_or_set(FACETS_CACHE_KEY, compute, FACETS_CACHE_SECONDS)


def _own_facets_key(user_id: int) -> str:
    return f"repos:facets:private:{user_id}:v1"


def facets_forget(owner_id: int | None = None) -> None:
    """Drop the cached counts (public, and the owner's private ones); called by writes.

    Dropped now and again once the write commits: a request between the two would otherwise
    cache counts of the state before the write for the cache's whole lifetime.
    """
    keys = [FACETS_CACHE_KEY] + ([_own_facets_key(owner_id)] if owner_id is not None else [])
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def facets(*, user) -> Facets:
    """Tasks with repository counts and the most used tags, among what `user` may read."""
    if access.reads_hidden_public(user):  # exact counts of all they may read, not cached
        readable = Repository.objects.filter(readable_q(user))
        task_counts, tag_counts = _count_facets(readable, tag_limit=POPULAR_TAGS)
    else:
        task_counts, tag_counts = _public_facet_counts()
        if user.is_authenticated:
            own = Repository.objects.filter(owner=user).exclude(listed_q())
            own_tasks, own_tags = cache.get_or_set(
                _own_facets_key(user.pk),
                lambda: _count_facets(own, tag_limit=None),
                FACETS_CACHE_SECONDS,
            )
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
