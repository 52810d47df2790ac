"""Bluesky app view (XRPC) JSON responses: feeds, likes, reposts, follows, notifications.

Every response names what it lists (``feed``, ``posts``, ``likes``, ``repostedBy``,
``followers``, ``follows``, ``notifications``, ``records``, ``actors``, ``profiles``,
``thread``), so the shape alone says what each element means. Lists are streamed; a list that
needs its context (the ``uri`` of the liked post, the ``subject`` of a follower list) is held
back only if the context comes after it in the file (keys sorted alphabetically put ``likes``
before ``uri``).

Post views carry their raw record, so a post read from the app view gets the same events as
the same post read from a repository export. Views also carry the viewer's own state
(``viewer.like``, ``viewer.repost``, ``viewer.following``, ``viewer.followedBy``): those are
AT URIs of real records, and become the viewer's likes, reposts and follows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sway.errors import SourceError
from sway.events import Action
from sway.sources._bluesky_records import (
    NETWORK,
    did_of,
    is_did,
    parse_at_uri,
    profile_account,
    record_events,
    tid_time,
)
from sway.sources._jsonstream import iter_top
from sway.sources._social import Seen, as_dict, as_list, as_str, emit, raw_text, ts_or_none
from sway.sources.base import Record, Rejected

__all__ = ["LIST_KEYS", "read_xrpc_json"]

#: Response members that are lists of views, streamed element by element.
LIST_KEYS = (
    "feed",
    "posts",
    "likes",
    "repostedBy",
    "followers",
    "follows",
    "notifications",
    "records",
    "actors",
    "profiles",
)
#: What a list needs to know from elsewhere in the response.
_NEEDS = {"likes": "uri", "repostedBy": "uri", "followers": "subject", "follows": "subject"}
_MAX_THREAD_DEPTH = 500


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen = Seen()

    # Views -------------------------------------------------------------------------------

    def profile(self, view: Any, where: str) -> Iterator[Record]:
        """An account view: its Account, and the viewer's follows of and by it."""
        view = as_dict(view)
        did = view.get("did")
        if not is_did(did):
            return
        yield from profile_account(did, view, seen=self.seen)
        viewer = as_dict(view.get("viewer"))
        # ``following`` is the viewer's follow record of this account (at://<viewer>/...);
        # ``followedBy`` is this account's follow record of the viewer, whose DID it does not
        # name: it is known only when ``following`` names it too.
        mine = parse_at_uri(viewer.get("following"))
        theirs = parse_at_uri(viewer.get("followedBy"))
        me = mine[0] if mine and is_did(mine[0]) else None
        edges = []
        if mine and me:
            edges.append((me, did, mine[2]))
        if theirs and me and theirs[0] == did:
            edges.append((did, me, theirs[2]))
        for follower, followed, rkey in edges:
            yield emit(
                {
                    "network": NETWORK,
                    "event_id": f"follow:{follower}:{followed}",
                    "ts": tid_time(rkey),
                    "actor": follower,
                    "action": Action.FOLLOW.value,
                    "target": followed,
                },
                path=self.path,
                record=where,
            )

    def post(self, view: Any, where: str) -> Iterator[Record]:
        """A post view: the author, the post's events, and the viewer's like and repost."""
        view = as_dict(view)
        if view.get("notFound") is True or view.get("blocked") is True:
            return  # a deleted or blocked post in a thread or reply context: nothing to read
        uri = as_str(view.get("uri"))
        author = as_dict(view.get("author"))
        parts = parse_at_uri(uri)
        did = author.get("did") if is_did(author.get("did")) else (did_of(uri))
        if not uri or not parts or not is_did(did):
            yield Rejected(
                SourceError(
                    "expected a post view with an at:// uri and an author DID",
                    path=self.path,
                    record=where,
                    field="uri",
                ),
                raw_text(view),
            )
            return
        yield from self.profile(author, where)
        record = view.get("record")
        if record is None:
            record = view.get("value")  # an embedded viewRecord
        yield from record_events(
            str(did),
            parts[1] or "app.bsky.feed.post",
            parts[2],
            record,
            seen=self.seen,
            path=self.path,
            where=where,
        )
        viewer = as_dict(view.get("viewer"))
        for key, action in (("like", Action.LIKE), ("repost", Action.REPOST)):
            mine = parse_at_uri(viewer.get(key))
            if not mine or not is_did(mine[0]):
                continue
            yield emit(
                {
                    "network": NETWORK,
                    "event_id": (
                        f"like:{mine[0]}:{uri}" if action == Action.LIKE else viewer.get(key)
                    ),
                    "ts": tid_time(mine[2]),
                    "actor": mine[0],
                    "action": action.value,
                    "target": did,
                    "content_id": uri,
                },
                path=self.path,
                record=where,
            )

    def feed_item(self, item: Any, where: str) -> Iterator[Record]:
        """A feed entry: the post, its reply context, and the repost that put it there."""
        item = as_dict(item)
        if "post" not in item:
            yield from self.post(item, where)  # a bare post view in a list
            return
        yield from self.post(item["post"], where)
        reply = as_dict(item.get("reply"))
        for key in ("parent", "root"):
            if isinstance(reply.get(key), dict) and "uri" in reply[key]:
                yield from self.post(reply[key], f"{where}.reply.{key}")
        reason = as_dict(item.get("reason"))
        if str(reason.get("$type", "")).endswith("#reasonRepost"):
            by = as_dict(reason.get("by"))
            yield from self.profile(by, where)
            post = as_dict(item["post"]).get("uri")
            reposter = by.get("did")
            yield emit(
                {
                    "network": NETWORK,
                    # Newer app views give the repost record's URI; older ones only who did it.
                    "event_id": as_str(reason.get("uri")) or f"repost:{reposter}:{post}",
                    "ts": reason.get("indexedAt"),
                    "actor": reposter if is_did(reposter) else None,
                    "action": Action.REPOST.value,
                    "target": did_of(post),
                    "content_id": post,
                },
                path=self.path,
                record=where,
            )

    def notification(self, note: Any, where: str) -> Iterator[Record]:
        """A notification: the record that caused it, read as that record."""
        note = as_dict(note)
        author = as_dict(note.get("author"))
        yield from self.profile(author, where)
        parts = parse_at_uri(note.get("uri"))
        did = author.get("did")
        if not parts or not is_did(did) or not parts[1]:
            yield Rejected(
                SourceError(
                    "expected a notification with an at:// uri and an author DID",
                    path=self.path,
                    record=where,
                    field="uri",
                ),
                raw_text(note),
            )
            return
        record = note.get("record")
        if isinstance(record, dict) and "createdAt" not in record and note.get("indexedAt"):
            record = record | {"createdAt": note["indexedAt"]}
        yield from record_events(
            str(did), parts[1], parts[2], record, seen=self.seen, path=self.path, where=where
        )

    def repo_record(self, item: Any, where: str) -> Iterator[Record]:
        """A raw record from ``listRecords`` / ``getRecord``: ``{uri, cid, value}``."""
        item = as_dict(item)
        parts = parse_at_uri(item.get("uri"))
        if not parts or not is_did(parts[0]) or not parts[1]:
            yield Rejected(
                SourceError(
                    f"expected an at://did/collection/rkey uri, found {item.get('uri')!r}",
                    path=self.path,
                    record=where,
                    field="uri",
                ),
                raw_text(item),
            )
            return
        yield from record_events(
            parts[0],
            parts[1],
            parts[2],
            item.get("value"),
            seen=self.seen,
            path=self.path,
            where=where,
        )

    def thread(self, node: Any, where: str, depth: int = 0) -> Iterator[Record]:
        """A thread view: the post, its parents and every reply below it."""
        node = as_dict(node)
        if depth > _MAX_THREAD_DEPTH or "post" not in node:
            return
        yield from self.post(node["post"], where)
        if isinstance(node.get("parent"), dict):
            yield from self.thread(node["parent"], f"{where}.parent", depth + 1)
        for n, reply in enumerate(as_list(node.get("replies")), 1):
            yield from self.thread(reply, f"{where}.replies[{n}]", depth + 1)

    # Lists that need their context -----------------------------------------------------

    def like(self, item: Any, subject: Any, where: str) -> Iterator[Record]:
        item = as_dict(item)
        actor = as_dict(item.get("actor"))
        yield from self.profile(actor, where)
        liker = actor.get("did")
        yield emit(
            {
                "network": NETWORK,
                "event_id": f"like:{liker}:{subject}",
                "ts": item.get("createdAt") or item.get("indexedAt"),
                "actor": liker if is_did(liker) else None,
                "action": Action.LIKE.value,
                "target": did_of(subject),
                "content_id": as_str(subject),
            },
            path=self.path,
            record=where,
        )

    def reposted_by(self, item: Any, subject: Any, where: str) -> Iterator[Record]:
        profile = as_dict(item)
        yield from self.profile(profile, where)
        reposter = profile.get("did")
        parts = parse_at_uri(subject)
        yield emit(
            {
                "network": NETWORK,
                "event_id": f"repost:{reposter}:{subject}",
                # The list gives no repost time; the post's own time (its TID) is the earliest.
                "ts": tid_time(parts[2]) if parts else None,
                "ts_derived": True,
                "actor": reposter if is_did(reposter) else None,
                "action": Action.REPOST.value,
                "target": did_of(subject),
                "content_id": as_str(subject),
            },
            path=self.path,
            record=where,
        )

    def follow(self, item: Any, subject: Any, key: str, where: str) -> Iterator[Record]:
        profile = as_dict(item)
        subject = as_dict(subject)
        yield from self.profile(profile, where)
        one, other = profile.get("did"), subject.get("did")
        follower, followed = (one, other) if key == "followers" else (other, one)
        yield emit(
            {
                "network": NETWORK,
                "event_id": f"follow:{follower}:{followed}",
                # No follow time is listed: it cannot predate either account.
                "ts": _latest(profile.get("createdAt"), subject.get("createdAt")),
                "ts_derived": True,
                "actor": follower if is_did(follower) else None,
                "action": Action.FOLLOW.value,
                "target": followed if is_did(followed) else None,
            },
            path=self.path,
            record=where,
        )

    def element(self, key: str, item: Any, members: dict[str, Any], where: str) -> Iterator[Record]:
        if key == "feed":
            yield from self.feed_item(item, where)
        elif key == "posts":
            yield from self.post(item, where)
        elif key == "notifications":
            yield from self.notification(item, where)
        elif key == "records":
            yield from self.repo_record(item, where)
        elif key in ("actors", "profiles"):
            yield from self.profile(item, where)
        elif key == "likes":
            yield from self.like(item, members.get("uri"), where)
        elif key == "repostedBy":
            yield from self.reposted_by(item, members.get("uri"), where)
        elif key in ("followers", "follows"):
            yield from self.follow(item, members.get("subject"), key, where)

    def item(self, item: Any, where: str) -> Iterator[Record]:
        """An element of a top-level array: recognised by its own keys."""
        obj = as_dict(item)
        if "reason" in obj and "author" in obj:
            yield from self.notification(obj, where)
        elif "post" in obj:
            yield from self.feed_item(obj, where)
        elif "author" in obj and "uri" in obj:
            yield from self.post(obj, where)
        elif "value" in obj and "uri" in obj:
            yield from self.repo_record(obj, where)
        elif "did" in obj and "handle" in obj:
            yield from self.profile(obj, where)
        else:
            yield Rejected(
                SourceError(
                    "expected a Bluesky view (post, feed item, notification, profile, record), "
                    f"found {sorted(obj)[:6] if obj else type(item).__name__}",
                    path=self.path,
                    record=where,
                ),
                raw_text(item),
            )

    def whole(self, members: dict[str, Any]) -> Iterator[Record]:
        """A response without a list: a thread, one record, or one profile."""
        if "thread" in members:
            yield from self.thread(members["thread"], "thread")
        elif "value" in members and "uri" in members:
            yield from self.repo_record(members, "1")
        elif "did" in members and "handle" in members:
            yield from self.profile(members, "1")
        elif "uri" in members and "author" in members:
            yield from self.post(members, "1")
        elif "subject" in members:
            yield from self.profile(members["subject"], "subject")
        elif members and not set(members) <= {"cursor", "uri", "cid", "seenAt", "priority"}:
            raise SourceError(
                "expected a Bluesky app view response (feed, posts, likes, repostedBy, "
                "followers, follows, notifications, records, thread), found an object with "
                f"keys {', '.join(sorted(members)[:8])}",
                path=self.path,
            )


