"""/models as people move around it: the tag and task links of its cards and sidebar keep the
other filters, the empty list says what to change, and the home page shows each model once."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from repos.models import Repository, Task
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db
ANCHOR = re.compile(r"<a (?P<attrs>[^>]*)>(?P<text>[^<]*)")


def part(html: str, where: str) -> str:
    """The sidebar ("sidebar") or the list beside it ("list") of a page."""
    start, end = html.index('<aside class="sidebar'), html.index("</aside>")
    return html[start:end] if where == "sidebar" else html[:start] + html[end:]


def links(html: str, css_class: str = "") -> dict[str, dict[str, list[str]]]:
    """The query of each /models link in `html` (with `css_class`, or none), by the first
    word of its text."""
    found = {}
    for anchor in ANCHOR.finditer(html):
        attrs, text = anchor["attrs"], anchor["text"].strip()
        href = unescape(re.search(r'href="([^"]*)"', attrs)[1])
        classes = re.search(r'class="([^"]*)"', attrs)
        if href.startswith("/models") and (classes[1] if classes else "") == css_class:
            found[text.split(" ")[0]] = parse_qs(urlsplit(href).query)
    return found


@override_settings(HUB_PAGE_SIZE=2)
def test_tag_and_task_links_keep_the_other_filters_and_start_on_page_one(client, owner):
    for i in range(5):
        RepositoryFactory(owner=owner, name=f"vol-{i}", tags=["onnx", "eth"])
    url = reverse("model_list") + "?q=vol&license=MIT&sort=stars&task=defi-forecasting&page=2"
    html = client.get(url).content.decode()
    cards, sidebar = part(html, "list"), part(html, "sidebar")
    kept = {"q": ["vol"], "license": ["MIT"], "sort": ["stars"]}
    assert links(cards, "tag")["onnx"] == {**kept, "task": ["defi-forecasting"], "tag": ["onnx"]}
    assert links(cards, "badge badge-task")["DeFi"] == {**kept, "task": ["defi-forecasting"]}
    assert links(sidebar)["LLM"] == {**kept, "task": ["llm"]}
    assert links(sidebar, "tag")["eth"] == {**kept, "task": ["defi-forecasting"], "tag": ["eth"]}


def test_a_new_tag_replaces_the_one_chosen_and_any_tag_removes_it(client, owner):
    RepositoryFactory(owner=owner, name="both", tags=["onnx", "eth"])
    html = client.get(reverse("model_list") + "?tag=eth&sort=name").content.decode()
    cards = part(html, "list")
    assert links(cards, "tag")["onnx"] == {"tag": ["onnx"], "sort": ["name"]}
    assert links(cards)["Any"] == {"sort": ["name"]}  # "Any tag"


def test_the_default_order_is_left_out_of_the_links(client, owner):
    RepositoryFactory(owner=owner, name="plain", tags=["onnx"])
    html = client.get(reverse("model_list")).content.decode()
    assert links(part(html, "list"), "tag")["onnx"] == {"tag": ["onnx"]}
    searched = client.get(reverse("model_list") + "?q=plain").content.decode()
    assert links(part(searched, "list"), "tag")["onnx"] == {"q": ["plain"], "tag": ["onnx"]}


@pytest.mark.parametrize(
    ("query", "title", "advice"),
    [
        ("?q=nothing+like+this", "No models found", "Try fewer words"),
        ("?task=llm", "No models match these filters", "Try another task, license or tag"),
        ("?license=Apache-2.0&sort=trending", "No models match these filters", "Try another"),
        ("", "No models yet", "Be the first to publish one"),
    ],
)
def test_an_empty_list_talks_about_words_only_when_words_were_typed(
    client, owner, query, title, advice
):
    if query:  # a hub with a model, which these filters leave out
        RepositoryFactory(owner=owner, name="kept", task=Task.objects.get(slug="risk-model"))
    html = client.get(reverse("model_list") + query).content.decode()
    start = html.index('<div class="empty-state">')
    empty = re.sub(r"<[^>]+>|\s+", " ", html[start : html.index("</div>", start)])
    assert title in empty and advice in empty
    assert ("words" in empty) == ("q=" in query)


def test_the_home_page_shows_a_featured_model_once(client, owner):
    featured = RepositoryFactory(owner=owner, name="star-model")
    for name in ("older", "newer"):
        RepositoryFactory(owner=owner, name=name)
    # As moderation.services.repository_feature leaves it (repos may not import moderation).
    Repository.objects.filter(pk=featured.pk).update(featured_at=timezone.now())
    html = client.get(reverse("home")).content.decode()
    titles = re.findall(r'<span class="muted">alice/</span>([^<]*)</a>', html)
    assert titles == ["star-model", "newer", "older"]
