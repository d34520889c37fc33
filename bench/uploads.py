"""Upload benchmarks: ingest throughput, memory, Blob ID speed, duplicate check, browser hashing.

    .venv/bin/python bench/uploads.py                    # all of (a)-(e) with default sizes
    .venv/bin/python bench/uploads.py --ingest-mib 1024 --memory-mib 2048
    .venv/bin/python bench/uploads.py --quick            # files of two chunks: it runs

(a) ingest of a file through the HTTP upload path (chunks PUT through Django, then the
    verification the worker runs) into local storage, as MiB/s and as a ratio to the time of
    `cp` of the same file plus its sha256 plus its Blob ID, measured in the same run;
(b) peak memory growth of the web process (this process: requests go through Django's test
    client in-process) while uploading a larger file: it must not grow with the file;
(c) Blob ID throughput (alone, without the whole-file sha256) as a ratio to hashlib.sha256
    on the same 200 MB;
(d) duplicate-check (plan) response time for 100 files in a release that holds 100 files;
(e) sha256 throughput of the vendored hash-wasm in headless Chromium (as the uploader's Web
    Worker uses it).
Uses its own PostgreSQL database (BENCH_DATABASE_URL, default .../hub_bench_uploads, dropped
and recreated) and temporary folders.
"""

import argparse
import gc
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from common import (
    ROOT,
    arguments,
    configure,
    free_port,
    gunicorn,
    percentile,
    recreate_database,
    wait_until_answering,
    work_folder,
)

WORK = work_folder("uploads")
BENCH_DB = configure(
    "hub_bench_uploads",
    MEDIA_ROOT=str(WORK / "media"),
    DATA_DIR=str(WORK / "data"),  # the queued verification message is never consumed here
)

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from hub.blobid import BlobIdHasher  # noqa: E402
from releases.models import Upload  # noqa: E402
from releases.services.files import file_add_content  # noqa: E402
from releases.services.releases import repository_create  # noqa: E402
from releases.services.verification import upload_complete  # noqa: E402
from repos.models import License, Task  # noqa: E402

MIB = 1024 * 1024


def make_file(path: Path, size: int) -> None:
    """Incompressible bytes, written a MiB at a time."""
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(MIB, left)
            fh.write(os.urandom(n))
            left -= n


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def upload_through_api(
    client: Client, repo_path: str, path: Path, name: str, collect: bool = False
) -> tuple[float, float]:
    """PUT the file chunk by chunk, then verify; returns (transfer seconds, verify seconds)."""
    size = path.stat().st_size
    state = client.post(
        f"/api/v1/repos/{repo_path}/releases/v1.00/uploads",
        json.dumps({"path": name, "size": size, "sha256": file_sha256(path)}),
        content_type="application/json",
    ).json()
    started = time.perf_counter()
    with open(path, "rb") as fh:
        for index in range(state["chunk_count"]):
            response = client.put(
                f"{state['url']}/chunks/{index}",
                fh.read(state["chunk_size"]),
                content_type="application/octet-stream",
            )
            assert response.status_code == 200, response.content
            if collect:
                # The test client's payloads sit in reference cycles: free them at once, so
                # that memory figures are the server's and not this in-process client's.
                del response
                gc.collect()
    transfer = time.perf_counter() - started
    upload = Upload.objects.get(id=state["id"])
    verify = timed(lambda: upload_complete(upload=upload))
    upload.refresh_from_db()
    assert upload.status == "done", upload.error
    return transfer, verify


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while piece := fh.read(8 * MIB):
            digest.update(piece)
    return digest.hexdigest()


def upload_over_http(client: Client, path: Path, name: str) -> tuple[float, float]:
    """The same upload through a real gunicorn server over a local socket."""

    import requests

    port = free_port()
    server = gunicorn(port, timeout=300)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(base + "/")
        http = requests.Session()
        http.cookies.set("sessionid", client.cookies["sessionid"].value)
        token = "b" * 32
        http.cookies.set("csrftoken", token)
        http.headers.update({"X-CSRFToken": token, "Referer": base + "/"})
        size = path.stat().st_size
        state = http.post(
            f"{base}/api/v1/repos/bench/bench/releases/v1.00/uploads",
            json={"path": name, "size": size, "sha256": file_sha256(path)},
        ).json()
        started = time.perf_counter()
        with open(path, "rb") as fh:
            for index in range(state["chunk_count"]):
                response = http.put(
                    f"{base}{state['url']}/chunks/{index}",
                    data=fh.read(state["chunk_size"]),
                    headers={"Content-Type": "application/octet-stream"},
                )
                assert response.status_code == 200, response.text
        transfer = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    upload = Upload.objects.get(id=state["id"])
    verify = timed(lambda: upload_complete(upload=upload))
    upload.refresh_from_db()
    assert upload.status == "done", upload.error
    return transfer, verify


