"""Markdown written to hurt the renderer, as issue 21 found it."""


def reference_bomb(size: int = 73 * 1024) -> str:
    """One reference definition with a 60 KiB address, used as often as the rest of `size`
    allows: 73 KiB that Python-Markdown alone turns into about 100 MB of HTML."""
    head = "[x]: https://example.com/" + "a" * (60 * 1024) + "\n\n"
    return head + "[x] " * ((size - len(head)) // 4)


def nested_list(levels: int = 300) -> str:
    """A list nested `levels` deep, indented with tabs (47 KB for 300 levels): past about 250,
    Python-Markdown overflows the stack."""
    return "".join("\t" * level + "- item\n" for level in range(levels))
