import pytest

from hub.markdown import markdown_excerpt, render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<svg><script>alert(1)</script></svg>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<form action="/accounts/logout/" method="post"><button>win</button></form>',
    "![x](javascript:alert(1))",
    '<p onmouseover="alert(1)">hover</p>',
    "<style>body{display:none}</style>",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_it_removes_everything_that_can_run(source):
    html = render_markdown(source).lower()
    for needle in ("<script", "onerror", "onmouseover", "javascript:", "<iframe", "style=",
                   "data:text", "<form", "<style", "<svg"):  # fmt: skip
        assert needle not in html


def test_it_keeps_headings_tables_code_and_images():
    html = render_markdown(
        "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint(1)\n```\n\n"
        "![chart](https://example.com/chart.png)\n"
    )
    assert '<h1 id="user-content-title">Title</h1>' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert '<div class="highlight"><pre>' in html
    assert '<img alt="chart" src="https://example.com/chart.png">' in html


def test_links_get_rel_nofollow():
    html = render_markdown("[site](https://example.com)")
    assert 'href="https://example.com"' in html
    assert 'rel="nofollow noopener noreferrer ugc"' in html


def test_excerpt_is_the_first_paragraph_as_text():
    assert markdown_excerpt("# Title\n\nSome **bold** &amp; text.\n\nMore.") == "Some bold & text."
    assert markdown_excerpt("") == ""
    assert len(markdown_excerpt("word " * 200)) <= 180


def test_site_classes_and_form_inputs_are_not_allowed():
    html = render_markdown(
        '<div class="message message-error">Your session expired</div>'
        '<a class="button" href="https://evil.example">Log in</a>'
        '<input type="password" name="p">\n\n- [x] done'
    )
    assert "message-error" not in html and 'class="button"' not in html
    assert 'type="password"' not in html
    assert html.count('type="checkbox"') == 2


def test_heading_ids_cannot_collide_with_the_page():
    assert '<h1 id="user-content-main">main</h1>' in render_markdown("# main")
