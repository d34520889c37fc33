"""Throughput under load: the hub under gunicorn in production mode, 32 concurrent clients.

    .venv/bin/python bench/load.py [--repos 1000] [--requests 2000] [--clients 32]
    .venv/bin/python bench/load.py --quick      # 5 repositories, 4 clients, 2 workers: it runs

Seeds a PostgreSQL database of its own (BENCH_DATABASE_URL, default .../hub_bench_load,
dropped and recreated) with public repositories made through the services, as users make
them (one of them holding a 1 MiB file), and starts gunicorn as `scripts/serve` does: DEBUG
off, Redis as the cache (BENCH_REDIS_URL, default database 7), metrics written to a
multiprocess folder, 2 × cores + 1 sync workers (--workers changes it). Then:

(a) a fixed number of requests from 32 clients (threads, each with its own httpx client) to
    the trivial view, a repository page, a search (`/models?q=…`) and a 1 MiB download:
    requests/s, each as a ratio to the trivial view in the same run, p50 and p95 latency, the
    errors (any other status than the expected one, or no answer), and the mean time a request
    spent in Django (the workers' own figure, from /metrics; the rest of the latency is
    waiting for a free worker). /healthz is measured too, for information;
(b) the same requests again, with one gunicorn worker killed (SIGKILL) half-way through each:
    a sync worker holds one request at a time, so at most one request may be lost; gunicorn
    starts a new worker, and the time until it is back is printed.

The trivial view is `/favicon.ico` (hub/urls.py): a redirect to the logo that reads nothing,
reached through the same URL routing and the whole middleware stack as the pages (sessions,
CSRF, authentication, tokens, messages, CSP, metrics), so each page's ratio is the cost of its
own work. /healthz is not that: `hub.probes.ProbeMiddleware` answers it near the top of the
stack, before everything else a request goes through.

The clients run on the same machine as the server and take some of its CPU.
"""

import argparse
import functools
import itertools
import logging
import os
import random
import re
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from common import (
    arguments,
    configure,
    free_port,
    gunicorn,
    percentile,
    recreate_database,
    wait_until_answering,
    work_folder,
)

WORK = work_folder("load")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
BENCH_DB = configure(
    "hub_bench_load",
    REDIS_URL=REDIS,
    MEDIA_ROOT=str(WORK / "media"),
    DATA_DIR=str(WORK / "data"),
    METRICS_TOKEN="bench",
)

import httpx  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from releases.services.files import file_add_content  # noqa: E402
from releases.services.releases import repository_create  # noqa: E402
from repos.models import License, Task  # noqa: E402

MIB = 1024 * 1024
logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line a request
WORDS = (
    "volatility forecast ethereum bitcoin solana price risk lending liquidation model onnx "
    "transformer regression classifier gradient boosting hourly daily returns funding gas "
    "sentiment embedding"
).split()


# Model cards share a few domain words and differ in the rest (as in bench/pages.py): one
# card in ten or so mentions a given domain word.
FILLER = [f"term{i}" for i in range(3000)]


def seed(repos: int) -> dict[str, tuple[str, int]]:
    """`repos` public repositories of 20 owners, each with a card and tags; the first holds
    a 1 MiB file. Returns the URLs the load goes to, each with the status it answers."""
    rng = random.Random(repos)
    owners = [User.objects.create(username=f"owner{n}") for n in range(20)]
    tasks, licenses = list(Task.objects.all()), list(License.objects.all())
    first = None
    for n in range(repos):
        words = " ".join(rng.choice(WORDS if rng.random() < 0.08 else FILLER) for _ in range(60))
        repo = repository_create(
            owner=owners[n % len(owners)],
            name=f"model-{n}-{rng.choice(WORDS)}",
            description=f"# Model {n}\n\nThis model does {words}.\n\n| metric | value |\n"
            "|---|---|\n| mae | 0.1 |\n",
            task=rng.choice(tasks),
            license=rng.choice(licenses),
            tags=rng.sample(WORDS, 3),
        )
        first = first or repo
    file_add_content(
        release=first.latest_release, path="weights.bin", data=rng.randbytes(MIB), user=first.owner
    )
    return {
        "/favicon.ico (trivial)": ("/favicon.ico", 302),
        "repository page": (first.get_absolute_url(), 200),
        "search": ("/models?q=volatility", 200),
        "1 MiB download": (f"{first.get_absolute_url()}resolve/v1.00/weights.bin", 200),
        "/healthz (for information)": ("/healthz", 200),
    }


