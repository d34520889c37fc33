import json
import math
from typing import Any

import numpy as np
from django import template

from inference import tensors

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


SDK_VERSION = "1.1.4"  # the opengradient release the snippet is written for
SDK_TYPES = set(tensors.FLOAT_TYPES) | set(tensors.INT_TYPES) | {"string"}  # what it sends
INLINE_VALUES = 64  # larger example inputs are written as np.full(...)


@register.simple_tag(takes_context=True)
def use_this_model(context, file=None, files=None) -> str:
    """The "Use this model" box: copy-ready CLI, curl and OpenGradient SDK snippets.

    `file=` on a file page (that file, at its release); `files=` on the repository page (the
    latest release's files: the whole release for the CLI, its main file for the others).
    The shell lines come from `releases.commands` (quoted, users' words after `--`), the
    Python is written with literals here, and the partial HTML-escapes both."""
    from django.template.loader import render_to_string

    from releases import commands
    from repos.access import content_usable

    request = context["request"]
    usable = [rf for rf in ([file] if file is not None else files or []) if content_usable(rf.blob)]
    if not usable:
        return ""
    rf = usable[0] if file is not None else _main_file(usable)
    download = commands.download(request, rf, whole_release=files is not None)
    return render_to_string(
        "partials/use_this_model.html",
        {
            "file": rf,
            "whole_release": files is not None,
            "release": rf.release,
            "needs_token": download.needs_token,
            "is_latest": download.is_latest,
            "cli": download.cli,
            "curl": download.curl,
            "python": _sdk_snippet(rf),
            "sdk_version": SDK_VERSION,
        },
        request=request,
    )


def _main_file(files: list) -> Any:
    """The file a repository's snippets show: its first ONNX model with a signature, else
    its first ONNX file, else its first file."""
    return next(
        (rf for rf in files if rf.is_onnx and rf.blob.onnx_status == "valid"),
        next((rf for rf in files if rf.is_onnx), files[0]),
    )


def _sdk_snippet(rf) -> str:
    """Python running the model on OpenGradient's network, with example inputs in the
    signature's shapes; "" where that does not apply. The network runs models held by
    OpenGradient's own Model Hub, found by their CID: the Blob ID passed here reaches the model
    only if the same file is published there too (the snippet and its note say so)."""
    if not rf.is_onnx or rf.blob.onnx_status != "valid":
        return ""
    specs = tensors.input_specs(rf.blob.onnx_signature)
    if not specs or any(spec.type not in SDK_TYPES for spec in specs):
        return ""
    uses_numpy = False
    entries = []
    for spec in specs:
        dims = [d if isinstance(d, int) and d > 0 else 1 for d in spec.shape]
        if math.prod(dims) > INLINE_VALUES:
            fill = (
                '"text"'
                if spec.type == "string"
                else "1"
                if spec.type in tensors.INT_TYPES
                else "0.1"
            )
            value, uses_numpy = f"np.full({tuple(dims)!r}, {fill})", True
        else:
            value = _py_literal(tensors.example_value(spec), indent=8)
        entries.append(f"        {json.dumps(spec.name, ensure_ascii=False)}: {value},")
    modes = "TEE, ZKML" if not tensors.zkml_problems(rf.blob.onnx_signature) else "TEE"
    lines = [
        f"# pip install opengradient=={SDK_VERSION}",
        "import os",
        "",
        *(["import numpy as np"] if uses_numpy else []),
        "import opengradient as og",
        "",
        "# A funded key of the OpenGradient network, which pays for the inference.",
        'alpha = og.Alpha(private_key=os.environ["OG_PRIVATE_KEY"])',
        "result = alpha.infer(",
        "    # This hub's Blob ID: OpenGradient's network knows it only if the same file is",
        "    # also published on OpenGradient's own Model Hub, under this CID.",
        f"    model_cid={json.dumps(rf.blob.blob_id)},",
        f"    inference_mode=og.InferenceMode.VANILLA,  # or {modes}",
        "    model_input={",
        *entries,
        "    },",
        ")",
        "print(result.transaction_hash, result.model_output)",
    ]
    return "\n".join(lines)


def _py_literal(value: Any, indent: int) -> str:
    """A Python literal of an example input (nested lists of numbers, booleans or text),
    on one line when it fits, else one row a line."""
    if isinstance(value, list):
        flat = "[" + ", ".join(_py_literal(v, 0) for v in value) + "]"
        if len(flat) + indent <= 80 or not value or not isinstance(value[0], list):
            return flat
        pad = " " * (indent + 4)
        rows = "".join(f"{pad}{_py_literal(v, indent + 4)},\n" for v in value)
        return f"[\n{rows}{' ' * indent}]"
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)
