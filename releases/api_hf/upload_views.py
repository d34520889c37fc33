"""The endpoints `huggingface_hub` calls to upload: preupload, the LFS batch, the upload URL
and its verification, the commit; and the answers that keep the client on that path (Xet
tokens, README metadata). Errors go through the door's one mapping (`views._mapped`).

A `revision` is a release (`main`, `v1.01`, `1.01` or a commit id); the client cannot make
one (`create_branch` is not needed: a new version is created on the site, the CLI or the API).
"""

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt

from hub.api import json_body
from hub.errors import Invalid, NotFound, TooLarge
from releases.api_hf import commits, lfs
from releases.api_hf.views import HfNotFound, hf_write, release_of, repository_of
from releases.models import Release
from repos import selectors as repo_selectors

LFS_JSON = "application/vnd.git-lfs+json"
NO_XET = (
    "This hub does not use Xet storage: set HF_HUB_DISABLE_XET=1 to upload with "
    "huggingface_hub (files then go as plain LFS transfers). Downloads need no setting."
)
NO_PULL_REQUESTS = "The hub has no pull requests: commit to a release you manage."


def _release_to_change(request: HttpRequest, owner: str, name: str, revision: str) -> Release:
    """The release `revision` names in a repository the token's user manages: RepoNotFound
    when they cannot see it, Refused (403) when they only can."""
    try:
        repo = repo_selectors.repository_get_manageable(user=request.user, owner=owner, name=name)
    except NotFound:
        raise HfNotFound("RepoNotFound", "Repository not found.") from None
    if request.GET.get("create_pr") in ("1", "true", "True"):
        raise Invalid(NO_PULL_REQUESTS)
    return release_of(repo, revision)


@hf_write()
def preupload(request: HttpRequest, owner: str, name: str, revision: str) -> JsonResponse:
    release = _release_to_change(request, owner, name, revision)
    body = json_body(request, expect=dict, hint='Send {"files": [{"path": …, "size": …}]}.')
    return JsonResponse(commits.preupload_answer(release=release, body=body))


@hf_write()
def lfs_batch(request: HttpRequest, owner: str, name: str) -> JsonResponse:
    body = json_body(request, expect=dict, hint=lfs.BATCH_SHAPE)
    ref = body.get("ref") if isinstance(body.get("ref"), dict) else {}
    _release_to_change(request, owner, name, str(ref.get("name") or "main"))
    answer = lfs.batch_answer(user=request.user, body=body, absolute=request.build_absolute_uri)
    return JsonResponse(answer, content_type=LFS_JSON)


@csrf_exempt
def lfs_object(request: HttpRequest, ticket: str) -> HttpResponse:
    """The upload URL: a PUT of the bytes, or the POST that completes a direct upload's parts.
    Its ticket is the credential (the client sends no token here)."""
    if request.method == "POST":
        return _lfs_complete(request, ticket)
    return _lfs_put(request, ticket)


@hf_write(token=False)
def _lfs_complete(request: HttpRequest, ticket: str) -> JsonResponse:
    body = json_body(request, expect=dict, hint="Send the oid and the parts.")
    lfs.object_complete(ticket=ticket, body=body)
    return JsonResponse({"oid": body["oid"]})


@hf_write(method="PUT", token=False)
def _lfs_put(request: HttpRequest, ticket: str) -> JsonResponse:
    try:
        length = int(request.META["CONTENT_LENGTH"])
    except (KeyError, ValueError):
        length = None
    blob = lfs.object_receive(ticket=ticket, stream=request, length=length)
    return JsonResponse({"oid": blob.sha256, "size": blob.size})


@hf_write(token=False)
def lfs_verify(request: HttpRequest, ticket: str) -> JsonResponse:
    body = json_body(request, expect=dict, hint="Send the oid and size.")
    lfs.object_verify(ticket=ticket, body=body)
    return JsonResponse({"oid": body["oid"], "size": body.get("size")})


@hf_write()
def commit(request: HttpRequest, owner: str, name: str, revision: str) -> JsonResponse:
    release = _release_to_change(request, owner, name, revision)
    try:
        data = request.body
    except RequestDataTooBig:
        raise TooLarge("The commit is too large: send fewer or smaller inline files.") from None
    try:
        oid = commits.commit_apply(release=release, user=request.user, data=data)
    except NotFound as exc:  # a path the commit deletes
        raise HfNotFound("EntryNotFound", exc.message) from None
    url = request.build_absolute_uri(f"/{release.repository.full_name}/commit/{oid}")
    return JsonResponse(
        {"success": True, "commitOid": oid, "commitUrl": url, "pullRequestUrl": None}
    )


@csrf_exempt
def xet_token(request: HttpRequest, owner: str, name: str, **_ignored) -> HttpResponse:
    """The client asks for a Xet token before any upload when `hf_xet` is installed, and has
    no way back to LFS once it does. Its Xet library shows only the status line of a refusal,
    so the words go in the reason phrase too. Nothing is looked up: the answer is the same
    for every repository."""
    response = JsonResponse({"error": NO_XET}, status=400)
    response.reason_phrase = NO_XET
    response["X-Error-Message"] = NO_XET
    return response


@csrf_exempt
def validate_yaml(request: HttpRequest) -> JsonResponse:
    """The client checks a README.md's metadata here before committing it; the hub keeps a
    model card as it is, so there is nothing to object to."""
    return JsonResponse({"errors": [], "warnings": []})


def commit_page(request: HttpRequest, owner: str, name: str, revision: str) -> HttpResponse:
    """`commitUrl` in a browser: the release's page."""
    try:
        release = release_of(repository_of(request, owner, name), revision)
    except HfNotFound as exc:
        raise Http404(exc.message) from None
    return redirect(release)
