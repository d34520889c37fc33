from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from hub.errors import HubError
from hub.pagination import paginate
from hub.web import form_error
from inference import selectors, services
from inference.models import Mode, Status


@require_http_methods(["GET", "POST"])
def job_run(request: HttpRequest, file_id: int) -> HttpResponse:
    """The form of the file page's panel; shown on its own when the input needs fixing."""
    rf = selectors.runnable_file(user=request.user, file_id=file_id)
    panel = selectors.file_panel(
        user=request.user, rf=rf, data=request.POST if request.method == "POST" else None
    )
    form = panel.get("form")
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            job = services.job_create(
                file=rf,
                user=request.user,
                mode=Mode(form.cleaned_data["mode"]),
                inputs=form.cleaned_data["inputs"],
            )
        except HubError as exc:
            form_error(form, exc)
        else:
            if getattr(job, "queued", True):
                messages.success(request, f"Test inference #{job.pk} is queued.")
            else:
                messages.warning(
                    request,
                    f"Test inference #{job.pk} is recorded and will start as soon as the hub's "
                    "workers are reachable; this page follows it.",
                )
            return redirect(job)
    return render(
        request,
        "inference/job_run.html",
        {"file": rf, "release": rf.release, "repo": rf.release.repository, "panel": panel},
        status=400 if request.method == "POST" else 200,
    )


def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, job_id=job_id)
    template = "inference/job_live.html" if request.GET.get("live") else "inference/job_detail.html"
    return render(request, template, {"job": job})


def job_list(request: HttpRequest) -> HttpResponse:
    selectors.require_runner(request.user)
    jobs, applied = selectors.jobs_filter(user=request.user, params=request.GET)
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
