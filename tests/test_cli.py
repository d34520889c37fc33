"""The `hub` CLI (cli/), run as a subprocess against the suite's live server, installed in the
virtual environment the way a publisher installs it (`pip install ./cli`: scripts/test's
`ensure_cli`). Uploads are verified by the suite's real Celery worker."""

import hashlib
import html
import io
import os
import re
import shlex
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import aleph_cid
import httpx
import pytest
from hub_cli.blobid import BlobIdHasher as CliHasher
from hub_cli.blobid import hash_file
from hub_cli.client import HubError
from hub_cli.download import destination

from accounts.tokens import token_create
from hub.blobid import BlobIdHasher
from releases.models import Blob, ReleaseFile, Upload
from releases.services.files import file_add_content
from repos.models import Repository
from tests.conftest import free_port
from tests.factories import RepositoryFactory, UserFactory

HUB = Path(sys.executable).parent / "hub"
ESCAPE = Path(__file__).resolve().parent.parent / "data" / "escape"  # outside any test folder
KIB = 1024
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def env(tmp_path, hub_server):
    """The environment of a user with an empty config directory, pointed at the live server."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return {**base, "XDG_CONFIG_HOME": str(tmp_path / "config"), "HUB_URL": hub_server}


@pytest.fixture
def alice(seeded):
    user = UserFactory(username="alice")
    _token, raw = token_create(user=user, name="laptop", scope="write")
    user.raw_token = raw
    return user


def hub(env, *args, token=None, stdin="", cwd=None) -> subprocess.CompletedProcess:
    if token is not None:
        env = {**env, "HUB_TOKEN": token}
    return subprocess.run(
        [str(HUB), *map(str, args)],
        env=env, input=stdin, capture_output=True, text=True, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip


def one_line_error(result) -> str:
    """The error a failing command printed: a single `hub: …` line, never a traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hub: "), result.stderr
    return lines[0]


def test_login_checks_the_token_and_stores_it_for_the_user_alone(env, alice, hub_server):
    plain = {k: v for k, v in env.items() if k != "HUB_URL"}
    result = hub(plain, "login", "--url", hub_server, stdin=alice.raw_token + "\n")
    assert result.returncode == 0, result.stderr
    assert f"Logged in to {hub_server} as alice (write token “laptop”)" in result.stdout
    config = Path(env["XDG_CONFIG_HOME"]) / "hub" / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert alice.raw_token in config.read_text()

    whoami = hub(plain, "whoami")
    assert whoami.returncode == 0 and whoami.stdout.startswith(f"alice on {hub_server}")

    assert hub(plain, "logout").returncode == 0
    assert alice.raw_token not in config.read_text()
    out = hub(plain, "whoami")
    assert out.returncode == 3 and "run `hub login`" in one_line_error(out)


def test_a_bad_token_is_refused_in_one_line_with_exit_code_3(env, alice):
    result = hub(env, "login", "--token", "hub_not-a-real-token")
    assert result.returncode == 3
    assert one_line_error(result).startswith("hub: The token is not valid")
    assert not (Path(env["XDG_CONFIG_HOME"]) / "hub" / "config.json").exists()
    assert hub(env, "whoami", token="hub_not-a-real-token").returncode == 3
    assert hub(env, "login", stdin="").returncode == 2  # no token at all: a usage error


