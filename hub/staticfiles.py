"""Static files that come from an installed package instead of the repository.

netron's web viewer (the model graph of ONNX files) is pinned in requirements.in like any
dependency and served from the package as installed, under `static/netron/`: collectstatic
gathers it, whitenoise serves it, nothing of it is committed here. The package's Python
modules (its command-line server) are left out.
"""

import importlib.util
from fnmatch import fnmatch
from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder, FileSystemFinder
from django.core.files.storage import FileSystemStorage

# prefix under STATIC_URL -> installed package whose folder holds the files
PACKAGES = {"netron": "netron"}
# Left out too: the page of netron's public site, made to send usage statistics elsewhere.
IGNORED = ["*.py", "*.pyc", "__pycache__", "index.html"]


def package_folder(package: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise LookupError(f"the package {package!r} is not installed (see requirements.txt)")
    return Path(spec.origin).parent


class PackageFinder(FileSystemFinder):
    """FileSystemFinder over the folders of PACKAGES, each under its prefix, without IGNORED."""

    def __init__(self, app_names=None, *args, **kwargs):
        self.locations = []
        self.storages = {}
        for prefix, package in PACKAGES.items():
            root = str(package_folder(package))
            storage = FileSystemStorage(location=root)
            storage.prefix = prefix
            self.locations.append((prefix, root))
            self.storages[root] = storage
        BaseFinder.__init__(self, *args, **kwargs)

    def check(self, **kwargs):
        return []

    def find_location(self, root, path, prefix=None):
        if any(fnmatch(part, pattern) for part in Path(path).parts for pattern in IGNORED):
            return None
        return super().find_location(root, path, prefix)

    def list(self, ignore_patterns):
        return super().list([*(ignore_patterns or []), *IGNORED])
