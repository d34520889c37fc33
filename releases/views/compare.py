"""The compare page of two releases: choosing them, and what changed from one to the other."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from releases import compare, selectors
from releases.forms import CompareForm
from repos import selectors as repo_selectors


def compare_pick(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """`compare/?base=v1.00&head=v1.01` (either may be left out) redirects to the comparison."""
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    form = CompareForm(request.GET, versions=selectors.release_versions(repository=repo))
    if form.is_valid():
        base, head = form.cleaned_data["base"], form.cleaned_data["head"]
        return redirect("release_compare", repo.owner.username, repo.name, base, head)
    return render(
        request,
        "releases/compare.html",
        {"repo": repo, "form": form, "comparison": None},
        status=400 if request.GET else 200,
    )


def release_compare(request: HttpRequest, owner: str, name: str, base, head) -> HttpResponse:
    """`compare/v1.00...v1.01`: files added, removed and changed, and ONNX signature diffs."""
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    comparison = compare.release_compare(
        base=selectors.release_get(repository=repo, version=base),
        head=selectors.release_get(repository=repo, version=head),
    )
    form = CompareForm(
        initial={"base": comparison.base.version, "head": comparison.head.version},
        versions=selectors.release_versions(repository=repo),
    )
    return render(
        request, "releases/compare.html", {"repo": repo, "form": form, "comparison": comparison}
    )
