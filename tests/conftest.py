"""Expensive fixtures for end-to-end tests: a real Celery worker, a real Chromium."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def media_root(tmp_path_factory):
    """The storage folder shared by the test process, the live server and the worker."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, media_root):
    """A real `celery worker` process on the suite's Redis broker, test database and media.

    Every test that needs a worker shares this one, so that no task is ever taken by a
    worker that looks at another database or folder.
    """
    from django.db import connection

    if not os.environ.get("REDIS_URL"):
        pytest.fail("REDIS_URL must point at a Redis server for the worker tests.")
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    env = {
        **os.environ,
        "DATABASE_URL": f"{base}/{connection.settings_dict['NAME']}",
        "MEDIA_ROOT": str(media_root),
    }
    from hub.celery import app

    app.control.purge()  # messages left by earlier runs name rows that no longer exist
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hub", "worker", "--pool=solo",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"celery worker exited: {proc.stdout.read()}")
        if app.control.ping(timeout=1):
            break
    else:
        proc.kill()
        pytest.fail("celery worker did not answer within 60 s")
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def shared_storage(settings, media_root):
    """Point this process's file storage at the worker's folder, with small upload chunks."""
    from django.core.files.storage import default_storage
    from django.utils.functional import empty

    settings.HUB_UPLOAD_CHUNK_SIZE = 64 * 1024
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media_root)},
        },
    }
    default_storage._wrapped = empty
    yield media_root
    default_storage._wrapped = empty


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
    """The tasks and licences the migrations seed, for transactional tests (which flush them).

    Playwright's greenlets give the test a database connection of its own, so Django's
    serialized rollback does not restore them there.
    """
    import importlib

    from django.apps import apps

    migration = importlib.import_module("repos.migrations.0002_seed_tasks_licenses_search_index")
    migration.seed(apps, None)
