"""Endpoints of repositories, releases and files."""

import base64
import binascii
import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Query, Schema, Status

from hub import multipart
from hub.errors import Invalid, NotFound
from hub.pagination import COUNT_CAP, FILTERED_COUNT_CAP, count_up_to
from releases import selectors
from releases.api_v1 import TokenOrSession, api
from releases.api_v1.schemas import (
    BatchOut,
    FileOut,
    ReleaseIn,
    ReleaseOut,
    RenameIn,
    RepositoryDetailOut,
    RepositoryIn,
    RepositoryPage,
    RepositoryPatch,
    WhoAmI,
    batch_out,
    file_out,
    release_out,
    repository_out,
)
from releases.services import files as file_services
from releases.services import receive
from releases.services import releases as release_services
from repos import selectors as repo_selectors
from repos import services as repo_services
from repos.forms import SearchForm
from repos.models import Visibility

WRITE = TokenOrSession()
MAX_PER_PAGE = 100


class SearchParams(Schema):
    q: str = ""
    task: str = ""
    license: str = ""
    tag: str = ""
    sort: str = ""
    page: int = 1
    per_page: int = 20


def _readable(request: HttpRequest, owner: str, name: str):
    return repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)


def _manageable(request: HttpRequest, owner: str, name: str):
    return repo_selectors.repository_get_manageable(user=request.user, owner=owner, name=name)


def _release(repo, version: str):
    """A release by its label: `v1.02`, `1.02`, or `latest`."""
    if version == "latest":
        if repo.latest_release is None:
            raise NotFound("This repository has no release.")
        return selectors.release_get(
            repository=repo, version=(repo.latest_release.major, repo.latest_release.minor)
        )
    parsed = selectors.version_of(version)
    if parsed is None:
        raise NotFound(f"No release “{version}”: versions look like v1.02.")
    return selectors.release_get(repository=repo, version=parsed)


def _detail(request: HttpRequest, repo) -> dict:
    repo = _readable(request, repo.owner.username, repo.name)  # fresh, with its relations
    return repository_out(repo, detail=True)


@api.get("/whoami", response=WhoAmI, auth=WRITE, tags=["account"])
def whoami(request: HttpRequest):
    """Who the token (or session) acts as, and what it may do."""
    token = request.auth_token
    return {
        "username": request.user.username,
        "auth": "token" if token else "session",
        "scope": token.scope if token else "write",
        "token_name": token.name if token else None,
    }


@api.get("/repos", response=RepositoryPage, tags=["repositories"])
def repository_list(request: HttpRequest, params: Query[SearchParams]):
    """Repositories the caller may read, with the filters and sorts of /models."""
    form = SearchForm(
        {k: v for k, v in params.dict().items() if k in ("q", "task", "license", "tag", "sort")}
    )
    filters = form.filters()
    ids = repo_selectors.repository_search(user=request.user, filters=filters)
    per_page = max(1, min(params.per_page, MAX_PER_PAGE))
    # Counted as far as the pages count (an exact count of a broad search in a million
    # repositories costs a second); `next` goes on past the cap for as long as there are more.
    cap = FILTERED_COUNT_CAP if filters.is_filtered else COUNT_CAP
    found = count_up_to(ids, cap + 1)
    count = min(found, cap)
    page = max(1, params.page)
    window = list(ids[(page - 1) * per_page : page * per_page + 1])
    more = len(window) > per_page
    window = window[:per_page]
    following = None
    if more:
        query = request.GET.copy()
        query["page"] = str(page + 1)
        following = f"{request.path}?{query.urlencode()}"
    return {
        "count": count,
        "count_capped": found > cap,
        "page": page,
        "pages": max(1, math.ceil(count / per_page), page + more if window else 0),
        "next": following,
        "items": [repository_out(repo) for repo in repo_selectors.cards(window)],
    }


