"""A release's files as folders: the release page lists the top folder, `…/tree/<folder>` each
folder, with subfolders' sizes and counts, in a constant number of queries; as private as the
repository."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from releases import selectors
from releases.services.files import file_add_content
from tests.factories import RepositoryFactory
from tests.personas import who_may_read

pytestmark = pytest.mark.django_db
FILES = {
    "README.md": b"# Card\n",
    "config.json": b"{}\n",
    "onnx/model.onnx": b"x" * 1000,
    "onnx/model.onnx.data": b"y" * 3000,
    "onnx/fp16/model.onnx": b"z" * 500,
    "tokenizer/vocab & merges (v2).txt": b"a b\n",
}


@pytest.fixture
def repo(owner, shared_storage):
    repo = RepositoryFactory(owner=owner, name="tree-model")
    for path, data in FILES.items():
        file_add_content(release=repo.latest_release, path=path, data=data, user=owner)
    return repo


def tree_url(repo, folder: str) -> str:
    return repo.url("release_tree", version="v1.00", path=folder)


def test_the_top_lists_folders_with_their_sizes_then_files(repo):
    top = selectors.release_folder(release=repo.latest_release)
    assert [(f.name, f.size, f.count) for f in top.folders] == [
        ("onnx", 4500, 3),
        ("tokenizer", 4, 1),
    ]
    assert [f.name for f in top.files] == ["config.json", "README.md"]
    assert (top.count, top.size) == (6, sum(len(d) for d in FILES.values()))
    onnx = selectors.release_folder(release=repo.latest_release, path="onnx/")
    assert [(f.name, f.path, f.size, f.count) for f in onnx.folders] == [
        ("fp16", "onnx/fp16", 500, 1)
    ]
    assert [f.path for f in onnx.files] == ["onnx/model.onnx", "onnx/model.onnx.data"]
    assert [name for name, _url in onnx.crumbs] == ["onnx"]


def test_links_are_the_ones_django_reverses(repo):
    folder = selectors.release_folder(release=repo.latest_release, path="tokenizer")
    (rf,) = folder.files
    kwargs = {"owner": "alice", "name": "tree-model", "version": "v1.00", "path": rf.path}
    assert rf.url == reverse("file_detail", kwargs=kwargs)
    assert rf.download_url == reverse("resolve", kwargs=kwargs)
    assert rf.delete_url == reverse("file_delete", kwargs=kwargs)
    assert "%20%26%20" in rf.url or "%20&%20" in rf.url
    top = selectors.release_folder(release=repo.latest_release)
    assert top.folders[1].url == tree_url(repo, "tokenizer")


def test_the_pages_link_down_the_tree_and_back_up(repo, client):
    body = client.get(repo.latest_release.get_absolute_url()).content.decode()
    assert f'href="{tree_url(repo, "onnx")}"' in body and "3 files" in body
    assert "4.4 KiB" in body  # the onnx folder: 1000 + 3000 + 500 bytes
    assert "onnx/model.onnx.data" not in body  # a level at a time
    body = client.get(tree_url(repo, "onnx/fp16")).content.decode()
    assert f'<a href="{tree_url(repo, "onnx")}">onnx</a>' in body
    assert '<span aria-current="page">fp16</span>' in body
    assert "model.onnx" in body and "1 file " in body
    file_page = repo.url("file_detail", version="v1.00", path="onnx/fp16/model.onnx")
    body = client.get(file_page).content.decode()
    assert f'<a href="{tree_url(repo, "onnx/fp16")}">fp16</a>' in body


@pytest.mark.parametrize("folder", ["nothing", "onnx/model.onnx", "onn", "../onnx"])
def test_a_folder_that_is_not_there_is_not_found(repo, client, folder):
    assert client.get(tree_url(repo, folder)).status_code == 404


@who_may_read
def test_a_folder_is_shown_to_who_may_read_the_repository(
    personas, owner, shared_storage, visibility, expected
):
    repo = RepositoryFactory(owner=owner, visibility=visibility)
    file_add_content(release=repo.latest_release, path="a/secret.txt", data=b"s", user=owner)
    got = {who: c.get(tree_url(repo, "a")).status_code for who, c in personas.items()}
    assert got == expected
    body = personas["anonymous"].get(tree_url(repo, "a")).content.decode()
    assert ("secret.txt" in body) == (visibility == "public")


def test_the_owner_gets_delete_links_and_others_do_not(repo, personas):
    for who, shown in (("owner", True), ("other", False), ("staff", False)):
        body = personas[who].get(tree_url(repo, "onnx")).content.decode()
        assert (">Delete</a>" in body) == shown, who


def test_pages_of_the_tree_run_a_constant_number_of_queries(owner, client, shared_storage):
    counts = []
    for size in (3, 30):
        repo = RepositoryFactory(owner=owner, name=f"many-{size}")
        for n in range(size):
            file_add_content(
                release=repo.latest_release,
                path=f"d{n % 3}/sub{n % 2}/f{n}.txt",
                data=f"{size}-{n}".encode(),
                user=owner,
            )
        pages = [
            repo.latest_release.get_absolute_url(),
            tree_url(repo, "d0"),
            repo.url("repo_detail"),
        ]
        with CaptureQueriesContext(connection) as queries:
            for url in pages:
                assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_repository_page_snippets_pick_the_main_file_without_loading_the_release(
    owner, shared_storage
):
    from django.utils import timezone

    from releases.models import Blob

    repo = RepositoryFactory(owner=owner)
    release = repo.latest_release
    for path in ("README.md", "a.onnx", "b/model.onnx"):
        file_add_content(release=release, path=path, data=path.encode(), user=owner)
    blobs = {rf.path: rf.blob_id for rf in release.files.all()}

    def main() -> list[str]:
        return [rf.path for rf in selectors.release_main_file(release=release)]

    Blob.objects.filter(pk=blobs["b/model.onnx"]).update(onnx_status="valid")
    Blob.objects.filter(pk=blobs["a.onnx"]).update(onnx_status="invalid")
    assert main() == ["b/model.onnx"]  # an ONNX model with a signature comes first
    Blob.objects.filter(pk=blobs["b/model.onnx"]).update(onnx_status="invalid")
    assert main() == ["a.onnx"]  # else the first ONNX file
    Blob.objects.filter(pk__in=[blobs["a.onnx"], blobs["b/model.onnx"]]).update(
        blocked_at=timezone.now()
    )
    assert main() == ["README.md"]  # else the first usable file
    Blob.objects.filter(pk=blobs["README.md"]).update(blocked_at=timezone.now())
    assert main() == []


def test_a_folder_of_a_renamed_repository_redirects_to_its_new_name(repo, personas):
    old = tree_url(repo, "onnx/fp16")
    personas["owner"].post(repo.url("repo_rename"), {"name": "tree-model-2"})
    response = personas["anonymous"].get(old)
    assert response.status_code == 301
    assert response["Location"] == "/alice/tree-model-2/releases/v1.00/tree/onnx/fp16"


def test_a_large_folder_has_pages_and_the_repository_page_links_to_the_rest(
    repo, client, monkeypatch
):
    from releases import tree

    monkeypatch.setattr(tree, "PAGE_SIZE", 3)  # the top: onnx/, tokenizer/, config.json, README
    release_url = repo.latest_release.get_absolute_url()
    first = client.get(release_url).content.decode()
    second = client.get(release_url + "?page=2").content.decode()
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert ">config.json</a>" in first and ">README.md</a>" not in first
    assert ">README.md</a>" in second and "onnx/</a>" not in second
    assert 'Files <span class="count">6</span>' in second  # the count is the release's
    body = client.get(repo.url("repo_detail")).content.decode()
    assert ">README.md</a>" not in body and f'href="{release_url}?page=2"' in body
