"""The graph of an ONNX file: its page and the viewer's frame follow the access policy (the
same 404 as a missing file for whoever may not read the repository), exist only for ONNX
models the moderators did not remove, and the frame alone may be framed, by the hub itself."""

import pytest
from django.utils import timezone

from hub import demo_models
from releases.models import Blob
from releases.services.files import file_add_content
from releases.tasks import read_onnx_signature
from tests.factories import RepositoryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_storage")]

PERSONAS = ["owner", "other", "anonymous", "staff"]


def add(repo, path, data):
    rf = file_add_content(release=repo.latest_release, path=path, data=data, user=repo.owner)
    read_onnx_signature(rf.blob_id)
    return rf


def urls(repo, path):
    base = f"/{repo.owner.username}/{repo.name}/releases/v1.00"
    return f"{base}/graph/{path}", f"{base}/graph-frame/{path}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_opens_the_graph_of_a_public_model(personas, owner, persona):
    repo = RepositoryFactory(owner=owner, name="direction")
    add(repo, "models/direction.onnx", demo_models.direction_classifier())
    page_url, frame_url = urls(repo, "models/direction.onnx")

    page = personas[persona].get(page_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'src="{frame_url}"' in html and "<iframe" in html
    assert 'href="/alice/direction/releases/v1.00/files/models/direction.onnx"' in html
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]

    frame = personas[persona].get(frame_url)
    assert frame.status_code == 200
    body = frame.content.decode()
    assert 'data-model="/alice/direction/resolve/v1.00/models/direction.onnx?view=graph"' in body
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    policy = frame["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe" not in policy


@pytest.mark.parametrize(
    ("persona", "status"), [("owner", 200), ("staff", 200), ("other", 404), ("anonymous", 404)]
)
def test_a_private_model_s_graph_is_there_for_its_owner_only(personas, owner, persona, status):
    repo = RepositoryFactory(owner=owner, name="secret", visibility="private")
    add(repo, "risk.onnx", demo_models.risk_score())
    for url in urls(repo, "risk.onnx"):
        assert personas[persona].get(url).status_code == status, url
    # The model the viewer loads answers the same way.
    download = personas[persona].get("/alice/secret/resolve/v1.00/risk.onnx")
    assert download.status_code == status


@pytest.mark.parametrize("persona", PERSONAS)
def test_files_that_are_not_onnx_models_have_no_graph(personas, owner, persona):
    repo = RepositoryFactory(owner=owner, name="mixed")
    add(repo, "README.md", b"# hello\n")
    add(repo, "fake.onnx", b"not a model")  # named .onnx, read as not ONNX
    for path in ["README.md", "fake.onnx", "missing.onnx"]:
        for url in urls(repo, path):
            assert personas[persona].get(url).status_code == 404, url


def test_content_the_moderators_removed_has_no_graph(personas, owner):
    repo = RepositoryFactory(owner=owner, name="removed")
    rf = add(repo, "risk.onnx", demo_models.risk_score())
    Blob.objects.filter(pk=rf.blob_id).update(blocked_at=timezone.now())
    for url in urls(repo, "risk.onnx"):
        assert personas["owner"].get(url).status_code == 410, url
    detail = personas["owner"].get("/alice/removed/releases/v1.00/files/risk.onnx")
    assert "Open the graph" not in detail.content.decode()


def test_the_file_page_lists_the_operators_and_links_the_graph(personas, owner):
    repo = RepositoryFactory(owner=owner, name="vol")
    add(repo, "vol.onnx", demo_models.volatility_model())
    html = personas["anonymous"].get("/alice/vol/releases/v1.00/files/vol.onnx").content.decode()
    assert '<h2 id="graph-title">Graph</h2>' in html
    assert 'href="/alice/vol/releases/v1.00/graph/vol.onnx">Open the graph</a>' in html
    operators = html.split('<ul class="tags operators"', 1)[1].split("</ul>", 1)[0]
    found = [item.split("</li>")[0] for item in operators.split('<li class="tag">')[1:]]
    assert found == ["<code>Abs</code> ×1", "<code>MatMul</code> ×1", "<code>ReduceMean</code> ×1"]
    # A file that is not ONNX has neither.
    add(repo, "notes.txt", b"hello")
    text = personas["anonymous"].get("/alice/vol/releases/v1.00/files/notes.txt").content.decode()
    assert "Open the graph" not in text and "graph-title" not in text


def test_the_file_page_says_when_operators_are_still_to_be_counted(personas, owner):
    repo = RepositoryFactory(owner=owner, name="older")
    rf = add(repo, "vol.onnx", demo_models.volatility_model())
    signature = Blob.objects.get(pk=rf.blob_id).onnx_signature
    del signature["operators"]  # read before the hub counted operators
    Blob.objects.filter(pk=rf.blob_id).update(onnx_signature=signature)
    html = personas["anonymous"].get("/alice/older/releases/v1.00/files/vol.onnx").content
    assert b"The operators of this model are being counted" in html
    assert b"Open the graph" in html and b"has no operators" not in html


def test_the_viewer_reading_the_model_is_not_counted_as_a_download(personas, owner):
    repo = RepositoryFactory(owner=owner, name="direction")
    add(repo, "models/direction.onnx", demo_models.direction_classifier())
    resolve = repo.url("resolve", version="v1.00", path="models/direction.onnx")
    assert personas["owner"].get(resolve + "?view=graph").status_code == 200
    repo.refresh_from_db()
    assert repo.downloads == 0
    assert personas["owner"].get(resolve).status_code == 200
    repo.refresh_from_db()
    assert repo.downloads == 1
