"""The rows of an admin list, rendered with the markup of Django's own (`items_for_result`)
at a fraction of its cost.

Django works out for every cell again what the column is (a field, a method, an attribute),
how empty values show, which classes and link it gets, and joins the pieces with
`format_html`: at fifty rows of ten columns that was nearly half of a list page's time at a
million repositories. Here a column is worked out once per page and each cell is one lookup,
one formatting of the value and one escape. Lists this does not cover (editable columns,
pop-up pickers) keep Django's rendering; `moderation/tests/test_admin_rows.py` holds the two
renderings equal for every list that uses it.

One difference on purpose: the times of DateTimeField columns show as "2026-11-26 17:36"
(the hub's time zone), which lines up down a column and reads the same in every language;
Django's "Nov. 26, 2026, 5:36 p.m." cost more than the rest of a row. (A column method that
returns a time gets Django's format.) The table is Django's `admin/change_list_results.html`,
included by `templates/admin/quick_rows_change_list.html`: a list that needs a template of its
own extends that one.
"""

import datetime
import html
from collections.abc import Callable

from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _boolean_icon,
    _coerce_field_name,
    result_headers,
    result_list,
)
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.safestring import mark_safe

_DATES = (models.DateField, models.TimeField, models.ForeignKey)
_WHEN = (datetime.date, datetime.time)


def escape_html(value) -> str:
    """`conditional_escape` without its lazy-string wrapper: the same text."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


class _Column:
    def __init__(self, cl, name, index: int, tag: str | None):
        """`tag`: "th" or "td" when the column links to the object, else None."""
        self.tag = tag
        self.url_for = cl.url_for_result
        self.empty = self.default_empty = cl.model_admin.get_empty_value_display()
        self.classes = self.base_classes = f"field-{_coerce_field_name(name, index)}"
        self.boolean = False
        self.display: Callable = self._generic
        self.value: Callable | None = None
        self.name = name
        self.model_admin = cl.model_admin
        try:
            field = _get_non_gfk_field(cl.lookup_opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            field = None
        if field is None:
            if callable(name):
                method = name
            elif hasattr(cl.model_admin, name) and name != "__str__":
                method = getattr(cl.model_admin, name)
            else:
                return  # an attribute of the object: looked up as Django does, per cell
            self.value = method
            self.empty = getattr(method, "empty_value_display", self.empty)
            self.boolean = getattr(method, "boolean", False)
            self.display = self._computed
            if name == "action_checkbox":
                self.classes = "action-checkbox"
        elif field.auto_created:
            self.value = _attribute(name)
            self.display = self._computed
        else:
            self.value = _attribute(name)
            if isinstance(field, _DATES):
                self.classes += " nowrap"
            if isinstance(field.remote_field, models.ManyToOneRel):
                self.value = _attribute(field.name)
                self.display = self._related
            elif isinstance(field, models.DateTimeField):
                self.display = self._time
            elif getattr(field, "flatchoices", None):
                try:
                    self.choices = dict(field.flatchoices)
                    self.display = self._choice
                except TypeError:  # list-like choices: Django's own handling
                    self.field, self.display = field, self._field
            else:
                self.field, self.display = field, self._field

    def cell(self, obj) -> str:
        try:
            content, classes = self.display(obj)
        except ObjectDoesNotExist:
            content, classes = self.default_empty, self.base_classes
        content = escape_html(content)
        if self.tag is None:
            return f'<td class="{classes}">{content}</td>'
        try:
            url = self.url_for(obj)
        except NoReverseMatch:
            pass
        else:
            content = f'<a href="{html.escape(url)}">{content}</a>'
        return f'<{self.tag} class="{classes}">{content}</{self.tag}>'

    def _computed(self, obj):
        value = self.value(obj)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        shown = display_for_value(value, self.empty, self.boolean)
        if isinstance(value, _WHEN):  # dates and times do not wrap
            return shown, f"{self.classes} nowrap"
        return shown, self.classes

    def _related(self, obj):
        value = self.value(obj)
        return (self.empty if value is None else value), self.classes

    def _time(self, obj):
        value = self.value(obj)
        if value is None:
            return self.empty, self.classes
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}", self.classes

    def _choice(self, obj):
        value = self.value(obj)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        return self.choices.get(value, self.empty), self.classes

    def _field(self, obj):
        value = self.value(obj)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        return display_for_field(value, self.field, self.empty, self.tag is not None), self.classes

    def _generic(self, obj):
        """An attribute of the object, or anything else: Django's own look-up."""
        _field, attr, value = lookup_field(self.name, obj, self.model_admin)
        empty = getattr(attr, "empty_value_display", self.empty)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        boolean = getattr(attr, "boolean", False)
        if isinstance(attr, property) and hasattr(attr, "fget"):
            boolean = getattr(attr.fget, "boolean", False)
        if boolean:
            return _boolean_icon(value), self.classes
        shown = display_for_value(value, empty)
        if isinstance(value, _WHEN):
            return shown, f"{self.classes} nowrap"
        return shown, self.classes


def _attribute(name: str) -> Callable:
    return lambda obj: getattr(obj, name)


def quick_result_list(cl) -> dict:
    """The context of Django's `result_list` tag (the list's table), with its rows
    rendered as above."""
    if cl.formset or cl.is_popup or cl.to_field:
        return result_list(cl)
    headers = list(result_headers(cl))
    columns, first = [], True
    for index, name in enumerate(cl.list_display):
        linked = cl.list_display_links is not None and (
            (first and not cl.list_display_links) or name in cl.list_display_links
        )
        columns.append(_Column(cl, name, index, ("th" if first else "td") if linked else None))
        first = first and not linked
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": [
            # Every cell escapes what it shows (`_Column.cell`).
            ResultList(None, [mark_safe("".join(column.cell(obj) for column in columns))])  # noqa: S308
            for obj in cl.result_list
        ],
    }
