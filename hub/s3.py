"""S3 multipart uploads for direct uploads: clients send a file's chunks straight to presigned
part URLs, so its bytes never pass through the web servers; the hub hands out the URLs, checks
the parts, completes the upload and has the worker read it back to verify it.

Everything here works on the default storage when it is django-storages' S3 backend (AWS or
any S3-compatible service); `direct_store()` says whether direct uploads are possible.
"""

import contextlib
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.core.files.storage import Storage
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from hub import storage


class Gone(Exception):
    """The multipart upload is no more: completed or aborted."""


# S3's own limits: parts of 5 MiB to 5 GiB (the last one may be smaller), 10,000 of them.
PART_MIN = 5 * 1024 * 1024
PART_MAX = 5 * 1024 * 1024 * 1024
PARTS_MAX = 10_000


def direct_store() -> S3Storage | None:
    """The default storage when direct uploads go to it: S3, switched on, and chunks that
    S3 takes as parts. None otherwise (chunks then come through the hub)."""
    store = storage.storage()
    if not settings.HUB_UPLOAD_DIRECT or not isinstance(store, S3Storage):
        return None
    if not PART_MIN <= settings.HUB_UPLOAD_CHUNK_SIZE <= PART_MAX:
        return None
    return store


def _client(store: S3Storage):
    return store.connection.meta.client


def _key(store: S3Storage, name: str) -> str:
    return store._normalize_name(clean_name(name))  # the storage's own key of `name`


def multipart_start(store: S3Storage, name: str) -> str:
    """Open a multipart upload that will become the object `name`; returns its id."""
    answer = _client(store).create_multipart_upload(
        Bucket=store.bucket_name, Key=_key(store, name), ContentType="application/octet-stream"
    )
    return answer["UploadId"]


def part_url(store: S3Storage, name: str, upload_id: str, index: int, length: int) -> str:
    """A presigned URL that takes the bytes of chunk `index` (part `index + 1`) with a PUT."""
    return _client(store).generate_presigned_url(
        "upload_part",
        Params={
            "Bucket": store.bucket_name,
            "Key": _key(store, name),
            "UploadId": upload_id,
            "PartNumber": index + 1,
            "ContentLength": length,
        },
        ExpiresIn=settings.HUB_UPLOAD_PART_URL_SECONDS,
    )


def parts(store: S3Storage, name: str, upload_id: str, *, first: int = 0) -> Iterator[dict]:
    """The parts received so far, from chunk `first` on, in order: `index`, `size`, `etag`.
    Raises Gone when the multipart upload was completed or aborted."""
    client = _client(store)
    pages = client.get_paginator("list_parts").paginate(
        Bucket=store.bucket_name,
        Key=_key(store, name),
        UploadId=upload_id,
        PartNumberMarker=first,  # parts after this number
    )
    try:
        for page in pages:
            for part in page.get("Parts", []):
                yield {"index": part["PartNumber"] - 1, "size": part["Size"], "etag": part["ETag"]}
    except client.exceptions.NoSuchUpload:
        raise Gone(upload_id) from None


def multipart_complete(store: S3Storage, name: str, upload_id: str, etags: list[str]) -> None:
    """Join the parts (chunk order) into the object `name`."""
    _client(store).complete_multipart_upload(
        Bucket=store.bucket_name,
        Key=_key(store, name),
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [{"PartNumber": n + 1, "ETag": etag} for n, etag in enumerate(etags)]
        },
    )


def multipart_abort(store: S3Storage, name: str, upload_id: str) -> None:
    """Drop an unfinished multipart upload and its parts; nothing when it is gone already."""
    client = _client(store)
    with contextlib.suppress(client.exceptions.NoSuchUpload):
        client.abort_multipart_upload(
            Bucket=store.bucket_name, Key=_key(store, name), UploadId=upload_id
        )


def multipart_open(store: S3Storage, prefix: str) -> Iterator[tuple[str, str, datetime]]:
    """(name, upload id, when it began) of every unfinished multipart upload under `prefix`."""
    location = store.location.strip("/")
    pages = _client(store).get_paginator("list_multipart_uploads")
    for page in pages.paginate(Bucket=store.bucket_name, Prefix=_key(store, prefix)):
        for upload in page.get("Uploads", []):
            key = upload["Key"]
            name = key[len(location) + 1 :] if location and key.startswith(location) else key
            yield name, upload["UploadId"], upload["Initiated"]


def copy(store: Storage, src: str, dst: str) -> bool:
    """Copy an object inside the bucket, on S3's side (in parts for large objects); False on
    storage that is not S3 (the caller then streams it)."""
    if not isinstance(store, S3Storage):
        return False
    bucket = store.bucket_name
    _client(store).copy({"Bucket": bucket, "Key": _key(store, src)}, bucket, _key(store, dst))
    return True


def read_range(store: Storage, name: str, start: int, length: int) -> bytes | None:
    """`length` bytes of an object from `start` in one ranged GET (django-storages' File would
    fetch the whole object first); None on storage that is not S3."""
    if not isinstance(store, S3Storage) or length <= 0:
        return None
    end = start + length - 1
    obj = _client(store).get_object(
        Bucket=store.bucket_name, Key=_key(store, name), Range=f"bytes={start}-{end}"
    )
    with contextlib.closing(obj["Body"]) as body:
        return body.read(length)
