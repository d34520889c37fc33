"""Pages of a repository and its releases: the repository page (model card and the latest
release's files), creating a repository with v1.00, the release list, a release, a new
release."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from hub.errors import HubError
from hub.pagecache import anonymous_page_cache
from hub.pagination import paginate
from hub.web import form_error
from releases import compare, removed, selectors, tree
from releases.forms import ReleaseCreateForm
from releases.services import releases as services
from repos import access
from repos import selectors as repo_selectors
from repos.forms import RepositoryCreateForm


@login_required
def repo_create(request: HttpRequest) -> HttpResponse:
    form = RepositoryCreateForm(request.POST or None, owner=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            repo = services.repository_create(owner=request.user, **form.cleaned_data)
        except HubError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Created {repo.full_name} with release v1.00.")
            return redirect(repo)
    return render(request, "repos/repo_create.html", {"form": form})


def _repository_row(request: HttpRequest, owner: str, name: str) -> tuple:
    """The repository's row as the visitor reads it (a 404 or a redirect as the page's): a new
    file or release touches its updated_at, a download or a star its counts."""
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    return tuple(getattr(repo, field.attname) for field in repo._meta.concrete_fields)


@anonymous_page_cache(_repository_row)
def repo_detail(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    releases = list(selectors.release_list(repository=repo)[:11])
    latest = repo.latest_release
    listing = selectors.release_folder(release=latest) if latest else None
    sees_reasons = access.may_read_moderation_reasons(request.user, repo)
    return render(
        request,
        "repos/repo_detail.html",
        {
            "repo": repo,
            "sees_reasons": sees_reasons,
            "removals": removed.repository_removals(repository=repo) if sees_reasons else None,
            "tags": list(repo.tags.all()),
            "releases": releases[:10],
            "more_releases": len(releases) > 10,
            "release_count": repo.releases.count() if len(releases) > 10 else len(releases),
            "is_owner": access.may_manage(request.user, repo),
            "listing": listing,
            "entries": listing.entries[: tree.PAGE_SIZE] if listing else [],
            "more_entries": listing is not None and len(listing.entries) > tree.PAGE_SIZE,
            "main_file": selectors.release_main_file(release=latest) if latest else [],
        },
    )


def release_list(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    page = paginate(request, selectors.release_list(repository=repo), settings.HUB_PAGE_SIZE)
    return render(
        request,
        "releases/release_list.html",
        {"repo": repo, "page": page, "is_owner": access.may_manage(request.user, repo)},
    )


def release_detail(
    request: HttpRequest, owner: str, name: str, version: tuple[int, int]
) -> HttpResponse:
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    release = selectors.release_get(repository=repo, version=version)
    is_owner = access.may_manage(request.user, repo)
    listing = selectors.release_folder(release=release)
    previous = selectors.release_previous(release=release)
    return render(
        request,
        "releases/release_detail.html",
        {
            "repo": repo,
            "release": release,
            "listing": listing,
            "entries": paginate(request, listing.entries, tree.PAGE_SIZE),
            "previous": previous,
            "breaking": compare.release_breaking_warning(release=release, previous=previous),
            "is_latest": release.pk == repo.latest_release_id,
            "is_owner": is_owner,
            "sees_reasons": access.may_read_moderation_reasons(request.user, repo),
            "unfinished": selectors.uploads_unfinished(release=release, user=request.user)
            if is_owner
            else [],
            "max_file_size": settings.HUB_MAX_FILE_SIZE,
        },
    )


def release_tree(
    request: HttpRequest, owner: str, name: str, version: tuple[int, int], path: str
) -> HttpResponse:
    """`releases/<version>/tree/<folder>`: one folder of a release (the release page is its
    top), with links into its subfolders and files."""
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    release = selectors.release_get(repository=repo, version=version)
    listing = selectors.release_folder(release=release, path=path)
    return render(
        request,
        "releases/release_tree.html",
        {
            "repo": repo,
            "release": release,
            "listing": listing,
            "entries": paginate(request, listing.entries, tree.PAGE_SIZE),
            "is_owner": access.may_manage(request.user, repo),
            "sees_reasons": access.may_read_moderation_reasons(request.user, repo),
        },
    )


@login_required
def release_create(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    repo = repo_selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    latest = repo.latest_release
    current = (latest.major, latest.minor) if latest else None
    versions = selectors.release_versions(repository=repo)
    form = ReleaseCreateForm(
        request.POST or None,
        current=current,
        versions=versions,
        initial={k: request.GET[k] for k in ("bump", "source") if k in request.GET},
    )
    warning = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        source = (
            selectors.release_get(repository=repo, version=selectors.version_of(data["source"]))
            if data["source"]
            else None
        )
        warning = compare.release_create_warning(repository=repo, bump=data["bump"], source=source)
        if warning is None or form.breaking_accepted:
            try:
                release = services.release_create(
                    repository=repo,
                    bump=data["bump"],
                    notes=data["notes"],
                    user=request.user,
                    copy_from=source,
                )
            except HubError as exc:  # notes that cannot be rendered, say: on their field
                form_error(form, exc)
            else:
                messages.success(request, f"Created release {release.version}.")
                return redirect(release)
        else:
            form.ask_to_accept_breaking()
    return render(
        request,
        "releases/release_create.html",
        {"repo": repo, "form": form, "latest": latest, "breaking": warning},
    )
