"""The production mode: the probes a load balancer asks (/healthz, /readyz), the metrics
Prometheus scrapes (/metrics), and `scripts/serve`, which refuses to start without what
production needs and otherwise runs gunicorn, a Celery worker and beat against the real
services."""

import base64
import contextlib
import hashlib
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from django.test import Client

from accounts import tokens
from tests.conftest import free_port
from tests.factories import RepositoryFactory

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "hub-readyz"
# anvil's first development account: public knowledge, refused outside development.
ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def closed_port() -> int:
    """A local port nothing listens on."""
    return free_port()


# /healthz and /readyz


def test_healthz_answers_any_host_over_plain_http(settings, client):
    # As a load balancer asks: by address, over HTTP, under production's HTTPS settings.
    settings.ALLOWED_HOSTS = ["hub.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    answer = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert answer.status_code == 200 and answer.content == b"ok\n"
    assert "no-store" in answer["Cache-Control"]
    # Any other page still checks the host first.
    assert client.get("/models", HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_readyz_is_200_when_the_database_redis_storage_and_chain_answer(db, anvil, client):
    answer = client.get("/readyz", HTTP_HOST="10.0.0.7")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "ok", "storage": "ok", "chain": "ok"},
    }


def test_readyz_is_200_degraded_when_the_media_folder_is_nearly_full(
    db, anvil, settings, client, small_disk
):
    # A real file system of 384 KiB: far under the default room of 1 GiB.
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "degraded"
    assert body["checks"]["storage"].startswith("Warning: 0 MiB free, under the 1024 MiB")
    assert body["checks"]["database"] == body["checks"]["chain"] == "ok"
    settings.HUB_STORAGE_MIN_FREE_MB = 0  # the operator's choice: no room kept
    assert client.get("/readyz").json()["status"] == "ready"


def test_readyz_is_503_naming_the_broker_when_redis_is_away(db, anvil, settings, client):
    port = closed_port()
    settings.REDIS_URL = f"redis://:broker-password@127.0.0.1:{port}/0"
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"].startswith("Unavailable")
    assert body["checks"]["database"] == body["checks"]["chain"] == "ok"
    assert "broker-password" not in answer.content.decode()
    assert str(port) not in answer.content.decode()


def test_readyz_is_503_naming_the_chain_without_telling_its_url(db, anvil, settings, client):
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{closed_port()}/v2/provider-api-key"
    answer = client.get("/readyz")
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["chain"] == "Unavailable: the RPC node did not answer (ConnectionError)"
    assert checks["redis"] == checks["database"] == checks["storage"] == "ok"
    assert "provider-api-key" not in answer.content.decode()


def test_readyz_is_503_naming_the_database_when_it_is_away(db, anvil, settings, client):
    database = settings.DATABASES["default"]  # the dict every new connection is made from
    port, database["PORT"] = database["PORT"], closed_port()
    try:
        answer = client.get("/readyz")
    finally:
        database["PORT"] = port
    assert answer.status_code == 503
    assert answer.json()["checks"]["database"] == "Unavailable: connection failed"


def test_readyz_answers_in_time_when_the_database_never_answers(db, anvil, settings, client):
    # A host that takes the connection and then says nothing: the probe does not wait for it.
    silent = socket.create_server(("127.0.0.1", 0))
    database = settings.DATABASES["default"]
    port, database["PORT"] = database["PORT"], silent.getsockname()[1]
    try:
        started = time.monotonic()
        answer = client.get("/readyz")
        took = time.monotonic() - started
    finally:
        database["PORT"] = port
        silent.close()  # the check left behind now fails and ends
    assert answer.status_code == 503 and took < 10
    assert answer.json()["checks"]["database"] == "Unavailable: Timed out after 3 seconds"


@pytest.fixture(scope="module")
def s3_endpoint():
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)  # fmt: skip
    yield endpoint
    server.stop()


def s3_settings(endpoint: str, bucket: str) -> dict:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "access_key": "test",
            "secret_key": "s3-secret-key",
            "region_name": "us-east-1",
        },
    }


def test_readyz_asks_the_s3_bucket(db, anvil, settings, client, s3_endpoint):
    settings.STORAGES = {**settings.STORAGES, "default": s3_settings(s3_endpoint, BUCKET)}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["storage"] == "ok"

    settings.STORAGES = {**settings.STORAGES, "default": s3_settings(s3_endpoint, "no-bucket")}
    missing = client.get("/readyz")
    assert missing.status_code == 503
    assert missing.json()["checks"]["storage"] == "Unavailable: the bucket refused a HEAD (404)"
    assert "s3-secret-key" not in missing.content.decode()


