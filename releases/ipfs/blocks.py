"""The block index of a blob: every block of the DAG its Blob ID names, one `BlobBlock` row each.

`BlobIdHasher(on_block=collector)` reports blocks bottom-up as it makes them (leaves in file
order, each node right after its last child). `BlockCollector` turns that post-order into
the rows: positions in depth-first pre-order (the order of a CAR), the last position under each
node, each leaf's offset in the blob. It keeps what it heard until the rows are written: 36
bytes of CID a leaf (40,000 leaves for 10 GiB) and the dag-pb bytes of the few inner nodes.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection, transaction
from multiformats import CID

from hub import storage
from hub.blobid import BlobIdHasher
from releases.models import Blob, BlobBlock, BlockKind

BATCH = 2000  # rows per INSERT


class BlockCollector:
    """The `on_block` callback of a `BlobIdHasher`; `rows(blob)` once the Blob ID is known."""

    def __init__(self) -> None:
        self._cids: list[bytes] = []
        self._sizes: list[int] = []
        self._nodes: dict[int, tuple[bytes, int]] = {}  # post index -> (dag-pb bytes, links)

    def __call__(self, cid: bytes, size: int, data: bytes | None, links: int) -> None:
        if data is not None:
            self._nodes[len(self._cids)] = (data, links)
        self._cids.append(cid)
        self._sizes.append(size)

    def root_cid(self) -> bytes | None:
        return self._cids[-1] if self._cids else None

    def rows(self, blob: Blob) -> Iterator[BlobBlock]:
        """The rows of `blob`'s index, in pre-order (the root first)."""
        count = len(self._cids)
        if not count:
            return
        # Rebuild the tree from post-order: a node's children are the subtrees just before it.
        children: dict[int, list[int]] = {}
        blocks_under: list[int] = [1] * count
        offsets: list[int | None] = [None] * count
        stack: list[int] = []
        offset = 0
        for index in range(count):
            node = self._nodes.get(index)
            if node is None:
                offsets[index] = offset
                offset += self._sizes[index]
            else:
                kids = stack[len(stack) - node[1] :]
                del stack[len(stack) - node[1] :]
                children[index] = kids
                blocks_under[index] = 1 + sum(blocks_under[kid] for kid in kids)
            stack.append(index)
        if stack != [count - 1]:
            raise ValueError("the reported blocks do not form one tree")
        todo = [(count - 1, 0)]
        while todo:
            index, position = todo.pop()
            node = self._nodes.get(index)
            yield BlobBlock(
                blob=blob,
                position=position,
                last=position + blocks_under[index] - 1,
                cid=self._cids[index],
                kind=BlockKind.LEAF if node is None else BlockKind.NODE,
                offset=offsets[index],
                size=self._sizes[index],
                data=None if node is None else node[0],
            )
            following = position + 1
            starts = []
            for kid in children.get(index, ()):
                starts.append((kid, following))
                following += blocks_under[kid]
            todo.extend(reversed(starts))  # the first child is taken next


def cid_bytes(blob_id: str) -> bytes:
    """The binary form of a CID given as text."""
    return bytes(CID.decode(blob_id))


def block_index_store(blob: Blob, collector: BlockCollector) -> None:
    """Write `blob`'s index from what a hasher reported while hashing its bytes."""
    if collector.root_cid() != cid_bytes(blob.blob_id):
        raise ValueError(f"the blocks reported are not those of {blob.blob_id}")
    with transaction.atomic():
        if BlobBlock.objects.filter(blob=blob).exists():  # made again (index_blocks)
            BlobBlock.objects.filter(blob=blob).delete()
        _insert(collector.rows(blob))


def block_index_store_many(indexed: list[tuple[Blob, BlockCollector]]) -> None:
    """`block_index_store` for new blobs in one write (they have no rows yet)."""
    for blob, collector in indexed:
        if collector.root_cid() != cid_bytes(blob.blob_id):
            raise ValueError(f"the blocks reported are not those of {blob.blob_id}")
    _insert(row for blob, collector in indexed for row in collector.rows(blob))


_COLUMNS = ("blob_id", "position", "last", "cid", "kind", "offset", "size", "data")


def _insert(rows: Iterator[BlobBlock]) -> None:
    """Write the rows: PostgreSQL's COPY where the database is PostgreSQL (a 1 GiB file has
    4,120 blocks, and COPY writes them ten times faster than INSERTs), else bulk INSERTs."""
    if connection.vendor != "postgresql":
        BlobBlock.objects.bulk_create(rows, batch_size=BATCH)
        return
    table = connection.ops.quote_name(BlobBlock._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                (row.blob_id, row.position, row.last, row.cid, row.kind, row.offset, row.size,
                 row.data)
            )  # fmt: skip


def block_index_build(blob: Blob) -> int:
    """Hash `blob`'s stored bytes again and write its index; returns the number of blocks."""
    collector = BlockCollector()
    hasher = BlobIdHasher(with_sha256=False, on_block=collector)
    store = storage.storage()
    with store.open(blob.storage_key, "rb") as file:
        while piece := file.read(storage.PIECE):
            hasher.update(piece)
    hasher.blob_id()
    block_index_store(blob, collector)
    return BlobBlock.objects.filter(blob=blob).count()


def blobs_without_index():
    """Blobs that have no block index yet (blocked ones included: the gateway asks anyway)."""
    return Blob.objects.filter(blocks__isnull=True).order_by("pk")
