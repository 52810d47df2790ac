"""Opening inputs: transparent ``.gz`` / ``.bz2`` / ``.xz``, peeking at content for sniffing."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any, cast

from sway.errors import SourceError

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_RATIO",
    "RATIO_FLOOR",
    "check_expansion",
    "iter_lines",
    "iter_text_lines",
    "open_binary",
    "open_text",
    "peek",
    "strip_compression",
]

#: A line longer than this is refused rather than read into memory (a guard against garbage).
MAX_LINE_BYTES = 64 * 1024 * 1024
#: Compressed input may expand this many times at most (text and XML exports compress 5-20
#: times; a decompression bomb, thousands). Below ``RATIO_FLOOR`` bytes of output any ratio
#: is allowed: small, very repetitive files are harmless.
MAX_RATIO = 200
RATIO_FLOOR = 64 * 1024 * 1024


def check_expansion(expanded: int, compressed: int, *, path: str | Path) -> None:
    """Refuse ``expanded`` bytes of output from ``compressed`` bytes of input when that is more
    than :data:`MAX_RATIO` times (and more than :data:`RATIO_FLOOR` bytes): a decompression
    bomb, or garbage that would take unbounded time and disk to read."""
    if expanded > RATIO_FLOOR and expanded > MAX_RATIO * max(compressed, 1):
        raise SourceError(
            f"expands to more than {MAX_RATIO} times its compressed size ({compressed:,} bytes "
            f"to over {expanded:,}); refusing a possible decompression bomb",
            path=path,
        )


_COMPRESSED = (".gz", ".bz2", ".xz")


def strip_compression(path: Path) -> Path:
    """``events.csv.gz`` → ``events.csv``: the name that tells the inner format."""
    return path.with_suffix("") if path.suffix.lower() in _COMPRESSED else path


class _Guarded(io.RawIOBase):
    """A decompressing stream whose faults surface as :class:`SourceError`, whatever the reader."""

    def __init__(self, inner: IO[bytes], path: Path) -> None:
        self._inner = inner
        self._path = path
        self._compressed = path.stat().st_size
        self._expanded = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._inner.read(len(buffer))
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise SourceError(
                f"unreadable or truncated compressed data ({exc})", path=self._path
            ) from None
        self._expanded += len(data)
        check_expansion(self._expanded, self._compressed, path=self._path)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for reading bytes, decompressing by extension."""
    try:
        suffix = path.suffix.lower()
        if suffix == ".gz":
            inner = cast(IO[bytes], gzip.open(path, "rb"))  # noqa: SIM115 (closed by _Guarded)
        elif suffix == ".bz2":
            inner = bz2.open(path, "rb")  # noqa: SIM115
        elif suffix == ".xz":
            inner = lzma.open(path, "rb")  # noqa: SIM115
        else:
            return path.open("rb")
    except OSError as exc:
        raise SourceError(f"cannot open: {exc.strerror or exc}", path=path) from None
    return io.BufferedReader(_Guarded(inner, path), buffer_size=1 << 16)


def open_text(path: Path) -> IO[str]:
    """Open ``path`` as UTF-8 text (a byte-order mark is skipped), decompressing by extension."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", newline="")


def peek(path: Path, size: int = 4096) -> bytes:
    """The first ``size`` bytes of the decompressed content, or ``b""`` if unreadable."""
    if not path.is_file():
        return b""
    try:
        with open_binary(path) as fh:
            return fh.read(size)
    except (OSError, EOFError, SourceError, lzma.LZMAError, zlib.error):
        return b""


def iter_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(line_number, line)`` for each line, 1-based, without the line ending.

    Lines end at ``\n`` only. Decompression faults become :class:`SourceError` naming the line
    reached.
    """
    for number, line in _raw_lines(path):
        yield number, line.rstrip(b"\r\n")


#: A carriage return that ends a line on its own (old Mac files), not as part of ``\r\n``.
_LONE_CR = re.compile(rb"\r(?!\n)")
_AFTER_LONE_CR = re.compile(r"(?<=\r)(?!\n)")


def iter_text_lines(path: Path) -> Generator[str, None, None]:
    """The lines of ``path`` as UTF-8 text, line endings kept (for :mod:`csv`).

    Lines end at ``\n``, ``\r\n`` or a lone ``\r``, as ``open(newline="")`` splits them;
    never at the other characters :meth:`str.splitlines` breaks on (``\x0b``, ``\x0c``,
    ``\x1c``-``\x1e``, ``\x85``, ``\u2028``, ``\u2029``), which are text. Each line is
    decoded on its own, so a byte that is not UTF-8 is reported on its own line: a
    :class:`io.TextIOWrapper` decodes ahead in 8 KiB chunks and fails on the line it was
    reading, dozens of lines earlier. A byte-order mark is skipped.
    """
    number = 0  # lines yielded so far
    first = True
    for _, raw in _raw_lines(path):
        if first:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
            first = False
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = raw[: exc.start]
            line = number + 1 + len(_LONE_CR.findall(before))
            raise SourceError(
                f"not valid UTF-8 text ({exc.reason} at byte {len(before) + 1} of the line)",
                path=path,
                line=line,
            ) from None
        if "\r" in text and not (text.endswith("\r\n") and text.count("\r") == 1):
            pieces = [piece for piece in _AFTER_LONE_CR.split(text) if piece]
            number += len(pieces)
            yield from pieces
        else:
            number += 1
            yield text


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Like :func:`iter_lines`, with the line endings kept."""
    number = 0
    with open_binary(path) as fh:
        try:
            while True:
                line = fh.readline(MAX_LINE_BYTES + 1)
                if not line:
                    return
                number += 1
                if len(line) > MAX_LINE_BYTES:
                    raise SourceError(
                        f"line longer than {MAX_LINE_BYTES} bytes; refusing to read it",
                        path=path,
                        line=number,
                    )
                yield number, line
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise SourceError(
                f"unreadable or truncated compressed data ({exc})", path=path, line=number + 1
            ) from None
