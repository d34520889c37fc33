"""Comparing releases: the diff of files and of ONNX signatures, the rule of what breaks
callers, the compare page, and the breaking-change warnings of the release page and form."""

import hashlib
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from releases.compare import release_breaking_warning, release_compare
from releases.models import Blob, OnnxStatus, Release, ReleaseFile
from releases.selectors import release_previous
from releases.signatures import signature_diff
from tests.factories import RepositoryFactory, add_releases
from tests.personas import who_may_read

pytestmark = pytest.mark.django_db


def tensor(name, type_="float", shape=("batch", 6)):
    return {"name": name, "type": type_, "shape": list(shape)}


def sig(inputs=None, outputs=None, opset=13, parameters=14):
    return {
        "inputs": inputs if inputs is not None else [tensor("features")],
        "outputs": outputs
        if outputs is not None
        else [tensor("probabilities", shape=("batch", 2))],
        "opset": opset,
        "parameters": parameters,
    }


def put(release, path, content, signature=None, status=None):
    """A file at `path` holding `content` (rows only: the compare reads no bytes)."""
    data = content.encode()
    sha256 = hashlib.sha256(data).hexdigest()
    onnx_status = status or (OnnxStatus.VALID if signature else OnnxStatus.UNCHECKED)
    blob, _ = Blob.objects.get_or_create(
        sha256=sha256,
        defaults={
            "blob_id": f"bafk{sha256[:40]}",
            "size": len(data),
            "onnx_status": onnx_status,
            "onnx_signature": signature,
        },
    )
    return ReleaseFile.objects.create(release=release, path=path, blob=blob)


# The rule of what breaks callers, on signatures alone.


def test_the_same_signature_is_no_change():
    diff = signature_diff(sig(), sig())
    assert not diff.changed and diff.breaking == []
    assert [r.status for r in diff.inputs + diff.outputs] == ["same", "same"]


def test_a_removed_input_breaks_callers():
    diff = signature_diff(sig(inputs=[tensor("a"), tensor("b")]), sig(inputs=[tensor("a")]))
    assert diff.breaking == ["input “b” removed"]


def test_an_input_renamed_in_place_is_named_a_rename_and_breaks_callers():
    diff = signature_diff(sig(inputs=[tensor("features")]), sig(inputs=[tensor("x")]))
    assert [(r.status, r.old.name, r.new.name) for r in diff.inputs] == [
        ("renamed", "features", "x")
    ]
    assert diff.breaking == ["input “features” renamed to “x”"]


def test_a_new_input_is_required_so_it_breaks_callers():
    diff = signature_diff(sig(), sig(inputs=[tensor("features"), tensor("mask", "bool")]))
    assert diff.breaking == ["new required input “mask”"]


def test_a_new_output_breaks_nobody_but_a_removed_one_does():
    two = [tensor("probabilities", shape=("batch", 2)), tensor("logits", shape=("batch", 2))]
    more = signature_diff(sig(), sig(outputs=two))
    assert more.changed and more.breaking == []
    assert [r.status for r in more.outputs] == ["same", "added"]
    fewer = signature_diff(sig(outputs=two), sig())
    assert fewer.breaking == ["output “logits” removed"]


def test_a_type_change_of_an_output_breaks_callers():
    diff = signature_diff(sig(), sig(outputs=[tensor("probabilities", "double", ("batch", 2))]))
    assert diff.breaking == ["output “probabilities”: type float → double"]


def test_a_rank_change_of_an_input_breaks_callers():
    diff = signature_diff(sig(), sig(inputs=[tensor("features", shape=("batch", 10, 6))]))
    assert diff.breaking == ["input “features”: rank 2 → 3: shape [batch, 6] → [batch, 10, 6]"]


def test_a_fixed_size_changed_to_another_breaks_callers_a_symbolic_one_does_not():
    resized = signature_diff(sig(), sig(inputs=[tensor("features", shape=("batch", 8))]))
    assert resized.breaking == ["input “features”: shape [batch, 6] → [batch, 8]"]
    symbolic = signature_diff(sig(), sig(inputs=[tensor("features", shape=("batch", "n"))]))
    assert symbolic.changed and symbolic.breaking == []
    assert symbolic.inputs[0].notes == ["shape [batch, 6] → [batch, n]"]


def test_opset_and_parameters_are_shown_but_break_nobody():
    diff = signature_diff(sig(), sig(opset=17, parameters=30))
    assert diff.changed and diff.breaking == []
    assert diff.opset == (13, 17) and diff.parameters == (14, 30)


# Comparing the files of two releases.


