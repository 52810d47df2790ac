"""Disk space for importers that must write their input out before reading it.

An importer that needs a real file or folder (a ``.7z`` extracted, a compressed CAR inflated for
``mmap``) takes it from :func:`scratch_folder` or :func:`scratch_file`. Importers know nothing
of the store, so the caller says where that space is: ingest runs them inside
:func:`scratch_in` with its spool folder (:mod:`sway.store.spool`), so that raw input lands in
the store's folder, under the store's clean-up, and not in the system temporary directory.
Outside it (a library caller reading a file on its own) they fall back to the system
temporary directory.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import IO

__all__ = ["scratch_file", "scratch_folder", "scratch_in"]

# A context variable, not a global: the API server ingests in several threads at once, each
# into its own spool. A generator's body runs in the context of whoever advances it, so an
# importer's ``read`` sees the folder of the ingest that consumes it.
_FOLDER: ContextVar[Path | None] = ContextVar("sway_scratch_folder", default=None)


@contextlib.contextmanager
def scratch_in(folder: Path) -> Iterator[Path]:
    """Make :func:`scratch_folder` and :func:`scratch_file` use ``folder`` inside the ``with``."""
    token = _FOLDER.set(folder)
    try:
        yield folder
    finally:
        _FOLDER.reset(token)


@contextlib.contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A fresh folder for the ``with``, removed after it."""
    # Cleanup errors ignored: the whole scratch folder may already be gone when a reader
    # abandoned halfway is garbage-collected after its ingest ended.
    with tempfile.TemporaryDirectory(
        prefix=prefix, dir=_FOLDER.get(), ignore_cleanup_errors=True
    ) as tmp:
        yield Path(tmp)


def scratch_file() -> IO[bytes]:
    """An anonymous temporary file (gone when closed), opened ``w+b``."""
    return tempfile.TemporaryFile(dir=_FOLDER.get())
