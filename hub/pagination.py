from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

# Lists count their rows up to this many and show more as "10,000+": counting every match of
# a broad search in a million repositories costs more than the rest of the page.
COUNT_CAP = 10_000
# Filtered lists and searches count less far: a row is counted only once it is found to
# match (two common words: one row in 15; a task and a tag: one in 150 unless read from the
# tag's side), and at a million repositories every thousand rows read cost milliseconds.
FILTERED_COUNT_CAP = 500
# How long a list remembers that it holds more than its cap (`CountMemo`).
COUNT_MEMO_SECONDS = 60


def paginate(request: HttpRequest, object_list, per_page: int) -> Page:
    """The page named by ?page=; out-of-range or malformed numbers give the nearest page."""
    return Paginator(object_list, per_page).get_page(request.GET.get("page"))


def count_up_to(object_list, limit: int) -> int:
    """How many items `object_list` holds, counting no further than `limit`."""
    counter = getattr(object_list, "count_up_to", None)
    if counter is not None:
        return counter(limit)
    if isinstance(object_list, QuerySet):
        # SELECT count(*) FROM (SELECT id … LIMIT n): the database stops at n rows, in any
        # order, and computes none of the list's annotations.
        return object_list.order_by().values("pk")[:limit].count()
    return min(len(object_list), limit)


@dataclass(frozen=True)
class CountMemo:
    """Where a list remembers, for COUNT_MEMO_SECONDS, that it holds more than its cap.

    Counting up to the cap is most of a broad search's time at a million repositories (two
    common words: ~7,500 rows read to find 500 matches), and the answer ("500+") outlives
    any one write. Counts under the cap are never remembered: they are counted each time,
    so a list of a few repositories always says how many it shows. A page that comes back
    short of what a remembered count promises (the list shrank meanwhile) forgets it and
    is counted again.
    """

    key: str  # names the list, its filters, the cap and whose it is
    # Asked only before storing: whether this reader's count is the key's to remember.
    may_store: Callable[[], bool]


class CappedPaginator(Paginator):
    """A paginator that counts at most `cap` items; its pages stop there too.

    `count` is then `cap` and `is_capped` true, and templates show `count_text` ("10,000+").
    With a `memo`, a count past the cap is remembered and not counted again meanwhile.
    """

    def __init__(
        self,
        object_list,
        per_page: int,
        *args,
        cap: int | None = None,
        memo: CountMemo | None = None,
        **kwargs,
    ):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap
        self.memo = memo
        self.remembered = False  # whether `found` came from the memo

    @cached_property
    def found(self) -> int:
        memo = self.memo
        if memo is not None and cache.get(memo.key):
            self.remembered = True
            return self.cap + 1
        found = count_up_to(self.object_list, self.cap + 1)
        if memo is not None and found > self.cap and memo.may_store():
            cache.set(memo.key, True, COUNT_MEMO_SECONDS)
        return found

    def page(self, number) -> Page:
        page = super().page(number)
        if self.remembered:
            promised = page.end_index() - page.start_index() + 1
            if len(page.object_list) < promised:  # fewer now than remembered
                cache.delete(self.memo.key)
                for name in ("found", "count", "num_pages"):
                    self.__dict__.pop(name, None)
                self.memo, self.remembered = None, False
                page = super().page(number)  # EmptyPage when the list ends before it
        return page

    def get_page(self, number) -> Page:
        try:
            return super().get_page(number)
        except EmptyPage:  # a remembered count that no longer holds: the last page instead
            return self.page(self.num_pages)

    @cached_property
    def count(self) -> int:
        return min(self.found, self.cap)

    @property
    def is_capped(self) -> bool:
        return self.found > self.cap

    @property
    def count_text(self) -> str:
        return f"{self.count:,}+" if self.is_capped else f"{self.count:,}"


class NarrowPagesPaginator(CappedPaginator):
    """A CappedPaginator that reads a page's ids first, with the list's filters and order
    alone, then that page's rows with everything they show (related rows, annotations).

    For lists sorted by a computed value (the reports queue: open reports per repository),
    where PostgreSQL would otherwise join every row's related rows before the sort.
    """

    def _get_page(self, object_list, number, paginator):
        if isinstance(object_list, QuerySet):
            ids = list(object_list.values_list("pk", flat=True))
            object_list = self.object_list.filter(pk__in=ids)
        return super()._get_page(object_list, number, paginator)


def paginate_capped(
    request: HttpRequest,
    object_list,
    per_page: int,
    cap: int | None = None,
    memo: CountMemo | None = None,
) -> Page:
    """Like `paginate`, counting at most `cap` items (two queries: the capped count, the page).

    `object_list` is a queryset or anything with slicing and `count_up_to(limit)`.
    """
    paginator = CappedPaginator(object_list, per_page, cap=cap, memo=memo)
    return paginator.get_page(request.GET.get("page"))
