"""Capped totals: a long list says "10,000+" instead of counting every repository, and never
counts one the visitor may not read."""

import pytest
from django.urls import reverse

from repos import selectors, services, views
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


def heading(response) -> str:
    content = response.content.decode()
    return content.split('<h1 class="h2">')[1].split("</h1>")[0]


def test_a_long_list_says_there_are_more_than_it_counted(client, owner, monkeypatch, settings):
    settings.HUB_PAGE_SIZE = 2
    monkeypatch.setattr(views, "COUNT_CAP", 3)
    for n in range(5):
        RepositoryFactory(owner=owner, name=f"m{n}")
    response = client.get(reverse("model_list"))
    assert heading(response) == "3+ models"
    assert "Page 1 of 2+" in response.content.decode()
    # The pages stop at the cap.
    last = client.get(reverse("model_list") + "?page=9")
    assert [repo.name for repo in last.context["page"].object_list] == ["m2"]


def test_searches_and_filtered_lists_count_less_far_than_the_whole_list(client, owner, monkeypatch):
    monkeypatch.setattr(views, "FILTERED_COUNT_CAP", 2)
    for n in range(3):
        RepositoryFactory(owner=owner, name=f"gas-{n}")
    assert heading(client.get(reverse("model_list") + "?q=gas")) == "2+ models matching “gas”"
    assert heading(client.get(reverse("model_list") + "?task=defi-forecasting")) == "2+ models"
    assert heading(client.get(reverse("model_list"))) == "3 models"


def test_capped_counts_do_not_count_private_repositories(personas, owner, monkeypatch):
    monkeypatch.setattr(views, "COUNT_CAP", 3)
    for n in range(2):
        RepositoryFactory(owner=owner, name=f"public-{n}")
    for n in range(2):
        RepositoryFactory(owner=owner, name=f"private-{n}", visibility="private")
    for who, expected in [
        ("anonymous", "2 models"),
        ("other", "2 models"),
        ("owner", "3+ models"),
        ("staff", "3+ models"),
    ]:
        assert heading(personas[who].get(reverse("model_list"))) == expected, who
    profile = personas["other"].get(reverse("user_detail", kwargs={"username": "alice"}))
    assert "· 2 models</p>" in profile.content.decode()


def test_the_admin_repository_and_report_lists_count_up_to_the_cap(staff, owner, monkeypatch):
    from django.test import Client

    from hub import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    for n in range(4):
        RepositoryFactory(owner=owner, name=f"m{n}", tags=[f"t{n}"])
    client = Client()
    client.force_login(staff)
    assert "3+ repositories" in client.get("/admin/repos/repository/").content.decode()
    assert "0 reports" in client.get("/admin/moderation/report/").content.decode()
    assert "4 tags" in client.get("/admin/repos/tag/").content.decode()  # counted as before


def test_pages_read_as_ids_first_are_the_pages_of_the_list(owner):
    from django.core.paginator import Paginator
    from django.db.models import F

    from hub.pagination import NarrowPagesPaginator
    from repos.models import Repository

    for n in range(7):
        RepositoryFactory(owner=owner, name=f"m{n % 3}-{n}")
    listed = Repository.objects.select_related("owner").order_by(F("name").desc(), "id")
    plain, narrow = Paginator(listed, 3), NarrowPagesPaginator(listed, 3)
    for number in (1, 2, 3):
        expected = [repo.name for repo in plain.page(number).object_list]
        assert [repo.name for repo in narrow.page(number).object_list] == expected