@dataclass
class Run:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p) * 1000


def load(url: str, total: int, clients: int, status: int = 200, halfway=None) -> Run:
    """`total` GETs of `url` from `clients` threads, each expected to answer `status`;
    `halfway()` runs once, when half of them have been sent, and has ended when this returns."""
    run, lock, numbers = Run(), threading.Lock(), itertools.count()
    side = []

    def client() -> None:
        with httpx.Client(timeout=60) as http:
            while (n := next(numbers)) < total:
                if n == total // 2 and halfway is not None:
                    side.append(threading.Thread(target=halfway))
                    side[0].start()
                started = time.perf_counter()
                try:
                    answer = http.get(url)
                    problem = None if answer.status_code == status else f"HTTP {answer.status_code}"
                except httpx.HTTPError as exc:
                    problem = type(exc).__name__
                with lock:
                    if problem:
                        run.errors[problem] += 1
                    else:
                        run.latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - started
    for thread in side:  # a short run can end before the killed worker is replaced
        thread.join()
    return run


SERVER_TIME = "django_http_requests_latency_including_middlewares_seconds"


def server_time(base: str) -> tuple[float, float]:
    """(seconds, requests) the web workers have spent in Django so far, from /metrics."""
    text = httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer bench"}).text
    found = dict(re.findall(rf"^{SERVER_TIME}_(sum|count) (\S+)$", text, re.MULTILINE))
    return float(found["sum"]), float(found["count"])


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def wait_for_workers(master: int, count: int, gone: int = 0, timeout: float = 60) -> float:
    """Seconds until gunicorn has `count` worker processes again, `gone` not among them."""
    started = time.monotonic()
    while True:
        workers = workers_of(master)
        if len(workers) >= count and gone not in workers:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise SystemExit(f"gunicorn did not get back to {count} workers")
        time.sleep(0.01)


def kill_one(master: int, count: int, replaced: list[float]) -> None:
    """SIGKILL one of gunicorn's workers; note the seconds until it has `count` again."""
    victim = random.choice(workers_of(master))
    os.kill(victim, signal.SIGKILL)
    replaced.append(wait_for_workers(master, count, gone=victim))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = arguments(parser, repos=5, requests=60, clients=4, workers=2)

    recreate_database(BENCH_DB)
    connection.close()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    started = time.perf_counter()
    urls = seed(args.repos)
    seeded = time.perf_counter() - started
    connection.close()

    port = free_port()
    metrics_dir = WORK / "prometheus"
    metrics_dir.mkdir()
    server = gunicorn(
        port,
        workers=args.workers,
        timeout=60,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/healthz")
        wait_for_workers(server.pid, args.workers)
        for path, status in urls.values():  # every worker loads its code, fills its caches
            load(base + path, 4 * args.workers, args.workers, status)

        print(
            f"<!-- {args.repos:,} repositories seeded in {seeded:.0f} s; gunicorn with "
            f"{args.workers} sync workers; {args.clients} clients; {args.requests:,} requests "
            f"each; {os.cpu_count()} cores shared by server and clients -->"
        )
        print(
            "| request | req/s | ratio to the trivial view | p50 ms | p95 ms | errors "
            "| in Django, ms a request |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        trivial = None
        for label, (path, status) in urls.items():
            spent, served = server_time(base)
            run = load(base + path, args.requests, args.clients, status)
            spent_after, served_after = server_time(base)
            trivial = trivial or run.rate
            print(
                f"| {label} | {run.rate:,.0f} | {run.rate / trivial:.2f} "
                f"| {run.percentile(0.5):.1f} | {run.percentile(0.95):.1f} "
                f"| {sum(run.errors.values())} "
                f"| {(spent_after - spent) / (served_after - served) * 1000:.1f} |",
                flush=True,
            )

        print()
        print("One worker killed (SIGKILL) half-way through each run:")
        print()
        print("| request | req/s | errors | worker back after |")
        print("|---|---:|---:|---:|")
        for label, (path, status) in urls.items():
            replaced: list[float] = []
            kill = functools.partial(kill_one, server.pid, args.workers, replaced)
            run = load(base + path, args.requests, args.clients, status, halfway=kill)
            errors = ", ".join(f"{n} {kind}" for kind, n in run.errors.items()) or "0"
            print(f"| {label} | {run.rate:,.0f} | {errors} | {replaced[0]:.2f} s |", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
