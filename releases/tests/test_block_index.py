"""The block index: every block of a blob's DAG, in pre-order, with leaf offsets and node bytes."""

import hashlib
import io
import os

import pytest
from django.core.management import call_command
from multiformats import CID

from hub import storage
from hub.blobid import CHUNK_SIZE, BlobIdHasher
from releases.ipfs.blocks import BlockCollector
from releases.models import BlobBlock, BlockKind
from releases.services.files import file_add_content
from tests.factories import RepositoryFactory, UserFactory

# 176 leaves: a root over a full node of 174 leaves and a node of the last 2 (two levels).
BIG = 175 * CHUNK_SIZE + 1000


class SmallHasher(BlobIdHasher):
    """The same layout with 4-byte chunks and 3 links a node: deep trees from a few bytes."""

    chunk_size = 4
    max_links = 3


@pytest.fixture(scope="module")
def big_data():
    return os.urandom(BIG)


def digest(cid: bytes) -> bytes:
    return CID.decode(cid).digest[-32:]


def check_tree(rows, data: bytes, root: str) -> None:
    """Each row is a block of `data`'s DAG: hashes match CIDs, leaves cover the bytes in order,
    and each node's children follow it in pre-order as consecutive subtrees."""
    by_position = {row.position: row for row in rows}
    assert sorted(by_position) == list(range(len(rows)))
    assert bytes(by_position[0].cid) == bytes(CID.decode(root))
    assert by_position[0].last == len(rows) - 1
    expected_offset = 0
    for row in sorted(rows, key=lambda r: r.position):
        cid = bytes(row.cid)
        if row.kind == BlockKind.LEAF:
            assert row.offset == expected_offset and row.last == row.position
            block = data[row.offset : row.offset + row.size]
            assert CID.decode(cid).codec.name == "raw"
            expected_offset += row.size
        else:
            block = bytes(row.data)
            assert row.offset is None and row.size == len(block)
            assert CID.decode(cid).codec.name == "dag-pb"
            # The children's CIDs appear in the node's links in the order of the subtrees.
            child, found = row.position + 1, -1
            while child <= row.last:
                found = block.find(bytes(by_position[child].cid), found + 1)
                assert found >= 0
                child = by_position[child].last + 1
            assert child == row.last + 1
        assert hashlib.sha256(block).digest() == digest(cid)
    assert expected_offset == len(data)


@pytest.mark.parametrize("size", [0, 3, 4, 12, 13, 36, 37, 100])
def test_the_collector_lists_every_block_of_deep_trees_in_pre_order(size):
    data = bytes(range(256)) * 2
    data = data[:size]
    collector = BlockCollector()
    hasher = SmallHasher(on_block=collector)
    hasher.update(data)
    root = hasher.blob_id()
    check_tree(list(collector.rows(blob=None)), data, root)


def test_the_hasher_reports_nothing_different_and_costs_nothing_without_a_collector():
    data = bytes(range(200)) * 9
    plain, reported = SmallHasher(), SmallHasher(on_block=BlockCollector())
    plain.update(data)
    reported.update(data)
    assert plain.blob_id() == reported.blob_id()


@pytest.mark.django_db
def test_a_new_blob_gets_its_index_where_it_is_born(big_data):
    repo = RepositoryFactory(owner=UserFactory())
    rf = file_add_content(release=repo.latest_release, path="w.bin", data=big_data, user=None)
    rows = list(BlobBlock.objects.filter(blob=rf.blob))
    assert len(rows) == 176 + 3
    assert [r.kind for r in sorted(rows, key=lambda r: r.position)][:2] == ["node", "node"]
    check_tree(rows, big_data, rf.blob.blob_id)
    leaves = sorted((r for r in rows if r.kind == BlockKind.LEAF), key=lambda r: r.position)
    assert [r.offset for r in leaves[:3]] == [0, CHUNK_SIZE, 2 * CHUNK_SIZE]
    assert leaves[-1].size == 1000


@pytest.mark.django_db
def test_a_one_chunk_file_is_a_single_leaf():
    repo = RepositoryFactory(owner=UserFactory())
    rf = file_add_content(release=repo.latest_release, path="a.txt", data=b"hello", user=None)
    (row,) = BlobBlock.objects.filter(blob=rf.blob)
    assert (row.kind, row.offset, row.size, row.position, row.last) == ("leaf", 0, 5, 0, 0)


@pytest.mark.django_db
def test_the_command_indexes_existing_blobs_once(big_data):
    repo = RepositoryFactory(owner=UserFactory())
    rf = file_add_content(release=repo.latest_release, path="w.bin", data=big_data, user=None)
    before = {
        (r.position, bytes(r.cid), r.offset, r.size, r.last)
        for r in BlobBlock.objects.filter(blob=rf.blob)
    }
    BlobBlock.objects.filter(blob=rf.blob).delete()  # a blob from before the index

    out = io.StringIO()
    call_command("index_blocks", stdout=out)
    assert f"{rf.blob.blob_id}: 179 blocks" in out.getvalue()
    after = {
        (r.position, bytes(r.cid), r.offset, r.size, r.last)
        for r in BlobBlock.objects.filter(blob=rf.blob)
    }
    assert after == before

    again = io.StringIO()
    call_command("index_blocks", stdout=again)
    assert "Indexed 0 blob(s)" in again.getvalue()
    assert BlobBlock.objects.filter(blob=rf.blob).count() == 179


@pytest.mark.django_db
def test_the_command_reports_a_blob_whose_bytes_are_gone():
    repo = RepositoryFactory(owner=UserFactory())
    rf = file_add_content(release=repo.latest_release, path="a.txt", data=b"gone", user=None)
    BlobBlock.objects.filter(blob=rf.blob).delete()
    storage.storage().delete(rf.blob.storage_key)
    out, err = io.StringIO(), io.StringIO()
    call_command("index_blocks", stdout=out, stderr=err)
    assert "not indexed" in err.getvalue() and "1 failed" in out.getvalue()