@api.post("/repos", response={201: RepositoryDetailOut}, auth=WRITE, tags=["repositories"])
def repository_create(request: HttpRequest, data: RepositoryIn):
    """Create a repository of the caller's, with its first release, v1.00."""
    repo = release_services.repository_create(
        owner=request.user,
        name=data.name,
        description=data.description,
        task=repo_selectors.task_by_slug(data.task),
        license=repo_selectors.license_by_id(data.license),
        tags=data.tags,
        visibility=Visibility.PRIVATE if data.private else Visibility.PUBLIC,
    )
    return Status(201, _detail(request, repo))


@api.get("/repos/{owner}/{name}", response=RepositoryDetailOut, tags=["repositories"])
def repository_get(request: HttpRequest, owner: str, name: str):
    return repository_out(_readable(request, owner, name), detail=True)


@api.patch("/repos/{owner}/{name}", response=RepositoryDetailOut, auth=WRITE, tags=["repositories"])
def repository_update(request: HttpRequest, owner: str, name: str, data: RepositoryPatch):
    """Change the description, task, licence, tags or visibility; what is left out stays."""
    repo = _manageable(request, owner, name)
    changes = data.dict(exclude_unset=True)
    if changes.keys() & {"description", "task", "license", "tags"}:
        repo_services.repository_update(
            repository=repo,
            description=changes.get("description", repo.description),
            task=repo_selectors.task_by_slug(changes["task"]) if "task" in changes else repo.task,
            license=repo_selectors.license_by_id(changes["license"])
            if "license" in changes
            else repo.license,
            tags=changes["tags"] if "tags" in changes else [t.name for t in repo.tags.all()],
        )
    if changes.get("private") is not None:
        visibility = Visibility.PRIVATE if changes["private"] else Visibility.PUBLIC
        repo_services.repository_set_visibility(repository=repo, visibility=visibility)
    return _detail(request, repo)


@api.post(
    "/repos/{owner}/{name}/rename", response=RepositoryDetailOut, auth=WRITE, tags=["repositories"]
)
def repository_rename(request: HttpRequest, owner: str, name: str, data: RenameIn):
    """Rename; the old name keeps redirecting on the site until it is reused."""
    repo = _manageable(request, owner, name)
    repo_services.repository_rename(repository=repo, new_name=data.name)
    return _detail(request, repo)


@api.delete("/repos/{owner}/{name}", response={204: None}, auth=WRITE, tags=["repositories"])
def repository_delete(request: HttpRequest, owner: str, name: str, confirm: str = ""):
    """Delete a repository with all its releases. `confirm` must repeat its name."""
    repo = _manageable(request, owner, name)
    repo_services.repository_delete(repository=repo, confirm_name=confirm)
    return HttpResponse(status=204)


@api.get("/repos/{owner}/{name}/releases", response=list[ReleaseOut], tags=["releases"])
def release_list(request: HttpRequest, owner: str, name: str):
    """Releases, newest first."""
    repo = _readable(request, owner, name)
    return [release_out(r) for r in selectors.release_list(repository=repo, with_notes=True)[:500]]


@api.post(
    "/repos/{owner}/{name}/releases", response={201: ReleaseOut}, auth=WRITE, tags=["releases"]
)
def release_create(request: HttpRequest, owner: str, name: str, data: ReleaseIn):
    """The next release: minor (1.04 → 1.05) or major (1.04 → 2.00)."""
    repo = _manageable(request, owner, name)
    release = release_services.release_create(
        repository=repo, bump=data.bump, notes=data.notes, user=request.user
    )
    release.created_by = request.user
    return Status(201, release_out(release))


@api.get("/repos/{owner}/{name}/releases/{version}", response=ReleaseOut, tags=["releases"])
def release_get(request: HttpRequest, owner: str, name: str, version: str):
    """One release: `v1.02`, `1.02` or `latest`."""
    return release_out(_release(_readable(request, owner, name), version))


@api.get("/repos/{owner}/{name}/releases/{version}/files", response=list[FileOut], tags=["files"])
def file_list(request: HttpRequest, owner: str, name: str, version: str):
    """The files of a release, with their sha256, Blob ID and download URL."""
    release = _release(_readable(request, owner, name), version)
    return [file_out(rf) for rf in selectors.release_files(release=release)]


