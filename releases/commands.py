"""The copy-ready commands of the repository and file pages: download a release or a file
(the hub's CLI, curl) and check a copy (sha256sum, ipfs, ipfs-car).

Every line is built by `hub.shell`: names and paths are users' words, and a pasted command
runs with the reader's rights (a file named `--to=<folder>` must stay a file name)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.urls import reverse

from hub.shell import Raw, command, local_file
from releases.models import ReleaseFile
from releases.selectors import release_file_latest
from repos.access import content_usable, may_read

TOKEN_HEADER = Raw('"Authorization: Bearer $HUB_TOKEN"')  # the reader's shell expands it
CAR = "file.car"


@dataclass(frozen=True)
class Download:
    cli: str  # `hub download …`
    curl: str
    is_latest: bool  # the curl URL is the stable `latest` alias
    needs_token: bool  # the repository is not public


def hub_download(rf: ReleaseFile, *, whole_release: bool = False) -> str:
    """`hub download` of the file at its release (or of the whole release)."""
    release = rf.release
    target = f"{release.repository.full_name}@{release.version}"
    return command("hub", "download", operands=[target] if whole_release else [target, rf.path])


def serves_same_content_as_latest(rf: ReleaseFile) -> bool:
    """Whether `resolve/latest/<path>` serves this file's content: the newest release that has
    the path holds the same Blob ID there (the same content, whatever its record)."""
    release = rf.release
    if release.pk == release.repository.latest_release_id:
        return True
    latest = release_file_latest(repository=release.repository, path=rf.path)
    return latest.blob_id == rf.blob_id


def download(request: HttpRequest, rf: ReleaseFile, *, whole_release: bool = False) -> Download:
    """The CLI and curl lines of the "Use this model" box. curl uses the stable `latest` URL
    unless a newer release has other content at the path; then the file's own release."""
    release = rf.release
    repo = release.repository
    kwargs = {"owner": repo.owner.username, "name": repo.name, "path": rf.path}
    is_latest = serves_same_content_as_latest(rf)
    if is_latest:
        url = request.build_absolute_uri(reverse("resolve_latest", kwargs=kwargs))
    else:
        kwargs["version"] = release.version
        url = request.build_absolute_uri(reverse("resolve", kwargs=kwargs))
    needs_token = not may_read(AnonymousUser(), repo)
    words = ["curl", *(["-H", TOKEN_HEADER] if needs_token else [])]
    if url.rsplit("/", 1)[-1] == rf.name and not rf.name.startswith("-"):
        words.append("-fLO")
    else:  # the URL's last segment is percent-encoded (or reads as `-`, standard output):
        # name the file as it is named here
        words += ["-fL", "-o", local_file(rf.name)]
    return Download(
        cli=hub_download(rf, whole_release=whole_release),
        curl=command(*words, operands=[url]),
        is_latest=is_latest,
        needs_token=needs_token,
    )


@dataclass(frozen=True)
class Check:
    label: str  # what the Copy button copies, for its accessible name
    line: str


def verify(request: HttpRequest, rf: ReleaseFile) -> tuple[list[Check], list[Check]]:
    """Commands that check a downloaded copy (its sha256, its Blob ID), and those that fetch
    it as a CAR from the hub's IPFS gateway and check every block (public content only)."""
    name = local_file(rf.name)
    local = [
        Check("sha256sum command", command("sha256sum", operands=[name])),
        Check("ipfs add command", command("ipfs", "add", "-n", "--cid-version=1", operands=[name])),
    ]
    repo = rf.release.repository
    if not (may_read(AnonymousUser(), repo) and content_usable(rf.blob)):
        return local, []
    url = request.build_absolute_uri(reverse("ipfs_gateway", kwargs={"cid": rf.blob.blob_id}))
    accept = "Accept: application/vnd.ipld.car"
    gateway = [
        Check(
            "CAR download command", command("curl", "-fL", "-H", accept, "-o", CAR, operands=[url])
        ),
        # The name is the value of --output: `./` keeps ipfs-car's parser (mri) from reading
        # it as an option (a leading `-`) or as a number (digits only).
        Check(
            "ipfs-car command",
            command("npx", "ipfs-car", "unpack", CAR, "--verify", "--output", f"./{rf.name}"),
        ),
    ]
    return local, gateway
