"""Counted words, for every surface that prints a count (CLI, dashboard): ``1 reaction``,
``2 reactions``, never ``1 reactions`` or ``reaction(s)``."""

from __future__ import annotations

__all__ = ["plural"]


def plural(count: int | float, word: str, many: str | None = None) -> str:
    """``count`` and ``word``, the plural (``word + "s"``, or ``many``) unless ``count`` is 1.

    >>> plural(1, "reaction"), plural(2, "reaction"), plural(0, "person", "people")
    ('1 reaction', '2 reactions', '0 people')
    >>> plural(12500, "event")
    '12,500 events'
    """
    return f"{count:,} {word if count == 1 else many or word + 's'}"
