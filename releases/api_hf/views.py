"""The endpoints `huggingface_hub` calls to read a repository, and the door's one error
mapping (`_mapped`, also behind the upload endpoints of `upload_views.py`).

The client tells a missing repository, revision and file apart by `X-Error-Code`
(`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`); a private repository the caller may
not read is `RepoNotFound`, exactly like a missing one. Every file is described as an LFS
file whose oid is its sha256: the client then checks downloads and local copies against it.
"""

import functools
import logging
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found

from hub.api import error_response, problem, storage_failure
from hub.errors import HubError, Moved, NotFound
from releases import downloads, selectors
from releases.api_hf import revisions
from releases.models import Release, ReleaseFile
from repos import selectors as repo_selectors
from repos.models import Repository

log = logging.getLogger(__name__)

TREE_PAGE_SIZE = 1000  # the client follows the `Link: <…>; rel="next"` header
REDIRECTS = (301, 302, 303, 307, 308)
LFS_POINTER_SIZE = 134  # what a git-lfs pointer file of a sha256 weighs; the client only shows it
SIGNED_OUT = (
    "Uploads need a write token of the hub (made on /accounts/tokens/): pass token= or set "
    "HF_TOKEN."
)


class HfNotFound(Exception):
    """A 404 with the client's error code; `commit` when the revision was found."""

    def __init__(self, code: str, message: str, commit: str | None = None):
        super().__init__(message)
        self.code, self.message, self.commit = code, message, commit

    def headers(self) -> dict[str, str]:
        headers = {"X-Error-Code": self.code}
        if message := _header_safe(self.message):
            headers["X-Error-Message"] = message
        if self.commit:
            headers["X-Repo-Commit"] = self.commit
        return headers


def repository_of(request: HttpRequest, owner: str, name: str) -> Repository:
    try:
        return repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    except NotFound:
        raise HfNotFound("RepoNotFound", "Repository not found.") from None


def release_of(repo: Repository, revision) -> Release:
    try:
        return revisions.release_by_revision(repository=repo, revision=revision)
    except NotFound as exc:
        raise HfNotFound("RevisionNotFound", exc.message) from None


def _header_safe(message: str) -> str | None:
    """The message as `X-Error-Message` (which the client shows before the body's `error`), or
    None when a header cannot carry it as it is (the body then carries it alone)."""
    try:
        message.encode("latin-1")
    except UnicodeEncodeError:
        return None
    return None if "\n" in message or "\r" in message else message


def _mapped(view):
    """`HfNotFound`, `hub.errors` and storage failures answered the client's way: the one
    mapping of this door, for reads and writes."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except HfNotFound as exc:
            return JsonResponse({"error": exc.message}, status=404, headers=exc.headers())
        except Moved:
            not_found = HfNotFound("RepoNotFound", "Repository not found (it was renamed).")
            return JsonResponse(
                {"error": not_found.message}, status=404, headers=not_found.headers()
            )
        except HubError as exc:
            response = error_response(exc)
            if header := _header_safe(exc.message):
                response["X-Error-Message"] = header
            return response
        except OSError as exc:
            return storage_failure(request, exc)

    return wrapper


def hf_api(view):
    """A read-only JSON view: GET or HEAD, errors mapped by `_mapped`."""
    mapped = _mapped(view)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return JsonResponse({"error": "Use GET."}, status=405, headers={"Allow": "GET, HEAD"})
        return mapped(request, *args, **kwargs)

    return wrapper


def hf_write(*, method: str = "POST", token: bool = True):
    """A view that changes something: `method` only, and with `token` a personal access token
    as the bearer (sessions are not taken here, which is why CSRF does not apply; the upload
    URLs carry their own credential and pass `token=False`). Errors mapped by `_mapped`."""

    def decorate(view):
        mapped = _mapped(view)

        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method != method:
                return problem(405, f"Use {method}.", headers={"Allow": method})
            if token and getattr(request, "auth_token", None) is None:
                return problem(401, SIGNED_OUT, headers={"WWW-Authenticate": 'Bearer realm="hub"'})
            return mapped(request, *args, **kwargs)

        return wrapper

    return decorate


def _time(value: datetime) -> str:
    """The one date format the client parses: 2024-05-01T10:00:00.000Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _lfs(rf: ReleaseFile) -> dict:
    return {"size": rf.blob.size, "sha256": rf.blob.sha256, "pointerSize": LFS_POINTER_SIZE}


