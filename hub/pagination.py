from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, object_list, per_page: int) -> Page:
    """The page named by ?page=; out-of-range or malformed numbers give the nearest page."""
    return Paginator(object_list, per_page).get_page(request.GET.get("page"))
