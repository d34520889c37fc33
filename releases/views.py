from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from hub.pagination import paginate
from releases import selectors, services
from releases.forms import ReleaseCreateForm
from repos import selectors as repo_selectors
from repos.views import follows_renames


@follows_renames
def release_list(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    page = paginate(request, selectors.release_list(repository=repo), settings.HUB_PAGE_SIZE)
    return render(
        request,
        "releases/release_list.html",
        {"repo": repo, "page": page, "is_owner": request.user.pk == repo.owner_id},
    )


@follows_renames
def release_detail(
    request: HttpRequest, owner: str, name: str, version: tuple[int, int]
) -> HttpResponse:
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    release = selectors.release_get(repository=repo, version=version)
    is_owner = request.user.pk == repo.owner_id
    files = selectors.release_files(release=release)
    previous = selectors.release_previous(release=release) if is_owner and not files else None
    return render(
        request,
        "releases/release_detail.html",
        {
            "repo": repo,
            "release": release,
            "files": files,
            "previous": previous,
            "is_latest": release.pk == repo.latest_release_id,
            "is_owner": is_owner,
            "max_file_size": settings.HUB_MAX_FILE_SIZE,
        },
    )


@login_required
@follows_renames
def release_create(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = repo_selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    latest = repo.latest_release
    current = (latest.major, latest.minor) if latest else None
    form = ReleaseCreateForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        release = services.release_create(
            repository=repo,
            bump=form.cleaned_data["bump"],
            notes=form.cleaned_data["notes"],
            user=request.user,
        )
        messages.success(request, f"Created release {release.version}.")
        return redirect(release)
    return render(
        request, "releases/release_create.html", {"repo": repo, "form": form, "latest": latest}
    )
