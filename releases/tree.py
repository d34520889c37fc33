"""A release's files as folders: the entries of one folder, each subfolder with the size and
number of the files under it, like the file browser of the Hugging Face Hub or GitHub.

One folder is shown at a time (`…/releases/v1.00/tree/<folder>`, the release page being the
top), so a page holds what one level has, not the whole release, and at most `PAGE_SIZE`
entries of it (a folder of a thousand files has pages). The listing is built in
Python from one query of the folder's files (a release holds at most
`HUB_MAX_FILES_PER_RELEASE`); links are made by joining the quoted path to a prefix
reversed once, not by reversing a URL per row.
"""

from dataclasses import dataclass, field

from django.urls import reverse

from releases.models import Release
from releases.paths import url_path

PAGE_SIZE = 100  # entries of a folder a page shows: rows cost ~0.1 ms each to render


@dataclass
class Folder:
    is_folder = True
    name: str
    path: str
    size: int = 0
    count: int = 0  # files under it, at any depth
    url: str = ""


@dataclass
class File:
    is_folder = False
    name: str
    path: str
    size: int
    blob_id: str
    url: str = ""  # its page
    download_url: str = ""
    delete_url: str = ""
    # Content the moderators removed from the hub: listed, never downloadable. The reason is
    # for the pages to show to whom `access.may_read_moderation_reasons` allows.
    removed: bool = False
    removed_reason: str = ""


@dataclass
class Listing:
    """One folder of a release (`path` "" is the top): its subfolders, then its files."""

    release: Release
    path: str
    folders: list[Folder] = field(default_factory=list)
    files: list[File] = field(default_factory=list)
    size: int = 0  # of everything under this folder
    count: int = 0  # files under this folder, at any depth

    @property
    def entries(self) -> list[Folder | File]:
        """Subfolders, then files: the rows of the folder's pages."""
        return [*self.folders, *self.files]

    @property
    def crumbs(self) -> list[tuple[str, str]]:
        return crumbs(self.release, self.path)


def crumbs(release: Release, folder: str) -> list[tuple[str, str]]:
    """(name, url) of each folder from the top of the release down to `folder`, included."""
    parts = folder.split("/") if folder else []
    base = _url(release, "release_tree")
    return [(name, base + url_path("/".join(parts[: n + 1]))) for n, name in enumerate(parts)]


def listing(release: Release, path: str, rows) -> Listing:
    """The listing of folder `path` from `rows` of (path, size, blob_id, blocked_at,
    blocked_reason) of every file under it (any order)."""
    prefix = f"{path}/" if path else ""
    result = Listing(release=release, path=path)
    folders: dict[str, Folder] = {}
    tree_url = _url(release, "release_tree")
    urls = {view: _url(release, view) for view in ("file_detail", "resolve", "file_delete")}
    for file_path, size, blob_id, blocked_at, blocked_reason in rows:
        rest = file_path[len(prefix) :]
        result.size += size
        result.count += 1
        name, sep, _ = rest.partition("/")
        if sep:
            folder = folders.get(name)
            if folder is None:
                folder_path = prefix + name
                folder = Folder(name, folder_path, url=tree_url + url_path(folder_path))
                folders[name] = folder
            folder.size += size
            folder.count += 1
        else:
            quoted = url_path(file_path)
            result.files.append(
                File(
                    name,
                    file_path,
                    size,
                    blob_id,
                    url=urls["file_detail"] + quoted,
                    download_url=urls["resolve"] + quoted,
                    delete_url=urls["file_delete"] + quoted,
                    removed=blocked_at is not None,
                    removed_reason=blocked_reason if blocked_at is not None else "",
                )
            )
    result.folders = sorted(folders.values(), key=_by_name)
    result.files.sort(key=_by_name)
    return result


def _by_name(entry: Folder | File) -> tuple[str, str]:
    return entry.name.casefold(), entry.name  # README.md among the r's, as people look for it


def _url(release: Release, view: str) -> str:
    """The URL of `view` for this release with an empty path: the prefix of every path's."""
    repo = release.repository
    kwargs = {"owner": repo.owner.username, "name": repo.name, "version": release.version}
    return reverse(view, kwargs={**kwargs, "path": "x"})[:-1]
