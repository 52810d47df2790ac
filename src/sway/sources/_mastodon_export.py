"""A Mastodon account archive: ActivityPub ``outbox.json``, ``likes.json`` and ``actor.json``.

The archive (Preferences → Import and export → Request your archive) is a zip, or the folder it
unpacks to. ``outbox.json`` is an ``OrderedCollection`` of ``Create`` (a ``Note``: post or reply)
and ``Announce`` (a boost) activities; Mastodon writes its ``orderedItems`` key twice, first
empty, so the outbox is streamed rather than loaded as a dict. ``likes.json`` lists the URIs of
the liked posts, without times; ``actor.json`` is the owner's ``Person``.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, NamedTuple

import orjson

from sway.errors import SourceError
from sway.events import Action
from sway.sources._archive import check_zip
from sway.sources._html import html_text
from sway.sources._io import open_binary
from sway.sources._jsonstream import iter_top
from sway.sources._mastodon_ids import (
    NETWORK,
    account_from_uri,
    acct_id,
    author_of_status,
    host_of,
    snowflake_time,
)
from sway.sources._social import (
    Seen,
    account_record,
    as_dict,
    as_list,
    as_str,
    emit,
    raw_text,
    ts_or_none,
)
from sway.sources.base import Record, Rejected

__all__ = [
    "EXPORT_FILES",
    "Owner",
    "read_actor",
    "read_export_folder",
    "read_export_zip",
    "read_likes",
    "read_outbox",
]

#: The archive members that carry interactions or the owner, in the order they are read.
EXPORT_FILES = ("actor.json", "outbox.json", "likes.json")
_MAX_ACTOR_BYTES = 16 * 1024 * 1024
_BOT_TYPES = frozenset({"Service", "Application"})


class Owner(NamedTuple):
    """The account whose archive this is."""

    account_id: str
    created_at: datetime | None


Opener = Callable[[], AbstractContextManager[IO[bytes]]]


def read_actor(fh: IO[bytes], path: str | Path) -> tuple[Owner, list[Record]]:
    """The owner and their :class:`Account` from ``actor.json``."""
    data = fh.read(_MAX_ACTOR_BYTES + 1)
    if len(data) > _MAX_ACTOR_BYTES:
        raise SourceError("actor.json larger than 16 MiB; expected one Person", path=path)
    try:
        actor = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON ({exc})", path=path, record=1) from None
    if not isinstance(actor, dict):
        raise SourceError(
            f"expected an ActivityPub actor object, found {type(actor).__name__}", path=path
        )
    uri = actor.get("id")
    account_id = acct_id(actor.get("preferredUsername"), host_of(uri)) or account_from_uri(uri)
    if not account_id:
        raise SourceError(
            f"expected the actor's URI (https://instance/users/name), found {uri!r}",
            path=path,
            record=1,
            field="id",
        )
    created = ts_or_none(actor.get("published"))
    records: list[Record] = list(
        account_record(
            NETWORK,
            account_id,
            handle=_handle(actor.get("preferredUsername"), host_of(uri)),
            display_name=actor.get("name"),
            created_at=actor.get("published"),
            is_bot=actor.get("type") in _BOT_TYPES if isinstance(actor.get("type"), str) else None,
        )
    )
    return Owner(account_id, created), records


def _handle(username: Any, domain: str | None) -> str | None:
    """``username@domain`` keeping the username's case, for display."""
    if not isinstance(username, str) or not username.strip("@ "):
        return None
    name = username.strip().lstrip("@")
    if "@" in name:
        user, _, dom = name.partition("@")
        return f"{user}@{dom.lower()}" if user and dom else None
    return f"{name}@{domain}" if domain else None


def _mention(tag: dict[str, Any]) -> tuple[str, str | None] | None:
    """``(account id, handle)`` of a ``Mention`` tag."""
    href = tag.get("href")
    name = tag.get("name")
    domain = host_of(href)
    account_id = acct_id(name, domain) if isinstance(name, str) else None
    if account_id:
        return account_id, _handle(name, domain)
    derived = account_from_uri(href)
    return (derived, None) if derived else None