@hf_api
def model_info(
    request: HttpRequest, owner: str, name: str, revision: str = revisions.MAIN
) -> JsonResponse:
    repo = repository_of(request, owner, name)
    release = release_of(repo, revision)
    files = selectors.release_files(release=release)
    modified = max([release.created_at, *(rf.created_at for rf in files)])
    return JsonResponse(
        {
            "_id": str(repo.pk),
            "id": repo.full_name,
            "modelId": repo.full_name,
            "author": repo.owner.username,
            "sha": revisions.commit_id(release),
            "createdAt": _time(repo.created_at),
            "lastModified": _time(modified),
            "private": repo.is_private,
            "gated": False,
            "disabled": False,
            "downloads": repo.downloads,
            "likes": 0,
            "tags": sorted(tag.name for tag in repo.tags.all()),
            "pipeline_tag": repo.task.slug,
            "cardData": {"license": repo.license.pk},
            "siblings": [
                {
                    "rfilename": rf.path,
                    "size": rf.blob.size,
                    "blobId": rf.blob.blob_id,
                    "lfs": _lfs(rf),
                }
                for rf in files
            ],
        }
    )


@hf_api
def tree(
    request: HttpRequest, owner: str, name: str, revision: str, path: str = ""
) -> JsonResponse:
    """The files and folders under `path` (its children, or everything below it with
    `recursive=true`), sorted by path, `TREE_PAGE_SIZE` a page."""
    repo = repository_of(request, owner, name)
    release = release_of(repo, revision)
    commit = revisions.commit_id(release)
    recursive = request.GET.get("recursive", "").lower() in ("1", "true")
    folder = path.strip("/")
    entries = _tree_entries(selectors.release_files(release=release), folder, recursive)
    if folder and not entries:
        raise HfNotFound("EntryNotFound", f"No folder {folder!r} in this revision.", commit)
    try:
        start = max(int(request.GET.get("cursor", "0")), 0)
    except ValueError:
        start = 0
    page = entries[start : start + TREE_PAGE_SIZE]
    response = JsonResponse(page, safe=False, headers={"X-Repo-Commit": commit})
    if start + TREE_PAGE_SIZE < len(entries):
        query = {**request.GET.dict(), "cursor": str(start + TREE_PAGE_SIZE)}
        next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
        response["Link"] = f'<{next_url}>; rel="next"'
    return response


def _tree_entries(files: list[ReleaseFile], folder: str, recursive: bool) -> list[dict]:
    prefix = f"{folder}/" if folder else ""
    entries: dict[str, dict] = {}
    for rf in files:
        if not rf.path.startswith(prefix):
            continue
        parts = rf.path[len(prefix) :].split("/")
        depth = len(parts) if recursive else 1
        for i in range(1, min(depth, len(parts) - 1) + 1):  # the folders on the way
            folder_path = prefix + "/".join(parts[:i])
            entries.setdefault(
                folder_path, {"type": "directory", "oid": "", "size": 0, "path": folder_path}
            )
        if recursive or len(parts) == 1:
            entries[rf.path] = {
                "type": "file",
                "oid": rf.blob.blob_id,
                "size": rf.blob.size,
                "path": rf.path,
                "lfs": {
                    "oid": rf.blob.sha256,
                    "size": rf.blob.size,
                    "pointerSize": LFS_POINTER_SIZE,
                },
            }
    return [entries[key] for key in sorted(entries)]


def resolve(
    request: HttpRequest, owner: str, name: str, path: str, version=None, revision=None
) -> HttpResponse:
    """`/<owner>/<name>/resolve/<revision>/<path>`: the site's download by path, for any
    revision the client names, with its headers. Its 404 is the hub's page, with the client's
    error code in the headers; Moved and Blocked rise to the page mapping (301, 410)."""
    try:
        repo = repository_of(request, owner, name)
        release = release_of(repo, version or revision)
        commit = revisions.commit_id(release)
        try:
            rf = selectors.release_file_get(release=release, path=path)
        except NotFound as exc:
            raise HfNotFound("EntryNotFound", exc.message, commit) from None
    except HfNotFound as exc:
        response = page_not_found(request, Http404(exc.message))
        for header, value in exc.headers().items():
            response[header] = value
        return response
    response = downloads.serve(request, rf)
    if request.method == "HEAD" and response.status_code in REDIRECTS:
        # Storage that serves its own URLs (S3). The client sends its GET where a HEAD's
        # Location points, so the HEAD is answered here: the GET then comes to the hub, where
        # the download counts, and is redirected.
        response = HttpResponse(status=200, content_type=downloads.content_type(rf.name))
        response["Content-Length"] = str(rf.blob.size)
        response["Accept-Ranges"] = "bytes"
        response["X-Blob-Id"] = rf.blob.blob_id
    response["X-Repo-Commit"] = commit
    response["X-Linked-Etag"] = f'"{rf.blob.sha256}"'
    response["X-Linked-Size"] = str(rf.blob.size)
    response.setdefault("ETag", f'"{rf.blob.blob_id}"')
    return response
