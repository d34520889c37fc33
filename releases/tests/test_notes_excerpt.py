"""Lists of releases show a short excerpt of each release's notes, made when the notes are
written; the notes' HTML (up to 1 MiB each) only on the release's own page. Notes of links
without words rendered to 880 KB each, and the list showed all of it, twenty to a page."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from releases.models import NOTES_EXCERPT_CHARS, Release
from releases.services.releases import release_create
from tests.hostile_markdown import reference_bomb

pytestmark = pytest.mark.django_db

WORDLESS = "[](x)" * 16000  # 80 KB of links without words: 880 KB of HTML, under the bound
NOTES = """## What's new

- Faster *loading*: half the memory
- Fixed a bug in the `<tokenizer>`

See [the changelog](https://example.com/changes) & the docs.
"""


def releases_url(repo) -> str:
    return reverse("release_list", kwargs={"owner": repo.owner.username, "name": repo.name})


def test_a_page_of_releases_with_wordless_notes_stays_small(personas, owner, public_repo):
    first = release_create(repository=public_repo, bump="minor", notes=WORDLESS, user=owner)
    assert len(first.notes_html) > 800_000  # accepted: under hub.markdown's bound
    copies = [  # the same notes, as the service stores them, without rendering them 19 times
        Release(repository=public_repo, major=1, minor=2 + i, notes=first.notes,
                notes_html=first.notes_html, notes_excerpt=first.notes_excerpt, created_by=owner)
        for i in range(19)
    ]  # fmt: skip
    Release.objects.bulk_create(copies)
    for persona in ("anonymous", "other", "owner", "staff"):
        page = personas[persona].get(releases_url(public_repo))
        assert page.status_code == 200
        assert len(page.content) < 200_000, (persona, len(page.content))
        text = page.content.decode()
        assert text.count("Notes without text") == 20
        assert 'href="x"' not in text
    detail = personas["anonymous"].get(first.get_absolute_url())
    assert detail.content.decode().count('href="x"') == 16000  # the release's own page: all


def test_the_list_shows_the_start_of_the_notes_text(personas, owner, public_repo):
    release_create(repository=public_repo, bump="minor", notes=NOTES, user=owner)
    release_create(repository=public_repo, bump="minor", notes="word " * 200, user=owner)
    page = personas["anonymous"].get(releases_url(public_repo))
    text = page.content.decode()
    assert (
        "What&#x27;s new · Faster loading: half the memory · Fixed a bug in the "
        "&lt;tokenizer&gt; · See the changelog &amp; the docs." in text
    )
    assert "<li>" not in text and "<h2 id=" not in text  # text, never the notes' HTML
    long = Release.objects.get(repository=public_repo, minor=2).notes_excerpt
    assert long.endswith("word…") and len(long) <= NOTES_EXCERPT_CHARS
    assert long in text
    assert "No release notes." in text  # v1.00
    detail = personas["anonymous"].get(
        Release.objects.get(repository=public_repo, minor=1).get_absolute_url()
    )
    assert "<li>Faster <em>loading</em>: half the memory</li>" in detail.content.decode()


def test_editing_notes_in_the_admin_renders_them_again(client, staff, owner, public_repo):
    release = release_create(repository=public_repo, bump="minor", notes="Old notes", user=owner)
    client.force_login(staff)
    url = f"/admin/releases/release/{release.pk}/change/"
    form = {"repository": public_repo.pk, "created_by": owner.pk}
    answer = client.post(url, {**form, "notes": "**New** notes"})
    assert answer.status_code == 302, answer.content[:2000]
    release.refresh_from_db()
    assert release.notes == "**New** notes"
    assert release.notes_html == "<p><strong>New</strong> notes</p>"
    assert release.notes_excerpt == "New notes"
    page = client.get(release.get_absolute_url()).content.decode()
    assert "<strong>New</strong> notes" in page and "Old notes" not in page
    assert "New notes" in client.get(releases_url(public_repo)).content.decode()

    refused = client.post(url, {**form, "notes": reference_bomb()})
    assert refused.status_code == 200
    assert "too large to render" in refused.content.decode()
    release.refresh_from_db()
    assert release.notes == "**New** notes"


def test_releases_written_before_the_excerpt_get_one(owner, public_repo):
    release = release_create(repository=public_repo, bump="minor", notes=NOTES, user=owner)
    excerpt = release.notes_excerpt
    Release.objects.update(notes_excerpt="")
    migration = importlib.import_module("releases.migrations.0012_release_notes_excerpt")
    migration.fill_excerpts(apps, None)
    release.refresh_from_db()
    assert release.notes_excerpt == excerpt
    assert excerpt.startswith("What's new · Faster loading")
