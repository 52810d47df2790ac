"""YouTube Data API v3 JSON: comment threads, comments, subscriptions, videos and channels.

Accepted input:

- one saved API response: a ``youtube#...ListResponse`` page (``commentThreads.list``,
  ``comments.list``, ``subscriptions.list``, ``videos.list``, ``channels.list``) or a single
  resource (what ``insert`` returns);
- a JSON array of such responses, or JSON Lines with one response per line (paged output);
- a folder of such files (``.gz``/``.bz2``/``.xz`` too), read as one dump.

What becomes what (``network`` is ``youtube``, ids are channel ids ``UC...``):

- a top-level comment → ``comment`` by its author on the video (``parent_id``) and to the
  video's channel (``target``); a comment on a channel's discussion tab targets that channel;
- a reply → ``reply`` to the author of the top-level comment (``parent_id`` = that comment);
- a subscription → ``follow`` from the subscriber channel to the subscribed one;
- a video → ``post`` by its channel (title and description as text, tags, language);
- channels, comment authors, subscribed channels → :class:`~sway.events.Account` records.

Comment list responses do not name the video's channel, and reply lists do not name the
author of the comment replied to. So :meth:`YouTubeSource.read` makes two passes over its
input: the first learns who owns each video and who wrote each top-level comment (from videos,
threads and comments anywhere in the input), the second emits the events. The first pass keeps
only those ids in memory, so memory grows with the number of videos and comments in one input,
not with its size in bytes; each response page is at most a few hundred KB.
"""

from __future__ import annotations

import lzma
import os
import re
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from sway.errors import SourceError
from sway.events import Account, Action, Event, make_event, parse_ts
from sway.sources._io import MAX_LINE_BYTES, iter_lines, open_binary, peek
from sway.sources.base import Record, Rejected, Source

__all__ = ["YouTubeSource"]

NETWORK = "youtube"

#: A ``"kind": "youtube#..."`` member near the start is what every API response carries.
_KIND_RE = re.compile(rb'"kind"\s*:\s*"youtube#[A-Za-z]+"')
#: File names that are documentation in a dump folder, never data (as ``sway ingest`` skips).
_NOT_DATA = ("readme", "license", "licence", "copying", "notice", "note", "sha256sums", ".")
_DOC_SUFFIXES = (".md", ".rst", ".txt", ".html", ".htm", ".pdf")
#: How many files of a folder sniffing looks at.
_SNIFF_FILES = 8
#: The largest pretty-printed response read whole; an API page is far smaller.
_MAX_DOCUMENT = MAX_LINE_BYTES
#: The resource kinds read; others (ratings without a rater, search hits, playlists) are skipped.
_READ_KINDS = (
    "youtube#commentThread",
    "youtube#comment",
    "youtube#subscription",
    "youtube#video",
    "youtube#channel",
)


