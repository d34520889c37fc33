from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from hub.errors import HubError
from hub.pagecache import anonymous_page_cache
from hub.pagination import COUNT_CAP, FILTERED_COUNT_CAP, paginate_capped
from hub.web import form_error
from repos import facets, selectors, services
from repos.forms import (
    DeleteForm,
    RenameForm,
    RepositoryMetadataForm,
    SearchForm,
    VisibilityForm,
)
from repos.models import License, Repository


def _search_context(request: HttpRequest, filters: selectors.RepositoryFilters) -> dict:
    counts = facets.facets(user=request.user)
    return {
        "tasks": counts.tasks,
        "popular_tags": counts.tags,
        "filters": filters,
        "sorts": SearchForm.base_fields["sort"].choices,
        # The tag and task links of the cards and the sidebar keep the other filters: the
        # query string they add their tag or task to.
        "keep_for_tag": filters.query_string(tag=""),
        "keep_for_task": filters.query_string(task=""),
    }


def home(request: HttpRequest) -> HttpResponse:
    filters = selectors.RepositoryFilters()
    featured_ids = selectors.featured_ids(limit=settings.HUB_FEATURED_COUNT)
    # The featured ones are shown above: the next most recently updated take their places.
    latest = selectors.repository_search(user=request.user, filters=filters)
    recent_ids = [i for i in latest[: 12 + len(featured_ids)] if i not in featured_ids][:12]
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


@anonymous_page_cache(lambda request: facets.listing_changed_at())
def model_list(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    filters = form.filters()
    results = selectors.repository_search(user=request.user, filters=filters)
    cap = FILTERED_COUNT_CAP if filters.is_filtered else COUNT_CAP
    memo = selectors.count_memo(user=request.user, filters=filters, cap=cap)
    page = paginate_capped(request, results, settings.HUB_PAGE_SIZE, cap=cap, memo=memo)
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
    tab = "starred" if request.GET.get("tab") == "starred" else "models"
    if tab == "starred":
        repos = selectors.starred_ids(user=request.user, profile=profile)
    else:
        repos = (
            selectors.repository_list_readable(user=request.user)
            .filter(owner=profile)
            .order_by("-updated_at", "-id")
            .values_list("id", flat=True)
        )
    page = paginate_capped(request, repos, settings.HUB_PAGE_SIZE)
    page.object_list = selectors.cards(page.object_list)
    return render(request, "repos/user_detail.html", {"profile": profile, "page": page, "tab": tab})


@login_required
@require_POST
def repo_star(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """Star (`star=1`) or take the star back (`star=0`): JSON for the page's script, else a
    redirect back to the page the form was on."""
    repo = selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    starred = request.POST.get("star") != "0"
    if starred:
        services.star_add(user=request.user, repository=repo)
    else:
        services.star_remove(user=request.user, repository=repo)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"starred": starred, "stars": repo.stars})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = repo.get_absolute_url()
    return redirect(back)


@login_required
def repo_edit(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    form = RepositoryMetadataForm(request.POST or None, instance=repo)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.repository_update(
                repository=repo,
                description=data["description"],
                task=data["task"],
                license=data["license"],
                tags=data["tags"],
            )
        except HubError as exc:  # a card that cannot be rendered, say: shown on its field
            form_error(form, exc)
        else:
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
def repo_settings(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    return _settings_page(request, repo)


@login_required
@require_POST
def repo_rename(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    form = RenameForm(request.POST)
    if form.is_valid():
        old = repo.name
        try:
            services.repository_rename(repository=repo, new_name=form.cleaned_data["name"])
        except HubError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request, f"Renamed to {repo.name}. Links to {old} keep working and redirect here."
            )
            return redirect(repo.url("repo_settings"))
    return _settings_page(request, repo, rename_form=form)


@login_required
@require_POST
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
def repo_delete(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    form = DeleteForm(request.POST)
    if form.is_valid():
        try:
            services.repository_delete(
                repository=repo, confirm_name=form.cleaned_data["confirm_name"]
            )
        except HubError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Deleted {owner}/{repo.name}.")
            return redirect(request.user)
    return _settings_page(request, repo, delete_form=form)
