"""A release as one download: a zip of its files, streamed as it is read from storage.

The zip is built on the fly by zipstream-ng: files are *stored* (model weights do not
compress), read a piece at a time from the storage (in place on local storage, a streamed GET
on S3: no temporary copy), so memory stays flat whatever the size; ZIP64 where a file or the
archive passes 4 GiB. Every size is known before the first byte, so the response has a
Content-Length. A manifest inside (`MANIFEST.json`) lists each file's path, size, sha256 and
Blob ID, to check what was unpacked.

Who may download is decided before: callers pass a release they got from a selector.
"""

import json
from collections.abc import Iterator

from django.core.files.storage import Storage, default_storage
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from zipstream import ZIP_STORED, ZipStream, ng
from zlib_ng import zlib_ng

from releases.models import Release, ReleaseFile
from releases.services.downloads import download_record
from repos.access import content_usable

# zipstream-ng computes each member's CRC-32 with zipfile's crc32 (the system zlib's, ~3.5 GB/s
# on the build machines: after reading, the largest cost of a zip). zlib-ng's is the same
# function (same arguments, same results) in SIMD, more than ten times faster; zipstream-ng
# looks `crc32` up in its module at each call.
ng.crc32 = zlib_ng.crc32

MANIFEST = "MANIFEST.json"
# Bytes read at a time. Memory holds one piece; a piece that stays in the CPU's cache between
# the read and the CRC that zipstream computes is faster than a larger one (in-process, 2.2 GB/s
# at 512 KiB, 1.9 at 1 MiB, 1.4 at 8 MiB).
PIECE = 512 * 1024


def serve_zip(
    request: HttpRequest, release: Release, files: list[ReleaseFile]
) -> StreamingHttpResponse:
    """The response for a GET or HEAD of the release's zip; counted as one download."""
    archive = release_zip(release, files, default_storage)
    name = f"{release.repository.name}-{release.version}.zip"
    body = [] if request.method == "HEAD" else archive
    response = StreamingHttpResponse(body, content_type="application/zip")
    response["Content-Length"] = str(len(archive))
    response["Content-Disposition"] = content_disposition_header(True, name)
    if request.method == "GET":
        download_record(repository_id=release.repository_id)
    return response


def release_zip(release: Release, files: list[ReleaseFile], store: Storage) -> ZipStream:
    """The zip of `files` (the release's, in path order) with the manifest first. Content the
    moderators blocked is left out and named in the manifest."""
    usable = [rf for rf in files if content_usable(rf.blob)]
    archive = ZipStream(compress_type=ZIP_STORED, sized=True)
    archive.add(manifest(release, files, usable), _manifest_name(files))
    for rf in usable:
        archive.add(_read(store, rf.blob.storage_key, rf.blob.size), rf.path, size=rf.blob.size)
    return archive


def manifest(release: Release, files: list[ReleaseFile], usable: list[ReleaseFile]) -> bytes:
    repo = release.repository
    kept = {rf.pk for rf in usable}
    document = {
        "repository": repo.full_name,
        "release": release.version,
        "files": [
            {
                "path": rf.path,
                "size": rf.blob.size,
                "sha256": rf.blob.sha256,
                "blob_id": rf.blob.blob_id,
            }
            for rf in usable
        ],
        "omitted": [
            {"path": rf.path, "reason": "removed by the moderators as unsafe"}
            for rf in files
            if rf.pk not in kept
        ],
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def _manifest_name(files: list[ReleaseFile]) -> str:
    """MANIFEST.json, unless the release has a file of that name."""
    taken = {rf.path for rf in files}
    name = MANIFEST
    while name in taken:
        name = "_" + name
    return name


def _read(store: Storage, key: str, size: int) -> Iterator[bytes]:
    """The stored object's bytes, a piece at a time, opened only when the zip reaches it."""
    body = _s3_body(store, key)
    if body is not None:
        yield from body.iter_chunks(PIECE)
        return
    with store.open(key, "rb") as fh:
        while data := fh.read(PIECE):
            yield data


def _s3_body(store: Storage, key: str):
    """A streamed GET of the object on S3 (django-storages' File would copy it whole to a
    temporary file first); None on other storage."""
    try:
        from storages.backends.s3 import S3Storage
        from storages.utils import clean_name
    except ImportError:
        return None
    if not isinstance(store, S3Storage):
        return None
    client = store.connection.meta.client
    obj = client.get_object(Bucket=store.bucket_name, Key=store._normalize_name(clean_name(key)))
    return obj["Body"]
