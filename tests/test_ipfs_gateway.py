"""The trustless IPFS gateway against a live server, checked by real IPFS clients: ipfs-car,
and @helia/verified-fetch with the hub as its only gateway."""

import hashlib
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from multiformats import CID

from hub.blobid import CHUNK_SIZE
from releases.models import Blob, BlobBlock, BlockKind
from releases.services.files import file_add_content
from tests.factories import RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
IPFS_CAR = ROOT / "node_modules" / ".bin" / "ipfs-car"
VERIFIED_FETCH = ROOT / "tests" / "ipfs" / "verified_fetch.mjs"
# 176 leaves under two levels of dag-pb nodes: a root over a full node (174 leaves) and a
# node of two; the last leaf is short.
SIZE = 175 * CHUNK_SIZE + 1000
CAR = "application/vnd.ipld.car"


def ipfs_car(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(IPFS_CAR), *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def content(seeded, shared_storage):
    """A public file of several levels, a private one and a blocked public one."""
    owner = UserFactory(username="carol")
    public = RepositoryFactory(owner=owner, name="weights")
    private = RepositoryFactory(owner=owner, name="secret", visibility="private")
    data = os.urandom(SIZE)
    rf = file_add_content(release=public.latest_release, path="model.bin", data=data, user=owner)
    hidden = file_add_content(
        release=private.latest_release, path="s.bin", data=os.urandom(1000), user=owner
    )
    blocked = file_add_content(
        release=public.latest_release, path="bad.bin", data=os.urandom(2000), user=owner
    )
    Blob.objects.filter(pk=blocked.blob_id).update(blocked_at="2026-01-01T00:00Z")
    return {"data": data, "cid": rf.blob.blob_id, "blob": rf.blob, "repo": public,
            "private": hidden.blob.blob_id, "blocked": blocked.blob.blob_id}  # fmt: skip


def fetch_car(url: str, target: Path, **kwargs) -> requests.Response:
    with (
        requests.get(url, stream=True, timeout=60, **kwargs) as response,
        target.open("wb") as out,
    ):
        for piece in response.iter_content(1 << 20):
            out.write(piece)
    return response


def test_a_car_of_the_whole_file_unpacks_and_verifies_with_ipfs_car(hub_server, content, tmp_path):
    car = tmp_path / "f.car"
    response = fetch_car(f"{hub_server}/ipfs/{content['cid']}", car, headers={"Accept": CAR})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(f"{CAR}; version=1")
    assert response.headers["Cache-Control"] == "public, max-age=29030400, immutable"
    assert response.headers["ETag"] and response.headers["X-Ipfs-Path"] == f"/ipfs/{content['cid']}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert int(response.headers["Content-Length"]) == car.stat().st_size

    roots = ipfs_car("roots", car)
    assert roots.returncode == 0 and roots.stdout.split() == [content["cid"]]
    blocks = ipfs_car("blocks", car)
    assert len(blocks.stdout.split()) == 176 + 3
    unpacked = tmp_path / "f"
    result = ipfs_car("unpack", car, "--verify", "--output", unpacked)
    assert result.returncode == 0, result.stderr
    assert unpacked.read_bytes() == content["data"]


def test_a_tampered_car_fails_verification(hub_server, content, tmp_path):
    car = tmp_path / "f.car"
    fetch_car(f"{hub_server}/ipfs/{content['cid']}?format=car", car)
    raw = bytearray(car.read_bytes())
    raw[-500] ^= 0x01  # inside the last leaf's bytes
    car.write_bytes(bytes(raw))
    result = ipfs_car("unpack", car, "--verify", "--output", tmp_path / "f")
    assert result.returncode != 0


def test_a_car_of_an_inner_node_holds_its_subtree(hub_server, content, tmp_path):
    node = BlobBlock.objects.get(blob=content["blob"], position=1)  # the full node of 174
    cid = CID.decode(bytes(node.cid)).encode("base32")
    car = tmp_path / "n.car"
    response = fetch_car(f"{hub_server}/ipfs/{cid}?format=car", car)
    assert int(response.headers["Content-Length"]) == car.stat().st_size
    result = ipfs_car("unpack", car, "--verify", "--output", tmp_path / "n")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "n").read_bytes() == content["data"][: 174 * CHUNK_SIZE]


