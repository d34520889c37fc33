"""The bounds of hub.markdown, which every page, form and API renders Markdown through."""

import pytest

from hub.markdown import (
    MAX_NESTING,
    MAX_SOURCE_CHARS,
    Unrenderable,
    render_markdown,
    render_markdown_or_notice,
)
from tests.hostile_markdown import nested_list, reference_bomb

CARD = "# Card\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```\n\n" + "Words. " * 60


def test_the_reference_link_bomb_is_too_large_to_render():
    with pytest.raises(Unrenderable, match=r"too large to render: its HTML would pass 1\.0 MiB"):
        render_markdown(reference_bomb())


def test_a_list_nested_300_levels_is_refused_not_a_recursion_error():
    with pytest.raises(Unrenderable, match="nested too deeply to render"):
        render_markdown(nested_list(300))
    with pytest.raises(Unrenderable, match="nested too deeply"):  # inline: "- - - - x"
        render_markdown("- " * 1000 + "x\n")
    assert render_markdown(nested_list(MAX_NESTING)).count("<ul>") == MAX_NESTING


def test_text_past_the_source_limit_is_refused_before_any_rendering():
    with pytest.raises(Unrenderable, match=f"at most {MAX_SOURCE_CHARS:,}"):
        render_markdown("a" * (MAX_SOURCE_CHARS + 1))


def test_a_text_that_renders_too_slowly_is_stopped_at_the_deadline(settings):
    # 100,000 `[` would take Python-Markdown many minutes; the child is killed after 1 s.
    settings.HUB_MARKDOWN_SECONDS = 1
    with pytest.raises(Unrenderable, match="takes longer than 1 s"):
        render_markdown("[" * 100_000)


def test_toc_markers_are_text_not_copies_of_every_heading():
    html = render_markdown("# a\n\n[TOC]\n\n# b\n\n[TOC]\n")
    assert html.count("[TOC]") == 2 and "toc" not in html.replace("[TOC]", "")


def test_a_card_renders_the_same_in_a_child_process_as_in_the_request():
    # Longer than IN_PROCESS_CHARS: rendered by a forked child.
    html = render_markdown(CARD)
    assert '<h1 id="user-content-card">Card</h1>' in html and "<table>" in html
    assert '<div class="highlight">' in html and html.count("Words.") == 60


def test_the_editor_preview_shows_why_instead_of_failing():
    assert "nested too deeply to render" in render_markdown_or_notice(nested_list(300))
    notice = render_markdown_or_notice(reference_bomb())
    assert notice.startswith('<p class="markdown-unrendered">') and len(notice) < 500
