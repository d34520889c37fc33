"""Blob IDs: the CIDv1 that ``ipfs add --cid-version=1`` (kubo defaults) prints for a file.

A Blob ID is computed in one streaming pass, next to the plain sha256 of the content, so upload
code can feed bytes as they arrive and never hold the file.

Layout, as kubo builds it with ``--cid-version=1`` and no other option:

* The content is cut into fixed-size chunks of 262144 bytes (256 KiB); only the last one may be
  shorter, and a file whose size is a multiple of the chunk size has no empty trailing chunk.
* Each chunk is a *raw leaf*: a block of the ``raw`` codec (0x55) holding the chunk bytes as they
  are, addressed by CIDv1 + sha2-256 of those bytes.
* A file of at most one chunk is that leaf alone: its Blob ID starts with ``bafkrei``. The empty
  file is the raw leaf of no bytes.
* Larger files get a *balanced* tree of ``dag-pb`` (0x70) nodes with at most 174 links each. Every
  node holds a UnixFS ``File`` message (``filesize`` = bytes below it, ``blocksizes`` = bytes below
  each child) and one link per child: ``Hash`` = child CID, ``Name`` = "" and ``Tsize`` = encoded
  size of the child's whole subtree. Their Blob IDs start with ``bafybei``.
* The tree has the smallest depth ``d`` with ``174**d >= chunks``. A node at height ``h`` covers a
  run of ``174**h`` consecutive chunks, so all subtrees are full except the last one at each
  height, and a lone trailing chunk still gets its own chain of one-link nodes up to the root
  (kubo's go-unixfs ``balanced`` importer fills a tree of depth ``d`` before growing to ``d + 1``).
* The root CID is printed as CIDv1 in base32 lower case (``b...``).

These are kubo's legacy defaults; kubo's ``unixfs-v1-2025`` profile (1 MiB chunks, 1024 links)
gives other CIDs for files over 256 KiB, and a Blob ID stays defined by the parameters above.

The hasher keeps at most one partial chunk and, per tree height, the links of the one node still
being filled (fewer than 174), so memory stays bounded whatever the file size.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from typing import BinaryIO, ClassVar, NamedTuple

from multiformats import CID, multihash

__all__ = [
    "CHUNK_SIZE",
    "MAX_LINKS",
    "BlobIdHasher",
    "BlockReport",
    "LeafDigests",
    "blob_id_of_file",
]

CHUNK_SIZE = 262_144
MAX_LINKS = 174

# unixfs.proto: Data.DataType.File
_UNIXFS_FILE = 2
_SHA256_LENGTH = hashlib.sha256().digest_size
# Reading whole chunks lets update() hash straight from the read buffer without copying.
_READ_SIZE = 4 * CHUNK_SIZE


def _cid_prefix(codec: str) -> bytes:
    # A binary CIDv1 is <version><codec><multihash code><digest length><digest>: only the digest
    # differs from one block to the next, so the library encodes the header once and each block's
    # CID is a concatenation (building a CID object per 256 KiB chunk costs as much as hashing it).
    template = CID("base32", 1, codec, multihash.wrap(bytes(_SHA256_LENGTH), "sha2-256"))
    return bytes(template)[:-_SHA256_LENGTH]


_RAW_PREFIX = _cid_prefix("raw")
_DAG_PB_PREFIX = _cid_prefix("dag-pb")


class _Link(NamedTuple):
    """What a parent node records about one child."""

    cid: bytes  # binary CID
    tsize: int  # encoded bytes of the child's whole subtree, blocks included
    filesize: int  # content bytes under the child


# Reports one block as the hasher makes it: (binary CID, length, dag-pb bytes or None for a raw
# leaf, number of links). Leaves come in file order, each node right after its last child
# (post-order), so a collector can rebuild the DAG and each leaf's offset from the order alone.
BlockReport = Callable[[bytes, int, bytes | None, int], None]


def varint(value: int) -> bytes:
    """An unsigned LEB128 varint, as multiformats, protobuf and CAR files write lengths."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _varint_field(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def _raw_leaf(chunk: bytes | memoryview) -> _Link:
    digest = hashlib.sha256(chunk).digest()
    return _Link(_RAW_PREFIX + digest, len(chunk), len(chunk))


