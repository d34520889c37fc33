"""Clean-up run by `manage.py collect_blobs`: unreferenced blobs and abandoned uploads."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hub import storage
from releases.models import ACTIVE_UPLOAD, Blob, OnnxStatus, Upload, UploadStatus
from releases.services import staging
from releases.services.verification import upload_fail

# A blob younger than this is kept even when no release references it yet: content received
# on its own (huggingface_hub's LFS upload) waits for the commit that adds it to a release,
# for as long as the receipt that lets that commit attach it (a day).
BLOB_GRACE = timedelta(days=1)


def blobs_collect_garbage(*, grace: timedelta = BLOB_GRACE) -> int:
    """Delete blobs that no release references, from storage and database, once older than
    `grace`; returns how many."""
    store = storage.storage()
    removed = 0
    born_before = timezone.now() - grace
    unreferenced = Blob.objects.filter(~Q(release_files__isnull=False), created_at__lt=born_before)
    for blob in unreferenced.iterator():
        with transaction.atomic():
            locked = Blob.objects.select_for_update().filter(pk=blob.pk).first()
            if locked is None or locked.release_files.exists():
                continue
            locked.delete()
            # The bytes go once the row is gone for good, not before.
            transaction.on_commit(lambda key=blob.storage_key: store.delete(key))
            removed += 1
    return removed


def uploads_expire(*, days: int) -> int:
    """Fail uploads that received nothing for `days` days and delete their chunks."""
    cutoff = timezone.now() - timedelta(days=days)
    count = 0
    for upload in Upload.objects.filter(status=UploadStatus.RECEIVING, updated_at__lt=cutoff):
        upload_fail(upload, "Abandoned: no chunk arrived for a long time.")
        count += 1
    active = {str(u) for u in Upload.objects.filter(ACTIVE_UPLOAD).values_list("id", flat=True)}
    staging.remove_orphans(active)
    staging.remove_stale_incoming(older_than=timedelta(days=1))
    return count


def onnx_blobs_unread(*, older_than: int, limit: int = 500) -> list[int]:
    """ONNX blobs whose signature was never read (the task was never queued or died)."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    rows = Blob.objects.filter(
        onnx_status=OnnxStatus.UNCHECKED,
        created_at__lt=cutoff,
        release_files__path__iendswith=".onnx",
    ).distinct()
    return list(rows.values_list("pk", flat=True)[:limit])


def onnx_blobs_without_operators() -> list[int]:
    """ONNX blobs whose signature was read before the hub counted the operators they use."""
    rows = Blob.objects.filter(onnx_status=OnnxStatus.VALID).exclude(
        onnx_signature__has_key="operators"
    )
    return list(rows.order_by("pk").values_list("pk", flat=True))
