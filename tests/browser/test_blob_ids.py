"""The Blob IDs Chromium computes with the uploader's pool of Web Workers (js/blobid-pool.js)
are the hub's (hub.blobid): single leaves, and balanced trees of two and three levels."""

import base64
import random

import pytest
from django.templatetags.static import static

from hub.blobid import CHUNK_SIZE, MAX_LINKS, BlobIdHasher, blob_id_of_file
from tests.browser.helpers import random_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [
    0,  # the raw leaf of no bytes
    1,
    CHUNK_SIZE,  # still one leaf
    CHUNK_SIZE + 1,  # two leaves under one node
    MAX_LINKS * CHUNK_SIZE,  # one full node
    MAX_LINKS * CHUNK_SIZE + 1,  # three levels: the lone last leaf gets its own node
    50 * 1024 * 1024 + 12_345,  # many slices per worker, the last leaf short
]


def pool_page(page, base: str) -> None:
    """A hub page that loaded the pool's script, with a file input to hand it files."""
    page.goto(base + "/")
    page.add_script_tag(url=static("js/blobid-pool.js"))
    page.evaluate(
        """() => {
            const input = document.createElement("input");
            Object.assign(input, { type: "file", multiple: true, id: "files" });
            input.setAttribute("aria-label", "Files to hash");
            document.body.append(input);
        }"""
    )


def test_the_pool_computes_the_hubs_blob_ids(hub_server, page, tmp_path):
    paths = [random_file(tmp_path, f"{size}.bin", size, seed=size)[0] for size in SIZES]
    pool_page(page, hub_server)
    page.set_input_files("#files", paths)

    answers = page.evaluate(
        """async (workerUrl) => {
            const pool = new BlobIdPool(workerUrl);
            // Another cut of the same work: three workers, one leaf a slice.
            const small = new BlobIdPool(workerUrl, { workers: 3, slice: 262144 });
            const answers = [];
            for (const file of document.getElementById("files").files) {
                const progress = [];
                const blobId = await pool.blobId(file, (done) => progress.push(done));
                answers.push({ blobId, progress, again: await small.blobId(file) });
            }
            return answers;
        }""",
        static("js/blobid-worker.js"),
    )

    assert [a["blobId"] for a in answers] == [blob_id_of_file(p) for p in paths]
    assert [a["again"] for a in answers] == [a["blobId"] for a in answers]
    assert [a["blobId"][:7] for a in answers] == ["bafkrei"] * 3 + ["bafybei"] * 4
    for answer in answers:  # the hashing bar moves forward and ends full
        assert answer["progress"] == sorted(answer["progress"])
        assert answer["progress"][-1] == 1


@pytest.mark.parametrize(
    "leaves",
    [MAX_LINKS**2, MAX_LINKS**2 + 1, MAX_LINKS**2 + MAX_LINKS + 1, 2 * MAX_LINKS**2 + 5],
)
def test_the_tree_above_the_leaves_is_kubos_balanced_layout(hub_server, page, leaves):
    # Trees of gigabytes, from their leaf digests alone.
    digests = random.Random(leaves).randbytes(32 * leaves)
    size = leaves * CHUNK_SIZE - 1_000  # the last leaf is short
    hasher = BlobIdHasher(with_sha256=False)
    hasher.add_leaves(digests, size)
    pool_page(page, hub_server)

    blob_id = page.evaluate(
        """([digests, size]) => BlobIdPool.blobIdOfLeaves(
            Uint8Array.from(atob(digests), (c) => c.charCodeAt(0)), size)""",
        [base64.b64encode(digests).decode(), size],
    )

    assert blob_id == hasher.blob_id()
