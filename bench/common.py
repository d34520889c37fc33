"""Set-up shared by the benchmarks: production settings on a PostgreSQL database of their own,
and the quick mode every benchmark offers.

`--quick` runs a benchmark at the smallest sizes that still take every path its full run
measures (every page, every client, a worker killed where the script kills one), in seconds
rather than minutes. CI runs every benchmark that way (scripts/bench-quick), so that one that
no longer runs fails CI; the figures of a quick run are printed as usual and mean nothing.
"""

import argparse
import atexit
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Known when the script is imported, before its arguments are parsed: the database a script
# uses is chosen at import (see database_url).
QUICK = "--quick" in sys.argv[1:]
QUICK_HELP = (
    "the smallest sizes that still take every path the full run measures, in seconds; "
    "options given on the command line still win (CI runs it: the figures mean nothing)"
)


def arguments(parser: argparse.ArgumentParser, **quick) -> argparse.Namespace:
    """The command line, parsed with `--quick` added: with it, every option in `quick` (by its
    dest) that the command line does not give takes the quick size instead of its default."""
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    unknown = set(quick) - set(vars(parser.parse_args([])))
    if unknown:
        raise TypeError(f"quick sizes for options the parser does not have: {sorted(unknown)}")
    if QUICK:
        parser.set_defaults(**quick)
    args = parser.parse_args()
    if args.quick:
        print("quick mode: the smallest sizes, to show that the benchmark runs; its figures "
              "mean nothing", file=sys.stderr, flush=True)  # fmt: skip
    return args


def percentile(values, p: float) -> float:
    """The nearest-rank percentile `p` (0 to 1) of `values`: one of them, never below the
    median for p above a half, however few there are (a quick run measures a handful)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def database_url(name: str) -> str:
    """BENCH_DATABASE_URL, else the local PostgreSQL database `name`, or `<name>_quick` in
    quick mode: a quick run never drops the database a full run took minutes to seed."""
    suffix = "_quick" if QUICK else ""
    return os.environ.get(
        "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{name}{suffix}"
    )


def configure(database: str, **env: str) -> str:
    """Point Django at the benchmark database `database` (a name: see database_url) with
    production settings and `env`, and set it up. Returns the database's URL."""
    sys.path.insert(0, str(ROOT))
    url = database_url(database)
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


def work_folder(name: str) -> Path:
    """A new temporary folder for the benchmark's files, removed when the script ends."""
    path = Path(tempfile.mkdtemp(prefix=f"hub-bench-{name}-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


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


def wait_until_answering(url: str, timeout: float = 180) -> None:
    """Wait until `url` answers over HTTP, whatever the status: on a busy machine a server
    just started may take many seconds to answer its first request."""
    import urllib.error
    import urllib.request

    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    deadline = time.monotonic() + timeout
    while True:
        try:
            direct.open(url, timeout=10).close()
            return
        except urllib.error.HTTPError:
            return  # an answer
        except OSError:  # not listening yet, or no answer yet
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not answer within {timeout:.0f} s") from None
            time.sleep(0.2)


def gunicorn(port: int, *, workers: int = 2, timeout: int = 600, env: dict | None = None):
    """The hub under gunicorn on `port`, as a process (production settings from the env)."""
    import subprocess

    return subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "hub.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "--timeout", str(timeout), "--log-level", "warning"],
        cwd=ROOT, env=env if env is not None else os.environ.copy(),
    )  # fmt: skip
