"""Pages of release files: a file, deleting one, copying the previous release's files, and
the downloads of the newest release that has a path and by Blob ID. (The download by a
release's path, `resolve`, is `releases.api_hf.views.resolve`: it also speaks to
`huggingface_hub`.)"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from hub.errors import HubError
from releases import archive, commands, downloads, previews, selectors, tree
from releases.services import files as services
from repos import access
from repos import selectors as repo_selectors


def _readable_file(request: HttpRequest, owner: str, name: str, version, path: str):
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    release = selectors.release_get(repository=repo, version=version)
    return selectors.release_file_get(release=release, path=path)


def _owned_release(request: HttpRequest, owner: str, name: str, version):
    repo = repo_selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    return selectors.release_get(repository=repo, version=version)


def file_detail(request: HttpRequest, owner: str, name: str, version, path: str) -> HttpResponse:
    rf = _readable_file(request, owner, name, version, path)
    repo = rf.release.repository
    checks, gateway_checks = commands.verify(request, rf)
    return render(
        request,
        "releases/file_detail.html",
        {
            "repo": repo,
            "release": rf.release,
            "file": rf,
            "is_owner": access.may_manage(request.user, repo),
            "sees_reasons": access.may_read_moderation_reasons(request.user, repo),
            "checks": checks,  # copy-ready commands: quoted, users' words after `--`
            "gateway_checks": gateway_checks,
            "crumbs": tree.crumbs(rf.release, rf.path.rpartition("/")[0]),
            "preview": previews.file_preview(rf),
        },
    )


@login_required
def file_delete(request: HttpRequest, owner: str, name: str, version, path: str) -> HttpResponse:
    release = _owned_release(request, owner, name, version)
    rf = selectors.release_file_get(release=release, path=path)
    if request.method == "POST":
        services.release_file_delete(release_file=rf)
        messages.success(request, f"Deleted {rf.path} from {release.version}.")
        return redirect(release)
    return render(
        request,
        "releases/file_delete.html",
        {"repo": release.repository, "release": release, "file": rf},
    )


@login_required
@require_POST
def release_copy(request: HttpRequest, owner: str, name: str, version) -> HttpResponse:
    release = _owned_release(request, owner, name, version)
    source = selectors.release_previous(release=release)
    if source is None:
        messages.error(request, "There is no earlier release to copy files from.")
        return redirect(release)
    try:
        count = services.release_copy_files(release=release, source=source, user=request.user)
    except HubError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Copied {count} file{'s' * (count != 1)} from {source.version}.")
    return redirect(release)


def resolve_latest(request: HttpRequest, owner: str, name: str, path: str) -> HttpResponse:
    """`resolve/latest/<path>`: the newest release that has the path, a stable URL for scripts."""
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    return downloads.serve(request, selectors.release_file_latest(repository=repo, path=path))


@require_safe
def release_zip(request: HttpRequest, owner: str, name: str, version) -> HttpResponse:
    """`releases/<version>/zip`: the release's files as one streamed zip, with a manifest."""
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    release = selectors.release_get(repository=repo, version=version)
    return archive.serve_zip(request, release, selectors.release_files(release=release))


def blob_download(request: HttpRequest, blob_id: str) -> HttpResponse:
    rf = selectors.release_file_readable_by_blob_id(user=request.user, blob_id=blob_id)
    return downloads.serve(request, rf)