# /metrics


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of Prometheus's text format (0 when absent)."""
    for line in text.splitlines():
        found = re.fullmatch(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)", line)
        if (
            found
            and found[1] == name
            and dict(re.findall(r'(\w+)="([^"]*)"', found[2] or "")) == labels
        ):
            return float(found[3])
    return 0.0


def test_metrics_answer_only_allowed_addresses_or_the_token(db, settings, client):
    settings.METRICS_TOKEN = "metrics-token-0123456789"
    settings.METRICS_ALLOWED_IPS = ["10.1.0.0/16"]
    assert client.get("/metrics").status_code == 403  # 127.0.0.1 is not in the list
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-0123456788")
    assert wrong.status_code == 403 and b"hub_" not in wrong.content
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    by_token = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-0123456789")
    assert by_token.status_code == 200
    assert by_token["Content-Type"].startswith("text/plain; version=")
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_the_metrics_allow_list_sees_the_client_behind_a_trusted_proxy(db, settings, client):
    settings.METRICS_ALLOWED_IPS = ["10.1.0.0/16"]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 200
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 403
    settings.TRUSTED_PROXIES = []
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 403


def test_metrics_show_latency_uploads_jobs_and_queues(db, settings, owner, client):
    settings.METRICS_TOKEN = "metrics-token"
    repo = RepositoryFactory(owner=owner, name="metered")
    _token, raw = tokens.token_create(user=owner, name="t", scope="write")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def scrape() -> str:
        answer = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token")
        assert answer.status_code == 200
        return answer.content.decode()

    before = scrape()
    data = os.urandom(3000)
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    put = api.put(
        f"/api/v1/repos/{repo.full_name}/releases/v1.00/files/weights.bin",
        data,
        content_type="application/octet-stream",
        headers={"Content-Digest": f"sha-256=:{digest}:"},
    )
    assert put.status_code == 201, put.content
    assert client.get(repo.get_absolute_url()).status_code == 200
    after = scrape()

    received = "hub_upload_received_bytes_total"
    assert metric(after, received, door="file") - metric(before, received, door="file") == 3000
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    assert metric(after, latency, view="repo_detail", method="GET") >= 1
    for status in ("receiving", "verifying", "done", "failed"):
        assert f'hub_uploads{{status="{status}"}}' in after
    for status in ("queued", "running", "submitted", "confirmed", "failed"):
        assert f'hub_inference_jobs{{status="{status}"}}' in after
    assert 'hub_celery_queue_length{queue="inference"}' in after


# scripts/serve


