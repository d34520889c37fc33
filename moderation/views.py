from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from hub.errors import HubError
from moderation import services
from moderation.forms import ReportForm
from moderation.models import Report, ReportStatus
from repos import selectors


@login_required
@require_http_methods(["GET", "POST"])
def repo_report(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """Report a repository the user can see to the moderators."""
    repo = selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    open_report = Report.objects.filter(
        repository=repo, reporter=request.user, status=ReportStatus.OPEN
    ).first()
    form = ReportForm(request.POST or None)
    problem = ""
    if repo.owner_id == request.user.pk:
        problem = "You cannot report your own repository."
    elif request.method == "POST" and open_report is None and form.is_valid():
        try:
            services.report_create(
                repository=repo,
                reporter=request.user,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
            )
        except HubError as refused:
            problem = str(refused)
        else:
            return redirect(repo.url("repo_report_sent"))
    status = 200
    if request.method == "POST" and (problem or form.errors or open_report):
        status = 400
    return render(
        request,
        "moderation/report_form.html",
        {
            "repo": repo,
            "form": form,
            "open_report": open_report,
            "problem": problem,
            "can_report": repo.owner_id != request.user.pk and open_report is None,
        },
        status=status,
    )


@login_required
def repo_report_sent(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    report = (
        Report.objects.filter(repository=repo, reporter=request.user)
        .order_by("-created_at")
        .first()
    )
    if report is None:
        return redirect(repo.url("repo_report"))
    return render(request, "moderation/report_sent.html", {"repo": repo, "report": report})
