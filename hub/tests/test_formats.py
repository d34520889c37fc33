"""Sizes as the hub writes them for people: one convention (hub/formats.py) on every page."""

import re

import pytest
from django.urls import reverse

from hub.formats import byte_count, human_size
from releases.services.files import file_add_content
from tests.factories import RepositoryFactory


@pytest.mark.parametrize(
    ("size", "short", "exact"),
    [
        (0, "0 bytes", "0 bytes"),
        (1, "1 byte", "1 byte"),
        (2, "2 bytes", "2 bytes"),
        (1023, "1,023 bytes", "1,023 bytes"),
        (1024, "1.0 KiB", "1,024 bytes"),
        (25 * 1024 * 1024, "25.0 MiB", "26,214,400 bytes"),
    ],
)
def test_sizes_are_written_with_the_right_number(size, short, exact):
    assert (human_size(size), byte_count(size)) == (short, exact)


@pytest.mark.django_db
def test_a_one_byte_file_is_one_byte_on_every_page(client, owner, shared_storage):
    repo = RepositoryFactory(owner=owner, name="tiny")
    file_add_content(release=repo.latest_release, path="one.txt", data=b"x", user=owner)
    kwargs = {"owner": "alice", "name": "tiny", "version": "v1.00"}
    pages = [
        repo.get_absolute_url(),
        reverse("release_detail", kwargs=kwargs),
        reverse("file_detail", kwargs={**kwargs, "path": "one.txt"}),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "1 byte" in html, url
        assert not re.search(r"\b1 bytes", html), url
