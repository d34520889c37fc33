"""Set-up shared by the benchmarks: production settings on a PostgreSQL database of their own."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def configure(default_database_url: str, **env: str) -> str:
    """Point Django at the benchmark database (BENCH_DATABASE_URL overrides) and set it up."""
    sys.path.insert(0, str(ROOT))
    url = os.environ.get("BENCH_DATABASE_URL", default_database_url)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="hub.settings",
        DEBUG="false",
        SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        HTTPS_ONLY="false",
        DATABASE_URL=url,
        ALLOWED_HOSTS="testserver,127.0.0.1",
        **env,
    )
    if "REDIS_URL" not in env:
        os.environ.pop("REDIS_URL", None)  # no broker: queued tasks are not run by anyone
    import django

    django.setup()
    return url


def recreate_database(url: str) -> None:
    """Drop and create the benchmark database (never point it at real data)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(port: int, *, workers: int = 2, timeout: int = 600, env: dict | None = None):
    """The hub under gunicorn on `port`, as a process (production settings from the env)."""
    import subprocess

    return subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "hub.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "--timeout", str(timeout), "--log-level", "warning"],
        cwd=ROOT, env=env if env is not None else os.environ.copy(),
    )  # fmt: skip
