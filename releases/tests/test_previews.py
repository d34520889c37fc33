"""What a file page shows of the file: Markdown through the cards' sanitizer, code highlighted,
CSV as a table, a plain word for binary, empty and removed content; only a bounded prefix is
read (locally and on S3), and the page is as private as the file."""

import io

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.functional import empty

from releases import previews
from releases.models import Blob
from releases.previews import Kind, render
from releases.services.files import file_add_content
from tests import s3
from tests.factories import RepositoryFactory
from tests.personas import who_may_read
from tests.s3 import moto_server


def page(client, rf):
    repo = rf.release.repository
    return client.get(repo.url("file_detail", version=rf.release.version, path=rf.path))


# The module, on bytes.


def test_a_readme_is_rendered_and_its_script_does_not_survive():
    readme = b"# Card\n\nHello <script>alert(1)</script> <img src=x onerror=alert(2)>\n"
    preview = render("README.md", readme, size=len(readme))
    assert preview.kind == Kind.MARKDOWN
    assert 'id="user-content-card">Card</h1>' in preview.html
    assert "<script" not in preview.html and "onerror" not in preview.html
    assert "alert(1)" not in preview.html.replace("&lt;", "")  # gone, not just escaped


def test_code_and_json_are_highlighted_with_the_sites_classes():
    code = b'def f(x):\n    return "<b>" + x\n'
    preview = render("model/train.py", code, size=len(code))
    assert preview.kind == Kind.CODE and preview.language == "Python"
    assert '<div class="highlight">' in preview.html
    assert '<span class="k">def</span>' in preview.html
    assert "&lt;b&gt;" in preview.html and "<b>" not in preview.html
    assert '<span class="linenos">1</span>' in preview.html
    data = b'{"hidden_size": 768, "layers": [1, 2]}\n'
    preview = render("config.json", data, size=len(data))
    assert preview.language == "JSON" and '<span class="nt">"hidden_size"</span>' in (preview.html)
    preview = render("params.yaml", b"lr: 0.1\n", size=8)
    assert preview.language == "YAML"


def test_a_file_without_a_known_language_is_plain_text():
    preview = render("LICENSE", b"MIT License\n\nCopyright\n", size=23)
    assert preview.kind == Kind.CODE and preview.language == "Text only"
    assert "MIT License" in preview.html


def test_a_csv_is_a_table_of_its_first_rows():
    rows = ["a,b,c"] + [f"{n},{n * 2},<i>{n}</i>" for n in range(250)]
    data = ("\n".join(rows) + "\n").encode()
    preview = render("data/train.csv", data, size=len(data))
    assert preview.kind == Kind.TABLE
    assert preview.header == ["a", "b", "c"]
    assert len(preview.rows) == previews.TABLE_ROWS == 100
    assert preview.rows[1] == ["1", "2", "<i>1</i>"]  # text: the template escapes it
    assert preview.note == "Showing the first 100 of 250 rows."
    tsv = b"x\ty\n1\t2\n3\n"
    small = render("small.tsv", tsv, size=len(tsv))
    assert small.header == ["x", "y"] and small.rows == [["1", "2"], ["3", ""]]
    assert small.note == "All 2 rows."


def test_a_large_file_shows_its_first_part_cut_at_a_line():
    data = b"".join(f"line {n}\n".encode() for n in range(1000))
    prefix = data[:1000]  # ends inside a line
    preview = render("notes.txt", prefix, size=len(data))
    assert preview.kind == Kind.CODE
    assert preview.html.count('class="linenos"') == 123  # lines 0-122; 123 is cut
    assert "line 122\n" in preview.html and "line 123" not in preview.html
    assert preview.note.startswith("Showing the first 1,000 bytes of 8.7 KiB")
    table = render("big.csv", b"a,b\n1,2\n3,4\n5,", size=10_000)
    assert table.rows == [["1", "2"], ["3", "4"]]  # not the row cut in half
    assert "the file has more" in table.note


