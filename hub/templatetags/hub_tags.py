"""The hub's own template filters, built into every template (settings: TEMPLATES builtins)."""

from datetime import datetime

from django import template

from hub import formats

register = template.Library()


@register.filter
def human_size(n: int | None) -> str:
    """{{ blob.size|human_size }} → “25.0 MiB”."""
    return "" if n is None else formats.human_size(n)


@register.filter
def byte_count(n: int | None) -> str:
    """{{ blob.size|byte_count }} → “26,214,400 bytes”, “1 byte”."""
    return "" if n is None else formats.byte_count(n)


@register.filter
def ago(moment: datetime | None) -> str:
    """{{ repo.updated_at|ago }} → “just now”, “3 hours ago”."""
    return "" if moment is None else formats.time_ago(moment)
