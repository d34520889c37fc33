"""The releases app's Prometheus metrics: upload bytes received and uploads by status.

The bytes are counted as the upload endpoints read their request bodies, by a middleware that
wraps the body of those requests before any view runs; the services that receive the bytes
know nothing of it. A request cut off half-way counts the bytes that did arrive.
"""

from collections.abc import Callable, Iterator

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Metric

from hub.metrics import counts_by_status
from releases.models import Upload, UploadStatus

UPLOAD_BYTES = Counter(
    "hub_upload_received_bytes",
    "Bytes of file content received by the upload endpoints, by door.",
    ["door"],
)

# (view name, method) of every endpoint whose request body is file content.
UPLOAD_DOORS = {
    ("upload_chunk", "PUT"): "chunks",  # the uploader's and the CLI's chunks
    ("api-v1:file_put", "PUT"): "file",  # one whole file
    ("api-v1:file_list", "POST"): "files",  # many small files (the path's view name is GET's)
    ("og_version_files", "POST"): "opengradient",  # the OpenGradient SDK's upload
    ("hf_lfs_object", "PUT"): "huggingface",  # huggingface_hub's LFS transfer
}


class _CountingStream:
    """The request's body stream, adding what each read returns to a counter."""

    def __init__(self, stream, counter):
        self._stream = stream
        self._counter = counter

    def read(self, *args, **kwargs) -> bytes:
        data = self._stream.read(*args, **kwargs)
        self._counter.inc(len(data))
        return data

    def readline(self, *args, **kwargs) -> bytes:
        data = self._stream.readline(*args, **kwargs)
        self._counter.inc(len(data))
        return data

    def __getattr__(self, name):
        return getattr(self._stream, name)


class UploadBytesMiddleware:
    """Counts the body bytes the upload endpoints read (before CSRF's check, which may read a
    form's body in its own process_view)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> None:
        door = UPLOAD_DOORS.get((request.resolver_match.view_name, request.method))
        if door is not None and hasattr(request, "_stream"):
            # Django reads every body (request.read, .body, .POST) through _stream.
            request._stream = _CountingStream(request._stream, UPLOAD_BYTES.labels(door=door))


class UploadCollector:
    """Uploads by status: `receiving` are being sent, `verifying` wait for (or are in) the
    workers' check, the verification queue."""

    def collect(self) -> Iterator[Metric]:
        return counts_by_status(
            "hub_uploads", "Uploads by status.", Upload.objects.all(), UploadStatus.values
        )
