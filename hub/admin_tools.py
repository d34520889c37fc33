"""Pieces the apps' admin pages share: links to related objects, counts computed in the
list's own query (a subquery per row in SQL, never a query per row in Python), and lists
whose rows render cheaply."""

from functools import lru_cache

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from hub.admin_rows import escape_html, quick_result_list

_PK = "__pk__"


@lru_cache(maxsize=512)
def _change_url_pattern(app_label: str, model_name: str, prefix: str, urlconf) -> str:
    return reverse(f"admin:{app_label}_{model_name}_change", args=[_PK])


def change_url(obj) -> str:
    """The URL of the object's admin page, from one reverse() per model: a reverse() a row
    and link was a tenth of a 50-row list's time."""
    opts = obj._meta
    pattern = _change_url_pattern(
        opts.app_label, opts.model_name, get_script_prefix(), get_urlconf()
    )
    return pattern.replace(_PK, quote(str(obj.pk)))


def admin_link(obj, text=None) -> str:
    """A link to the object's admin page ("—" when the object is gone)."""
    if obj is None:
        return "—"
    shown = escape_html(text if text is not None else obj)
    return mark_safe(f'<a href="{escape_html(change_url(obj))}">{shown}</a>')  # noqa: S308


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters with "…" at the end, or "—" when empty."""
    if not text:
        return "—"
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


class QuickRowsChangeList(ChangeList):
    """The admin's list, with each row's link to its object built from `change_url` and the
    list's filters added once: the admin resolve()s every row's URL again when the list is
    filtered, to learn that it is not the list's own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_filters, self.preserved_filters = self.preserved_filters, ""

    def url_for_result(self, result) -> str:
        url = change_url(result)
        return f"{url}?{self.row_filters}" if self.row_filters else url

    def table(self) -> dict:
        """What the list's table shows (`templates/admin/quick_rows_change_list.html`)."""
        return quick_result_list(self)


class QuickRowsAdmin(admin.ModelAdmin):
    """A ModelAdmin whose list rows cost less to render (at 50 rows a page, rendering was
    most of a list's time): rows rendered by `hub.admin_rows`, links as `QuickRowsChangeList`
    makes them, and the selection checkbox written out instead of rendered through the form
    widget templates."""

    change_list_template = "admin/quick_rows_change_list.html"

    def get_changelist(self, request, **kwargs):
        return QuickRowsChangeList

    def action_checkbox(self, obj):
        # As Django's format_html: the (translated) text as it is, the object escaped.
        label = _("Select this object for an action - {}").format(escape_html(obj))
        return mark_safe(  # noqa: S308 (every value escaped)
            f'<input type="checkbox" name="{ACTION_CHECKBOX_NAME}" value="{escape_html(obj.pk)}"'
            f' class="action-select" aria-label="{label}">'
        )