def _queries(client, url: str) -> tuple[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return heading(response), len(ctx.captured_queries)


def test_a_count_past_the_cap_is_remembered_for_a_minute_by_the_readers_of_its_scope(
    personas, owner, monkeypatch
):
    from django.contrib.auth.models import AnonymousUser
    from django.core.cache import cache

    monkeypatch.setattr(views, "FILTERED_COUNT_CAP", 2)
    repos = [RepositoryFactory(owner=owner, name=f"gas-{n}") for n in range(3)]
    url = reverse("model_list") + "?task=defi-forecasting"
    personas["anonymous"].get(url)  # counts the facets too
    remembered = _queries(personas["anonymous"], url)
    memo = selectors.count_memo(
        user=AnonymousUser(), filters=selectors.RepositoryFilters(task="defi-forecasting"), cap=2
    )
    cache.delete(memo.key)
    counted = _queries(personas["anonymous"], url)
    assert remembered[0] == counted[0] == "2+ models"
    assert remembered[1] == counted[1] - 1  # the count is not read again
    # Other filters, and other scopes, have entries of their own.
    services.repository_set_visibility(repository=repos[2], visibility="private")
    assert heading(personas["anonymous"].get(url)) == "2+ models"  # pages still full
    assert heading(personas["anonymous"].get(url + "&license=MIT")) == "2 models"
    assert heading(personas["staff"].get(url)) == "2+ models"
    cache.clear()  # what the minute does
    assert heading(personas["anonymous"].get(url)) == "2 models"


def test_a_reader_of_more_than_the_scope_does_not_remember_counts_for_it(
    personas, owner, monkeypatch
):
    monkeypatch.setattr(views, "FILTERED_COUNT_CAP", 2)
    RepositoryFactory(owner=owner, name="gas-public")
    for n in range(2):
        RepositoryFactory(owner=owner, name=f"gas-private-{n}", visibility="private")
    url = reverse("model_list") + "?q=gas"
    assert heading(personas["owner"].get(url)) == "2+ models matching “gas”"
    assert heading(personas["other"].get(url)) == "1 model matching “gas”"
    # Staff read every repository: their "2+" is remembered for staff only.
    assert heading(personas["staff"].get(url)) == "2+ models matching “gas”"
    assert heading(personas["anonymous"].get(url)) == "1 model matching “gas”"


def test_counts_under_the_cap_are_counted_every_time(client, owner, monkeypatch):
    monkeypatch.setattr(views, "FILTERED_COUNT_CAP", 5)
    RepositoryFactory(owner=owner, name="gas-0")
    url = reverse("model_list") + "?q=gas"
    assert heading(client.get(url)) == "1 model matching “gas”"
    RepositoryFactory(owner=owner, name="gas-1")
    assert heading(client.get(url)) == "2 models matching “gas”"


def test_the_admin_repository_list_remembers_its_capped_count(staff, owner, monkeypatch):
    from django.test import Client

    from hub import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    repos = [RepositoryFactory(owner=owner, name=f"m{n}") for n in range(4)]
    client = Client()
    client.force_login(staff)
    assert "3+ repositories" in client.get("/admin/repos/repository/").content.decode()
    for repo in repos[1:]:
        services.repository_delete(repository=repo, confirm_name=repo.name)
    # Remembered for the same filters, in any order, on any page; counted for others.
    assert "3+ repositories" in client.get("/admin/repos/repository/?o=2").content.decode()
    filtered = client.get("/admin/repos/repository/?visibility__exact=public").content.decode()
    assert "1 repository" in filtered


def test_a_remembered_count_that_no_longer_holds_is_counted_again(
    client, owner, monkeypatch, settings
):
    settings.HUB_PAGE_SIZE = 2
    monkeypatch.setattr(views, "FILTERED_COUNT_CAP", 4)
    repos = [RepositoryFactory(owner=owner, name=f"gas-{n}") for n in range(5)]
    url = reverse("model_list") + "?q=gas&sort=name"
    assert heading(client.get(url)) == "4+ models matching “gas”"
    for repo in repos[1:]:
        services.repository_set_visibility(repository=repo, visibility="private")
    # Page 2 comes back empty: the list is counted again and its last page shown.
    response = client.get(url + "&page=2")
    assert heading(response) == "1 model matching “gas”"
    assert [r.name for r in response.context["page"].object_list] == ["gas-0"]
    assert heading(client.get(url)) == "1 model matching “gas”"


def test_admin_count_keys_keep_the_order_of_a_filters_values():
    from django.contrib.auth.models import AnonymousUser
    from django.http import QueryDict

    def key(query: str) -> str:
        memo = selectors.admin_count_memo(
            user=AnonymousUser(), admin_list="x", params=QueryDict(query), cap=3
        )
        return memo.key

    assert key("a=1&a=2") != key("a=2&a=1")
    assert key("a=1&b=2") == key("b=2&a=1") == key("b=2&a=1&p=3&o=2")
