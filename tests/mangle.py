"""Hypothesis strategies that damage real fixtures, for the importers' property tests.

Every importer must meet damaged input with a clean :class:`~sway.errors.SourceError`
(raised, or carried by a ``Rejected`` record), never another exception.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from sway.errors import SourceError
from sway.sources.base import Rejected, Source


@st.composite
def mangled_bytes(draw: st.DrawFn, original: bytes) -> bytes:
    """Truncate, flip bytes, delete or duplicate a slice, or splice in junk."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        kind = draw(st.sampled_from(["truncate", "flip", "delete", "duplicate", "junk"]))
        i = draw(st.integers(0, len(data) - 1))
        if kind == "truncate":
            del data[i:]
        elif kind == "flip":
            for j in range(i, min(len(data), i + draw(st.integers(1, 8)))):
                data[j] ^= draw(st.integers(1, 255))
        elif kind == "delete":
            del data[i : i + draw(st.integers(1, 64))]
        elif kind == "duplicate":
            data[i:i] = data[i : i + draw(st.integers(1, 64))]
        else:
            data[i:i] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


_WRONG = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.booleans(),
    st.builds(list),
    st.builds(dict),
    st.lists(st.integers(), max_size=2),
)


def _paths(obj: Any, prefix: tuple[Any, ...] = (), limit: int = 2000) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    stack = [(prefix, obj)]
    while stack and len(out) < limit:
        path, node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                out.append((*path, k))
                stack.append(((*path, k), v))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                out.append((*path, i))
                stack.append(((*path, i), v))
    return out


@st.composite
def mangled_json(draw: st.DrawFn, original: Any) -> Any:
    """Drop a key, or give a value the wrong type, somewhere inside a JSON document."""
    import copy

    doc = copy.deepcopy(original)
    paths = _paths(doc)
    for _ in range(draw(st.integers(1, 3))):
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(_WRONG)
        except (KeyError, IndexError, TypeError):
            continue
    return doc


def read_all_cleanly(source: Source, path: Path) -> list[Any]:
    """Read every record; only SourceError may escape. Returns the records read."""
    records: list[Any] = []
    try:
        for record in source.read(path):
            if isinstance(record, Rejected):
                assert isinstance(record.error, SourceError)
                assert str(record.error)
            records.append(record)
    except SourceError as exc:
        assert str(exc)
    return records
