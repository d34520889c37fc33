"""Many nodes, one hub: two web servers and two workers started with `scripts/serve`, each with
a data folder of its own, on one PostgreSQL, one Redis and one S3 (moto). Nothing a request or
a task needs may live on one node only: a file whose chunks alternate between the two web
servers, a direct upload to S3 by the CLI, a test inference and the downloads all come out
the same whichever node is asked."""

import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from accounts.tokens import token_create
from hub import demo_models
from hub.blobid import BlobIdHasher
from inference.models import InferenceJob, Status
from releases.models import Blob, ReleaseFile, Upload
from tests import s3
from tests.conftest import ROOT, free_port
from tests.factories import PASSWORD, RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
BUCKET = "hub-many-nodes"
MIB = 1024 * 1024
HUB = Path(sys.executable).parent / "hub"


def other_redis_db(url: str) -> str:
    """The suite's Redis server, another database: the nodes' broker and cache, so that the
    suite's own worker (local storage) never takes their tasks (8 away from the suite's, where
    no neighbouring run's suite is either)."""
    base, _, db = url.rpartition("/")
    return f"{base}/{(int(db or 0) + 8) % 16}"


@pytest.fixture(scope="module")
def s3_endpoint():
    with s3.moto_server(BUCKET) as endpoint:
        yield endpoint


@pytest.fixture
def cluster(worker_env, s3_endpoint, tmp_path):
    """Two web nodes and two worker nodes; yields the web nodes' addresses and the S3
    endpoint."""
    env = {k: v for k, v in worker_env.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        SECRET_KEY="many-nodes-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        HTTPS_ONLY="false",
        DEBUG="false",
        REDIS_URL=other_redis_db(worker_env["REDIS_URL"]),
        STORAGE_BACKEND="s3",
        S3_BUCKET=BUCKET,
        S3_ENDPOINT_URL=s3_endpoint,
        S3_REGION=s3.REGION,
        S3_ACCESS_KEY_ID="test",
        S3_SECRET_ACCESS_KEY="test",
        HUB_UPLOAD_CHUNK_SIZE=str(5 * MIB),  # S3's smallest part
        STATIC_ROOT=str(tmp_path / "static"),
        WEB_CONCURRENCY="1",
        WORKER_CONCURRENCY="1",
        LOG_LEVEL="WARNING",
        EMAIL_HOST="smtp.example.com",  # sends nothing here; scripts/serve asks for one
        DEFAULT_FROM_EMAIL="hub@example.com",
    )
    env.pop("MEDIA_ROOT", None)
    log = open(tmp_path / "nodes.log", "w+")  # noqa: SIM115
    release = subprocess.run(
        ["bash", "scripts/serve", "release"], cwd=ROOT, env={**env, "DATA_DIR": str(tmp_path)},
        stdout=log, stderr=subprocess.STDOUT, timeout=300, check=False,
    )  # fmt: skip
    assert release.returncode == 0, (tmp_path / "nodes.log").read_text()
    nodes, procs = [], []
    for name in ("a", "b"):
        port = free_port()
        node = {**env, "DATA_DIR": str(tmp_path / f"node-{name}"), "PORT": str(port)}
        for role in ("web", "worker"):
            procs.append(subprocess.Popen(
                ["bash", "scripts/serve", role], cwd=ROOT, env=node, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            ))  # fmt: skip
        nodes.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 90
        for base in nodes:
            while not _answers(f"{base}/healthz"):
                assert time.monotonic() < deadline, (tmp_path / "nodes.log").read_text()
                assert all(p.poll() is None for p in procs), (tmp_path / "nodes.log").read_text()
                time.sleep(0.3)
        yield SimpleNamespace(nodes=nodes, s3=s3.client(s3_endpoint))
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        print((tmp_path / "nodes.log").read_text()[-3000:])


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _wait(condition, what: str, seconds: float = 90):
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what}: not within {seconds:.0f} s"
        time.sleep(0.3)
    return found


def _blob_id(data: bytes) -> str:
    hasher = BlobIdHasher()
    hasher.update(data)
    return hasher.blob_id()