def _latest(*values: Any) -> datetime | None:
    times = [t for t in map(ts_or_none, values) if t is not None]
    return max(times) if times else None


def read_xrpc_json(fh: IO[bytes], path: Path) -> Iterator[Record]:
    """Records of one saved app view (XRPC) response."""
    reader = _Reader(path)
    members: dict[str, Any] = {}
    held: list[tuple[str, Any, str]] = []
    listed = False
    for piece in iter_top(fh, path, stream_keys=LIST_KEYS):
        if piece.kind == "item":
            yield from reader.item(piece.value, f"[{piece.position}]")
        elif piece.kind == "element" and piece.key is not None:
            listed = True
            where = f"{piece.key}[{piece.position}]"
            need = _NEEDS.get(piece.key)
            if need is not None and need not in members:
                held.append((piece.key, piece.value, where))
            else:
                yield from reader.element(piece.key, piece.value, members, where)
        elif piece.key is None:
            raise SourceError(
                f"expected a JSON object or array, found {type(piece.value).__name__}", path=path
            )
        else:
            members[piece.key] = piece.value
    for key, value, where in held:
        yield from reader.element(key, value, members, where)
    if listed:
        if isinstance(members.get("subject"), dict):
            yield from reader.profile(members["subject"], "subject")
        return
    yield from reader.whole(members)
