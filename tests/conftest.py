"""Expensive fixtures for end-to-end tests: a real Celery worker, a real Chromium."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def anvil(tmp_path_factory):
    """A real anvil chain node on a free port, with the hub's contract and a stand-in for
    OpenGradient's contract deployed by a funded account of the suite's own (the
    well-known development keys are refused with DEBUG off, as in production)."""
    from django.conf import settings
    from eth_account import Account

    from inference import chain
    from inference.anvil import start_anvil

    port = free_port()
    proc = start_anvil(port, "--silent")
    url = f"http://127.0.0.1:{port}"
    account = Account.create()
    w3 = chain.web3(url)
    w3.provider.make_request("anvil_setBalance", [account.address, hex(10**24)])
    key_file = tmp_path_factory.mktemp("chain") / "signing-key"
    key_file.write_text(account.key.hex() + "\n")
    key_file.chmod(0o600)
    address, _ = chain.deploy(w3, account, chain.HUB_CONTRACT)
    stub, _ = chain.deploy(w3, account, ROOT / "tests" / "contracts" / "OpenGradientStub.vy")
    chain_env = {
        "CHAIN_RPC_URL": url,
        "CHAIN_PRIVATE_KEY_FILE": str(key_file),
        "CHAIN_CONTRACT_ADDRESS": address,
        "CHAIN_RECEIPT_TIMEOUT": "30",
        "INFERENCE_RETRY_DELAY": "1",
    }
    os.environ.update(chain_env)  # for the worker processes started after this
    settings.CHAIN_RPC_URL = url
    settings.CHAIN_PRIVATE_KEY_FILE = str(key_file)
    settings.CHAIN_CONTRACT_ADDRESS = address
    settings.CHAIN_RECEIPT_TIMEOUT = 30
    settings.INFERENCE_RETRY_DELAY = 1
    yield SimpleNamespace(
        url=url, w3=w3, account=account, contract=address, stub=stub, env=chain_env, proc=proc
    )
    proc.terminate()
    proc.wait(timeout=10)


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen:
    """A `celery worker` process with `env`; returns once it answers a ping."""
    from hub.celery import app

    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hub", "worker", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", name, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    hostname = name.replace("%h", socket.gethostname())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"celery worker exited: {proc.stdout.read()}")
        if app.control.ping(destination=[hostname], timeout=1):
            return proc
    proc.kill()
    pytest.fail("celery worker did not answer within 60 s")


def stop_worker(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def worker_env(django_db_setup, media_root, anvil):
    """The environment of a worker on the suite's Redis, test database, media and chain."""
    from django.db import connection

    if not os.environ.get("REDIS_URL"):
        pytest.fail("REDIS_URL must point at a Redis server for the worker tests.")
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return {
        **os.environ,
        **anvil.env,
        "DATABASE_URL": f"{base}/{connection.settings_dict['NAME']}",
        "MEDIA_ROOT": str(media_root),
    }


@pytest.fixture(scope="session")
def celery_worker_process(worker_env):
    """A real `celery worker` process on the suite's Redis broker, test database, media and
    chain, taking both queues.

    Every test that needs a worker shares this one, so that no task is ever taken by a
    worker that looks at another database or folder.
    """
    from hub.celery import app

    app.control.purge()  # messages left by earlier runs name rows that no longer exist
    proc = start_worker(worker_env, "--pool=solo", "-Q", "celery,inference")
    yield proc
    stop_worker(proc)


@pytest.fixture(scope="session")
def browser():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def hub_server(django_db_setup, django_db_blocker):
    """The hub served on a free local port, static files by whitenoise as in production.

    (pytest-django's live_server serves static files from the finders, which do not know the
    hashed names of the manifest storage that production and this suite use.)
    """
    from django.test.testcases import LiveServerThread

    thread = LiveServerThread("127.0.0.1", static_handler=lambda app: app, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


@pytest.fixture
def seeded(transactional_db):
    """The tasks, licences, permissions and groups the migrations make, for transactional
    tests (which flush them).

    Playwright's greenlets give the test a database connection of its own, so Django's
    serialized rollback does not restore them there.
    """
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    migration = importlib.import_module("repos.migrations.0002_seed_tasks_licenses_search_index")
    migration.seed(apps, None)
    ContentType.objects.clear_cache()  # the flush gave the content types new ids
    groups = importlib.import_module("moderation.migrations.0002_moderators_group")
    groups.create_group(apps, None)  # creates the permissions, then the Moderators group
