"""`hub download` and `hub verify`: files of a release written under a folder with their
paths, then checked against the release's listing (sha256 and Blob ID, computed here).

A download goes to `<file>.part` and takes the file's name only once its bytes, read back
from the disk, match; an interrupted download resumes the `.part` with a range request
(If-Range on the Blob ID, so a changed file starts over). A file already there with the
right content is not fetched again.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx

from hub_cli import output
from hub_cli.blobid import hash_file
from hub_cli.client import FAILED, NOT_FOUND, USAGE, Client, HubError
from hub_cli.refs import Ref


@dataclass
class Remote:
    """A file of the release (as listed by the API) and where it goes."""

    path: str
    size: int
    sha256: str
    blob_id: str
    download_url: str
    dest: Path = Path()
    outcome: str = ""  # downloaded, resumed, unchanged, ok / mismatch, missing, failed
    message: str = ""


def release_files(
    client: Client,
    ref: Ref,
    wanted: list[str],
    root: Path,
    *,
    options: Sequence[str] = (),
    command: str = "hub download",
) -> tuple[str, list[Remote]]:
    """The release's version and its files, all or those at the paths given (a folder's path
    selects what is in it), each with its place under `root`.

    `options` are the words the command line read as options: one that is also a path in the
    release is refused, as it may have been meant as one (a file named `--to=x` pasted without
    `--` before it)."""
    version = ref.resolve_version(client)
    files = _chosen(client, ref, version, wanted, options, command)
    for remote in files:
        remote.dest = destination(root, remote.path)
    return version, files


def _chosen(
    client: Client, ref: Ref, version: str, wanted: list[str], options, command: str
) -> list[Remote]:
    listed = client.get(ref.api("releases", version, "files"))
    files = [
        Remote(f["path"], f["size"], f["sha256"], f["blob_id"], f["download_url"]) for f in listed
    ]
    for word in options:
        if any(_selects(word, f.path) for f in files):
            example = f"{command} -- {ref.full_name}@{version} {shlex.quote(word)}"
            raise HubError(
                f"“{word}” was read as an option, but it is also a path in {ref.full_name} "
                f"{version}: write paths after “--” ({example}).",
                code=USAGE,
            )
    if not wanted:
        return files
    chosen: dict[str, Remote] = {}
    for raw in wanted:
        found = [f for f in files if _selects(raw, f.path)]
        if not found:
            raise HubError(f"“{raw}” is not in {ref.full_name} {version}.", code=NOT_FOUND)
        chosen.update((f.path, f) for f in found)
    return sorted(chosen.values(), key=lambda f: f.path)


def _selects(wanted: str, path: str) -> bool:
    """Whether the path asked for is the file's, or a folder holding it."""
    prefix = wanted.strip("/")
    return path == prefix or path.startswith(prefix + "/")


def destination(root: Path, path: str) -> Path:
    """Where `path` goes under `root`; refuses any path that would land outside it."""
    parts = path.split("/")
    pure = PurePosixPath(path)
    unsafe = (
        not path
        or pure.is_absolute()
        or any(p in ("", ".", "..") for p in parts)
        or any(os.sep in p or (os.altsep and os.altsep in p) for p in parts)
        or Path(parts[0]).drive
    )
    dest = root.joinpath(*parts)
    if not unsafe:
        real_root = root.resolve()
        unsafe = real_root not in dest.resolve().parents  # e.g. through a symbolic link
    if unsafe:
        raise HubError(f"Refusing “{path}”: it would be written outside {root}.", code=FAILED)
    return dest


def matches(path: Path, remote: Remote) -> tuple[bool, str]:
    """Whether the file on disk has the listed sha256 and Blob ID, and what differs."""
    with path.open("rb") as file:
        hasher = hash_file(file)
    if hasher.size != remote.size:
        return False, f"{output.byte_count(hasher.size)} instead of {remote.size:,}"
    if hasher.sha256() != remote.sha256:
        return False, f"sha256 {hasher.sha256()} instead of {remote.sha256}"
    if hasher.blob_id() != remote.blob_id:
        return False, f"Blob ID {hasher.blob_id()} instead of {remote.blob_id}"
    return True, ""


