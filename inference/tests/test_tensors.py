from decimal import Decimal

import numpy as np
import pytest

from inference import tensors
from inference.tensors import TensorError, TensorSpec

FLOAT_BATCH = TensorSpec("features", "float", ("batch", 6))
INT_FIXED = TensorSpec("ids", "int8", (2, 2))


@pytest.mark.parametrize(
    "spec",
    [
        FLOAT_BATCH,
        INT_FIXED,
        TensorSpec("flag", "bool", (3,)),
        TensorSpec("words", "string", (None, 2)),
        TensorSpec("scalar", "double", ()),
    ],
)
def test_the_example_of_every_input_is_accepted_as_it_is_shown(spec):
    parsed = tensors.parse_input(spec, tensors.example_text(spec), max_values=100)
    assert [d if isinstance(d, int) else 1 for d in spec.shape] == parsed["shape"]


@pytest.mark.parametrize(
    ("spec", "text", "problem"),
    [
        (FLOAT_BATCH, "", "a value is required"),
        (FLOAT_BATCH, "[[1, 2", "not valid JSON"),
        (FLOAT_BATCH, "[1, 2, 3, 4, 5, 6]", "expected 2 dimension(s) [batch, 6], got 1"),
        (FLOAT_BATCH, "[[1, 2, 3]]", "dimension 1 must be 6"),
        (FLOAT_BATCH, "[[1, 2, 3, 4, 5, 6], [1, 2]]", "rows at depth 2 have different lengths"),
        (FLOAT_BATCH, '[[1, 2, 3, 4, 5, "6"]]', 'expected numbers (float), got "6"'),
        (FLOAT_BATCH, "[[1, 2, 3, 4, 5, true]]", "expected numbers (float), got true"),
        (FLOAT_BATCH, "[[1, 2, 3, 4, 5, NaN]]", "NaN is not a number that can be sent"),
        (FLOAT_BATCH, "[[1, 2, 3, 4, 5, 1e39]]", "too large for float"),
        (TensorSpec("x", "float", ("n",)), "[]", "dimension 0 is empty"),
        (INT_FIXED, "[[1, 2], [3, 4.5]]", "expected whole numbers (int8), got 4.5"),
        (INT_FIXED, "[[1, 2], [3, 300]]", "300 is outside the range of int8"),
        (INT_FIXED, "[[1, 2], [3, [4]]]", "mix lists and values"),
    ],
)
def test_input_that_does_not_fit_is_refused_naming_the_tensor_and_the_problem(spec, text, problem):
    with pytest.raises(TensorError) as caught:
        tensors.parse_input(spec, text, max_values=100)
    assert caught.value.name == spec.name
    assert problem in caught.value.problem


def test_the_size_limit_is_checked():
    spec = TensorSpec("x", "float", ("n",))
    with pytest.raises(TensorError, match="5 values; at most 4"):
        tensors.parse_input(spec, "[1, 2, 3, 4, 5]", max_values=4)


def _signature(opset, *inputs):
    return {"opset": opset, "inputs": [{"name": n, "type": t, "shape": s} for n, t, s in inputs]}


def test_zkml_needs_opset_9_to_18_numeric_inputs_and_no_mix_of_static_and_dynamic_shapes():
    assert tensors.zkml_problems(_signature(13, ("x", "float", [1, 4]))) == []
    assert (
        tensors.zkml_problems(_signature(9, ("x", "float", ["n", 4]), ("y", "int64", ["n"]))) == []
    )
    assert tensors.zkml_problems(_signature(18, ("x", "float", ["n", 4]))) == []
    assert "opset is 19" in tensors.zkml_problems(_signature(19, ("x", "float", [1])))[0]
    assert "opset is 8" in tensors.zkml_problems(_signature(8, ("x", "float", [1])))[0]
    assert "numeric inputs only" in tensors.zkml_problems(_signature(13, ("s", "string", [1])))[0]
    mixed = tensors.zkml_problems(_signature(13, ("a", "float", [1, 4]), ("b", "float", ["n"])))
    assert mixed == ["it mixes inputs of static shape (a) and of dynamic shape (b)"]


@pytest.mark.parametrize(
    ("number", "pair"),
    [
        (0.1, (1, 1)),
        (-3.25, (-325, 2)),
        (1200.0, (1200, 0)),
        (1e20, (10**20, 0)),
        (7, (7, 0)),
        (0, (0, 0)),
        (1.5e-7, (15, 8)),
        (True, (1, 0)),
    ],
)
def test_numbers_become_opengradient_fixed_point_pairs(number, pair):
    assert tensors.to_fixed(number) == pair
    value, decimals = pair
    assert Decimal(value).scaleb(-decimals) == Decimal(
        str(int(number) if number is True else number)
    )


def test_fixed_point_refuses_what_int128_cannot_hold():
    with pytest.raises(ValueError, match="128-bit"):
        tensors.to_fixed(1e40)


def test_canonical_json_does_not_depend_on_key_order():
    a = {"b": {"values": [1.5], "shape": [1]}, "a": {"values": "x", "shape": []}}
    b = {"a": {"shape": [], "values": "x"}, "b": {"shape": [1], "values": [1.5]}}
    assert tensors.sha256_hex(a) == tensors.sha256_hex(b)
    assert (
        tensors.canonical_json(b)
        == '{"a":{"shape":[],"values":"x"},"b":{"shape":[1],"values":[1.5]}}'
    )


def test_outputs_keep_non_finite_numbers_as_text():
    out = tensors.from_numpy(np.array([[1.5, np.nan, np.inf]], dtype=np.float32))
    assert out == {"type": "float", "shape": [1, 3], "values": [[1.5, "nan", "inf"]]}
