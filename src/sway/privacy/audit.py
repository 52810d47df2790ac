"""The audit log: who read, exported, erased or changed whose data, and when.

``actor`` is an API key id, or ``cli`` for commands run on the machine. ``subject`` names the
data (``NETWORK:ACCOUNT``, a person id, a key id); after an erasure, entries about the erased
person keep only ``erased:`` and a salted digest. Entries are appended, never edited, except
by that erasure.

No secret is ever written: API keys, wherever they appear in a subject or a detail (a query
string of a Klout route carries ``key=``), are replaced by :func:`redact` before anything is
stored; the server's access log goes through the same function (:mod:`sway.api.logs`).

The server journals its entries first (:mod:`sway.store.audit_journal`, durable before the
answer leaves) and :func:`drain_journal` moves them here; entries that name an account erased
meanwhile are scrubbed as they land (:func:`sway.privacy.leftovers.scrub_audit`).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pyarrow as pa

from sway.privacy.leftovers import scrub_audit
from sway.store.audit_journal import AuditJournal
from sway.store.db import Store

__all__ = ["REDACTED", "drain_journal", "entries", "record", "redact"]

REDACTED = "[redacted]"
#: A whole API key (``sway_<key id>_<secret>``): the public key id stays, the secret goes.
_KEY = re.compile(r"\b(sway_[a-z0-9]{8}_)[A-Za-z0-9_-]{20,}")
#: Query or form parameters that carry a secret, whatever their value looks like.
_SECRET_PARAM = re.compile(
    r"(?i)(?<![A-Za-z0-9_])((?:api[_-]?)?key|access[_-]?token|token|secret|password|session)"
    r"(=|%3D)[^&\s\"']*"
)


def redact(text: str) -> str:
    """``text`` without any secret: API keys anywhere, and the values of parameters named
    ``key``, ``api_key``, ``token``, ``access_token``, ``secret``, ``password``, ``session``."""
    text = _KEY.sub(lambda m: m.group(1) + REDACTED, text)
    return _SECRET_PARAM.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


def record(
    store: Store,
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry (inside the caller's transaction, if any), secrets redacted."""
    store.con.execute(
        "INSERT INTO audit_log (logged_at, actor, action, subject, detail) "
        "VALUES (coalesce(?, now()), ?, ?, ?, ?)",
        [
            at,
            actor,
            action,
            None if subject is None else redact(subject),
            None if detail is None else json.dumps(_redacted(detail), default=str),
        ],
    )


def drain_journal(store: Store, journal: AuditJournal | None = None) -> int:
    """Move the server's journaled entries into ``audit_log`` (see the module docstring), in a
    transaction of its own (call it outside any other); returns how many moved."""
    journal = journal if journal is not None else AuditJournal.existing(store.path)
    if journal is None:
        return 0
    last, pending = journal.pending()
    if not pending:
        return 0
    con = store.con
    # Staged in a temporary table (memory, not the store's WAL) and scrubbed there, so that no
    # erased id is written to the store even for the length of a transaction.
    staged = pa.table(
        {
            "audit_id": pa.array(range(len(pending)), pa.int64()),
            "logged_at": pa.array([e.logged_at for e in pending], pa.timestamp("us", tz="UTC")),
            "actor": pa.array([e.actor for e in pending], pa.string()),
            "action": pa.array([e.action for e in pending], pa.string()),
            "subject": pa.array(
                [None if e.subject is None else redact(e.subject) for e in pending], pa.string()
            ),
            "detail": pa.array(
                [None if e.detail is None else redact(e.detail) for e in pending], pa.string()
            ),
            "entry_id": pa.array([e.entry_id for e in pending], pa.string()),
        }
    )
    # One statement from Arrow, not a row at a time: a flush moves thousands of entries while
    # it holds the store's write lock.
    con.register("_journal_rows", staged)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _staged_audit AS SELECT audit_id, logged_at, actor, "
        "action, subject, CAST(detail AS JSON) AS detail, entry_id FROM _journal_rows"
    )
    con.unregister("_journal_rows")
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            scrub_audit(store, table="_staged_audit")
            moved = int(
                con.execute(
                    "INSERT INTO audit_log (logged_at, actor, action, subject, detail, entry_id) "
                    "SELECT logged_at, actor, action, subject, detail, entry_id "
                    "FROM _staged_audit s WHERE NOT EXISTS "
                    "(SELECT 1 FROM audit_log a WHERE a.entry_id = s.entry_id) ORDER BY audit_id"
                ).fetchall()[0][0]
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute("DROP TABLE IF EXISTS _staged_audit")
    # Only once the store has them: a crash before this line moves them again, once.
    journal.done(last)
    return moved


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
