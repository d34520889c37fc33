import pytest
from django.urls import reverse

from repos.models import License, Repository, Task
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(owner, other):
    risk = Task.objects.get(slug="risk-model")
    apache = License.objects.get(spdx_id="Apache-2.0")
    return {
        "vol": RepositoryFactory(
            owner=owner,
            name="opengradient-1-hour-volatility-ethusdt1",
            description="Forecasts realized volatility of ETH.",
            tags=["ethereum", "time-series"],
        ),
        "risk": RepositoryFactory(
            owner=other,
            name="lending-risk",
            description="Scores liquidation risk of lending positions.",
            task=risk,
            license=apache,
            tags=["defi"],
        ),
        "llm": RepositoryFactory(
            owner=other,
            name="tiny-llm",
            description="A small language model about **ethereum** governance.",
            tags=["llm"],
        ),
    }


def names(client, query: str) -> list[str]:
    response = client.get(reverse("model_list") + query)
    assert response.status_code == 200
    return [repo.name for repo in response.context["page"].object_list]


def test_search_matches_name_description_and_tags(client, catalogue):
    assert names(client, "?q=volatility") == ["opengradient-1-hour-volatility-ethusdt1"]
    assert names(client, "?q=liquidation") == ["lending-risk"]
    assert names(client, "?q=defi") == ["lending-risk"]
    assert set(names(client, "?q=ethereum")) == {
        "opengradient-1-hour-volatility-ethusdt1",
        "tiny-llm",
    }


def test_search_finds_word_prefixes_and_requires_every_word(client, catalogue):
    assert names(client, "?q=volat") == ["opengradient-1-hour-volatility-ethusdt1"]
    assert names(client, "?q=ethereum+governance") == ["tiny-llm"]
    assert names(client, "?q=ethereum+nothing-like-this") == []


def test_search_ranks_name_and_tag_matches_first(client, catalogue):
    # "ethereum" is a tag of the first and only in the description of the second.
    assert names(client, "?q=ethereum") == ["opengradient-1-hour-volatility-ethusdt1", "tiny-llm"]


def test_search_survives_hostile_queries(client, catalogue):
    for query in ["?q=%27%3B+DROP+TABLE", "?q=%26%7C%21%3A*", "?q=" + "a" * 199, "?q=()"]:
        assert client.get(reverse("model_list") + query).status_code == 200


def test_filters_by_task_license_and_tag(client, catalogue):
    assert names(client, "?task=risk-model") == ["lending-risk"]
    assert names(client, "?license=Apache-2.0") == ["lending-risk"]
    assert names(client, "?tag=time-series") == ["opengradient-1-hour-volatility-ethusdt1"]
    assert names(client, "?tag=Ethereum&q=volatility") == [
        "opengradient-1-hour-volatility-ethusdt1"
    ]
    assert names(client, "?task=no-such-task") == []
    assert names(client, "?license=apache-2.0") == ["lending-risk"]


def test_sorts(client, catalogue):
    assert names(client, "?sort=name") == [
        "lending-risk",
        "opengradient-1-hour-volatility-ethusdt1",
        "tiny-llm",
    ]
    assert names(client, "?sort=newest") == [
        "tiny-llm",
        "lending-risk",
        "opengradient-1-hour-volatility-ethusdt1",
    ]
    catalogue["vol"].save()  # touched: most recently updated
    assert names(client, "?sort=updated")[0] == "opengradient-1-hour-volatility-ethusdt1"


def test_pagination(client, owner, settings):
    settings.HUB_PAGE_SIZE = 2
    for n in range(5):
        RepositoryFactory(owner=owner, name=f"m{n}")
    assert names(client, "?sort=name") == ["m0", "m1"]
    assert names(client, "?sort=name&page=3") == ["m4"]
    assert names(client, "?sort=name&page=99") == ["m4"]
    assert names(client, "?sort=name&page=x") == ["m0", "m1"]


def test_result_cards_show_owner_task_tags_version_and_update(client, catalogue):
    page = client.get(reverse("model_list") + "?q=volatility").content.decode()
    for text in ("alice/", "DeFi Forecasting", "time-series", "v1.00", "Updated"):
        assert text in page


def test_search_finds_plain_words_in_names_and_tags(client, owner):
    RepositoryFactory(owner=owner, name="anomaly-detector", description="")
    RepositoryFactory(owner=owner, name="grid-load", description="", tags=["energy", "policy"])
    RepositoryFactory(owner=owner, name="my.model.v2", description="")
    assert names(client, "?q=anomaly") == ["anomaly-detector"]
    assert names(client, "?q=energy") == ["grid-load"]
    assert names(client, "?q=policy") == ["grid-load"]
    assert names(client, "?q=model") == ["my.model.v2"]
    assert names(client, "?q=models") == ["my.model.v2"]


def test_invalid_filters_match_nothing_and_say_why(client, catalogue):
    for query, message in [
        ("?tag=" + "t" * 41, "tag in the address is not valid"),
        ("?q=" + "q" * 201, "search text in the address is not valid"),
        ("?task=not%20a%20slug", "task in the address is not valid"),
        ("?q=%21%21%3A*%26%7C", "Type letters or digits"),
    ]:
        response = client.get(reverse("model_list") + query)
        assert response.status_code == 200
        assert list(response.context["page"].object_list) == [], query
        assert message in response.content.decode(), query


