"""Reads of repositories, scoped by the access policy (`repos.access`) to what a user may see.

Every front door reaches repositories through these functions; a repository the user may not
read is NotFound, exactly like one that does not exist.
"""

import hashlib
import json
import re
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.http import QueryDict
from django.utils.http import urlencode

from accounts.models import User
from hub.errors import Invalid, Moved, NotFound, Refused
from hub.pagination import CountMemo
from repos import access, search
from repos.access import listed_q, readable_q
from repos.models import License, Repository, RepositoryRedirect, Star, Tag, Task
from repos.search import RankedSearch

AnyUser = User | AnonymousUser


def repository_list_readable(*, user: AnyUser) -> QuerySet[Repository]:
    return Repository.objects.filter(readable_q(user))


def repository_get_readable(*, user: AnyUser, owner: str, name: str) -> Repository:
    """The repository `owner/name` if `user` may read it.

    Raises Moved when `name` is an old name (or another casing) of a readable repository, and
    NotFound for anything else, so that a private repository looks exactly like a missing one.
    """
    repo = (
        repository_list_readable(user=user)
        .select_related("owner", "task", "license", "latest_release")
        .filter(_lower_is("owner__username", owner), _lower_is("name", name))
        .first()
    )
    if repo is not None:
        if (repo.owner.username, repo.name) != (owner, name):
            raise _moved(repo)  # send other spellings to the canonical URL
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
        raise _moved(redirect.repository)
    raise NotFound("No such repository.")


def _lower_is(field: str, value: str) -> Q:
    """`field__iexact=value` in the form the case-insensitive unique indexes serve
    (LOWER(field) = LOWER(value); iexact compares UPPER()s, which no index holds)."""
    return Q(Exact(Lower(field), Lower(Value(value))))


def _moved(repo: Repository) -> Moved:
    return Moved(f"Now at {repo.full_name}.", owner=repo.owner.username, name=repo.name)


def repository_get_manageable(*, user: AnyUser, owner: str, name: str) -> Repository:
    """The repository if `user` may manage it: NotFound when they cannot even see it,
    Refused when they only can."""
    repo = repository_get_readable(user=user, owner=owner, name=name)
    if not access.may_manage(user, repo):
        raise Refused("Only the owner can change this repository.")
    return repo


def user_get_visible(*, username: str) -> User:
    user = User.objects.filter(_lower_is("username", username), is_active=True).first()
    if user is None:
        raise NotFound("No such user.")
    return user


