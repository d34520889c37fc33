"""Fixtures shared by every app's tests: the four personas and the clients they use."""

import pytest
from django.test import Client

from tests.factories import RepositoryFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s a user; the suite makes hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
    return UserFactory(username="root", is_staff=True)


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
