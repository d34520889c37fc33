"""Rendering hostile and ordinary Markdown: time, HTML size and peak memory, without and with
the bounds of hub/markdown.py.

"unbounded" is Python-Markdown and nh3 as the hub called them before the bounds (the same
extensions, `[TOC]` markers on), in a forked child that is killed after --cap seconds;
"bounded" is `render_markdown` as every page, form and API calls it now. Each row: wall time,
the HTML's size (or why nothing was rendered) and the child's peak resident memory.

    .venv/bin/python bench/markdown_render.py            # 73 KiB bomb, 300-level list, 16 KiB runs
    .venv/bin/python bench/markdown_render.py --quick    # tiny sizes: seconds (CI runs this)
"""

import argparse
import os
import resource
import signal
import sys
import time

from common import arguments, configure

configure("hub_bench_markdown")

import markdown  # noqa: E402
import nh3  # noqa: E402

from demo.content import REPOSITORIES  # noqa: E402
from hub import markdown as bounded  # noqa: E402
from hub.formats import human_size  # noqa: E402


def reference_bomb(size: int) -> str:
    """One reference definition with a long address, used as often as the rest allows."""
    head = "[x]: https://example.com/" + "a" * (size * 5 // 6) + "\n\n"
    return head + "[x] " * ((size - len(head)) // 4)


def nested_list(levels: int) -> str:
    return "".join("\t" * i + "- item\n" for i in range(levels))  # tabs: 47 KB for 300


def fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def cases(size: int, levels: int) -> dict[str, str]:
    cards = "\n\n".join(r["description"] for r in REPOSITORIES)
    return {
        f"reference bomb {human_size(size * 73 // 16)}": reference_bomb(size * 73 // 16),
        f"list nested {levels} levels": nested_list(levels),
        f"'[' x {size:,}": "[" * size,
        f"nested links {size:,} chars": "[" * (size // 5) + "x" + "](u)" * (size // 5),
        f"'***' rules {size:,} chars": fill("***\n", size),
        f"[TOC] markers {size:,} chars": fill("# a\n\n[TOC]\n\n", size),
        f"demo cards ({len(cards):,} chars)": cards,
        f"demo cards x{size * 8 // len(cards)}": fill(cards + "\n\n", size * 8),
        f"worst at IN_PROCESS_CHARS ({bounded.IN_PROCESS_CHARS:,})": "[" * bounded.IN_PROCESS_CHARS,
    }


def unbounded(text: str) -> str:
    configs = dict(bounded.EXTENSION_CONFIGS)
    configs["markdown.extensions.toc"] = {"permalink": False}  # with its `[TOC]` marker
    html = markdown.markdown(
        text, extensions=bounded.EXTENSIONS, extension_configs=configs, output_format="html"
    )
    return nh3.clean(html, tags=bounded.ALLOWED_TAGS, attributes=bounded.ALLOWED_ATTRIBUTES)


def measured(render, text: str, cap: float) -> tuple[float, str, int]:
    """(seconds, what came out, peak RSS in bytes) of `render(text)` in a forked child."""
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            result = f"{human_size(len(render(text)))} of HTML"
        except bounded.Unrenderable as error:
            result = "refused: " + error.message.split(":")[0].removeprefix("This Markdown is ")
        except RecursionError:
            result = "RecursionError (a 500)"
        os.write(write_end, result.encode())
        os._exit(0)
    os.close(write_end)
    killed = False
    while True:
        done, _status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() - started > cap:
            os.kill(pid, signal.SIGKILL)
            killed = True
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    out = os.read(read_end, 4096).decode()
    os.close(read_end)
    if killed:
        out = f"still running after {cap:.0f} s: killed"
    return seconds, out, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=16 * 1024, help="characters of a run")
    parser.add_argument("--levels", type=int, default=300, help="levels of the nested list")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds an unbounded run gets")
    args = arguments(parser, size=1024, levels=40, cap=5.0)
    size, levels, cap = args.size, args.levels, args.cap
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    print(f"{'input':42} {'chars':>8}  {'way':9} {'seconds':>8}  {'peak RSS':>10}  result")
    for name, text in cases(size, levels).items():
        for way, render in (("unbounded", unbounded), ("bounded", bounded.render_markdown)):
            seconds, out, rss = measured(render, text, cap)
            print(
                f"{name:42} {len(text):>8,}  {way:9} {seconds:8.2f}  {human_size(rss):>10}  {out}",
                flush=True,
            )
    sys.exit(0)


if __name__ == "__main__":
    main()
