"""Browser hashing: the uploader's Blob ID pool against its sha256 worker, in headless Chromium.

    .venv/bin/python bench/browser_hash.py                  # a 2 GiB file of random bytes
    .venv/bin/python bench/browser_hash.py --file big.bin   # an existing file (kept)
    .venv/bin/python bench/browser_hash.py --workers 1 2 4 --slice-mib 4 8
    .venv/bin/python bench/browser_hash.py --quick          # 257 MiB: it runs

The page and the static files come from a small local server with the hub's
Content-Security-Policy; the file is handed to the page with set_input_files, as a user picks
it. Measured in one run, on the same file: the Blob ID pool (js/blobid-pool.js, each
configuration given) and the sha256 worker the uploader falls back to without crypto.subtle
(js/hash-worker.js: hash-wasm streaming above 256 MiB), as MB/s and as a ratio; and the peak
memory of Chromium's processes while each runs (resident set sizes read from /proc, the
renderer, which holds the page and its workers, apart), over their size before.
Both results are checked against hub.blobid and hashlib.
"""

import argparse
import functools
import hashlib
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, arguments, configure

configure("hub_bench_browser_hash")  # no query is made

from hub.blobid import blob_id_of_file  # noqa: E402

MIB = 1024 * 1024
# The hub's policy (hub/settings.py) on the page, so that the bench fails where the site would;
# the hub's static files (whitenoise, ahead of the CSP middleware) have none, nor have they here.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "worker-src 'self'; object-src 'none'; base-uri 'none'"
)
PAGE = b"""<!doctype html><html><head><title>browser hashing</title>
<script src="/js/blobid-pool.js"></script></head>
<body><input type="file" id="file"></body></html>"""

# Each measurement starts its workers first (untimed), so that the page's renderer is known
# by its worker threads before the memory watch begins.
POOL_START = """async ({ workers, slice }) => {
    const file = document.getElementById("file").files[0];
    window.pool = new BlobIdPool("/js/blobid-worker.js", { workers: workers || undefined, slice });
    await pool.blobId(file.slice(0, 16 * 1024 * 1024));  // workers started and warm
    return pool.size;
}"""
POOL = """async () => {
    const file = document.getElementById("file").files[0];
    const started = performance.now();
    const blobId = await pool.blobId(file);
    return { result: blobId, seconds: (performance.now() - started) / 1000 };
}"""
SHA256_START = """async () => {
    window.worker = new Worker("/js/hash-worker.js");
    window.hashwasmUrl = new URL("/vendor/hash-wasm/sha256.umd.min.js", location.href).href;
    await new Promise((resolve) => {
        worker.onmessage = ({ data }) => data.sha256 && resolve();
        worker.postMessage({ id: "start", file: new Blob([]), hashwasmUrl });
    });
}"""
SHA256 = """async () => {
    const file = document.getElementById("file").files[0];
    const started = performance.now();
    const sha256 = await new Promise((resolve, reject) => {
        worker.onmessage = ({ data }) => {
            if (data.error) reject(new Error(data.error));
            else if (data.sha256) resolve(data.sha256);
        };
        worker.postMessage({ id: "bench", file, hashwasmUrl });
    });
    return { result: sha256, seconds: (performance.now() - started) / 1000 };
}"""
STOP = "() => { if (window.pool) pool.terminate(); if (window.worker) worker.terminate(); }"


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)
        else:
            super().do_GET()

    def log_message(self, *args):
        pass