def test_a_publisher_creates_a_repository_and_its_releases(env, alice):
    token = alice.raw_token
    created = hub(
        env, "create", "alice/gas-model", "--private", "--task", "defi-forecasting",
        "--license", "Apache-2.0", "--tag", "ethereum", "--tag", "gas",
        "--description", "# Gas\n\nForecasts gas.", token=token,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("Created alice/gas-model (private) with release v1.00")
    repo = Repository.objects.get(owner=alice, name="gas-model")
    assert repo.is_private and repo.license.spdx_id == "Apache-2.0"
    assert sorted(t.name for t in repo.tags.all()) == ["ethereum", "gas"]

    again = hub(env, "create", "alice/gas-model", token=token)
    assert again.returncode == 4
    assert one_line_error(again) == "hub: You already have a repository with this name."
    elsewhere = hub(env, "create", "bob/gas-model", token=token)
    assert elsewhere.returncode == 2 and "alice/gas-model" in one_line_error(elsewhere)

    minor = hub(env, "release", "alice/gas-model", "--notes", "Retrained.", token=token)
    assert minor.stdout.startswith("Created release v1.01 of alice/gas-model")
    major = hub(env, "release", "alice/gas-model", "--major", token=token)
    assert major.stdout.startswith("Created release v2.00 of alice/gas-model")

    listed = hub(env, "ls", "gas", token=token)
    assert "alice/gas-model (private)" in listed.stdout and "v2.00" in listed.stdout
    files = hub(env, "ls", "alice/gas-model@v1.01", token=token)
    assert files.returncode == 0 and files.stdout.startswith("alice/gas-model v1.01: 0 files")
    missing = hub(env, "ls", "alice/gas-model@v9.00", token=token)
    assert missing.returncode == 3 and one_line_error(missing)


def test_upload_sends_new_content_once_and_links_or_skips_the_rest(
    env, alice, tmp_path, celery_worker_process, shared_storage
):
    RepositoryFactory(owner=alice, name="uploads")
    weights = os.urandom(600 * KIB)  # ten chunks of 64 KiB; a Blob ID of three leaves
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "weights.bin").write_bytes(weights)
    (folder / "sub" / "copy.bin").write_bytes(weights)
    (folder / "config.json").write_text('{"layers": 3}')
    readme = tmp_path / "README.md"
    readme.write_text("# Uploads\n")
    token = alice.raw_token

    first = hub(env, "upload", "alice/uploads", folder, readme, token=token)
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    assert [line.split()[:2] for line in lines[:-1]] == [
        ["uploaded", "config.json"],
        ["uploaded", "sub/copy.bin"],
        ["linked", "weights.bin"],
        ["uploaded", "README.md"],
    ]
    assert lines[-1] == (
        "alice/uploads v1.00: 3 uploaded (600.0 KiB sent), 1 linked, 0 already there, "
        "0 conflicts, 0 failed."
    )
    files = {rf.path: rf.blob for rf in ReleaseFile.objects.select_related("blob")}
    assert set(files) == {"config.json", "sub/copy.bin", "weights.bin", "README.md"}
    assert files["weights.bin"].sha256 == hashlib.sha256(weights).hexdigest()
    assert files["sub/copy.bin"] == files["weights.bin"]
    # The weights (past one chunk) went as an upload of chunks, the small files in one
    # request each.
    assert list(Upload.objects.values_list("path", flat=True)) == ["sub/copy.bin"]
    assert Blob.objects.count() == 3

    again = hub(env, "upload", "alice/uploads@v1.00", folder, readme, token=token)
    assert again.returncode == 0
    assert again.stdout.splitlines()[-1].endswith(
        "0 uploaded (0 bytes sent), 0 linked, 4 already there, 0 conflicts, 0 failed."
    )
    assert Upload.objects.count() == 1  # nothing was transferred a second time
    assert Blob.objects.count() == 3

    hub(env, "release", "alice/uploads", token=token)
    linked = hub(env, "upload", "alice/uploads", folder, token=token)  # the latest: v1.01
    assert linked.returncode == 0
    assert linked.stdout.splitlines()[-1].startswith("alice/uploads v1.01: 0 uploaded")
    assert "3 linked" in linked.stdout
    assert Upload.objects.count() == 1 and Blob.objects.count() == 3

    (folder / "config.json").write_text('{"layers": 4}')
    conflict = hub(env, "upload", "alice/uploads@v1.01", folder / "config.json", token=token)
    assert conflict.returncode == 4
    assert conflict.stdout.startswith("conflict  config.json: ")
    assert "in conflict with the release" in one_line_error(conflict)
    assert Upload.objects.count() == 1 and Blob.objects.count() == 3  # refused before transfer


