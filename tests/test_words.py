"""Counted words (sway.words)."""

from __future__ import annotations

import pytest

from sway.words import plural


@pytest.mark.parametrize(
    ("count", "word", "many", "said"),
    [
        (1, "reaction", None, "1 reaction"),
        (0, "reaction", None, "0 reactions"),
        (2, "reaction", None, "2 reactions"),
        (12500, "event", None, "12,500 events"),
        (1, "person", "people", "1 person"),
        (3, "person", "people", "3 people"),
    ],
)
def test_plural(count: int, word: str, many: str | None, said: str) -> None:
    assert plural(count, word, many) == said
