"""Sizes as the hub writes them for people: one convention (hub/formats.py); the pages' side is
releases/tests/test_sizes.py."""

import pytest

from hub.formats import byte_count, human_size


@pytest.mark.parametrize(
    ("size", "short", "exact"),
    [
        (0, "0 bytes", "0 bytes"),
        (1, "1 byte", "1 byte"),
        (2, "2 bytes", "2 bytes"),
        (1023, "1,023 bytes", "1,023 bytes"),
        (1024, "1.0 KiB", "1,024 bytes"),
        (25 * 1024 * 1024, "25.0 MiB", "26,214,400 bytes"),
    ],
)
def test_sizes_are_written_with_the_right_number(size, short, exact):
    assert (human_size(size), byte_count(size)) == (short, exact)