@pytest.fixture
def two_releases(owner):
    repo = RepositoryFactory(owner=owner, name="volatility")
    (v101,) = add_releases(repo, "minor")
    v100 = Release.objects.get(repository=repo, major=1, minor=0)
    put(v100, "README.md", "# one")
    put(v100, "config.json", "{}")
    put(v100, "old.bin", "gone soon")
    put(v100, "model.onnx", "model one", sig())
    put(v100, "pending.onnx", "pending one", sig())
    put(v101, "README.md", "# one")  # unchanged
    put(v101, "config.json", '{"window": 24}')  # changed
    put(v101, "new.bin", "arrived")  # added
    put(v101, "model.onnx", "model two", sig(inputs=[tensor("candles")]))
    put(v101, "pending.onnx", "pending two")  # its signature is not read yet
    return repo, v100, v101


def test_it_lists_added_removed_changed_and_counts_unchanged(two_releases):
    _, v100, v101 = two_releases
    c = release_compare(base=v100, head=v101)
    assert [f.path for f in c.added] == ["new.bin"]
    assert [f.path for f in c.removed] == ["old.bin"]
    assert [f.path for f in c.changed] == ["config.json", "model.onnx", "pending.onnx"]
    assert c.unchanged == 1
    config = c.changed[0]
    assert config.old.blob_id != config.new.blob_id
    assert config.size_delta == len('{"window": 24}') - 2
    assert (c.base_count, c.head_count) == (5, 5)
    assert c.base_size == sum(
        len(s) for s in ["# one", "{}", "gone soon", "model one", "pending one"]
    )


def test_it_diffs_the_signatures_of_changed_onnx_files(two_releases):
    _, v100, v101 = two_releases
    c = release_compare(base=v100, head=v101)
    model, pending = c.changed[1], c.changed[2]
    assert model.breaking == ["input “features” renamed to “candles”"]
    assert [f.path for f in c.breaking] == ["model.onnx"]
    assert pending.signature is None
    assert "still being read" in pending.signature_note
    assert c.changed[0].signature is None and c.changed[0].signature_note == ""  # not ONNX


def test_a_model_only_one_side_has_is_summed_up_by_its_signature(client, two_releases):
    repo, _, v101 = two_releases
    put(v101, "extra.onnx", "extra model", sig(outputs=[]))
    html = client.get(compare_url(repo, "v1.00", "v1.01")).content.decode()
    assert "in: features float[batch, 6]; out: none" in html


def test_the_other_way_round_added_and_removed_swap(two_releases):
    _, v100, v101 = two_releases
    c = release_compare(base=v101, head=v100)
    assert [f.path for f in c.added] == ["old.bin"] and [f.path for f in c.removed] == ["new.bin"]


def test_a_release_compared_with_itself_is_identical(two_releases):
    _, v100, _ = two_releases
    c = release_compare(base=v100, head=v100)
    assert c.identical and c.unchanged == 5


def test_it_runs_the_same_queries_for_ten_or_a_thousand_files(owner):
    repo = RepositoryFactory(owner=owner, name="many")
    (v101,) = add_releases(repo, "minor")
    v100 = Release.objects.get(repository=repo, major=1, minor=0)
    counts = []
    for n in (10, 1000):
        base, head = add_releases(repo, "minor", "minor") if n == 1000 else (v100, v101)
        for i in range(n):
            put(base, f"f/{i}.bin", f"{n} base {i}")
            put(head, f"f/{i}.bin", f"{n} {'head' if i % 3 else 'base'} {i}")
        with CaptureQueriesContext(connection) as ctx:
            c = release_compare(base=base, head=head)
        assert len(c.changed) == n - len(range(0, n, 3))
        counts.append(len(ctx))
    assert counts == [2, 2]


# The warning on a minor release that breaks callers.


def warning_of(release):
    return release_breaking_warning(release=release, previous=release_previous(release=release))


def test_a_minor_release_that_breaks_callers_is_told_to_be_a_major_one(two_releases):
    _, _, v101 = two_releases
    warning = warning_of(v101)
    assert warning.previous.version == "v1.00"
    assert [f.path for f in warning.files] == ["model.onnx"]
    assert warning.suggested == "v2.00"


def test_a_major_release_may_break_callers(owner):
    repo = RepositoryFactory(owner=owner, name="majors")
    (v200,) = add_releases(repo, "major")
    put(Release.objects.get(repository=repo, major=1), "m.onnx", "one", sig())
    put(v200, "m.onnx", "two", sig(inputs=[]))
    assert warning_of(v200) is None


def test_an_empty_minor_release_or_a_compatible_one_gets_no_warning(two_releases):
    repo, _, _ = two_releases
    (v102,) = add_releases(repo, "minor")
    assert warning_of(v102) is None  # nothing uploaded yet: nothing removed counts
    put(v102, "model.onnx", "model three", sig(inputs=[tensor("candles")], opset=17))
    assert warning_of(v102) is None


# Pages.


