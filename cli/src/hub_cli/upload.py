"""`hub upload`: hash every file first, ask the hub's plan once for all of them, link or skip
what it already has, and send only new content: small files many to a request, which the
hub checks before it answers; a larger one as an upload of chunks (resuming one an earlier
run left unfinished), as many chunks per request as the hub takes, then wait until the hub
has verified it (at once when the whole file went in one request).

A large file of a size no other file of the run has is first announced by its size alone:
when the hub answers that no copy of it can exist there, it is sent while it is hashed and
its sha256 declared after its bytes, which saves a whole reading of the file before the
transfer. Otherwise ("hash") it is hashed and asked about like the others.

Two files of the same new content in one run are sent once: the first is uploaded, the
others are linked to it once it is in the release.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx
from rich.progress import Progress, TaskID

from hub_cli import output
from hub_cli.client import CONFLICT, FAILED, USAGE, Client, HubError, Stopped
from hub_cli.refs import Ref

PIECE = 1024 * 1024  # bytes read from the file at a time while a chunk is sent
ONE_REQUEST = 8 * 1024 * 1024  # files up to this (and a chunk) go in batches, not as uploads
# Files from this size are first asked about by their size (HUB_SEND_WHILE_HASHING in the
# environment changes it; 0 turns it off).
SEND_WHILE_HASHING = 64 * 1024 * 1024
RESYNCS = 10  # 409 answers with the upload's state followed before giving up on a file


@dataclass(eq=False)  # each file is itself: items go in sets
class Item:
    """One local file and what happened to it."""

    source: Path
    path: str  # its path in the release
    size: int = 0
    sha256: str = ""
    outcome: str = ""  # uploaded, linked, present, conflict, invalid, failed
    message: str = ""
    sent: int = 0  # bytes sent by this run
    resumed_at: int = 0  # first chunk this run sent, when an earlier run sent some
    chunk_count: int = 0
    upload_url: str = ""  # while the hub verifies it
    mtime_ns: int = 0  # when sent while hashed: its modification time before


def collect(paths: list[Path]) -> list[Item]:
    """The files to upload: a file goes at its name, a folder's files at their paths relative
    to that folder (symbolic links to folders are not followed)."""
    items: list[Item] = []
    seen: dict[str, Path] = {}
    for given in paths:
        if given.is_dir():
            found = [Path(folder, f) for folder, _dirs, files in os.walk(given) for f in files]
            pairs = sorted(
                ((f, f.relative_to(given).as_posix()) for f in found if f.is_file()),
                key=lambda pair: pair[1],
            )
        elif given.is_file():
            pairs = [(given, given.name)]
        else:
            raise HubError(f"{given}: no such file or folder.", code=USAGE)
        for source, path in pairs:
            if path in seen:
                raise HubError(
                    f"“{path}” would come from both {seen[path]} and {source}.", code=USAGE
                )
            seen[path] = source
            items.append(Item(source=source, path=path))
    if not items:
        raise HubError("Nothing to upload: the folders given hold no files.", code=USAGE)
    return items


class Uploader:
    def __init__(self, client: Client, ref: Ref, version: str, *, jobs: int, timeout: float):
        self.client = client
        self.ref = ref
        self.version = version
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.bars: Progress = output.progress()
        self.one_request = 0  # learnt from the plan's answer
        self.send_while_hashing = _env_size("HUB_SEND_WHILE_HASHING", SEND_WHILE_HASHING)
        self._total: TaskID | None = None

    def _api(self, *more: str) -> str:
        return self.ref.api("releases", self.version, *more)

    def run(self, items: list[Item]) -> None:
        with self.bars:
            by_size = _sized(items, self.send_while_hashing)
            self._hash([i for i in items if i not in by_size])
            plan = self._plan(items)
            if again := [i for i, a in zip(items, plan, strict=True) if a.get("action") == "hash"]:
                self._hash(again)
                answers = dict(zip(again, self._plan(again), strict=True))
                plan = [answers.get(i, a) for i, a in zip(items, plan, strict=True)]
            leaders: dict[str, Item] = {}
            followers: list[Item] = []
            links: list[Item] = []
            for item, answer in zip(items, plan, strict=True):
                action = answer.get("action")
                if action in ("present", "conflict", "invalid"):
                    item.outcome = action
                    item.message = answer.get("message", "")
                    continue
                item.path = answer.get("path", item.path)  # the hub's canonical form
                if action == "link":
                    item.message = (answer.get("source") or {}).get("label", "")
                    links.append(item)
                elif item.sha256 in leaders:
                    followers.append(item)
                else:
                    leaders[item.sha256 or f"path:{item.path}"] = item
            to_send = sum(i.size for i in leaders.values())
            if leaders:
                self._total = self.bars.add_task("uploading", total=to_send)
            self._each(self._guarded(self._link), links)
            small = [i for i in leaders.values() if _batchable(i, self.one_request)]
            self._each(self._send_batch, _batches(small))
            large = [i for i in leaders.values() if not _batchable(i, self.one_request)]
            self._each(self._guarded(self._upload), large)
            self._wait_all([i for i in leaders.values() if i.outcome == "verifying"])
            for item in followers:
                leader = leaders[item.sha256]
                if leader.outcome in ("uploaded", "present"):
                    item.message = f"same content as {leader.path}"
                    self._guarded(self._link)(item)
                else:
                    item.outcome, item.message = "failed", f"not sent: {leader.path} failed"

    def _plan(self, items: list[Item]) -> list[dict]:
        """The hub's plan for `items`: those not hashed yet are asked about by size."""
        entries = [
            {"path": i.path, "size": i.size, **({"sha256": i.sha256} if i.sha256 else {})}
            for i in items
        ]
        answer = self.client.post(self._api("plan"), {"files": entries})
        self.one_request = min(ONE_REQUEST, answer.get("chunk_size", 0))
        return answer["files"]

    def _hash(self, items: list[Item]) -> None:
        if not items:
            return
        task = self.bars.add_task("hashing", total=sum(i.source.stat().st_size for i in items))

        def one(item: Item) -> None:
            digest, size = hashlib.sha256(), 0
            try:
                with item.source.open("rb") as file:
                    while piece := file.read(PIECE):
                        if self.client.stopping.is_set():
                            raise Stopped
                        digest.update(piece)
                        size += len(piece)
                        self.bars.advance(task, len(piece))
            except OSError as exc:
                raise HubError(f"{item.source}: {exc.strerror or exc}.") from None
            item.size, item.sha256 = size, digest.hexdigest()

        self._each(one, items)
        self.bars.remove_task(task)

    def _each(self, step: Callable[[Item], None], items: Iterable[Item]) -> None:
        """`step` for every item, `jobs` at a time. On Ctrl-C (or an unexpected error) the
        other threads are told to stop and the exception goes on once they have."""
        pool = ThreadPoolExecutor(self.jobs)
        try:
            for future in [pool.submit(step, item) for item in items]:
                future.result()
        except BaseException:
            self.client.stopping.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _guarded(self, step):
        """Run `step(item)`; a HubError becomes the item's outcome instead of stopping the run."""

        def run(item: Item) -> None:
            try:
                step(item)
            except HubError as exc:
                item.outcome = "conflict" if exc.code == CONFLICT else "failed"
                item.message = exc.message
            except OSError as exc:
                item.outcome, item.message = "failed", f"{item.source}: {exc.strerror or exc}"

        return run

    def _link(self, item: Item) -> None:
        try:
            self.client.post(self._api("link"), {"path": item.path, "sha256": item.sha256})
        except HubError as exc:
            if exc.status == 409 and exc.body.get("state") == "present":
                item.outcome, item.message = "present", "already in this release"
                return
            raise
        item.outcome = "linked"

    def _send_batch(self, batch: list[Item]) -> None:
        """Small files, many in one request: a multipart part each, with its sha256; the
        hub checks each against its digest and answers an outcome a file."""
        try:
            fields = []
            for item in batch:
                data = item.source.read_bytes()
                if len(data) != item.size:
                    raise HubError(f"{item.source}: the file changed while it was uploaded.")
                digest = base64.b64encode(bytes.fromhex(item.sha256)).decode()
                headers = {"Content-Digest": f"sha-256=:{digest}:"}
                fields.append(("file", (item.path, data, "application/octet-stream", headers)))
            request = httpx.Request("POST", self.client.url, files=fields)
            body = request.read()
            answer = self.client.request(
                "POST",
                self._api("files"),
                content=lambda: body,
                headers={"Content-Type": request.headers["Content-Type"]},
            ).json()["files"]
        except HubError as exc:
            for item in batch:
                item.outcome = "conflict" if exc.code == CONFLICT else "failed"
                item.message = exc.message
            return
        except OSError as exc:
            for item in batch:
                item.outcome, item.message = "failed", f"{exc.strerror or exc}"
            return
        for item, outcome in zip(batch, answer, strict=True):
            status = outcome["status"]
            item.outcome = _BATCH_OUTCOMES.get(status, "failed")
            item.message = outcome.get("detail", "")
            if status == "added":
                item.sent = item.size
            elif status == "present":
                item.message = "already in this release"
        self._advance_total(sum(item.size for item in batch))

    def _upload(self, item: Item) -> None:
        digest = {"sha256": item.sha256} if item.sha256 else {}  # else: declared once sent
        try:
            state = self.client.post(
                self._api("uploads"),
                {"path": item.path, "size": item.size, **digest, "direct": True},
            )
        except HubError as exc:
            if exc.status == 409 and exc.body.get("state") == "present":
                item.outcome, item.message = "present", "already in this release"
                self._advance_total(item.size)
                return
            raise
        item.chunk_count = state["chunk_count"]
        if state["chunks_received"]:
            item.resumed_at = state["chunks_received"]
        bar = self.bars.add_task(item.path, total=item.size)
        done_before = min(item.size, state["chunks_received"] * state["chunk_size"])
        self.bars.update(bar, completed=done_before)
        self._advance_total(done_before)
        hashed = None if item.sha256 else _Hashed()
        try:
            with item.source.open("rb") as file:
                state = self._send(item, file, state, bar, done_before, hashed)
                if hashed is not None and state["status"] == "receiving":
                    state = self._declare(item, file, state, hashed)
        finally:
            self.bars.remove_task(bar)
        self._settle(item, state)

    def _declare(self, item: Item, file: BinaryIO, state: dict, hashed: _Hashed) -> dict:
        """Give the sha256 of a file sent while it was hashed (of the bytes sent, unless the
        file changed meanwhile: then the upload is cancelled)."""
        item.sha256 = hashed.finish(file)
        now = os.fstat(file.fileno())
        if now.st_size != item.size or now.st_mtime_ns != item.mtime_ns:
            self.client.request("DELETE", state["url"])
            raise HubError(f"{item.source}: the file changed while it was uploaded.")
        return self.client.request("PATCH", state["url"], json={"sha256": item.sha256}).json()

    @staticmethod
    def _settle(item: Item, state: dict) -> None:
        if state["status"] == "verifying":  # waited for with the others, see _wait_all
            item.outcome, item.upload_url = "verifying", state["url"]
        elif state["status"] == "done":
            item.outcome = "uploaded"
        else:
            item.outcome = "failed"
            item.message = state.get("error") or f"the upload is {state['status']}"

    def _send(
        self,
        item: Item,
        file: BinaryIO,
        state: dict,
        bar: TaskID,
        shown: int,
        hashed: _Hashed | None = None,
    ) -> dict:
        """Send the chunks the hub still lacks, in order, as many in one request as the hub
        takes (`request_max`): a whole file sent in one request is verified as it arrives,
        with no second reading of its bytes. `shown` is what the bar shows; `hashed` takes
        the bytes sent, when they are hashed as they go. A direct upload's chunks go to the
        storage instead (`_send_parts`)."""
        if state.get("direct"):
            return self._send_parts(item, file, state, bar, hashed)
        resyncs = 0
        while state["status"] == "receiving" and state["chunks_received"] < state["chunk_count"]:
            index = state["chunks_received"]
            size = state["chunk_size"]
            offset = index * size
            per_request = max(1, state.get("request_max", size) // size) * size
            length = max(0, min(per_request, item.size - offset))
            body, rewind = self._body(file, offset, length, bar, hashed)
            try:
                state = self.client.request(
                    "PUT",
                    f"{state['url']}/chunks/{index}",
                    content=body,
                    headers={
                        "Content-Type": "application/octet-stream",
                        "Content-Length": str(length),
                    },
                    on_retry=rewind,
                ).json()
            except HubError as exc:
                rewind()
                upload = exc.body.get("upload")
                # Another run (or a retry whose answer was lost) moved the upload on: go on
                # from where the hub says it is.
                if exc.status == 409 and isinstance(upload, dict) and resyncs < RESYNCS:
                    resyncs += 1
                    state = upload
                    received = min(item.size, state["chunks_received"] * state["chunk_size"])
                    self.bars.advance(bar, received - shown)
                    self._advance_total(received - shown)
                    shown = received
                    continue
                raise
            item.sent += length
            shown += length
        return state

    def _send_parts(
        self, item: Item, file: BinaryIO, state: dict, bar: TaskID, hashed: _Hashed | None
    ) -> dict:
        """A direct upload: each chunk the hub lacks goes to its presigned part URL, then the
        hub is told how far they went (it checks them at the storage and answers the next
        URLs)."""
        stalls = 0
        while state["status"] == "receiving" and state["chunks_received"] < state["chunk_count"]:
            start, size = state["chunks_received"], state["chunk_size"]
            urls = state.get("part_urls") or {}
            through = start
            while str(through) in urls:
                offset = through * size
                length = min(size, item.size - offset)
                body, rewind = self._body(file, offset, length, bar, hashed)
                self.client.put_storage(urls[str(through)], body, length, rewind)
                item.sent += length
                through += 1
            try:
                state = self.client.post(f"{state['url']}/parts", {"through": through})
            except HubError as exc:
                upload = exc.body.get("upload")
                if exc.status != 409 or not isinstance(upload, dict) or stalls >= RESYNCS:
                    raise
                stalls += 1  # a part that did not arrive whole: send from there again
                state = self.client.get(state["url"])
                lost = min(item.size, through * size) - min(
                    item.size, state["chunks_received"] * size
                )
                self.bars.advance(bar, -lost)
                self._advance_total(-lost)
                item.sent -= lost
        return state

    def _body(self, file: BinaryIO, offset: int, length: int, bar: TaskID, hashed):
        """A request body of `length` bytes of `file` from `offset`, made anew for each
        attempt (fed to `hashed` when the file is hashed as it goes), and the `rewind` that
        takes an interrupted attempt's bytes off the progress bars."""
        counted = [0]

        def rewind() -> None:
            self.bars.advance(bar, -counted[0])
            self._advance_total(-counted[0])
            counted[0] = 0

        def body() -> Iterator[bytes]:
            file.seek(offset)
            pieces = self._pieces(file, length, bar, counted)
            return hashed.tap(pieces, offset) if hashed is not None else pieces

        return body, rewind

    def _pieces(self, file: BinaryIO, length: int, bar: TaskID, counted: list[int]):
        left = length
        while left > 0:
            if self.client.stopping.is_set():
                raise Stopped
            piece = file.read(min(PIECE, left))
            if not piece:
                raise HubError(f"{file.name}: the file became shorter while it was sent.")
            left -= len(piece)
            counted[0] += len(piece)
            self.bars.advance(bar, len(piece))
            self._advance_total(len(piece))
            yield piece

    def _wait_all(self, items: list[Item]) -> None:
        """Poll the uploads the hub is still verifying, all in one loop once every file is
        sent: no job slot waits while the hub checks a file, so many small files go as fast
        as the hub verifies them."""
        if not items:
            return
        task = self.bars.add_task("verifying", total=len(items))
        deadline = time.monotonic() + self.timeout
        delay, pending = 0.05, items
        while pending:
            if time.monotonic() > deadline:
                for item in pending:
                    item.outcome = "failed"
                    item.message = (
                        f"still being verified after {self.timeout:.0f} s; it appears in the "
                        "release once the hub has checked it (see `hub ls`)."
                    )
                break
            self.client.pause(delay)
            delay = min(delay * 1.5, 1.0)
            still = []
            for item in pending:
                self._guarded(lambda it: self._settle(it, self.client.get(it.upload_url)))(item)
                if item.outcome == "verifying":
                    still.append(item)
                else:
                    self.bars.advance(task, 1)
            pending = still
        self.bars.remove_task(task)

    def _advance_total(self, count: int) -> None:
        if self._total is not None and count:
            self.bars.advance(self._total, count)


class _Hashed:
    """The sha256 of a file from the pieces sent, in order: bytes sent again after a retry
    are not hashed twice, and `finish` reads any that were not sent (a resynchronisation
    may skip some)."""

    def __init__(self):
        self.digest = hashlib.sha256()
        self.upto = 0

    def tap(self, pieces: Iterator[bytes], offset: int) -> Iterator[bytes]:
        for piece in pieces:
            end = offset + len(piece)
            if offset <= self.upto < end:
                self.digest.update(memoryview(piece)[self.upto - offset :])
                self.upto = end
            offset = end
            yield piece

    def finish(self, file: BinaryIO) -> str:
        file.seek(self.upto)
        while piece := file.read(PIECE):
            self.digest.update(piece)
        return self.digest.hexdigest()


def _env_size(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        raise HubError(f"{name} must be a number of bytes.", code=USAGE) from None


def _sized(items: list[Item], least: int) -> set[Item]:
    """Files asked about by size first: large, and of a size no other file of the run has
    (two files of one size may be one content, sent once). Their sizes are read here."""
    sizes: dict[int, list[Item]] = {}
    for item in items:
        size = item.source.stat().st_size
        sizes.setdefault(size, []).append(item)
    chosen = set()
    for size, same in sizes.items():
        if 0 < least <= size and len(same) == 1:
            same[0].size = size
            same[0].mtime_ns = same[0].source.stat().st_mtime_ns
            chosen.add(same[0])
    return chosen


_BATCH_OUTCOMES = {"added": "uploaded", "present": "present", "conflict": "conflict"}
BATCH_BYTES = 16 * 1024 * 1024  # small files sent together, up to this many bytes
BATCH_FILES = 200  # ... or this many files a request


def _batchable(item: Item, most: int) -> bool:
    """Small, with a path a multipart file name carries as it is (a quote, a percent sign, a
    backslash or a line break may come out changed): other files go as uploads."""
    return item.size <= most and not any(c in item.path for c in '"%\\\r\n')


def _batches(items: list[Item]) -> list[list[Item]]:
    """Small files in requests of at most BATCH_BYTES and BATCH_FILES."""
    batches: list[list[Item]] = []
    size = 0
    for item in items:
        if not batches or len(batches[-1]) >= BATCH_FILES or size + item.size > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += item.size
    return batches


def report(ref: Ref, version: str, items: list[Item], *, quiet: bool) -> int:
    """Print one line per file and a summary; return the exit code."""
    width = max(len(i.outcome) for i in items)
    if not quiet:
        for item in items:
            output.say(f"{item.outcome:<{width}}  {item.path}{_detail(item)}")
    counts = {o: sum(i.outcome == o for i in items) for o in _OUTCOMES}
    sent = sum(i.sent for i in items)
    parts = [f"{counts['uploaded']} uploaded ({output.human_size(sent)} sent)"]
    parts += [f"{counts['linked']} linked", f"{counts['present']} already there"]
    parts += [output.plural(counts["conflict"], "conflict")]
    parts += [f"{counts['failed'] + counts['invalid']} failed"]
    output.say(f"{ref.full_name} {version}: " + ", ".join(parts) + ".")
    failed = counts["failed"] + counts["invalid"]
    if failed:
        resumable = (
            "; run the same command again to resume"
            if any(i.outcome == "failed" and i.sent for i in items)
            else ""
        )
        output.err.print(f"hub: {output.plural(failed, 'file')} failed{resumable}.", markup=False)
        return FAILED
    if counts["conflict"]:
        output.err.print(
            f"hub: {output.plural(counts['conflict'], 'file')} in conflict with the release: "
            "upload changed files to a new release (`hub release`).",
            markup=False,
        )
        return CONFLICT
    return 0


_OUTCOMES = ("uploaded", "linked", "present", "conflict", "invalid", "failed")


def _detail(item: Item) -> str:
    if item.outcome == "uploaded":
        resumed = (
            f", resumed at chunk {item.resumed_at + 1} of {item.chunk_count}"
            if item.resumed_at
            else ""
        )
        return f" ({output.human_size(item.size)}{resumed})"
    if item.outcome == "linked":
        return f" ({item.message})" if item.message else " (no transfer)"
    if item.outcome == "present":
        return " (already in this release)"
    return f": {item.message}" if item.message else ""
