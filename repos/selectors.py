"""Reads of repositories, scoped to what a user may see.

Every view reaches repositories through these functions, so the rules "a private repository
exists only for its owner and staff" and "a repository hidden by the moderators exists only
for its owner and staff" are written once, here.
"""

import functools
import operator
import re
from collections import Counter
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404

from accounts.models import User
from repos.models import Repository, RepositoryRedirect, Tag, Task, Visibility

AnyUser = User | AnonymousUser


class RepositoryMoved(Exception):
    """The URL asked for names a readable repository under an old name or another casing."""

    def __init__(self, repository: Repository):
        super().__init__(repository.full_name)
        self.repository = repository


def listed_q(prefix: str = "") -> Q:
    """Condition for what everyone may read: public and not hidden by the moderators."""
    return Q(**{f"{prefix}visibility": Visibility.PUBLIC, f"{prefix}hidden_at__isnull": True})


def readable_q(user: AnyUser, prefix: str = "") -> Q:
    """Condition on Repository (or on a relation through `prefix`) for what `user` may read."""
    if user.is_authenticated and user.is_staff:
        return Q()
    if user.is_authenticated:
        return listed_q(prefix) | Q(**{f"{prefix}owner": user})
    return listed_q(prefix)


def repository_list_readable(*, user: AnyUser) -> QuerySet[Repository]:
    return Repository.objects.filter(readable_q(user))


def repository_get_readable(*, user: AnyUser, owner: str, name: str) -> Repository:
    """The repository `owner/name` if `user` may read it.

    Raises RepositoryMoved when `name` is an old name of a readable repository, and Http404
    for anything else, so that a private repository is indistinguishable from a missing one.
    """
    repo = (
        repository_list_readable(user=user)
        .select_related("owner", "task", "license", "latest_release")
        .filter(owner__username__iexact=owner, name__iexact=name)
        .first()
    )
    if repo is not None:
        if (repo.owner.username, repo.name) != (owner, name):
            raise RepositoryMoved(repo)  # send other spellings to the canonical URL
        if repo.latest_release is not None:
            repo.latest_release.repository = repo  # its URLs need no second look-up
        return repo
    redirect = (
        RepositoryRedirect.objects.filter(
            readable_q(user, prefix="repository__"),
            owner__username__iexact=owner,
            old_name__iexact=name,
        )
        .select_related("repository__owner")
        .first()
    )
    if redirect is not None:
        raise RepositoryMoved(redirect.repository)
    raise Http404("No such repository.")


def repository_get_manageable(*, user: AnyUser, owner: str, name: str) -> Repository:
    """The repository if `user` owns it: 404 when they cannot see it, 403 when they only can."""
    repo = repository_get_readable(user=user, owner=owner, name=name)
    if not user.is_authenticated or repo.owner_id != user.pk:
        raise PermissionDenied("Only the owner can change this repository.")
    return repo


def user_get_visible(*, username: str) -> User:
    user = User.objects.filter(username__iexact=username, is_active=True).first()
    if user is None:
        raise Http404("No such user.")
    return user


SORTS = {
    "updated": ("Recently updated", [F("updated_at").desc(), F("id").desc()]),
    "newest": ("Newest", [F("created_at").desc(), F("id").desc()]),
    "name": ("Name", [Lower("name"), F("id")]),
}
DEFAULT_SORT = "updated"
_TERM = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class RepositoryFilters:
    query: str = ""
    task: str = ""
    license: str = ""
    tag: str = ""
    sort: str = DEFAULT_SORT
    invalid: str = ""  # why the filters cannot match anything, shown to the user

    @property
    def is_filtered(self) -> bool:
        return bool(self.query or self.task or self.license or self.tag or self.invalid)

    @property
    def problem(self) -> str:
        if self.invalid:
            return self.invalid
        if self.query and not _TERM.findall(self.query):
            return "Type letters or digits to search for."
        return ""


def _search(qs: QuerySet[Repository], query: str) -> tuple[QuerySet[Repository], bool]:
    """Apply the free-text query. Returns the queryset and whether it is ordered by rank."""
    terms = _TERM.findall(query.lower())[:12]
    if not terms:
        return qs, False
    if connection.vendor == "postgresql":
        # Every term must match, as a prefix ("volat" finds "volatility"), either as typed
        # (names and tags are indexed unstemmed) or stemmed (descriptions are in English).
        tsquery = functools.reduce(
            operator.and_,
            (
                SearchQuery(f"{term}:*", search_type="raw", config="simple")
                | SearchQuery(f"{term}:*", search_type="raw", config="english")
                for term in terms
            ),
        )
        qs = qs.filter(search_vector=tsquery).annotate(rank=SearchRank(F("search_vector"), tsquery))
        return qs, True
    for term in terms:
        qs = qs.filter(
            Q(name__icontains=term) | Q(description__icontains=term) | Q(tags__name__icontains=term)
        )
    return qs.distinct(), False


def repository_search(*, user: AnyUser, filters: RepositoryFilters) -> QuerySet[Repository]:
    """Ids of the readable repositories matching the filters, in the requested order.

    The result is narrow on purpose: sort and paginate it, then load the page with `cards`.
    (Joining the card data before the sort makes PostgreSQL join every match.)
    """
    qs = repository_list_readable(user=user)
    if filters.problem:
        return qs.none().values_list("id", flat=True)
    if filters.task:
        qs = qs.filter(task__slug=filters.task)
    if filters.license:
        qs = qs.filter(license__spdx_id__iexact=filters.license)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag.lower())
    qs, ranked = _search(qs, filters.query)
    _label, order = SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    if ranked and filters.sort == "relevance":
        order = [F("rank").desc(), *order]
    return qs.order_by(*order).values_list("id", flat=True)


def cards(ids) -> list[Repository]:
    """The repositories with these ids, in this order, with everything a card shows."""
    ids = list(ids)
    by_id = {repo.id: repo for repo in with_card_data(Repository.objects.filter(id__in=ids))}
    return [by_id[i] for i in ids if i in by_id]


def with_card_data(qs: QuerySet[Repository]) -> QuerySet[Repository]:
    """Everything a repository card shows, in a constant number of queries.

    The Markdown source, its HTML and the search vector are left out: cards show the summary.
    """
    return (
        qs.select_related("owner", "task", "license", "latest_release")
        .defer(
            "description",
            "description_html",
            "search_vector",
            "latest_release__notes",
            "latest_release__notes_html",
            "owner__password",
        )
        .prefetch_related("tags")
    )


# Facet counts (repositories per task, most used tags) scan the whole table, so the public
# part is cached and dropped by every write that can change it (see repos.services). A
# signed-in user's own private repositories are added on top; staff get exact counts.
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


def facets(*, user: AnyUser) -> Facets:
    """Tasks with repository counts and the most used tags, among what `user` may read."""
    if user.is_authenticated and user.is_staff:
        task_counts, tag_counts = _count_facets(Repository.objects.all(), tag_limit=POPULAR_TAGS)
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


def featured_ids(*, limit: int) -> list[int]:
    """The repositories the moderators feature, newest feature first, among the listed ones."""
    return list(
        Repository.objects.filter(listed_q(), featured_at__isnull=False)
        .order_by("-featured_at")
        .values_list("id", flat=True)[:limit]
    )
