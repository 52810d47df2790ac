"""The embedded DuckDB store: one file, numbered migrations, a schema version."""

from __future__ import annotations

import contextlib
import os
import re
import time
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb

from sway.errors import StoreError
from sway.store.spool import remove_spools

__all__ = [
    "DEFAULT_DB",
    "LOCK_WAIT_ENV",
    "REWRITE_KEY",
    "SCHEMA_VERSION",
    "Store",
    "default_db_path",
    "is_lock_conflict",
    "migrations",
]

DEFAULT_DB = "sway.duckdb"
_MIGRATION_RE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def default_db_path() -> Path:
    """``$SWAY_DB`` if set, else ``./sway.duckdb``."""
    return Path(os.environ.get("SWAY_DB") or DEFAULT_DB)


def migrations() -> list[tuple[int, str, str]]:
    """``(version, name, sql)`` for every bundled migration, in order."""
    found = []
    for entry in resources.files("sway.store.migrations").iterdir():
        match = _MIGRATION_RE.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise StoreError(f"migrations are not numbered 001, 002, ... without gaps: {versions}")
    return found


SCHEMA_VERSION = len(migrations())

#: Environment variable: seconds to wait for another process's lock on the store.
LOCK_WAIT_ENV = "SWAY_LOCK_WAIT"
_DEFAULT_LOCK_WAIT = 10.0


