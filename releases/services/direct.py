"""Direct uploads, on S3 storage: the client sends each chunk as a part of an S3 multipart
upload to a presigned URL (`upload_state` hands them out), then says which it sent
(`upload_parts_received`); the hub checks them at S3 and counts them in order, as
`uploads.upload_put_chunk` does for chunks sent through it. The bytes never pass the web
servers; the worker reads them back from S3 to verify them (`staging._join_parts` first joins
the parts into one object).
"""

from django.db import transaction

from accounts.models import User
from hub import s3
from hub.errors import Conflict, Invalid, NotFound
from releases.models import Upload, UploadStatus
from releases.services import staging, verification


def go_direct(upload: Upload) -> None:
    """Open the S3 multipart upload the chunks will be sent to (when the storage allows)."""
    store = s3.direct_store()
    if store is None or upload.status != UploadStatus.RECEIVING:
        return
    if upload.chunk_count > s3.PARTS_MAX:  # more chunks than S3 takes parts: through the hub
        return
    opened = s3.multipart_start(store, staging.data_key(upload))
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        if locked.multipart_id or locked.chunks_received or locked.status != upload.status:
            s3.multipart_abort(store, staging.data_key(upload), opened)  # a concurrent start
        else:
            locked.multipart_id = opened
            locked.save(update_fields=["multipart_id", "updated_at"])
    upload.refresh_from_db()


PART_URLS = 16  # presigned part URLs in a direct upload's state: the next chunks to send


def upload_state(upload: Upload) -> dict:
    """The upload's state as clients read it; a direct upload's brings the presigned URLs of
    the next chunks to send (`part_urls`, by chunk index)."""
    answer = upload.as_json()
    store = s3.direct_store() if upload.multipart_id else None
    if store is not None and upload.status == UploadStatus.RECEIVING:
        key = staging.data_key(upload)
        end = min(upload.chunk_count, upload.chunks_received + PART_URLS)
        answer["part_urls"] = {
            str(i): s3.part_url(store, key, upload.multipart_id, i, upload.chunk_length(i))
            for i in range(upload.chunks_received, end)
        }
    return answer


def upload_parts_received(*, upload_id, user: User, through) -> Upload:
    """Record the chunks of a direct upload that arrived at the storage, from the next one
    the hub lacks up to (not including) chunk `through`: those found there, in order and of
    the right length. A Conflict (with the upload's state) when not even the next one did."""
    upload = Upload.objects.filter(id=upload_id, user=user).first()
    if upload is None:
        raise NotFound("No such upload.")
    if not upload.multipart_id or (store := s3.direct_store()) is None:
        raise Conflict("This upload takes its chunks at …/chunks/<n>, not as parts.")
    if not isinstance(through, int) or isinstance(through, bool) or through < 1:
        raise Invalid("Send through: the index after the last chunk sent.", upload=upload)
    if upload.status != UploadStatus.RECEIVING or upload.chunks_received >= through:
        return _settled(upload)  # a repeat (e.g. a retry whose answer was lost)
    start = upload.chunks_received
    arrived = 0
    try:
        found = list(s3.parts(store, staging.data_key(upload), upload.multipart_id, first=start))
    except s3.Gone:  # completed or aborted meanwhile
        return _settled(Upload.objects.get(pk=upload.pk))
    for part in found:
        index = start + arrived
        if part["index"] != index or index >= min(through, upload.chunk_count):
            break
        if part["size"] != upload.chunk_length(index):
            break  # sent again with the right bytes, it replaces this part
        arrived += 1
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        if locked.status != UploadStatus.RECEIVING:
            raise Conflict(f"This upload is {locked.get_status_display().lower()}.", upload=locked)
        end = start + arrived
        if end <= locked.chunks_received:  # nothing new (or recorded meanwhile)
            if locked.chunks_received >= min(through, locked.chunk_count):
                return locked
            raise Conflict(
                f"Chunk {locked.chunks_received} has not arrived whole at the storage; send "
                "it to its part URL again.",
                upload=locked,
            )
        locked.chunks_received = end
        if locked.chunks_received == locked.chunk_count and locked.declared:
            locked.status = UploadStatus.VERIFYING
        locked.save(update_fields=["chunks_received", "status", "updated_at"])
    if locked.status == UploadStatus.VERIFYING:
        transaction.on_commit(lambda: verification.hand_over(locked, None))
    return locked


def _settled(upload: Upload) -> Upload:
    """The answer to a record of parts once the upload stopped receiving: its state when it is
    on its way or done, a Conflict saying why when it failed."""
    if upload.status == UploadStatus.FAILED:
        raise Conflict(f"This upload failed: {upload.error}", upload=upload)
    return upload
