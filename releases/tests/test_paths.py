import pytest
from django.core.exceptions import ValidationError

from releases.paths import normalize_path


@pytest.mark.parametrize(
    "path",
    ["model.onnx", "weights/part-1.bin", "a b/c.txt", "ünïcode/ファイル.onnx", "x" * 255],
)
def test_it_accepts_relative_paths(path):
    assert normalize_path(path) == path


def test_it_normalizes_to_nfc():
    decomposed = "cafe\u0301.onnx"
    assert normalize_path(decomposed) == "caf\u00e9.onnx"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "empty"),
        ("/etc/passwd", "leading /"),
        ("../secret", "'..'"),
        ("a/./b", "'.'"),
        ("a\\b.onnx", "not backslash"),
        ("a//b", "empty folder"),
        ("folder/", "empty folder"),
        ("bad\x00name", "control"),
        ("tab\there", "control"),
        (" lead.onnx", "space"),
        ("é" * 128 + ".onnx", "255 bytes"),
        ("/".join(["d" * 200] * 6), "1024 bytes"),
    ],
)
def test_it_refuses_bad_paths(path, message):
    with pytest.raises(ValidationError, match=message):
        normalize_path(path)