class _Invalid(Exception):
    """A field of one resource is missing or of the wrong type (becomes a ``Rejected``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class _Doc(NamedTuple):
    """One parsed JSON document: a response, a resource or an array of them."""

    value: Any
    line: int | None
    #: Shape faults raise (a whole-file document) or reject one line (JSON Lines).
    strict: bool


class _Item(NamedTuple):
    """One resource of a response, with where it was found."""

    data: dict[str, Any]
    kind: str
    path: Path
    line: int | None
    record: str


class _Context(NamedTuple):
    """What the first pass learns, for targets the second pass cannot see locally."""

    #: video id → channel id of its uploader
    video_owner: dict[str, str]
    #: top-level comment id → (author channel, channel commented on, video)
    comments: dict[str, tuple[str | None, str | None, str | None]]


def _locate(item: _Item, field: str | None, message: str) -> SourceError:
    if item.line is not None:
        # JSON Lines: the line says where; the item path goes into the field.
        full = ".".join(p for p in (item.record, field) if p) or None
        return SourceError(message, path=item.path, line=item.line, field=full)
    return SourceError(message, path=item.path, record=item.record or "1", field=field)


def _obj(value: Any, field: str, *, required: bool = True) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if value is None and not required:
        return {}
    raise _Invalid(field, f"expected an object, found {_describe(value)}")


def _str(obj: dict[str, Any], key: str, field: str) -> str | None:
    value = obj.get(key)
    if isinstance(value, str) and value:
        return value
    if value is None or value == "":
        return None
    raise _Invalid(field, f"expected a string, found {_describe(value)}")


def _id(obj: dict[str, Any], key: str, field: str) -> str:
    value = _str(obj, key, field)
    if value is None:
        raise _Invalid(field, "expected a non-empty id, found nothing")
    return value


def _count(obj: dict[str, Any], key: str, field: str) -> int | None:
    # The API sends counts as decimal strings ("1927873"); accept plain integers too.
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise _Invalid(field, f'expected a count such as "42", found {_describe(value)}')


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def _author(snippet: dict[str, Any], field: str) -> str | None:
    # ``authorChannelId`` is ``{"value": "UC..."}``; old responses had a bare string.
    value = snippet.get("authorChannelId")
    if isinstance(value, str):
        return value or None
    if value is None:
        return None
    return _str(_obj(value, f"{field}.authorChannelId"), "value", f"{field}.authorChannelId.value")


def _named(channel: str, name: str | None) -> Account:
    """An account known by a display name; newer responses give the ``@handle`` instead."""
    if name and name.startswith("@") and len(name) > 1:
        return Account(NETWORK, channel, handle=name[1:])
    return Account(NETWORK, channel, display_name=name)


def _is_data_file(path: Path) -> bool:
    name = path.name.lower()
    return path.is_file() and not (name.startswith(_NOT_DATA) or name.endswith(_DOC_SUFFIXES))


def _data_files(folder: Path) -> Iterator[Path]:
    """Files of ``folder`` (recursively, sorted) that are not documentation."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if _is_data_file(path):
                yield path


def _lines(path: Path) -> Generator[tuple[int, bytes], None, None]:
    # ``iter_lines`` reports gzip/xz/bz2 faults, but a corrupt deflate stream raises zlib.error.
    try:
        yield from iter_lines(path)
    except zlib.error as exc:
        raise SourceError(f"corrupt compressed data ({exc})", path=path) from None


