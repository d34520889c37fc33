import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from tests.factories import UserFactory


@pytest.fixture
def runner(db):
    """Staff with the permission to run test inferences."""
    user = UserFactory(username="operator", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="run_inference"))
    return user


@pytest.fixture
def runner_client(runner):
    client = Client()
    client.force_login(runner)
    return client
