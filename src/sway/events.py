"""The canonical event model: one row per interaction, whatever network it came from.

The columns, in the canonical CSV header order, are those of ``CANONICAL_COLUMNS``; three
optional columns follow them (``tags``, ``lang``, ``value``) for what some sources carry and the
scorer or topics can use. Accounts are their own record (:class:`Account`).

How importers fill the columns (so that the same interaction read from two formats, an
archive and an API dump, gets the same ``event_id`` and is stored once):

- ``actor`` and ``target`` are the network's stable account ids where the source has them
  (numeric user ids on X/Twitter, DIDs on Bluesky), else handles; handles and names go into
  :class:`Account` records.
- A created item (``post``, ``reply``, ``comment``, ``quote``, ``repost``) has
  ``event_id`` = the network's id of the created item. ``content_id`` is that item too, except
  for ``repost`` where it is the post reposted. ``parent_id`` is the post replied to, commented
  on or quoted. A reply is one ``reply`` event (it also counts as its author's post); no
  separate ``post`` event is emitted for it.
- ``target`` is the account acted upon: the author of the post replied to, commented on,
  quoted, reposted, liked or voted on; the mentioned or followed account.
- Derived events have composite ids: ``like:{actor}:{content_id}``,
  ``mention:{content_id}:{target}``, ``follow:{actor}:{target}``, and
  ``repost:{actor}:{content_id}`` where a source lists who reposted without the repost's own
  id; votes use the source's vote id when it has one. A reply does not also mention the
  account it replies to.
- ``ts`` is never invented (never a file's modification time, never "now"). Where a source
  does not say when a like, repost or follow happened, ``ts`` is derived from the data: the
  earliest moment it could have happened (the liked post's creation, the later of the two
  accounts' creation) or when the data was observed (a time the input or the user states),
  and ``ts_derived`` is true. Where nothing in the data bounds it, the importer yields an
  :class:`~sway.sources.base.Undated` record instead of an event: counted, not stored, so it
  can never enter a time window. Each format's page in ``docs/formats.md`` says which.
- Self-reactions are emitted as they are; the scorer ignores them.

Everything here is pure: no I/O, no store. Importers build :class:`Event` and :class:`Account`
values; :func:`make_event` validates loose input (strings from a CSV, dicts from JSON) into them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

import pyarrow as pa

from sway.errors import SourceError

__all__ = [
    "ACCOUNT_COLUMNS",
    "ACCOUNT_SCHEMA",
    "ACTIONS",
    "CANONICAL_COLUMNS",
    "EVENT_COLUMNS",
    "EVENT_SCHEMA",
    "OPTIONAL_COLUMNS",
    "REACTIONS",
    "Account",
    "Action",
    "Event",
    "accounts_to_arrow",
    "events_to_arrow",
    "make_event",
    "parse_ts",
]


class Action(StrEnum):
    """What an actor did."""

    POST = "post"
    REPLY = "reply"
    COMMENT = "comment"
    REPOST = "repost"
    QUOTE = "quote"
    MENTION = "mention"
    LIKE = "like"
    VOTE = "vote"
    FOLLOW = "follow"
    ENDORSE = "endorse"


ACTIONS: frozenset[str] = frozenset(a.value for a in Action)
#: Actions that are a reaction to someone else (everything but creating a post).
REACTIONS: frozenset[str] = ACTIONS - {Action.POST.value}

#: The canonical CSV header, in order (DESIGN.md).
CANONICAL_COLUMNS: tuple[str, ...] = (
    "network",
    "event_id",
    "ts",
    "actor",
    "action",
    "target",
    "content_id",
    "parent_id",
    "text",
)
#: Optional columns after the canonical ones: ``tags`` (``|``-separated in CSV, a list in JSON
#: and Parquet), ``lang`` (BCP 47 language of ``text``), ``value`` (a number the action carries:
#: a rating for signed trust edges, a count when a source only gives an aggregate of votes).
OPTIONAL_COLUMNS: tuple[str, ...] = ("tags", "lang", "value")
EVENT_COLUMNS: tuple[str, ...] = CANONICAL_COLUMNS + OPTIONAL_COLUMNS

EVENT_SCHEMA = pa.schema(
    [
        pa.field("network", pa.string(), nullable=False),
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("actor", pa.string()),
        pa.field("action", pa.string(), nullable=False),
        pa.field("target", pa.string()),
        pa.field("content_id", pa.string()),
        pa.field("parent_id", pa.string()),
        pa.field("text", pa.string()),
        pa.field("tags", pa.list_(pa.string())),
        pa.field("lang", pa.string()),
        pa.field("value", pa.float64()),
    ]
)


class Event(NamedTuple):
    """One interaction. Build it with :func:`make_event` from untrusted input."""

    network: str
    event_id: str
    ts: datetime
    actor: str | None
    action: str
    target: str | None = None
    content_id: str | None = None
    parent_id: str | None = None
    text: str | None = None
    tags: tuple[str, ...] | None = None
    lang: str | None = None
    value: float | None = None
    #: ``ts`` is not the event's own time but derived from the data (see the module docstring).
    #: Stored beside the event; not a canonical column.
    ts_derived: bool = False


ACCOUNT_COLUMNS: tuple[str, ...] = (
    "network",
    "account_id",
    "handle",
    "display_name",
    "created_at",
    "followers",
    "following",
    "birth_date",
    "is_minor",
    "is_bot",
    "reputation",
)

ACCOUNT_SCHEMA = pa.schema(
    [
        pa.field("network", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("handle", pa.string()),
        pa.field("display_name", pa.string()),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
        pa.field("followers", pa.int64()),
        pa.field("following", pa.int64()),
        pa.field("birth_date", pa.date32()),
        pa.field("is_minor", pa.bool_()),
        pa.field("is_bot", pa.bool_()),
        pa.field("reputation", pa.int64()),
    ]
)


class Account(NamedTuple):
    """What a source says about an account. ``None`` means "not known", never "zero"."""

    network: str
    account_id: str
    handle: str | None = None
    display_name: str | None = None
    created_at: datetime | None = None
    followers: int | None = None
    following: int | None = None
    birth_date: date | None = None
    is_minor: bool | None = None
    is_bot: bool | None = None
    reputation: int | None = None


_NETWORK_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


_ISO_HINT = "expected e.g. 2024-05-01T12:00:00Z"


def parse_ts(value: Any, *, field: str = "ts") -> datetime:
    """Parse an ISO 8601 instant (or a datetime, or Unix seconds) into an aware UTC datetime.

    Naive values are taken as UTC. Raises ``ValueError`` with what was expected.
    """
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 instant ({_ISO_HINT})") from None
    elif isinstance(value, datetime):
        dt = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            dt = datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{value!r} is not a Unix time in range") from None
    else:
        raise ValueError(f"{value!r} is not an ISO 8601 instant ({_ISO_HINT})")
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    if dt.utcoffset() == _ZERO:
        return dt if dt.tzinfo is UTC else dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


_ZERO = timedelta(0)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected a string, found {type(value).__name__} {value!r}")


def _tags(value: Any) -> tuple[str, ...] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        items = [t.strip() for t in value.split("|")]
    elif isinstance(value, list | tuple):
        if not all(isinstance(t, str) for t in value):
            raise ValueError(f"expected a list of strings, found {value!r}")
        items = [t.strip() for t in value]
    else:
        raise ValueError(f"expected a list of strings or 'a|b|c', found {value!r}")
    kept = tuple(t for t in items if t)
    return kept or None


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a number, found {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, found {value!r}") from None


def _flag(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise ValueError(f"expected true or false, found {value!r}")


class _FieldError(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message


#: Networks already validated: the regular expression runs once per name, not once per row.
_VALID_NETWORKS: set[str] = set()


def _field(row: dict[str, Any], field: str, convert: Any) -> Any:
    try:
        return convert(row.get(field))
    except ValueError as exc:
        raise _FieldError(field, str(exc)) from None


def _build_event(row: dict[str, Any]) -> Event:
    network = row.get("network")
    if network not in _VALID_NETWORKS:
        if not isinstance(network, str) or not _NETWORK_RE.match(network):
            raise _FieldError(
                "network",
                f"expected a lower-case network name such as 'twitter', found {network!r}",
            )
        _VALID_NETWORKS.add(network)
    event_id = _field(row, "event_id", _text)
    if not event_id:
        raise _FieldError("event_id", "expected a non-empty id, found nothing")
    ts = _field(row, "ts", parse_ts)
    action = row.get("action")
    if action not in ACTIONS:
        raise _FieldError(
            "action", f"expected one of {', '.join(sorted(ACTIONS))}, found {action!r}"
        )
    actor = _field(row, "actor", _text)
    target = _field(row, "target", _text)
    content_id = _field(row, "content_id", _text)
    if action == "post":
        # Reactions may be anonymous (a vote whose voter is unknown); a post always has an author.
        if actor is None:
            raise _FieldError("actor", "expected the author of the post, found nothing")
    elif target is None and content_id is None:
        raise _FieldError(
            "target", f"expected the account (or post) a {action!r} acts upon, found nothing"
        )
    return Event(
        network,
        event_id,
        ts,
        actor,
        action,
        target,
        content_id,
        _field(row, "parent_id", _text),
        _field(row, "text", _text),
        _field(row, "tags", _tags),
        _field(row, "lang", _text),
        _field(row, "value", _number),
        _field(row, "ts_derived", _flag),
    )


def make_event(
    row: dict[str, Any],
    *,
    path: str | None = None,
    line: int | None = None,
    record: int | str | None = None,
) -> Event:
    """Validate one loose row (CSV strings, JSON values) into an :class:`Event`.

    Raises :class:`SourceError` naming the path, line or record and the field at fault.
    """
    try:
        return _build_event(row)
    except _FieldError as exc:
        raise SourceError(
            exc.message, path=path, line=line, record=record, field=exc.field
        ) from None


def events_to_arrow(events: list[Event]) -> pa.Table:
    """Columnar form of a batch of events, in ``EVENT_SCHEMA`` (without ``ts_derived``)."""
    columns = list(zip(*events, strict=True)) if events else [() for _ in EVENT_COLUMNS]
    return pa.Table.from_arrays(
        [
            pa.array(col, type=f.type)
            for col, f in zip(columns[: len(EVENT_SCHEMA)], EVENT_SCHEMA, strict=True)
        ],
        schema=EVENT_SCHEMA,
    )


def accounts_to_arrow(accounts: list[Account]) -> pa.Table:
    """Columnar form of a batch of accounts, in ``ACCOUNT_SCHEMA``."""
    columns = list(zip(*accounts, strict=True)) if accounts else [() for _ in ACCOUNT_COLUMNS]
    return pa.Table.from_arrays(
        [pa.array(col, type=f.type) for col, f in zip(columns, ACCOUNT_SCHEMA, strict=True)],
        schema=ACCOUNT_SCHEMA,
    )