def _env_lock_wait() -> float:
    raw = os.environ.get(LOCK_WAIT_ENV)
    if raw is None or not raw.strip():
        return _DEFAULT_LOCK_WAIT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise StoreError(f"{LOCK_WAIT_ENV}={raw!r}: expected a number of seconds >= 0")
    return value


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` says another process holds the store's file lock."""
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "resource temporarily unavailable" in text


#: Set (in ``settings``) by the transaction of an erasure, cleared by :meth:`Store.rewrite`.
REWRITE_KEY = "privacy.rewrite_pending"


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Store:
    """An open Sway store. Use as a context manager; :meth:`open` migrates it to the latest schema.

    Parameters
    ----------
    path
        The DuckDB file; created if missing (unless ``read_only``).
    read_only
        Open without taking the write lock, for readers running beside a writer.
    """

    def __init__(
        self, path: str | Path, *, read_only: bool = False, lock_wait: float | None = None
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        #: Leftover spools (:mod:`sway.store.spool`) that :meth:`open` removed.
        self.spools_removed = 0
        if read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no such store; run `sway ingest` first")
        self.con = self._connect(lock_wait if lock_wait is not None else _env_lock_wait())
        self.con.execute("SET TimeZone = 'UTC'")
        # Bounded memory: DuckDB spills to disk beyond this instead of growing with the input.
        memory_limit = os.environ.get("SWAY_MEMORY_LIMIT", "2GB")
        try:
            self.con.execute("SET memory_limit = ?", [memory_limit])
            self.con.execute("SET preserve_insertion_order = false")
        except duckdb.Error as exc:
            raise StoreError(f"SWAY_MEMORY_LIMIT={memory_limit!r} is not a size ({exc})") from None

    def _connect(self, lock_wait: float) -> duckdb.DuckDBPyConnection:
        # DuckDB allows one writing process per file (or many readers). Another process's
        # short write (the API server flushing usage counters, a second CLI command) should
        # make this one wait a little, not fail: retry with backoff for ``lock_wait`` seconds.
        deadline = time.monotonic() + lock_wait
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=self.read_only)
            except duckdb.Error as exc:
                if not is_lock_conflict(exc):
                    raise StoreError(f"{self.path}: cannot open the store ({exc})") from None
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"{self.path}: the store is locked by another process (waited "
                        f"{lock_wait:g} s; set {LOCK_WAIT_ENV} to wait longer) ({exc})"
                    ) from None
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 1.0)

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        lock_wait: float | None = None,
    ) -> Store:
        """Open (creating and migrating as needed) the store at ``path``.

        ``lock_wait`` is how many seconds to wait while another process holds the store's lock
        (default: ``$SWAY_LOCK_WAIT``, else 10). Opened for writing, it also finishes an
        erasure a crash cut short and removes the spools that killed ingests left
        (:attr:`spools_removed` says how many).
        """
        store = cls(
            path if path is not None else default_db_path(),
            read_only=read_only,
            lock_wait=lock_wait,
        )
        if read_only:
            version = store.schema_version()
            if version != SCHEMA_VERSION:
                store.close()
                raise StoreError(
                    f"{store.path}: schema version {version} but this Sway needs "
                    f"{SCHEMA_VERSION}; open it once for writing to migrate"
                )
        else:
            store.migrate()
            if store.rewrite_pending():
                # An erasure committed but the process died before the file was rewritten:
                # finish it now, so that no erased byte outlives the next writer.
                store.rewrite()
            # Likewise the raw input that a killed ingest left in its spool.
            try:
                store.spools_removed = remove_spools(store.path)
            except BaseException:
                store.close()
                raise
        return store

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # -- schema ---------------------------------------------------------------------------

    def schema_version(self) -> int:
        exists = self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        )
        if not exists:
            return 0
        return int(self.scalar("SELECT coalesce(max(version), 0) FROM schema_version"))

    def migrate(self) -> int:
        """Apply every migration newer than the store's version, each in its own transaction."""
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {current} is newer than this Sway ({SCHEMA_VERSION}); "
                "upgrade Sway"
            )
        for version, name, sql in migrations():
            if version <= current:
                continue
            try:
                self.con.execute("BEGIN TRANSACTION")
                self.con.execute(sql)
                self.con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, name])
                self.con.execute("COMMIT")
            except duckdb.Error as exc:
                self.con.execute("ROLLBACK")
                raise StoreError(f"{self.path}: migration {name} failed ({exc})") from None
        return self.schema_version()

    # -- rewriting the file ----------------------------------------------------------------

    def rewrite_pending(self) -> bool:
        """Whether an erasure is waiting for :meth:`rewrite`."""
        if self.schema_version() < 1:
            return False
        return bool(self.scalar("SELECT count(*) FROM settings WHERE key = ?", [REWRITE_KEY]))

    def rewrite(self) -> None:
        """Copy every table into a fresh file and put it in place of this one.

        DuckDB does not overwrite the blocks that deleted rows leave behind, and a CHECKPOINT
        only marks them free: the bytes stay in the file until something else lands there. An
        erasure must not leave them, so the store is copied (only live rows travel) and the
        copy replaces the file with an atomic rename. Killed before the rename, the old file is
        intact and its pending mark makes the next writer start over; the half-made copy is
        removed first.
        """
        if self.read_only:
            raise StoreError(f"{self.path}: cannot rewrite a store opened read-only")
        fresh = self.path.with_name(self.path.name + ".rewrite")
        for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
            leftover.unlink(missing_ok=True)
        try:
            self.con.execute("CHECKPOINT")
            source = str(self.scalar("SELECT current_database()"))
            self.con.execute("ATTACH ? AS sway_rewrite", [str(fresh)])
            # Identifiers cannot be parameters; both names are DuckDB's own, quoted.
            self.con.execute(f'COPY FROM DATABASE "{source}" TO sway_rewrite')
            self.con.execute("DELETE FROM sway_rewrite.settings WHERE key = ?", [REWRITE_KEY])
            self.con.execute("DETACH sway_rewrite")
        except duckdb.Error as exc:
            with contextlib.suppress(duckdb.Error):
                self.con.execute("DETACH sway_rewrite")
            fresh.unlink(missing_ok=True)
            raise StoreError(f"{self.path}: cannot rewrite the store ({exc})") from None
        self.con.close()
        with fresh.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(fresh, self.path)
        self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)
        _fsync_dir(self.path.parent)
        # A connection to the new file, set up as any store's is.
        self.con = Store(self.path).con

    # -- small query helpers (every result is fully fetched: DuckDB wants results finished) --

    def scalar(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> Any:
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def rows(
        self, sql: str, params: list[Any] | dict[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or []).fetchall()

    def dicts(
        self, sql: str, params: list[Any] | dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
