"""Every front door asks the one access policy: each persona × each kind of repository.

Personas: the owner, another user, an anonymous visitor, a moderator (the Moderators group)
and a superuser. Repositories: public, private, hidden by the moderators, and public with
content the moderators blocked. Front doors: the repository and file pages, the model's graph,
downloads by path and by Blob ID, the uploader's JSON API, the duplicate answer of the upload
plan, the test-inference panel and the inference service the worker's jobs come from; with
write tokens, a file sent whole in one request and huggingface_hub's preupload.
"""

import base64
import hashlib
import io
import json
import zipfile

import onnx
import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from accounts.tokens import token_create
from hub import demo_models
from hub.errors import Blocked, NotFound
from inference import services as inference_services
from inference.models import InferenceJob, Mode
from inference.tests.helpers import example_inputs, onnx_file
from releases.models import Blob
from tests.factories import RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "other", "anonymous", "moderator", "superuser"]
STATES = ["public", "private", "hidden", "blocked"]
READERS = {
    "public": {"owner", "other", "anonymous", "moderator", "superuser"},
    "private": {"owner", "superuser"},
    "hidden": {"owner", "moderator", "superuser"},
    "blocked": {"owner", "other", "anonymous", "moderator", "superuser"},
}


@pytest.fixture
def world(shared_storage):
    owner = UserFactory(username="alice")
    users = {
        "owner": owner,
        "other": UserFactory(username="bob"),
        "anonymous": None,
        "moderator": UserFactory(username="mod", is_staff=True),
        "superuser": UserFactory(username="root", is_staff=True, is_superuser=True),
    }
    users["moderator"].groups.add(Group.objects.get(name="Moderators"))
    files = {}
    for state in STATES:
        repo = RepositoryFactory(
            owner=owner,
            name=f"{state}-model",
            visibility="private" if state == "private" else "public",
        )
        # Content of its own in each repository, so no answer can come from another one.
        model = onnx.load_from_string(demo_models.risk_score())
        model.doc_string = f"the {state} copy"
        data = onnx_file(repo, "model.onnx", data=model.SerializeToString()).blob
        files[state] = repo.latest_release.files.get()
        if state == "hidden":
            repo.hidden_at, repo.hidden_reason = timezone.now(), "Spam."
            repo.save(update_fields=["hidden_at", "hidden_reason"])
        if state == "blocked":
            Blob.objects.filter(pk=data.pk).update(
                blocked_at=timezone.now(), blocked_reason="Malware."
            )
            files[state].blob.refresh_from_db()
    scratch = {
        who: RepositoryFactory(owner=user, name="scratch")
        for who, user in users.items()
        if user is not None and who != "owner"
    }
    scratch["owner"] = RepositoryFactory(owner=owner, name="scratch")
    clients = {}
    for who, user in users.items():
        clients[who] = Client()
        if user is not None:
            clients[who].force_login(user)
    return {"users": users, "files": files, "clients": clients, "scratch": scratch}


