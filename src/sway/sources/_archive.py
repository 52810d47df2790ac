"""Reading members of zip and tar archives with faults reported as :class:`SourceError`, and
with limits on what they may expand to (decompression bombs are refused before reading)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from sway.errors import SourceError
from sway.sources._io import check_expansion

__all__ = [
    "MAX_ARCHIVE_BYTES",
    "MAX_MEMBERS",
    "ZIP_ERRORS",
    "TarBudget",
    "check_zip",
    "zip_opener",
]

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

#: An archive may hold this much once expanded, in all (the largest public dumps Sway reads,
#: Stack Overflow's, are about 100 GB expanded).
MAX_ARCHIVE_BYTES = 1 << 40
#: An archive may hold this many members (a zip of millions of empty files is an attack on the
#: reader's time, not an export).
MAX_MEMBERS = 1_000_000


def check_zip(archive: zipfile.ZipFile, path: Path) -> None:
    """Refuse ``archive`` before reading it when its members declare more than the limits: a
    member expanding more than ``MAX_RATIO`` times, too many members, or too much in all.
    (``zipfile`` never returns more than a member's declared size, so the declared sizes bound
    what reading can produce.)"""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise SourceError(
            f"{len(infos):,} members; refusing archives of more than {MAX_MEMBERS:,}", path=path
        )
    total = 0
    for info in infos:
        check_expansion(info.file_size, info.compress_size, path=f"{path}/{info.filename}")
        total += info.file_size
    if total > MAX_ARCHIVE_BYTES:
        raise SourceError(
            f"members expand to {total:,} bytes in all; refusing more than {MAX_ARCHIVE_BYTES:,}",
            path=path,
        )


class TarBudget:
    """What the members of a streamed tar archive may add up to, checked member by member
    (a tar has no index to check first)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.compressed = path.stat().st_size
        self.expanded = 0
        self.members = 0

    def admit(self, name: str, size: int) -> None:
        self.members += 1
        self.expanded += size
        if self.members > MAX_MEMBERS:
            raise SourceError(f"more than {MAX_MEMBERS:,} members; refusing", path=self.path)
        check_expansion(self.expanded, self.compressed, path=f"{self.path}/{name}")


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