def test_an_interrupted_upload_resumes_where_it_stopped(
    env, alice, tmp_path, hub_server, celery_worker_process, shared_storage
):
    RepositoryFactory(owner=alice, name="resume")
    data = os.urandom(300 * KIB)  # five chunks of 64 KiB
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    # An earlier run sent two chunks, then died.
    api = httpx.Client(base_url=hub_server, headers={"Authorization": f"Bearer {alice.raw_token}"})
    state = api.post(
        "/api/v1/repos/alice/resume/releases/v1.00/uploads",
        json={"path": "big.bin", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()},
    ).json()
    for index in (0, 1):
        piece = data[index * 64 * KIB : (index + 1) * 64 * KIB]
        assert api.put(f"{state['url']}/chunks/{index}", content=piece).status_code == 200

    result = hub(env, "upload", "alice/resume", source, token=alice.raw_token)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("uploaded  big.bin (300.0 KiB, resumed at chunk 3 of 5)")
    assert "1 uploaded (172.0 KiB sent)" in result.stdout
    assert Upload.objects.get().status == "done"
    assert ReleaseFile.objects.get(path="big.bin").blob.sha256 == hashlib.sha256(data).hexdigest()


def test_an_upload_stopped_with_ctrl_c_resumes_on_the_next_run(
    env, alice, tmp_path, celery_worker_process, shared_storage, settings
):
    settings.HUB_UPLOAD_REQUEST_MAX = 64 * KIB  # one chunk a request: stopped between two
    RepositoryFactory(owner=alice, name="stopped")
    data = os.urandom(4 * 1024 * KIB)  # 64 chunks of 64 KiB
    source = tmp_path / "checkpoint.bin"
    source.write_bytes(data)
    command = [str(HUB), "upload", "alice/stopped", str(source)]
    proc = subprocess.Popen(
        command, env={**env, "HUB_TOKEN": alice.raw_token}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not Upload.objects.filter(chunks_received__gte=3).exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.strip() == "hub: interrupted; run the same command again to resume."
    stopped = Upload.objects.get()
    assert stopped.status == "receiving" and 3 <= stopped.chunks_received < 64

    result = hub(env, "upload", "alice/stopped", source, token=alice.raw_token)
    assert result.returncode == 0, result.stdout + result.stderr
    first = Upload.objects.get(pk=stopped.pk).chunks_received  # the same upload went on
    assert first == 64 and Upload.objects.count() == 1
    assert "resumed at chunk" in result.stdout
    assert ReleaseFile.objects.get(path="checkpoint.bin").blob.sha256 == (
        hashlib.sha256(data).hexdigest()
    )


def test_a_large_file_is_sent_while_hashed_where_no_copy_of_it_can_exist(
    env, alice, tmp_path, hub_server, celery_worker_process, shared_storage
):
    RepositoryFactory(owner=alice, name="hashing")
    env = {**env, "HUB_SEND_WHILE_HASHING": str(256 * KIB), "HUB_TOKEN": alice.raw_token}
    weights = os.urandom(600 * KIB)
    source = tmp_path / "weights.bin"
    source.write_bytes(weights)
    first = hub(env, "upload", "alice/hashing", source)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.startswith("uploaded  weights.bin (600.0 KiB)")
    sent = Upload.objects.get()
    # Declared after its bytes, and checked against the digest taken as they arrived.
    assert sent.sha256 == sent.received_sha256 == hashlib.sha256(weights).hexdigest()
    assert ReleaseFile.objects.get(path="weights.bin").blob.sha256 == sent.sha256

    # Of a size the user can already read: hashed first, then linked without a transfer.
    hub(env, "release", "alice/hashing")
    (tmp_path / "again").mkdir()
    (tmp_path / "again" / "renamed.bin").write_bytes(weights)
    linked = hub(env, "upload", "alice/hashing", tmp_path / "again" / "renamed.bin")
    assert linked.stdout.startswith("linked  renamed.bin (identical to"), linked.stdout
    assert Upload.objects.count() == 1

    # An upload an earlier run left before declaring its sha256 is replaced, not resumed.
    other = os.urandom(700 * KIB)
    (tmp_path / "other.bin").write_bytes(other)
    api = httpx.Client(base_url=hub_server, headers={"Authorization": f"Bearer {alice.raw_token}"})
    left = api.post(
        "/api/v1/repos/alice/hashing/releases/v1.01/uploads",
        json={"path": "other.bin", "size": len(other)},
    ).json()
    assert api.put(f"{left['url']}/chunks/0", content=other[: 64 * KIB]).status_code == 200
    result = hub(env, "upload", "alice/hashing", tmp_path / "other.bin")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("uploaded  other.bin (700.0 KiB)")  # not "resumed"
    assert Upload.objects.get(pk=left["id"]).status == "failed"
    assert ReleaseFile.objects.get(path="other.bin").blob.sha256 == (
        hashlib.sha256(other).hexdigest()
    )


@pytest.fixture
def release_with_files(alice, shared_storage):
    repo = RepositoryFactory(owner=alice, name="downloads")
    weights = os.urandom(600 * KIB)
    file_add_content(release=repo.latest_release, path="weights.bin", data=weights, user=alice)
    file_add_content(
        release=repo.latest_release, path="nested/config.json", data=b'{"a": 1}', user=alice
    )
    return repo, weights


def test_download_writes_files_under_the_folder_and_verifies_them(
    env, release_with_files, tmp_path
):
    _repo, weights = release_with_files
    out = tmp_path / "out"
    result = hub(env, "download", "alice/downloads", "--to", out)
    assert result.returncode == 0, result.stderr
    assert (out / "weights.bin").read_bytes() == weights
    assert (out / "nested" / "config.json").read_bytes() == b'{"a": 1}'
    assert result.stdout.splitlines()[-1] == (
        f"alice/downloads v1.00: 2 downloaded, 0 already there, 0 failed, in {out}; "
        "sha256 and Blob IDs verified."
    )
    assert not list(out.rglob("*.part"))

    again = hub(env, "download", "alice/downloads@v1.00", "--to", out)
    assert "0 downloaded, 2 already there" in again.stdout

    some = hub(env, "download", "alice/downloads", "nested", "--to", tmp_path / "some")
    assert some.returncode == 0
    assert [p.name for p in (tmp_path / "some").rglob("*") if p.is_file()] == ["config.json"]
    missing = hub(env, "download", "alice/downloads", "nope.bin", "--to", tmp_path / "x")
    assert missing.returncode == 3
    assert one_line_error(missing) == "hub: “nope.bin” is not in alice/downloads v1.00."

    assert hub(env, "verify", "alice/downloads", "--in", out).returncode == 0
    tampered = bytearray(weights)
    tampered[1234] ^= 0xFF
    (out / "weights.bin").write_bytes(tampered)
    check = hub(env, "verify", "alice/downloads", "--in", out)
    assert check.returncode == 1
    assert f"mismatch  {out / 'weights.bin'}: sha256 " in check.stdout
    assert "1 of 2 files match the release." in check.stdout


def test_an_interrupted_download_resumes_with_a_range(env, release_with_files, tmp_path):
    _repo, weights = release_with_files
    out = tmp_path / "out"
    out.mkdir()
    (out / "weights.bin.part").write_bytes(weights[: 100 * KIB])
    result = hub(env, "download", "alice/downloads", "weights.bin", "--to", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"resumed     {out / 'weights.bin'}")
    assert (out / "weights.bin").read_bytes() == weights


def test_download_refuses_bytes_that_differ_from_the_listing(
    env, release_with_files, tmp_path, shared_storage
):
    blob = ReleaseFile.objects.get(path="weights.bin").blob
    stored = shared_storage / "blobs" / blob.sha256[:2] / blob.sha256[2:4] / blob.sha256
    corrupted = bytearray(stored.read_bytes())
    corrupted[-1] ^= 0xFF  # what a failing disk or a tampering store would serve
    stored.write_bytes(corrupted)
    out = tmp_path / "out"
    result = hub(env, "download", "alice/downloads", "--to", out)
    assert result.returncode == 1
    assert "failed      " + str(out / "weights.bin") + ": the bytes received do not match the " \
        "release (sha256 " in result.stdout  # fmt: skip
    assert one_line_error(result) == "hub: 1 file failed."
    assert not (out / "weights.bin").exists() and not list(out.rglob("*.part"))
    assert (out / "nested" / "config.json").exists()  # the other file is fine


def test_download_refuses_paths_that_would_escape_the_folder(env, alice, tmp_path, shared_storage):
    repo = RepositoryFactory(owner=alice, name="escape")
    file_add_content(release=repo.latest_release, path="evil/payload.sh", data=b"x", user=alice)
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "evil").symlink_to(outside)  # a link in the folder that points out of it
    result = hub(env, "download", "alice/escape", "--to", out)
    assert result.returncode == 1
    assert one_line_error(result) == (
        f"hub: Refusing “evil/payload.sh”: it would be written outside {out}."
    )
    assert list(outside.iterdir()) == []


