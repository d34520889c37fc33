"""A count remembered past its cap ("2+") is stored only from a reader who reads exactly
their role's scope, whatever roles they held before (`repos.selectors.count_memo`)."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from moderation import services as moderation
from repos import views
from repos.tests.test_counts import heading
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


def test_a_former_moderator_does_not_remember_counts_that_hold_their_hidden_repository(
    client, moderator, owner, monkeypatch
):
    monkeypatch.setattr(views, "FILTERED_COUNT_CAP", 2)
    for n in range(2):
        RepositoryFactory(owner=owner, name=f"gas-{n}")
    own = RepositoryFactory(owner=moderator, name="gas-own")
    moderation.repository_hide(repository=own, moderator=moderator, reason="Test")
    url = reverse("model_list") + "?q=gas"
    former = Client()
    former.force_login(moderator)
    assert heading(former.get(url)) == "2+ models matching “gas”"  # their scope: all public
    moderator.groups.remove(Group.objects.get(name="Moderators"))
    former = Client()
    former.force_login(moderator)  # listed repositories and their own: 3
    assert heading(former.get(url)) == "2+ models matching “gas”"
    assert heading(client.get(url)) == "2 models matching “gas”"
