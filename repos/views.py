from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hub.pagination import paginate_ids
from releases.selectors import release_files
from repos import selectors, services
from repos.forms import (
    DeleteForm,
    RenameForm,
    RepositoryCreateForm,
    RepositoryMetadataForm,
    SearchForm,
    VisibilityForm,
)
from repos.models import License, Repository


def follows_renames(view):
    """Answer a renamed repository's old URLs with a permanent redirect to the new ones."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except selectors.RepositoryMoved as moved:
            match = request.resolver_match
            target = moved.repository
            url = reverse(
                match.view_name,
                kwargs={**match.kwargs, "owner": target.owner.username, "name": target.name},
            )
            if request.META.get("QUERY_STRING"):
                url = f"{url}?{request.META['QUERY_STRING']}"
            if request.method in ("GET", "HEAD"):
                return HttpResponsePermanentRedirect(url)
            response = HttpResponse(status=308)
            response["Location"] = url
            return response

    return wrapper


def _search_context(request: HttpRequest, filters: selectors.RepositoryFilters) -> dict:
    facets = selectors.facets(user=request.user)
    return {
        "tasks": facets.tasks,
        "popular_tags": facets.tags,
        "filters": filters,
        "sorts": SearchForm.base_fields["sort"].choices,
    }


def home(request: HttpRequest) -> HttpResponse:
    filters = selectors.RepositoryFilters()
    featured_ids = selectors.featured_ids(limit=settings.HUB_FEATURED_COUNT)
    recent_ids = list(selectors.repository_search(user=request.user, filters=filters)[:12])
    loaded = {repo.id: repo for repo in selectors.cards(featured_ids + recent_ids)}
    return render(
        request,
        "repos/home.html",
        {
            "featured": [loaded[i] for i in featured_ids if i in loaded],
            "recent": [loaded[i] for i in recent_ids if i in loaded],
            **_search_context(request, filters),
        },
    )


def model_list(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    filters = form.filters()
    results = selectors.repository_search(user=request.user, filters=filters)
    page = paginate_ids(request, results, settings.HUB_PAGE_SIZE)
    page.object_list = selectors.cards(page.object_list)
    return render(
        request,
        "repos/model_list.html",
        {"page": page, "licenses": License.objects.all(), **_search_context(request, filters)},
    )


def user_detail(request: HttpRequest, username: str) -> HttpResponse:
    profile = selectors.user_get_visible(username=username)
    if profile.username != username:
        return HttpResponsePermanentRedirect(profile.get_absolute_url())
    repos = (
        selectors.repository_list_readable(user=request.user)
        .filter(owner=profile)
        .order_by("-updated_at", "-id")
        .values_list("id", flat=True)
    )
    page = paginate_ids(request, repos, settings.HUB_PAGE_SIZE)
    page.object_list = selectors.cards(page.object_list)
    return render(request, "repos/user_detail.html", {"profile": profile, "page": page})


@login_required
def repo_create(request: HttpRequest) -> HttpResponse:
    form = RepositoryCreateForm(request.POST or None, owner=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            repo = services.repository_create(
                owner=request.user,
                name=data["name"],
                description=data["description"],
                task=data["task"],
                license=data["license"],
                tags=data["tags"],
                visibility=data["visibility"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Created {repo.full_name} with release v1.00.")
            return redirect(repo)
    return render(request, "repos/repo_create.html", {"form": form})


@follows_renames
def repo_detail(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    releases = list(repo.releases.order_by("-major", "-minor")[:11])
    return render(
        request,
        "repos/repo_detail.html",
        {
            "repo": repo,
            "tags": list(repo.tags.all()),
            "releases": releases[:10],
            "more_releases": len(releases) > 10,
            "release_count": repo.releases.count() if len(releases) > 10 else len(releases),
            "is_owner": request.user.pk == repo.owner_id,
            "files": release_files(release=repo.latest_release) if repo.latest_release else [],
        },
    )


@login_required
@follows_renames
def repo_edit(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    form = RepositoryMetadataForm(request.POST or None, instance=repo)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.repository_update(
            repository=repo,
            description=data["description"],
            task=data["task"],
            license=data["license"],
            tags=data["tags"],
        )
        messages.success(request, "Saved.")
        return redirect(repo)
    # A failed form must not show the half-applied instance: re-read the stored one.
    return render(
        request,
        "repos/repo_edit.html",
        {"repo": Repository.objects.select_related("owner").get(pk=repo.pk), "form": form},
    )


def _settings_page(request: HttpRequest, repo: Repository, **forms) -> HttpResponse:
    context = {
        "repo": repo,
        "rename_form": RenameForm(initial={"name": repo.name}),
        "visibility_form": VisibilityForm(initial={"visibility": repo.visibility}),
        "delete_form": DeleteForm(),
        **forms,
    }
    status = 400 if forms else 200
    return render(request, "repos/repo_settings.html", context, status=status)


@login_required
@follows_renames
def repo_settings(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    return _settings_page(request, repo)


@login_required
@require_POST
@follows_renames
def repo_rename(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    form = RenameForm(request.POST)
    if form.is_valid():
        old = repo.name
        try:
            services.repository_rename(repository=repo, new_name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error("name", exc.messages)
        else:
            messages.success(
                request, f"Renamed to {repo.name}. Links to {old} keep working and redirect here."
            )
            return redirect(repo.url("repo_settings"))
    return _settings_page(request, repo, rename_form=form)


@login_required
@require_POST
@follows_renames
def repo_visibility(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    form = VisibilityForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, repo, visibility_form=form)
    services.repository_set_visibility(repository=repo, visibility=form.cleaned_data["visibility"])
    messages.success(request, f"{repo.full_name} is now {repo.get_visibility_display().lower()}.")
    return redirect(repo.url("repo_settings"))


@login_required
@require_POST
@follows_renames
def repo_delete(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    form = DeleteForm(request.POST)
    if form.is_valid():
        try:
            services.repository_delete(
                repository=repo, confirm_name=form.cleaned_data["confirm_name"]
            )
        except ValidationError as exc:
            form.add_error("confirm_name", exc.messages)
        else:
            messages.success(request, f"Deleted {owner}/{repo.name}.")
            return redirect(request.user)
    return _settings_page(request, repo, delete_form=form)
