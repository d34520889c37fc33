"""The real, unmodified `huggingface_hub` client (2.x, default install, tests/huggingface/
requirements.txt) against the hub's live server, from its own virtual environment (.venv-hf,
made by scripts/test), pointed at the hub by HF_ENDPOINT (tests/huggingface/drive.py)."""

import functools
import hashlib
import json
import os
import random
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from accounts import tokens
from hub import storage
from releases import rules
from releases.api_hf import revisions, views
from releases.models import Blob, ReleaseFile
from releases.services import receive
from releases.services.files import file_add_content
from repos.models import Repository
from tests.clients import run_driver
from tests.factories import RepositoryFactory, UserFactory, add_releases
from tests.test_s3_storage import s3_server, s3_storage  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
HF_PYTHON = ROOT / ".venv-hf" / "bin" / "python"
DRIVER = ROOT / "tests" / "huggingface" / "drive.py"

WEIGHTS_V1 = random.Random(1).randbytes(700_000)
WEIGHTS_V2 = random.Random(2).randbytes(300_000)
CONFIG = b'{"hidden": 64}\n'
NOTES = b"deep inside\n"
CARD = b"---\nlicense: mit\n---\n# A model\n"
BIG = random.Random(3).randbytes(2_500_000)


def drive(base: str, home: Path, *steps: dict, xet: bool = True) -> list[dict]:
    """Run `steps` through the client in one process, its cache in `home`; `xet=False` sets
    HF_HUB_DISABLE_XET=1, which uploads need (the default install of the client has Xet)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HF_", "HUGGINGFACE_"))  # nothing of the machine's own set-up
    }
    env.update(HF_ENDPOINT=base, HF_HOME=str(home), HF_HUB_DISABLE_TELEMETRY="1")
    env.update(HF_HUB_DISABLE_PROGRESS_BARS="1")
    if not xet:
        env["HF_HUB_DISABLE_XET"] = "1"
    return run_driver(HF_PYTHON, DRIVER, {"steps": list(steps)}, env=env)


def call(name: str, **kwargs) -> dict:
    return {"call": name, "kwargs": kwargs}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def eth_vol(seeded, shared_storage):
    """olga/eth-vol: v1.00 with model.bin and config.json; v1.01 with other weights, the same
    config and a file two folders deep."""
    owner = UserFactory(username="olga")
    repo = RepositoryFactory(owner=owner, name="eth-vol")
    first = repo.releases.get()
    file_add_content(release=first, path="model.bin", data=WEIGHTS_V1, user=owner)
    file_add_content(release=first, path="config.json", data=CONFIG, user=owner)
    (second,) = add_releases(repo, "minor")
    file_add_content(release=second, path="model.bin", data=WEIGHTS_V2, user=owner)
    file_add_content(release=second, path="config.json", data=CONFIG, user=owner)
    file_add_content(release=second, path="notes/deep/readme.txt", data=NOTES, user=owner)
    return repo


def test_hf_file_system_lists_and_reads_files_of_a_release(hub_server, eth_vol, tmp_path):
    listed, read, pinned, ranged = drive(
        hub_server,
        tmp_path,
        call("HfFileSystem.ls", path="olga/eth-vol", detail=False),
        call("HfFileSystem.read_bytes", path="olga/eth-vol/notes/deep/readme.txt"),
        call("HfFileSystem.read_bytes", path="olga/eth-vol@v1.00/model.bin"),
        call("HfFileSystem.cat_file", path="olga/eth-vol/model.bin", start=10, end=1010),
    )
    assert sorted(listed["result"]) == [
        "olga/eth-vol/config.json", "olga/eth-vol/model.bin", "olga/eth-vol/notes",
    ]  # fmt: skip
    assert read["result"] == {"size": len(NOTES), "sha256": sha256(NOTES)}
    assert pinned["result"] == {"size": len(WEIGHTS_V1), "sha256": sha256(WEIGHTS_V1)}
    assert ranged["result"] == {"size": 1000, "sha256": sha256(WEIGHTS_V2[10:1010])}


def test_model_info_and_the_file_listings_name_every_release(hub_server, eth_vol, tmp_path):
    v100, v101 = eth_vol.releases.order_by("minor")
    info, older, by_sha, files, top, below, missing_repo, missing_rev = drive(
        hub_server,
        tmp_path,
        call("model_info", repo_id="olga/eth-vol"),
        call("model_info", repo_id="olga/eth-vol", revision="1.00"),
        call("model_info", repo_id="olga/eth-vol", revision=revisions.commit_id(v100)),
        call("list_repo_files", repo_id="olga/eth-vol"),
        call("list_repo_tree", repo_id="olga/eth-vol"),
        call("list_repo_tree", repo_id="olga/eth-vol", path_in_repo="notes", recursive=True),
        call("model_info", repo_id="olga/nothing-here"),
        call("model_info", repo_id="olga/eth-vol", revision="v7.00"),
    )

    assert info["result"]["id"] == "olga/eth-vol" and info["result"]["author"] == "olga"
    assert info["result"]["sha"] == revisions.commit_id(v101)
    assert info["result"]["private"] is False
    assert info["result"]["siblings"] == [
        {"rfilename": "config.json", "size": len(CONFIG), "sha256": sha256(CONFIG)},
        {"rfilename": "model.bin", "size": 300_000, "sha256": sha256(WEIGHTS_V2)},
        {"rfilename": "notes/deep/readme.txt", "size": len(NOTES), "sha256": sha256(NOTES)},
    ]
    assert older["result"]["sha"] == revisions.commit_id(v100) != info["result"]["sha"]
    assert by_sha == older
    assert files == {"result": ["config.json", "model.bin", "notes/deep/readme.txt"]}
    assert [(e["type"], e["path"]) for e in top["result"]] == [
        ("file", "config.json"),
        ("file", "model.bin"),
        ("directory", "notes"),
    ]
    assert [(e["type"], e["path"]) for e in below["result"]] == [
        ("directory", "notes/deep"),
        ("file", "notes/deep/readme.txt"),
    ]
    assert missing_repo["error"].startswith("RepositoryNotFoundError")
    assert missing_rev["error"].startswith("RevisionNotFoundError")


def test_the_tree_comes_in_pages_the_client_follows(
    hub_server, seeded, shared_storage, tmp_path, monkeypatch
):
    owner = UserFactory(username="olga")
    repo = RepositoryFactory(owner=owner, name="many")
    release = repo.releases.get()
    for i in range(7):
        file_add_content(release=release, path=f"part-{i}.txt", data=b"%d" % i, user=owner)
    monkeypatch.setattr(views, "TREE_PAGE_SIZE", 3)  # the live server runs in this process

    (listed,) = drive(hub_server, tmp_path, call("list_repo_files", repo_id="olga/many"))

    assert listed == {"result": [f"part-{i}.txt" for i in range(7)]}


def test_downloads_and_snapshots_bring_the_exact_bytes(hub_server, eth_vol, tmp_path):
    v100 = eth_vol.releases.get(minor=0)
    local = tmp_path / "local"
    latest, pinned, by_commit, snapshot, into_folder, missing = drive(
        hub_server,
        tmp_path / "home",
        call("hf_hub_download", repo_id="olga/eth-vol", filename="model.bin"),
        call("hf_hub_download", repo_id="olga/eth-vol", filename="model.bin", revision="v1.00"),
        call(
            "hf_hub_download",
            repo_id="olga/eth-vol",
            filename="config.json",
            revision=revisions.commit_id(v100),
        ),
        call("snapshot_download", repo_id="olga/eth-vol"),
        call("snapshot_download", repo_id="olga/eth-vol", revision="1.00", local_dir=str(local)),
        call("hf_hub_download", repo_id="olga/eth-vol", filename="missing.bin"),
    )

    assert Path(latest["result"]).read_bytes() == WEIGHTS_V2
    assert Path(pinned["result"]).read_bytes() == WEIGHTS_V1
    assert Path(by_commit["result"]).read_bytes() == CONFIG
    snap = Path(snapshot["result"])
    assert snap.name == revisions.commit_id(eth_vol.releases.get(minor=1))
    assert (snap / "model.bin").read_bytes() == WEIGHTS_V2
    assert (snap / "config.json").read_bytes() == CONFIG
    assert (snap / "notes" / "deep" / "readme.txt").read_bytes() == NOTES
    assert Path(into_folder["result"]) == local
    assert sorted(p.name for p in local.iterdir() if not p.name.startswith(".")) == [
        "config.json",
        "model.bin",
    ]
    assert (local / "model.bin").read_bytes() == WEIGHTS_V1
    assert missing["error"].startswith("RemoteEntryNotFoundError")


def test_each_file_counts_one_download_whatever_the_client_asks_around_it(
    hub_server, eth_vol, tmp_path
):
    Repository.objects.filter(pk=eth_vol.pk).update(downloads=0)

    first, again, one_file = drive(
        hub_server,
        tmp_path,
        call("snapshot_download", repo_id="olga/eth-vol"),  # HEAD + GET a file
        call("snapshot_download", repo_id="olga/eth-vol"),  # cached: nothing is fetched
        call("hf_hub_download", repo_id="olga/eth-vol", filename="model.bin"),  # a HEAD only
    )

    assert "error" not in first and "error" not in again and "error" not in one_file
    eth_vol.refresh_from_db()
    assert eth_vol.downloads == 3


def test_a_private_repository_needs_a_token_of_someone_who_may_read_it(
    hub_server, seeded, shared_storage, tmp_path
):
    owner, stranger = UserFactory(username="olga"), UserFactory(username="sven")
    repo = RepositoryFactory(owner=owner, name="secret", visibility="private")
    file_add_content(release=repo.releases.get(), path="model.bin", data=WEIGHTS_V1, user=owner)
    _t, mine = tokens.token_create(user=owner, name="ci", scope="read")
    _t, theirs = tokens.token_create(user=stranger, name="ci", scope="read")

    info, fetched = drive(
        hub_server,
        tmp_path / "owner",
        call("model_info", repo_id="olga/secret", token=mine),
        call("hf_hub_download", repo_id="olga/secret", filename="model.bin", token=mine),
    )
    anonymous, stranger_info, stranger_file = drive(  # a cache of their own
        hub_server,
        tmp_path / "others",
        call("hf_hub_download", repo_id="olga/secret", filename="model.bin"),
        call("model_info", repo_id="olga/secret", token=theirs),
        call("hf_hub_download", repo_id="olga/secret", filename="model.bin", token=theirs),
    )

    assert info["result"]["private"] is True
    assert Path(fetched["result"]).read_bytes() == WEIGHTS_V1
    # Without the owner's token the repository does not exist, exactly as on the site.
    assert anonymous["error"].startswith("RepositoryNotFoundError")
    assert stranger_info["error"].startswith("RepositoryNotFoundError")
    assert stranger_file["error"].startswith("RepositoryNotFoundError")


def test_resolve_answers_with_the_headers_the_client_relies_on(eth_vol):
    v101 = eth_vol.releases.get(minor=1)
    commit = revisions.commit_id(v101)
    client = Client()
    Repository.objects.filter(pk=eth_vol.pk).update(downloads=0)

    for revision in ("main", "1.01", "v1.01", commit):
        head = client.head(f"/olga/eth-vol/resolve/{revision}/model.bin")
        assert head.status_code == 200, revision
        assert head["X-Repo-Commit"] == commit
        assert head["X-Linked-Etag"] == f'"{sha256(WEIGHTS_V2)}"'
        assert head["X-Linked-Size"] == head["Content-Length"] == "300000"
        assert head["ETag"] == f'"{v101.files.get(path="model.bin").blob.blob_id}"'
    again = client.get("/olga/eth-vol/resolve/main/model.bin", HTTP_IF_NONE_MATCH=head["ETag"])
    assert again.status_code == 304 and again["X-Repo-Commit"] == commit
    missing = client.head("/olga/eth-vol/resolve/main/nope.bin")
    assert (missing.status_code, missing["X-Error-Code"]) == (404, "EntryNotFound")
    assert missing["X-Repo-Commit"] == commit
    assert client.get("/olga/eth-vol/resolve/v9.00/model.bin")["X-Error-Code"] == "RevisionNotFound"
    page = client.get("/olga/nope/resolve/main/model.bin")
    assert (page.status_code, page["X-Error-Code"]) == (404, "RepoNotFound")
    assert "text/html" in page["Content-Type"]  # still the hub's own 404 page for people
    assert client.get("/olga/eth-vol/resolve/latest/model.bin").status_code == 200
    eth_vol.refresh_from_db()
    assert eth_vol.downloads == 1  # the GET of resolve/latest, not the HEADs or the 304


@pytest.mark.usefixtures("s3_storage")
def test_downloads_from_s3_go_to_a_presigned_url_and_still_count(hub_server, seeded, tmp_path):
    owner = UserFactory(username="olga")
    repo = RepositoryFactory(owner=owner, name="on-s3")
    file_add_content(release=repo.releases.get(), path="model.bin", data=WEIGHTS_V1, user=owner)
    redirect = Client().get("/olga/on-s3/resolve/main/model.bin")
    assert redirect.status_code == 302 and "Signature=" in redirect["Location"]
    assert redirect["X-Linked-Etag"] == f'"{sha256(WEIGHTS_V1)}"'
    assert redirect["X-Linked-Size"] == str(len(WEIGHTS_V1))
    Repository.objects.filter(pk=repo.pk).update(downloads=0)

    (fetched,) = drive(
        hub_server, tmp_path, call("hf_hub_download", repo_id="olga/on-s3", filename="model.bin")
    )

    assert Path(fetched["result"]).read_bytes() == WEIGHTS_V1
    repo.refresh_from_db()
    assert repo.downloads == 1


# Uploads: preupload, LFS batch, the signed upload URL, verify, commit.


def upload(base: str, home: Path, *steps: dict) -> list[dict]:
    return drive(base, home, *steps, xet=False)


def put_file(local: str, path_in_repo: str, token: str | None, **kwargs) -> dict:
    kwargs.setdefault("repo_id", "sven/uploads")
    return call("upload_file", path_or_fileobj=local, path_in_repo=path_in_repo, token=token,
                **kwargs)  # fmt: skip


def write_file(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


def files_of(release) -> dict[str, bytes]:
    """path → the stored bytes of each file of the release."""
    store = storage.storage()
    found = {}
    for rf in release.files.select_related("blob"):
        with store.open(rf.blob.storage_key, "rb") as fh:
            found[rf.path] = fh.read()
    return found


@pytest.fixture
def transfers(monkeypatch):
    """The digests of the bodies the hub received over upload URLs, in order."""
    received = []
    real = receive.blob_receive

    def counting(**kwargs):
        received.append(kwargs["sha256"])
        return real(**kwargs)

    monkeypatch.setattr(receive, "blob_receive", counting)  # the live server runs in-process
    return received


@pytest.fixture
def publisher(seeded, shared_storage):
    """sven, with a write token and sven/uploads (v1.00 and an empty v1.01)."""
    sven = UserFactory(username="sven")
    repo = RepositoryFactory(owner=sven, name="uploads")
    add_releases(repo, "minor")
    _t, token = tokens.token_create(user=sven, name="ci", scope="write")
    return repo, token


def test_upload_file_and_upload_folder_put_files_into_the_release_named(
    hub_server, publisher, transfers, shared_storage, tmp_path
):
    repo, token = publisher
    v100, v101 = repo.releases.order_by("minor")
    folder = tmp_path / "folder"
    write_file(folder, "model.bin", WEIGHTS_V1)
    write_file(folder, "config.json", CONFIG)
    write_file(folder, "notes/deep/readme.txt", NOTES)
    write_file(folder, "empty.txt", b"")
    write_file(folder, "README.md", CARD)  # the client has its metadata checked first
    write_file(folder, "big.bin", BIG)  # several pieces of the streamed body
    one = write_file(tmp_path, "weights.bin", WEIGHTS_V2)

    into_v100, into_main = upload(
        hub_server,
        tmp_path / "home",
        put_file(one, "weights.bin", token, revision="v1.00"),
        call("upload_folder", folder_path=str(folder), repo_id="sven/uploads", token=token),
    )

    assert into_v100["result"]["oid"] == revisions.commit_id(v100)
    assert into_v100["result"]["commit_url"].endswith(f"/commit/{revisions.commit_id(v100)}")
    assert into_main["result"]["oid"] == revisions.commit_id(v101)  # main: the newest release
    page = Client().get(urlsplit(into_v100["result"]["commit_url"]).path)
    assert page.status_code == 302 and page["Location"] == v100.get_absolute_url()
    assert files_of(v100) == {"weights.bin": WEIGHTS_V2}
    assert files_of(v101) == {
        "README.md": CARD,
        "big.bin": BIG,
        "config.json": CONFIG,
        "empty.txt": b"",  # the client sends empty files inline, in the commit
        "model.bin": WEIGHTS_V1,
        "notes/deep/readme.txt": NOTES,
    }
    sent = (WEIGHTS_V2, WEIGHTS_V1, CONFIG, NOTES, CARD, BIG)
    assert sorted(transfers) == sorted(sha256(data) for data in sent)
    assert v101.files.get(path="model.bin").uploaded_by.username == "sven"
    assert not any((shared_storage / "incoming").glob("u*"))  # no staged body left behind


def test_create_commit_adds_and_deletes_files_and_folders(hub_server, publisher, tmp_path):
    repo, token = publisher
    v101 = repo.releases.get(minor=1)
    file_add_content(release=v101, path="old.txt", data=b"old", user=repo.owner)
    a, b = write_file(tmp_path, "a", WEIGHTS_V1), write_file(tmp_path, "b", CONFIG)
    operations = [
        {"add": {"path_in_repo": "onnx/model.onnx", "path_or_fileobj": a}},
        {"add": {"path_in_repo": "config.json", "path_or_fileobj": b}},
        {"delete": {"path_in_repo": "old.txt"}},
    ]

    gone = [{"delete": {"path_in_repo": "old.txt"}}]
    commit = functools.partial(call, "create_commit", repo_id="sven/uploads", token=token)

    done, missing, folder = upload(
        hub_server,
        tmp_path / "home",
        commit(operations=operations, revision="1.01", commit_message="weights and config"),
        commit(operations=gone, revision="1.01", commit_message="again"),
        commit(operations=[{"delete": {"path_in_repo": "onnx/"}}], commit_message="folder"),
    )

    assert done["result"]["oid"] == revisions.commit_id(v101)
    assert v101.deleted_paths.filter(path="old.txt").exists()  # reserved, as on the site
    assert missing["error"].startswith("RemoteEntryNotFoundError")
    assert "“old.txt”" in missing["error"]
    assert "error" not in folder
    assert files_of(v101) == {"config.json": CONFIG}


def test_identical_content_again_is_a_no_op_and_other_content_a_conflict(
    hub_server, publisher, transfers, tmp_path
):
    repo, token = publisher
    v101 = repo.releases.get(minor=1)
    file_add_content(release=v101, path="model.bin", data=WEIGHTS_V1, user=repo.owner)
    same, other = write_file(tmp_path, "same", WEIGHTS_V1), write_file(tmp_path, "other", NOTES)
    operations = [
        {"add": {"path_in_repo": "extra.txt", "path_or_fileobj": other}},
        {"add": {"path_in_repo": "model.bin", "path_or_fileobj": other}},
    ]

    again, conflict, mixed = upload(
        hub_server,
        tmp_path / "home",
        put_file(same, "model.bin", token),
        put_file(other, "model.bin", token),
        call(
            "create_commit",
            repo_id="sven/uploads",
            operations=operations,
            commit_message="two",
            token=token,
        ),
    )

    assert again["result"]["oid"] == revisions.commit_id(v101)
    assert conflict["error"].startswith("HfHubHTTPError: Client error '409 Conflict'")
    assert "v1.01 already has “model.bin” with other content" in conflict["error"]
    # All or nothing: the new extra.txt did not land beside the conflict either.
    assert mixed["error"].startswith("HfHubHTTPError: Client error '409 Conflict'")
    assert files_of(v101) == {"model.bin": WEIGHTS_V1}
    assert transfers == [sha256(NOTES)]  # NOTES once; the identical file never moved


def test_content_the_user_can_read_elsewhere_is_not_transferred(
    hub_server, eth_vol, publisher, transfers, tmp_path
):
    repo, token = publisher
    local = write_file(tmp_path, "w", WEIGHTS_V1)  # also in olga/eth-vol v1.00, public

    (done,) = upload(
        hub_server,
        tmp_path / "home",
        put_file(local, "copy.bin", token),
    )

    assert "error" not in done
    assert transfers == []
    rf = repo.releases.get(minor=1).files.get(path="copy.bin")
    assert rf.blob == eth_vol.releases.get(minor=0).files.get(path="model.bin").blob


def test_content_only_in_someone_elses_private_repository_is_transferred(
    hub_server, publisher, transfers, tmp_path
):
    repo, token = publisher
    olga = UserFactory(username="olga")
    secret = RepositoryFactory(owner=olga, name="secret", visibility="private")
    file_add_content(release=secret.releases.get(), path="w.bin", data=WEIGHTS_V2, user=olga)
    local = write_file(tmp_path, "w", WEIGHTS_V2)

    (done,) = upload(
        hub_server,
        tmp_path / "home",
        put_file(local, "w.bin", token),
    )

    assert "error" not in done
    assert transfers == [sha256(WEIGHTS_V2)]  # asked for like new content: nothing revealed
    assert files_of(repo.releases.get(minor=1)) == {"w.bin": WEIGHTS_V2}
    assert Blob.objects.filter(sha256=sha256(WEIGHTS_V2)).count() == 1  # stored once


def test_blocked_content_is_refused_in_the_usual_words(
    hub_server, eth_vol, publisher, transfers, tmp_path
):
    repo, token = publisher
    Blob.objects.filter(sha256=sha256(WEIGHTS_V1)).update(blocked_at=timezone.now())
    local = write_file(tmp_path, "w", WEIGHTS_V1)

    (refused,) = upload(
        hub_server,
        tmp_path / "home",
        put_file(local, "w.bin", token),
    )

    assert rules.BLOCKED_MESSAGE in refused["error"]
    assert transfers == [sha256(WEIGHTS_V1)]  # asked for like any content, refused on arrival
    assert not repo.releases.get(minor=1).files.exists()


def test_a_commit_past_the_operations_limit_is_refused_before_any_work(
    hub_server, publisher, settings, tmp_path
):
    _repo, token = publisher
    settings.HUB_COMMIT_MAX_OPERATIONS = 3  # the live server runs in this process
    folder = tmp_path / "many"
    for n in range(4):
        write_file(folder, f"empty-{n}.txt", b"")  # sent inline, in the commit itself

    (refused,) = upload(
        hub_server,
        tmp_path / "home",
        call("upload_folder", folder_path=str(folder), repo_id="sven/uploads", token=token),
    )

    assert refused["error"].startswith("BadRequestError: Bad request for commit endpoint:")
    assert "A commit holds at most 3 operations" in refused["error"]
    assert "Split it into several commits." in refused["error"]
    assert not ReleaseFile.objects.exists() and not Blob.objects.exists()


def test_a_huge_commit_costs_a_few_queries_to_refuse(
    publisher, settings, django_assert_max_num_queries
):
    # On the wire, at the default limit (twice HUB_MAX_FILES_PER_RELEASE): 2,001 empty files.
    _repo, token = publisher
    lines = [{"key": "header", "value": {"summary": "many", "description": ""}}]
    lines += [
        {"key": "file", "value": {"path": f"e/{n}.txt", "content": "", "encoding": "base64"}}
        for n in range(2 * settings.HUB_MAX_FILES_PER_RELEASE + 1)
    ]
    body = "\n".join(json.dumps(line) for line in lines)
    with django_assert_max_num_queries(10):  # the token, the repository, the release
        answer = Client().post(
            "/api/models/sven/uploads/commit/main",
            body,
            content_type="application/x-ndjson",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 400
    assert answer["X-Error-Message"].startswith("A commit holds at most 2,000 operations")
    assert not ReleaseFile.objects.exists() and not Blob.objects.exists()


def test_uploads_need_a_write_token_of_someone_who_manages_the_repository(
    hub_server, publisher, tmp_path
):
    repo, write_token = publisher
    olga = UserFactory(username="olga")
    RepositoryFactory(owner=olga, name="secret", visibility="private")
    RepositoryFactory(owner=olga, name="open")
    _t, read_token = tokens.token_create(user=repo.owner, name="ro", scope="read")
    local = write_file(tmp_path, "w", CONFIG)

    read_only, anonymous, private, public, missing_rev = upload(
        hub_server,
        tmp_path / "home",
        put_file(local, "c.json", read_token),
        put_file(local, "c.json", None),
        put_file(local, "c.json", write_token, repo_id="olga/secret"),
        put_file(local, "c.json", write_token, repo_id="olga/open"),
        put_file(local, "c.json", write_token, revision="v9.00"),
    )

    assert read_only["error"].startswith("HfHubHTTPError: 403 Forbidden")
    assert "This token may only read" in read_only["error"]
    assert anonymous["error"].startswith("HfHubHTTPError: Client error '401 Unauthorized'")
    assert views.SIGNED_OUT in anonymous["error"]
    assert private["error"].startswith("RepositoryNotFoundError")
    assert public["error"].startswith("HfHubHTTPError: 403 Forbidden")
    assert "Only the owner can change this repository." in public["error"]
    assert missing_rev["error"].startswith("RevisionNotFoundError")
    assert not ReleaseFile.objects.exists()


def test_with_xet_on_the_client_is_told_to_set_hf_hub_disable_xet(hub_server, publisher, tmp_path):
    repo, token = publisher
    local = write_file(tmp_path, "w", CONFIG)

    (refused,) = drive(  # the client's default install: hf_xet present, nothing set
        hub_server,
        tmp_path / "home",
        put_file(local, "c.json", token),
    )

    assert "HF_HUB_DISABLE_XET=1" in refused["error"]
    assert not repo.releases.get(minor=1).files.exists()


def test_upload_urls_carry_a_credential_for_one_user_digest_and_size(publisher):
    _repo, token = publisher
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client = Client()
    objects = [{"oid": sha256(CONFIG), "size": len(CONFIG)}]
    batch = client.post(
        "/sven/uploads.git/info/lfs/objects/batch",
        data=json.dumps({"operation": "upload", "objects": objects, "ref": {"name": "main"}}),
        content_type="application/vnd.git-lfs+json",
        **auth,
    )
    assert batch.status_code == 200
    (answer,) = batch.json()["objects"]
    put = urlsplit(answer["actions"]["upload"]["href"]).path
    verify = urlsplit(answer["actions"]["verify"]["href"]).path
    forged = put[:-3] + ("AAA" if not put.endswith("AAA") else "BBB")

    assert client.put(forged, CONFIG, content_type="").status_code == 403
    wrong = client.put(put, NOTES + b"x" * (len(CONFIG) - len(NOTES)), content_type="")
    assert wrong.status_code == 400 and "not the declared" in wrong.json()["error"]
    assert client.post(verify, {"oid": sha256(CONFIG)}, "application/json").status_code == 404
    assert client.put(put, CONFIG, content_type="").status_code == 200
    assert client.post(verify, {"oid": sha256(CONFIG)}, "application/json").status_code == 200
    again = client.post(
        "/sven/uploads.git/info/lfs/objects/batch",
        data=json.dumps({"operation": "upload", "objects": objects}),
        content_type="application/vnd.git-lfs+json",
        **auth,
    )
    assert "actions" not in again.json()["objects"][0]  # sent once: not asked again
    assert Blob.objects.filter(sha256=sha256(CONFIG)).exists()
    assert not ReleaseFile.objects.exists()  # nothing is in a release before the commit


@pytest.mark.usefixtures("s3_storage")
def test_uploads_to_s3_go_straight_to_the_bucket_as_a_multipart_transfer(
    hub_server, seeded, transfers, settings, tmp_path
):
    """With S3 storage the batch answers the client's multipart transfer: the parts go to
    presigned S3 URLs, never through the hub, and the hub joins and checks them."""
    from tests.test_s3_storage import BUCKET, s3_client

    settings.HUB_UPLOAD_CHUNK_SIZE = 5 * 1024 * 1024  # S3's smallest part
    sven = UserFactory(username="sven")
    repo = RepositoryFactory(owner=sven, name="uploads")
    _t, token = tokens.token_create(user=sven, name="ci", scope="write")
    data = random.Random(4).randbytes(11 * 1024 * 1024)  # parts of 5, 5 and 1 MiB
    local = write_file(tmp_path, "weights.bin", data)
    empty = write_file(tmp_path, "__init__.py", b"")  # no parts to make: no multipart

    done, _empty = upload(
        hub_server,
        tmp_path / "home",
        put_file(local, "weights.bin", token),
        put_file(empty, "__init__.py", token),
    )

    assert done["result"]["oid"] == revisions.commit_id(repo.releases.get())
    assert sha256(data) not in transfers  # the weights' bytes never came through the hub
    assert files_of(repo.releases.get()) == {"weights.bin": data, "__init__.py": b""}
    blob = Blob.objects.get(size=len(data))
    assert blob.sha256 == sha256(data) and blob.blocks.filter(kind="leaf").count() == 44
    assert not s3_client().list_multipart_uploads(Bucket=BUCKET).get("Uploads")
    keys = [o["Key"] for o in s3_client().list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert [k for k in keys if k.startswith("incoming/")] == [
        f"incoming/received-u{sven.pk}-{blob.sha256}"  # the receipt: nothing else is left
    ]
