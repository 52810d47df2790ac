"""Streaming one JSON document piece by piece, so that a large export never sits in memory.

API dumps and account exports are single JSON documents whose bulk is one array: the top level
itself (``[status, status, ...]``) or one member of the top-level object (``orderedItems`` of an
ActivityPub collection, ``feed`` of a Bluesky feed page). :func:`iter_top` yields the elements of
such arrays one at a time, and every other top-level member whole. Duplicate keys are yielded as
often as they occur (Mastodon writes ``orderedItems`` twice), which a dict-building parser would
silently collapse.

Parsing is done by ``ijson`` (the yajl2 C backend where available); its errors become
:class:`~sway.errors.SourceError`.
"""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

import ijson

from sway.errors import SourceError

__all__ = ["MAX_DEPTH", "Piece", "iter_top", "json_error"]

#: Values nested deeper than this are refused: no export nests more than a few dozen levels,
#: and code walking a value recursively must not meet thousands.
MAX_DEPTH = 200


class Piece(NamedTuple):
    """One top-level piece of a JSON document.

    ``kind`` is ``"item"`` (an element of a top-level array; ``key`` is ``None``), ``"element"``
    (an element of the streamed array member ``key``), or ``"member"`` (any other top-level member
    ``key`` with its whole value; a document that is a bare scalar is one member with key
    ``None``). ``position`` is the 1-based position of the item or element in its array, or of the
    member in the object.
    """

    kind: str
    key: str | None
    value: Any
    position: int


_STARTS = {"start_map": "end_map", "start_array": "end_array"}
_Event = tuple[str, str, Any]


class _Truncated(Exception):
    """The event stream ended inside a value (ijson normally reports this itself)."""


class _TooDeep(Exception):
    """A value nests deeper than :data:`MAX_DEPTH`."""


def _next(events: Iterator[_Event]) -> _Event:
    # A bare next() would turn a premature end into RuntimeError inside a generator.
    event = next(events, None)
    if event is None:
        raise _Truncated
    return event


def json_error(exc: BaseException) -> str:
    """ijson's multi-line, sometimes ``bytes`` message as one readable line."""
    text = exc.args[0] if exc.args else exc
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    first = str(text).strip().splitlines()
    return first[0] if first else type(exc).__name__


def _build(event: str, value: Any, events: Iterator[_Event]) -> Any:
    """The complete value that starts with ``event``, consuming its events."""
    if event not in _STARTS:
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    while depth:
        _, event, value = _next(events)
        if event in _STARTS:
            depth += 1
            if depth > MAX_DEPTH:
                raise _TooDeep
        elif event in ("end_map", "end_array"):
            depth -= 1
        builder.event(event, value)
    return builder.value


def _elements(events: Iterator[_Event]) -> Iterator[Any]:
    """The elements of the array whose ``start_array`` was just consumed."""
    while True:
        _, event, value = _next(events)
        if event == "end_array":
            return
        yield _build(event, value, events)


def iter_top(
    fh: IO[bytes], path: str | Path, *, stream_keys: Collection[str] = ()
) -> Iterator[Piece]:
    """Yield the top-level pieces of the JSON document in ``fh``.

    Arrays that are the document itself, or the value of a top-level key in ``stream_keys``, are
    streamed element by element; everything else is built whole. Malformed JSON raises
    :class:`SourceError` naming ``path`` and the piece being read.
    """
    where: str | int = 1
    events: Iterator[_Event] = iter(ijson.parse(fh, use_float=True))
    try:
        first = next(events, None)
        if first is None:
            raise SourceError("empty file; expected a JSON document", path=path)
        _, event, value = first
        if event == "start_array":
            for n, item in enumerate(_elements(events), 1):
                where = n + 1
                yield Piece("item", None, item, n)
        elif event == "start_map":
            members = 0
            while True:
                _, event, key = _next(events)
                if event == "end_map":
                    break
                members += 1
                where = f"{key}" if isinstance(key, str) else members
                _, event, value = _next(events)
                if event == "start_array" and key in stream_keys:
                    for n, item in enumerate(_elements(events), 1):
                        where = f"{key}[{n + 1}]"
                        yield Piece("element", key, item, n)
                else:
                    yield Piece("member", key, _build(event, value, events), members)
        else:
            yield Piece("member", None, value, 1)
        # Anything after the document (a second document, garbage) is an error too.
        for _ in events:
            pass
    except _TooDeep:
        raise SourceError(
            f"JSON nested deeper than {MAX_DEPTH} levels; refusing it", path=path, record=where
        ) from None
    except _Truncated:
        raise SourceError("JSON ends early (truncated file?)", path=path, record=where) from None
    except ijson.JSONError as exc:
        raise SourceError(f"not valid JSON ({json_error(exc)})", path=path, record=where) from None
    except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as exc:
        # Decompression faults of .gz/.bz2/.xz input surface here.
        raise SourceError(
            f"unreadable or truncated data ({exc})", path=path, record=where
        ) from None