BINARY = {"type": "string", "format": "binary"}
BATCH_CHUNKS = 4  # a batch of small files holds at most this many chunks' worth of bytes


def _body(content_type: str, schema: dict) -> dict:
    """The OpenAPI request body of an endpoint that reads the request itself."""
    return {"requestBody": {"required": True, "content": {content_type: {"schema": schema}}}}


@api.put(
    "/repos/{owner}/{name}/releases/{version}/files/{path:path}",
    response={200: FileOut, 201: FileOut},
    auth=WRITE,
    tags=["files"],
    openapi_extra={
        **_body("application/octet-stream", BINARY),
        "parameters": [
            {
                "in": "header",
                "name": "Content-Digest",
                "required": True,
                "schema": {"type": "string"},
                "description": "the file's sha256 as RFC 9530 says: sha-256=:<base64>:",
            }
        ],
    },
)
def file_put(request: HttpRequest, owner: str, name: str, version: str, path: str):
    """Add a file sent whole as the body, in one request: for files up to a few MiB (larger
    ones go through an upload, which resumes). The same content already at the path answers
    200 without reading the body; other content there is a 409."""
    release = _release(_manageable(request, owner, name), version)
    rf, created = receive.file_receive(
        release=release,
        user=request.user,
        path=path,
        stream=request,
        length=_content_length(request),
        sha256=_content_sha256(request),
    )
    return Status(201 if created else 200, file_out(rf))


@api.post(
    "/repos/{owner}/{name}/releases/{version}/files",
    response=BatchOut,
    auth=WRITE,
    tags=["files"],
    openapi_extra=_body(
        "multipart/form-data",
        {
            "type": "object",
            "properties": {
                "file": {
                    "type": "array",
                    "items": BINARY,
                    "description": "one part a file: its path as the part's filename, its "
                    "sha256 in the part's Content-Digest header",
                }
            },
        },
    ),
)
def files_post(request: HttpRequest, owner: str, name: str, version: str):
    """Add many small files in one request (multipart/form-data, a part named `file` for
    each, with its path as the filename and its `Content-Digest: sha-256=:…:` header; files
    of at most one upload chunk, requests of at most four chunks' worth). Each file gets its
    own outcome: `added`, `present` (that content is there; not stored again), `conflict`,
    `invalid`, `blocked` or `refused` (the release is full)."""
    release = _release(_manageable(request, owner, name), version)
    parts = multipart.parts(
        request,
        max_bytes=BATCH_CHUNKS * settings.HUB_UPLOAD_CHUNK_SIZE,
        max_parts=settings.HUB_MAX_FILES_PER_RELEASE,
    )
    offered = (
        (part.filename, _digest_sha256(part.headers.get("content-digest", "")), part.stream)
        for part in parts
        if part.name == "file"
    )
    outcomes = receive.files_receive_many(release=release, user=request.user, parts=offered)
    return {"files": [batch_out(o) for o in outcomes]}


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        raise Invalid("Say how many bytes the file has (Content-Length).") from None


def _content_sha256(request: HttpRequest) -> str | None:
    return _digest_sha256(request.headers.get("Content-Digest", ""))


def _digest_sha256(header: str) -> str | None:
    """The sha-256 of an RFC 9530 Content-Digest header, in hex."""
    for member in header.split(","):
        algorithm, _, value = member.strip().partition("=")
        if algorithm.strip().lower() == "sha-256" and value.startswith(":") and value.endswith(":"):
            try:
                return base64.b64decode(value[1:-1], validate=True).hex()
            except binascii.Error:
                return None
    return None


@api.delete(
    "/repos/{owner}/{name}/releases/{version}/files/{path:path}",
    response={204: None},
    auth=WRITE,
    tags=["files"],
)
def file_delete(request: HttpRequest, owner: str, name: str, version: str, path: str):
    """Remove a file from its release; the path stays reserved for the same content."""
    release = _release(_manageable(request, owner, name), version)
    file_services.release_file_delete(
        release_file=selectors.release_file_get(release=release, path=path)
    )
    return HttpResponse(status=204)
