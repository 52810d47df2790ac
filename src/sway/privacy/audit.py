"""The audit log: who read, exported, erased or changed whose data, and when.

``actor`` is an API key id, or ``cli`` for commands run on the machine. ``subject`` names the
data (``NETWORK:ACCOUNT``, a person id, a key id); after an erasure, entries about the erased
person keep only ``erased:`` and a salted digest. Entries are appended, never edited, except
by that erasure.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sway.store.db import Store

__all__ = ["entries", "record"]


def record(
    store: Store,
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry (inside the caller's transaction, if any)."""
    store.con.execute(
        "INSERT INTO audit_log (logged_at, actor, action, subject, detail) "
        "VALUES (coalesce(?, now()), ?, ?, ?, ?)",
        [at, actor, action, subject, None if detail is None else json.dumps(detail, default=str)],
    )


def entries(
    store: Store,
    *,
    actor: str | None = None,
    subject: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Entries, newest first, filtered by whichever of ``actor``, ``subject``, ``action`` (a
    prefix: ``read`` matches ``read.account``) and ``since`` are given."""
    rows = store.dicts(
        """
        SELECT audit_id, logged_at, actor, action, subject, detail FROM audit_log
        WHERE ($actor IS NULL OR actor = $actor)
          AND ($subject IS NULL OR subject = $subject)
          AND ($action IS NULL OR starts_with(action, $action))
          AND ($since IS NULL OR logged_at >= $since)
        ORDER BY audit_id DESC LIMIT $limit
        """,
        {"actor": actor, "subject": subject, "action": action, "since": since, "limit": limit},
    )
    for row in rows:
        row["detail"] = json.loads(row["detail"]) if row["detail"] else None
    return rows
