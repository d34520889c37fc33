"""Making ONNX files and jobs for the inference tests."""

import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from hub import demo_models
from inference import services, tensors
from inference.models import InferenceJob, Mode
from releases.models import ReleaseFile
from releases.services.files import file_add_content
from releases.tasks import read_onnx_signature


def model_that_fails_at_run_time() -> bytes:
    """A valid model whose Reshape cannot work on its declared input: onnxruntime loads it
    and fails when it runs."""
    target = numpy_helper.from_array(np.array([3], dtype=np.int64), "target")
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "target"], ["y"])],
        "broken",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])],
        [target],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def text_model() -> bytes:
    """A model with a string input: runs in VANILLA/TEE, never ZKML."""
    graph = helper.make_graph(
        [helper.make_node("Identity", ["words"], ["same"])],
        "words",
        [helper.make_tensor_value_info("words", TensorProto.STRING, [2])],
        [helper.make_tensor_value_info("same", TensorProto.STRING, [2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


MODELS = {
    "risk.onnx": demo_models.risk_score,
    "direction.onnx": demo_models.direction_classifier,
    "volatility.onnx": demo_models.volatility_model,
    "broken.onnx": model_that_fails_at_run_time,
    "words.onnx": text_model,
}


def onnx_file(repo, path: str = "risk.onnx", data: bytes | None = None) -> ReleaseFile:
    """An ONNX file in the repository's latest release, its signature read."""
    release = repo.releases.first()
    data = data if data is not None else MODELS[path.rsplit("/", 1)[-1]]()
    rf = file_add_content(release=release, path=path, data=data, user=repo.owner)
    read_onnx_signature(rf.blob.pk)
    return ReleaseFile.objects.select_related("blob", "release__repository__owner").get(pk=rf.pk)


def example_inputs(rf: ReleaseFile) -> dict:
    specs = tensors.input_specs(rf.blob.onnx_signature)
    return {s.name: tensors.parse_input(s, tensors.example_text(s), max_values=4096) for s in specs}


def make_job(rf: ReleaseFile, user, mode: Mode = Mode.VANILLA, inputs=None, **kw):
    return services.job_create(
        file=rf, user=user, mode=mode, inputs=inputs or example_inputs(rf), **kw
    )


def wait_for(job: InferenceJob, *statuses: str, timeout: float = 60) -> InferenceJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in statuses:
            return job
        time.sleep(0.1)
    raise AssertionError(
        f"job {job.pk} is {job.status} after {timeout} s, not {statuses}: "
        f"{job.error or job.last_problem}"
    )
