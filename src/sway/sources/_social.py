"""Small helpers shared by the social-network API importers (Mastodon, Bluesky).

Inputs are untrusted JSON: every accessor here returns ``None`` (or an empty container) for a
value of the wrong type instead of raising, so that one odd record becomes a ``Rejected`` or a
missing field, never a crash.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from sway.errors import SourceError
from sway.events import Account, make_event
from sway.sources.base import Record, Rejected, Undated

__all__ = [
    "NOT_DATA",
    "Seen",
    "account_record",
    "as_dict",
    "as_int",
    "as_list",
    "as_str",
    "data_files",
    "emit",
    "is_cassette",
    "raw_text",
    "read_index_tsv",
    "ts_or_none",
]


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    """``value`` if it is a non-empty string, else ``None``."""
    return value if isinstance(value, str) and value else None


def as_int(value: Any) -> int | None:
    """A count: an int (or an integral float or digit string), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def ts_or_none(value: Any) -> datetime | None:
    """An ISO 8601 instant as an aware UTC datetime, or ``None`` if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


class Seen:
    """A bounded set: remembers recent keys so an account is not emitted once per post.

    Forgetting is harmless (an account emitted twice is merged by the store); the bound keeps
    memory constant on any input size.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._keys: dict[Hashable, None] = {}
        self._limit = limit

    def add(self, key: Hashable) -> bool:
        """Remember ``key``; ``True`` if it was not already remembered."""
        if key in self._keys:
            return False
        if len(self._keys) >= self._limit:
            self._keys.clear()
        self._keys[key] = None
        return True


#: Stands in for the missing time while an undated row's other fields are checked.
_NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)


def emit(row: dict[str, Any], *, path: Path, record: int | str) -> Record:
    """The event for ``row``, or a ``Rejected`` saying which field is wrong.

    A row whose time is to be derived (``ts_derived``) but that nothing in the data bounds
    (``ts`` is ``None``) is :class:`Undated`, once its other fields are checked: a time is
    never invented.
    """
    undated = row.get("ts") is None and row.get("ts_derived") is True
    try:
        event = make_event(
            row | {"ts": _NO_TIME} if undated else row, path=str(path), record=record
        )
    except SourceError as exc:
        return Rejected(exc, _raw(row))
    if undated:
        return Undated(event.network, event.event_id, event.action)
    return event


def _raw(row: dict[str, Any]) -> str:
    return raw_text({k: v for k, v in row.items() if v is not None})


def raw_text(value: Any, limit: int = 2000) -> str:
    """A bounded JSON rendering of a rejected record, for the rejects file.

    ``repr`` would recurse without bound on deeply nested input; orjson refuses such input.
    """
    try:
        text = orjson.dumps(value, default=str).decode()
    except (TypeError, ValueError):
        text = f"<{type(value).__name__}>"
    return text[:limit]


def account_record(
    network: str,
    account_id: str | None,
    *,
    seen: Seen | None = None,
    handle: str | None = None,
    display_name: Any = None,
    created_at: Any = None,
    followers: Any = None,
    following: Any = None,
    is_bot: Any = None,
) -> Iterator[Account]:
    """Zero or one :class:`Account` from loose values (skipped if already ``seen`` as is)."""
    if not account_id:
        return
    account = Account(
        network=network,
        account_id=account_id,
        handle=handle,
        display_name=as_str(display_name),
        created_at=ts_or_none(created_at),
        followers=as_int(followers),
        following=as_int(following),
        is_bot=is_bot if isinstance(is_bot, bool) else None,
    )
    if seen is None or seen.add(account):
        yield account


def read_index_tsv(folder: Path) -> dict[str, tuple[str, str]]:
    """``file → (method, url)`` from an ``index.tsv`` beside API response bodies, if any.

    The index is written by tools that save one response per file (``file<TAB>method<TAB>url``);
    the URL says what a bare list of accounts means (likers of a post, followers of an account).
    """
    index = folder / "index.tsv"
    found: dict[str, tuple[str, str]] = {}
    try:
        if not index.is_file() or index.stat().st_size > 16 * 1024 * 1024:
            return found
        with index.open("rb") as fh:
            for raw in fh:
                parts = raw.decode("utf-8", "replace").rstrip("\r\n").split("\t")
                if len(parts) >= 3:
                    found[parts[0]] = (parts[1].upper(), parts[2])
    except OSError:
        return {}
    return found


#: Files in a folder that are documentation, never data (as ``sway ingest`` skips them, plus
#: ``NOTE`` files and Markdown, which no social network exports its data as).
NOT_DATA = ("readme", "license", "licence", "copying", "notice", "note", "sha256sums", ".")


def data_files(folder: Path, *, limit: int | None = None) -> Iterator[Path]:
    """Files under ``folder`` in sorted order, documentation and hidden files skipped.

    ``limit`` stops after that many files, so that sniffing a huge folder stays cheap.
    """
    count = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.lower().startswith(NOT_DATA) or name.lower().endswith(".md"):
                continue
            yield Path(root) / name
            count += 1
            if limit is not None and count >= limit:
                return


def is_cassette(path: Path, head: bytes) -> bool:
    """A vcrpy / R vcr / Betamax recording (YAML or JSON) of HTTP interactions."""
    if path.suffix.lower() in (".yaml", ".yml"):
        return b"interactions:" in head
    return b'"http_interactions"' in head or (b'"interactions"' in head and b'"request"' in head)
