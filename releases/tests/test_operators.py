"""The operators an ONNX model uses, counted when its signature is read, and the count of the
models read before the hub counted them (`count_onnx_operators`)."""

import numpy as np
import pytest
from django.core.management import call_command
from onnx import TensorProto, helper, numpy_helper

from hub import demo_models
from hub.onnx_signature import read_signature
from releases.models import Blob, OnnxStatus
from releases.services.files import file_add_content
from releases.tasks import read_onnx_signature
from tests.factories import RepositoryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_storage")]


def small_cnn() -> bytes:
    """Two convolution blocks and a classifier: Conv ×2, Relu ×3, MaxPool, Flatten, Gemm ×2,
    a Softmax in an If branch, and an operator of another domain."""
    rng = np.random.default_rng(7)

    def weight(name, *shape):
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["image", "w1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "w3"], ["g1"], transB=1),
        helper.make_node("Relu", ["g1"], ["r3"]),
        helper.make_node("Gemm", ["r3", "w4"], ["logits"], transB=1),
        helper.make_node("Constant", [], ["soft"], value_int=1),
        helper.make_node(
            "If",
            ["soft"],
            ["out"],
            then_branch=helper.make_graph(
                [helper.make_node("Softmax", ["logits"], ["probs"])],
                "then",
                [],
                [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 3])],
            ),
            else_branch=helper.make_graph(
                [helper.make_node("Identity", ["logits"], ["same"])],
                "else",
                [],
                [helper.make_tensor_value_info("same", TensorProto.FLOAT, [1, 3])],
            ),
        ),
        helper.make_node("Gelu", ["out"], ["scores"], domain="com.microsoft"),
    ]
    graph = helper.make_graph(
        nodes,
        "small-cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 3])],
        [
            weight("w1", 4, 1, 3, 3),
            weight("w2", 4, 4, 3, 3),
            weight("w3", 16, 64),
            weight("w4", 3, 16),
        ],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
    )
    model.ir_version = 8
    return model.SerializeToString()


def test_it_counts_each_operator_most_used_first(tmp_path):
    path = tmp_path / "cnn.onnx"
    path.write_bytes(small_cnn())
    signature = read_signature(str(path))
    assert signature["operators"] == [
        {"op": "Relu", "count": 3},
        {"op": "Conv", "count": 2},
        {"op": "Gemm", "count": 2},
        {"op": "Constant", "count": 1},
        {"op": "Flatten", "count": 1},
        {"op": "Identity", "count": 1},  # in the If's else branch
        {"op": "If", "count": 1},
        {"op": "MaxPool", "count": 1},
        {"op": "Softmax", "count": 1},  # in the If's then branch
        {"op": "com.microsoft.Gelu", "count": 1},
    ]
    assert signature["nodes"] == 12  # the main graph's own nodes, as before


def test_a_demo_model_s_operators_are_stored_with_its_signature(owner):
    repo = RepositoryFactory(owner=owner)
    rf = file_add_content(
        release=repo.latest_release,
        path="direction.onnx",
        data=demo_models.direction_classifier(),
        user=owner,
    )
    read_onnx_signature(rf.blob_id)
    blob = Blob.objects.get(pk=rf.blob_id)
    assert blob.onnx_status == OnnxStatus.VALID
    assert blob.onnx_signature["operators"] == [
        {"op": "Gemm", "count": 1},
        {"op": "Softmax", "count": 1},
    ]


def test_models_read_before_operators_were_counted_get_them(owner):
    repo = RepositoryFactory(owner=owner)
    old = file_add_content(
        release=repo.latest_release, path="cnn.onnx", data=small_cnn(), user=owner
    )
    read_onnx_signature(old.blob_id)
    signature = Blob.objects.get(pk=old.blob_id).onnx_signature
    del signature["operators"]  # as the hub stored signatures before it counted operators
    Blob.objects.filter(pk=old.blob_id).update(onnx_signature=signature)
    fake = file_add_content(
        release=repo.latest_release, path="fake.onnx", data=b"not a model", user=owner
    )
    read_onnx_signature(fake.blob_id)

    call_command("count_onnx_operators", "--now")

    blob = Blob.objects.get(pk=old.blob_id)
    assert blob.onnx_status == OnnxStatus.VALID
    assert blob.onnx_signature["operators"][0] == {"op": "Relu", "count": 3}
    assert blob.onnx_signature["inputs"] == signature["inputs"]
    assert Blob.objects.get(pk=fake.blob_id).onnx_status == OnnxStatus.INVALID
