"""`resolve/latest/<path>`, the stable download URL, and the "Use this model" box on the
repository and file pages."""

import ast
import hashlib
import html
import re
import shlex
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from hub import demo_models
from releases.models import Blob, ReleaseFile
from releases.services.files import file_add_content
from releases.tasks import read_onnx_signature
from repos.services import repository_rename
from tests.factories import RepositoryFactory, add_releases

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_storage")]
HOSTILE = "a'b $(x).onnx"


def put(release, path: str, data: bytes) -> ReleaseFile:
    return file_add_content(release=release, path=path, data=data, user=release.repository.owner)


def latest_url(repo, path: str) -> str:
    return reverse(
        "resolve_latest", kwargs={"owner": repo.owner.username, "name": repo.name, "path": path}
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def snippets(response) -> dict[str, str]:
    """The texts the page's Copy buttons of the "Use this model" box put on the clipboard."""
    page = response.content.decode()
    box = page[page.index('id="use-this-model"') :]
    box = box[: box.index("</section>")]
    found = re.findall(r'data-copy="([^"]*)" aria-label="Copy the (\S+)', box)
    return {label: html.unescape(text) for text, label in found}


@pytest.fixture
def repo(owner):
    """v1.00: model.onnx (old bytes) and notes.txt; v1.01: model.onnx (new bytes)."""
    repo = RepositoryFactory(owner=owner, name="alias-repo")
    v100 = repo.releases.get()
    put(v100, "model.onnx", b"old model")
    put(v100, "docs/notes.txt", b"only in v1.00")
    (v101,) = add_releases(repo, "minor")
    put(v101, "model.onnx", b"new model")
    return repo


def test_the_newest_release_with_the_path_is_served(personas, repo):
    response = personas["anonymous"].get(latest_url(repo, "model.onnx"))
    assert response.status_code == 200
    assert body(response) == b"new model"
    new = ReleaseFile.objects.get(release__minor=1, path="model.onnx")
    assert response["ETag"] == f'"{new.blob.blob_id}"'
    assert 'filename="model.onnx"' in response["Content-Disposition"]


def test_a_path_only_in_an_older_release_is_served_from_it(personas, repo):
    response = personas["anonymous"].get(latest_url(repo, "docs/notes.txt"))
    assert response.status_code == 200
    assert body(response) == b"only in v1.00"


def test_a_path_no_release_has_is_not_found(personas, repo):
    for path in ("missing.onnx", "docs", "../model.onnx"):
        assert personas["anonymous"].get(latest_url(repo, path)).status_code == 404, path
    assert personas["owner"].get(latest_url(repo, "missing.onnx")).status_code == 404


def test_latest_is_a_word_of_the_url_not_a_version(personas, repo):
    versioned = f"/{repo.full_name}/resolve/v1.00/model.onnx"
    assert body(personas["anonymous"].get(versioned)) == b"old model"
    assert (
        personas["anonymous"].get(f"/{repo.full_name}/resolve/v9.00/model.onnx").status_code == 404
    )


def test_a_private_repository_is_served_to_its_owner_only(personas, private_repo):
    put(private_repo.releases.get(), "secret.onnx", b"private bytes")
    url = latest_url(private_repo, "secret.onnx")
    assert personas["other"].get(url).status_code == 404
    assert personas["anonymous"].get(url).status_code == 404
    assert body(personas["owner"].get(url)) == b"private bytes"
    assert body(personas["staff"].get(url)) == b"private bytes"  # a superuser reads everything


def test_a_hidden_repository_is_served_to_its_owner_only(personas, repo):
    type(repo).objects.filter(pk=repo.pk).update(hidden_at=timezone.now(), hidden_reason="spam")
    url = latest_url(repo, "model.onnx")
    assert personas["other"].get(url).status_code == 404
    assert personas["anonymous"].get(url).status_code == 404
    assert personas["owner"].get(url).status_code == 200
    assert personas["staff"].get(url).status_code == 200


def test_blocked_content_is_gone_like_on_the_versioned_url(personas, repo):
    Blob.objects.filter(sha256=hashlib.sha256(b"new model").hexdigest()).update(
        blocked_at=timezone.now()
    )
    assert personas["owner"].get(latest_url(repo, "model.onnx")).status_code == 410
    assert personas["owner"].get(f"/{repo.full_name}/resolve/v1.01/model.onnx").status_code == 410


def test_the_old_name_redirects_after_a_rename(personas, repo):
    old = latest_url(repo, "docs/notes.txt")
    repository_rename(repository=repo, new_name="renamed-repo")
    response = personas["anonymous"].get(old + "?x=1")
    assert response.status_code == 301
    assert response["Location"] == "/alice/renamed-repo/resolve/latest/docs/notes.txt?x=1"
    assert body(personas["anonymous"].get(response["Location"])) == b"only in v1.00"


def test_a_download_counts_once_like_on_the_versioned_url(personas, repo):
    """Both URLs count the same requests: a GET and a first range, not a HEAD, a 304 or the
    further ranges of the same download."""
    anon = personas["anonymous"]
    totals = []
    for url in (latest_url(repo, "model.onnx"), f"/{repo.full_name}/resolve/v1.01/model.onnx"):
        etag = anon.head(url)["ETag"]
        for headers in (
            {},
            {"HTTP_IF_NONE_MATCH": etag},
            {"HTTP_RANGE": "bytes=0-3"},
            {"HTTP_RANGE": "bytes=4-"},
        ):
            assert anon.get(url, **headers).status_code in (200, 206, 304)
        repo.refresh_from_db()
        totals.append(repo.downloads)
    assert totals == [2, 4]


# The "Use this model" box


@pytest.fixture
def model_repo(owner):
    """A public repository whose v1.00 holds a README and an ONNX model with a signature."""
    repo = RepositoryFactory(owner=owner, name="direction")
    release = repo.releases.get()
    put(release, "README.txt", b"read me")
    rf = put(release, "models/direction.onnx", demo_models.direction_classifier())
    read_onnx_signature(rf.blob.pk)
    return repo


def test_the_repository_page_offers_the_latest_release_and_its_model(client, model_repo):
    response = client.get(model_repo.get_absolute_url())
    found = snippets(response)
    assert found["command-line"] == "hub download -- alice/direction@v1.00"
    assert found["curl"] == (
        "curl -fLO -- http://testserver/alice/direction/resolve/latest/models/direction.onnx"
    )
    blob_id = ReleaseFile.objects.get(path="models/direction.onnx").blob.blob_id
    code = ast.parse(found["Python"])  # valid Python
    call = next(n for n in ast.walk(code) if isinstance(n, ast.Call) and _name(n) == "infer")
    args = {k.arg: k.value for k in call.keywords}
    assert ast.literal_eval(args["model_cid"]) == blob_id
    assert ast.unparse(args["inference_mode"]) == "og.InferenceMode.VANILLA"
    model_input = ast.literal_eval(args["model_input"])
    assert model_input == {"features": [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]}  # dynamic batch: 1
    assert "og.Alpha(private_key=" in found["Python"]
    assert "Authorization" not in found["curl"]


def _name(call: ast.Call) -> str:
    return getattr(call.func, "attr", getattr(call.func, "id", ""))


def test_the_file_page_offers_that_file_at_its_release(client, model_repo):
    rf = ReleaseFile.objects.get(path="models/direction.onnx")
    response = client.get(model_repo.url("file_detail", version="v1.00", path=rf.path))
    found = snippets(response)
    assert found["command-line"] == "hub download -- alice/direction@v1.00 models/direction.onnx"
    assert found["curl"].endswith("/alice/direction/resolve/latest/models/direction.onnx")
    assert rf.blob.blob_id in found["Python"]


def test_a_file_that_is_not_an_onnx_model_gets_no_python(client, model_repo):
    response = client.get(model_repo.url("file_detail", version="v1.00", path="README.txt"))
    found = snippets(response)
    assert set(found) == {"command-line", "curl"}
    assert found["curl"] == (
        "curl -fLO -- http://testserver/alice/direction/resolve/latest/README.txt"
    )


def test_an_older_file_replaced_in_a_newer_release_gets_its_versioned_url(client, repo):
    response = client.get(repo.url("file_detail", version="v1.00", path="model.onnx"))
    found = snippets(response)
    assert found["command-line"] == "hub download -- alice/alias-repo@v1.00 model.onnx"
    assert found["curl"] == (
        "curl -fLO -- http://testserver/alice/alias-repo/resolve/v1.00/model.onnx"
    )
    # …while a file no newer release replaced keeps the stable alias.
    response = client.get(repo.url("file_detail", version="v1.00", path="docs/notes.txt"))
    assert "/resolve/latest/docs/notes.txt" in snippets(response)["curl"]


def test_an_older_file_whose_content_a_newer_release_holds_gets_the_latest_url(client, owner):
    repo = RepositoryFactory(owner=owner, name="evals")
    put(repo.latest_release, "eval.csv", b"a,b\n1,2\n")
    (v101,) = add_releases(repo, "minor")
    put(v101, "eval.csv", b"a,b\n1,2\n")  # another record, the same content
    put(v101, "other.csv", b"new")
    response = client.get(repo.url("file_detail", version="v1.00", path="eval.csv"))
    found = snippets(response)
    assert found["curl"] == "curl -fLO -- http://testserver/alice/evals/resolve/latest/eval.csv"
    page = response.content.decode()
    assert "A newer release has other content" not in page
    assert "always serves the newest release that has <code>eval.csv</code>" in page


def test_the_python_snippet_says_when_the_network_knows_the_blob_id(client, model_repo):
    response = client.get(model_repo.get_absolute_url())
    page = response.content.decode()
    box = page[page.index('id="use-this-model"') :]
    assert "knows models by their CID: the Blob ID" not in box
    assert "the call works only once the same file is published on OpenGradient's hub" in box
    assert "For a model published only here, the network does not know the CID" in box
    python = snippets(response)["Python"]
    assert "knows it only if the same file is" in python
    assert "also published on OpenGradient's own Model Hub" in python


def test_hostile_names_are_quoted_for_the_shell_and_escaped_in_the_page(client, owner):
    repo = RepositoryFactory(owner=owner, name="hostile")
    rf = put(repo.releases.get(), HOSTILE, demo_models.risk_score())
    Blob.objects.filter(pk=rf.blob.pk).update(
        onnx_status="valid",
        onnx_signature={
            "inputs": [{"name": 'x"</code><script>', "type": "float", "shape": [1, 2]}],
            "outputs": [{"name": "y", "type": "float", "shape": [1]}],
            "opset": 17,
        },
    )
    for url in (repo.get_absolute_url(), repo.url("file_detail", version="v1.00", path=HOSTILE)):
        response = client.get(url)
        page = response.content.decode()
        assert HOSTILE not in page  # its quote is always escaped
        assert "<script>" not in page
        found = snippets(response)
        curl = shlex.split(found["curl"])
        assert curl[:5] == ["curl", "-fL", "-o", HOSTILE, "--"]
        assert urlsplit(curl[5]).path == "/alice/hostile/resolve/latest/a'b%20$(x).onnx"
        assert body(client.get(urlsplit(curl[5]).path)) == demo_models.risk_score()
        assert found["Python"].count("$(x)") == 0
        code = ast.parse(found["Python"])
        call = next(n for n in ast.walk(code) if isinstance(n, ast.Call) and _name(n) == "infer")
        model_input = ast.literal_eval(
            next(k.value for k in call.keywords if k.arg == "model_input")
        )
        assert model_input == {'x"</code><script>': [[0.1, 0.2]]}
    cli = shlex.split(snippets(response)["command-line"])
    assert cli == ["hub", "download", "--", "alice/hostile@v1.00", HOSTILE]


def test_a_private_repository_adds_the_token_header(personas, private_repo):
    put(private_repo.releases.get(), "secret.onnx", b"private bytes")
    for persona in ("owner", "staff"):
        response = personas[persona].get(private_repo.get_absolute_url())
        found = snippets(response)
        assert shlex.split(found["curl"]) == [
            "curl", "-H", "Authorization: Bearer $HUB_TOKEN", "-fLO", "--",
            "http://testserver/alice/secret-model/resolve/latest/secret.onnx",
        ]  # fmt: skip
        assert "hub login" in response.content.decode()
    assert personas["other"].get(private_repo.get_absolute_url()).status_code == 404


def test_there_is_no_box_without_usable_files(personas, public_repo, repo):
    for persona in ("owner", "other", "anonymous", "staff"):
        response = personas[persona].get(public_repo.get_absolute_url())
        assert response.status_code == 200
        assert b"use-this-model" not in response.content  # v1.00 is empty
    Blob.objects.update(blocked_at=timezone.now())
    page = personas["owner"].get(repo.url("file_detail", version="v1.01", path="model.onnx"))
    assert b"use-this-model" not in page.content
