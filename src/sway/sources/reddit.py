"""Reddit API JSON and Pushshift-style NDJSON.

Accepted shapes, in one file or a folder of them:

- API responses: a ``Listing``, a bare thing (``t1`` comment, ``t3`` submission, ``t2``
  account), the ``[submission, comments]`` pair of ``/comments/ID.json`` (with nested
  ``replies`` Listings), and ``/api/morechildren`` (``{"json": {"data": {"things": [...]}}}``);
- Pushshift-style dumps: one thing per line, either bare (``{"id": ..., "body": ...}``) or
  wrapped (``{"kind": "t1", "data": {...}}``);
- betamax / vcrpy JSON cassettes of the API (``interactions[].response.body.string``): the
  reddit.com responses that hold things are read, the rest (OAuth tokens) skipped.

Ids are Reddit fullnames (``t3_2gmzqe``, ``t1_cklhv0f``); accounts are usernames. A
submission is a ``post``; a comment on a submission is a ``comment`` and a reply to a comment
a ``reply``, with the target (the parent's author) resolved through the parent seen earlier in
the input. Individual votes are not public: each thing's net ``score`` becomes one anonymous
``vote`` event ``vote:{fullname}`` with ``value`` = score. See ``docs/formats.md``.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import re
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from sway.errors import SourceError
from sway.events import Account, Action, Event, parse_ts
from sway.sources._io import MAX_LINE_BYTES, iter_lines, open_binary, peek
from sway.sources.base import Record, Rejected, Source

__all__ = ["RedditSource"]

NETWORK = "reddit"

#: Parents remembered for resolving the target of a reply (a Pushshift month holds millions
#: of comments; parents mostly come shortly before their replies). Beyond it, the oldest are
#: forgotten and a reply to them gets no target.
PARENT_MEMORY = 1_000_000
_ACCOUNT_MEMORY = 100_000

_DELETED = frozenset({"[deleted]", "[removed]"})
_THING_KIND_RE = re.compile(rb'"kind"\s*:\s*"(t1|t2|t3)"')
_LISTING_RE = re.compile(rb'"kind"\s*:\s*"Listing"')
_CASSETTE_RE = re.compile(rb'"(http_)?interactions"\s*:')
_REDDIT_URI_RE = re.compile(rb'"uri"\s*:\s*"https?://([a-z0-9-]+\.)*reddit\.com[/"?]')
_PUSHSHIFT_KEYS = (b'"subreddit"', b'"author"', b'"created_utc"')
#: Files of a dump folder that are never data: documentation, and listings of the responses.
_NOT_DATA = ("readme", "license", "licence", "copying", "notice", "sha256sums", ".")
_NOT_DATA_SUFFIXES = (".md", ".tsv", ".txt", ".csv", ".html", ".yaml", ".yml")
_TOKEN_KEYS = frozenset({"access_token", "token_type", "expires_in", "scope", "refresh_token"})
_SNIFF_FILES = 8
#: Files up to this size are read twice, first to learn every author (see ``_Reader.collect``).
COLLECT_BYTES = 64 * 1024 * 1024
#: Nesting deeper than this is refused: an API response nests a few levels of replies (a
#: thread continues in another request), and Python's stack is finite.
MAX_DEPTH = 100


class _Shape(Exception):
    """A document that is not one of the Reddit shapes."""


class _BadField(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _head(path: Path, size: int = 65536) -> bytes:
    return peek(path, size).lstrip(b"\xef\xbb\xbf \t\r\n")


def _sniff_file(path: Path) -> float:
    head = _head(path)
    if not head.startswith((b"{", b"[")):
        return 0.0
    if _CASSETTE_RE.search(head[:8192]):
        return 0.9 if _REDDIT_URI_RE.search(head) else 0.0
    if _THING_KIND_RE.search(head[:8192]):
        return 0.9
    if _LISTING_RE.search(head[:4096]) and b'"children"' in head:
        return 0.85
    first = head.split(b"\n", 1)[0]
    if all(key in first for key in _PUSHSHIFT_KEYS):
        return 0.8
    return 0.0


def _is_token(path: Path) -> bool:
    """An OAuth token response (``{"access_token": ...}``), as API recorders save them."""
    head = _head(path, 4096)
    try:
        doc = orjson.loads(head)
    except orjson.JSONDecodeError:
        return False
    return isinstance(doc, dict) and "access_token" in doc and set(doc) <= _TOKEN_KEYS


def _folder_files(path: Path) -> Iterator[Path]:
    """The files of a folder that hold (or should hold) Reddit data, sorted."""
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        name = file.name.lower()
        if name.startswith(_NOT_DATA) or name.endswith(_NOT_DATA_SUFFIXES):
            continue
        if _is_token(file):
            continue
        yield file


def _identity(kind: str, data: dict[str, Any]) -> tuple[str, str | None]:
    """A thing's fullname and author (``None`` when deleted)."""
    thing_id = _str(data, "id")
    name = _str(data, "name") or (f"{kind}_{thing_id}" if thing_id else None)
    if name is None:
        raise _BadField("name", "expected the thing's fullname or id, found none")
    author = _str(data, "author")
    return name, None if author in _DELETED else author


