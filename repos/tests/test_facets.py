"""Facet counts (repositories per task, popular tags) cached per role: each role counts what
it may read, and the counts follow writes at once while counting is cheap, within a bounded
delay when it is not."""

import pytest
from django.urls import reverse

from repos import facets
from repos.facets import facets_forget
from repos.models import Repository, Task
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


def _task_count(client) -> int:
    defi = Task.objects.get(slug="defi-forecasting")
    tasks = client.get(reverse("model_list")).context["tasks"]
    return {t.pk: t.repo_count for t in tasks}[defi.pk]


def test_slow_counts_follow_writes_after_a_bounded_delay(
    personas, owner, monkeypatch, django_capture_on_commit_callbacks
):
    clock = [1_000_000.0]
    monkeypatch.setattr(facets, "_now", lambda: clock[0])
    monkeypatch.setattr(facets, "FRESH_BELOW", 0)  # as if counting took long, as at 1M rows
    RepositoryFactory(owner=owner, name="first")
    assert _task_count(personas["other"]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        RepositoryFactory(owner=owner, name="second")
    clock[0] += 1
    assert _task_count(personas["other"]) == 1  # the previous counts, for now
    clock[0] += facets.MIN_STALE_SECONDS
    assert _task_count(personas["other"]) == 2


def test_one_request_counts_while_the_others_show_the_previous_counts(
    client, owner, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    monkeypatch.setattr(facets, "FRESH_BELOW", 1000)  # due at once after a write
    RepositoryFactory(owner=owner, name="first")
    assert _task_count(client) == 1
    with django_capture_on_commit_callbacks(execute=True):
        RepositoryFactory(owner=owner, name="second")
    cache.add(facets._lock_key("listed"), 1)  # another request is counting
    assert _task_count(client) == 1
    cache.delete(facets._lock_key("listed"))
    assert _task_count(client) == 2


def test_each_role_counts_what_it_may_read(owner, other, staff, moderator, personas):
    from django.test import Client
    from django.utils import timezone

    RepositoryFactory(owner=owner, name="listed")
    RepositoryFactory(owner=owner, name="private", visibility="private")
    hidden = RepositoryFactory(owner=other, name="hidden")
    Repository.objects.filter(pk=hidden.pk).update(hidden_at=timezone.now(), hidden_reason="x")
    facets_forget(other.pk)
    mod_client = Client()
    mod_client.force_login(moderator)
    counts = {who: _task_count(client) for who, client in personas.items()}
    counts["moderator"] = _task_count(mod_client)
    # Others see the listed one; the owner theirs (private too), the hidden one's owner it
    # too; moderators the hidden public one, not the private one; superusers everything.
    assert counts == {"anonymous": 1, "other": 2, "owner": 2, "moderator": 2, "staff": 3}
    # Asked again (from the cache), the same.
    assert _task_count(personas["anonymous"]) == 1 and _task_count(personas["staff"]) == 3
