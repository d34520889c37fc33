from typing import Any

from django.db.models import Q, QuerySet

from hub.errors import NotFound
from inference import tensors
from inference.forms import InferenceForm
from inference.models import InferenceJob, Mode, Status
from releases.models import OnnxStatus, ReleaseFile
from repos import access

NOT_RUNNABLE = "This file is not an ONNX model that can be run."


def require_runner(user) -> None:
    """The pages of test inferences do not exist (NotFound, not Refused) for anyone else."""
    if not access.may_run_inference(user):
        raise NotFound("No such page.")


def runnable_file(*, user, file_id: int) -> ReleaseFile:
    """A file `user` may run a test inference of: they hold the permission, may read its
    repository, and it is a valid ONNX model. Blocked content is returned (the panel says
    why it cannot run); `services.job_create` refuses it."""
    require_runner(user)
    rf = (
        ReleaseFile.objects.filter(access.readable_q(user, prefix="release__repository__"))
        .select_related("blob", "release__repository__owner")
        .filter(pk=file_id)
        .first()
    )
    if rf is None or not rf.is_onnx or rf.blob.onnx_status != OnnxStatus.VALID:
        raise NotFound(NOT_RUNNABLE)
    return rf


def jobs_list(*, user) -> QuerySet[InferenceJob]:
    """Jobs of repositories `user` may read (and of deleted ones: the job keeps its label)."""
    readable = Q(repository__isnull=True) | access.readable_q(user, prefix="repository__")
    return (
        InferenceJob.objects.filter(readable)
        .select_related("requested_by", "repository__owner")
        .defer("inputs", "outputs", "signed_tx")
    )


def job_get(*, user, job_id: int) -> InferenceJob:
    require_runner(user)
    readable = Q(repository__isnull=True) | access.readable_q(user, prefix="repository__")
    job = (
        InferenceJob.objects.filter(readable)
        .select_related("requested_by", "repository__owner", "file__release__repository__owner")
        .defer("signed_tx")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        raise NotFound("No such test inference.")
    return job


def jobs_filter(*, user, params) -> tuple[QuerySet[InferenceJob], dict[str, str]]:
    """Jobs narrowed by ?status=, ?mode=, ?repo=owner/name and ?user=; returns the query and
    the filters as applied (unknown values are ignored and reported empty)."""
    jobs = jobs_list(user=user)
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
    or for files that are not valid ONNX models; the reason alone for blocked content."""
    if not access.may_run_inference(user):
        return None
    if not rf.is_onnx or rf.blob.onnx_status != OnnxStatus.VALID:
        return None
    if not access.content_usable(rf.blob):
        return {"blocked": f"{access.BLOCKED_MESSAGE} It cannot be run.", "jobs": []}
    signature = rf.blob.onnx_signature
    return {
        "chain_problem": chain_problem(),
        "form": InferenceForm(data, signature=signature),
        "unsupported": tensors.unsupported_inputs(tensors.input_specs(signature)),
        "zkml_problems": tensors.zkml_problems(signature),
        "jobs": jobs_list(user=user).filter(file=rf)[:10],
    }
