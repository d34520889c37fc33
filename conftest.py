"""Fixtures shared by every app's tests: the four personas and the clients they use, and the
storage folder the test process shares with worker processes."""

import shutil
import subprocess

import pytest
from django.test import Client

from tests.factories import RepositoryFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s a user; the suite makes hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    # Anonymous pages served whole from the cache (hub/pagecache.py) have no template context
    # for a test to read, and may be a few seconds old by design: tests/test_page_cache.py
    # turns the cache on to test it; the other tests see each page rendered.
    settings.HUB_PAGE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _empty_cache():
    # The cache lives in Redis across tests, while each test's database rows are rolled back.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def owner(db):
    return UserFactory(username="alice")


@pytest.fixture
def other(db):
    return UserFactory(username="bob")


@pytest.fixture
def staff(db):
    """A superuser: holds every permission, so reads private and hidden repositories."""
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def moderator(db):
    """Staff in the Moderators group (made by a migration), not a superuser."""
    from django.contrib.auth.models import Group

    user = UserFactory(username="mod", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def _client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def personas(owner, other, staff):
    """A logged-in client for each persona, plus an anonymous one."""
    return {
        "owner": _client_for(owner),
        "other": _client_for(other),
        "anonymous": _client_for(None),
        "staff": _client_for(staff),
    }


@pytest.fixture
def public_repo(owner):
    return RepositoryFactory(owner=owner, name="eth-volatility", tags=["ethereum", "onnx"])


@pytest.fixture
def private_repo(owner):
    return RepositoryFactory(owner=owner, name="secret-model", visibility="private")


@pytest.fixture(scope="session")
def media_root(tmp_path_factory):
    """The storage folder shared by the test process, the live server and the worker."""
    return tmp_path_factory.mktemp("media")


def _file_storage_at(settings, location):
    """Point this process's file storage at a folder; yields it, then forgets the storage."""
    from django.core.files.storage import default_storage
    from django.utils.functional import empty

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    default_storage._wrapped = empty
    yield location
    default_storage._wrapped = empty


@pytest.fixture
def shared_storage(settings, media_root):
    """Point this process's file storage at the worker's folder, with small upload chunks."""
    settings.HUB_UPLOAD_CHUNK_SIZE = 64 * 1024
    yield from _file_storage_at(settings, media_root)


@pytest.fixture
def local_storage(settings, tmp_path):
    """File storage in this test's own folder."""
    yield from _file_storage_at(settings, tmp_path / "media")


@pytest.fixture
def small_disk(settings, tmp_path):
    """File storage on a file system of its own with 384 KiB of room (a tmpfs mounted for the
    test): a disk that really fills up, with ENOSPC from the kernel. Mounting needs root (or
    CAP_SYS_ADMIN); without it the test is skipped and says so."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if mount is None or umount is None:
        pytest.skip("no mount command: a full disk cannot be made here")
    options = ["-t", "tmpfs", "-o", "size=384k,mode=0755", "hub-test-disk", str(disk)]
    mounted = subprocess.run([mount, *options], capture_output=True, text=True, check=False)  # noqa: S603
    if mounted.returncode != 0:
        pytest.skip(f"a tmpfs cannot be mounted here (root needed): {mounted.stderr.strip()}")
    try:
        yield from _file_storage_at(settings, disk)
    finally:
        subprocess.run([umount, "--lazy", str(disk)], check=False)  # noqa: S603
