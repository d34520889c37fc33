from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.http import HttpRequest
from django.utils.functional import cached_property


def paginate(request: HttpRequest, object_list, per_page: int) -> Page:
    """The page named by ?page=; out-of-range or malformed numbers give the nearest page."""
    return Paginator(object_list, per_page).get_page(request.GET.get("page"))


class _CountedPaginator(Paginator):
    def __init__(self, per_page: int, count: int):
        super().__init__([], per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count


def paginate_ids(request: HttpRequest, ids: QuerySet, per_page: int) -> Page:
    """Like `paginate`, for an ordered queryset of ids, in one query instead of two.

    The total comes with the page's rows (COUNT(*) OVER ()), so a search is evaluated once;
    only a page past the end costs a separate count.
    """
    if ids.query.distinct:
        # A window counts rows before DISTINCT removes duplicates: count separately.
        return paginate(request, ids, per_page)
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except (TypeError, ValueError):
        number = 1

    def rows(n: int) -> list[tuple[int, int]]:
        start = (n - 1) * per_page
        return list(ids.values_list("id", Window(Count("id")))[start : start + per_page])

    found = rows(number)
    if found:
        total = found[0][1]
    else:
        total = ids.count()
        last = max(1, -(-total // per_page))
        if total and number > last:
            number = last
            found = rows(number)
    return Page([row[0] for row in found], number, _CountedPaginator(per_page, total))
