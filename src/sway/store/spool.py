"""Spool folders: where raw input waits on disk while it is ingested.

An ingest writes what it reads to disk before it commits (Parquet batches, an uploaded request
body, a ``.7z`` extracted for reading). That is raw input, erased people's data included, so it
lives in one place that the store owns and cleans: a hidden folder beside the store file,
named after it (``.sway.duckdb.spool/`` for ``sway.duckdb``, mode 0700), never the system
temporary directory::

    .sway.duckdb.spool/
        ingest-3f9c2a1b0d4e5f67.lock    held locked by the owning process
        ingest-3f9c2a1b0d4e5f67/        the spool: events.parquet, accounts.parquet, ...

:func:`new_spool` makes one and removes it when its ``with`` ends, whatever happens. A process
killed meanwhile leaves it behind; :func:`remove_spools` removes such leftovers and is called
by every :meth:`Store.open <sway.store.db.Store.open>` for writing, by ``sway check`` and by
erasure.

Why a lock per spool and not a rule on the store's lock: the DuckDB write lock does not say
which spools are in use. The API server writes an uploaded body to its spool *before* it opens
its short write connection; inside one process DuckDB shares one database instance between
threads, so holding the write lock excludes no other thread; and a pid in the name is reused
after a reboot or in a container (where the server is often pid 1 again). So each spool has a
sibling lock file that its owner holds (``flock``) from before the folder exists until after
it is removed. The kernel drops the lock when the owner exits, ``kill -9`` included, so a spool
whose lock can be taken has no owner and is safe to remove by anyone, at any time.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from sway.errors import StoreError

__all__ = ["leftover_spools", "new_spool", "remove_spools", "spool_root"]

_LOCK = ".lock"
#: Before spools had a folder of their own, ingest made ``.<store>.ingest-XXXX`` beside the store.
_LEGACY = ".ingest-"

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    # A byte-range lock; like flock, Windows drops it when its process dies.
    def _hold(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)

    def _try(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    # flock, not fcntl/lockf: its locks belong to the open file, so two threads of one process
    # exclude each other too, and closing another descriptor of the same file keeps them.
    def _hold(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _try(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            # Held by another (or a file system without locks: then never remove).
            return False
        return True


def _root(store_path: str | Path) -> Path:
    path = Path(store_path)
    return path.parent / f".{path.name}.spool"


def spool_root(store_path: str | Path) -> Path:
    """The folder holding the spools of the store at ``store_path``, created (mode 0700) if
    missing."""
    root = _root(store_path)
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        raise StoreError(f"{root}: expected the store's spool folder, found something else")
    try:
        root.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"{root}: cannot make the store's spool folder ({exc})") from None
    else:
        # mkdir's mode passes through the umask; this folder must never be readable by others.
        os.chmod(root, 0o700)
    return root


@contextlib.contextmanager
def new_spool(store_path: str | Path, kind: str) -> Iterator[Path]:
    """A fresh, empty folder in the store's spool folder, removed when the ``with`` ends.

    ``kind`` (``ingest``, ``api``, ...) only names it. Until the ``with`` ends, no other
    process or thread removes it (see the module docstring).
    """
    root = spool_root(store_path)
    for _ in range(100):
        name = f"{kind}-{secrets.token_hex(8)}"
        lock = root / (name + _LOCK)
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise StoreError(f"{root}: cannot make a spool ({exc})") from None
        try:
            _hold(fd)
        except OSError as exc:
            os.close(fd)
            lock.unlink(missing_ok=True)
            raise StoreError(f"{lock}: cannot lock the spool ({exc})") from None
        # The lock file exists before it is locked: a remover may take it in between, remove
        # it and let go. Then our lock is on a file no longer there, so start again.
        if _same_file(fd, lock):
            break
        os.close(fd)
    else:
        raise StoreError(f"{root}: cannot make a spool (its lock files keep disappearing)")
    folder = root / name
    try:
        folder.mkdir(mode=0o700)
        yield folder
    finally:
        try:
            shutil.rmtree(folder, ignore_errors=True)
            # Unlinked while still locked: a remover never sees this lock file free.
            with contextlib.suppress(OSError):
                lock.unlink()
        finally:
            os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _stems(root: Path) -> list[str]:
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StoreError(f"{root}: cannot read the store's spool folder ({exc})") from None
    # An empty stem would name the spool folder itself.
    return sorted({n.removesuffix(_LOCK) for n in names} - {""})


def _legacy(store_path: str | Path) -> list[Path]:
    path = Path(store_path)
    prefix = f".{path.name}{_LEGACY}"
    try:
        entries = list(path.parent.iterdir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StoreError(f"{path.parent}: cannot read the store's folder ({exc})") from None
    return sorted(e for e in entries if e.name.startswith(prefix) and e.is_dir())


@contextlib.contextmanager
def _unowned(root: Path, stem: str) -> Iterator[bool]:
    """Whether the spool ``stem`` has no live owner; if so, it stays ours for the ``with``."""
    lock = root / (stem + _LOCK)
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        # No lock file: its owner is gone (it unlinks the lock last, and a remover only after
        # taking it), so this is what a crash in the middle of removing left.
        yield True
        return
    except OSError:
        yield False  # cannot tell (another user's spool?): leave it
        return
    try:
        yield _try(fd)
    finally:
        os.close(fd)


def leftover_spools(store_path: str | Path) -> list[Path]:
    """The spools of the store at ``store_path`` that no live process owns: what a killed
    ingest left behind. Looks only; creates and removes nothing."""
    root = _root(store_path)
    found: list[Path] = []
    for stem in _stems(root) if root.is_dir() and not root.is_symlink() else []:
        with _unowned(root, stem) as free:
            # A lock file alone (its process killed before it made the folder) holds nothing.
            if free and os.path.lexists(root / stem):
                found.append(root / stem)
    return found + _legacy(store_path)


def remove_spools(store_path: str | Path) -> int:
    """Remove every spool of the store at ``store_path`` that no live process owns; return how
    many spool folders were removed.

    Safe beside running ingests of other processes and threads: their spools are locked and
    left alone. The ``.<store>.ingest-*`` folders of Sway versions before spools had their own
    folder carry no lock; those versions made them only while holding the store's write lock,
    so call this while holding it too (:meth:`Store.open <sway.store.db.Store.open>` for
    writing does).
    """
    removed = 0
    root = _root(store_path)
    for stem in _stems(root) if root.is_dir() and not root.is_symlink() else []:
        with _unowned(root, stem) as free:
            if not free:
                continue
            folder = root / stem
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
            else:
                folder.unlink(missing_ok=True)
            # Unlinked while we hold it, as an owner does: see new_spool.
            with contextlib.suppress(OSError):
                (root / (stem + _LOCK)).unlink()
    for folder in _legacy(store_path):
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed
