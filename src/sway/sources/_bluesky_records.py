"""Bluesky (AT Protocol) records → canonical events, whatever carried them.

A repository export, a firehose commit, ``com.atproto.repo.listRecords`` and the app view's post
views all hold the same records (``app.bsky.feed.post``, ``.like``, ``.repost``,
``app.bsky.graph.follow``, the legacy ``app.bsky.feed.vote``...). Names:

- accounts are DIDs (``did:plc:...``); a handle is only a display name for a DID;
- a created post or repost is its record's AT URI ``at://<did>/<collection>/<rkey>``;
- likes (and legacy up-votes, which were likes) are ``like:<did>:<post uri>``, follows
  ``follow:<did>:<did>``, mentions ``mention:<post uri>:<did>``;
- ``ts`` is the record's ``createdAt``, or the time in its rkey (a TID) when that is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sway.errors import SourceError
from sway.events import Action
from sway.sources._social import Seen, account_record, as_dict, as_list, as_str, emit, raw_text
from sway.sources.base import Record, Rejected

__all__ = [
    "NETWORK",
    "did_of",
    "parse_at_uri",
    "post_events",
    "profile_account",
    "record_events",
    "tid_time",
]

NETWORK = "bluesky"

_AT_URI = re.compile(r"^at://([^/?#]+)(?:/([^/?#]+)(?:/([^/?#]+))?)?$")
_DID = re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]+$")
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_QUOTE_EMBEDS = ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia")
_POST = "app.bsky.feed.post"


def is_did(value: Any) -> bool:
    """Whether ``value`` is a syntactically valid DID."""
    return isinstance(value, str) and len(value) <= 2048 and bool(_DID.match(value))


def parse_at_uri(uri: Any) -> tuple[str, str | None, str | None] | None:
    """``(authority, collection, rkey)`` of an AT URI, or ``None``."""
    if not isinstance(uri, str):
        return None
    match = _AT_URI.match(uri)
    return (match.group(1), match.group(2), match.group(3)) if match else None


def did_of(uri: Any) -> str | None:
    """The DID an AT URI belongs to (``None`` if its authority is a handle, not a DID)."""
    parts = parse_at_uri(uri)
    return parts[0] if parts and is_did(parts[0]) else None


def tid_time(rkey: Any) -> datetime | None:
    """When a record key that is a TID was made (microseconds since the epoch, in base32)."""
    if not isinstance(rkey, str) or not _TID.match(rkey):
        return None
    value = 0
    for char in rkey:
        value = value * 32 + _TID_ALPHABET.index(char)
    try:
        when = datetime.fromtimestamp((value >> 10) / 1_000_000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return when if when.year >= 2022 else None


def _ts(record: dict[str, Any], rkey: str | None) -> Any:
    created = record.get("createdAt")
    return created if isinstance(created, str) and created else tid_time(rkey)


def profile_account(
    did: str | None,
    profile: dict[str, Any],
    *,
    seen: Seen | None,
    handle: Any = None,
) -> Iterator[Record]:
    """The :class:`Account` of a profile record or an app view profile."""
    if not is_did(did):
        return
    yield from account_record(
        NETWORK,
        did,
        seen=seen,
        handle=as_str(handle if handle is not None else profile.get("handle")),
        display_name=profile.get("displayName"),
        created_at=profile.get("createdAt"),
        followers=profile.get("followersCount"),
        following=profile.get("followsCount"),
    )


def _subject_uri(record: dict[str, Any]) -> str | None:
    subject = record.get("subject")
    return as_str(subject) if isinstance(subject, str) else as_str(as_dict(subject).get("uri"))


def _quoted_uri(embed: Any) -> str | None:
    """The post a post quotes, from an ``embed.record`` (or ``recordWithMedia``)."""
    embed = as_dict(embed)
    kind = embed.get("$type")
    if kind == "app.bsky.embed.recordWithMedia" or (
        kind is None and isinstance(as_dict(embed.get("record")).get("record"), dict)
    ):
        embed = as_dict(embed.get("record"))
        kind = embed.get("$type", "app.bsky.embed.record")
    if kind not in _QUOTE_EMBEDS and kind is not None:
        return None
    uri = as_str(as_dict(embed.get("record")).get("uri"))
    parts = parse_at_uri(uri)
    # Only quotes of posts: an embedded feed generator, list or starter pack is not a quote.
    return uri if parts and parts[1] == _POST else None


def _mentions(record: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    """``(did, handle)`` of each mentioned account; the handle is the facet's text, if any.

    Facet offsets count UTF-8 bytes, not characters, so the text is sliced as bytes.
    """
    text = record.get("text")
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else b""
    for facet in as_list(record.get("facets")):
        facet = as_dict(facet)
        index = as_dict(facet.get("index"))
        start, end = index.get("byteStart"), index.get("byteEnd")
        for feature in as_list(facet.get("features")):
            feature = as_dict(feature)
            if feature.get("$type") != "app.bsky.richtext.facet#mention":
                continue
            did = feature.get("did")
            if not is_did(did):
                continue
            handle = None
            if (
                isinstance(start, int)
                and isinstance(end, int)
                and not isinstance(start, bool)
                and not isinstance(end, bool)
                and 0 <= start < end <= len(data)
            ):
                shown = data[start:end].decode("utf-8", "replace").strip()
                handle = shown[1:] if shown.startswith("@") and len(shown) > 1 else None
            yield str(did), handle
    # Records from 2022-23 carry ``entities`` instead of facets.
    for entity in as_list(record.get("entities")):
        entity = as_dict(entity)
        if entity.get("type") == "mention" and is_did(entity.get("value")):
            yield str(entity["value"]), None


def _tags(record: dict[str, Any]) -> list[str]:
    tags = [t for t in as_list(record.get("tags")) if isinstance(t, str) and t]
    for facet in as_list(record.get("facets")):
        for feature in as_list(as_dict(facet).get("features")):
            feature = as_dict(feature)
            if feature.get("$type") == "app.bsky.richtext.facet#tag" and as_str(feature.get("tag")):
                tags.append(feature["tag"])
    return list(dict.fromkeys(tags))


def post_events(
    uri: str,
    did: str,
    rkey: str | None,
    record: dict[str, Any],
    *,
    seen: Seen,
    path: Path,
    where: str,
) -> Iterator[Record]:
    """The post, reply or quote event of a post record, and its mention events."""
    ts = _ts(record, rkey)
    parent = as_str(as_dict(as_dict(record.get("reply")).get("parent")).get("uri"))
    quoted = _quoted_uri(record.get("embed"))
    if parent:
        action, parent_id = Action.REPLY, parent
    elif quoted:
        action, parent_id = Action.QUOTE, quoted
    else:
        action, parent_id = Action.POST, None
    target = did_of(parent_id) if parent_id else None
    langs = [lang for lang in as_list(record.get("langs")) if isinstance(lang, str) and lang]
    tags = _tags(record)
    yield emit(
        {
            "network": NETWORK,
            "event_id": uri,
            "ts": ts,
            "actor": did,
            "action": action.value,
            "target": target,
            "content_id": uri,
            "parent_id": parent_id,
            "text": as_str(record.get("text")),
            "tags": tags or None,
            "lang": langs[0] if langs else None,
        },
        path=path,
        record=where,
    )
    done: set[str] = set()
    for mentioned, handle in _mentions(record):
        if handle:
            yield from profile_account(mentioned, {}, seen=seen, handle=handle)
        if mentioned in done or (action == Action.REPLY and mentioned == target):
            continue  # once per post; a reply does not also mention the account it replies to
        done.add(mentioned)
        yield emit(
            {
                "network": NETWORK,
                "event_id": f"mention:{uri}:{mentioned}",
                "ts": ts,
                "actor": did,
                "action": Action.MENTION.value,
                "target": mentioned,
                "content_id": uri,
            },
            path=path,
            record=where,
        )


def record_events(
    did: str,
    collection: str,
    rkey: str | None,
    record: Any,
    *,
    seen: Seen,
    path: Path,
    where: str,
) -> Iterator[Record]:
    """Events (and accounts) of one repository record; records of other kinds give none."""
    if not isinstance(record, dict):
        yield Rejected(
            SourceError(
                f"expected a record object, found {type(record).__name__}",
                path=path,
                record=where,
            ),
            raw_text(record),
        )
        return
    uri = f"at://{did}/{collection}/{rkey}" if rkey else None
    kind = collection
    if kind == _POST:
        if uri is None:
            return
        yield from post_events(uri, did, rkey, record, seen=seen, path=path, where=where)
    elif kind in ("app.bsky.feed.like", "app.bsky.feed.vote"):
        subject = _subject_uri(record)
        if kind == "app.bsky.feed.vote" and record.get("direction") != "up":
            # The legacy vote schema had down-votes too; no client ever sent them, but keep one
            # as a vote with value -1 rather than count it as a like.
            row = {
                "event_id": uri,
                "action": Action.VOTE.value,
                "value": -1.0 if record.get("direction") == "down" else None,
            }
        else:
            row = {"event_id": f"like:{did}:{subject}", "action": Action.LIKE.value}
        yield emit(
            {
                "network": NETWORK,
                "ts": _ts(record, rkey),
                "actor": did,
                "target": did_of(subject),
                "content_id": subject,
            }
            | row,
            path=path,
            record=where,
        )
    elif kind == "app.bsky.feed.repost":
        subject = _subject_uri(record)
        yield emit(
            {
                "network": NETWORK,
                "event_id": uri,
                "ts": _ts(record, rkey),
                "actor": did,
                "action": Action.REPOST.value,
                "target": did_of(subject),
                "content_id": subject,
            },
            path=path,
            record=where,
        )
    elif kind == "app.bsky.graph.follow":
        subject = record.get("subject")
        # Current records give the DID; 2022-23 records gave ``{"did", "declarationCid"}``.
        followed = subject if isinstance(subject, str) else as_dict(subject).get("did")
        yield emit(
            {
                "network": NETWORK,
                "event_id": f"follow:{did}:{followed}" if is_did(followed) else None,
                "ts": _ts(record, rkey),
                "actor": did,
                "action": Action.FOLLOW.value,
                "target": followed if is_did(followed) else None,
            },
            path=path,
            record=where,
        )
    elif kind == "app.bsky.actor.profile":
        yield from profile_account(did, record, seen=seen)