def compare_url(repo, base, head):
    return reverse(
        "release_compare",
        kwargs={"owner": repo.owner.username, "name": repo.name, "base": base, "head": head},
    )


def pick_url(repo):
    return reverse("compare_pick", kwargs={"owner": repo.owner.username, "name": repo.name})


@who_may_read
def test_the_compare_pages_by_persona(personas, owner, visibility, expected):
    repo = RepositoryFactory(owner=owner, name="cmp", visibility=visibility)
    add_releases(repo, "minor")
    for url, ok in ((compare_url(repo, "v1.00", "v1.01"), 200), (pick_url(repo), 302)):
        got = {who: c.get(url).status_code for who, c in personas.items()}
        assert got == {who: ok if code == 200 else code for who, code in expected.items()}


def test_a_private_repository_s_compare_page_looks_like_a_missing_one(personas, owner):
    RepositoryFactory(owner=owner, name="hidden-cmp", visibility="private")
    missing = personas["other"].get("/alice/no-such-repo/compare/v1.00...v1.01")
    private = personas["other"].get("/alice/hidden-cmp/compare/v1.00...v1.01")
    assert private.status_code == missing.status_code == 404
    assert b"hidden-cmp" not in private.content  # the page names nothing of it
    assert private.templates[0].name == missing.templates[0].name


def test_the_page_shows_files_and_the_signature_diff(client, two_releases):
    repo, _, _ = two_releases
    html = client.get(compare_url(repo, "v1.00", "v1.01")).content.decode()
    assert "1 added" in html and "1 removed" in html and "3 changed" in html
    assert "1 unchanged" in html
    assert "v1.01 breaks callers of v1.00." in html
    assert "Breaks callers: input “features” renamed to “candles”" in html
    assert "/alice/volatility/releases/v1.01/files/new.bin" in html
    assert "/alice/volatility/releases/v1.00/files/old.bin" in html  # removed: the base's
    assert "The signature in the head is still being read" in html


def test_the_chooser_redirects_to_the_comparison(client, two_releases):
    repo, _, _ = two_releases
    add_releases(repo, "minor")
    base = pick_url(repo)
    assert client.get(base)["Location"] == compare_url(repo, "v1.01", "v1.02")
    assert client.get(base + "?head=v1.01")["Location"] == compare_url(repo, "v1.00", "v1.01")
    assert client.get(base + "?base=v1.02&head=v1.00")["Location"] == compare_url(
        repo, "v1.02", "v1.00"
    )


def test_the_chooser_explains_bad_choices(client, owner):
    repo = RepositoryFactory(owner=owner, name="single")
    alone = client.get(pick_url(repo))
    assert alone.status_code == 200
    assert "has a single release: nothing to compare" in alone.content.decode()
    add_releases(repo, "minor")
    wrong = client.get(pick_url(repo) + "?base=v9.00&head=v1.01")
    assert wrong.status_code == 400
    assert "This repository has no release v9.00" in wrong.content.decode()
    assert client.get(compare_url(repo, "v1.00", "v9.00")).status_code == 404


def test_release_pages_link_to_the_comparison(client, two_releases):
    page = client.get("/alice/volatility/releases/v1.01/").content.decode()
    assert 'href="/alice/volatility/compare/v1.00...v1.01"' in page
    first = client.get("/alice/volatility/releases/v1.00/").content.decode()
    assert "/compare/" not in first
    listing = client.get("/alice/volatility/releases/").content.decode()
    assert 'href="/alice/volatility/compare/?head=v1.01"' in listing
    assert "?head=v1.00" not in listing


def test_the_release_page_warns_everyone_and_offers_the_owner_a_major_release(
    personas, two_releases
):
    for who in ("anonymous", "owner"):
        html = personas[who].get("/alice/volatility/releases/v1.01/").content.decode()
        assert "v1.01 is numbered as a minor release, but it breaks callers of v1.00." in html
        assert "publish them as a major release (v2.00)" in html
        offer = "/alice/volatility/releases/new/?bump=major&amp;source=v1.01"
        assert (offer in html) == (who == "owner")
    assert (
        "breaks callers"
        not in personas["owner"].get("/alice/volatility/releases/v1.00/").content.decode()
    )


# The release form: files copied from a release are known before it is created.


