"""Who may read a repository's pages, by visibility: the answers the `personas` fixture's
clients get (conftest.py). Used as a decorator on a test taking `visibility` and `expected`."""

import pytest

who_may_read = pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        ("public", {"owner": 200, "other": 200, "anonymous": 200, "staff": 200}),
        ("private", {"owner": 200, "other": 404, "anonymous": 404, "staff": 200}),
    ],
)
