"""Pages cached for anonymous visitors (hub/pagecache.py): served again, never someone else's,
and never older than the repository's own state."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hub.pagecache import anonymous_page_cache
from moderation import services as moderation
from releases.services.files import file_add_content
from repos import services
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache(settings):
    settings.HUB_PAGE_CACHE_SECONDS = 30


def test_an_anonymous_visitor_is_served_the_stored_page(owner, django_assert_num_queries):
    repo = RepositoryFactory(owner=owner, description="# Card\n\nforecasts volatility")
    first = Client().get(repo.get_absolute_url())
    with django_assert_num_queries(1):  # the repository's row, read as the visitor
        again = Client().get(repo.get_absolute_url())
    assert again.status_code == 200 and again.content == first.content
    assert again["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_a_page_larger_than_the_bound_is_not_stored(owner, monkeypatch):
    # The cache is also the task broker's Redis: a huge page is answered afresh each time.
    monkeypatch.setattr("hub.pagecache.MAX_STORED_BYTES", 1000)
    repo = RepositoryFactory(owner=owner)
    Client().get(repo.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        again = Client().get(repo.get_absolute_url())
    assert again.status_code == 200 and len(queries) > 1  # rendered, not served stored


def test_an_edit_shows_to_anonymous_visitors_at_once(owner):
    repo = RepositoryFactory(owner=owner, description="old card")
    assert b"old card" in Client().get(repo.get_absolute_url()).content
    services.repository_update(
        repository=repo,
        description="new card",
        task=repo.task,
        license=repo.license,
        tags=["fresh"],
    )
    page = Client().get(repo.get_absolute_url()).content
    assert b"new card" in page and b"old card" not in page
    file_add_content(release=repo.latest_release, path="model.onnx", data=b"x", user=owner)
    assert b"model.onnx" in Client().get(repo.get_absolute_url()).content
    listed = Client().get(reverse("model_list") + "?q=fresh").content
    assert repo.name.encode() in listed


def test_a_repository_made_private_or_hidden_is_gone_at_once(owner, moderator):
    repo = RepositoryFactory(owner=owner, name="soon-private")
    search = reverse("model_list") + "?q=soon"
    for url in (repo.get_absolute_url(), search, reverse("model_list")):
        assert b"soon-private" in Client().get(url).content
    services.repository_set_visibility(repository=repo, visibility="private")
    assert Client().get(repo.get_absolute_url()).status_code == 404
    assert b"soon-private" not in Client().get(search).content
    assert b"soon-private" not in Client().get(reverse("model_list")).content

    services.repository_set_visibility(repository=repo, visibility="public")
    assert Client().get(repo.get_absolute_url()).status_code == 200
    moderation.repository_hide(repository=repo, moderator=moderator, reason="spam")
    assert Client().get(repo.get_absolute_url()).status_code == 404
    assert b"soon-private" not in Client().get(search).content


def test_signed_in_visitors_neither_get_nor_leave_stored_pages(personas, owner):
    repo = RepositoryFactory(owner=owner)
    anonymous = Client().get(repo.get_absolute_url()).content
    for who in ("owner", "other", "staff"):
        page = personas[who].get(repo.get_absolute_url()).content
        assert page != anonymous and b"csrfmiddlewaretoken" in page  # their menu's log-out form
        assert Client().get(repo.get_absolute_url()).content == anonymous
    assert b"csrfmiddlewaretoken" not in anonymous and b"Signed in as" not in anonymous


def test_a_visitor_with_a_session_or_messages_is_not_served_from_the_cache(owner):
    repo = RepositoryFactory(owner=owner)
    Client().get(repo.get_absolute_url())
    with_messages = Client()
    with_messages.cookies["messages"] = "anything"
    with_session = Client()
    with_session.cookies["sessionid"] = "anything"
    for client in (with_messages, with_session):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(repo.get_absolute_url()).status_code == 200
        assert len(queries) > 1  # rendered for them


def _counted(view):
    calls = []

    def counting(request):
        calls.append(request)
        return view(request)

    return calls, anonymous_page_cache()(counting)


def _anonymous(path="/page"):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    return request


def test_a_page_that_holds_something_of_the_visitor_is_not_stored():
    def with_token(request):
        return HttpResponse(f"<form>{get_token(request)}</form>")

    def with_cookie(request):
        response = HttpResponse("<p>hi</p>")
        response.set_cookie("seen", "1")
        return response

    for view in (with_token, with_cookie, lambda request: HttpResponse("gone", status=404)):
        calls, cached = _counted(view)
        cached(_anonymous())
        cached(_anonymous())
        assert len(calls) == 2

    calls, cached = _counted(lambda request: HttpResponse("<p>same for all</p>"))
    cached(_anonymous())
    assert cached(_anonymous()).content == b"<p>same for all</p>" and len(calls) == 1
    cached(_anonymous("/page?q=other"))  # another query is another page
    assert len(calls) == 2
