"""Command lines the site offers to copy and paste into a shell.

Names, paths and URLs come from users, and a pasted command runs with the reader's rights:
every word is quoted with `shlex.quote`, every word a user chose comes after `--` (the end of
options, for the tools that know it), and a file name given as an option's value starts with
`./` when it would otherwise start with `-`. Every snippet of the site is built here.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

__all__ = ["Line", "Raw", "command", "local_file"]


class Raw(str):
    """A word written by the site itself, kept as it is (e.g. one that expands `$HUB_TOKEN`)."""


def _word(word: str) -> str:
    return word if isinstance(word, Raw) else shlex.quote(word)


def local_file(name: str) -> str:
    """A file name in the current folder, as no tool can read it as an option or as `-`
    (standard input or output)."""
    return f"./{name}" if name.startswith("-") else name


class Line(str):
    """A command line that keeps its words as quoted, so that a page can wrap it between
    words rather than inside one (after the `-` of `-o`)."""

    words: tuple[str, ...] = ()


def command(*words: str, operands: Iterable[str] = ()) -> Line:
    """One line: the program, its options and their values, then `--` and the operands.

    Operands are the words users chose (repositories, paths, URLs); after `--` no tool takes
    them for options, however they are spelt."""
    quoted = [_word(w) for w in words]
    operands = [_word(o) for o in operands]
    if operands:
        quoted += ["--", *operands]
    line = Line(" ".join(quoted))
    line.words = tuple(quoted)
    return line