def test_the_form_warns_before_a_breaking_copy_becomes_a_minor_release(personas, two_releases):
    repo, v100, v101 = two_releases
    (v102,) = add_releases(repo, "minor")  # latest; holds v1.01's files
    for rf in v101.files.all():
        ReleaseFile.objects.create(release=v102, path=rf.path, blob=rf.blob)
    owner = personas["owner"]
    url = "/alice/volatility/releases/new/"
    warned = owner.post(url, {"bump": "minor", "source": "v1.00", "notes": "roll back"})
    assert warned.status_code == 200
    html = warned.content.decode()
    assert "A minor release with the files of v1.00 would break callers of v1.02." in html
    assert "input “candles” renamed to “features”" in html
    assert 'name="accept_breaking"' in html and "v2.00" in html
    assert Release.objects.filter(repository=repo).count() == 3  # nothing was created

    accepted = {"notes": "roll back", "accept_breaking": "on", "warned_source": "v1.00"}
    # Accepting the warning about one copy does not accept another one.
    for warned in ("", "v1.01"):
        again = owner.post(
            url, {**accepted, "warned_source": warned, "bump": "minor", "source": "v1.00"}
        )
        assert again.status_code == 200 and "would break callers" in again.content.decode()

    done = owner.post(url, {**accepted, "bump": "minor", "source": "v1.00"})
    v103 = Release.objects.get(repository=repo, major=1, minor=3)
    assert done["Location"] == v103.get_absolute_url()
    assert sorted(v103.files.values_list("path", flat=True)) == sorted(
        v100.files.values_list("path", flat=True)
    )


def test_a_major_release_or_a_compatible_copy_is_created_at_once(personas, two_releases):
    repo, _, _ = two_releases
    owner = personas["owner"]
    url = "/alice/volatility/releases/new/"
    same = owner.post(url, {"bump": "minor", "source": "v1.01"})  # the latest: same files
    assert same.status_code == 302
    v102 = Release.objects.get(repository=repo, major=1, minor=2)
    assert v102.files.count() == 5
    major = owner.post(url, {"bump": "major", "source": "v1.00"})
    assert major.status_code == 302
    assert Release.objects.get(repository=repo, major=2, minor=0).files.count() == 5
    empty = owner.post(url, {"bump": "minor", "source": ""})
    assert empty.status_code == 302
    assert not Release.objects.get(repository=repo, major=2, minor=1).files.exists()


def test_the_form_takes_the_suggestion_from_the_link_and_refuses_unknown_releases(
    personas, two_releases
):
    owner = personas["owner"]
    url = "/alice/volatility/releases/new/"
    html = owner.get(url + "?bump=major&source=v1.01").content.decode()
    assert 'value="major" id="id_bump_1" required checked>' in html
    assert '<option value="v1.01" selected>' in html
    bad = owner.post(url, {"bump": "minor", "source": "v7.00"})
    assert bad.status_code == 200
    assert "This repository has no release v7.00" in bad.content.decode()


def test_file_links_are_the_urls_of_the_files_whatever_their_names(client, owner):
    repo = RepositoryFactory(owner=owner, name="names")
    (v101,) = add_releases(repo, "minor")
    odd = "data/été 2024/a#b?c%d;e=f+g.csv"
    put(v101, odd, "odd")
    html = client.get(compare_url(repo, "v1.00", "v1.01")).content.decode()
    expected = reverse(
        "file_detail",
        kwargs={"owner": "alice", "name": "names", "version": (1, 1), "path": odd},
    )
    assert f'href="{expected}"'.replace("&", "&amp;") in html
    match = resolve(unquote(expected))  # the link leads to that file's page
    assert (match.url_name, match.kwargs["path"]) == ("file_detail", odd)


def test_the_compare_page_of_a_renamed_repository_redirects(client, two_releases):
    from repos.services import repository_rename

    repo, _, _ = two_releases
    repository_rename(repository=repo, new_name="volatility-2")
    response = client.get("/alice/volatility/compare/v1.00...v1.01?x=1")
    assert response.status_code == 301
    assert response["Location"] == "/alice/volatility-2/compare/v1.00...v1.01?x=1"


def test_a_release_copies_files_only_from_its_own_repository(owner, two_releases):
    from hub.errors import Invalid
    from releases.services.releases import release_create

    _, v100, _ = two_releases
    stranger = RepositoryFactory(owner=owner, name="elsewhere")
    with pytest.raises(Invalid, match="same repository"):
        release_create(repository=stranger, bump="minor", copy_from=v100, user=owner)
    assert Release.objects.filter(repository=stranger).count() == 1  # nothing was made


def test_file_names_and_tensor_names_are_escaped(client, owner):
    repo = RepositoryFactory(owner=owner, name="escapes")
    (v101,) = add_releases(repo, "minor")
    v100 = Release.objects.get(repository=repo, major=1, minor=0)
    evil = '<img src=x onerror="alert(1)">'
    put(v101, f"{evil}.bin", "added")
    put(v100, "m.onnx", "one", sig())
    put(v101, "m.onnx", "two", sig(inputs=[tensor(evil)]))
    put(v101, "n.onnx", "new", sig(inputs=[tensor(evil)]))
    html = client.get(compare_url(repo, "v1.00", "v1.01")).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.bin" in html
    assert "in: &lt;img src=x" in html  # the added model's summary
