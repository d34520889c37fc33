import pytest
from django.test import Client

from accounts.tests.conftest import mail  # noqa: F401 (the fixture: mails as tasks send them)
from tests.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(username="chief", is_staff=True, is_superuser=True)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
