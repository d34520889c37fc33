import json
from typing import Any

import numpy as np
from django import template

register = template.Library()

MAX_ROWS = 100
MAX_COLUMNS = 40


def _cell(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


@register.filter
def tensor_table(tensor: dict[str, Any]) -> dict[str, Any]:
    """A tensor as rows of cells for a table: scalars and vectors as one row, matrices as
    they are, higher ranks flattened to rows of the last dimension; long tables cut."""
    values = tensor.get("values")
    shape = tensor.get("shape") or []
    array = np.array(values, dtype=object)
    if array.size == 0:
        return {"rows": [], "cut": False, "shape": shape, "columns": 0}
    if array.ndim == 0:
        rows = [[array.item()]]
    elif array.ndim == 1:
        rows = [array.tolist()]
    else:
        rows = array.reshape(-1, array.shape[-1]).tolist()
    cut = len(rows) > MAX_ROWS or any(len(r) > MAX_COLUMNS for r in rows)
    rows = [[_cell(v) for v in r[:MAX_COLUMNS]] for r in rows[:MAX_ROWS]]
    return {"rows": rows, "cut": cut, "shape": shape, "columns": len(rows[0]) if rows else 0}


@register.filter
def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@register.filter
def short_hash(value: str | None) -> str:
    if not value:
        return ""
    return f"{value[:10]}…{value[-6:]}"


@register.simple_tag(takes_context=True)
def inference_panel(context, file) -> str:
    """The file page's test-inference panel, for those who may run the file; else nothing.

    A tag, so that the file page (in `releases`) needs nothing from this app above it."""
    from django.template.loader import render_to_string

    from inference.selectors import file_panel

    request = context["request"]
    panel = file_panel(user=request.user, rf=file)
    if panel is None:
        return ""
    return render_to_string(
        "partials/inference_panel.html", {"panel": panel, "file": file}, request=request
    )
