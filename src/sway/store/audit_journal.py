"""The audit journal: audit entries made durable in a small file beside the store.

A read audited by the server must be recorded before its answer leaves, but the server may
not hold the DuckDB file's write lock (the CLI must be able to write beside it) and opening it
for every request would cost more than the read. So the server appends its entries here, an
SQLite file (``<store>.audit``, write-ahead log) that several processes may open at once, in one
transaction per batch of concurrent requests (a group commit), and moves them into the store's
``audit_log`` every few seconds (:func:`sway.privacy.audit.drain_journal`).

Two bounds, measured in docs/privacy.md: a committed entry is in the operating system's hands
(it survives the server being killed, ``kill -9`` included) before the answer leaves; it is on
the disk itself (it survives a power loss or a crash of the machine) within one
:meth:`AuditJournal.sync`, which the server calls at least every second. Syncing every commit
(``synchronous = FULL``) cost two thirds of the lookup throughput on a busy 2-core machine. Whoever
drains first (the server, ``sway forget``, ``sway audit``) moves them; each entry keeps its
``entry_id`` so that a move interrupted between the store's commit and the journal's delete is
not stored twice. Deleted entries are overwritten (``secure_delete``) and the write-ahead log is
truncated after each move, so nothing drained stays in the file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["AuditJournal", "JournalEntry", "journal_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq       INTEGER PRIMARY KEY,
    entry_id  TEXT NOT NULL,
    logged_at TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT,
    detail    TEXT
)
"""


def journal_path(store_path: Path) -> Path:
    """Where the journal of the store at ``store_path`` lives."""
    return store_path.with_name(store_path.name + ".audit")


@dataclass(frozen=True)
class JournalEntry:
    """One audit entry as journaled (``detail`` already JSON)."""

    entry_id: str
    logged_at: datetime
    actor: str
    action: str
    subject: str | None
    detail: str | None


class AuditJournal:
    """The journal of one store.

    Two connections: one that appends (the request's own thread, never kept waiting by the
    rest) and one for reading, forgetting and syncing what was moved, so that a move of many
    entries blocks an append only for one short slice of its deletion at a time (SQLite in
    write-ahead-log mode lets a reader and a writer work at once).
    """

    def __init__(self, store_path: Path, *, busy_timeout: float = 10.0) -> None:
        self.path = journal_path(store_path)
        self._con = self._connect(busy_timeout)
        self._con.execute(_SCHEMA)
        self._maintenance = self._connect(busy_timeout)
        # Checkpoints (which sync) run with the maintenance work, not inside an append.
        self._con.execute("PRAGMA wal_autocheckpoint = 0")
        self._lock = threading.Lock()
        self._maintenance_lock = threading.Lock()

    def _connect(self, busy_timeout: float) -> sqlite3.Connection:
        con = sqlite3.connect(
            self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        con.execute("PRAGMA journal_mode = WAL")
        # Commits reach the write-ahead log by write(); sync() puts them on the disk.
        con.execute("PRAGMA synchronous = NORMAL")
        con.execute("PRAGMA secure_delete = ON")
        return con

    @classmethod
    def existing(cls, store_path: Path) -> AuditJournal | None:
        """The journal when there is one (a reader need not create it)."""
        return cls(store_path) if journal_path(store_path).exists() else None

    def append(self, entries: Iterable[dict[str, Any]]) -> None:
        """Commit entries (``actor``, ``action``, ``subject``, ``detail``, ``at``) in one
        transaction (on the disk at the next :meth:`sync`)."""
        rows = [
            (
                uuid.uuid4().hex,
                e["at"].isoformat(),
                e["actor"],
                e["action"],
                e.get("subject"),
                None if e.get("detail") is None else json.dumps(e["detail"], default=str),
            )
            for e in entries
        ]
        if not rows:
            return
        con = self._con
        with self._lock:
            con.execute("BEGIN IMMEDIATE")
            try:
                con.executemany(
                    "INSERT INTO entries (entry_id, logged_at, actor, action, subject, detail) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def sync(self) -> None:
        """Put every committed entry on the disk (fsync of the write-ahead log)."""
        wal = self.path.with_name(self.path.name + "-wal")
        with self._maintenance_lock:
            try:
                fd = os.open(wal, os.O_RDONLY)
            except FileNotFoundError:
                return  # checkpointed away: the entries are in the main file, synced by SQLite
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def pending(self) -> tuple[int, list[JournalEntry]]:
        """The entries waiting to be moved, and the last ``seq`` among them (for :meth:`done`)."""
        with self._maintenance_lock:
            rows = self._maintenance.execute(
                "SELECT seq, entry_id, logged_at, actor, action, subject, detail "
                "FROM entries ORDER BY seq"
            ).fetchall()
        last = int(rows[-1][0]) if rows else 0
        return last, [
            JournalEntry(r[1], datetime.fromisoformat(r[2]), r[3], r[4], r[5], r[6]) for r in rows
        ]

    #: Entries deleted per transaction by :meth:`done`: an append waits for one slice at most.
    DELETE_SLICE = 500

    def done(self, last: int) -> None:
        """Forget the entries up to ``last`` (they are in the store now), leaving no copy of
        them in the file (``secure_delete``) or its write-ahead log (truncated, when no append
        is under way; the next move tries again otherwise)."""
        con = self._maintenance
        with self._maintenance_lock:
            while con.execute(
                "DELETE FROM entries WHERE seq IN "
                "(SELECT seq FROM entries WHERE seq <= ? ORDER BY seq LIMIT ?)",
                [last, self.DELETE_SLICE],
            ).rowcount:
                pass
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def count(self) -> int:
        with self._maintenance_lock:
            return int(self._maintenance.execute("SELECT count(*) FROM entries").fetchone()[0])

    def close(self) -> None:
        with self._lock, self._maintenance_lock:
            self._con.close()
            self._maintenance.close()
