"""Tensors in and out of test inferences: the form's input checked against the model's
signature, canonical JSON and its sha256, the ZKML rules, and OpenGradient's fixed-point
numbers."""

import hashlib
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

FLOAT_TYPES = {"float": np.float32, "double": np.float64, "float16": np.float16}
INT_TYPES = {
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
}
NUMERIC_TYPES = FLOAT_TYPES | INT_TYPES | {"bool": np.bool_}
SUPPORTED_TYPES = set(NUMERIC_TYPES) | {"string"}
ZKML_OPSETS = range(9, 19)
INT128 = 2**127


class TensorError(ValueError):
    """Input that does not fit a tensor of the signature; the message names the tensor."""

    def __init__(self, name: str, problem: str):
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem


@dataclass(frozen=True)
class TensorSpec:
    name: str
    type: str
    shape: tuple[int | str | None, ...]

    @property
    def shape_label(self) -> str:
        dims = ", ".join("?" if d is None else str(d) for d in self.shape)
        return f"[{dims}]"

    @property
    def is_dynamic(self) -> bool:
        return any(not isinstance(d, int) or d <= 0 for d in self.shape)


def input_specs(signature: dict[str, Any] | None) -> list[TensorSpec]:
    if not signature:
        return []
    return [
        TensorSpec(name=i["name"], type=i["type"], shape=tuple(i.get("shape") or ()))
        for i in signature.get("inputs", [])
    ]


def unsupported_inputs(specs: list[TensorSpec]) -> list[str]:
    return [
        f"input {s.name} has type {s.type}, which test inferences do not support"
        for s in specs
        if s.type not in SUPPORTED_TYPES
    ]


def zkml_problems(signature: dict[str, Any] | None) -> list[str]:
    """Why a model cannot run in ZKML mode; empty when it qualifies."""
    if not signature:
        return ["the file has no ONNX signature"]
    problems = []
    opset = signature.get("opset")
    if opset not in ZKML_OPSETS:
        problems.append(f"its ONNX opset is {opset}; ZKML needs opset 9 to 18")
    specs = input_specs(signature)
    for spec in specs:
        if spec.type not in NUMERIC_TYPES:
            problems.append(f"input {spec.name} is {spec.type}; ZKML takes numeric inputs only")
    dynamic = [s.name for s in specs if s.is_dynamic]
    static = [s.name for s in specs if not s.is_dynamic]
    if dynamic and static:
        problems.append(
            "it mixes inputs of static shape (" + ", ".join(static) + ") and of dynamic shape ("
            + ", ".join(dynamic) + ")"
        )  # fmt: skip
    return problems


def _example_dims(spec: TensorSpec) -> list[int]:
    return [d if isinstance(d, int) and d > 0 else 1 for d in spec.shape]


def example_value(spec: TensorSpec) -> Any:
    """A valid input for the tensor: small, varied numbers in its shape (dynamic dims = 1)."""
    dims = _example_dims(spec)
    count = math.prod(dims)
    if spec.type == "string":
        flat: list[Any] = [f"text {i + 1}" for i in range(count)]
    elif spec.type == "bool":
        flat = [i % 2 == 1 for i in range(count)]
    elif spec.type in INT_TYPES:
        flat = [(i % 9) + 1 for i in range(count)]
    else:
        flat = [round(0.1 * ((i % 9) + 1), 1) for i in range(count)]
    return np.array(flat, dtype=object).reshape(dims).tolist() if dims else flat[0]


def example_text(spec: TensorSpec) -> str:
    return json.dumps(example_value(spec))


def _reject_constant(name: str):
    def reject(constant: str):
        raise TensorError(name, f"{constant} is not a number that can be sent")

    return reject


def _check_element(spec: TensorSpec, value: Any) -> None:
    t = spec.type
    if t == "string":
        if not isinstance(value, str):
            raise TensorError(spec.name, f"expected text values, got {json.dumps(value)}")
    elif t == "bool":
        if not isinstance(value, bool):
            raise TensorError(spec.name, f"expected true or false, got {json.dumps(value)}")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise TensorError(spec.name, f"expected numbers ({t}), got {json.dumps(value)}")
    elif t in INT_TYPES:
        if isinstance(value, float) and not value.is_integer():
            raise TensorError(spec.name, f"expected whole numbers ({t}), got {value}")
        info = np.iinfo(INT_TYPES[t])
        if not info.min <= int(value) <= info.max:
            raise TensorError(spec.name, f"{int(value)} is outside the range of {t}")
    elif t in FLOAT_TYPES:
        limit = float(np.finfo(FLOAT_TYPES[t]).max)
        if abs(value) > limit:
            raise TensorError(spec.name, f"{value} is too large for {t}")


