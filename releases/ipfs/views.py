"""A trustless IPFS gateway (specs.ipfs.tech/http-gateways/trustless-gateway/) for the hub's
public content: `GET|HEAD /ipfs/<cid>` answers a block (`application/vnd.ipld.raw`) or a CARv1
of the DAG under it (`application/vnd.ipld.car`), both verifiable by the client, from the
block index (`releases.ipfs.blocks`) and the stored bytes.

Only content everyone may read is served: a file of a listed repository (the access policy's
`listed_q`, the anonymous visitor's view, whoever asks) whose content is not blocked
(`content_usable`). Everything else is a 404, like a CID the hub does not hold.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Case, F, Sum, Value, When
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_http_methods
from multiformats import CID

from hub import storage
from hub.blobid import varint
from releases.models import BlobBlock, BlockKind
from repos.access import content_usable, listed_q

RAW = "application/vnd.ipld.raw"
CAR = "application/vnd.ipld.car"
CAR_TYPE = f"{CAR}; version=1; order=dfs; dups=y"
IMMUTABLE = "public, max-age=29030400, immutable"
ROWS = 500  # index rows read at a time while a CAR streams


def _plain(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _wanted(request: HttpRequest) -> str | None:
    """ "raw" or "car" as the query (`format`) or else the Accept header asks; None otherwise."""
    fmt = request.GET.get("format")
    if fmt is not None:
        return fmt if fmt in ("raw", "car") else None
    for item in request.headers.get("Accept", "").split(","):
        media = item.split(";", 1)[0].strip().lower()
        if media == RAW:
            return "raw"
        if media == CAR:
            return "car"
    return None


def _parse(text: str) -> CID | None:
    try:
        cid = CID.decode(text)
    except (ValueError, KeyError, TypeError):
        return None
    return cid.set(version=1, base="base32") if cid.version == 0 else cid


def _public_block(cid: CID) -> BlobBlock | None:
    """A block with this CID in content everyone may read, or None."""
    prefix = "blob__release_files__release__repository__"
    block = (
        BlobBlock.objects.filter(listed_q(prefix), cid=bytes(cid))
        .select_related("blob")
        .order_by("pk")
        .first()
    )
    return block if block is not None and content_usable(block.blob) else None


def _car_header(root: bytes) -> bytes:
    # DAG-CBOR {"roots": [CID], "version": 1}: keys in canonical order (shorter first), a CID
    # as tag 42 over its bytes behind a 0x00 prefix.
    link = b"\x00" + root
    cbor = (
        b"\xa2\x65roots\x81\xd8\x2a"
        + (b"\x58" + bytes([len(link)]) if len(link) < 256 else b"\x59" + len(link).to_bytes(2))
        + link
        + b"\x67version\x01"
    )
    return varint(len(cbor)) + cbor


def _subtree(top: BlobBlock):
    return BlobBlock.objects.filter(
        blob_id=top.blob_id, position__gte=top.position, position__lte=top.last
    )


def _car_length(top: BlobBlock) -> int:
    """The CAR's length in bytes, from the index alone: the header, then for each block a
    varint of its CID's and bytes' length, the CID and the bytes."""
    entry = Length("cid") + F("size")
    varint_length = Case(
        *(When(**{"entry__lt": 1 << (7 * n)}, then=Value(n)) for n in range(1, 5)), default=5
    )
    sizes = _subtree(top).annotate(entry=entry).aggregate(total=Sum(F("entry") + varint_length))
    return len(_car_header(bytes(top.cid))) + (sizes["total"] or 0)


def _car(top: BlobBlock) -> Iterator[bytes]:
    """The CAR of the DAG under `top`: its rows in pre-order (the leaves in file order, read
    from storage as one forward pass), a few hundred rows in memory at a time.

    A leaf's bytes are yielded as read, after their varint and CID: joining them would copy
    every byte once more in the web process."""
    yield _car_header(bytes(top.cid))
    store = storage.storage()
    file = None
    try:
        after = top.position - 1
        while after < top.last:
            rows = list(
                _subtree(top)
                .filter(position__gt=after)
                .order_by("position")
                .values_list("position", "cid", "kind", "offset", "size", "data")[:ROWS]
            )
            if not rows:
                return
            for _position, cid, kind, offset, size, node in rows:
                cid = bytes(cid)
                if kind == BlockKind.NODE:
                    data = bytes(node)
                else:
                    if file is None:
                        file = store.open(top.blob.storage_key, "rb")
                        file.seek(offset)
                    data = file.read(size)
                    if len(data) != size:
                        raise OSError(f"stored bytes of {top.blob.blob_id} ended early")
                yield varint(len(cid) + len(data)) + cid
                yield data
            after = rows[-1][0]
    finally:
        if file is not None:
            file.close()


def _block_bytes(block: BlobBlock) -> bytes:
    if block.kind == BlockKind.NODE:
        return bytes(block.data)
    with storage.storage().open(block.blob.storage_key, "rb") as file:
        file.seek(block.offset)
        return file.read(block.size)


@require_http_methods(["GET", "HEAD"])
def gateway(request: HttpRequest, cid: str) -> HttpResponse:
    """/ipfs/<cid>?format=raw|car (or the Accept header): a block or a CAR, immutable."""
    wanted = _wanted(request)
    if wanted is None:
        return _plain(
            406,
            "This trustless gateway serves only verifiable responses: ask for "
            f"?format=raw or ?format=car (Accept: {RAW} or {CAR}).",
        )
    parsed = _parse(cid)
    if parsed is None:
        return _plain(400, f"Not a valid CID: {cid[:100]}")
    block = _public_block(parsed)
    if block is None:
        return _plain(404, "No public content on this hub has this CID.")
    text = parsed.encode("base32")
    extension = "bin" if wanted == "raw" else "car"
    etag = f'"{text}.{wanted}"'
    headers = {
        "Cache-Control": IMMUTABLE,
        "ETag": etag,
        "X-Ipfs-Path": f"/ipfs/{cid}",
        "X-Ipfs-Roots": text,
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept",
        "Content-Disposition": f'attachment; filename="{text}.{extension}"',
    }
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        return HttpResponse(status=304, headers=headers)
    if wanted == "raw":
        headers["Content-Type"] = RAW
        headers["Content-Length"] = str(block.size)
        if request.method == "HEAD":
            return HttpResponse(headers=headers)
        return HttpResponse(_block_bytes(block), headers=headers)
    headers["Content-Type"] = CAR_TYPE
    headers["Content-Length"] = str(_car_length(block))  # no chunked framing: one copy less
    if request.method == "HEAD":
        return HttpResponse(headers=headers)
    return StreamingHttpResponse(_car(block), headers=headers)