def test_download_refuses_unsafe_paths_before_writing_anything(tmp_path):
    assert destination(tmp_path, "a/b.bin") == tmp_path / "a" / "b.bin"
    for path in ("../x", "a/../../x", "/etc/passwd", "a//b", "./a", ""):
        with pytest.raises(HubError, match="outside"):
            destination(tmp_path, path)


@pytest.fixture
def option_like(alice, shared_storage):
    """A public release holding files named like an option and like standard input."""
    repo = RepositoryFactory(owner=alice, name="hostile")
    for path in ("--to=x", "-", "weights.bin", f"--to={ESCAPE}/x"):
        file_add_content(release=repo.latest_release, path=path, data=path.encode(), user=alice)
    return repo


def page_snippet(hub_server: str, path: str) -> list[str]:
    """The file page's `hub download` line, as the shell splits it once pasted."""
    page = httpx.get(f"{hub_server}/alice/hostile/releases/v1.00/files/{path}")
    assert page.status_code == 200
    line = re.search(r'data-copy="([^"]*)" aria-label="Copy the command-line', page.text)[1]
    return shlex.split(html.unescape(line))


def test_the_file_page_snippet_downloads_a_file_named_like_an_option(
    env, option_like, hub_server, tmp_path
):
    words = page_snippet(hub_server, "--to=x")
    assert words[:2] == ["hub", "download"]
    result = hub(env, *words[1:], cwd=tmp_path)  # pasted and run in an empty folder
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["--to=x"]  # that file, nothing else
    assert (tmp_path / "--to=x").read_bytes() == b"--to=x"

    dash = hub(env, *page_snippet(hub_server, "-")[1:], cwd=tmp_path)
    assert dash.returncode == 0, dash.stderr
    assert (tmp_path / "-").read_bytes() == b"-"


