"""What a running server holds: the store gate, the in-memory index, keys, limits and usage.

One :class:`ServiceState` per app. A background thread checks every ``refresh_interval``
seconds whether the store file changed (its size and modification time, and those of its WAL);
if it did, it reads a cheap version of the data and of the key table, and rebuilds the index or
reloads the keys only when those changed, so the server's own writes of usage counters do not
trigger rebuilds. Usage counters are buffered and written every ``usage_flush_interval``
seconds (and at shutdown); when the store is busy they wait for the next flush.

Audit entries are committed to the audit journal beside the store
(:mod:`sway.store.audit_journal`) by :meth:`ServiceState.record` itself, so before the audited
answer leaves (a commit without a sync is tens of microseconds: done in the request's own
thread, with no hand-off to a writer thread, whose wake-ups cost milliseconds each under load
because of the interpreter lock); a background thread syncs the journal to the disk at least
every :data:`AUDIT_SYNC_SECONDS`; each flush moves the journal into the store's ``audit_log``.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sway.api.gate import StoreBusy, StoreGate
from sway.api.index import ServingIndex
from sway.api.keys import ApiKey, check_secret, list_keys, parse_key
from sway.api.ratelimit import Decision, RateLimiter
from sway.api.settings import Settings
from sway.errors import StoreError
from sway.privacy.audit import drain_journal
from sway.store.audit_journal import AuditJournal
from sway.store.db import Store
from sway.store.queries import api_usage_on, data_version, keys_version

__all__ = ["AuditEntry", "ServiceState"]

log = logging.getLogger("sway.api")

#: Longest time a committed audit entry waits to be synced to the disk.
AUDIT_SYNC_SECONDS = 1.0

#: Refresh cycles between version checks made even when the file looks unchanged.
FULL_CHECK_EVERY = 15


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    action: str
    subject: str | None = None
    detail: dict[str, Any] | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _signature(path: Path) -> tuple[int, ...]:
    sig: list[int] = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
            sig.extend((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            sig.extend((0, 0))
    return tuple(sig)


class ServiceState:
    """The live state of one server (see the module docstring)."""

    def __init__(self, settings: Settings, *, now: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self.gate = StoreGate(
            settings.db,
            linger=settings.linger,
            lock_wait=settings.lock_wait,
            max_hold=max(1.0, settings.linger * 10),
        )
        self._now = now or (lambda: datetime.now(UTC))
        self.limiter = RateLimiter(now=self._now)
        self.index: ServingIndex
        self._keys: dict[str, ApiKey] = {}
        self._keys_version: tuple[Any, ...] = ()
        self._signature: tuple[int, ...] = ()
        self._usage: Counter[tuple[str, date]] = Counter()
        self._limited: Counter[tuple[str, date]] = Counter()
        self._last_used: dict[str, datetime] = {}
        self._journal: AuditJournal | None = None
        #: Set when the journal has commits not yet synced to the disk.
        self._unsynced = threading.Event()
        self._buffer_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started = False

    # -- life cycle -----------------------------------------------------------------------

    def start(self, *, background: bool = True) -> None:
        """Migrate the store if needed, load index, keys and today's usage; start threads.

        Idempotent: a second call only starts the threads if the first did not.
        """
        if self._started:
            if background and not self._threads:
                self._start_threads()
            return
        if not self.settings.db.exists():
            raise StoreError(f"{self.settings.db}: no such store; run `sway ingest FILE` first")
        self._journal = AuditJournal(self.settings.db)
        with self.gate.write() as store:
            store.migrate()
            # Entries journaled by a server that stopped before moving them.
            drain_journal(store, self._journal)
        self._signature = _signature(self.settings.db)
        with self.gate.read() as store:
            self.index = ServingIndex.build(store)
            self._load_keys(store)
            today = self._now().date()
            self.limiter.preload(today, api_usage_on(store, today))
        self._started = True
        if background:
            self._start_threads()

    def _start_threads(self) -> None:
        for target, name in (
            (self._refresh_loop, "refresh"),
            (self._flush_loop, "usage"),
            (self._sync_loop, "audit-sync"),
        ):
            thread = threading.Thread(target=target, name=f"sway-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop the threads, write what is buffered, close the store."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        try:
            self.flush(wait=self.settings.lock_wait)
        except StoreError as exc:
            log.warning("usage not written at shutdown: %s", exc)
        self.gate.close()
        if self._journal is not None:
            self._sync_journal()
            self._journal.close()
            self._journal = None

    # -- refreshing -----------------------------------------------------------------------

    def _load_keys(self, store: Store) -> None:
        self._keys = {k.key_id: k for k in list_keys(store)}
        self._keys_version = keys_version(store)

    def refresh(self, *, check: bool = False, force: bool = False) -> bool:
        """Reload the index and keys if the store changed; returns whether anything reloaded.

        ``check`` compares versions even when the file looks unchanged; ``force`` reloads.
        """
        with self._refresh_lock:
            sig = _signature(self.settings.db)
            if sig == self._signature and not (check or force):
                return False
            with self.gate.read() as store:
                version = data_version(store)
                kversion = keys_version(store)
                reloaded = False
                if kversion != self._keys_version or force:
                    self._load_keys(store)
                    reloaded = True
                if version != self.index.version or force:
                    # Build beside the old index; requests keep using the old one meanwhile.
                    self.index = ServingIndex.build(store)
                    reloaded = True
            self._signature = sig
            return reloaded

    def _refresh_loop(self) -> None:
        cycles = 0
        while not self._stop.wait(self.settings.refresh_interval):
            cycles += 1
            try:
                # Every FULL_CHECK_EVERY cycles, compare versions even if the file looks the same.
                self.refresh(check=cycles % FULL_CHECK_EVERY == 0)
            except StoreBusy:
                continue  # a CLI writer is at work: look again next time
            except Exception:  # keep serving the old index whatever went wrong
                log.exception("refreshing from the store failed")

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.settings.usage_flush_interval):
            try:
                self.flush(wait=0.2)
            except StoreError:
                continue  # busy: the counts stay buffered
            except Exception:
                log.exception("writing usage failed")

    # -- keys and limits ------------------------------------------------------------------

    def authenticate(self, secret: str | None) -> ApiKey | None:
        """The active key ``secret`` is, or ``None``."""
        if not secret:
            return None
        key_id = parse_key(secret.strip())
        if key_id is None:
            return None
        key = self._keys.get(key_id)
        if key is None or not key.active or not check_secret(key, secret.strip()):
            return None
        return key

    def admit(self, key: ApiKey) -> Decision:
        """Count one call of ``key`` against its limits."""
        decision = self.limiter.check(
            key.key_id,
            per_second=key.rate_per_second or self.settings.rate_per_second,
            per_day=key.rate_per_day or self.settings.rate_per_day,
        )
        now = self._now()
        with self._buffer_lock:
            if decision.allowed:
                self._usage[(key.key_id, now.date())] += 1
                self._last_used[key.key_id] = now
            else:
                self._limited[(key.key_id, now.date())] += 1
        return decision

    def record(self, entry: AuditEntry) -> None:
        """Commit an audit entry to the journal before returning (synced to the disk within
        :data:`AUDIT_SYNC_SECONDS`)."""
        if self._journal is None:
            raise StoreError("the server has not started: no audit journal")
        self._journal.append(
            [
                {
                    "actor": entry.actor,
                    "action": entry.action,
                    "subject": entry.subject,
                    "detail": entry.detail,
                    "at": entry.at,
                }
            ]
        )
        self._unsynced.set()

    def _sync_loop(self) -> None:
        while not self._stop.wait(AUDIT_SYNC_SECONDS):
            self._sync_journal()

    def _sync_journal(self) -> None:
        if not self._unsynced.is_set() or self._journal is None:
            return
        self._unsynced.clear()
        try:
            self._journal.sync()
        except OSError:
            self._unsynced.set()
            log.exception("syncing the audit journal failed")

    def api_keys(self) -> list[ApiKey]:
        return sorted(self._keys.values(), key=lambda k: (k.created_at, k.key_id), reverse=True)

    def key_changed(self, store: Store) -> None:
        """After a write through the API changed keys: reload them from that connection."""
        self._load_keys(store)

    # -- usage ----------------------------------------------------------------------------

    def flush(self, *, wait: float | None = None) -> None:
        """Write buffered usage counters in one transaction, and move the audit journal into
        the store."""
        with self._buffer_lock:
            usage, limited, last_used = self._usage, self._limited, self._last_used
            self._usage, self._limited, self._last_used = Counter(), Counter(), {}
        journaled = self._journal is not None and self._journal.count() > 0
        if not (usage or limited or journaled):
            return
        try:
            with self.gate.write(wait=wait) as store:
                con = store.con
                con.execute("BEGIN TRANSACTION")
                try:
                    for key_id, day in set(usage) | set(limited):
                        calls, refused = usage[(key_id, day)], limited[(key_id, day)]
                        con.execute(
                            "INSERT INTO api_usage VALUES (?, ?, ?, ?) ON CONFLICT (key_id, day) "
                            "DO UPDATE SET calls = api_usage.calls + excluded.calls, "
                            "limited = api_usage.limited + excluded.limited",
                            [key_id, day, calls, refused],
                        )
                    for key_id, when in last_used.items():
                        con.execute(
                            "UPDATE api_keys SET last_used_at = ? WHERE key_id = ?",
                            [when, key_id],
                        )
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                if journaled:
                    drain_journal(store, self._journal)
                # Our own write changed the file; when it changed nothing the index depends
                # on, remember the file's new look so that it does not count as a change by
                # someone else (a periodic full check covers a writer slipping in right after).
                unchanged = (
                    data_version(store) == self.index.version
                    and keys_version(store) == self._keys_version
                )
            if unchanged:
                with self._refresh_lock:
                    self._signature = _signature(self.settings.db)
        except BaseException:
            # Put the counts back so the next flush writes them.
            with self._buffer_lock:
                self._usage.update(usage)
                self._limited.update(limited)
                for k, v in last_used.items():
                    self._last_used.setdefault(k, v)
            raise
