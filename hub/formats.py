"""How the hub writes quantities for people: one convention on every page, in the admin and
in the uploader (static/js/uploader.js has the same algorithm)."""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.timesince import timesince

SIZE_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB")


def human_size(n: int) -> str:
    """Binary units with IEC names: 1 byte, 512 bytes, 1.0 KiB, 25.0 MiB, 10.0 GiB."""
    value = float(n)
    unit = 0
    while value >= 1024 and unit < len(SIZE_UNITS) - 1:
        value /= 1024
        unit += 1
    return byte_count(int(n)) if unit == 0 else f"{value:.1f} {SIZE_UNITS[unit]}"


def byte_count(n: int) -> str:
    """The exact size: 1 byte, 0 bytes, 26,214,400 bytes."""
    return "1 byte" if n == 1 else f"{n:,} bytes"


def time_ago(moment: datetime, now: datetime | None = None) -> str:
    """“just now” under a minute, else “3 hours ago”, “2 days, 4 hours ago”."""
    now = now or timezone.now()
    if now - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, now)} ago"