@pytest.mark.parametrize("kind", [BlockKind.LEAF, BlockKind.NODE])
def test_a_raw_block_matches_its_cid(hub_server, content, kind):
    row = BlobBlock.objects.filter(blob=content["blob"], kind=kind).order_by("-position").first()
    cid = CID.decode(bytes(row.cid))
    response = requests.get(
        f"{hub_server}/ipfs/{cid.encode('base32')}",
        headers={"Accept": "application/vnd.ipld.raw"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.ipld.raw"
    assert response.headers["Cache-Control"] == "public, max-age=29030400, immutable"
    assert hashlib.sha256(response.content).digest() == cid.digest[-32:]
    if kind == BlockKind.LEAF:
        assert response.content == content["data"][row.offset : row.offset + row.size]


def test_the_root_is_also_served_as_a_raw_block_and_by_its_cidv0(hub_server, content):
    cid = CID.decode(content["cid"])
    v0 = cid.set(version=0, base="base58btc").encode()
    response = requests.get(f"{hub_server}/ipfs/{v0}?format=raw", timeout=30)
    assert response.status_code == 200
    assert hashlib.sha256(response.content).digest() == cid.digest[-32:]


def test_head_answers_the_headers_without_a_body(hub_server, content):
    response = requests.head(f"{hub_server}/ipfs/{content['cid']}?format=raw", timeout=30)
    assert response.status_code == 200 and response.content == b""
    assert response.headers["Content-Type"] == "application/vnd.ipld.raw"
    car = requests.head(f"{hub_server}/ipfs/{content['cid']}?format=car", timeout=30)
    assert car.status_code == 200 and car.headers["Content-Type"].startswith(CAR)
    whole = requests.get(f"{hub_server}/ipfs/{content['cid']}?format=car", timeout=30)
    assert car.headers["Content-Length"] == str(len(whole.content))


def test_it_refuses_what_is_not_verifiable_or_not_public(hub_server, content):
    base = f"{hub_server}/ipfs"
    assert requests.get(f"{base}/{content['cid']}", timeout=30).status_code == 406
    assert requests.get(f"{base}/{content['cid']}?format=tar", timeout=30).status_code == 406
    assert requests.get(f"{base}/not-a-cid?format=raw", timeout=30).status_code == 400
    for cid in (content["private"], content["blocked"]):
        assert requests.get(f"{base}/{cid}?format=raw", timeout=30).status_code == 404
        assert requests.get(f"{base}/{cid}?format=car", timeout=30).status_code == 404
    unknown = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    assert requests.get(f"{base}/{unknown}?format=raw", timeout=30).status_code == 404


def test_an_unchanged_block_is_not_sent_again(hub_server, content):
    url = f"{hub_server}/ipfs/{content['cid']}?format=raw"
    etag = requests.get(url, timeout=30).headers["ETag"]
    again = requests.get(url, headers={"If-None-Match": etag}, timeout=30)
    assert again.status_code == 304


def test_the_file_page_shows_how_to_verify_with_ipfs_tools_for_public_content_only(client, content):
    page = client.get("/carol/weights/releases/v1.00/files/model.bin")
    assert page.status_code == 200
    assert f"-o file.car -- http://testserver/ipfs/{content['cid']}" in page.text
    assert "ipfs-car unpack file.car --verify --output ./model.bin" in page.text
    client.force_login(UserFactory(username="carol"))
    private = client.get("/carol/secret/releases/v1.00/files/s.bin")
    assert private.status_code == 200 and "ipfs-car" not in private.text
    blocked = client.get("/carol/weights/releases/v1.00/files/bad.bin")
    assert blocked.status_code == 200 and "ipfs-car" not in blocked.text


def verified_fetch(gateway: str, cid: str, output: Path, seconds: int = 60) -> dict:
    """Fetch `cid` with @helia/verified-fetch from `gateway` alone; its answer as a dict."""
    done = subprocess.run(
        ["node", str(VERIFIED_FETCH), gateway, cid, str(output), str(seconds)],
        cwd=ROOT,
        env={**os.environ, "DEBUG": ""},  # Helia's logger reads DEBUG (the hub's is "false")
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture
def large(content):
    """A public 50 MiB file (200 leaves under a root and two nodes), beside `content`."""
    data = os.urandom(50 * 1024 * 1024)
    release = content["repo"].latest_release
    rf = file_add_content(release=release, path="large.bin", data=data, user=None)
    return {"data": data, "cid": rf.blob.blob_id}


@pytest.fixture
def tampering_gateway(hub_server):
    """A gateway in front of the hub that flips one byte of the blocks whose CIDs it is given."""
    tampered: set[str] = set()
    asked: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            upstream = requests.get(
                hub_server + self.path, headers={"Accept": self.headers.get("Accept", "")},
                timeout=30,
            )  # fmt: skip
            body = bytearray(upstream.content)
            if any(f"/ipfs/{cid}" in self.path for cid in tampered) and body:
                body[len(body) // 2] ^= 0x01
            self.send_response(upstream.status_code)
            for name in ("Content-Type", "Cache-Control", "ETag", "X-Ipfs-Roots"):
                if name in upstream.headers:
                    self.send_header(name, upstream.headers[name])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "tampered": tampered, "asked": asked}
    server.shutdown()
    server.server_close()


def test_verified_fetch_with_the_hub_as_only_gateway_gets_the_original_bytes(
    hub_server, content, large, tmp_path
):
    for name, fixture in (("small", content), ("large", large)):
        output = tmp_path / name
        answer = verified_fetch(hub_server, fixture["cid"], output)
        assert answer == {"status": 200, "bytes": len(fixture["data"])}
        assert output.read_bytes() == fixture["data"]


def test_verified_fetch_gets_a_subtree_by_the_cid_of_an_inner_node(hub_server, content, tmp_path):
    node = BlobBlock.objects.get(blob=content["blob"], position=1)  # the full node of 174
    cid = CID.decode(bytes(node.cid)).encode("base32")
    answer = verified_fetch(hub_server, cid, tmp_path / "n")
    assert answer["status"] == 200 and "error" not in answer
    assert (tmp_path / "n").read_bytes() == content["data"][: 174 * CHUNK_SIZE]


def test_verified_fetch_refuses_a_block_that_does_not_match_its_cid(
    tampering_gateway, content, tmp_path
):
    last = BlobBlock.objects.filter(blob=content["blob"], kind=BlockKind.LEAF)
    last = last.order_by("-position").first()
    tampering_gateway["tampered"].add(CID.decode(bytes(last.cid)).encode("base32"))
    output = tmp_path / "t"
    answer = verified_fetch(tampering_gateway["url"], content["cid"], output, seconds=20)
    assert any("format=raw" in path for path in tampering_gateway["asked"])
    assert answer["status"] != 200 or "error" in answer
    fetched = output.read_bytes() if output.exists() else b""
    assert len(fetched) < len(content["data"])
    assert content["data"].startswith(fetched)  # nothing it delivered came from the bad block


def test_verified_fetch_gets_nothing_for_private_content(hub_server, content, tmp_path):
    answer = verified_fetch(hub_server, content["private"], tmp_path / "p", seconds=15)
    assert answer["status"] >= 400, answer  # verified-fetch's own error answer, no content
