"""Stars, the popularity sorts of /models (stars, downloads, trending) and a user's starred
list."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from repos import services
from repos.models import DailyActivity, Repository, Star
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


def star_url(repo) -> str:
    return reverse("repo_star", kwargs={"owner": repo.owner.username, "name": repo.name})


def names(response) -> list[str]:
    return [repo.name for repo in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        ("public", {"owner": 302, "other": 302, "anonymous": "login", "staff": 302}),
        ("private", {"owner": 302, "other": 404, "anonymous": "login", "staff": 302}),
    ],
)
def test_who_may_star_is_who_may_read(personas, owner, visibility, expected):
    repo = RepositoryFactory(owner=owner, visibility=visibility)
    got = {}
    for who, client in personas.items():
        response = client.post(star_url(repo), {"star": "1"})
        location = response.get("Location", "")
        got[who] = "login" if location.startswith(reverse("login")) else response.status_code
    assert got == expected
    readers = sum(1 for status in expected.values() if status == 302)
    assert Star.objects.filter(repository=repo).count() == readers
    assert Repository.objects.get(pk=repo.pk).stars == readers


def test_a_private_repository_gives_the_same_404_as_a_missing_one(personas, owner):
    repo = RepositoryFactory(owner=owner, visibility="private")
    hidden = personas["other"].post(star_url(repo), {"star": "1"})
    missing = personas["other"].post("/alice/no-such-model/star", {"star": "1"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.templates[0].name == missing.templates[0].name
    assert not Star.objects.exists()


def test_starring_twice_counts_once_and_unstarring_takes_it_back(personas, public_repo):
    client = personas["other"]
    json = {"HTTP_ACCEPT": "application/json"}
    assert client.post(star_url(public_repo), {"star": "1"}, **json).json() == {
        "starred": True,
        "stars": 1,
    }
    assert client.post(star_url(public_repo), {"star": "1"}, **json).json()["stars"] == 1
    assert client.post(star_url(public_repo), {"star": "0"}, **json).json() == {
        "starred": False,
        "stars": 0,
    }
    assert client.post(star_url(public_repo), {"star": "0"}, **json).json()["stars"] == 0
    assert Repository.objects.get(pk=public_repo.pk).stars == 0
    today = DailyActivity.objects.get(repository=public_repo)
    assert (today.day, today.stars) == (timezone.now().date(), 0)


def test_the_form_without_javascript_comes_back_to_the_page(personas, public_repo):
    page = public_repo.url("release_list")
    response = personas["other"].post(star_url(public_repo), {"star": "1", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    elsewhere = {"star": "0", "next": "https://evil.example/"}
    response = personas["other"].post(star_url(public_repo), elsewhere)
    assert response["Location"] == public_repo.get_absolute_url()
    assert personas["other"].get(star_url(public_repo)).status_code == 405


def test_starring_needs_the_csrf_token(other, public_repo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(other)
    assert client.post(star_url(public_repo), {"star": "1"}).status_code == 403
    page = client.get(public_repo.get_absolute_url()).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(star_url(public_repo), {"star": "1", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Repository.objects.get(pk=public_repo.pk).stars == 1


def test_the_page_shows_the_count_and_whether_you_starred(personas, public_repo, other):
    services.star_add(user=other, repository=public_repo)
    mine = personas["other"].get(public_repo.get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' in mine and ">Starred</span>" in mine
    assert '<input type="hidden" name="star" value="0">' in mine
    assert '1<span class="visually-hidden"> star</span>' in mine
    theirs = personas["owner"].get(public_repo.get_absolute_url()).content.decode()
    assert 'aria-pressed="false"' in theirs and ">Star</span>" in theirs
    anonymous = personas["anonymous"].get(public_repo.get_absolute_url()).content.decode()
    assert "Sign in to star" in anonymous and '<form class="star-form"' not in anonymous


def test_cards_show_the_new_count_at_once(client, other, public_repo):
    before = client.get(reverse("model_list")).content.decode()  # the card is now cached
    assert '0<span class="visually-hidden"> stars</span>' in before
    services.star_add(user=other, repository=public_repo)
    after = client.get(reverse("model_list")).content.decode()
    assert '1<span class="visually-hidden"> star</span>' in after


def test_models_sort_by_stars_and_by_downloads(client, owner, other, staff):
    a, b, c = (RepositoryFactory(owner=owner, name=n) for n in ("a", "b", "c"))
    secret = RepositoryFactory(owner=owner, name="secret", visibility="private")
    for user in (owner, other, staff):
        services.star_add(user=user, repository=secret)
    for user in (owner, other):
        services.star_add(user=user, repository=b)
    services.star_add(user=other, repository=c)
    for _ in range(3):
        services.repository_download_record(repository_id=a.pk)
    services.repository_download_record(repository_id=c.pk)
    assert names(client.get(reverse("model_list") + "?sort=stars")) == ["b", "c", "a"]
    assert names(client.get(reverse("model_list") + "?sort=downloads")) == ["a", "c", "b"]
    page = client.get(reverse("model_list") + "?sort=stars").content.decode()
    assert '<option value="stars" selected>Most stars</option>' in page


def trending(client) -> list[str]:
    return names(client.get(reverse("model_list") + "?sort=trending"))


def test_trending_lists_every_model_on_a_fresh_hub_most_recently_updated_first(client, owner):
    for name in ("first", "second", "third"):
        RepositoryFactory(owner=owner, name=name)
    page = client.get(reverse("model_list") + "?sort=trending")
    assert names(page) == ["third", "second", "first"]
    assert "3 models" in page.content.decode()


def test_trending_ranks_the_last_seven_days_and_lists_the_quiet_ones_after(client, owner, other):
    old = RepositoryFactory(owner=owner, name="old")
    RepositoryFactory(owner=owner, name="quiet")
    hot, warm = (RepositoryFactory(owner=owner, name=n) for n in ("hot", "warm"))
    RepositoryFactory(owner=owner, name="idle")
    today = timezone.now().date()
    DailyActivity.objects.create(repository=old, day=today - timedelta(days=7), downloads=1000)
    DailyActivity.objects.create(repository=old, day=today - timedelta(days=6), downloads=1)
    DailyActivity.objects.create(repository=hot, day=today - timedelta(days=3), downloads=40)
    services.trending_refresh()
    services.repository_download_record(repository_id=hot.pk)
    services.star_add(user=other, repository=warm)  # a star weighs ten downloads
    services.repository_download_record(repository_id=warm.pk)
    assert trending(client) == ["hot", "warm", "old", "idle", "quiet"]


def test_a_download_or_a_star_moves_a_model_up_at_once(client, owner, other):
    quiet, busy = (RepositoryFactory(owner=owner, name=n) for n in ("quiet", "busy"))
    services.repository_download_record(repository_id=busy.pk)
    assert trending(client) == ["busy", "quiet"]
    services.star_add(user=other, repository=quiet)
    assert trending(client) == ["quiet", "busy"]
    services.star_remove(user=other, repository=quiet)  # given and taken back: no activity
    assert trending(client) == ["busy", "quiet"]
    assert Repository.objects.get(pk=quiet.pk).trend == 0


def test_days_that_leave_the_week_stop_counting_when_trending_is_refreshed(client, owner):
    from repos.tasks import refresh_trending

    faded, steady = (RepositoryFactory(owner=owner, name=n) for n in ("faded", "steady"))
    RepositoryFactory(owner=owner, name="idle")
    for _ in range(5):
        services.repository_download_record(repository_id=faded.pk)
    services.repository_download_record(repository_id=steady.pk)
    assert trending(client) == ["faded", "steady", "idle"]
    a_week_ago = timezone.now().date() - timedelta(days=7)
    DailyActivity.objects.filter(repository=faded).update(day=a_week_ago)
    assert refresh_trending() == 1
    assert trending(client) == ["steady", "idle", "faded"]  # then by last update
    assert refresh_trending() == 0  # nothing left to change


def test_trending_never_shows_what_the_visitor_may_not_read(personas, owner):
    secret = RepositoryFactory(owner=owner, name="secret", visibility="private")
    services.repository_download_record(repository_id=secret.pk)
    RepositoryFactory(owner=owner, name="public")
    url = reverse("model_list") + "?sort=trending"
    assert names(personas["other"].get(url)) == ["public"]
    assert names(personas["anonymous"].get(url)) == ["public"]
    assert names(personas["owner"].get(url)) == ["secret", "public"]
    assert names(personas["staff"].get(url)) == ["secret", "public"]


def test_a_users_page_lists_what_they_starred_that_you_may_read(personas, owner, other):
    public = RepositoryFactory(owner=owner, name="public-one")
    secret = RepositoryFactory(owner=owner, name="secret", visibility="private")
    mine = RepositoryFactory(owner=other, name="bobs")
    services.star_add(user=owner, repository=public)
    services.star_add(user=owner, repository=secret)
    services.star_add(user=owner, repository=mine)
    url = reverse("user_detail", kwargs={"username": "alice"}) + "?tab=starred"
    assert names(personas["owner"].get(url)) == ["bobs", "secret", "public-one"]
    assert names(personas["anonymous"].get(url)) == ["bobs", "public-one"]
    assert names(personas["other"].get(url)) == ["bobs", "public-one"]
    empty = personas["owner"].get(
        reverse("user_detail", kwargs={"username": "bob"}) + "?tab=starred"
    )
    assert "No starred models yet" in empty.content.decode()


@pytest.mark.parametrize("query", ["?sort=stars", "?sort=downloads", "?sort=trending"])
def test_the_popular_lists_cost_the_same_queries_at_any_size(
    client, owner, other, query, django_assert_max_num_queries
):
    def grow(n):
        for i in range(n):
            repo = RepositoryFactory(owner=owner, tags=[f"t{i}"])
            services.star_add(user=other, repository=repo)
            services.repository_download_record(repository_id=repo.pk)

    grow(2)
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("model_list") + query)
    grow(6)
    with django_assert_max_num_queries(len(small)):
        client.get(reverse("model_list") + query)


def test_the_starred_list_and_the_repository_page_cost_the_same_queries_at_any_size(
    personas, owner, other, django_assert_max_num_queries
):
    starred = reverse("user_detail", kwargs={"username": "bob"}) + "?tab=starred"
    repo = RepositoryFactory(owner=owner)
    services.star_add(user=other, repository=repo)
    with django_assert_max_num_queries(30) as small:
        personas["other"].get(starred)
        personas["other"].get(repo.get_absolute_url())
    for _ in range(5):
        services.star_add(user=other, repository=RepositoryFactory(owner=owner))
    with django_assert_max_num_queries(len(small)):
        personas["other"].get(starred)
        personas["other"].get(repo.get_absolute_url())


def test_counters_older_than_trending_reads_are_pruned(owner):
    from repos.tasks import prune_daily_activity

    repo = RepositoryFactory(owner=owner)
    today = timezone.now().date()
    for age in (0, 6, 7, 30):
        DailyActivity.objects.create(repository=repo, day=today - timedelta(days=age), downloads=1)
    assert prune_daily_activity() == 2
    kept = sorted((today - row.day).days for row in DailyActivity.objects.all())
    assert kept == [0, 6]