def bench_ingest(client: Client, mib: int) -> None:
    source = WORK / "ingest.bin"
    make_file(source, mib * MIB)
    os.sync()
    cp = timed(lambda: shutil.copyfile(source, WORK / "copy.bin"))

    def sha() -> None:
        h = hashlib.sha256()
        with open(source, "rb") as fh:
            while piece := fh.read(MIB):
                h.update(piece)

    def cid() -> None:
        h = BlobIdHasher(with_sha256=False)
        with open(source, "rb") as fh:
            while piece := fh.read(MIB):
                h.update(piece)
        h.blob_id()

    baseline = cp + timed(sha) + timed(cid)
    (WORK / "copy.bin").unlink()
    rows = []
    for label, run in (
        ("gunicorn over a local socket", lambda: upload_over_http(client, source, "http.bin")),
        ("Django test client in-process", lambda: upload_through_api(
            client, "bench/bench", source, "ingest.bin")),
    ):  # fmt: skip
        transfer, verify = run()
        rows.append((label, transfer, verify))
    print(f"\n(a) ingest of {mib:,} MiB through the upload API into local storage\n")
    print("| step | seconds | MiB/s |\n|---|---:|---:|")
    print(f"| cp + sha256 + Blob ID of the same file (baseline) | {baseline:.2f} | "
          f"{mib / baseline:,.0f} |")  # fmt: skip
    for label, transfer, verify in rows:
        total = transfer + verify
        print(f"| {label}: chunks | {transfer:.2f} | {mib / transfer:,.0f} |")
        print(f"| {label}: verification | {verify:.2f} | {mib / verify:,.0f} |")
        print(f"| {label}: end to end | {total:.2f} | {mib / total:,.0f} |")
    for label, transfer, verify in rows:
        print(f"\nratio to the baseline, {label}: **{baseline / (transfer + verify):.2f}** "
              "(target at least 0.5)")  # fmt: skip
    source.unlink()


def bench_memory(client: Client, mib: int) -> None:
    source = WORK / "memory.bin"
    make_file(source, mib * MIB)
    small = WORK / "small.bin"
    make_file(small, min(64, mib) * MIB)
    upload_through_api(client, "bench/bench", small, "warm-up.bin", collect=True)
    before = rss_mib()
    upload_through_api(client, "bench/bench", source, "memory.bin", collect=True)
    print(f"\n(b) peak RSS growth of the web process while uploading {mib:,} MiB "
          f"({settings.HUB_UPLOAD_CHUNK_SIZE // MIB} MiB chunks): "
          f"**{rss_mib() - before:,.1f} MiB** (target under 64 MiB)")  # fmt: skip
    source.unlink()
    small.unlink()


def bench_blob_id(megabytes: int = 200) -> None:
    data = os.urandom(megabytes * 1000 * 1000)
    runs = []
    for _ in range(3):
        sha = timed(lambda: hashlib.sha256(data).digest())

        def cid() -> None:
            h = BlobIdHasher(with_sha256=False)
            h.update(data)
            h.blob_id()

        runs.append((sha, timed(cid)))
    sha, cid_s = min(r[0] for r in runs), min(r[1] for r in runs)
    print(f"\n(c) on the same {megabytes} MB, best of 3: hashlib.sha256 "
          f"{megabytes / sha:,.0f} MB/s, Blob ID alone {megabytes / cid_s:,.0f} MB/s: "
          f"ratio **{sha / cid_s:.2f}** (target at least 0.9)")  # fmt: skip


