import pytest

from hub import demo_models
from hub.onnx_signature import read_signature
from releases.models import Blob, OnnxStatus
from releases.services.files import file_add_content
from releases.tasks import read_onnx_signature
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def test_it_reads_inputs_outputs_and_graph_facts(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(demo_models.direction_classifier())
    sig = read_signature(str(path))
    assert sig["inputs"] == [{"name": "features", "type": "float", "shape": ["batch", 6]}]
    assert sig["outputs"] == [{"name": "probabilities", "type": "float", "shape": ["batch", 2]}]
    assert sig["opset"] == 13 and sig["ir_version"] == 8
    assert sig["producer"] == "model-hub-demo"
    assert sig["nodes"] == 2 and sig["parameters"] == 6 * 2 + 2


def test_a_file_that_is_not_onnx_is_marked_so(owner):
    repo = RepositoryFactory(owner=owner)
    rf = file_add_content(
        release=repo.latest_release, path="fake.onnx", data=b"not a model", user=owner
    )
    read_onnx_signature(rf.blob_id)
    blob = Blob.objects.get(pk=rf.blob_id)
    assert blob.onnx_status == OnnxStatus.INVALID
    assert "not an ONNX model" in blob.onnx_error


def test_the_file_page_shows_the_signature(personas, owner):
    repo = RepositoryFactory(owner=owner, name="sig-repo")
    rf = file_add_content(
        release=repo.latest_release,
        path="models/vol.onnx",
        data=demo_models.volatility_model(),
        user=owner,
    )
    read_onnx_signature(rf.blob_id)
    page = (
        personas["anonymous"]
        .get("/alice/sig-repo/releases/v1.00/files/models/vol.onnx")
        .content.decode()
    )
    expected = [
        "open_high_low_close",
        "[1, 10, 4]",
        "Opset",
        "sha256sum -- vol.onnx",
        "ipfs add -n --cid-version=1 -- vol.onnx",
        rf.blob.blob_id,
        rf.blob.sha256,
    ]
    for text in expected:
        assert text in page, text
