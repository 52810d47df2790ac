"""Reading members of zip archives with faults reported as :class:`SourceError`."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from sway.errors import SourceError

__all__ = ["ZIP_ERRORS", "zip_opener"]

#: What the standard library raises on a damaged, truncated, encrypted or unsupported zip:
#: ``NotImplementedError`` for an unknown compression method or zip version, ``RuntimeError``
#: for an encrypted member.
ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    OSError,
    ValueError,
    EOFError,
    NotImplementedError,
    RuntimeError,
)


def zip_opener(archive: zipfile.ZipFile, member: str, path: Path) -> Callable[[], IO[bytes]]:
    """A callable opening ``member`` of ``archive``; a damaged member is a SourceError."""

    def open_member() -> IO[bytes]:
        try:
            return archive.open(member)
        except ZIP_ERRORS as exc:
            raise SourceError(
                f"cannot read archive member ({exc})", path=f"{path}/{member}"
            ) from None

    return open_member