def make_file(path: Path, size: int) -> None:
    with open(path, "wb") as fh:
        for _ in range(size // MIB):
            fh.write(os.urandom(MIB))
        fh.write(os.urandom(size % MIB))


def chromium_processes() -> dict[int, str]:
    """This process's Chromium descendants, each with its --type (or "browser")."""
    parents, kinds = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            # Chromium rewrites its children's command lines into one space-separated string.
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").split()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        if cmdline and b"chrom" in cmdline[0].rsplit(b"/", 1)[-1]:
            kind = next((a[7:].decode() for a in cmdline if a.startswith(b"--type=")), "browser")
            kinds[int(entry.name)] = kind

    def descends(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == os.getpid():
                return True
        return False

    return {pid: kind for pid, kind in kinds.items() if descends(pid)}


def status_mib(pid: int) -> dict[str, float]:
    """VmRSS and RssAnon of a process, in MiB (0 once it is gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {"VmRSS": 0.0, "RssAnon": 0.0}
    fields = dict(line.split(":", 1) for line in lines if line.startswith(("VmRSS", "RssAnon")))
    return {key: int(value.split()[0]) / 1024 for key, value in fields.items()}


def cpu_seconds(pid: int) -> float:
    """User and system time of a process, all its threads."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def has_workers(pid: int) -> bool:
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
        return any((t / "comm").read_text().startswith("DedicatedWorker") for t in tasks)
    except OSError:
        return False


class Watch:
    """Samples the memory of Chromium's processes every 20 ms while a measurement runs: the
    resident set of the page's renderer (which holds the page and its workers), its anonymous
    part, and the resident sets of all the processes together; and counts the CPU time they
    take, which says what the hashing would cost on an idle machine."""

    def __init__(self) -> None:
        self.processes = chromium_processes()
        renderers = [pid for pid, kind in self.processes.items() if kind == "renderer"]
        self.renderer = next(pid for pid in renderers if has_workers(pid))
        self.before = self.sample()
        self.peak = dict(self.before)
        self.cpu = -sum(map(cpu_seconds, self.processes))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> dict[str, float]:
        page = status_mib(self.renderer)
        every = sum(status_mib(pid)["VmRSS"] for pid in self.processes)
        return {"rss": page["VmRSS"], "anon": page["RssAnon"], "all": every}

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            for key, value in self.sample().items():
                self.peak[key] = max(self.peak[key], value)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.cpu += sum(map(cpu_seconds, self.processes))
        self._stop.set()
        self._thread.join()

    def report(self) -> str:
        grown = {key: self.peak[key] - self.before[key] for key in self.peak}
        return (
            f"page's renderer RSS {self.before['rss']:.0f} → peak {self.peak['rss']:.0f} MiB "
            f"(+{grown['rss']:.0f}; anonymous memory +{grown['anon']:.0f}), all Chromium "
            f"processes +{grown['all']:.0f} MiB"
        )


def measure(page, start: str, script: str, arg=None) -> tuple[dict, Watch]:
    started = page.evaluate(start, arg)
    with Watch() as watch:
        answer = page.evaluate(script)
    page.evaluate(STOP)
    return {**answer, "started": started}, watch


def summary(size: int, answer: dict, watch: Watch) -> str:
    rate = size / 1e6 / answer["seconds"]
    return (
        f"**{rate:,.0f} MB/s** ({answer['seconds']:.2f} s; Chromium's CPU time {watch.cpu:.1f} s, "
        f"{size / 1e6 / watch.cpu:,.0f} MB per CPU-second); {watch.report()}"
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while piece := fh.read(8 * MIB):
            digest.update(piece)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, help="hash this file instead of a new random one")
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--workers", type=int, nargs="+", default=[0], help="0: the default")
    parser.add_argument("--slice-mib", type=int, nargs="+", default=[32])
    parser.add_argument("--skip-sha256", action="store_true", help="measure the pool only")
    # Quick: just above the size where the sha256 worker leaves crypto.subtle for hash-wasm
    # streaming (WHOLE in js/hash-worker.js), the path the full run measures.
    args = arguments(parser, size_mib=257)

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="hub-bench-browser-hash-"))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(ROOT / "static"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    chromium = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
    try:
        path = args.file
        if path is None:
            path = work / "big.bin"
            make_file(path, args.size_mib * MIB)
        size = path.stat().st_size
        started = time.perf_counter()
        expected = blob_id_of_file(path)
        print(f"file {size / MIB:,.0f} MiB; hub.blobid in Python: "
              f"{size / 1e6 / (time.perf_counter() - started):,.0f} MB/s")  # fmt: skip
        violations = []
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page()
            page.on("console", lambda m: "Content Security" in m.text and violations.append(m))
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
            page.set_input_files("#file", path)
            rates = []
            for workers in args.workers:
                for slice_mib in args.slice_mib:
                    config = {"workers": workers, "slice": slice_mib * MIB}
                    answer, watch = measure(page, POOL_START, POOL, config)
                    assert answer["result"] == expected, (answer["result"], expected)
                    rates.append(size / 1e6 / answer["seconds"])
                    print(f"Blob ID pool, {answer['started']} workers, {slice_mib} MiB slices: "
                          f"{summary(size, answer, watch)}")  # fmt: skip
            if not args.skip_sha256:
                answer, watch = measure(page, SHA256_START, SHA256)
                assert answer["result"] == file_sha256(path)
                baseline = size / 1e6 / answer["seconds"]
                print(f"sha256 worker (hash-wasm streaming, the fallback): "
                      f"{summary(size, answer, watch)}")  # fmt: skip
                print(f"ratio, best pool / sha256 worker: **{max(rates) / baseline:.1f}×**")
            browser.close()
        assert not violations, [m.text for m in violations]
        version = subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout
        print(f"{version.strip()}, {os.cpu_count()} cores, load average "
              f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}")  # fmt: skip
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