def test_download_refuses_a_path_that_could_be_read_as_an_option(env, option_like, tmp_path):
    # The line the file page used to show: the file's name read as --to, the whole release
    # written into another folder.
    for path in ("--to=x", f"--to={ESCAPE}/x"):
        old = hub(env, "download", "alice/hostile@v1.00", path, cwd=tmp_path)
        assert old.returncode == 2
        assert one_line_error(old) == (
            f"hub: “{path}” was read as an option, but it is also a path in alice/hostile "
            f"v1.00: write paths after “--” (hub download -- alice/hostile@v1.00 {path})."
        )
    checked = hub(env, "verify", "alice/hostile", "--in=x", "-q", cwd=tmp_path)
    assert checked.returncode == 1  # an option no file is named after is an option
    assert "hub verify" not in checked.stderr
    dash = hub(env, "download", "alice/hostile", "-", cwd=tmp_path)
    assert dash.returncode == 2
    assert one_line_error(dash).startswith(
        "hub: “-” could be an option: write paths that start with “-” after “--”"
    )
    unknown = hub(env, "download", "alice/hostile", "-weights.bin", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "a path that starts with “-” goes after “--”" in one_line_error(unknown)
    assert list(tmp_path.iterdir()) == [] and not Path(ESCAPE).exists()


def test_upload_refuses_an_option_that_is_also_a_file_here(
    env, alice, tmp_path, celery_worker_process, shared_storage
):
    RepositoryFactory(owner=alice, name="dashes")
    (tmp_path / "--quiet").write_bytes(b"weights")
    refused = hub(env, "upload", "alice/dashes", "--quiet", token=alice.raw_token, cwd=tmp_path)
    assert refused.returncode == 2
    assert one_line_error(refused).startswith(
        "hub: “--quiet” was read as an option, but it is also a file or folder here"
    )
    sent = hub(env, "upload", "alice/dashes", "--", "--quiet", token=alice.raw_token, cwd=tmp_path)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert ReleaseFile.objects.get(release__repository__name="dashes").path == "--quiet"


def test_a_private_repository_needs_the_owner_s_token(env, alice, tmp_path, shared_storage):
    repo = RepositoryFactory(owner=alice, name="secret", visibility="private")
    file_add_content(release=repo.latest_release, path="w.bin", data=b"secret bytes", user=alice)
    listed = hub(env, "ls", "alice/secret")
    assert listed.returncode == 3 and one_line_error(listed).startswith("hub: ")
    anonymous = hub(env, "download", "alice/secret", "--to", tmp_path / "a")
    assert anonymous.returncode == 3 and not (tmp_path / "a").exists()
    _token, bobs = token_create(user=UserFactory(username="bob"), name="b", scope="read")
    assert hub(env, "download", "alice/secret", "--to", tmp_path / "b", token=bobs).returncode == 3
    owner = hub(env, "download", "alice/secret", "--to", tmp_path / "c", token=alice.raw_token)
    assert owner.returncode == 0, owner.stderr
    assert (tmp_path / "c" / "w.bin").read_bytes() == b"secret bytes"
    assert "alice/secret" not in hub(env, "ls", "secret").stdout
    assert "alice/secret (private)" in hub(env, "ls", "secret", token=alice.raw_token).stdout


def test_usage_errors_exit_2_and_an_unreachable_hub_exits_1_in_one_line(env, alice, tmp_path):
    bad_ref = hub(env, "upload", "not-a-repository", tmp_path, token=alice.raw_token)
    assert bad_ref.returncode == 2
    assert one_line_error(bad_ref) == (
        "hub: “not-a-repository” is not a repository: write OWNER/NAME[@vX.YY]."
    )
    no_file = hub(env, "upload", "alice/x", tmp_path / "missing.bin", token=alice.raw_token)
    assert no_file.returncode == 2 and "no such file or folder" in one_line_error(no_file)
    assert hub(env, "upload", "alice/x").returncode == 2  # no paths
    away = hub({**env, "HUB_URL": f"http://127.0.0.1:{free_port()}"}, "ls")
    assert away.returncode == 1 and one_line_error(away).startswith("hub: cannot reach ")


class _Tiny:
    """Kubo's layout with 4-byte chunks and 3 links a node: deep trees from a few bytes."""

    chunk_size = 4
    max_links = 3


@pytest.mark.parametrize("size", [0, 1, 4, 5, 12, 13, 36, 37, 108, 109, 400])
def test_the_cli_computes_the_hub_s_blob_ids_for_deep_trees(size):
    data = os.urandom(size)
    cli, server = type("C", (_Tiny, CliHasher), {})(), type("S", (_Tiny, BlobIdHasher), {})()
    for start in range(0, size, 7):  # pieces that straddle chunks
        cli.update(data[start : start + 7])
    server.update(data)
    assert cli.blob_id() == server.blob_id()
    assert cli.sha256() == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("size", [0, 1, 256 * KIB, 256 * KIB + 1, 175 * 256 * KIB + 3])
def test_the_cli_blob_id_agrees_with_aleph_cid(size):
    data = os.urandom(size)
    reference = aleph_cid.CidHasher.for_ipfs_v1_raw_leaves()
    reference.update(data)
    assert hash_file(io.BytesIO(data)).blob_id() == reference.finalize()
