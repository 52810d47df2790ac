"""Who may see a person's scores.

Scores are private by default: over the API they are shown only to keys with the ``read`` (or
``crm``, or ``admin``) scope and to the person's own key. A person may publish theirs (and the
operator may publish everyone's, ``privacy.publish_scores``); published scores are also served
without a key, on the public routes. ``subject`` is a person id or, for an account that is not
linked to a person, ``NETWORK:ACCOUNT`` (its implicit person id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sway.errors import ConfigError
from sway.store.db import Store

__all__ = [
    "PUBLISH_KEY",
    "Visibility",
    "publish_default",
    "published",
    "set_publish_default",
    "set_visibility",
    "visibility",
]

PUBLISH_KEY = "privacy.publish_scores"


@dataclass(frozen=True)
class Visibility:
    """Whether a subject's scores are public, and whether that is their own choice."""

    subject: str
    public: bool
    chosen: bool

    def as_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "public": self.public, "chosen": self.chosen}


def publish_default(store: Store) -> bool:
    """Whether scores are public for subjects who have not chosen (false unless set)."""
    value = store.scalar("SELECT value FROM settings WHERE key = ?", [PUBLISH_KEY])
    return bool(value == "true")


def set_publish_default(store: Store, public: bool) -> bool:
    store.con.execute(
        "INSERT INTO settings VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
        [PUBLISH_KEY, "true" if public else "false"],
    )
    return public


def visibility(store: Store, subject: str) -> Visibility:
    """The visibility of ``subject``'s scores."""
    chosen = store.scalar("SELECT public FROM score_visibility WHERE subject = ?", [subject])
    if chosen is None:
        return Visibility(subject, publish_default(store), chosen=False)
    return Visibility(subject, bool(chosen), chosen=True)


def set_visibility(store: Store, subject: str, public: bool | None) -> Visibility:
    """Publish (``True``) or hide (``False``) ``subject``'s scores; ``None`` returns to the
    store's default."""
    if not subject.strip():
        raise ConfigError("expected a person id or NETWORK:ACCOUNT, found nothing")
    if public is None:
        store.con.execute("DELETE FROM score_visibility WHERE subject = ?", [subject])
    else:
        store.con.execute(
            "INSERT INTO score_visibility VALUES (?, ?, now()) ON CONFLICT DO UPDATE "
            "SET public = excluded.public, updated_at = excluded.updated_at",
            [subject, public],
        )
    return visibility(store, subject)


def published(store: Store) -> tuple[bool, dict[str, bool]]:
    """The default and every subject's own choice, for the server's in-memory index."""
    return publish_default(store), {
        str(s): bool(p) for s, p in store.rows("SELECT subject, public FROM score_visibility")
    }