def _expect(readable: bool, yes: int) -> int:
    return yes if readable else 404


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("who", PERSONAS)
def test_every_front_door_gives_each_persona_the_same_answer(world, who, state):
    client = world["clients"][who]
    rf = world["files"][state]
    repo = rf.release.repository
    readable = who in READERS[state]
    blocked = state == "blocked"
    file_page = f"/{repo.full_name}/releases/v1.00/files/model.onnx"

    # Pages.
    assert client.get(repo.get_absolute_url()).status_code == _expect(readable, 200)
    page = client.get(file_page)
    assert page.status_code == _expect(readable, 200)
    tree_top = client.get(f"/{repo.full_name}/releases/v1.00/")  # the release's folder tree
    assert tree_top.status_code == _expect(readable, 200)

    # Downloads, by path and by Blob ID: blocked content is gone for everyone.
    served = 410 if blocked else 200
    resolve = client.get(f"/{repo.full_name}/resolve/v1.00/model.onnx")
    assert resolve.status_code == _expect(readable, served)
    by_id = client.get(f"/blobs/{rf.blob.blob_id}")
    assert by_id.status_code == _expect(readable, served)
    if readable and not blocked:
        assert hashlib.sha256(b"".join(resolve.streaming_content)).hexdigest() == rf.blob.sha256

    # The model's graph (its page and the viewer's frame): the file page's readers, and no
    # viewer for blocked content; the file page links it only where it opens.
    for door in ["graph", "graph-frame"]:
        graph = client.get(f"/{repo.full_name}/releases/v1.00/{door}/model.onnx")
        assert graph.status_code == _expect(readable, served), door
    assert ("Open the graph" in page.content.decode()) is (readable and not blocked)

    # The release as one zip: blocked content is left out of it (and named in its manifest).
    zipped = client.get(f"/{repo.full_name}/releases/v1.00/zip")
    assert zipped.status_code == _expect(readable, 200)
    if readable:
        members = zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content))).namelist()
        assert ("model.onnx" in members) is not blocked

    # Comparing releases: their files and signatures are the repository's to show.
    compared = client.get(f"/{repo.full_name}/compare/v1.00...v1.00")
    assert compared.status_code == _expect(readable, 200)
    assert client.get(f"/{repo.full_name}/compare/").status_code == _expect(readable, 200)

    # A star: whoever reads the repository may star it; others get its 404.
    starred = client.post(f"/{repo.full_name}/star", {"star": "1"})
    if who == "anonymous":
        assert starred.status_code == 302 and "/accounts/login/" in starred["Location"]
    else:
        assert starred.status_code == _expect(readable, 302)

    # The API with the persona's own read token: the same answers as its pages.
    user = world["users"][who]
    if user is not None:
        _token, raw = token_create(user=user, name="matrix", scope="read")
        api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        described = api.get(f"/api/v1/repos/{repo.full_name}/releases/v1.00/files")
        assert described.status_code == _expect(readable, 200)
        if readable:
            assert [f["blob_id"] for f in described.json()] == [rf.blob.blob_id]
        listed = {r["full_name"] for r in api.get("/api/v1/repos?per_page=100").json()["items"]}
        assert (repo.full_name in listed) is readable

    # The uploader's JSON API on this repository: only its owner may add.
    entry = {"path": "new.bin", "size": 3, "sha256": hashlib.sha256(b"new").hexdigest()}
    plan_url = f"/api/v1/repos/{repo.full_name}/releases/v1.00/plan"
    answer = client.post(plan_url, json.dumps({"files": [entry]}), content_type="application/json")
    if who == "anonymous":
        assert answer.status_code == 401
    elif not readable:
        assert answer.status_code == 404
        assert answer.json()["detail"] == "No such repository."
    else:
        assert answer.status_code == (200 if who == "owner" else 403)

    # The duplicate answer: planning the same bytes into one's own repository offers a link
    # only to a copy the persona may read, and never to blocked content.
    if who != "anonymous":
        scratch = world["scratch"][who]
        mine = {"path": "copy.onnx", "size": rf.blob.size, "sha256": rf.blob.sha256}
        planned = client.post(
            f"/api/v1/repos/{scratch.full_name}/releases/v1.00/plan",
            json.dumps({"files": [mine]}),
            content_type="application/json",
        ).json()["files"][0]
        if blocked:  # answered like new content: the plan never tells what the hub holds
            assert planned == mine | {"action": "upload"}
        elif readable:
            assert planned["action"] == "link"
            assert planned["source"]["repository"] == repo.full_name
        else:
            assert planned == mine | {"action": "upload"}

    # huggingface_hub's door: the model's info and its files by revision (session or token).
    info = client.get(f"/api/models/{repo.full_name}")
    assert info.status_code == _expect(readable, 200)
    if readable:
        assert [s["rfilename"] for s in info.json()["siblings"]] == ["model.onnx"]
    hf = client.get(f"/{repo.full_name}/resolve/main/model.onnx")
    assert hf.status_code == _expect(readable, served)

    # The IPFS gateway serves listed, usable content to everyone, and nothing else to anyone.
    car = client.get(f"/ipfs/{rf.blob.blob_id}?format=car")
    assert car.status_code == (200 if state == "public" else 404)

    # The test-inference panel and the service behind the worker's jobs.
    runs = who == "superuser" and readable
    html = page.content.decode() if readable else ""
    assert ("Run test inference" in html) is runs
    if runs and blocked:
        assert "removed this content from the hub as unsafe" in html
        assert 'action="/inference/files/' not in html
    run_url = f"/inference/files/{rf.pk}/run/"
    form = client.post(run_url, {"input_0": "[[1, 2, 3, 4]]", "mode": "VANILLA"})
    assert form.status_code == (400 if runs and blocked else 302 if runs else 404)
    user = world["users"][who]
    if user is not None:
        try:
            inference_services.job_create(
                file=rf, user=user, mode=Mode.VANILLA, inputs=example_inputs(rf), enqueue=False
            )
        except (NotFound, Blocked) as exc:
            assert not runs or blocked, exc
            assert isinstance(exc, Blocked if runs else NotFound)
        else:
            assert runs and not blocked
    assert InferenceJob.objects.filter(file=rf).count() == (1 if runs and not blocked else 0) * (
        2 if user is not None else 1
    )

    # A file sent whole in one request, and huggingface_hub's preupload, with the persona's
    # write token: only the owner may add, and only readers learn that the repository exists.
    if user is not None:
        _token, raw = token_create(user=user, name="matrix-write", scope="write")
        writer = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        digest = base64.b64encode(hashlib.sha256(b"new").digest()).decode()
        put = writer.put(
            f"/api/v1/repos/{repo.full_name}/releases/v1.00/files/new.bin",
            b"new",
            content_type="application/octet-stream",
            headers={"Content-Digest": f"sha-256=:{digest}:"},
        )
        assert put.status_code == (201 if who == "owner" else 403 if readable else 404)
        preupload = writer.post(
            f"/api/models/{repo.full_name}/preupload/main",
            json.dumps({"files": [{"path": "more.bin", "size": 3, "sample": ""}]}),
            content_type="application/json",
        )
        assert preupload.status_code == (200 if who == "owner" else 403 if readable else 404)
