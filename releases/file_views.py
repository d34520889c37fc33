"""Views of release files: the upload API (JSON), file pages, downloads, deletion."""

import functools
import json
import logging
import re
import shlex
import unicodedata

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.files.storage import default_storage
from django.db.models import F
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from hub import storage
from inference import selectors as inference_selectors
from releases import selectors, uploads
from releases.models import ReleaseFile, Upload
from repos import selectors as repo_selectors
from repos.models import Repository
from repos.selectors import RepositoryMoved
from repos.views import follows_renames

log = logging.getLogger(__name__)
RANGE_RE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")
# Served as plain bytes whatever their name: a browser must never run a hub file as a page.
ACTIVE_TYPES = {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml",
                "application/xml", "text/javascript", "application/javascript"}  # fmt: skip


def _json_body(request: HttpRequest) -> dict | list:
    try:
        return json.loads(request.body or b"null")
    except RequestDataTooBig:
        raise uploads.UploadRefused(
            "The request is too large: send fewer files at once.", 413
        ) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise uploads.UploadRefused("The request body is not valid JSON.") from None


def _refused(exc: uploads.UploadRefused) -> JsonResponse:
    body = {"error": exc.message}
    for key, value in exc.extra.items():
        body[key] = _upload_json(value) if isinstance(value, Upload) else value
    return JsonResponse(body, status=exc.status)


def _upload_json(upload: Upload) -> dict:
    return {
        "id": str(upload.id),
        "path": upload.path,
        "size": upload.size,
        "chunk_size": upload.chunk_size,
        "chunk_count": upload.chunk_count,
        "chunks_received": upload.chunks_received,
        "status": upload.status,
        "error": upload.error,
        "url": reverse("upload_detail", kwargs={"upload_id": upload.id}),
    }


