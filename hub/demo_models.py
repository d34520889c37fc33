"""Small, real ONNX models for the demo data, built with the onnx helper API at seed time."""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _model(graph, opset: int = 17) -> bytes:
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="model-hub-demo"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def volatility_model() -> bytes:
    """[1, 10, 4] OHLC candles → [1, 1] volatility: the mean of a learned projection."""
    rng = np.random.default_rng(7)
    weights = numpy_helper.from_array(rng.normal(size=(4, 1)).astype(np.float32), "w")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["open_high_low_close", "w"], ["projected"]),
            helper.make_node("ReduceMean", ["projected"], ["mean"], axes=[1], keepdims=0),
            helper.make_node("Abs", ["mean"], ["Y"]),
        ],
        "volatility",
        [helper.make_tensor_value_info("open_high_low_close", TensorProto.FLOAT, [1, 10, 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 1])],
        [weights],
    )
    return _model(graph, opset=17)


def direction_classifier() -> bytes:
    """[batch, 6] features → [batch, 2] class probabilities (a linear layer and softmax)."""
    rng = np.random.default_rng(11)
    w = numpy_helper.from_array(rng.normal(size=(6, 2)).astype(np.float32), "w")
    b = numpy_helper.from_array(np.zeros(2, dtype=np.float32), "b")
    graph = helper.make_graph(
        [
            helper.make_node("Gemm", ["features", "w", "b"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        ],
        "direction",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 6])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 2])],
        [w, b],
    )
    return _model(graph, opset=13)


def risk_score() -> bytes:
    """[1, 4] position features → [1, 1] risk score in 0..100 (logistic regression)."""
    w = numpy_helper.from_array(np.array([[-2.0], [0.8], [1.1], [0.5]], np.float32), "w")
    hundred = numpy_helper.from_array(np.array(100.0, np.float32), "hundred")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["position", "w"], ["z"]),
            helper.make_node("Sigmoid", ["z"], ["p"]),
            helper.make_node("Mul", ["p", "hundred"], ["risk"]),
        ],
        "risk",
        [helper.make_tensor_value_info("position", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("risk", TensorProto.FLOAT, [1, 1])],
        [w, hundred],
    )
    return _model(graph, opset=15)


def readme() -> bytes:
    return b"Inputs: the last ten 1-hour OHLC candles of ETH/USDT, oldest first.\n"


def features() -> bytes:
    return b'{"features": ["health_factor", "volatility_7d", "utilisation", "concentration"]}\n'
