"""What the API takes and answers (OpenAPI schemas), and how models become answers."""

from datetime import datetime
from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from ninja import Schema
from pydantic import Field

from releases.models import Release, ReleaseFile
from repos import access
from repos.models import Repository


class Owner(Schema):
    username: str


class RepositoryOut(Schema):
    full_name: str = Field(examples=["demo/btc-price-direction"])
    owner: str
    name: str
    summary: str
    task: str
    license: str
    tags: list[str]
    private: bool
    latest_version: str | None = Field(examples=["v1.02"])
    downloads: int
    created_at: datetime
    updated_at: datetime
    url: str


class RepositoryDetailOut(RepositoryOut):
    description: str


class RepositoryPage(Schema):
    count: int = Field(
        description="How many repositories match, counted up to 10,000 (500 when filtered or "
        "searched): with `count_capped` it is that cap and more match."
    )
    count_capped: bool = Field(
        description="True when more repositories match than `count` says; `count` and "
        "`pages` are then lower bounds: follow `next` until it is null."
    )
    page: int
    pages: int = Field(description="Pages of `count` repositories (at least).")
    next: str | None = Field(description="The next page, while more repositories follow.")
    items: list[RepositoryOut]


class RepositoryIn(Schema):
    name: str = Field(examples=["eth-volatility"])
    description: str = ""
    task: str = Field("other", description="a task slug, e.g. defi-forecasting")
    license: str = Field("MIT", description="an SPDX identifier, e.g. Apache-2.0")
    tags: list[str] = []
    private: bool = False


class RepositoryPatch(Schema):
    description: str | None = None
    task: str | None = None
    license: str | None = None
    tags: list[str] | None = None
    private: bool | None = None


class RenameIn(Schema):
    name: str


class ReleaseOut(Schema):
    version: str = Field(examples=["v1.01"])
    notes: str
    created_at: datetime
    created_by: str | None
    url: str


class ReleaseIn(Schema):
    bump: Literal["minor", "major"] = "minor"
    notes: str = ""


class FileOut(Schema):
    path: str
    size: int
    sha256: str
    blob_id: str = Field(description="the IPFS CIDv1 of the bytes (ipfs add --cid-version=1)")
    download_url: str
    ipfs_url: str | None = Field(
        None,
        description="the hub's IPFS trustless gateway for these bytes (raw blocks, CAR), for "
        "content everyone may read; null otherwise",
    )


class Outcome(Schema):
    path: str
    status: Literal["added", "present", "conflict", "invalid", "blocked", "refused"]
    detail: str = ""
    file: FileOut | None = None


class BatchOut(Schema):
    files: list[Outcome]


def batch_out(outcome) -> dict:
    file = file_out(outcome.file) if outcome.file is not None else None
    return {"path": outcome.path, "status": outcome.status, "detail": outcome.detail, "file": file}


class WhoAmI(Schema):
    username: str
    auth: Literal["token", "session"]
    scope: Literal["read", "write"]
    token_name: str | None = None


def repository_out(repo: Repository, *, detail: bool = False) -> dict:
    out = {
        "full_name": repo.full_name,
        "owner": repo.owner.username,
        "name": repo.name,
        "summary": repo.summary,
        "task": repo.task.slug,
        "license": repo.license.spdx_id,
        "tags": [t.name for t in repo.tags.all()],
        "private": repo.is_private,
        "latest_version": repo.latest_release.version if repo.latest_release_id else None,
        "downloads": repo.downloads,
        "created_at": repo.created_at,
        "updated_at": repo.updated_at,
        "url": repo.get_absolute_url(),
    }
    if detail:
        out["description"] = repo.description
    return out


def release_out(release: Release) -> dict:
    return {
        "version": release.version,
        "notes": release.notes,
        "created_at": release.created_at,
        "created_by": release.created_by.username if release.created_by else None,
        "url": release.get_absolute_url(),
    }


def file_out(rf: ReleaseFile) -> dict:
    repo = rf.release.repository
    download = reverse(
        "resolve",
        kwargs={
            "owner": repo.owner.username,
            "name": repo.name,
            "version": (rf.release.major, rf.release.minor),
            "path": rf.path,
        },
    )
    return {
        "path": rf.path,
        "size": rf.blob.size,
        "sha256": rf.blob.sha256,
        "blob_id": rf.blob.blob_id,
        "download_url": download,
        "ipfs_url": reverse("ipfs_gateway", kwargs={"cid": rf.blob.blob_id})
        if access.may_read(AnonymousUser(), repo) and access.content_usable(rf.blob)
        else None,
    }
