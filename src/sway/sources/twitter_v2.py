"""X/Twitter API v2 responses: twarc2 output, its flattened form, and saved response bodies.

Accepted, optionally ``.gz``/``.bz2``/``.xz`` compressed:

- twarc2 JSON Lines, one response page per line (``data``, ``includes``, ``meta``,
  ``__twarc``), including filtered-stream output (``data`` is one tweet);
- twarc2's flattened form, one tweet per line with its expansions inlined (``author``,
  ``in_reply_to_user``, ``referenced_tweets[]`` as whole tweets);
- plain v2 bodies, pretty-printed or not: tweet lists and user lists. What a user list means
  comes from the request URL, taken from ``__twarc.url``, from the ``url`` option, or from an
  ``index.tsv`` beside the bodies: ``tweets/:id/liking_users`` gives likes,
  ``tweets/:id/retweeted_by`` retweets, ``users/:id/followers`` and ``users/:id/following``
  follows, ``users/:id/liked_tweets`` likes, ``users/:id/tweets`` the author of the tweets;
- a folder of saved bodies with an ``index.tsv`` (``file<TAB>method<TAB>url<TAB>status``) as
  extracted from recorded API sessions; v1.1 bodies listed there are read as ``twitter-v1``
  reads them, and the recorded cassettes the bodies came from are skipped.

Authors, reply targets and mentioned accounts are resolved through ``includes.users`` and
``includes.tweets``; tweets in ``includes`` are events of their own. Tweets without an
``author_id`` (requested with default fields) give no events: who acted is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urlsplit

from sway.errors import ConfigError, SourceError
from sway.events import Account, Event
from sway.sources._io import iter_lines, peek
from sway.sources._twitter import (
    NETWORK,
    POST,
    QUOTE,
    REPLY,
    REPOST,
    RT_PREFIX_RE,
    Fault,
    TweetFacts,
    clean_lang,
    clean_text,
    describe,
    follow_event,
    get_dict,
    get_id,
    get_list,
    get_str,
    hashtags,
    iter_json_file,
    like_event,
    merge_accounts,
    observed_option,
    parse_time,
    reaction_time,
    repost_event,
    resolve_handle,
    snowflake_time,
    tweet_events,
)
from sway.sources.base import Record, Rejected, Source, Undated
from sway.sources.twitter_v1 import read_v1_file

__all__ = ["TwitterV2Source", "sniff_v2"]

#: Keys only v2 tweets, users and lists have (v1.1 has none of them).
_V2_MARKERS = (
    b'"edit_history_tweet_ids"',
    b'"author_id"',
    b'"conversation_id"',
    b'"referenced_tweets"',
    b'"public_metrics"',
    b'"__twarc"',
    b'"owner_id"',
)
_PAGE_RE = re.compile(rb'\[?\s*\{\s*"(?:data|includes)"\s*:\s*[\[{]')
_ERRORS_RE = re.compile(rb'\{\s*"errors"\s*:\s*\[')
_ENDPOINT_RE = re.compile(
    r"/2/(tweets|users)/([0-9]{1,20})/"
    r"(liking_users|retweeted_by|quote_tweets|followers|following|liked_tweets|tweets)/?"
)
_API_HOSTS = ("api.twitter.com", "api.x.com")
#: Files in a folder that are documentation, never data (as ``sway.store.ingest`` skips them).
_NOT_DATA = ("readme", "license", "licence", "copying", "notice", "note", "sha256sums", ".")
_DOC_SUFFIXES = (".md", ".rst")
_TWEET_KEYS = ("text", "author_id", "edit_history_tweet_ids", "referenced_tweets")


def sniff_v2(head: bytes) -> float:
    """Confidence that the first bytes of a file are v2 JSON."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith((b"{", b"[")):
        return 0.0
    marked = any(marker in head for marker in _V2_MARKERS)
    if _PAGE_RE.match(text) and (marked or b'"username"' in head or b'"text"' in head):
        return 0.9
    if marked and b'"text"' in head and b'"id"' in head:
        return 0.85
    if _ERRORS_RE.match(text) and b"api.twitter.com/2/problems" in head:
        return 0.6
    return 0.0


class Context(NamedTuple):
    """What the request URL says about a list: ``kind`` of the endpoint and its ``subject``."""

    kind: str
    subject: str


def endpoint(url: str | None) -> Context | None:
    """The endpoint a v2 request URL asked, when it gives meaning to the returned list."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    match = _ENDPOINT_RE.fullmatch(parts.path)
    if not match:
        return None
    return Context(kind=f"{match.group(1)}/{match.group(3)}", subject=match.group(2))


def _api_version(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.hostname not in _API_HOSTS:
        return None
    if parts.path.startswith("/1.1/"):
        return "1.1"
    if parts.path.startswith("/2/"):
        return "2"
    return None


class _Lookup:
    """Authors of tweets and ids of handles, from a page's ``includes`` and ``data``."""

    def __init__(self) -> None:
        self.authors: dict[str, str] = {}
        self.ids: dict[str, str] = {}

    def add_user(self, user_id: str, handle: str | None) -> None:
        if handle:
            self.ids[handle.lower()] = user_id

    def add_tweet(self, tweet: dict[str, Any]) -> None:
        try:
            tweet_id = get_id(tweet, "id")
            author = get_id(tweet, "author_id")
        except Fault:
            return  # reported when the tweet itself is read
        if tweet_id and author:
            self.authors[tweet_id] = author


def v2_user(user: dict[str, Any], field: str) -> Account:
    """A v2 user object as an :class:`Account`."""
    user_id = get_id(user, "id", field=f"{field}.id")
    if user_id is None:
        raise Fault(f"{field}.id", "expected the user id, found nothing")
    metrics = get_dict(user, "public_metrics", f"{field}.public_metrics")
    created = user.get("created_at")
    return Account(
        network=NETWORK,
        account_id=user_id,
        handle=get_str(user, "username", f"{field}.username"),
        display_name=get_str(user, "name", f"{field}.name"),
        created_at=parse_time(created, f"{field}.created_at") if created is not None else None,
        followers=_count(metrics, "followers_count", f"{field}.public_metrics"),
        following=_count(metrics, "following_count", f"{field}.public_metrics"),
    )


def _count(metrics: dict[str, Any], key: str, field: str) -> int | None:
    value = metrics.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    raise Fault(f"{field}.{key}", f"expected a count, found {describe(value)}")


def v2_tweet(
    tweet: dict[str, Any], lookup: _Lookup, context: Context | None
) -> tuple[TweetFacts, list[Account]]:
    """A v2 tweet's facts, and the accounts its mentions name."""
    tweet_id = get_id(tweet, "id")
    if tweet_id is None:
        raise Fault("id", "expected the tweet id, found nothing")
    author = get_id(tweet, "author_id")
    if author is None and context is not None and context.kind == "users/tweets":
        author = context.subject
    created = tweet.get("created_at")
    ts = parse_time(created, "created_at") if created is not None else snowflake_time(tweet_id)
    if ts is None:
        raise Fault("created_at", "expected the time of the tweet, found nothing")
    text = get_str(tweet, "text")
    entities = get_dict(tweet, "entities")
    accounts: list[Account] = []
    mentions: list[tuple[str | None, str | None]] = []
    targets: list[str] = []
    for index, mention in enumerate(get_list(entities, "mentions", "entities.mentions")):
        where = f"entities.mentions[{index}]"
        if not isinstance(mention, dict):
            raise Fault(where, f"expected an object, found {describe(mention)}")
        handle = get_str(mention, "username", f"{where}.username")
        mention_id = get_id(mention, "id", field=f"{where}.id") or (
            lookup.ids.get(handle.lower()) if handle else None
        )
        if mention_id and handle:
            accounts.append(Account(NETWORK, mention_id, handle=handle))
        target = mention_id or handle
        if target:
            mentions.append((mention_id, handle))
            targets.append(target)
    refs: dict[str, str] = {}
    for index, ref in enumerate(get_list(tweet, "referenced_tweets")):
        where = f"referenced_tweets[{index}]"
        if not isinstance(ref, dict):
            raise Fault(where, f"expected an object, found {describe(ref)}")
        kind = get_str(ref, "type", f"{where}.type")
        ref_id = get_id(ref, "id", field=f"{where}.id")
        if kind and ref_id:
            refs.setdefault(kind, ref_id)
    reply_user = get_id(tweet, "in_reply_to_user_id")
    ref_author: str | None = None
    rt_match = RT_PREFIX_RE.match(text or "")
    action = POST
    parent: str | None = None
    if "retweeted" in refs:
        action, parent = REPOST, refs["retweeted"]
        ref_author = lookup.authors.get(parent)
        if ref_author is None and rt_match:
            ref_author = _resolve(rt_match.group(1), mentions, lookup)
    elif "replied_to" in refs or reply_user:
        action, parent = REPLY, refs.get("replied_to")
        ref_author = reply_user or (lookup.authors.get(parent) if parent else None)
    elif "quoted" in refs:
        action, parent = QUOTE, refs["quoted"]
        ref_author = lookup.authors.get(parent)
    elif rt_match:
        # A retweet read with fields that leave out referenced_tweets, or an old manual one.
        action = REPOST
        ref_author = _resolve(rt_match.group(1), mentions, lookup)
    elif context is not None and context.kind == "tweets/quote_tweets":
        action, parent = QUOTE, context.subject
        ref_author = lookup.authors.get(parent)
    facts = TweetFacts(
        id=tweet_id,
        author=author,
        ts=ts,
        action=action,
        ref_id=parent,
        ref_author=ref_author,
        text=clean_text(text),
        lang=clean_lang(get_str(tweet, "lang")),
        tags=hashtags(entities, "tag", "entities.hashtags"),
        mentions=tuple(targets),
    )
    return facts, accounts


def _resolve(handle: str, mentions: list[tuple[str | None, str | None]], lookup: _Lookup) -> str:
    found = resolve_handle(handle, mentions)
    return lookup.ids.get(handle.lower(), found) if found == handle else found


def _is_tweet(item: dict[str, Any]) -> bool:
    return "username" not in item and any(key in item for key in _TWEET_KEYS)


def _flattened_includes(tweet: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """``(users, tweets)`` that twarc2's flattened form inlines into a tweet."""
    users: list[Any] = []
    tweets: list[Any] = []
    for key in ("author", "in_reply_to_user"):
        user = get_dict(tweet, key)
        if user:
            users.append(user)
    entities = get_dict(tweet, "entities")
    # Flattened mentions carry the whole user, when twarc found it (else only a username).
    users.extend(
        m
        for m in get_list(entities, "mentions", "entities.mentions")
        if isinstance(m, dict) and "id" in m
    )
    for ref in get_list(tweet, "referenced_tweets"):
        # Inlined referenced tweets are whole tweets; bare {type, id} ones are not.
        if isinstance(ref, dict) and ("text" in ref or "author_id" in ref):
            tweets.append(ref)
            author = get_dict(ref, "author", "referenced_tweets.author")
            if author:
                users.append(author)
    return users, tweets


def v2_value(
    value: Any,
    *,
    context: Context | None,
    observed: datetime | None,
    observed_fixed: bool = False,
) -> Iterator[Event | Account | Undated | Fault]:
    """Records of one v2 JSON value: a response page, a flattened tweet, or a list of them.

    ``observed`` places follows (and likes of tweets without a snowflake time); a page's
    ``__twarc.retrieved_at`` replaces it unless ``observed_fixed``. Without either they come
    back :class:`Undated`. A record that cannot be read comes back as a :class:`Fault`; a
    value of the wrong shape raises one.
    """
    if isinstance(value, list):
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                yield Fault(f"[{index}]", f"expected an object, found {describe(item)}")
                continue
            for record in v2_value(
                item, context=context, observed=observed, observed_fixed=observed_fixed
            ):
                if isinstance(record, Fault):
                    yield Fault(f"[{index}].{record.field}".rstrip("."), record.message)
                else:
                    yield record
        return
    if not isinstance(value, dict):
        raise Fault("", f"expected a v2 response object, found {describe(value)}")
    twarc = get_dict(value, "__twarc")
    if context is None:
        url = get_str(twarc, "url", "__twarc.url")
        context = endpoint(url)
    retrieved = twarc.get("retrieved_at")
    if retrieved is not None and not observed_fixed:
        observed = parse_time(retrieved, "__twarc.retrieved_at")
    if any(key in value for key in ("data", "includes", "meta", "errors")):
        data = value.get("data")
        if isinstance(data, dict):
            data_items: list[Any] = [data]
        elif isinstance(data, list):
            data_items = data
        elif data is None:
            data_items = []
        else:
            raise Fault("data", f"expected a list or an object, found {describe(data)}")
        includes = get_dict(value, "includes")
        users = get_list(includes, "users", "includes.users")
        tweets = get_list(includes, "tweets", "includes.tweets")
        prefix = "data"
    elif _is_tweet(value):
        data_items = [value]
        users, tweets = _flattened_includes(value)
        prefix = ""
    elif "username" in value:
        data_items = [value]
        users, tweets = [], []
        prefix = ""
    else:
        keys = ", ".join(sorted(map(str, value))[:5]) or "none"
        raise Fault("", f"expected a v2 response page or tweet, found an object with keys {keys}")
    yield from _page(data_items, users, tweets, prefix, context, observed)


def _page(
    data: list[Any],
    users: list[Any],
    tweets: list[Any],
    prefix: str,
    context: Context | None,
    observed: datetime | None,
) -> Iterator[Event | Account | Undated | Fault]:
    lookup = _Lookup()
    accounts: list[Account] = []
    faults: list[Fault] = []
    pending_users: list[tuple[str, dict[str, Any]]] = []
    pending_tweets: list[tuple[str, dict[str, Any]]] = []

    def where(base: str, index: int) -> str:
        return f"{base}[{index}]" if base else ""

    for index, user in enumerate(users):
        if not isinstance(user, dict):
            faults.append(
                Fault(f"includes.users[{index}]", f"expected an object, found {describe(user)}")
            )
            continue
        try:
            account = v2_user(user, f"includes.users[{index}]")
        except Fault as fault:
            faults.append(fault)
            continue
        accounts.append(account)
        lookup.add_user(account.account_id, account.handle)
    for index, item in enumerate(data):
        field = where(prefix, index)
        if not isinstance(item, dict):
            faults.append(Fault(field, f"expected an object, found {describe(item)}"))
        elif _is_tweet(item):
            lookup.add_tweet(item)
            pending_tweets.append((field, item))
        elif "username" in item:
            pending_users.append((field, item))
        # Anything else (lists, spaces) carries no interaction.
    for tweet in tweets:
        if isinstance(tweet, dict):
            lookup.add_tweet(tweet)
    for field, item in pending_users:
        try:
            account = v2_user(item, field or "user")
        except Fault as fault:
            faults.append(fault)
            continue
        accounts.append(account)
        lookup.add_user(account.account_id, account.handle)
    yield from faults
    yield from merge_accounts(accounts)
    emitted: set[str] = set()
    for field, item in pending_users:
        try:
            yield from _user_events(item, context, lookup, observed)
        except Fault as fault:
            yield Fault(_prefixed(field, fault.field), fault.message)
    for field, item in pending_tweets:
        yield from _tweet_records(item, field, lookup, context, observed, emitted)
    for index, tweet in enumerate(tweets):
        field = f"includes.tweets[{index}]"
        if not isinstance(tweet, dict):
            yield Fault(field, f"expected an object, found {describe(tweet)}")
            continue
        yield from _tweet_records(tweet, field, lookup, None, observed, emitted)


def _prefixed(prefix: str, field: str) -> str:
    if not prefix:
        return field
    return f"{prefix}.{field}" if field else prefix


def _tweet_records(
    tweet: dict[str, Any],
    field: str,
    lookup: _Lookup,
    context: Context | None,
    observed: datetime | None,
    emitted: set[str],
) -> Iterator[Event | Account | Undated | Fault]:
    try:
        facts, accounts = v2_tweet(tweet, lookup, context)
        records: list[Event | Account | Undated] = [*merge_accounts(accounts)]
        if facts.id not in emitted:
            records.extend(tweet_events(facts))
        if context is not None and context.kind == "users/liked_tweets":
            # The liked tweet is at hand: its own time bounds the like whatever its id.
            records.append(
                like_event(
                    context.subject,
                    facts.id,
                    target=facts.author,
                    ts=snowflake_time(facts.id) or facts.ts,
                    text=facts.text,
                    lang=facts.lang,
                )
            )
    except Fault as fault:
        yield Fault(_prefixed(field, fault.field), fault.message)
        return
    emitted.add(facts.id)
    yield from records


def _user_events(
    user: dict[str, Any], context: Context | None, lookup: _Lookup, observed: datetime | None
) -> list[Event | Undated]:
    if context is None:
        return []
    user_id = get_id(user, "id")
    if user_id is None:
        return []
    subject = context.subject
    if context.kind == "tweets/liking_users":
        ts = reaction_time(subject, observed)
        return [like_event(user_id, subject, target=lookup.authors.get(subject), ts=ts)]
    if context.kind == "tweets/retweeted_by":
        ts = reaction_time(subject, observed)
        return [repost_event(user_id, subject, target=lookup.authors.get(subject), ts=ts)]
    if context.kind == "users/followers":
        return [follow_event(user_id, subject, observed)]
    if context.kind == "users/following":
        return [follow_event(subject, user_id, observed)]
    return []


def read_v2_file(
    path: Path,
    *,
    label: str | None = None,
    context: Context | None = None,
    observed: datetime | None = None,
    observed_fixed: bool = False,
) -> Iterator[Record]:
    """The records of one v2 JSON file (any of the accepted layouts)."""
    name = label or str(path)
    layout, values = iter_json_file(path, name)
    for item in values:
        if item.error is not None:
            yield Rejected(item.error, item.raw)
            continue
        try:
            for record in v2_value(
                item.value, context=context, observed=observed, observed_fixed=observed_fixed
            ):
                if isinstance(record, Fault):
                    yield Rejected(record.at(name, line=item.line))
                else:
                    yield record
        except Fault as fault:
            error = fault.at(name, line=item.line)
            if layout == "document":
                raise error from None
            yield Rejected(error, item.raw)


class _Listed(NamedTuple):
    """A body listed in an ``index.tsv``, with the URL it answered."""

    body: Path
    url: str
    version: str


class TwitterV2Source(Source):
    name = "twitter-v2"
    description = (
        "X/Twitter API v2 JSON: twarc2 output (pages or flattened), saved response bodies, "
        "or a folder of bodies with an index.tsv of their URLs"
    )
    options: ClassVar[Mapping[str, str]] = {
        "url": "the request URL of a saved body that does not carry it, e.g. "
        "https://api.twitter.com/2/tweets/123/liking_users",
        "observed_at": "when the data was retrieved (ISO 8601): the time of follows, and of "
        "likes of tweets whose id carries no time (default: the page's __twarc.retrieved_at; "
        "without either they are undated and not stored)",
    }

    def sniff(self, path: Path) -> float:
        try:
            if path.is_dir():
                return 0.9 if any(self._indexes(path, limit=1)) else 0.0
            if not path.is_file():
                return 0.0
            return sniff_v2(peek(path, 4096))
        except Exception:  # sniffing must never fail, whatever the input
            return 0.0

    def read(self, path: Path) -> Iterator[Record]:
        observed = observed_option(self.params)
        url = self.params.get("url")
        if url is not None and _api_version(url) != "2":
            raise ConfigError(
                f"option url: expected an https://api.twitter.com/2/... request URL, found {url!r}"
            )
        context = endpoint(url)
        if path.is_dir():
            yield from self._read_folder(path, observed)
            return
        yield from read_v2_file(
            path, context=context, observed=observed, observed_fixed=observed is not None
        )

    @staticmethod
    def _indexes(folder: Path, *, limit: int | None = None) -> Iterator[Path]:
        """``index.tsv`` files under ``folder`` whose first entry is an X/Twitter API URL."""
        found = 0
        for candidate in (folder / "index.tsv", folder / "bodies" / "index.tsv"):
            if not candidate.is_file():
                continue
            first = peek(candidate, 1024).split(b"\n", 1)[0].decode("utf-8", "replace")
            columns = first.split("\t")
            if len(columns) >= 3 and _api_version(columns[2].strip()) is not None:
                found += 1
                yield candidate
                if limit is not None and found >= limit:
                    return

    def _read_folder(self, folder: Path, observed: datetime | None) -> Iterator[Record]:
        indexes = list(self._indexes(folder))
        if not indexes:
            raise SourceError(
                "expected an index.tsv (file<TAB>method<TAB>url<TAB>status) of X/Twitter API "
                "response bodies in this folder or in bodies/",
                path=folder,
            )
        listed = [entry for index in indexes for entry in self._entries(index)]
        self._check_unlisted(folder, indexes, listed)
        for entry in listed:
            if entry.version == "1.1":
                yield from read_v1_file(entry.body)
            else:
                yield from read_v2_file(
                    entry.body,
                    context=endpoint(entry.url),
                    observed=observed,
                    observed_fixed=observed is not None,
                )

    @staticmethod
    def _entries(index: Path) -> list[_Listed]:
        entries: list[_Listed] = []
        for number, raw in iter_lines(index):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise SourceError("not valid UTF-8 text", path=index, line=number) from None
            if not line.strip():
                continue
            columns = line.split("\t")
            if len(columns) < 3:
                raise SourceError(
                    f"expected file<TAB>method<TAB>url<TAB>status, found {line[:60]!r}",
                    path=index,
                    line=number,
                )
            name, url = columns[0].strip(), columns[2].strip()
            status = columns[3].strip() if len(columns) > 3 else ""
            if not name or Path(name).name != name:
                raise SourceError(
                    f"expected a file name in this folder, found {name!r}",
                    path=index,
                    line=number,
                    field="file",
                )
            version = _api_version(url)
            if version is None:
                raise SourceError(
                    f"expected an api.twitter.com/1.1 or /2 URL, found {url[:80]!r}",
                    path=index,
                    line=number,
                    field="url",
                )
            body = index.parent / name
            if status and not status.startswith("2"):
                continue  # an error response: no data
            if not body.is_file():
                raise SourceError(
                    f"the listed body {name!r} is missing", path=index, line=number, field="file"
                )
            entries.append(_Listed(body, url, version))
        return entries

    @staticmethod
    def _check_unlisted(folder: Path, indexes: list[Path], listed: list[_Listed]) -> None:
        # Nothing may be silently left out: every other file must be documentation or a
        # recorded cassette whose bodies the index lists (cassette "x.yaml" → "x__00.json").
        known = {entry.body.resolve() for entry in listed} | {i.resolve() for i in indexes}
        cassettes = {entry.body.name.rsplit("__", 1)[0] for entry in listed}
        for index in indexes:
            for _number, raw in iter_lines(index):
                name = raw.decode("utf-8", "replace").split("\t", 1)[0].strip()
                if name:
                    known.add((index.parent / name).resolve())
                    cassettes.add(name.rsplit("__", 1)[0])
        for file in sorted(folder.rglob("*")):
            if not file.is_file() or file.name.lower().startswith(_NOT_DATA):
                continue
            if file.suffix.lower() in _DOC_SUFFIXES:
                continue
            if file.resolve() in known:
                continue
            if file.suffix.lower() in (".yaml", ".yml", ".json") and file.stem in cassettes:
                continue
            raise SourceError(
                "not listed in index.tsv, and not a recorded cassette whose bodies are; "
                "ingest it on its own",
                path=file,
            )