def _file_node(children: list[_Link], on_block: BlockReport | None = None) -> _Link:
    filesize = sum(child.filesize for child in children)
    # proto2 repeated scalars are not packed: one `blocksizes` field per child.
    unixfs = _varint_field(1, _UNIXFS_FILE) + _varint_field(3, filesize)
    unixfs += b"".join(_varint_field(4, child.filesize) for child in children)
    # dag-pb's canonical form puts Links (field 2) before Data (field 1), and go-merkledag
    # always writes Name, even empty: both change the bytes, hence the CID.
    links = b"".join(
        _bytes_field(
            2,
            _bytes_field(1, child.cid) + _bytes_field(2, b"") + _varint_field(3, child.tsize),
        )
        for child in children
    )
    block = links + _bytes_field(1, unixfs)
    digest = hashlib.sha256(block).digest()
    tsize = len(block) + sum(child.tsize for child in children)
    if on_block is not None:
        on_block(_DAG_PB_PREFIX + digest, len(block), block, len(children))
    return _Link(_DAG_PB_PREFIX + digest, tsize, filesize)


class _BalancedTree:
    """Kubo's balanced layout, built bottom-up as leaves arrive.

    ``_levels[h]`` holds the links of the one unfinished node at height ``h + 1``. A node is
    closed as soon as it has ``max_links`` children, because the next leaf necessarily starts a
    new subtree; nodes left open at the end are closed by ``root()``.
    """

    def __init__(self, max_links: int, on_block: BlockReport | None = None) -> None:
        self._max_links = max_links
        self._levels: list[list[_Link]] = [[]]
        self._on_block = on_block

    def add_leaf(self, leaf: _Link) -> None:
        if self._on_block is not None:
            self._on_block(leaf.cid, leaf.filesize, None, 0)
        self._levels[0].append(leaf)
        height = 0
        while len(self._levels[height]) == self._max_links:
            node = _file_node(self._levels[height], self._on_block)
            self._levels[height] = []
            if height + 1 == len(self._levels):
                self._levels.append([])
            self._levels[height + 1].append(node)
            height += 1

    def root(self) -> _Link | None:
        """The root link, or None when no leaf was added."""
        top = max((h for h, links in enumerate(self._levels) if links), default=None)
        if top is None:
            return None
        carry: _Link | None = None
        for height in range(top):
            links = self._levels[height]
            if carry is not None:
                links.append(carry)
            # Below the top, an open node is the last, partial subtree of its parent: kubo keeps
            # it as a node even with a single child, so it is never replaced by that child.
            carry = _file_node(links, self._on_block) if links else None
        links = self._levels[top]
        if carry is not None:
            links.append(carry)
        # A lone link at the top is already the root: one leaf, or one full subtree.
        return links[0] if len(links) == 1 else _file_node(links, self._on_block)


