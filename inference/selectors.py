from typing import Any

from django.db.models import QuerySet

from inference import tensors
from inference.forms import InferenceForm
from inference.models import InferenceJob, Mode, Status
from releases.models import OnnxStatus, ReleaseFile

PERMISSION = "inference.run_inference"


def can_run(user) -> bool:
    """Staff holding the permission (superusers hold every permission)."""
    return bool(
        user.is_authenticated and user.is_active and user.is_staff and user.has_perm(PERMISSION)
    )


def jobs_list() -> QuerySet[InferenceJob]:
    return InferenceJob.objects.select_related("requested_by", "repository__owner").defer(
        "inputs", "outputs", "signed_tx"
    )


def jobs_filter(params) -> tuple[QuerySet[InferenceJob], dict[str, str]]:
    """Jobs narrowed by ?status=, ?mode=, ?repo=owner/name and ?user=; returns the query and
    the filters as applied (unknown values are ignored and reported empty)."""
    jobs = jobs_list()
    applied: dict[str, str] = {}
    if any("\x00" in params.get(key, "") for key in ("repo", "user")):
        return jobs.none(), {}  # PostgreSQL text cannot hold NUL: nothing matches
    status = params.get("status", "")
    if status in Status.values:
        jobs = jobs.filter(status=status)
        applied["status"] = status
    mode = params.get("mode", "")
    if mode in Mode.values:
        jobs = jobs.filter(mode=mode)
        applied["mode"] = mode
    repo = params.get("repo", "").strip()
    if repo:
        owner, _, name = repo.partition("/")
        jobs = jobs.filter(repository__owner__username__iexact=owner, repository__name__iexact=name)
        applied["repo"] = repo
    user = params.get("user", "").strip()
    if user:
        jobs = jobs.filter(requested_by__username__iexact=user)
        applied["user"] = user
    return jobs, applied


def chain_problem() -> str:
    """Why jobs cannot be signed with the current settings (shown on the panel), or ''."""
    from django.core.exceptions import ImproperlyConfigured

    from inference.chain import signing_account

    try:
        signing_account()
    except ImproperlyConfigured as exc:
        return str(exc)
    return ""


def file_panel(*, user, rf: ReleaseFile, data=None) -> dict[str, Any] | None:
    """What the file page shows of test inferences: None for anyone without the permission
    or for files that are not readable ONNX models."""
    if not can_run(user) or not rf.is_onnx or rf.blob.onnx_status != OnnxStatus.VALID:
        return None
    signature = rf.blob.onnx_signature
    return {
        "chain_problem": chain_problem(),
        "form": InferenceForm(data, signature=signature),
        "unsupported": tensors.unsupported_inputs(tensors.input_specs(signature)),
        "zkml_problems": tensors.zkml_problems(signature),
        "jobs": jobs_list().filter(file=rf)[:10],
    }