def read_outbox(fh: IO[bytes], path: str | Path, *, seen: Seen | None = None) -> Iterator[Record]:
    """Events and accounts of the activities in an ActivityPub outbox collection."""
    seen = seen or Seen()
    saw_collection = False
    for piece in iter_top(fh, path, stream_keys=("orderedItems", "items")):
        if piece.kind == "item":
            raise SourceError(
                "expected an ActivityPub OrderedCollection object, found a JSON array",
                path=path,
            )
        if piece.kind == "member" and piece.key == "type":
            if piece.value not in ("OrderedCollection", "Collection", "OrderedCollectionPage"):
                raise SourceError(
                    f"expected an OrderedCollection, found type {piece.value!r}",
                    path=path,
                    field="type",
                )
            saw_collection = True
        if piece.kind != "element":
            continue
        where = f"{piece.key}[{piece.position}]"
        activity = piece.value
        if not isinstance(activity, dict):
            yield Rejected(
                SourceError(
                    f"expected an activity object, found {type(activity).__name__}",
                    path=path,
                    record=where,
                ),
                raw_text(activity),
            )
            continue
        yield from _activity(activity, path=Path(path), where=where, seen=seen)
    if not saw_collection:
        raise SourceError(
            'expected an ActivityPub collection with "type": "OrderedCollection"',
            path=path,
            field="type",
        )


def _activity(activity: dict[str, Any], *, path: Path, where: str, seen: Seen) -> Iterator[Record]:
    kind = activity.get("type")
    actor = account_from_uri(activity.get("actor"))
    if kind == "Announce":
        obj = activity.get("object")
        boosted = obj if isinstance(obj, str) else as_str(as_dict(obj).get("id"))
        target = author_of_status(boosted) or account_from_uri(as_dict(obj).get("attributedTo"))
        yield from account_record(NETWORK, target, seen=seen, handle=_plain_handle(target))
        yield emit(
            {
                "network": NETWORK,
                "event_id": activity.get("id"),
                "ts": activity.get("published"),
                "actor": actor,
                "action": Action.REPOST.value,
                "target": target,
                "content_id": boosted,
            },
            path=path,
            record=where,
        )
    elif kind == "Create":
        note = activity.get("object")
        if not isinstance(note, dict):
            yield Rejected(
                SourceError(
                    f"expected the created object, found {type(note).__name__}",
                    path=path,
                    record=where,
                    field="object",
                ),
                None,
            )
            return
        author = account_from_uri(note.get("attributedTo")) or actor
        yield from _note(
            note,
            author=author,
            fallback_ts=activity.get("published"),
            path=path,
            where=where,
            seen=seen,
        )
    # Other activity types (Delete, Update, Like of remote software...) carry no new interaction.


def _plain_handle(account_id: str | None) -> str | None:
    return account_id if account_id and "://" not in account_id else None


def _note(
    note: dict[str, Any],
    *,
    author: str | None,
    fallback_ts: Any,
    path: Path,
    where: str,
    seen: Seen,
) -> Iterator[Record]:
    if note.get("type") not in ("Note", "Article", "Question", "Page"):
        return
    uri = note.get("id")
    ts = note.get("published") or fallback_ts
    parent = as_str(note.get("inReplyTo")) or as_str(as_dict(note.get("inReplyTo")).get("id"))
    quoted = next(
        (
            q
            for q in (note.get("quote"), note.get("quoteUri"), note.get("_misskey_quote"))
            if isinstance(q, str) and q
        ),
        None,
    )
    tags: list[str] = []
    mentions: list[tuple[str, str | None]] = []
    for tag in as_list(note.get("tag")):
        tag = as_dict(tag)
        if tag.get("type") == "Hashtag" and isinstance(tag.get("name"), str):
            name = tag["name"].lstrip("#").strip()
            if name:
                tags.append(name)
        elif tag.get("type") == "Mention":
            found = _mention(tag)
            if found:
                mentions.append(found)
    content_map = as_dict(note.get("contentMap"))
    lang = next(iter(content_map)) if len(content_map) == 1 else None
    if parent:
        action, target, parent_id = Action.REPLY, author_of_status(parent), parent
    elif quoted:
        action, target, parent_id = Action.QUOTE, author_of_status(quoted), quoted
    else:
        action, target, parent_id = Action.POST, None, None
    if action == Action.REPLY and target is None:
        # A reply to a post whose URI does not name its author (other server software):
        # Mastodon mentions the replied-to account, so the first mention is the best guess.
        target = mentions[0][0] if mentions else None
    yield emit(
        {
            "network": NETWORK,
            "event_id": uri,
            "ts": ts,
            "actor": author,
            "action": action.value,
            "target": target,
            "content_id": uri,
            "parent_id": parent_id,
            "text": html_text(note.get("content"), keep_breaks=True),
            "tags": tags or None,
            "lang": lang if isinstance(lang, str) else None,
        },
        path=path,
        record=where,
    )
    for account_id, handle in mentions:
        yield from account_record(NETWORK, account_id, seen=seen, handle=handle)
        if action == Action.REPLY and account_id == target:
            continue  # a reply does not also mention the account it replies to
        yield emit(
            {
                "network": NETWORK,
                "event_id": f"mention:{uri}:{account_id}",
                "ts": ts,
                "actor": author,
                "action": Action.MENTION.value,
                "target": account_id,
                "content_id": uri,
            },
            path=path,
            record=where,
        )