def bench_plan(client: Client, owner: User, count: int, requests: int) -> None:
    repo = repository_create(
        owner=owner, name="plan", task=Task.objects.first(), license=License.objects.first()
    )
    for i in range(count):
        file_add_content(
            release=repo.latest_release, path=f"old/{i}.bin", data=f"old {i}".encode(), user=owner
        )
    files = []
    for i in range(count):
        data = f"old {i}".encode() if i % 2 else f"new {i}".encode()
        files.append(
            {"path": f"new/{i}.bin", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        )
    body = json.dumps({"files": files})
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.post(
            "/api/v1/repos/bench/plan/releases/v1.00/plan", body, content_type="application/json"
        )
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    print(f"\n(d) duplicate check of {count} files (half of them already in the release), "
          f"{requests} requests: median **{statistics.median(timings):.1f} ms**, p95 "
          f"{percentile(timings, 0.95):.1f} ms (target under 50 ms)")  # fmt: skip


def bench_browser(megabytes: int = 256) -> None:
    """Both ways the uploader's worker hashes: hash-wasm streaming, and the native digest."""
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    script = (ROOT / "static/vendor/hash-wasm/sha256.umd.min.js").read_text()
    # A page on 127.0.0.1 is a secure context, as the hub is on HTTPS or localhost.
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/bench/")
        page.add_script_tag(content=script)
        seconds = page.evaluate(
            """async (mb) => {
                const piece = new Uint8Array(4 * 1024 * 1024);
                crypto.getRandomValues(piece.subarray(0, 65536));
                for (let i = 65536; i < piece.length; i += 65536) {
                    piece.set(piece.subarray(0, 65536), i);
                }
                const pieces = Math.round(mb * 1e6 / piece.length);
                const hasher = await hashwasm.createSHA256();
                hasher.init();
                hasher.update(piece);  // warm-up
                hasher.init();
                let t0 = performance.now();
                for (let i = 0; i < pieces; i++) hasher.update(piece);
                hasher.digest("hex");
                const wasm = (performance.now() - t0) / 1000;
                const whole = new Uint8Array(pieces * piece.length);
                for (let i = 0; i < pieces; i++) whole.set(piece, i * piece.length);
                await crypto.subtle.digest("SHA-256", piece);  // warm-up
                t0 = performance.now();
                await crypto.subtle.digest("SHA-256", whole);
                return [wasm, (performance.now() - t0) / 1000];
            }""",
            megabytes,
        )
        browser.close()
    server.shutdown()
    version = subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout
    wasm, native = seconds
    print(f"\n(e) sha256 in headless {version.strip()}, {megabytes} MB: native "
          f"crypto.subtle (files up to 256 MiB) **{megabytes / native:,.0f} MB/s**; hash-wasm "
          f"streaming in 4 MiB pieces (larger files) **{megabytes / wasm:,.0f} MB/s** "
          f"(target at least 300 MB/s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ingest-mib", type=int, default=1024)
    parser.add_argument("--memory-mib", type=int, default=2048)
    parser.add_argument("--blob-id-mb", type=int, default=200)
    parser.add_argument("--plan-files", type=int, default=100)
    parser.add_argument("--plan-requests", type=int, default=40)
    parser.add_argument("--browser-mb", type=int, default=256)
    parser.add_argument("--skip-browser", action="store_true")
    # Quick: files of two chunks (of HUB_UPLOAD_CHUNK_SIZE, 16 MiB by default).
    quick_mib = 2 * settings.HUB_UPLOAD_CHUNK_SIZE // MIB
    args = arguments(
        parser,
        ingest_mib=quick_mib,
        memory_mib=quick_mib,
        blob_id_mb=8,
        plan_files=10,
        plan_requests=3,
        browser_mb=8,
    )

    recreate_database(BENCH_DB)
    connection.close()
    call_command("migrate", verbosity=0)
    owner = User.objects.create(username="bench")
    repository_create(
        owner=owner, name="bench", task=Task.objects.first(), license=License.objects.first()
    )
    client = Client()
    client.force_login(owner)
    print(f"chunk size {settings.HUB_UPLOAD_CHUNK_SIZE // MIB} MiB; work folder {WORK}")
    bench_ingest(client, args.ingest_mib)
    bench_memory(client, args.memory_mib)
    bench_blob_id(args.blob_id_mb)
    bench_plan(client, owner, args.plan_files, args.plan_requests)
    if not args.skip_browser:
        bench_browser(args.browser_mb)


if __name__ == "__main__":
    main()
