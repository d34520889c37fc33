"""Background work on release files. Tasks take ids and call a service."""

import logging

from celery import shared_task

from releases.models import Blob, OnnxStatus, Upload
from releases.services.uploads import upload_complete

log = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),  # storage unavailable: try again later, nothing was added
    retry_backoff=True,
    max_retries=8,
)
def verify_upload(upload_id: str) -> None:
    """Check a fully received upload against its declared sha256 and add it to its release."""
    upload = (
        Upload.objects.select_related("release__repository", "user").filter(id=upload_id).first()
    )
    if upload is not None:
        upload_complete(upload=upload)


@shared_task(acks_late=True, ignore_result=True)
def read_onnx_signature(blob_pk: int) -> None:
    """Read the ONNX signature of a blob once; a file that is not ONNX is marked so."""
    from django.core.files.storage import default_storage

    from hub.onnx_signature import read_signature
    from hub.storage import with_local_path

    blob = Blob.objects.filter(pk=blob_pk).first()
    if blob is None or blob.onnx_status != OnnxStatus.UNCHECKED:
        return
    try:
        signature = with_local_path(
            default_storage, blob.storage_key, read_signature, suffix=".onnx"
        )
    except ValueError as exc:
        Blob.objects.filter(pk=blob.pk).update(onnx_status=OnnxStatus.INVALID, onnx_error=str(exc))
        log.info("onnx signature blob=%s status=invalid reason=%s", blob.blob_id, exc)
        return
    Blob.objects.filter(pk=blob.pk).update(
        onnx_status=OnnxStatus.VALID, onnx_signature=signature, onnx_error=""
    )
    log.info("onnx signature blob=%s status=valid", blob.blob_id)
