"""Reads the signature of an ONNX model: inputs, outputs, opset, producer, size of the graph,
and the operators it uses."""

from collections import Counter
from typing import Any

import onnx
from onnx import AttributeProto, TensorProto

# Parameters are counted from the initializers; models with external data are read without it.
_MAX_BYTES_IN_MEMORY = 2 * 1024**3


def _dims(type_proto) -> list[int | str | None]:
    tensor = type_proto.tensor_type
    if not tensor.HasField("shape"):
        return []
    dims: list[int | str | None] = []
    for dim in tensor.shape.dim:
        if dim.HasField("dim_value"):
            dims.append(dim.dim_value)
        elif dim.HasField("dim_param"):
            dims.append(dim.dim_param)
        else:
            dims.append(None)
    return dims


def _value_info(value) -> dict[str, Any]:
    kind = value.type.WhichOneof("value")
    if kind == "tensor_type":
        elem = TensorProto.DataType.Name(value.type.tensor_type.elem_type).lower()
        return {"name": value.name, "type": elem, "shape": _dims(value.type)}
    return {"name": value.name, "type": kind or "unknown", "shape": []}


def _op_name(node) -> str:
    # Operators of the default domain by their name alone (Conv); others with their domain
    # (com.microsoft.FusedConv), as a runtime must know them.
    if node.domain in ("", "ai.onnx"):
        return node.op_type
    return f"{node.domain}.{node.op_type}"


def count_operators(graph) -> list[dict[str, Any]]:
    """The operators of `graph` and of the graphs nested in its nodes (the branches of an If,
    the body of a Loop or Scan), with how many nodes use each: most used first."""
    counts: Counter[str] = Counter()
    pending = [graph]
    while pending:  # a stack rather than recursion: nesting depth is up to the file
        for node in pending.pop().node:
            counts[_op_name(node)] += 1
            for attr in node.attribute:
                if attr.type == AttributeProto.GRAPH:
                    pending.append(attr.g)
                elif attr.type == AttributeProto.GRAPHS:
                    pending.extend(attr.graphs)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    # A list, not a mapping: the order survives a JSON column that sorts its keys.
    return [{"op": op, "count": count} for op, count in ranked]


def read_signature(path: str) -> dict[str, Any]:
    """The signature of the ONNX model in the file at `path`; raises ValueError if not ONNX."""
    try:
        model = onnx.load(path, load_external_data=False)
    except Exception as exc:  # onnx raises DecodeError and others for non-ONNX bytes
        raise ValueError(f"not an ONNX model ({exc.__class__.__name__})") from exc
    graph = model.graph
    if not graph.node and not graph.input and not graph.output:
        raise ValueError("not an ONNX model (no graph)")
    initializers = {init.name for init in graph.initializer}
    parameters = 0
    for init in graph.initializer:
        count = 1
        for dim in init.dims:
            count *= dim
        parameters += count
    opsets = {(op.domain or "ai.onnx"): op.version for op in model.opset_import}
    return {
        "inputs": [_value_info(v) for v in graph.input if v.name not in initializers],
        "outputs": [_value_info(v) for v in graph.output],
        "opset": opsets.get("ai.onnx"),
        "opsets": opsets,
        "ir_version": model.ir_version,
        "producer": " ".join(p for p in (model.producer_name, model.producer_version) if p),
        "nodes": len(graph.node),
        "parameters": parameters,
        "operators": count_operators(graph),
    }
