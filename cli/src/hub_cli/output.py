"""Consoles and progress bars: results on standard output, progress and errors on standard
error, so that scripts can read one and people watch the other."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

out = Console(highlight=False, soft_wrap=True)
if not out.is_terminal:
    out.width = 1000  # tables read by scripts keep whole rows (sha256, Blob IDs)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def say(text: str) -> None:
    """A line of results, printed as it is (no markup: paths may hold brackets)."""
    out.print(text, markup=False)


def progress(*, enabled: bool = True) -> Progress:
    """Byte progress bars on standard error; shown only on a terminal."""
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(bar_width=30),
        DownloadColumn(binary_units=True),
        _Speed(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not (enabled and err.is_terminal),
    )


class _Speed(ProgressColumn):
    """Bytes a second in the units of the sizes (KiB, MiB)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        shown = f"{human_size(int(speed))}/s" if speed else ""
        return Text(shown, style="progress.data.speed")


def byte_count(size: int) -> str:
    """The exact size: 1 byte, 26,214,400 bytes."""
    return "1 byte" if size == 1 else f"{size:,} bytes"


def human_size(size: int) -> str:
    """1,023 bytes, 1.5 KiB, 12.0 MiB: the hub's convention."""
    if size < 1024:
        return byte_count(size)
    value = float(size)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"
