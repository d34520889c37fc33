"""The real, unmodified OpenGradient SDK (opengradient==1.1.4, its `ModelHub`) against the
hub's live server, from its own virtual environment (.venv-og, made by scripts/test): its
requests to api.opengradient.ai go to the hub, with a hub token as its bearer token
(tests/opengradient/drive.py)."""

import hashlib
import os
import random
from pathlib import Path

import pytest
from django.test import Client

from accounts import tokens
from hub.blobid import blob_id_of_file
from releases.models import Blob, ReleaseFile
from repos.models import Repository
from tests.clients import run_driver
from tests.factories import RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
OG_PYTHON = ROOT / ".venv-og" / "bin" / "python"
DRIVER = ROOT / "tests" / "opengradient" / "drive.py"


def drive(base: str, token: str, *steps: dict) -> list[dict]:
    """Run `steps` through the SDK in one process; each answers {"result"} or {"error"}."""
    payload = {"token": token, "steps": list(steps)}
    return run_driver(OG_PYTHON, DRIVER, payload, base, env=dict(os.environ))


def call(name: str, *args, token: str | None = None) -> dict:
    step = {"call": name, "args": list(args)}
    if token is not None:
        step["token"] = token
    return step


def test_the_sdk_publishes_a_model_that_appears_on_the_site(
    hub_server, seeded, shared_storage, tmp_path
):
    owner = UserFactory(username="olga")
    _token, raw = tokens.token_create(user=owner, name="sdk", scope="write")
    model = tmp_path / "model.bin"
    model.write_bytes(random.Random(1).randbytes(700_000))  # three Blob ID chunks
    other = tmp_path / "elsewhere" / "model.bin"
    other.parent.mkdir()
    other.write_bytes(b"other weights")

    created, minor, major, sent, again, conflict, listed, empty = drive(
        hub_server,
        raw,
        call("create_model", "eth-vol", "ETH volatility, hourly"),
        call("create_version", "eth-vol", "Retrained on Q4 data", False),
        call("create_version", "eth-vol", "New architecture", True),
        call("upload", str(model), "eth-vol", "1.01"),
        call("upload", str(model), "eth-vol", "1.01"),
        call("upload", str(other), "eth-vol", "1.01"),
        call("list_files", "eth-vol", "1.01"),
        call("list_files", "eth-vol", "2.00"),
    )

    assert created == {"result": {"name": "eth-vol", "initialVersion": "1.00"}}
    assert minor == {"result": {"versionString": "1.01"}}
    assert major == {"result": {"versionString": "2.00"}}
    blob = Blob.objects.get(sha256=hashlib.sha256(model.read_bytes()).hexdigest())
    assert blob.blob_id == blob_id_of_file(model) and blob.blob_id.startswith("bafybei")
    assert sent == {"result": {"modelCid": blob.blob_id, "size": 700_000}}
    assert again == sent  # the same content at the same path: done already
    assert "already has “model.bin” with other content" in conflict["error"]
    assert "status_code=409" in conflict["error"]
    assert listed["result"] == [{
        "name": "model.bin", "path": "model.bin", "size": 700_000, "ipfsCid": blob.blob_id,
        "sha256": blob.sha256, "createdAt": listed["result"][0]["createdAt"],
        "downloadUrl": f"{hub_server}/olga/eth-vol/resolve/v1.01/model.bin",
    }]  # fmt: skip
    assert empty == {"result": []}

    repo = Repository.objects.get(owner=owner, name="eth-vol")
    assert [r.version for r in repo.releases.all()] == ["v2.00", "v1.01", "v1.00"]
    assert repo.releases.get(major=1, minor=0).notes == "Initial version 1.00"
    assert ReleaseFile.objects.get().release.version == "v1.01"
    page = Client().get("/olga/eth-vol/releases/v1.01/")
    assert page.status_code == 200
    assert "model.bin" in page.content.decode() and blob.blob_id in page.content.decode()
    download = Client().get("/olga/eth-vol/resolve/v1.01/model.bin")
    assert download["ETag"].strip('"') == blob.blob_id


def test_the_sdk_fails_cleanly_without_a_valid_token_or_the_model(hub_server, seeded):
    owner, stranger = UserFactory(username="olga"), UserFactory(username="sven")
    RepositoryFactory(owner=owner, name="eth-vol")
    _t, reader = tokens.token_create(user=owner, name="ci", scope="read")
    _t, theirs = tokens.token_create(user=stranger, name="sdk", scope="write")

    bad, read_only, readable, not_theirs = drive(
        hub_server,
        reader,
        call("create_model", "new-model", "", token="hub_not-a-real-token"),
        call("create_version", "eth-vol", "notes", False),
        call("list_files", "eth-vol", "1.00"),
        call("list_files", "eth-vol", "1.00", token=theirs),
    )

    assert bad["error"].startswith("RuntimeError: Model creation failed: HTTP 401")
    assert "403" in read_only["error"]
    assert readable == {"result": []}
    assert "404" in not_theirs["error"]
    assert not Repository.objects.filter(name="new-model").exists()
    assert Repository.objects.get(name="eth-vol").releases.count() == 1
