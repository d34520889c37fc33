"""Blob IDs, computed here to check downloads: the CIDv1 that ``ipfs add --cid-version=1``
prints for a file (kubo's defaults), in one streaming pass next to the file's sha256.

The layout, as the hub defines it (hub/blobid.py on the server side):

* the content is cut into chunks of 262144 bytes; each chunk is a raw leaf (codec ``raw``,
  0x55), addressed by CIDv1 + sha2-256 of its bytes; a file of at most one chunk (the empty
  file too) is that leaf alone (``bafkrei…``);
* larger files get a balanced tree of ``dag-pb`` (0x70) nodes with at most 174 links each,
  every node holding a UnixFS ``File`` message (``filesize``, one ``blocksizes`` per child) and
  one link per child (``Hash``, an empty ``Name``, ``Tsize`` = encoded bytes of the child's
  subtree), links before data (``bafybei…``); a node at height ``h`` covers ``174**h`` chunks
  and the last, partial subtree at each height stays a node even with a single child;
* the root CID is written in base32, lower case, with the multibase prefix ``b``.

Only the standard library: the CLI cannot import the hub's code, and no library on PyPI that
computes kubo's file CIDs is kept well enough to depend on (the suite cross-checks this module
against the hub's and against ``aleph-cid``).
"""

from __future__ import annotations

import base64
import hashlib
from typing import BinaryIO, ClassVar, NamedTuple

__all__ = ["CHUNK_SIZE", "MAX_LINKS", "BlobIdHasher", "hash_file"]

CHUNK_SIZE = 262_144
MAX_LINKS = 174

_RAW = 0x55
_DAG_PB = 0x70
_SHA2_256 = 0x12
_UNIXFS_FILE = 2
_READ_SIZE = 4 * CHUNK_SIZE


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _cid(codec: int, digest: bytes) -> bytes:
    """A binary CIDv1: version, codec, then the multihash (code, length, digest)."""
    return _varint(1) + _varint(codec) + _varint(_SHA2_256) + _varint(len(digest)) + digest


def _varint_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


class _Link(NamedTuple):
    cid: bytes
    tsize: int  # encoded bytes of the child's whole subtree
    filesize: int  # content bytes under the child


def _raw_leaf(chunk: bytes | memoryview) -> _Link:
    return _Link(_cid(_RAW, hashlib.sha256(chunk).digest()), len(chunk), len(chunk))


def _file_node(children: list[_Link]) -> _Link:
    filesize = sum(child.filesize for child in children)
    unixfs = _varint_field(1, _UNIXFS_FILE) + _varint_field(3, filesize)
    unixfs += b"".join(_varint_field(4, child.filesize) for child in children)
    links = b"".join(
        _bytes_field(
            2,
            _bytes_field(1, child.cid) + _bytes_field(2, b"") + _varint_field(3, child.tsize),
        )
        for child in children
    )
    block = links + _bytes_field(1, unixfs)
    tsize = len(block) + sum(child.tsize for child in children)
    return _Link(_cid(_DAG_PB, hashlib.sha256(block).digest()), tsize, filesize)


class BlobIdHasher:
    """sha256 and Blob ID of bytes fed in pieces of any size; memory stays bounded (one partial
    chunk and, per tree height, the links of the one node still open)."""

    # Tests may shrink these in a subclass to build deep trees from a few bytes.
    chunk_size: ClassVar[int] = CHUNK_SIZE
    max_links: ClassVar[int] = MAX_LINKS

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._pending = bytearray()
        self._levels: list[list[_Link]] = [[]]
        self.size = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        self._sha256.update(view)
        self.size += len(view)
        size = self.chunk_size
        if self._pending:
            take = size - len(self._pending)
            self._pending += view[:take]
            view = view[take:]
            if len(self._pending) < size:
                return
            self._add_leaf(_raw_leaf(self._pending))
            self._pending = bytearray()
        whole = len(view) - len(view) % size
        for start in range(0, whole, size):
            self._add_leaf(_raw_leaf(view[start : start + size]))
        self._pending += view[whole:]

    def _add_leaf(self, leaf: _Link) -> None:
        self._levels[0].append(leaf)
        height = 0
        while len(self._levels[height]) == self.max_links:
            node = _file_node(self._levels[height])
            self._levels[height] = []
            if height + 1 == len(self._levels):
                self._levels.append([])
            self._levels[height + 1].append(node)
            height += 1

    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def blob_id(self) -> str:
        """The Blob ID of everything fed so far (the hasher can go on afterwards)."""
        levels = [list(links) for links in self._levels]
        if self._pending:
            levels[0].append(_raw_leaf(bytes(self._pending)))
            # A full node at the bottom must be closed before it counts, as _add_leaf does.
            height = 0
            while len(levels[height]) == self.max_links:
                node = _file_node(levels[height])
                levels[height] = []
                if height + 1 == len(levels):
                    levels.append([])
                levels[height + 1].append(node)
                height += 1
        root = _root(levels) or _raw_leaf(b"")
        return "b" + base64.b32encode(root.cid).decode().lower().rstrip("=")


def _root(levels: list[list[_Link]]) -> _Link | None:
    top = max((h for h, links in enumerate(levels) if links), default=None)
    if top is None:
        return None
    carry: _Link | None = None
    for height in range(top):
        links = levels[height] + ([carry] if carry is not None else [])
        # Below the top, an open node is the last, partial subtree of its parent: kept as a
        # node even with a single child.
        carry = _file_node(links) if links else None
    links = levels[top] + ([carry] if carry is not None else [])
    return links[0] if len(links) == 1 else _file_node(links)


def hash_file(file: BinaryIO, progress=None) -> BlobIdHasher:
    """Feed a binary file from its position to its end; `progress(n)` after each piece."""
    hasher = BlobIdHasher()
    while piece := file.read(_READ_SIZE):
        hasher.update(piece)
        if progress is not None:
            progress(len(piece))
    return hasher
