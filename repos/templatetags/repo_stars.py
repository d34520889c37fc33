"""{% star_button repo %}: the star button of a repository's header (partials/star_button.html),
a plain POST form that static/js/star.js sends without reloading the page."""

from django import template

from repos import selectors

register = template.Library()


@register.inclusion_tag("partials/star_button.html", takes_context=True)
def star_button(context, repo) -> dict:
    request = context["request"]
    return {
        "repo": repo,
        "user": request.user,
        "starred": selectors.repository_starred(user=request.user, repository=repo),
        "next": request.get_full_path(),
    }
