"""Running ONNX models in a worker with onnxruntime, sessions cached per process by Blob ID."""

import logging
import re
import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage

from hub.storage import with_local_path
from inference import tensors

log = logging.getLogger(__name__)


class ModelError(Exception):
    """onnxruntime could not load or run the model; the message says why."""


class SessionCache:
    """Loaded sessions, least recently used first out, bounded by the models' file sizes (a
    session holds roughly its model's weights)."""

    def __init__(self, budget_bytes: int):
        self.budget = budget_bytes
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._items

    @property
    def size(self) -> int:
        return sum(size for _, size in self._items.values())

    def get(self, key: str, size: int, load) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
        session = load()
        with self._lock:
            self._items[key] = (session, size)
            self._items.move_to_end(key)
            while len(self._items) > 1 and self.size > self.budget:
                evicted, _ = self._items.popitem(last=False)
                log.info("onnx session evicted blob=%s", evicted)
        return session

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


sessions = SessionCache(settings.INFERENCE_SESSION_CACHE_MB * 1024 * 1024)


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][\w.+@-]+){2,}[/\\]?")


def _public(exc: Exception) -> str:
    """onnxruntime's message without the server's file paths (its sources, the stored model):
    each path is cut to its last part, which is what says where in the model it failed."""
    return _PATH.sub(
        lambda m: m.group(0).rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1], str(exc)
    )


def _load_session(blob):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one job per worker process; processes use the cores
    options.inter_op_num_threads = 1
    options.log_severity_level = 3

    def load(path: str):
        try:
            return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"onnxruntime could not load the model: {_public(exc)}") from exc

    return with_local_path(default_storage, blob.storage_key, load, suffix=".onnx")


def run_model(blob, inputs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Run the model stored as `blob` on the stored inputs; outputs as stored tensors."""
    session = sessions.get(blob.blob_id, blob.size, lambda: _load_session(blob))
    feed = {name: tensors.to_numpy(tensor) for name, tensor in inputs.items()}
    names = [o.name for o in session.get_outputs()]
    try:
        results = session.run(names, feed)
    except Exception as exc:
        raise ModelError(f"onnxruntime failed to run the model: {_public(exc)}") from exc
    return {name: tensors.from_numpy(value) for name, value in zip(names, results, strict=True)}