SORTS = {
    "updated": ("Recently updated", [F("updated_at").desc(), F("id").desc()]),
    # Every repository: the week's most downloaded and starred first, then (the ones without
    # activity this week) the most recently updated; one index (repos_trending) holds it.
    "trending": ("Trending", [F("trend").desc(), F("updated_at").desc(), F("id").desc()]),
    "stars": ("Most stars", [F("stars").desc(), F("id").desc()]),
    "downloads": ("Most downloads", [F("downloads").desc(), F("id").desc()]),
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
    def terms(self) -> list[str]:
        """The words searched for: letters and digits, lower-cased, at most 12."""
        return _TERM.findall(self.query.lower())[:12]

    def query_string(self, **changes: str) -> str:
        """These filters as the query string of /models, with `changes` (`tag="onnx"`; an
        empty value drops that filter). The page number is not kept (another list starts on
        its first page), nor an order that is the default anyway."""
        values = {
            "q": self.query,
            "task": self.task,
            "license": self.license,
            "tag": self.tag,
            "sort": self.sort,
        }
        values.update(changes)
        if values["sort"] == ("relevance" if values["q"] else DEFAULT_SORT):
            values["sort"] = ""
        return urlencode([(name, value) for name, value in values.items() if value])

    @property
    def problem(self) -> str:
        if self.invalid:
            return self.invalid
        if self.query and not _TERM.findall(self.query):
            return "Type letters or digits to search for."
        return ""


def _search_elsewhere(qs: QuerySet[Repository], terms: list[str]) -> QuerySet[Repository]:
    # Elsewhere (SQLite, the run command's database): substring matches, ranked like
    # PostgreSQL's: the name first, then tags, then the model card.
    rank = Value(0)
    for term in terms:
        in_tags = Exists(Tag.objects.filter(repositories=OuterRef("pk"), name__icontains=term))
        qs = qs.filter(Q(name__icontains=term) | Q(description__icontains=term) | in_tags)
        rank = rank + Case(
            When(name__icontains=term, then=Value(4)),
            When(in_tags, then=Value(2)),
            default=Value(1),
        )
    return qs.annotate(rank=rank)


def repository_search(*, user: AnyUser, filters: RepositoryFilters) -> QuerySet | RankedSearch:
    """Ids of the readable repositories matching the filters, in the requested order.

    The result is narrow on purpose: paginate it (`hub.pagination.paginate_capped`), then
    load the page with `cards`. (Joining the card data before the sort makes PostgreSQL join
    every match.) Searched by relevance on PostgreSQL, it is a `repos.search.RankedSearch`.
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
    terms = filters.terms
    sort = filters.sort if filters.sort in SORTS else DEFAULT_SORT
    _label, order = SORTS[sort]
    ranked = bool(terms) and filters.sort == "relevance"
    if terms and connection.vendor == "postgresql":
        if ranked:
            return RankedSearch(qs, search.tsquery(terms))
        qs = qs.filter(search_vector=search.tsquery(terms))
    elif terms:
        qs = _search_elsewhere(qs, terms)
        if ranked:
            order = [F("rank").desc(), *order]
    return qs.order_by(*order).values_list("id", flat=True)


def count_memo(*, user: AnyUser, filters: RepositoryFilters, cap: int) -> CountMemo:
    """Where the list of `filters` remembers that it holds more than `cap` repositories
    (`hub.pagination.CountMemo`)."""
    return _memo(
        user,
        "list",
        cap,
        filters.terms,
        filters.task,
        filters.license.lower(),
        filters.tag.lower(),
        filters.problem,
    )


def admin_count_memo(*, user: AnyUser, admin_list: str, params: QueryDict, cap: int) -> CountMemo:
    """The same for an admin list of repositories or of what belongs to them (reports), with
    the query `params` (its filters and search; the page and the order leave the count as it
    is)."""
    # Each name's values in their order: a filter reads the last one.
    kept = sorted((name, values) for name, values in params.lists() if name not in ("p", "o"))
    return _memo(user, "admin", admin_list, cap, kept)


def _memo(user: AnyUser, *names) -> CountMemo:
    """One entry per role scope (`repos.access`) and list, shared by the scope's readers,
    since each of them reads at least the scope. It is stored only from the count of someone
    who reads exactly the scope (none of their own repositories lies outside it, asked of
    the database then), so that it is true of the scope itself."""
    scope = access.role_scope(user)
    digest = hashlib.sha256(json.dumps([scope, *names]).encode()).hexdigest()

    def reads_exactly_the_scope() -> bool:
        if scope == access.EVERYTHING or not user.is_authenticated:
            return True
        beyond = Repository.objects.filter(owner=user).exclude(access.scope_q(scope))
        return not beyond.exists()

    return CountMemo(key=f"repos:more-than:{digest[:32]}", may_store=reads_exactly_the_scope)


def repository_starred(*, user: AnyUser, repository: Repository) -> bool:
    """Whether `user` starred the repository (False for anonymous visitors)."""
    if not user.is_authenticated:
        return False
    return Star.objects.filter(user=user, repository=repository).exists()


def starred_ids(*, user: AnyUser, profile: User) -> QuerySet:
    """Ids of the repositories `profile` starred that `user` may read, latest star first."""
    return (
        Star.objects.filter(readable_q(user, prefix="repository__"), user=profile)
        .order_by("-created_at", "-id")
        .values_list("repository_id", flat=True)
    )


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


def featured_ids(*, limit: int) -> list[int]:
    """The repositories the moderators feature, newest feature first, among the listed ones."""
    return list(
        Repository.objects.filter(listed_q(), featured_at__isnull=False)
        .order_by("-featured_at")
        .values_list("id", flat=True)[:limit]
    )


def task_by_slug(slug: str) -> Task:
    task = Task.objects.filter(slug=slug).first()
    if task is None:
        choices = ", ".join(Task.objects.values_list("slug", flat=True))
        raise Invalid(f"No task “{slug}”; choose one of: {choices}.", field="task")
    return task


def license_by_id(spdx_id: str) -> License:
    found = License.objects.filter(spdx_id__iexact=spdx_id).first()
    if found is None:
        choices = ", ".join(License.objects.values_list("spdx_id", flat=True))
        raise Invalid(f"No licence “{spdx_id}”; choose one of: {choices}.", field="license")
    return found