class Downloader:
    attempts = 4  # a connection that breaks mid-file is resumed this many times

    def __init__(self, client: Client) -> None:
        self.client = client
        self.bars = output.progress()
        self._done = 0  # bytes of the files finished so far, for the total bar

    def run(self, files: list[Remote]) -> None:
        with self.bars:
            self._total = self.bars.add_task("downloading", total=sum(f.size for f in files))
            for remote in files:
                try:
                    self._one(remote)
                except HubError as exc:
                    remote.outcome, remote.message = "failed", exc.message
                except OSError as exc:
                    remote.outcome, remote.message = "failed", f"{exc.strerror or exc}"
                self._done += remote.size
                self.bars.update(self._total, completed=self._done)

    def _one(self, remote: Remote) -> None:
        dest = remote.dest
        if dest.is_file() and dest.stat().st_size == remote.size and matches(dest, remote)[0]:
            remote.outcome = "unchanged"
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        bar = self.bars.add_task(remote.path, total=remote.size)
        resumed = False
        try:
            for attempt in range(1, self.attempts + 1):
                try:
                    resumed |= self._fetch(remote, part, bar)
                    break
                except httpx.TransportError as exc:
                    if attempt == self.attempts:
                        raise HubError(
                            f"the connection broke ({exc or type(exc).__name__}); run the same "
                            "command again to resume."
                        ) from None
                    self.client.pause(attempt)
            ok, why = matches(part, remote)
        finally:
            self.bars.remove_task(bar)
        if not ok:
            part.unlink()
            raise HubError(f"the bytes received do not match the release ({why}); not kept.")
        os.replace(part, dest)
        remote.outcome = "resumed" if resumed else "downloaded"

    def _fetch(self, remote: Remote, part: Path, bar) -> bool:
        """Fetch the file into `part`, continuing what is there; True when a range came."""
        have = part.stat().st_size if part.is_file() else 0
        if not 0 < have < remote.size:
            have = 0  # nothing to continue: fetch the whole file
        headers = {"Range": f"bytes={have}-", "If-Range": f'"{remote.blob_id}"'} if have else {}
        response = self.client.stream(remote.download_url, headers)
        try:
            served = response.headers.get("X-Blob-Id")
            if served and served != remote.blob_id:
                raise HubError(f"the hub served Blob ID {served}, not {remote.blob_id}.")
            if response.status_code != 206:
                have = 0  # the whole file came (a changed file, or ranges not honoured)
            ranged = bool(have)
            with part.open("ab" if have else "wb") as file:
                self._show(bar, have)
                for piece in response.iter_bytes(1024 * 1024):
                    file.write(piece)
                    have += len(piece)
                    self._show(bar, have)
        finally:
            response.close()
        return ranged

    def _show(self, bar, completed: int) -> None:
        self.bars.update(bar, completed=completed)
        self.bars.update(self._total, completed=self._done + completed)


def report_download(ref: Ref, version: str, files: list[Remote], root: Path, quiet: bool) -> int:
    if not quiet:
        for f in files:
            detail = f": {f.message}" if f.message else f" ({output.human_size(f.size)})"
            output.say(f"{f.outcome:<10}  {f.dest}{detail}")
    failed = [f for f in files if f.outcome == "failed"]
    fetched = sum(f.outcome in ("downloaded", "resumed") for f in files)
    unchanged = sum(f.outcome == "unchanged" for f in files)
    checked = "" if failed else "; sha256 and Blob IDs verified"
    output.say(
        f"{ref.full_name} {version}: {fetched} downloaded, {unchanged} already there, "
        f"{len(failed)} failed, in {root}{checked}."
    )
    if failed:
        output.err.print(f"hub: {output.plural(len(failed), 'file')} failed.", markup=False)
        return FAILED
    return 0


def verify(files: list[Remote], quiet: bool) -> int:
    """`hub verify`: compare the local copies with the listing; 1 when any differs."""
    for remote in files:
        if not remote.dest.is_file():
            remote.outcome, remote.message = "missing", "not on disk"
            continue
        ok, why = matches(remote.dest, remote)
        remote.outcome, remote.message = ("ok", "") if ok else ("mismatch", why)
    bad = [f for f in files if f.outcome != "ok"]
    if not quiet:
        for f in files:
            output.say(f"{f.outcome:<8}  {f.dest}" + (f": {f.message}" if f.message else ""))
    output.say(f"{len(files) - len(bad)} of {output.plural(len(files), 'file')} match the release.")
    if bad:
        output.err.print(
            f"hub: {output.plural(len(bad), 'file')} missing or different from the release.",
            markup=False,
        )
        return FAILED
    return 0
