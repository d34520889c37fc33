"""{% repo_cards repos %}: the cards of a list of repositories (partials/repo_card.html), each
taken from the cache when the same card was rendered before.

A card costs ~0.35 ms to render, a page of twenty about a quarter of a search at a million
repositories. Its cache key holds everything the card shows (and the template's source), so
a changed repository, a new "3 hours ago" or a new template is a new key: nothing is ever
invalidated, unused entries expire. A filtered list's cards have keys of their own: their
task and tag links keep the list's filters.
"""

import functools
import hashlib

from django import template
from django.core.cache import cache
from django.template.loader import get_template, render_to_string
from django.utils.safestring import mark_safe

from hub.formats import time_ago

CARD_TEMPLATE = "partials/repo_card.html"
CARD_SECONDS = 3600
LINK_CONTEXT = ("models_url", "keep_for_tag", "keep_for_task")

register = template.Library()


@functools.cache
def _template_digest() -> str:
    return hashlib.sha256(get_template(CARD_TEMPLATE).template.source.encode()).hexdigest()[:16]


def _key(repo, links: dict, level: int) -> str:
    release = repo.latest_release
    shown = (
        repo.pk,
        repo.owner.username,
        repo.name,
        repo.summary,
        repo.task.name,
        repo.task.slug,
        release.version if release is not None else "",
        repo.is_private,
        repo.is_hidden,
        repo.stars,
        repo.downloads,
        repo.updated_at.isoformat(),
        time_ago(repo.updated_at),
        tuple(tag.name for tag in repo.tags.all()),
        sorted(links.items()),
        level,
        _template_digest(),
    )
    return "repos:card:" + hashlib.sha256(repr(shown).encode()).hexdigest()


@register.simple_tag(takes_context=True)
def repo_cards(context, repos, level: int = 3) -> str:
    """The cards of `repos` (loaded by `repos.selectors.cards`), in order, as HTML; each card's
    title a heading of `level`, one below the heading the list sits under."""
    # Where the card's task and tag links go: the list, with the filters it shows kept.
    links = {name: context.get(name, "") for name in LINK_CONTEXT}
    keys = [_key(repo, links, level) for repo in repos]
    cached = cache.get_many(keys)
    rendered = {}
    for repo, key in zip(repos, keys, strict=True):
        if key not in cached and key not in rendered:
            rendered[key] = render_to_string(CARD_TEMPLATE, {"repo": repo, "level": level, **links})
    if rendered:
        cache.set_many(rendered, CARD_SECONDS)
    return mark_safe("".join(cached.get(key) or rendered[key] for key in keys))  # noqa: S308