def _first_line(path: Path) -> bytes | None:
    """The first non-blank line of a file (BOM removed), or ``None`` if it has none."""
    try:
        with open_binary(path) as fh:
            while True:
                line = fh.readline(MAX_LINE_BYTES)
                if not line:
                    return None
                if line.strip():
                    return line.removeprefix(b"\xef\xbb\xbf").strip()
    except SourceError:
        raise
    except Exception as exc:  # OSError, EOFError, lzma / zlib errors of damaged compression
        raise SourceError(
            f"unreadable or truncated data ({type(exc).__name__}: {exc})", path=path, line=1
        ) from None


def _epoch(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise _BadField(field, f"expected Unix seconds, found {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadField(field, f"expected Unix seconds, found {value!r}")
    try:
        return parse_ts(value)
    except (ValueError, OverflowError, OSError):
        raise _BadField(field, f"expected Unix seconds, found {value!r}") from None


def _str(data: dict[str, Any], field: str) -> str | None:
    value = data.get(field)
    if value is None or isinstance(value, str):
        return value or None
    raise _BadField(field, f"expected a string, found {type(value).__name__} {value!r}")


def _int(data: dict[str, Any], field: str) -> int | None:
    value = data.get(field)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadField(field, f"expected an integer, found {value!r}")
    return value


class RedditSource(Source):
    """Submissions, comments and scores from Reddit API JSON or Pushshift-style NDJSON."""

    name = "reddit"
    description = (
        "Reddit API JSON (Listings, /comments/ID pairs, morechildren, cassettes) or "
        "Pushshift-style NDJSON; a file or a folder of them"
    )

    def sniff(self, path: Path) -> float:
        try:
            if not path.is_dir():
                return _sniff_file(path)
            checked = 0
            for file in _folder_files(path):
                if _sniff_file(file) == 0.0:
                    return 0.0
                checked += 1
                if checked == _SNIFF_FILES:
                    break
            return 0.9 if checked else 0.0
        except Exception:
            return 0.0

    def read(self, path: Path) -> Iterator[Record]:
        files = list(_folder_files(path)) if path.is_dir() else [path]
        reader = _Reader()
        reader.collect(files)
        for file in files:
            yield from reader.file(file)


class _Reader:
    """Reads files, remembering authors across them to resolve reply targets."""

    def __init__(self) -> None:
        self.authors: OrderedDict[str, str | None] = OrderedDict()
        self.accounts: set[str] = set()
        self.where = ""
        self.line: int | None = None
        self.collecting = False

    # -- files --------------------------------------------------------------------------------

    def collect(self, paths: list[Path]) -> None:
        """Learn the author of every thing in ``paths`` before reading them for records.

        API responses come in any order (``/api/info`` for a comment before the thread that
        holds its parent); knowing all authors up front gives every reply its target. Files
        over ``COLLECT_BYTES`` (Pushshift months) are not pre-read: they are in time order,
        parents first.
        """
        self.collecting = True
        try:
            for path in paths:
                with contextlib.suppress(OSError):
                    if path.stat().st_size > COLLECT_BYTES:
                        continue
                for _ in self.file(path):
                    pass
        finally:
            self.collecting = False

    def file(self, path: Path) -> Iterator[Record]:
        self.where = str(path)
        if _first_line(path) is None:
            return
        if self.is_lines(path):
            yield from self.lines(path)
        else:
            yield from self.document(path)

    def is_lines(self, path: Path) -> bool:
        """Whether the first line is a whole JSON value: one document per line (NDJSON).

        A compact single-line response is the one-line case of it.
        """
        try:
            orjson.loads(_first_line(path) or b"")
        except orjson.JSONDecodeError:
            return False
        return True

    def document(self, path: Path) -> Iterator[Record]:
        self.where = str(path)
        self.line = None
        try:
            with open_binary(path) as fh:
                data = fh.read()
        except (OSError, EOFError, ValueError) as exc:
            raise SourceError(f"unreadable or truncated data ({exc})", path=path) from None
        except Exception as exc:  # lzma / zlib errors of a damaged compressed file
            raise SourceError(
                f"unreadable or truncated data ({type(exc).__name__}: {exc})", path=path
            ) from None
        try:
            doc = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
        except orjson.JSONDecodeError as exc:
            raise SourceError(
                f"not valid JSON ({exc.msg}); expected a Reddit API response",
                path=path,
                line=exc.lineno,
            ) from None
        try:
            yield from self.walk(doc, "")
        except _Shape as exc:
            raise SourceError(str(exc), path=path, record="document", field="kind") from None

    def lines(self, path: Path) -> Iterator[Record]:
        for number, raw in iter_lines(path):
            if not raw.strip():
                continue
            self.line = number
            text = raw.decode("utf-8", "replace")
            try:
                doc = orjson.loads(raw.removeprefix(b"\xef\xbb\xbf"))
            except orjson.JSONDecodeError as exc:
                yield Rejected(self.error(f"not valid JSON ({exc.msg})", ""), text)
                continue
            try:
                yield from self.walk(doc, "")
            except _Shape as exc:
                yield Rejected(self.error(str(exc), "", "kind"), text[:1000])
        self.line = None

    def error(self, message: str, loc: str, field: str | None = None) -> SourceError:
        if self.line is not None:
            where = f" (at {loc})" if loc else ""
            return SourceError(message + where, path=self.where, line=self.line, field=field)
        return SourceError(message, path=self.where, record=loc or "document", field=field)

    # -- documents ----------------------------------------------------------------------------

    def walk(self, doc: Any, loc: str, depth: int = 0) -> Iterator[Record]:
        """Records of one document; raises :class:`_Shape` if it is none of the shapes."""
        if depth > MAX_DEPTH:
            raise _Shape(f"lists nested deeper than {MAX_DEPTH} levels")
        if isinstance(doc, list):
            for i, part in enumerate(doc):
                yield from self.walk(part, f"{loc}[{i}]", depth + 1)
            return
        if not isinstance(doc, dict):
            raise _Shape(
                f"expected a Reddit Listing, thing or list of them, found {type(doc).__name__}"
            )
        if "kind" in doc:
            yield from self.node(doc, loc)
        elif isinstance(doc.get("interactions"), list) or isinstance(
            doc.get("http_interactions"), list
        ):
            yield from self.cassette(doc, loc)
        elif "json" in doc:
            yield from self.more_children(doc, loc)
        elif isinstance(doc.get("id"), str) and ("body" in doc or "title" in doc):
            # Pushshift: the thing's fields without the kind/data wrapper.
            yield from self.thing("t1" if "body" in doc else "t3", doc, loc)
        else:
            keys = ", ".join(sorted(str(k) for k in doc)[:6])
            raise _Shape(
                f"expected a Reddit Listing or thing (with 'kind' and 'data'), a morechildren "
                f"response or a Pushshift record, found an object with keys {keys}"
            )

    def more_children(self, doc: dict[str, Any], loc: str) -> Iterator[Record]:
        body = doc["json"]
        data = body.get("data") if isinstance(body, dict) else None
        things = data.get("things") if isinstance(data, dict) else None
        if things is None and isinstance(body, dict) and body.get("errors"):
            raise _Shape(f"an API error response: {str(body.get('errors'))[:200]}")
        if not isinstance(things, list):
            raise _Shape("expected a morechildren response with json.data.things, found none")
        for i, child in enumerate(things):
            yield from self.node(child, f"{loc}.json.data.things[{i}]")

    def cassette(self, doc: dict[str, Any], loc: str) -> Iterator[Record]:
        key = "interactions" if isinstance(doc.get("interactions"), list) else "http_interactions"
        for i, interaction in enumerate(doc[key]):
            here = f"{loc}{key}[{i}].response.body"
            body = _reddit_body(interaction)
            if body is None:
                continue
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError:
                continue  # an HTML error page, not API data
            try:
                yield from self.walk(parsed, here)
            except _Shape:
                continue  # a token, an account or an error response: no things to read

    def node(self, node: Any, loc: str, depth: int = 0) -> Iterator[Record]:
        """A ``{"kind": ..., "data": ...}`` node: a Listing, a thing, or a ``more`` stub."""
        if depth > MAX_DEPTH:
            yield Rejected(self.error(f"replies nested deeper than {MAX_DEPTH} levels", loc))
            return
        if not isinstance(node, dict) or not isinstance(node.get("data"), dict):
            yield Rejected(self.error("expected a {'kind': ..., 'data': {...}} thing", loc))
            return
        kind, data = node.get("kind"), node["data"]
        if kind == "Listing":
            children = data.get("children")
            if not isinstance(children, list):
                yield Rejected(self.error("expected a list of children", loc, "children"))
                return
            for i, child in enumerate(children):
                yield from self.node(child, f"{loc}.data.children[{i}]", depth + 1)
        elif kind in ("t1", "t3"):
            yield from self.thing(kind, data, f"{loc}.data", depth)
        elif kind == "t2":
            yield from self.account(data, f"{loc}.data")
        elif not isinstance(kind, str):
            yield Rejected(self.error(f"expected a kind such as 't1', found {kind!r}", loc, "kind"))
        # "more" stubs only list ids of comments not included; other kinds (messages,
        # subreddits, awards) carry no interaction.

    # -- things -------------------------------------------------------------------------------

    def thing(self, kind: str, data: dict[str, Any], loc: str, depth: int = 0) -> Iterator[Record]:
        try:
            records = list(self.convert(kind, data))
        except _BadField as exc:
            yield Rejected(self.error(exc.message, loc, exc.field), _short(data))
        else:
            yield from records
        # The replies are records of their own: a bad parent does not take them down.
        replies = data.get("replies")
        if kind == "t1" and isinstance(replies, dict):
            yield from self.node(replies, f"{loc}.replies", depth + 1)

    def convert(self, kind: str, data: dict[str, Any]) -> Iterator[Record]:
        name, author = _identity(kind, data)
        if self.collecting:
            self.remember(name, author)
            return iter(())
        # Not ``created``: on old responses it is shifted by the server's time zone.
        ts = _epoch(data.get("created_utc"), "created_utc")
        score = _int(data, "score")
        subreddit = _str(data, "subreddit")
        tags = (subreddit,) if subreddit else None
        records: list[Record] = []
        if kind == "t3":
            title, selftext = _str(data, "title"), _str(data, "selftext")
            text = "\n\n".join(t for t in (title, selftext) if t and t not in _DELETED)
            if author is not None:
                records.append(
                    Event(
                        network=NETWORK,
                        event_id=name,
                        ts=ts,
                        actor=author,
                        action=Action.POST.value,
                        content_id=name,
                        text=text or None,
                        tags=tags,
                    )
                )
        else:
            parent = _str(data, "parent_id")
            if parent is None or not parent.startswith(("t1_", "t3_")):
                raise _BadField("parent_id", f"expected a t1_ or t3_ fullname, found {parent!r}")
            body = _str(data, "body")
            records.append(
                Event(
                    network=NETWORK,
                    event_id=name,
                    ts=ts,
                    actor=author,
                    action=Action.COMMENT.value if parent.startswith("t3_") else Action.REPLY.value,
                    target=self.authors.get(parent),
                    content_id=name,
                    parent_id=parent,
                    text=None if body in _DELETED else body,
                    tags=tags,
                )
            )
        if score is not None and data.get("score_hidden") is not True:
            records.append(
                Event(
                    network=NETWORK,
                    event_id=f"vote:{name}",
                    ts=ts,
                    actor=None,
                    action=Action.VOTE.value,
                    target=author,
                    content_id=name,
                    value=float(score),
                )
            )
        self.remember(name, author)
        if author is not None and author not in self.accounts:
            if len(self.accounts) >= _ACCOUNT_MEMORY:
                self.accounts.clear()
            self.accounts.add(author)
            records.insert(0, Account(network=NETWORK, account_id=author, handle=author))
        return iter(records)

    def remember(self, name: str, author: str | None) -> None:
        if len(self.authors) >= PARENT_MEMORY:
            self.authors.popitem(last=False)  # forget the oldest
        self.authors[name] = author

    def account(self, data: dict[str, Any], loc: str) -> Iterator[Record]:
        try:
            name = _str(data, "name")
            if name is None:
                raise _BadField("name", "expected the account's username, found none")
            created = data.get("created_utc")
            karma = [_int(data, f) for f in ("link_karma", "comment_karma")]
            known = [k for k in karma if k is not None]
            account = Account(
                network=NETWORK,
                account_id=name,
                handle=name,
                created_at=None if created is None else _epoch(created, "created_utc"),
                reputation=sum(known) if known else None,
            )
        except _BadField as exc:
            yield Rejected(self.error(exc.message, loc, exc.field), _short(data))
            return
        self.accounts.add(name)
        yield account


def _reddit_body(interaction: Any) -> bytes | None:
    """The body of a successful reddit.com response in a cassette, else ``None``."""
    if not isinstance(interaction, dict):
        return None
    request, response = interaction.get("request"), interaction.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        return None
    uri = request.get("uri")
    try:
        host = urlsplit(uri).hostname if isinstance(uri, str) else None
    except ValueError:
        return None
    if not host or not (host == "reddit.com" or host.endswith(".reddit.com")):
        return None
    status = response.get("status")
    code = status.get("code") if isinstance(status, dict) else status
    if not isinstance(code, int) or not 200 <= code < 300:
        return None
    body = response.get("body")
    if not isinstance(body, dict):
        return None
    text = body.get("string")
    if isinstance(text, str):
        return text.encode("utf-8", "replace")
    if isinstance(body.get("base64_string"), str):
        try:
            raw = base64.b64decode(body["base64_string"])
            return gzip.decompress(raw) if raw.startswith(b"\x1f\x8b") else raw
        except Exception:  # bad base64, damaged gzip (OSError, EOFError, zlib.error)
            return None
    return None


def _short(data: dict[str, Any]) -> str:
    try:
        return orjson.dumps(data, default=str).decode()[:1000]
    except (TypeError, orjson.JSONEncodeError):
        return repr(data)[:1000]