def _shape_of(name: str, value: Any) -> list[int]:
    """The shape of a nested list, refusing ragged rows."""
    shape: list[int] = []
    level = [value]
    while level and all(isinstance(v, list) for v in level):
        lengths = {len(v) for v in level}
        if len(lengths) != 1:
            raise TensorError(name, f"rows at depth {len(shape) + 1} have different lengths")
        shape.append(lengths.pop())
        level = [item for v in level for item in v]
        if shape[-1] == 0:
            break
    if any(isinstance(v, list) for v in level):
        raise TensorError(name, f"rows at depth {len(shape) + 1} mix lists and values")
    return shape


def _flatten(value: Any, depth: int) -> list[Any]:
    flat = [value]
    for _ in range(depth):
        flat = [item for v in flat for item in v]
    return flat


def parse_input(spec: TensorSpec, text: str, *, max_values: int) -> dict[str, Any]:
    """Check the JSON the user typed for one input; returns {type, shape, values}."""
    if spec.type not in SUPPORTED_TYPES:
        raise TensorError(spec.name, f"type {spec.type} is not supported")
    if not text.strip():
        raise TensorError(spec.name, "a value is required")
    if len(text) > max_values * 64 + 1024:
        raise TensorError(spec.name, f"the text is too long for {max_values} values")
    try:
        value = json.loads(text, parse_constant=_reject_constant(spec.name))
    except json.JSONDecodeError as exc:
        raise TensorError(
            spec.name, f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError:
        raise TensorError(spec.name, "nested too deeply") from None
    except ValueError as exc:  # e.g. a number with thousands of digits
        raise TensorError(spec.name, f"not valid JSON ({exc})") from None
    shape = _shape_of(spec.name, value)
    if len(shape) != len(spec.shape):
        raise TensorError(
            spec.name,
            f"expected {len(spec.shape)} dimension(s) {spec.shape_label}, got {len(shape)} "
            f"({shape})",
        )
    for axis, (want, got) in enumerate(zip(spec.shape, shape, strict=True)):
        if isinstance(want, int) and want > 0 and want != got:
            raise TensorError(
                spec.name,
                f"dimension {axis} must be {want} (shape {spec.shape_label}), got {got}",
            )
        if got == 0:
            raise TensorError(spec.name, f"dimension {axis} is empty")
    count = math.prod(shape)
    if count > max_values:
        raise TensorError(spec.name, f"{count} values; at most {max_values} can be sent")
    for element in _flatten(value, len(shape)):
        _check_element(spec, element)
    if spec.type in FLOAT_TYPES:
        value = np.asarray(value, dtype=np.float64).tolist()
    elif spec.type in INT_TYPES:
        value = np.asarray(value, dtype=np.int64 if spec.type != "uint64" else np.uint64).tolist()
    return {"type": spec.type, "shape": shape, "values": value}


def to_numpy(tensor: dict[str, Any]) -> np.ndarray:
    t = tensor["type"]
    if t == "string":
        return np.array(tensor["values"], dtype=object).reshape(tensor["shape"])
    return np.array(tensor["values"], dtype=NUMERIC_TYPES[t]).reshape(tensor["shape"])


_NUMPY_NAMES = {np.dtype(v).name: k for k, v in NUMERIC_TYPES.items()}


def from_numpy(array: np.ndarray) -> dict[str, Any]:
    """An output tensor as stored: NaN and infinities become strings, JSON has no room for
    them."""
    array = np.asarray(array)
    if array.dtype.kind in "OUS":
        kind = "string"
        values = np.vectorize(str, otypes=[object])(array).tolist() if array.size else []
    else:
        kind = _NUMPY_NAMES.get(array.dtype.name, array.dtype.name)
        values = array.tolist()
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            flat = [v if math.isfinite(v) else str(v) for v in array.ravel().tolist()]
            values = np.array(flat, dtype=object).reshape(array.shape).tolist()
    return {"type": kind, "shape": list(array.shape), "values": values}


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def to_fixed(number: int | float | bool) -> tuple[int, int]:
    """OpenGradient's fixed-point pair (value, decimals) for a number."""
    sign, digits, exponent = (
        Decimal(str(int(number) if isinstance(number, bool) else number)).normalize().as_tuple()
    )
    if not isinstance(exponent, int):
        raise ValueError(f"{number} is not a finite number")
    value = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if exponent < 0:
        decimals = -exponent
    else:
        value, decimals = value * 10**exponent, 0
    if not -INT128 <= value < INT128:
        raise ValueError(f"{number} does not fit a 128-bit fixed-point number")
    return value, decimals


def from_fixed(value: int, decimals: int) -> int | float:
    if decimals == 0:
        return value
    return float(Decimal(value).scaleb(-decimals))
