"""The endpoints the OpenGradient SDK's `ModelHub` calls, and their one error mapping."""

import functools

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from hub.api import json_api, json_body, problem
from hub.errors import Invalid, NotFound
from releases import selectors
from releases.api_v0 import receive
from releases.models import Release, ReleaseFile
from releases.services import releases as release_services
from repos import selectors as repo_selectors
from repos.models import Repository

# What a repository made through the SDK starts with (the SDK sends only a name and a
# description); its owner changes them on the site.
DEFAULT_TASK = "other"
DEFAULT_LICENSE = "MIT"
SIGNED_OUT = (
    "Send a personal access token of the hub (made on /accounts/tokens/) as the bearer token: "
    "Authorization: Bearer <token>."
)


def sdk_api(*methods: str):
    """A token-only JSON view: 401 without a token (sessions are not taken here, which is why
    CSRF does not apply), 405 for other methods, and `hub.errors` as problems by
    `hub.api.json_api`, whose `detail` the SDK shows."""

    def decorate(view):
        mapped = json_api(signed_out=SIGNED_OUT)(view)

        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> JsonResponse:
            if getattr(request, "auth_token", None) is None:
                return problem(401, SIGNED_OUT, headers={"WWW-Authenticate": 'Bearer realm="hub"'})
            if request.method not in methods:
                allowed = ", ".join(methods)
                return problem(405, f"Use {allowed}.", headers={"Allow": allowed})
            return mapped(request, *args, **kwargs)

        return wrapper

    return decorate


def _text(body: dict, key: str) -> str:
    value = body.get(key) or ""
    if not isinstance(value, str):
        raise Invalid(f"“{key}” must be a string.")
    return value


def _model(request: HttpRequest, name: str, *, write: bool) -> Repository:
    """The token user's repository `name`: NotFound for anything else."""
    get = (
        repo_selectors.repository_get_manageable
        if write
        else repo_selectors.repository_get_readable
    )
    return get(user=request.user, owner=request.user.username, name=name)


def _release(repo: Repository, version: str) -> Release:
    parsed = selectors.version_of(version)
    if parsed is None:
        raise NotFound(f"No version “{version}”: versions look like 1.01.")
    return selectors.release_get(repository=repo, version=parsed)


def version_string(release: Release) -> str:
    return release.version.removeprefix("v")


def file_out(request: HttpRequest, rf: ReleaseFile) -> dict:
    release = rf.release
    download = release.repository.url("resolve", version=release.version, path=rf.path)
    return {
        "name": rf.path,
        "path": rf.path,
        "size": rf.blob.size,
        "ipfsCid": rf.blob.blob_id,
        "sha256": rf.blob.sha256,
        "createdAt": rf.created_at.isoformat(),
        "downloadUrl": request.build_absolute_uri(download),
    }


@sdk_api("POST")
def model_create(request: HttpRequest) -> JsonResponse:
    """A repository of the token's user, with v1.00 (which the SDK's next call claims)."""
    body = json_body(request, expect=dict, hint="Send a name and a description.")
    repo = release_services.repository_create(
        owner=request.user,
        name=_text(body, "name"),
        description=_text(body, "description"),
        task=repo_selectors.task_by_slug(DEFAULT_TASK),
        license=repo_selectors.license_by_id(DEFAULT_LICENSE),
    )
    return JsonResponse(
        {
            "name": repo.name,
            "owner": request.user.username,
            "description": repo.description,
            "task": DEFAULT_TASK,
            "license": DEFAULT_LICENSE,
            "url": request.build_absolute_uri(repo.get_absolute_url()),
        },
        status=201,
    )


@sdk_api("POST")
def version_create(request: HttpRequest, name: str) -> JsonResponse:
    """The next version, minor or major; an untouched repository's first call gets 1.00."""
    repo = _model(request, name, write=True)
    body = json_body(request, expect=dict, hint="Send notes and is_major.")
    is_major = body.get("is_major", False)
    if not isinstance(is_major, bool):
        raise Invalid("“is_major” must be true or false.")
    release = release_services.release_create(
        repository=repo,
        bump="major" if is_major else "minor",
        notes=_text(body, "notes"),
        user=request.user,
        reuse_empty_first=True,
    )
    return JsonResponse(
        {
            "versionString": version_string(release),
            "notes": release.notes,
            "url": request.build_absolute_uri(release.get_absolute_url()),
        },
        status=201,
    )


@sdk_api("GET", "POST")
def version_files(request: HttpRequest, name: str, version: str) -> JsonResponse:
    """GET: the version's files. POST: one file, multipart field `file`, streamed in."""
    repo = _model(request, name, write=request.method == "POST")
    release = _release(repo, version)
    if request.method == "GET":
        listed = selectors.release_files(release=release)
        return JsonResponse([file_out(request, rf) for rf in listed], safe=False)
    rf = receive.file_receive(request=request, release=release, user=request.user)
    rf.release = release
    return JsonResponse(file_out(request, rf), status=201)
