import pytest
from django.urls import reverse

from repos.models import License, Task
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
