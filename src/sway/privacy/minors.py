"""Minors: accounts declared or flagged under a minimum age are never profiled nor scored.

An account is a minor when a source flags it (``is_minor``) or declares a birth date less than
``minor_age`` years before the day of the ingest. The age is a store setting
(``privacy.minor_age``, 16 unless set with ``sway privacy set --minor-age``). A minor is
tombstoned (reason ``minor``) the moment one is seen: their account record is dropped, their
posts are not stored, their reactions to others are kept only as anonymous reactions, and
reactions to them credit no one (:mod:`sway.privacy.scrub`), in that ingest and every later one.
"""

from __future__ import annotations

from sway.errors import ConfigError
from sway.store.db import Store

__all__ = ["DEFAULT_MINOR_AGE", "MINOR_AGE_KEY", "minor_age", "set_minor_age"]

DEFAULT_MINOR_AGE = 16
MINOR_AGE_KEY = "privacy.minor_age"


def minor_age(store: Store) -> int:
    """The minimum age, in whole years, below which an account is a minor."""
    value = store.scalar("SELECT value FROM settings WHERE key = ?", [MINOR_AGE_KEY])
    return DEFAULT_MINOR_AGE if value is None else int(value)


def set_minor_age(store: Store, age: int) -> int:
    """Set the minimum age (applies to later ingests: a raised age does not reach back)."""
    if not 1 <= age <= 120:
        raise ConfigError(f"minor age: expected whole years from 1 to 120, found {age!r}")
    store.con.execute(
        "INSERT INTO settings VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
        [MINOR_AGE_KEY, str(age)],
    )
    return age