def test_a_prefix_that_ends_inside_a_character_is_still_text():
    data = "é".encode() * 10  # two bytes each: cut after 5 bytes, inside the third
    preview = render("accents.txt", data[:5] + b"", size=len(data))
    assert preview.kind == Kind.CODE and "éé" in preview.html


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("weights.data", b"\x00\x01\x02binary"),  # a NUL byte
        ("latin1.txt", "café".encode("latin-1")),  # not UTF-8
        ("model.onnx", b"anything"),  # binary by its name, not read
        ("pytorch_model.bin", b"text-looking bytes"),
    ],
)
def test_binary_files_say_so(name, data):
    preview = render(name, data, size=len(data))
    assert preview.kind == Kind.BINARY and not preview.shows_content
    assert preview.html == "" and preview.note


def test_a_wide_table_over_many_short_rows_is_not_multiplied_into_cells():
    wide = "|a" * 400 + "|\n" + "|-" * 400 + "|\n" + "|a\n" * 400  # 160,000 cells as a table
    html = render("README.md", wide.encode(), size=len(wide)).html
    assert "<td" not in html and len(html) < 4 * len(wide)
    normal = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert "<td>1</td>" in render("README.md", normal.encode(), size=len(normal)).html


def test_a_csv_shows_at_most_fifty_columns():
    data = ("," * 129 + "\n" + "a\n" * 3).encode()
    preview = render("wide.csv", data, size=len(data))
    assert len(preview.header) == 50 and all(len(row) == 50 for row in preview.rows)
    assert "Showing the first 50 of 130 columns." in preview.note


# Through storage and the cache.


def test_only_the_limit_is_read_and_the_preview_is_cached(local_storage, owner, monkeypatch):
    monkeypatch.setattr(previews, "MAX_BYTES", 64)
    repo = RepositoryFactory(owner=owner)
    data = b"".join(f"row {n}\n".encode() for n in range(100))
    rf = file_add_content(release=repo.latest_release, path="log.txt", data=data, user=owner)
    preview = previews.file_preview(rf)
    assert "row 9" in preview.html and "row 10" not in preview.html
    assert preview.note.startswith("Showing the first 64 bytes of 690 bytes")
    default_storage.delete(rf.blob.storage_key)  # the next page does not read storage
    assert previews.file_preview(rf) == preview
    cache.clear()  # storage lost the object: the page says so and caches nothing
    unavailable = previews.file_preview(rf)
    assert unavailable.kind == Kind.UNAVAILABLE and "could not be read" in unavailable.note
    default_storage.save(rf.blob.storage_key, io.BytesIO(data))
    assert previews.file_preview(rf) == preview


def test_the_same_bytes_under_two_names_are_two_previews(local_storage, owner):
    repo = RepositoryFactory(owner=owner)
    data = b"x = 1\n"
    as_python = file_add_content(release=repo.latest_release, path="a.py", data=data, user=owner)
    as_js = file_add_content(release=repo.latest_release, path="b.js", data=data, user=owner)
    assert as_python.blob_id == as_js.blob_id
    assert previews.file_preview(as_python).language == "Python"
    assert previews.file_preview(as_js).language == "JavaScript"


def test_blocked_and_empty_files_show_nothing_of_their_content(local_storage, owner):
    repo = RepositoryFactory(owner=owner)
    rf = file_add_content(release=repo.latest_release, path="README.md", data=b"# Bad", user=owner)
    Blob.objects.filter(pk=rf.blob_id).update(blocked_at=timezone.now())
    rf.blob.refresh_from_db()
    assert previews.file_preview(rf) == previews.Preview(Kind.BLOCKED)
    empty_rf = file_add_content(release=repo.latest_release, path="e.txt", data=b"", user=owner)
    assert previews.file_preview(empty_rf).kind == Kind.EMPTY


@pytest.fixture
def s3_storage(settings):
    with moto_server("previews") as endpoint:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": s3.storage_backend(endpoint, "previews"),
        }
        default_storage._wrapped = empty
        yield
        default_storage._wrapped = empty


