"""A file's size on the pages that show it, written as hub/formats.py writes sizes."""

import re

import pytest
from django.urls import reverse

from releases.services.files import file_add_content
from tests.factories import RepositoryFactory


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
