"""Background work on release files. Tasks take ids and call a service."""

import logging

from celery import shared_task
from django.conf import settings

from hub import queue
from releases.models import Blob, OnnxStatus, Upload
from releases.services import maintenance
from releases.services.verification import upload_complete, uploads_stuck

log = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),  # storage unavailable: try again later, nothing was added
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=3600,  # a 10 GiB file hashes in about a minute; this is a hung storage
    time_limit=3700,
)
def verify_upload(upload_id: str) -> None:
    """Check a fully received upload against its declared sha256 and add it to its release."""
    upload = (
        Upload.objects.select_related("release__repository", "user").filter(id=upload_id).first()
    )
    if upload is not None:
        upload_complete(upload=upload)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=3600, time_limit=3700)
def receive_stored_object(key: str, oid: str, size: int, user_id: int) -> None:
    """Check a direct upload of huggingface_hub joined in storage, and make it the blob."""
    from releases.api_hf.lfs import object_stored

    object_stored(key, oid, size, user_id)


@shared_task(acks_late=True, ignore_result=True)
def resume_stuck_uploads() -> int:
    """Periodic: queue the verification of uploads nobody verifies (never queued because the
    broker was away, or their worker died), and the signature of ONNX blobs never read."""
    stuck = uploads_stuck()
    for upload_id in stuck:
        queue.send(verify_upload, upload_id)
    unread = maintenance.onnx_blobs_unread(older_than=settings.HUB_UPLOAD_STUCK_AFTER)
    for blob_pk in unread:
        queue.send(read_onnx_signature, blob_pk)
    if stuck or unread:
        log.info("resumed uploads=%s signatures=%s", len(stuck), len(unread))
    return len(stuck) + len(unread)


@shared_task(acks_late=True, ignore_result=True)
def clean_up_uploads() -> int:
    """Periodic: fail uploads abandoned for HUB_UPLOAD_EXPIRE_DAYS and free the staging space
    of every upload that is no longer active."""
    return maintenance.uploads_expire(days=settings.HUB_UPLOAD_EXPIRE_DAYS)


def _signature(blob: Blob) -> dict:
    """The blob's ONNX signature read from storage; ValueError when it is not ONNX."""
    from django.core.files.storage import default_storage

    from hub.onnx_signature import read_signature
    from hub.storage import with_local_path

    return with_local_path(default_storage, blob.storage_key, read_signature, suffix=".onnx")


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=600, time_limit=660)
def read_onnx_signature(blob_pk: int) -> None:
    """Read the ONNX signature of a blob once; a file that is not ONNX is marked so."""
    blob = Blob.objects.filter(pk=blob_pk).first()
    if blob is None or blob.onnx_status != OnnxStatus.UNCHECKED:
        return
    try:
        signature = _signature(blob)
    except ValueError as exc:
        Blob.objects.filter(pk=blob.pk).update(onnx_status=OnnxStatus.INVALID, onnx_error=str(exc))
        log.info("onnx signature blob=%s status=invalid reason=%s", blob.blob_id, exc)
        return
    Blob.objects.filter(pk=blob.pk).update(
        onnx_status=OnnxStatus.VALID, onnx_signature=signature, onnx_error=""
    )
    log.info("onnx signature blob=%s status=valid", blob.blob_id)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=600, time_limit=660)
def count_onnx_operators(blob_pk: int) -> None:
    """Read again the signature of an ONNX blob read before the hub counted the operators a
    model uses (`manage.py count_onnx_operators` queues them); the rest stays as it was."""
    blob = Blob.objects.filter(pk=blob_pk, onnx_status=OnnxStatus.VALID).first()
    if blob is None or "operators" in (blob.onnx_signature or {}):
        return
    try:
        signature = _signature(blob)
    except ValueError as exc:  # read once as ONNX: keep what was read, say why not now
        log.warning("onnx operators blob=%s status=unread reason=%s", blob.blob_id, exc)
        return
    Blob.objects.filter(pk=blob.pk).update(onnx_signature=signature)
    log.info("onnx operators blob=%s count=%s", blob.blob_id, len(signature["operators"]))
