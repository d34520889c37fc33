from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from hub.pagination import paginate
from inference import selectors, services
from inference.models import InferenceJob, Mode, Status
from releases.models import ReleaseFile


def _require_runner(request: HttpRequest) -> None:
    # Not 403: the pages of test inferences do not exist for anyone else.
    if not selectors.can_run(request.user):
        raise Http404


@require_http_methods(["GET", "POST"])
def job_run(request: HttpRequest, file_id: int) -> HttpResponse:
    """The form of the file page's panel; shown on its own when the input needs fixing."""
    _require_runner(request)
    rf = get_object_or_404(
        ReleaseFile.objects.select_related("blob", "release__repository__owner"), pk=file_id
    )
    panel = selectors.file_panel(
        user=request.user, rf=rf, data=request.POST if request.method == "POST" else None
    )
    if panel is None:
        raise Http404("This file is not an ONNX model that can be run.")
    form = panel["form"]
    if request.method == "POST" and form.is_valid():
        job = services.job_create(
            file=rf,
            user=request.user,
            mode=Mode(form.cleaned_data["mode"]),
            inputs=form.cleaned_data["inputs"],
        )
        messages.success(request, f"Test inference #{job.pk} is queued.")
        return redirect(job)
    return render(
        request,
        "inference/job_run.html",
        {"file": rf, "release": rf.release, "repo": rf.release.repository, "panel": panel},
        status=400 if request.method == "POST" else 200,
    )


def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    _require_runner(request)
    job = get_object_or_404(
        InferenceJob.objects.select_related(
            "requested_by", "repository__owner", "file__release__repository__owner"
        ).defer("signed_tx"),
        pk=job_id,
    )
    template = "inference/job_live.html" if request.GET.get("live") else "inference/job_detail.html"
    return render(request, template, {"job": job})


def job_list(request: HttpRequest) -> HttpResponse:
    _require_runner(request)
    jobs, applied = selectors.jobs_filter(request.GET)
    page = paginate(request, jobs, 50)
    return render(
        request,
        "inference/job_list.html",
        {
            "page": page,
            "applied": applied,
            "statuses": Status.choices,
            "modes": Mode.choices,
        },
    )
