"""The uploader's JSON endpoints: plan, link, start an upload, its state and its chunks.

Session authentication with CSRF today; every view takes the user from the request, so token
authentication can be added without changing them. Errors are mapped by `hub.api.json_api`.
"""

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_http_methods, require_POST

from hub.api import json_api, json_body
from releases import selectors
from releases.services import direct, files, uploads
from repos import selectors as repo_selectors

upload_api = json_api(signed_out="Sign in to upload files.")
QUEUE_DOWN = (
    "Every byte arrived. The check of the file will start as soon as the hub's workers are "
    "reachable; the file appears in the release then."
)


def _owned_release(request: HttpRequest, owner: str, name: str, version):
    repo = repo_selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    return selectors.release_get(repository=repo, version=version)


@require_POST
@upload_api
def files_plan(request: HttpRequest, owner: str, name: str, version) -> JsonResponse:
    release = _owned_release(request, owner, name, version)
    body = json_body(request)
    files_wanted = body.get("files") if isinstance(body, dict) else None
    plan = selectors.files_plan(release=release, user=request.user, files=files_wanted)
    # Files up to a chunk may also be sent whole in one request (PUT …/files/<path>).
    return JsonResponse(
        {"files": [p.as_dict() for p in plan], "chunk_size": settings.HUB_UPLOAD_CHUNK_SIZE}
    )


@require_POST
@upload_api
def files_link(request: HttpRequest, owner: str, name: str, version) -> JsonResponse:
    release = _owned_release(request, owner, name, version)
    body = json_body(request, expect=dict, hint="Send path and sha256 (or blob_id).")
    rf = files.file_link(
        release=release,
        user=request.user,
        path=body.get("path"),
        sha256=body.get("sha256"),
        blob_id=body.get("blob_id"),
    )
    return JsonResponse({"path": rf.path, "status": "linked"}, status=201)


@require_POST
@upload_api
def upload_start(request: HttpRequest, owner: str, name: str, version) -> JsonResponse:
    release = _owned_release(request, owner, name, version)
    body = json_body(request, expect=dict, hint="Send path, size and sha256.")
    upload = uploads.upload_start(
        release=release,
        user=request.user,
        path=body.get("path"),
        size=body.get("size"),
        sha256=body.get("sha256"),
        blob_id=body.get("blob_id"),
        direct=body.get("direct") is True,
    )
    return _upload_answer(upload, status=201)


@require_http_methods(["GET", "PATCH", "DELETE"])
@upload_api
def upload_detail(request: HttpRequest, upload_id) -> JsonResponse:
    if request.method == "PATCH":  # the sha256 of an upload sent while it was hashed
        body = json_body(request, expect=dict, hint="Send sha256.")
        upload = uploads.upload_declare(
            upload_id=upload_id, user=request.user, sha256=body.get("sha256")
        )
        return _upload_answer(upload)
    if request.method == "DELETE":
        uploads.upload_cancel(upload_id=upload_id, user=request.user)
    return _upload_answer(uploads.upload_get(upload_id=upload_id, user=request.user))


@require_POST
@upload_api
def upload_parts(request: HttpRequest, upload_id) -> JsonResponse:
    """A direct upload's chunks sent to their part URLs: {"through": index after the last}."""
    body = json_body(request, expect=dict, hint="Send through: the index after the last chunk.")
    upload = direct.upload_parts_received(
        upload_id=upload_id, user=request.user, through=body.get("through")
    )
    return _upload_answer(upload)


@require_http_methods(["PUT"])
@upload_api
def upload_chunk(request: HttpRequest, upload_id, index: int) -> JsonResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    upload = uploads.upload_put_chunk(
        upload_id=upload_id, user=request.user, index=index, stream=request, length=length
    )
    return _upload_answer(upload)


def _upload_answer(upload, status: int = 200) -> JsonResponse:
    answer = direct.upload_state(upload)
    if getattr(upload, "queued", True) is False:
        answer["note"] = QUEUE_DOWN
    return JsonResponse(answer, status=status)