def test_two_web_nodes_and_two_workers_serve_one_hub(cluster, seeded, tmp_path):
    node_a, node_b = cluster.nodes
    alice = UserFactory(username="alice")
    _token, raw = token_create(user=alice, name="ci", scope="write")
    RepositoryFactory(owner=alice, name="cluster")
    auth = {"Authorization": f"Bearer {raw}"}
    nodes = [httpx.Client(base_url=base, headers=auth, timeout=60) for base in cluster.nodes]
    api = "/api/v1/repos/alice/cluster/releases/v1.00"

    # Chunks through the hub, alternating between the nodes: each lands in S3, not on a disk.
    data = random.Random(1).randbytes(13 * MIB)  # chunks of 5, 5 and 3 MiB
    body = {"path": "weights.bin", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    state = nodes[0].post(f"{api}/uploads", json=body).json()
    assert state["direct"] is False
    for index in range(state["chunk_count"]):
        piece = data[index * 5 * MIB : (index + 1) * 5 * MIB]
        sent = nodes[index % 2].put(f"{state['url']}/chunks/{index}", content=piece)
        assert sent.status_code == 200, sent.text
    _wait(lambda: nodes[1].get(state["url"]).json()["status"] == "done", "chunked upload")

    # A direct upload by the CLI (parts straight to S3), its state asked of the other node.
    model = demo_models.risk_score()
    (tmp_path / "risk.onnx").write_bytes(model)
    big = random.Random(2).randbytes(11 * MIB)
    (tmp_path / "big.bin").write_bytes(big)
    cli_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HUB_")},
        "HUB_URL": node_b, "HUB_TOKEN": raw, "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }  # fmt: skip
    done = subprocess.run(
        [str(HUB), "upload", "alice/cluster", tmp_path / "big.bin", tmp_path / "risk.onnx"],
        env=cli_env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    direct = Upload.objects.get(path="big.bin")
    assert direct.multipart_id and direct.status == "done"
    assert not cluster.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads")

    files = {rf.path: rf.blob for rf in ReleaseFile.objects.select_related("blob")}
    assert files["weights.bin"].sha256 == body["sha256"]
    assert files["weights.bin"].blob_id == _blob_id(data)
    assert files["big.bin"].blob_id == _blob_id(big)
    for blob in Blob.objects.all():  # every byte in the bucket, none on a node's disk
        stored = cluster.s3.head_object(Bucket=BUCKET, Key=blob.storage_key)
        assert stored["ContentLength"] == blob.size
    on_disks = [p for node in ("node-a", "node-b") for p in (tmp_path / node).rglob("*.bin")]
    assert not on_disks

    # Downloads from either node: a presigned S3 address with the same bytes.
    for client in nodes:
        moved = client.get("/alice/cluster/resolve/v1.00/big.bin")
        assert moved.status_code == 302
        assert httpx.get(moved.headers["location"], timeout=60).content == big

    # A test inference asked on node A, run by whichever worker takes it, on the chain.
    onnx = ReleaseFile.objects.get(path="risk.onnx")
    _wait(lambda: Blob.objects.get(pk=onnx.blob_id).onnx_status == "valid", "signature read")
    staff = UserFactory(username="op", is_staff=True, is_superuser=True)
    hasher = PBKDF2PasswordHasher()  # the nodes' own (the suite hashes with MD5 for speed)
    staff.password = hasher.encode(PASSWORD, hasher.salt())
    staff.save(update_fields=["password"])
    browser = httpx.Client(base_url=node_a, timeout=60, follow_redirects=False)
    login = browser.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)[1]
    signed_in = browser.post(
        "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": staff.username, "password": PASSWORD},
        headers={"Referer": f"{node_a}/accounts/login/"},
    )
    assert signed_in.status_code == 302, signed_in.text
    run_page = browser.get(f"/inference/files/{onnx.pk}/run/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', run_page.text)[1]
    queued = browser.post(
        f"/inference/files/{onnx.pk}/run/",
        data={"csrfmiddlewaretoken": token, "input_0": "[[0.1, 0.2, 0.3, 0.4]]", "mode": "TEE"},
        headers={"Referer": f"{node_a}/inference/files/{onnx.pk}/run/"},
    )
    assert queued.status_code == 302, queued.text
    job = _wait(
        lambda: InferenceJob.objects.filter(status__in=[Status.CONFIRMED, Status.FAILED]).first(),
        "test inference",
        120,
    )
    assert job.status == Status.CONFIRMED, job.error
    assert job.tx_hash and job.model_id == onnx.blob.blob_id
    page_b = httpx.Client(base_url=node_b, cookies=browser.cookies, timeout=60)
    assert job.tx_hash in page_b.get(job.get_absolute_url()).text  # the session, on node B