def serve_env(**changes: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHAIN_", "DJANGO_", "PYTEST_"))
    }
    env.update(
        SECRET_KEY="serve-test-" + "k" * 50,
        ALLOWED_HOSTS="hub.example.com",
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        CHAIN_PRIVATE_KEY="0x" + "42" * 32,
        CHAIN_CONTRACT_ADDRESS="0x8383C9bD7462F12Eb996DD02F78234C0421A6FaE",
        EMAIL_HOST="smtp.example.com",
        DEFAULT_FROM_EMAIL="Model Hub <hub@example.com>",
        DEBUG="false",
    )
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS is not set"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is not set"),
        ({"CHAIN_PRIVATE_KEY": None}, "no chain signing key"),
        ({"REDIS_URL": None}, "REDIS_URL is not set"),
        ({"DATABASE_URL": "sqlite:////tmp/hub.sqlite3"}, "must name a PostgreSQL database"),
        ({"DEBUG": "true"}, "DEBUG must be off"),
        ({"CHAIN_PRIVATE_KEY": ANVIL_KEY}, "well-known development key"),
        ({"EMAIL_HOST": None}, "EMAIL_HOST is not set"),
        ({"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "sends no mail"),
        ({"DEFAULT_FROM_EMAIL": None}, "DEFAULT_FROM_EMAIL is not set"),
        ({"EMAIL_USE_SSL": "true", "EMAIL_USE_TLS": "true"}, "exclude each other"),
    ],
)  # fmt: skip
def test_serve_refuses_to_start_without_what_production_needs(tmp_path, changes, says):
    done = subprocess.run(
        ["bash", "scripts/serve"],
        cwd=ROOT,
        env=serve_env(DATA_DIR=str(tmp_path), PORT=str(closed_port()), **changes),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scripts/serve: ") and says in lines[0]


@contextlib.contextmanager
def serving(worker_env, tmp_path):
    """`scripts/serve` (all in one) on the suite's database, Redis and chain, until its web
    server answers; yields the process, its base URL and its log. Then SIGTERM, which must
    stop every process it started."""
    port = free_port()
    env = serve_env(
        DATABASE_URL=worker_env["DATABASE_URL"],
        MEDIA_ROOT=worker_env["MEDIA_ROOT"],
        CHAIN_PRIVATE_KEY=None,
        CHAIN_PRIVATE_KEY_FILE=worker_env["CHAIN_PRIVATE_KEY_FILE"],
        CHAIN_CONTRACT_ADDRESS=worker_env["CHAIN_CONTRACT_ADDRESS"],
        CHAIN_RPC_URL=worker_env["CHAIN_RPC_URL"],
        HTTPS_ONLY="true",
        DATA_DIR=str(tmp_path / "data"),
        STATIC_ROOT=str(tmp_path / "static"),  # not the tree's, which other servers read
        PORT=str(port),
        WEB_CONCURRENCY="2",
        WORKER_CONCURRENCY="1",
        WORKER_QUEUES="serve-test",  # never takes the suite's own tasks
        METRICS_TOKEN="serve-metrics-token",
        LOG_LEVEL="WARNING",
    )
    log_path = tmp_path / "serve.log"
    log = open(log_path, "w+")  # noqa: SIM115
    serve = subprocess.Popen(
        ["bash", "scripts/serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert serve.poll() is None, log_path.read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield serve, base, log_path
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            code = serve.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            raise
    assert code == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(serve.pid, 0)  # is any process of the group left?
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.killpg(serve.pid, signal.SIGKILL)
        pytest.fail("scripts/serve left processes behind after SIGTERM")


def worker_answers(serve, log_path: Path) -> None:
    """Wait until the Celery worker `serve` started answers a ping."""
    from hub.celery import app

    hostname = f"hub-{serve.pid}@{socket.gethostname()}"
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[hostname], timeout=1):
        assert time.monotonic() < deadline, log_path.read_text()


def child_of(serve, *words: str) -> int | None:
    """The pid of the process `serve` started whose command line holds `words`."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            argv = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == serve.pid and all(w.encode() in argv for w in words):
            return int(stat.parent.name)
    return None


@pytest.mark.django_db  # so that the test database exists when this test runs alone
def test_serve_runs_the_web_worker_and_beat_and_stops_them_all(worker_env, tmp_path):
    """The production command on this machine, on the suite's database, Redis and chain: the
    probes answer 200 under production's HTTPS settings, the metrics of both gunicorn
    workers add up, the worker answers a ping, and SIGTERM stops every process."""
    with serving(worker_env, tmp_path) as (serve, base, log_path):
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert set(ready.json()["checks"].values()) == {"ok"}
        # Everything else is production's: HTTPS only, known host names.
        page = httpx.get(f"{base}/models", headers={"Host": "hub.example.com"})
        assert page.status_code == 301 and page.headers["location"].startswith("https://")
        assert httpx.get(f"{base}/models").status_code == 400

        auth = {"Authorization": "Bearer serve-metrics-token"}
        for _ in range(6):  # spread over both workers
            httpx.get(f"{base}/readyz", timeout=10)
        scraped = httpx.get(f"{base}/metrics", headers=auth, timeout=10)
        assert scraped.status_code == 200
        assert 'hub_uploads{status="verifying"}' in scraped.text
        before = metric(scraped.text, "django_http_requests_before_middlewares_total")
        assert before >= 9  # every request so far, whichever worker answered it
        assert httpx.get(f"{base}/metrics").status_code == 403

        worker_answers(serve, log_path)


@pytest.mark.django_db
def test_serve_starts_a_dead_worker_or_beat_again_while_the_web_keeps_serving(worker_env, tmp_path):
    with serving(worker_env, tmp_path) as (serve, base, log_path):
        worker_answers(serve, log_path)
        web = child_of(serve, "hub.wsgi")
        for part in ("worker", "beat"):
            dead = child_of(serve, "-A", "hub", part)
            assert dead is not None, log_path.read_text()
            os.kill(dead, signal.SIGKILL)  # as the kernel's OOM killer would
            # The web server never stopped answering.
            assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
            deadline = time.monotonic() + 60
            while child_of(serve, "-A", "hub", part) in (None, dead):
                assert serve.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
            said = f"{part} exited (status 137): starting it again in 1s; the web server keeps"
            assert said in log_path.read_text()
        worker_answers(serve, log_path)  # the new worker takes tasks
        assert child_of(serve, "hub.wsgi") == web  # the same gunicorn all along
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
