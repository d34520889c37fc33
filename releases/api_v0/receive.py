"""One file sent as a multipart/form-data POST, received as it arrives.

Django's own parsing is never used (no `request.POST` or `request.FILES`): it would hold the
file in memory or write it to a temporary file before the view runs. Instead the request
body goes through `multipart`'s push parser a piece at a time; the bytes of the `file` field
are hashed (sha256 and Blob ID) and written to one staging object on their way, so memory
stays bounded by a few pieces whatever the file's size. Then the content is stored once and
added to the release by the services every upload goes through (`files.blob_put`,
`files.file_add`, which asks the addition rule).
"""

import logging
import uuid

from django.conf import settings
from django.http import HttpRequest
from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

from accounts.models import User
from hub import storage
from hub.blobid import BlobIdHasher
from hub.errors import Invalid, TooLarge
from hub.formats import human_size
from releases import rules
from releases.ipfs.blocks import BlockCollector
from releases.models import Release, ReleaseFile
from releases.services import files, staging

log = logging.getLogger(__name__)

FIELD = "file"
STAGING = staging.INCOMING  # swept by the hourly clean-up when a process dies mid-request
EXTRA_BYTES = 64 * 1024  # other form fields are read and ignored, up to this much
NOT_MULTIPART = f"Send the file as multipart/form-data, in a field named “{FIELD}”."
_END = object()


def _too_large() -> TooLarge:
    limit = human_size(settings.HUB_MAX_FILE_SIZE)
    return TooLarge(f"The file is larger than the limit: files can be at most {limit}.")


def _broken(exc: MultipartError) -> Invalid:
    return Invalid(f"The upload is not complete multipart/form-data ({exc}); send it again.")


class FilePart:
    """A read-only file over the body of one multipart field while it arrives, hashing every
    byte once; other fields are skipped. Reading it to the end also reads the rest of the
    request, so a stream that stops early raises instead of looking like a shorter file."""

    closed = False

    def __init__(self, events, limit: int):
        self._events = events
        self._limit = limit
        self._pending = memoryview(b"")
        self._done = False
        self.blocks = BlockCollector()  # the block index, from the same pass
        self.hasher = BlobIdHasher(on_block=self.blocks)
        self.size = 0

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes, fewer only at the end (S3 uploads take a short read as EOF)."""
        size = storage.PIECE if size is None or size < 0 else size
        parts: list[bytes] = []
        wanted = size
        while wanted > 0:
            if not self._pending and (self._done or not self._next()):
                break
            piece = self._pending[:wanted]
            self._pending = self._pending[len(piece) :]
            parts.append(bytes(piece))
            wanted -= len(piece)
        return b"".join(parts)

    def _next(self) -> bool:
        """Take the field's next bytes; False at its end (after checking the whole request)."""
        try:
            event = next(self._events, _END)
            if isinstance(event, bytes | bytearray) and event:
                self.size += len(event)
                if self.size > self._limit:
                    raise _too_large()
                self.hasher.update(event)
                self._pending = memoryview(event)
                return True
            if event is _END:
                raise MultipartError("the stream ended inside the file")
            self._done = True  # None: the field ended
            skip_fields(self._events)
            return False
        except MultipartError as exc:
            raise _broken(exc) from None


def skip_fields(events) -> MultipartSegment | None:
    """Read past other fields up to the next `file` field (returned), or to the end of the
    request (None); the parser checks on the way that the stream is complete."""
    extra = 0
    for event in events:
        if isinstance(event, MultipartSegment):
            if event.name == FIELD and event.filename is not None:
                return event
        elif event:
            extra += len(event)
            if extra > EXTRA_BYTES:
                raise Invalid(f"Send one file per request, in the field “{FIELD}”.")
    return None


def _events(request: HttpRequest):
    content_type, options = parse_options_header(request.META.get("CONTENT_TYPE", ""))
    if content_type != "multipart/form-data" or not options.get("boundary"):
        raise Invalid(NOT_MULTIPART)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or -1)
    except ValueError:
        length = -1
    if length > settings.HUB_MAX_FILE_SIZE + EXTRA_BYTES:
        raise _too_large()
    parser = PushMultipartParser(options["boundary"], content_length=length, max_segment_count=16)
    return parser.parse_blocking(request.read, chunk_size=storage.PIECE)


def file_receive(*, request: HttpRequest, release: Release, user: User) -> ReleaseFile:
    """Receive the request's `file` field into `release` under its file name.

    The bytes are staged while they are hashed; the content is then stored once on the hub
    (or the staged copy dropped when the hub has it) and added by `files.file_add`: the same
    content at the same path is answered as done, other content there is a Conflict, blocked
    content is refused in the same words as everywhere. Staged bytes never outlive the request.
    """
    events = _events(request)
    try:
        segment = skip_fields(events)
    except MultipartError as exc:
        raise _broken(exc) from None
    if segment is None:
        raise Invalid(NOT_MULTIPART)
    path = rules.clean_path(segment.filename)
    part = FilePart(events, settings.HUB_MAX_FILE_SIZE)
    store = storage.storage()
    staged = f"{STAGING}/{uuid.uuid4().hex}"
    try:
        staged = storage.save_stream(store, staged, part)
        sha256, blob_id = part.hasher.hexdigest_sha256(), part.hasher.blob_id()
        # Asked before the bytes are stored, so a refusal keeps nothing; asked again below
        # under the release's lock.
        rules.check_addition(
            rules.contents(release, paths={path}, sha256s={sha256}), path=path, sha256=sha256
        )
        blob = files.blob_put(
            sha256=sha256,
            blob_id=blob_id,
            size=part.size,
            put=lambda key: storage.move(store, staged, key),
            drop=lambda: store.delete(staged),
            blocks=part.blocks,
        )
        rf = files.file_add(release=release, path=path, blob=blob, user=user)
    finally:
        if store.exists(staged):
            store.delete(staged)
    log.info(
        "file received release=%s path=%s blob=%s size=%s", release.pk, path, blob_id, part.size
    )
    return rf