def read_likes(fh: IO[bytes], path: str | Path, *, owner: Owner) -> Iterator[Record]:
    """Like events of the owner from ``likes.json`` (a collection of liked-post URIs).

    The archive gives no time for a like. ``ts`` is the earliest instant it can have happened
    (derived): the liked post's creation time when its id is a Mastodon Snowflake, else the
    owner's account creation time; without either the like is undated.
    """
    saw_collection = False
    for piece in iter_top(fh, path, stream_keys=("orderedItems", "items")):
        if piece.kind == "item":
            raise SourceError(
                "expected an ActivityPub OrderedCollection object, found a JSON array",
                path=path,
            )
        if piece.kind == "member" and piece.key == "type":
            saw_collection = piece.value in ("OrderedCollection", "Collection")
        if piece.kind != "element":
            continue
        where = f"{piece.key}[{piece.position}]"
        item = piece.value
        uri = item if isinstance(item, str) else as_str(as_dict(item).get("id"))
        ts = snowflake_time(uri) or owner.created_at
        target = author_of_status(uri)
        yield emit(
            {
                "network": NETWORK,
                "event_id": f"like:{owner.account_id}:{uri}",
                "ts": ts,
                "ts_derived": True,
                "actor": owner.account_id,
                "action": Action.LIKE.value,
                "target": target,
                "content_id": uri,
            },
            path=Path(path),
            record=where,
        )
    if not saw_collection:
        raise SourceError(
            'expected an ActivityPub collection with "type": "OrderedCollection"',
            path=path,
            field="type",
        )


def _read_archive(members: dict[str, tuple[str, Opener]]) -> Iterator[Record]:
    """Read an archive given ``name → (display path, opener)`` for its members."""
    owner: Owner | None = None
    if "actor.json" in members:
        shown, opener = members["actor.json"]
        with opener() as fh:
            owner, accounts = read_actor(fh, shown)
        yield from accounts
    if "outbox.json" in members:
        shown, opener = members["outbox.json"]
        with opener() as fh:
            yield from read_outbox(fh, shown)
    if "likes.json" in members:
        shown, opener = members["likes.json"]
        if owner is None:
            raise SourceError(
                "likes.json needs actor.json beside it to know whose likes these are",
                path=shown,
            )
        with opener() as fh:
            yield from read_likes(fh, shown, owner=owner)


def _file_opener(path: Path) -> Opener:
    return lambda: open_binary(path)


def find_archive_files(folder: Path) -> dict[str, Path]:
    """The archive files present in ``folder`` (optionally compressed)."""
    found: dict[str, Path] = {}
    for name in EXPORT_FILES:
        for suffix in ("", ".gz", ".bz2", ".xz"):
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                found[name] = candidate
                break
    return found


def read_export_folder(folder: Path) -> Iterator[Record]:
    """An unpacked archive: ``actor.json``, ``outbox.json``, ``likes.json`` in ``folder``."""
    files = find_archive_files(folder)
    yield from _read_archive({name: (str(p), _file_opener(p)) for name, p in files.items()})


def archive_members(names: list[str]) -> dict[str, str]:
    """The shallowest zip member for each archive file name."""
    found: dict[str, str] = {}
    for member in sorted(names, key=lambda n: (n.count("/"), n)):
        base = PurePosixPath(member).name
        if base in EXPORT_FILES and base not in found and not member.endswith("/"):
            found[base] = member
    return found


def read_export_zip(path: Path) -> Iterator[Record]:
    """The archive as Mastodon delivers it: a zip with the JSON files at its root."""
    try:
        with zipfile.ZipFile(path) as archive:
            check_zip(archive, path)
            members = archive_members(archive.namelist())
            if "outbox.json" not in members and "likes.json" not in members:
                raise SourceError(
                    "no outbox.json or likes.json in the zip; expected a Mastodon archive",
                    path=path,
                )

            def opener(member: str) -> Opener:
                return lambda: archive.open(member)

            yield from _read_archive(
                {name: (f"{path}!{member}", opener(member)) for name, member in members.items()}
            )
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise SourceError(f"unreadable or truncated zip archive ({exc})", path=path) from None
    except OSError as exc:
        raise SourceError(f"cannot read the zip archive ({exc})", path=path) from None