class _Chunker:
    """Cuts bytes fed in pieces of any size into chunks of `size`; whole chunks in the fed
    data are handed out in place (no copy), only a partial one is kept until it fills."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._pending = bytearray()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def feed(self, view: memoryview) -> Iterator[bytes | bytearray | memoryview]:
        size = self._size
        if self._pending:
            take = size - len(self._pending)
            self._pending += view[:take]
            view = view[take:]
            if len(self._pending) < size:
                return
            yield self._pending
            self._pending = bytearray()
        whole = len(view) - len(view) % size
        for start in range(0, whole, size):
            yield view[start : start + size]
        self._pending += view[whole:]

    def rest(self) -> bytearray:
        """The partial chunk at the end (then forgotten)."""
        rest, self._pending = self._pending, bytearray()
        return rest


class LeafDigests:
    """The sha256 digests of the raw leaves of a run of bytes that starts on a chunk
    boundary: what `BlobIdHasher.add_leaves()` takes. A chunked upload computes them as each
    of its chunks arrives, so the Blob ID later needs no second pass over the bytes."""

    def __init__(self) -> None:
        self._chunker = _Chunker(CHUNK_SIZE)
        self._digests = bytearray()

    def update(self, data: bytes | bytearray | memoryview) -> None:
        for chunk in self._chunker.feed(memoryview(data).cast("B")):
            self._digests += hashlib.sha256(chunk).digest()

    def digests(self) -> bytes:
        """32 bytes per leaf, the last (possibly short) one included; no more data after."""
        if self._chunker.pending:
            self._digests += hashlib.sha256(self._chunker.rest()).digest()
        return bytes(self._digests)


class BlobIdHasher:
    """Computes a Blob ID and the sha256 of the same bytes, fed in pieces of any size.

    Call ``update()`` for each piece, then ``blob_id()`` once at the end; after that the hasher
    takes no more data (``blob_id()`` keeps returning the same value). ``hexdigest_sha256()``
    can be read at any time.
    """

    # Blob IDs are defined by kubo's defaults; the class attributes only let tests build deep
    # trees from a few bytes in a subclass.
    chunk_size: ClassVar[int] = CHUNK_SIZE
    max_links: ClassVar[int] = MAX_LINKS

    def __init__(self, *, with_sha256: bool = True, on_block: BlockReport | None = None) -> None:
        # Without the whole-file sha256 the hasher computes the Blob ID alone. `on_block`, when
        # given, hears of every block of the DAG as it is made (see `BlockReport`); without it
        # the hasher does exactly what it did before, at the same speed.
        self._sha256 = hashlib.sha256() if with_sha256 else None
        self._chunker = _Chunker(self.chunk_size)
        self._tree = _BalancedTree(self.max_links, on_block)
        self._blob_id: str | None = None

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if self._blob_id is not None:
            raise RuntimeError("BlobIdHasher.update() called after blob_id()")
        view = memoryview(data).cast("B")
        if self._sha256 is not None:
            self._sha256.update(view)
        for chunk in self._chunker.feed(view):
            self._tree.add_leaf(_raw_leaf(chunk))

    def add_leaves(self, digests: bytes, length: int) -> None:
        """Add the raw leaves of `length` bytes whose chunks' sha256 digests (32 bytes each,
        in order, as `LeafDigests` gives them) were computed elsewhere, e.g. by the request
        that received those bytes. Only on a chunk boundary, and never with `update()`'s
        whole-file sha256, which would miss these bytes."""
        if self._blob_id is not None or self._sha256 is not None or self._chunker.pending:
            raise RuntimeError("add_leaves() needs a hasher without sha256, on a chunk boundary")
        size = self.chunk_size
        if len(digests) != _SHA256_LENGTH * -(-length // size):
            raise ValueError(f"{len(digests)} bytes of digests do not describe {length} bytes")
        for n, start in enumerate(range(0, len(digests), _SHA256_LENGTH)):
            leaf = min(size, length - n * size)
            digest = digests[start : start + _SHA256_LENGTH]
            self._tree.add_leaf(_Link(_RAW_PREFIX + digest, leaf, leaf))

    def hexdigest_sha256(self) -> str:
        """Hex sha256 of all bytes fed so far."""
        if self._sha256 is None:
            raise RuntimeError("this hasher was made with with_sha256=False")
        return self._sha256.hexdigest()

    @property
    def sha256(self) -> str:
        """Same as ``hexdigest_sha256()``."""
        return self.hexdigest_sha256()

    def blob_id(self) -> str:
        """Finish the tree and return the Blob ID (``bafkrei...`` or ``bafybei...``)."""
        if self._blob_id is None:
            if self._chunker.pending:
                self._tree.add_leaf(_raw_leaf(self._chunker.rest()))
            root = self._tree.root()
            if root is None:  # the empty file: one raw leaf of no bytes
                self._tree.add_leaf(_raw_leaf(b""))
                root = self._tree.root()
            self._blob_id = CID.decode(root.cid).encode("base32")
        return self._blob_id


def blob_id_of_file(path_or_fileobj: str | os.PathLike[str] | BinaryIO) -> str:
    """Blob ID of a file given by path, or of a binary file object read from its position to EOF.

    A file object is left open.
    """
    hasher = BlobIdHasher(with_sha256=False)
    if isinstance(path_or_fileobj, str | os.PathLike):
        with open(path_or_fileobj, "rb") as file:
            _feed(hasher, file)
    else:
        _feed(hasher, path_or_fileobj)
    return hasher.blob_id()


def _feed(hasher: BlobIdHasher, file: BinaryIO) -> None:
    while piece := file.read(_READ_SIZE):
        hasher.update(piece)