def _sniff_file(path: Path) -> bool:
    head = peek(path, 4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[") and _KIND_RE.search(head) is not None


class YouTubeSource(Source):
    """YouTube Data API v3 responses (see the module docstring for the mapping)."""

    name = "youtube"
    description = (
        "YouTube Data API v3 JSON (commentThreads, comments, subscriptions, videos, channels): "
        "a response, an array or JSON Lines of them, or a folder"
    )

    def sniff(self, path: Path) -> float:
        # Sniffing must never raise, whatever the file system does underneath.
        try:
            if path.is_dir():
                seen = 0
                for file in _data_files(path):
                    if not _sniff_file(file):
                        return 0.0
                    seen += 1
                    if seen >= _SNIFF_FILES:
                        break
                return 0.9 if seen else 0.0
            return 0.9 if _sniff_file(path) else 0.0
        except Exception:
            return 0.0

    def read(self, path: Path) -> Iterator[Record]:
        if path.is_dir():
            files = list(_data_files(path))
        elif path.is_file():
            files = [path]
        else:
            raise SourceError("no such file or folder", path=path)
        context = _Context({}, {})
        for file in files:
            self._learn(file, context)
        for file in files:
            for item in self._items(file):
                if isinstance(item, Rejected):
                    yield item
                else:
                    yield from self._records(item, context)

    # -- reading documents -------------------------------------------------------------------

    def _documents(self, path: Path) -> Iterator[_Doc | Rejected]:
        """The JSON documents of a file: one (pretty-printed) document, or one per line."""
        lines = _lines(path)
        first: tuple[int, bytes] | None = None
        for number, raw in lines:
            if raw.strip():
                first = (number, raw)
                break
        if first is None:
            return
        try:
            value = orjson.loads(first[1].lstrip(b"\xef\xbb\xbf"))
        except orjson.JSONDecodeError:
            # Not a complete document on its first line: one pretty-printed response.
            lines.close()
            yield _Doc(self._whole(path), None, True)
            return
        yield _Doc(value, first[0], False)
        for number, raw in lines:
            if not raw.strip():
                continue
            try:
                yield _Doc(orjson.loads(raw), number, False)
            except orjson.JSONDecodeError as exc:
                yield Rejected(
                    SourceError(f"not valid JSON ({exc})", path=path, line=number),
                    raw.decode("utf-8", "replace"),
                )

    def _whole(self, path: Path) -> Any:
        try:
            with open_binary(path) as fh:
                data = fh.read(_MAX_DOCUMENT + 1)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise SourceError(
                f"unreadable or truncated compressed data ({exc})", path=path
            ) from None
        if len(data) > _MAX_DOCUMENT:
            raise SourceError(
                f"a JSON document larger than {_MAX_DOCUMENT} bytes; expected one API response "
                "per file, or JSON Lines with one response per line",
                path=path,
            )
        try:
            return orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
        except orjson.JSONDecodeError as exc:
            raise SourceError(
                f"not valid JSON ({exc.msg}, column {exc.colno}); expected a YouTube Data API "
                "response",
                path=path,
                line=exc.lineno,
            ) from None

    def _items(self, path: Path) -> Iterator[_Item | Rejected]:
        """Every resource of every document of ``path``, with where it was found."""
        for doc in self._documents(path):
            if isinstance(doc, Rejected):
                yield doc
                continue
            if isinstance(doc.value, list):
                for i, value in enumerate(doc.value):
                    yield from self._doc_items(value, path, doc, f"[{i}]")
            else:
                yield from self._doc_items(doc.value, path, doc, "")

    def _doc_items(
        self, value: Any, path: Path, doc: _Doc, prefix: str
    ) -> Iterator[_Item | Rejected]:
        def fault(field: str, message: str) -> Iterator[Rejected]:
            where = ".".join(p for p in (prefix, field) if p)
            error = SourceError(
                message, path=path, line=doc.line, record=None if doc.line else 1, field=where
            )
            if doc.strict:
                raise error
            yield Rejected(error)

        if not isinstance(value, dict):
            yield from fault(
                "kind",
                f"expected a YouTube Data API response (an object with a 'kind' such as "
                f"'youtube#commentThreadListResponse'), found {_describe(value)}",
            )
            return
        kind = value.get("kind")
        if not (isinstance(kind, str) and kind.startswith("youtube#")):
            if isinstance(value.get("error"), dict):
                yield from fault(
                    "error", f"an API error response, not data: {value['error']!r:.200}"
                )
                return
            yield from fault(
                "kind",
                f"expected a YouTube Data API kind such as 'youtube#commentThreadListResponse', "
                f"found {_describe(kind)}",
            )
            return
        if not kind.endswith("Response"):
            yield _Item(value, kind, path, doc.line, prefix or "")
            return
        items = value.get("items", [])
        if not isinstance(items, list):
            yield from fault("items", f"expected a list of resources, found {_describe(items)}")
            return
        # ``youtube#commentThreadListResponse`` holds ``youtube#commentThread`` items.
        item_kind = kind.removesuffix("ListResponse") if kind.endswith("ListResponse") else ""
        for i, data in enumerate(items):
            record = ".".join(p for p in (prefix, f"items[{i}]") if p)
            if not isinstance(data, dict):
                error = SourceError(
                    f"expected a resource object, found {_describe(data)}",
                    path=path,
                    line=doc.line,
                    record=None if doc.line else record,
                    field=record if doc.line else None,
                )
                yield Rejected(error)
                continue
            own = data.get("kind", item_kind)
            yield _Item(data, own if isinstance(own, str) else "", path, doc.line, record)

    # -- pass 1: who owns which video, who wrote which comment -------------------------------

    def _learn(self, path: Path, context: _Context) -> None:
        try:
            for item in self._items(path):
                if isinstance(item, Rejected):
                    continue
                try:
                    self._learn_item(item, context)
                except _Invalid:
                    continue
        except SourceError:
            # The second pass reports it where it happens.
            return

    def _learn_item(self, item: _Item, context: _Context) -> None:
        data = item.data
        if item.kind == "youtube#video":
            video = data.get("id")
            owner = _str(_obj(data.get("snippet"), "snippet"), "channelId", "snippet.channelId")
            if isinstance(video, str) and video and owner:
                context.video_owner[video] = owner
        elif item.kind == "youtube#commentThread":
            snippet = _obj(data.get("snippet"), "snippet")
            channel = _str(snippet, "channelId", "snippet.channelId")
            video = _str(snippet, "videoId", "snippet.videoId")
            if channel and video:
                # A thread on a video names that video's channel.
                context.video_owner.setdefault(video, channel)
            top = _obj(snippet.get("topLevelComment"), "snippet.topLevelComment")
            self._learn_comment(top, context, channel, video)
        elif item.kind == "youtube#comment":
            self._learn_comment(data, context, None, None)

    def _learn_comment(
        self, comment: dict[str, Any], context: _Context, channel: str | None, video: str | None
    ) -> None:
        cid = comment.get("id")
        snippet = _obj(comment.get("snippet"), "snippet")
        if not (isinstance(cid, str) and cid) or snippet.get("parentId"):
            return
        author = _author(snippet, "snippet")
        channel = _str(snippet, "channelId", "snippet.channelId") or channel
        video = _str(snippet, "videoId", "snippet.videoId") or video
        known = context.comments.get(cid, (None, None, None))
        context.comments[cid] = (author or known[0], channel or known[1], video or known[2])

    # -- pass 2: records ---------------------------------------------------------------------

    def _records(self, item: _Item, context: _Context) -> Iterator[Record]:
        if item.kind not in _READ_KINDS:
            return
        records: list[Record]
        try:
            if item.kind == "youtube#commentThread":
                records = self._thread(item, context)
            elif item.kind == "youtube#comment":
                records = self._comment(item, item.data, "", context)
            elif item.kind == "youtube#subscription":
                records = self._subscription(item)
            elif item.kind == "youtube#video":
                records = self._video(item)
            else:
                records = [self._channel(item)]
        except _Invalid as exc:
            yield Rejected(_locate(item, exc.field, exc.message), _raw(item.data))
        else:
            yield from records

    def _event(self, row: dict[str, Any], prefix: str) -> Event:
        try:
            return make_event({"network": NETWORK, **row})
        except SourceError as exc:
            # Name the API field (``snippet.publishedAt``), not the canonical column (``ts``).
            source_field = _SOURCE_FIELD.get(exc.field or "", exc.field or "")
            raise _Invalid(".".join(p for p in (prefix, source_field) if p), exc.message) from None

    def _thread(self, item: _Item, context: _Context) -> list[Record]:
        snippet = _obj(item.data.get("snippet"), "snippet")
        channel = _str(snippet, "channelId", "snippet.channelId")
        video = _str(snippet, "videoId", "snippet.videoId")
        top = _obj(snippet.get("topLevelComment"), "snippet.topLevelComment")
        records = self._comment(
            item, top, "snippet.topLevelComment", context, channel=channel, video=video
        )
        top_id = _str(top, "id", "snippet.topLevelComment.id")
        top_author = _author(_obj(top.get("snippet"), "snippet.topLevelComment.snippet"), "")
        replies = _obj(item.data.get("replies"), "replies", required=False)
        comments = replies.get("comments", [])
        if not isinstance(comments, list):
            raise _Invalid("replies.comments", f"expected a list, found {_describe(comments)}")
        for i, reply in enumerate(comments):
            field = f"replies.comments[{i}]"
            records += self._comment(
                item,
                _obj(reply, field),
                field,
                context,
                channel=channel,
                video=video,
                parent=top_id,
                parent_author=top_author,
            )
        return records

    def _comment(
        self,
        item: _Item,
        comment: dict[str, Any],
        prefix: str,
        context: _Context,
        *,
        channel: str | None = None,
        video: str | None = None,
        parent: str | None = None,
        parent_author: str | None = None,
    ) -> list[Record]:
        def at(field: str) -> str:
            return f"{prefix}.{field}" if prefix else field

        cid = _id(comment, "id", at("id"))
        snippet = _obj(comment.get("snippet"), at("snippet"))
        author = _author(snippet, at("snippet"))
        # Replies inside a thread answer its top-level comment even without a ``parentId``.
        parent = _str(snippet, "parentId", at("snippet.parentId")) or parent
        channel = _str(snippet, "channelId", at("snippet.channelId")) or channel
        video = _str(snippet, "videoId", at("snippet.videoId")) or video
        text = _str(snippet, "textOriginal", at("snippet.textOriginal")) or _str(
            snippet, "textDisplay", at("snippet.textDisplay")
        )
        name = _str(snippet, "authorDisplayName", at("snippet.authorDisplayName"))
        row: dict[str, Any] = {
            "event_id": cid,
            "ts": snippet.get("publishedAt"),
            "actor": author,
            "content_id": cid,
            "text": text,
        }
        if parent:
            # A reply answers the top-level comment; its target is that comment's author.
            row |= {
                "action": Action.REPLY.value,
                "parent_id": parent,
                "target": parent_author or context.comments.get(parent, (None, None, None))[0],
            }
        else:
            known = context.comments.get(cid, (None, None, None))
            video = video or known[2]
            channel = channel or known[1] or (context.video_owner.get(video) if video else None)
            row |= {"action": Action.COMMENT.value, "parent_id": video, "target": channel}
        records: list[Record] = [self._event(row, at("snippet"))]
        if author:
            records.append(_named(author, name))
        return records

    def _subscription(self, item: _Item) -> list[Record]:
        snippet = _obj(item.data.get("snippet"), "snippet")
        subscriber_snippet = _obj(
            item.data.get("subscriberSnippet"), "subscriberSnippet", required=False
        )
        subscriber = _str(snippet, "channelId", "snippet.channelId") or _str(
            subscriber_snippet, "channelId", "subscriberSnippet.channelId"
        )
        if subscriber is None:
            raise _Invalid(
                "snippet.channelId", "expected the subscriber's channel id, found nothing"
            )
        resource = _obj(snippet.get("resourceId"), "snippet.resourceId")
        target = _id(resource, "channelId", "snippet.resourceId.channelId")
        row = {
            "event_id": f"follow:{subscriber}:{target}",
            "ts": snippet.get("publishedAt"),
            "actor": subscriber,
            "action": Action.FOLLOW.value,
            "target": target,
        }
        records: list[Record] = [self._event(row, "snippet")]
        records.append(_named(target, _str(snippet, "title", "snippet.title")))
        subscriber_name = _str(subscriber_snippet, "title", "subscriberSnippet.title")
        if subscriber_name:
            records.append(_named(subscriber, subscriber_name))
        return records

    def _video(self, item: _Item) -> list[Record]:
        video = _id(item.data, "id", "id")
        snippet = _obj(item.data.get("snippet"), "snippet")
        channel = _id(snippet, "channelId", "snippet.channelId")
        title = _str(snippet, "title", "snippet.title")
        description = _str(snippet, "description", "snippet.description")
        row = {
            "event_id": video,
            "ts": snippet.get("publishedAt"),
            "actor": channel,
            "action": Action.POST.value,
            "content_id": video,
            "text": "\n\n".join(t for t in (title, description) if t) or None,
            "tags": snippet.get("tags"),
            "lang": _str(snippet, "defaultLanguage", "snippet.defaultLanguage"),
        }
        records: list[Record] = [self._event(row, "snippet")]
        records.append(_named(channel, _str(snippet, "channelTitle", "snippet.channelTitle")))
        return records

    def _channel(self, item: _Item) -> Account:
        channel = _id(item.data, "id", "id")
        snippet = _obj(item.data.get("snippet"), "snippet", required=False)
        statistics = _obj(item.data.get("statistics"), "statistics", required=False)
        published = snippet.get("publishedAt")
        try:
            created = parse_ts(published) if published is not None else None
        except ValueError as exc:
            raise _Invalid("snippet.publishedAt", str(exc)) from None
        custom = _str(snippet, "customUrl", "snippet.customUrl")
        followers = _count(statistics, "subscriberCount", "statistics.subscriberCount")
        if statistics.get("hiddenSubscriberCount") is True:
            followers = None
        return Account(
            NETWORK,
            channel,
            handle=custom.removeprefix("@") if custom else None,
            display_name=_str(snippet, "title", "snippet.title"),
            created_at=created,
            followers=followers,
        )


#: Canonical column → the API field it comes from (for messages that name the source field).
_SOURCE_FIELD = {
    "ts": "publishedAt",
    "tags": "tags",
    "lang": "defaultLanguage",
    "text": "textOriginal",
    "event_id": "id",
}


def _raw(data: dict[str, Any]) -> str:
    try:
        return orjson.dumps(data).decode()[:2000]
    except (TypeError, orjson.JSONEncodeError):
        return repr(data)[:2000]