def api_view(view):
    """JSON answers for the upload API: 401 when signed out, 404/403 as JSON, never HTML."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> JsonResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"error": "Sign in to upload files."}, status=401)
        try:
            return view(request, *args, **kwargs)
        except uploads.UploadRefused as exc:
            return _refused(exc)
        except (Http404, RepositoryMoved):
            return JsonResponse({"error": "No such repository or release."}, status=404)
        except PermissionDenied:
            return JsonResponse({"error": "Only the owner can add files."}, status=403)
        except OSError as exc:
            # Storage full or unavailable: the transaction rolled back, nothing was counted.
            log.error("storage error path=%s error=%s", request.path, exc)
            return JsonResponse(
                {"error": "The file storage is unavailable or full; nothing was saved. "
                          "Try again later: the upload resumes where it stopped."},
                status=503,
            )  # fmt: skip

    return wrapper


def _owned_release(request: HttpRequest, owner: str, name: str, version):
    repo = repo_selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    return selectors.release_get(repository=repo, version=version)


@require_POST
@api_view
def files_plan(request: HttpRequest, owner: str, name: str, version) -> JsonResponse:
    release = _owned_release(request, owner, name, version)
    body = _json_body(request)
    files = body.get("files") if isinstance(body, dict) else None
    plan = uploads.files_plan(release=release, user=request.user, files=files)
    return JsonResponse({"files": [p.as_dict() for p in plan]})


@require_POST
@api_view
def files_link(request: HttpRequest, owner: str, name: str, version) -> JsonResponse:
    release = _owned_release(request, owner, name, version)
    body = _json_body(request)
    if not isinstance(body, dict):
        raise uploads.UploadRefused("Send path and sha256.")
    rf = uploads.file_link(
        release=release, user=request.user, path=body.get("path"), sha256=body.get("sha256")
    )
    return JsonResponse({"path": rf.path, "status": "linked"}, status=201)


@require_POST
@api_view
def upload_start(request: HttpRequest, owner: str, name: str, version) -> JsonResponse:
    release = _owned_release(request, owner, name, version)
    body = _json_body(request)
    if not isinstance(body, dict):
        raise uploads.UploadRefused("Send path, size and sha256.")
    upload = uploads.upload_start(
        release=release,
        user=request.user,
        path=body.get("path"),
        size=body.get("size"),
        sha256=body.get("sha256"),
    )
    return JsonResponse(_upload_json(upload), status=201)


@require_http_methods(["GET", "DELETE"])
@api_view
def upload_detail(request: HttpRequest, upload_id) -> JsonResponse:
    if request.method == "DELETE":
        uploads.upload_cancel(upload_id=upload_id, user=request.user)
    upload = Upload.objects.filter(id=upload_id, user=request.user).first()
    if upload is None:
        return JsonResponse({"error": "No such upload."}, status=404)
    return JsonResponse(_upload_json(upload))


@require_http_methods(["PUT"])
@api_view
def upload_chunk(request: HttpRequest, upload_id, index: int) -> JsonResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    upload = uploads.upload_put_chunk(
        upload_id=upload_id, user=request.user, index=index, stream=request, length=length
    )
    return JsonResponse(_upload_json(upload))


def _readable_file(request: HttpRequest, owner: str, name: str, version, path: str):
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    release = selectors.release_get(repository=repo, version=version)
    path = unicodedata.normalize("NFC", path)  # stored paths are NFC; URLs may be NFD
    rf = release.files.select_related("blob").filter(path=path).first()
    if rf is None:
        raise Http404("No such file in this release.")
    rf.release = release
    return repo, release, rf


@follows_renames
def file_detail(request: HttpRequest, owner: str, name: str, version, path: str) -> HttpResponse:
    repo, release, rf = _readable_file(request, owner, name, version, path)
    return render(
        request,
        "releases/file_detail.html",
        {
            "repo": repo,
            "release": release,
            "file": rf,
            "is_owner": request.user.pk == repo.owner_id,
            "shell_name": shlex.quote(rf.name),  # safe to paste into a shell as shown
            "inference": inference_selectors.file_panel(user=request.user, rf=rf),
        },
    )


@login_required
@follows_renames
def file_delete(request: HttpRequest, owner: str, name: str, version, path: str) -> HttpResponse:
    release = _owned_release(request, owner, name, version)
    rf = release.files.select_related("blob").filter(path=path).first()
    if rf is None:
        raise Http404("No such file in this release.")
    if request.method == "POST":
        uploads.release_file_delete(release_file=rf)
        messages.success(request, f"Deleted {rf.path} from {release.version}.")
        return redirect(release)
    return render(
        request,
        "releases/file_delete.html",
        {"repo": release.repository, "release": release, "file": rf},
    )


@login_required
@require_POST
@follows_renames
def release_copy(request: HttpRequest, owner: str, name: str, version) -> HttpResponse:
    release = _owned_release(request, owner, name, version)
    source = selectors.release_previous(release=release)
    if source is None:
        messages.error(request, "There is no earlier release to copy files from.")
        return redirect(release)
    try:
        count = uploads.release_copy_files(release=release, source=source, user=request.user)
    except uploads.UploadRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Copied {count} file{'s' * (count != 1)} from {source.version}.")
    return redirect(release)


def _serve_blob(request: HttpRequest, rf: ReleaseFile, repo: Repository) -> HttpResponse:
    blob = rf.blob
    if blob.is_blocked:
        return HttpResponse(
            "The moderators removed this content from the hub as unsafe.\n",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    store = default_storage
    etag = f'"{blob.blob_id}"'
    if _etag_matches(request.headers.get("If-None-Match", ""), etag):
        return HttpResponse(status=304, headers={"ETag": etag})
    if "Range" not in request.headers or request.headers["Range"].startswith("bytes=0-"):
        # A download counts once, not once for every range a download manager asks for.
        Repository.objects.filter(pk=repo.pk).update(downloads=F("downloads") + 1)
    if storage.local_path(store, blob.storage_key) is None:  # e.g. S3: a presigned redirect
        url = store.url(blob.storage_key, parameters={
            "ResponseContentDisposition": content_disposition_header(True, rf.name)
        })  # fmt: skip
        return HttpResponseRedirect(url)
    start, length, status = 0, blob.size, 200
    header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    match = RANGE_RE.match(header.strip()) if header else None
    if match and blob.size and if_range in (None, etag):
        # A Range that is malformed, multi-part or for another version (If-Range) gets the
        # whole file, as HTTP says.
        parsed = _parse_range(match, blob.size)
        if parsed is None:
            return HttpResponse(status=416, headers={"Content-Range": f"bytes */{blob.size}"})
        start, length, status = parsed[0], parsed[1], 206
    if status == 200 and request.method != "HEAD":
        response = FileResponse(
            store.open(blob.storage_key, "rb"), as_attachment=True, filename=rf.name
        )
    else:
        body = (
            []
            if request.method == "HEAD"
            else storage.iter_range(store, blob.storage_key, start, length)
        )
        response = StreamingHttpResponse(body, status=status)
        response["Content-Disposition"] = content_disposition_header(True, rf.name)
    response["Content-Type"] = _content_type(rf.name)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["X-Blob-Id"] = blob.blob_id
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{start + length - 1}/{blob.size}"
    return response


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    return etag in (tag.strip().removeprefix("W/") for tag in header.split(","))


def _parse_range(match: re.Match, size: int) -> tuple[int, int] | None:
    if match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        length = min(int(last), size)
        return (size - length, length) if length else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end - start + 1


def _content_type(filename: str) -> str:
    import mimetypes

    guessed = mimetypes.guess_type(filename)[0]
    if filename.lower().endswith(".onnx") or not guessed or guessed in ACTIVE_TYPES:
        return "application/octet-stream"
    return guessed


@follows_renames
def resolve(request: HttpRequest, owner: str, name: str, version, path: str) -> HttpResponse:
    repo, _release, rf = _readable_file(request, owner, name, version, path)
    return _serve_blob(request, rf, repo)


def blob_download(request: HttpRequest, blob_id: str) -> HttpResponse:
    rf = selectors.release_file_readable_by_blob_id(user=request.user, blob_id=blob_id)
    return _serve_blob(request, rf, rf.release.repository)