def test_without_postgresql_names_and_tags_still_rank_above_a_mention_in_the_card(
    owner, monkeypatch
):
    """The substring search of the embedded database (SQLite in the run command) ranks a
    name match first, then a tag, then a mention in the model card, like PostgreSQL does."""
    from django.db import connection

    from repos.selectors import RepositoryFilters, repository_search

    mention = RepositoryFactory(owner=owner, name="notes", description="Says gas once.")
    tagged = RepositoryFactory(owner=owner, name="fees", description="Fees.", tags=["gas"])
    named = RepositoryFactory(owner=owner, name="gas-oracle", description="An oracle.")
    mention.save()  # the most recently updated: first when not ranked
    monkeypatch.setattr(connection, "vendor", "sqlite")
    filters = RepositoryFilters(query="gas", sort="relevance")
    ids = list(repository_search(user=owner, filters=filters))
    assert ids == [named.pk, tagged.pk, mention.pk]


def test_best_match_is_name_or_tags_then_card_and_newest_first_within_each(client, owner):
    RepositoryFactory(owner=owner, name="alpha", description="About gas fees.")
    RepositoryFactory(owner=owner, name="gas-oracle", description="")
    RepositoryFactory(owner=owner, name="fees", description="", tags=["gas"])
    RepositoryFactory(owner=owner, name="gas-station", description="")
    RepositoryFactory(owner=owner, name="beta", description="Gas everywhere.")
    assert names(client, "?q=gas") == ["gas-station", "fees", "gas-oracle", "beta", "alpha"]
    # Every word must be in the name or the tags to come first.
    assert names(client, "?q=gas+fees") == ["fees", "alpha"]
    assert names(client, "?q=gas+oracle") == ["gas-oracle"]


def test_pages_of_a_search_by_relevance_follow_each_other(client, owner, settings):
    settings.HUB_PAGE_SIZE = 2
    for name, tags, description in [
        ("card-1", [], "Mentions gas."),
        ("gas-1", [], ""),
        ("tagged-1", ["gas"], ""),
        ("gas-2", [], ""),
        ("card-2", [], "Mentions gas too."),
    ]:
        RepositoryFactory(owner=owner, name=name, tags=tags, description=description)
    pages = [names(client, f"?q=gas&page={n}") for n in (1, 2, 3)]
    assert pages == [["gas-2", "tagged-1"], ["gas-1", "card-2"], ["card-1"]]
    response = client.get(reverse("model_list") + "?q=gas")
    assert response.context["page"].paginator.count == 5
    assert "5 models matching" in response.content.decode()


def test_relevance_results_read_like_a_list(owner, other):
    """The ranked results slice, count and iterate consistently (the JSON API pages them)."""
    from repos.selectors import RepositoryFilters, repository_search

    for n in range(5):
        RepositoryFactory(owner=owner, name=f"gas-{n}", description="")
    RepositoryFactory(owner=owner, name="fees", tags=["gas"], description="")
    RepositoryFactory(owner=owner, name="hidden", description="Gas.", visibility="private")
    filters = RepositoryFilters(query="gas", sort="relevance")
    for user, expected in ((other, 6), (owner, 7)):
        found = repository_search(user=user, filters=filters)
        everything = list(found)
        assert len(everything) == found.count() == expected
        assert found[0:3] + found[3:5] + found[5:100] == everything
        assert found[2] == everything[2]
        assert found.count_up_to(3) == 3


@pytest.mark.parametrize("walk_budget", [0, 10**9], ids=["looked-up", "walked"])
def test_relevance_pages_are_the_same_past_the_recent_window(owner, monkeypatch, walk_budget):
    """Past the window of recent repositories read first, the older matches are read either
    way (walking on, or from the search index) in the same order."""
    from repos import search
    from repos.selectors import RepositoryFilters, repository_search

    for name, tags, description in [
        ("gas-old", [], ""),
        ("card-old", [], "Gas."),
        ("fees", ["gas"], ""),
        ("unrelated", [], "Nothing."),
        ("card-mid", [], "Some gas."),
        ("gas-new", [], ""),
        ("nothing", [], ""),
        ("card-new", [], "Gas again."),
    ]:
        RepositoryFactory(owner=owner, name=name, tags=tags, description=description)
    monkeypatch.setattr(search, "WINDOW", 3)
    monkeypatch.setattr(search, "WALK_BUDGET", walk_budget)
    filters = RepositoryFilters(query="gas", sort="relevance")
    expected = ["gas-new", "fees", "gas-old", "card-new", "card-mid", "card-old"]
    by_id = dict(Repository.objects.values_list("id", "name"))
    assert [by_id[pk] for pk in repository_search(user=owner, filters=filters)] == expected
    for size in (1, 2, 4):
        pages = []
        for start in range(0, 7, size):
            found = repository_search(user=owner, filters=filters)  # as a request would
            pages += found[start : start + size]
        assert [by_id[pk] for pk in pages] == expected, size
    for limit in (1, 3, 6, 7):
        found = repository_search(user=owner, filters=filters)
        assert found.count_up_to(limit) == min(limit, 6)


def test_result_cards_come_from_the_cache_and_follow_every_change(client, owner, other):
    from django.core.cache import cache

    from repos.services import repository_update

    repo = RepositoryFactory(owner=owner, name="eth-vol", tags=["ethereum"])
    RepositoryFactory(owner=other, name="btc-vol", visibility="private")
    first = client.get(reverse("model_list")).content.decode()
    assert first == client.get(reverse("model_list")).content.decode()  # from the cache
    repository_update(
        repository=repo,
        description="# Vol\n\nNow hourly.",
        task=repo.task,
        license=repo.license,
        tags=["ethereum", "hourly"],
    )
    page = client.get(reverse("model_list")).content.decode()
    assert "Now hourly." in page and ">hourly</a>" in page
    cache.clear()
    assert client.get(reverse("model_list")).content.decode() == page  # as rendered afresh
    assert "btc-vol" not in page
