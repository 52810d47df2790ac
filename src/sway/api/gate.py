"""How the server shares the store file with the CLI: short sessions, never a standing lock.

DuckDB lets one process write a file, or many processes read it, never both. The server must
not hold the file for its whole life, or ``sway ingest``, ``sway score`` and ``sway apikey``
could not run beside it. So:

- hot lookups are answered from memory (:mod:`sway.api.index`), without the file;
- other reads open the file **read-only** through :meth:`StoreGate.read`; the connection is
  shared by concurrent requests and closed ``linger`` seconds after its last use (and at least
  every ``max_hold`` seconds under steady traffic), so a CLI writer finds the file free between
  bursts;
- the server's own writes (API ingest, usage counters, audit entries) open it **read-write**
  through :meth:`StoreGate.write`, one at a time, for as long as one transaction takes.

When the CLI holds the write lock (a long ``sway score``), the server retries for ``lock_wait``
seconds and then raises :class:`StoreBusy`, which the API answers with 503 and ``Retry-After``;
lookups served from memory keep working meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sway.errors import StoreError
from sway.store.db import Store, is_lock_conflict

__all__ = ["StoreBusy", "StoreGate"]


class StoreBusy(StoreError):
    """The store is locked by another process (a CLI writer) for longer than we may wait."""

    def __init__(self, path: Path, retry_after: int = 5) -> None:
        super().__init__(f"{path}: the store is busy (another process is writing); retry soon")
        self.retry_after = retry_after


class StoreGate:
    """Serialised, short-lived access to one store file from one process.

    Parameters
    ----------
    path
        The store file.
    linger
        Seconds a read-only connection stays open after its last use.
    max_hold
        Seconds after which a read-only connection is closed at its next release even when
        requests keep coming, to let writers in.
    lock_wait
        Seconds to keep retrying when another process holds the lock.
    """

    def __init__(
        self, path: Path, *, linger: float = 0.5, max_hold: float = 5.0, lock_wait: float = 5.0
    ) -> None:
        self.path = path
        self.linger = linger
        self.max_hold = max_hold
        self.lock_wait = lock_wait
        self._lock = threading.RLock()
        self._reader: Store | None = None
        self._opened_at = 0.0
        self._last_used = 0.0
        self._closed = False
        self._janitor = threading.Thread(target=self._close_idle, name="sway-gate", daemon=True)
        self._janitor.start()

    def _open(self, *, read_only: bool, wait: float | None = None) -> Store:
        deadline = time.monotonic() + (self.lock_wait if wait is None else wait)
        delay = 0.01
        while True:
            try:
                # The gate retries itself (with its own deadline and StoreBusy), so no wait inside.
                return Store.open(self.path, read_only=read_only, lock_wait=0)
            except StoreError as exc:
                if not is_lock_conflict(exc) or time.monotonic() >= deadline:
                    if is_lock_conflict(exc):
                        raise StoreBusy(self.path) from None
                    raise
            time.sleep(delay)
            delay = min(0.2, delay * 2)

    @contextmanager
    def read(self) -> Iterator[Store]:
        """A read-only store, shared and serialised; do not keep it past the ``with``."""
        with self._lock:
            if self._closed:
                raise StoreError("the server is shutting down")
            if self._reader is None:
                self._reader = self._open(read_only=True)
                self._opened_at = time.monotonic()
            try:
                yield self._reader
            finally:
                self._last_used = time.monotonic()
                if self._last_used - self._opened_at >= self.max_hold or self.linger <= 0:
                    self._close_reader()

    @contextmanager
    def write(self, *, wait: float | None = None) -> Iterator[Store]:
        """A read-write store for one piece of work, closed right after."""
        with self._lock:
            if self._closed:
                raise StoreError("the server is shutting down")
            self._close_reader()
            store = self._open(read_only=False, wait=wait)
            try:
                yield store
            finally:
                store.close()

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _close_idle(self) -> None:
        while not self._closed:
            time.sleep(max(0.05, min(self.linger, 0.25)))
            if self._reader is None:
                continue
            # Never wait for a busy reader here: it closes itself on release when too old.
            if self._lock.acquire(blocking=False):
                try:
                    if (
                        self._reader is not None
                        and time.monotonic() - self._last_used >= self.linger
                    ):
                        self._close_reader()
                finally:
                    self._lock.release()

    def close(self) -> None:
        """Close any open connection; later reads and writes fail."""
        with self._lock:
            self._closed = True
            self._close_reader()
