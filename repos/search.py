"""Free-text search of repositories on PostgreSQL, best match first, at a million rows.

Best match: the repositories with every word in their name or tags first, then those with a
word only in the model card; the most recently updated first within each. It is computed
without ranking every match, which a broad word (a quarter of a million repositories at a
million) would make cost seconds:

1. One query reads the WINDOW most recently updated repositories the user may read (with
   the filters), and says of each whether it matches and whether in its name or tags.
   That is a walk of one index, bounded whatever the words.
2. The first pages come from those rows when they hold enough matches of a tier (any word
   found in a quarter of the hub, or in the names and tags of a few percent of it).
3. Otherwise the tier's older matches are read in one more query: walking the index on
   from the window when the window found them common, or looked up in the search indexes
   (repos_search_title, repos_repository_search_gin) and sorted when it found them rare.
   PostgreSQL's own estimate is not trusted for that choice: it is a guess for prefixes
   ("volat" for volatility), and a walk for a word that no name holds reads the whole table.

The results behave like the querysets of the other sorts where the pages and the API need
it: slices, `count()`, `count_up_to(limit)` (the capped count of `hub.pagination`, mostly
answered from the window) and iteration.
"""

import datetime
import functools
import operator
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Value,
    When,
)

from repos.models import Repository

WINDOW = 2000
# The most rows a walk on from the window may be expected to read (from the density of the
# matches in the window) before looking them up in the search indexes is the better plan: a
# broad word costs those indexes more than walking (its whole posting list is read, however
# few rows match every word), a word the window did not see at all costs them little.
WALK_BUDGET = 30_000
_RECENT_FIRST = (F("updated_at").desc(), F("id").desc())
# The same order as an expression no index holds: PostgreSQL then fetches the (few) matches
# from the search index and sorts them, instead of walking the recently-updated index.
_RECENT_FIRST_SORTED = (
    ExpressionWrapper(
        F("updated_at") + Value(datetime.timedelta(0)), output_field=DateTimeField()
    ).desc(),
    F("id").desc(),
)


_WINDOW_SUMMARY = (
    "array_agg(id ORDER BY updated_at DESC, id DESC) FILTER (WHERE titled),"
    " array_agg(id ORDER BY updated_at DESC, id DESC) FILTER (WHERE matched AND NOT titled),"
    " count(*), min(updated_at), (array_agg(id ORDER BY updated_at, id))[1]"
)


def tsquery(terms: list[str]) -> SearchQuery:
    """Every term must match, as a prefix ("volat" finds "volatility"), either as typed
    (names and tags are indexed unstemmed) or stemmed (descriptions are in English).

    The whole word is asked for as well, though the prefix finds it: PostgreSQL estimates
    the rows a word matches from its statistics, and a prefix only by a guess.
    """
    return functools.reduce(
        operator.and_,
        (
            SearchQuery(f"{term} | {term}:*", search_type="raw", config="simple")
            | SearchQuery(f"{term} | {term}:*", search_type="raw", config="english")
            for term in terms
        ),
    )


def _name_and_tags() -> Func:
    """The search vector's name and tag lexemes (weights A and B), as the migration
    0007_search_tiers_owner_index indexes them."""
    return Func(
        F("search_vector"), Value("{a,b}"), function="ts_filter", output_field=SearchVectorField()
    )


class RankedSearch:
    def __init__(self, base: QuerySet[Repository], query: SearchQuery):
        """`base`: the repositories the user may read, with the filters; `query`: the words."""
        self.base = base.order_by().alias(name_and_tags=_name_and_tags())
        self.query = query
        self.matches = self.base.filter(search_vector=query)
        self._scanned: _Window | None = None

    def count(self) -> int:
        return self.matches.count()

    def count_up_to(self, limit: int) -> int:
        window = self._window()
        found = len(window.titled) + len(window.rest)
        if found >= limit or window.complete:
            return min(found, limit)
        return found + len(self._older(self.matches, window.oldest, limit - found, found))

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self._ids(0, None))

    def __getitem__(self, item):
        if isinstance(item, slice):
            if item.step not in (None, 1) or (item.start or 0) < 0 or (item.stop or 0) < 0:
                raise ValueError("Only forward slices of search results are supported.")
            return self._ids(item.start or 0, item.stop)
        found = self._ids(item, item + 1)
        if not found:
            raise IndexError(item)
        return found[0]

    def _tier(self, in_name_or_tags: bool) -> QuerySet[Repository]:
        condition = Q(name_and_tags=self.query)
        return self.matches.filter(condition if in_name_or_tags else ~condition)

    def _window(self) -> "_Window":
        """What the WINDOW most recently updated readable repositories hold (one query)."""
        if self._scanned is None:
            matched = Q(search_vector=self.query)
            rows = (
                self.base.annotate(
                    matched=ExpressionWrapper(matched, output_field=BooleanField()),
                    titled=Case(
                        When(matched & Q(name_and_tags=self.query), then=Value(True)),
                        default=Value(False),
                    ),
                )
                .order_by(*_RECENT_FIRST)
                .values("id", "updated_at", "matched", "titled")[:WINDOW]
            )
            sql, params = rows.query.sql_with_params()
            # Aggregated in the database: one row back instead of WINDOW of them. (`sql` is
            # Django's, its values in `params`.)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {_WINDOW_SUMMARY} FROM ({sql}) recent", params)  # noqa: S608
                titled, rest, seen, oldest_at, oldest_id = cursor.fetchone()
            self._scanned = _Window(
                titled=titled or [],
                rest=rest or [],
                complete=seen < WINDOW,
                oldest=(oldest_at, oldest_id),
            )
        return self._scanned

    def _ids(self, start: int, stop: int | None) -> list[int]:
        if stop is None:  # everything, in order (iteration)
            return [
                pk
                for titled in (True, False)
                for pk in self._tier(titled).order_by(*_RECENT_FIRST).values_list("id", flat=True)
            ][start:]
        if stop <= start:
            return []
        window = self._window()
        found: list[int] = []
        for titled, in_window in ((True, window.titled), (False, window.rest)):
            found += in_window[: stop - len(found)]
            if len(found) >= stop:
                break
            if not window.complete:
                tier = self._tier(titled)
                found += self._older(tier, window.oldest, stop - len(found), len(in_window))
        return found[start:stop]

    def _older(self, matches: QuerySet, oldest: tuple, wanted: int, seen: int) -> list[int]:
        """The `wanted` most recent of `matches` older than the window, of which the window
        held `seen`: walking on when that many are expected within WALK_BUDGET rows, else
        from the search indexes."""
        updated_at, pk = oldest
        older = Q(updated_at__lt=updated_at) | Q(updated_at=updated_at, id__lt=pk)
        common = seen and wanted * WINDOW / seen <= WALK_BUDGET
        order = _RECENT_FIRST if common else _RECENT_FIRST_SORTED
        return list(matches.filter(older).order_by(*order).values_list("id", flat=True)[:wanted])


@dataclass(frozen=True)
class _Window:
    titled: list[int]  # matches with every word in the name or tags, most recent first
    rest: list[int]  # the other matches, most recent first
    complete: bool  # the window holds every readable repository (nothing is older)
    oldest: tuple  # (updated_at, id) of its last row
