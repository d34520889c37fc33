"""The diff of two ONNX signatures (as `hub.onnx_signature` stores them) and the rule of
what in it breaks callers, written once: the compare page, the release page and the release
form ask it through `releases.compare`.

A caller feeds inputs by name and reads outputs by name, so these break it:

- an input removed, renamed or added (every graph input of an ONNX model is required);
- an output removed or renamed;
- a type change, a rank change, or a fixed dimension changed to another fixed size, of an
  input or an output.

An added output, a new opset, other parameters, a dimension that became symbolic or fixed
are shown but break nobody.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Tensor:
    """An input or output of an ONNX model as the signature reader stored it."""

    name: str
    type: str
    shape: tuple

    @classmethod
    def of(cls, entry: dict[str, Any]) -> "Tensor":
        return cls(str(entry.get("name", "")), str(entry.get("type", "")), tuple(entry["shape"]))

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def shape_text(self) -> str:
        return "[" + ", ".join("?" if d is None else str(d) for d in self.shape) + "]"


@dataclass
class TensorRow:
    """One input or output on both sides: same, added, removed, renamed or changed."""

    status: str
    old: Tensor | None
    new: Tensor | None
    notes: list[str] = field(default_factory=list)
    breaking: bool = False
    role: str = ""  # input | output


@dataclass
class SignatureDiff:
    inputs: list[TensorRow]
    outputs: list[TensorRow]
    opset: tuple[Any, Any]
    parameters: tuple[Any, Any]
    breaking: list[str]  # what breaks callers, one sentence each

    @property
    def rows(self) -> list[TensorRow]:
        return self.inputs + self.outputs

    @property
    def changed(self) -> bool:
        rows = self.inputs + self.outputs
        return (
            any(r.status != "same" for r in rows)
            or self.opset[0] != self.opset[1]
            or self.parameters[0] != self.parameters[1]
        )


def _shape_notes(old: Tensor, new: Tensor) -> tuple[list[str], bool]:
    """What changed between two tensors of the same name, and whether it breaks callers."""
    notes: list[str] = []
    breaking = False
    if old.type != new.type:
        notes.append(f"type {old.type} → {new.type}")
        breaking = True
    if old.rank != new.rank:
        notes.append(f"rank {old.rank} → {new.rank}: shape {old.shape_text} → {new.shape_text}")
        breaking = True
    elif old.shape != new.shape:
        fixed = [
            (a, b)
            for a, b in zip(old.shape, new.shape, strict=True)
            if isinstance(a, int) and isinstance(b, int) and a != b
        ]
        notes.append(f"shape {old.shape_text} → {new.shape_text}")
        breaking = breaking or bool(fixed)
    return notes, breaking


def _tensor_rows(old: list[Tensor], new: list[Tensor], role: str) -> list[TensorRow]:
    old_names = {t.name for t in old}
    new_names = {t.name for t in new}
    new_by_name = {t.name: t for t in new}
    gone = [(i, t) for i, t in enumerate(old) if t.name not in new_names]
    came = {i: t for i, t in enumerate(new) if t.name not in old_names}
    # A tensor that left a position where a new one of the same type and rank arrived was
    # renamed: callers still break (they use the name), but the page says what happened.
    renamed: dict[str, Tensor] = {}
    for i, t in gone:
        twin = came.get(i)
        if twin is not None and twin.type == t.type and twin.rank == t.rank:
            renamed[t.name] = twin
            del came[i]
    rows: list[TensorRow] = []
    for t in old:
        if t.name in new_by_name:
            notes, breaking = _shape_notes(t, new_by_name[t.name])
            rows.append(
                TensorRow("changed" if notes else "same", t, new_by_name[t.name], notes, breaking)
            )
        elif t.name in renamed:
            twin = renamed[t.name]
            notes, _ = _shape_notes(t, twin)
            rows.append(TensorRow("renamed", t, twin, [f"renamed to {twin.name}", *notes], True))
        else:
            rows.append(TensorRow("removed", t, None, [], True))
    for t in came.values():
        # A new input is required of every caller; a new output is only more to read.
        rows.append(TensorRow("added", None, t, [], breaking=role == "input"))
    for row in rows:
        row.role = role
    return rows


def _breaking_sentences(rows: list[TensorRow], role: str) -> list[str]:
    out = []
    for r in rows:
        if not r.breaking:
            continue
        if r.status == "removed":
            out.append(f"{role} “{r.old.name}” removed")
        elif r.status == "added":
            out.append(f"new required {role} “{r.new.name}”")
        elif r.status == "renamed":
            out.append(f"{role} “{r.old.name}” renamed to “{r.new.name}”")
        else:
            out.append(f"{role} “{r.old.name}”: " + "; ".join(r.notes))
    return out


def signature_diff(old: dict[str, Any], new: dict[str, Any]) -> SignatureDiff:
    """The difference between two stored ONNX signatures (`hub.onnx_signature`)."""
    inputs = _tensor_rows(
        [Tensor.of(t) for t in old.get("inputs", [])],
        [Tensor.of(t) for t in new.get("inputs", [])],
        "input",
    )
    outputs = _tensor_rows(
        [Tensor.of(t) for t in old.get("outputs", [])],
        [Tensor.of(t) for t in new.get("outputs", [])],
        "output",
    )
    return SignatureDiff(
        inputs=inputs,
        outputs=outputs,
        opset=(old.get("opset"), new.get("opset")),
        parameters=(old.get("parameters"), new.get("parameters")),
        breaking=_breaking_sentences(inputs, "input") + _breaking_sentences(outputs, "output"),
    )