def test_on_s3_a_preview_reads_a_range_not_the_object(s3_storage, owner, monkeypatch):
    monkeypatch.setattr(previews, "MAX_BYTES", 1024)
    repo = RepositoryFactory(owner=owner)
    data = b"# Big card\n\n" + b"word " * 100_000
    rf = file_add_content(release=repo.latest_release, path="README.md", data=data, user=owner)
    gets = []
    events = default_storage.connection.meta.client.meta.events
    events.register("before-send.s3.GetObject", lambda request, **kw: gets.append(request))
    preview = previews.file_preview(rf)
    assert [request.headers["Range"] for request in gets] == [b"bytes=0-1023"]
    assert preview.kind == Kind.MARKDOWN and "Big card" in preview.html
    assert "Showing the first 1.0 KiB of 488.3 KiB" in preview.note


# The page.


@who_may_read
def test_the_preview_is_shown_to_who_may_read_the_file(
    local_storage, personas, owner, visibility, expected
):
    repo = RepositoryFactory(owner=owner, visibility=visibility)
    rf = file_add_content(
        release=repo.latest_release, path="docs/README.md", data=b"# Secret plan\n", user=owner
    )
    responses = {who: page(client, rf) for who, client in personas.items()}
    assert {who: r.status_code for who, r in responses.items()} == expected
    for who, response in responses.items():
        body = response.content.decode()
        assert ("Secret plan" in body) == (response.status_code == 200), who


def test_the_file_page_shows_a_table_and_a_binary_note(local_storage, client, owner):
    repo = RepositoryFactory(owner=owner)
    csv_rf = file_add_content(
        release=repo.latest_release, path="eval.csv", data=b"metric,value\nmae,<0.1>\n", user=owner
    )
    body = page(client, csv_rf).content.decode()
    assert '<th scope="col">metric</th>' in body and "<td>&lt;0.1&gt;</td>" in body
    assert "All 1 row." in body
    bin_rf = file_add_content(
        release=repo.latest_release, path="w.bin", data=b"\x00" * 10, user=owner
    )
    body = page(client, bin_rf).content.decode()
    assert "This is a binary file: there is nothing to preview." in body
    assert 'id="preview-title"' not in body


def test_a_blocked_file_page_shows_nothing_of_it(local_storage, client, owner):
    repo = RepositoryFactory(owner=owner)
    rf = file_add_content(
        release=repo.latest_release, path="notes.md", data=b"# Forbidden words", user=owner
    )
    Blob.objects.filter(pk=rf.blob_id).update(blocked_at=timezone.now())
    body = page(client, rf).content.decode()
    assert "Forbidden words" not in body and 'id="preview-title"' not in body
    assert "removed this content" in body


# Short lines and short tokens: line numbers and highlighting multiply them.

AMPLIFIERS = {
    "newlines.txt": b"\n" * previews.MAX_BYTES,
    "statements.py": b"a;" * (previews.MAX_BYTES // 2),
    "README.md": b"> " * 40 + b"quote\n" + b"\n" * (previews.MAX_BYTES - 86),  # too deep
}


@pytest.mark.parametrize("name", list(AMPLIFIERS))
def test_a_preview_never_passes_the_html_bound_and_says_what_it_shows(name):
    data = AMPLIFIERS[name]
    preview = render(name, data, size=len(data))
    assert preview.kind == Kind.CODE
    assert 1000 < len(preview.html) <= previews.MAX_HTML
    assert "the rest would make too large a page" in preview.note
    if name == "README.md":
        assert preview.fallback and "nested too deeply" in preview.note


def test_a_file_page_of_an_amplifying_file_is_bounded_and_so_is_its_cached_value(
    local_storage, client, owner
):
    repo = RepositoryFactory(owner=owner)
    rf = file_add_content(
        release=repo.latest_release, path="README.md", data=AMPLIFIERS["README.md"], user=owner
    )
    answer = page(client, rf)
    assert answer.status_code == 200
    assert len(answer.content) < previews.MAX_HTML + 200_000
    cached = cache.get(previews.cache_key(rf))
    assert cached.fallback and cached.chars <= previews.MAX_HTML
