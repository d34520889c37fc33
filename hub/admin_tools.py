"""Pieces the apps' admin pages share: links to related objects and counts computed in the
list's own query (a subquery per row in SQL, never a query per row in Python)."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils.html import format_html


def admin_link(obj, text=None) -> str:
    """A link to the object's admin page ("—" when the object is gone)."""
    if obj is None:
        return "—"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else str(obj))


def count_subquery(related: QuerySet, field: str, outer: str = "pk") -> Subquery:
    """How many rows of `related` point through `field` at the outer row's `outer`."""
    return Subquery(
        related.filter(**{field: OuterRef(outer)})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )
