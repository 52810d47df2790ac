"""What the three X/Twitter importers share, so that one tweet yields the same events whatever
format it was read from (an account archive, API v1.1 JSON or API v2 / twarc2 JSON).

Conventions, on top of those of :mod:`sway.events`:

- Accounts are the numeric user ids (``actor``/``target``); handles and names go into
  :class:`~sway.events.Account` records. Where only a handle is known (a retweet stored as
  ``RT @handle:`` text, a quote link ``twitter.com/<handle>/status/<id>``), the handle is used.
- A tweet is exactly one created-item event, chosen in this order: ``repost`` (a retweet),
  ``reply`` (it replies to a tweet or a user), ``quote``, else ``post``. A reply that also
  quotes is a ``reply``; its quoted tweet is not linked.
- ``mention:{tweet}:{account}`` once per mentioned account per tweet, except the account a
  reply replies to. A retweet emits no mentions: they belong to the retweeted tweet.
- Likes are ``like:{actor}:{tweet}``. The sources never say when a like happened, so ``ts``
  is the liked tweet's creation time decoded from its snowflake id, else the time the data
  was observed. Lists of retweeters (no retweet ids) give ``repost:{actor}:{tweet}`` the same
  way. Follows are ``follow:{actor}:{target}`` at the time the data was observed. Such times
  are derived (``ts_derived``). The time the data was observed is one the input states (a
  page's ``__twarc.retrieved_at``, an archive's ``generationDate``) or the ``observed_at``
  option, never a file's modification time: without it, a follow (or a like of a tweet whose
  id carries no time) is :class:`~sway.sources.base.Undated`.
- Tweets embedded in others (``retweeted_status``, ``quoted_status``, v2 ``includes.tweets``)
  are events of their own authors.
- ``text`` has Twitter's HTML escapes (``&amp; &lt; &gt;``) undone; ``lang`` drops Twitter's
  non-language codes (``und``, ``qme``, ``zxx``, ...); ``tags`` are the hashtags.

The module also holds a streaming JSON reader for the three layouts these files come in:
JSON Lines, one big array (streamed element by element), and one or more whole documents.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

from sway.errors import ConfigError, SourceError
from sway.events import Account, Action, Event, parse_ts
from sway.sources._io import MAX_LINE_BYTES, iter_lines, open_binary, peek
from sway.sources.base import Undated

__all__ = [
    "FOLLOW",
    "LIKE",
    "MENTION",
    "NETWORK",
    "POST",
    "QUOTE",
    "REPLY",
    "REPOST",
    "RT_PREFIX_RE",
    "Fault",
    "JsonItem",
    "TweetFacts",
    "clean_lang",
    "clean_text",
    "describe",
    "follow_event",
    "get_count",
    "get_dict",
    "get_id",
    "get_list",
    "get_str",
    "hashtags",
    "iter_json_file",
    "iter_json_values",
    "json_layout",
    "like_event",
    "merge_accounts",
    "observed_option",
    "parse_time",
    "reaction_time",
    "repost_event",
    "resolve_handle",
    "snowflake_time",
    "tweet_events",
    "undated",
    "v1_records",
    "v1_tweet",
    "v1_user",
    "v1_value",
]

NETWORK = "twitter"
# Plain strings, as stored (Action is a StrEnum).
POST = Action.POST.value
REPLY = Action.REPLY.value
QUOTE = Action.QUOTE.value
REPOST = Action.REPOST.value
MENTION = Action.MENTION.value
LIKE = Action.LIKE.value
FOLLOW = Action.FOLLOW.value

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SNOWFLAKE_EPOCH_MS = 1288834974657
# Ids from before snowflakes (Nov 2010) are sequential: decoded, they all land within seconds
# of the snowflake epoch. Anything under a minute past it is not a timestamp.
_MIN_SNOWFLAKE = 60_000 << 22
_ID_RE = re.compile(r"[0-9]{1,20}")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
# v1.1 and archive time: "Thu Nov 03 08:50:26 +0000 2022" (parsed by hand: strptime's %a/%b
# follow the process locale).
_V1_TIME_RE = re.compile(
    r"[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) "
    r"([+-])([0-9]{2})([0-9]{2}) ([0-9]{4})"
)
RT_PREFIX_RE = re.compile(r"RT @(\w{1,50}):")
STATUS_URL_RE = re.compile(
    r"https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?:#!/)?(\w{1,50})/status(?:es)?/([0-9]{1,20})",
    re.IGNORECASE,
)
_NOT_LANGUAGES = frozenset({"und", "zxx", "art", "mis", "mul"})
# Twitter still uses some withdrawn ISO 639 codes.
_LANG_ALIASES = {"in": "id", "iw": "he", "ji": "yi"}
_LANG_RE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


class Fault(Exception):
    """A problem with one record: the field at fault and what was found versus expected.

    Readers turn it into a :class:`SourceError` that also names the file and line.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def at(
        self,
        path: str | Path,
        *,
        line: int | None = None,
        record: int | str | None = None,
    ) -> SourceError:
        return SourceError(self.message, path=path, line=line, record=record, field=self.field)


def describe(value: Any) -> str:
    """A short description of a JSON value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}{'...' if len(text) > 40 else ''}"


# --- typed access to loose JSON ------------------------------------------------------------


def get_dict(obj: dict[str, Any], key: str, field: str | None = None) -> dict[str, Any]:
    """``obj[key]`` as an object; missing or null is ``{}``."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Fault(field or key, f"expected an object, found {describe(value)}")
    return value


def get_list(obj: dict[str, Any], key: str, field: str | None = None) -> list[Any]:
    """``obj[key]`` as a list; missing or null is ``[]``."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Fault(field or key, f"expected a list, found {describe(value)}")
    return value


def get_str(obj: dict[str, Any], key: str, field: str | None = None) -> str | None:
    """``obj[key]`` as a non-empty string, or ``None``."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Fault(field or key, f"expected a string, found {describe(value)}")
    return value or None


def get_id(obj: dict[str, Any], *keys: str, field: str | None = None) -> str | None:
    """The first of ``keys`` present, as a numeric id string (ids may be strings or numbers)."""
    for key in keys:
        value = obj.get(key)
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**20:
            return str(value)
        if isinstance(value, str) and _ID_RE.fullmatch(value):
            return value
        raise Fault(field or key, f"expected a numeric id, found {describe(value)}")
    return None


def get_count(obj: dict[str, Any], key: str, field: str | None = None) -> int | None:
    """A non-negative count that may be a number or a string of digits (archives)."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    if isinstance(value, str) and _ID_RE.fullmatch(value) and int(value) < 2**63:
        return int(value)
    raise Fault(field or key, f"expected a count, found {describe(value)}")


def items(values: list[Any], field: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(field[i], item)`` for each element of a list of objects."""
    for i, value in enumerate(values):
        where = f"{field}[{i}]"
        if not isinstance(value, dict):
            raise Fault(where, f"expected an object, found {describe(value)}")
        yield where, value


# --- values --------------------------------------------------------------------------------


def parse_time(value: Any, field: str) -> datetime:
    """A v1.1/archive time (``Thu Nov 03 08:50:26 +0000 2022``) or an ISO 8601 instant."""
    if isinstance(value, str):
        match = _V1_TIME_RE.fullmatch(value.strip())
        if match:
            mon, day, hh, mm, ss, sign, oh, om, year = match.groups()
            try:
                local = datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss))
                offset = timedelta(hours=int(oh), minutes=int(om))
                utc = local - offset if sign == "+" else local + offset
            except (KeyError, ValueError, OverflowError):
                pass
            else:
                return utc.replace(tzinfo=UTC)
        elif value[:1].isdigit():
            try:
                return parse_ts(value)
            except (ValueError, OverflowError):
                pass
    raise Fault(
        field,
        f"expected a time such as 'Thu Nov 03 08:50:26 +0000 2022' or "
        f"'2022-11-03T08:50:26.000Z', found {describe(value)}",
    )


def snowflake_time(tweet_id: str | None) -> datetime | None:
    """The creation time a snowflake id encodes, or ``None`` for ids from before snowflakes."""
    if tweet_id is None:
        return None
    number = int(tweet_id)
    if number < _MIN_SNOWFLAKE or number >= 1 << 63:
        return None
    return _EPOCH + timedelta(milliseconds=(number >> 22) + _SNOWFLAKE_EPOCH_MS)


def clean_text(value: str | None) -> str | None:
    """Undo the only HTML escapes Twitter applies to tweet text."""
    if not value:
        return None
    if "&" in value:
        value = value.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return value


def clean_lang(value: str | None) -> str | None:
    """Twitter's ``lang`` as BCP 47, or ``None`` for its codes that are not a language."""
    if value is None:
        return None
    code = value.strip()
    if not _LANG_RE.fullmatch(code):
        return None
    primary = code.split("-", 1)[0].lower()
    if primary in _NOT_LANGUAGES or (len(primary) == 3 and primary[0] == "q"):
        return None
    return _LANG_ALIASES.get(code.lower(), code)


def hashtags(entities: dict[str, Any], key: str, field: str) -> tuple[str, ...] | None:
    """The distinct hashtags of an ``entities`` object, in order of appearance."""
    seen: dict[str, None] = {}
    for where, tag in items(get_list(entities, "hashtags", field), field):
        text = get_str(tag, key, f"{where}.{key}")
        if text and "|" not in text:
            seen.setdefault(text.lstrip("#"), None)
    return tuple(t for t in seen if t) or None


def observed_option(params: dict[str, str]) -> datetime | None:
    """The ``observed_at`` option: when the data was retrieved (for follows and likes)."""
    value = params.get("observed_at")
    if value is None:
        return None
    try:
        return parse_ts(value)
    except ValueError as exc:
        raise ConfigError(f"option observed_at: {exc}") from None


# --- tweets to events ----------------------------------------------------------------------


class TweetFacts(NamedTuple):
    """What the importers agree a tweet is, whatever format it came in."""

    id: str
    author: str | None
    ts: datetime
    action: str
    ref_id: str | None = None
    ref_author: str | None = None
    text: str | None = None
    lang: str | None = None
    tags: tuple[str, ...] | None = None
    mentions: tuple[str, ...] = ()


def tweet_events(tweet: TweetFacts) -> list[Event]:
    """The created-item event of a tweet and its mention events (none without an author)."""
    if tweet.author is None:
        return []
    action = tweet.action
    if action == REPOST and tweet.ref_id is None and tweet.ref_author is None:
        raise Fault("retweeted_status", "expected the retweeted tweet or its author, found neither")
    main = Event(
        network=NETWORK,
        event_id=tweet.id,
        ts=tweet.ts,
        actor=tweet.author,
        action=action,
        target=tweet.ref_author if action != POST else None,
        content_id=tweet.ref_id if action == REPOST else tweet.id,
        parent_id=tweet.ref_id if action in (REPLY, QUOTE) else None,
        text=tweet.text,
        tags=tweet.tags,
        lang=tweet.lang,
    )
    events = [main]
    if action == REPOST:
        return events
    seen: set[str] = set()
    for target in tweet.mentions:
        if target in seen or (action == REPLY and target == tweet.ref_author):
            continue
        seen.add(target)
        events.append(
            Event(
                network=NETWORK,
                event_id=f"mention:{tweet.id}:{target}",
                ts=tweet.ts,
                actor=tweet.author,
                action=MENTION,
                target=target,
                content_id=tweet.id,
            )
        )
    return events


def reaction_time(tweet_id: str, observed: datetime | None) -> datetime | None:
    """When a like or retweet without its own time is placed (see the module docstring), or
    ``None`` when nothing tells: the reaction is then :func:`undated`."""
    return snowflake_time(tweet_id) or observed


def undated(action: str, event_id: str) -> Undated:
    """A like, retweet or follow that no time of the input places."""
    return Undated(network=NETWORK, event_id=event_id, action=action)


def like_event(
    actor: str,
    tweet_id: str,
    *,
    target: str | None,
    ts: datetime | None,
    text: str | None = None,
    lang: str | None = None,
) -> Event | Undated:
    """A like: its ``ts`` is always derived (no source says when a like happened)."""
    event_id = f"like:{actor}:{tweet_id}"
    if ts is None:
        return undated(LIKE, event_id)
    return Event(
        network=NETWORK,
        event_id=event_id,
        ts=ts,
        actor=actor,
        action=LIKE,
        target=target,
        content_id=tweet_id,
        text=text,
        lang=lang,
        ts_derived=True,
    )


def repost_event(
    actor: str, tweet_id: str, *, target: str | None, ts: datetime | None
) -> Event | Undated:
    """A retweet known only from a list of retweeters (its own id and time are not known)."""
    event_id = f"repost:{actor}:{tweet_id}"
    if ts is None:
        return undated(REPOST, event_id)
    return Event(
        network=NETWORK,
        event_id=event_id,
        ts=ts,
        actor=actor,
        action=REPOST,
        target=target,
        content_id=tweet_id,
        ts_derived=True,
    )


def follow_event(actor: str, target: str, ts: datetime | None) -> Event | Undated:
    """A follow, at the time the data was observed (derived), else undated."""
    event_id = f"follow:{actor}:{target}"
    if ts is None:
        return undated(FOLLOW, event_id)
    return Event(
        network=NETWORK,
        event_id=event_id,
        ts=ts,
        actor=actor,
        action=FOLLOW,
        target=target,
        ts_derived=True,
    )


def resolve_handle(handle: str, mentions: Iterable[tuple[str | None, str | None]]) -> str:
    """The id of ``handle`` if one of the tweet's mention entities gives it, else the handle."""
    wanted = handle.lower()
    for mention_id, mention_handle in mentions:
        if mention_id and mention_handle and mention_handle.lower() == wanted:
            return mention_id
    return handle


def quote_link(urls: list[Any], field: str) -> tuple[str, str | None] | None:
    """``(tweet id, author handle or None)`` of the first link to a tweet among entity URLs."""
    for where, url in items(urls, field):
        expanded = get_str(url, "expanded_url", f"{where}.expanded_url")
        match = STATUS_URL_RE.match(expanded or "")
        if match:
            handle = match.group(1)
            return match.group(2), (None if handle.lower() == "i" else handle)
    return None


# --- v1.1-shaped tweets (API v1.1 and account archives) ------------------------------------


def v1_user(user: dict[str, Any], field: str = "user") -> Account:
    """A v1.1 user object as an :class:`Account`."""
    user_id = get_id(user, "id_str", "id", field=f"{field}.id_str")
    if user_id is None:
        raise Fault(f"{field}.id_str", "expected the user id, found nothing")
    created = user.get("created_at")
    return Account(
        network=NETWORK,
        account_id=user_id,
        handle=get_str(user, "screen_name", f"{field}.screen_name"),
        display_name=get_str(user, "name", f"{field}.name"),
        created_at=parse_time(created, f"{field}.created_at") if created is not None else None,
        followers=get_count(user, "followers_count", f"{field}.followers_count"),
        following=get_count(user, "friends_count", f"{field}.friends_count"),
    )


def v1_tweet(
    obj: dict[str, Any], *, owner: str | None = None
) -> tuple[TweetFacts, list[Account], list[tuple[str, dict[str, Any]]]]:
    """A v1.1 (or archive) tweet: its facts, the accounts it names, and embedded tweets.

    ``owner`` is the author when the tweet has no ``user`` (tweets in an account archive).
    Embedded tweets come back as ``(field, tweet)`` for the caller to read in turn.
    """
    tweet_id = get_id(obj, "id_str", "id")
    if tweet_id is None:
        raise Fault("id_str", "expected the tweet id, found nothing")
    accounts: list[Account] = []
    user = get_dict(obj, "user")
    author = owner
    if user:
        account = v1_user(user)
        accounts.append(account)
        author = account.account_id
    if author is None:
        raise Fault("user", "expected the author of the tweet, found nothing")
    created = obj.get("created_at")
    ts = parse_time(created, "created_at") if created is not None else snowflake_time(tweet_id)
    if ts is None:
        raise Fault("created_at", "expected the time of the tweet, found nothing")
    extended = get_dict(obj, "extended_tweet")
    text = (
        get_str(extended, "full_text", "extended_tweet.full_text")
        or get_str(obj, "full_text")
        or get_str(obj, "text")
    )
    entities = get_dict(extended, "entities", "extended_tweet.entities") or get_dict(
        obj, "entities"
    )
    mentions: list[tuple[str | None, str | None]] = []
    targets: list[str] = []
    for where, mention in items(
        get_list(entities, "user_mentions", "entities.user_mentions"), "entities.user_mentions"
    ):
        mention_id = get_id(mention, "id_str", "id", field=f"{where}.id_str")
        handle = get_str(mention, "screen_name", f"{where}.screen_name")
        if mention_id and handle:
            accounts.append(
                Account(
                    NETWORK,
                    mention_id,
                    handle=handle,
                    display_name=get_str(mention, "name", f"{where}.name"),
                )
            )
        target = mention_id or handle
        if target:
            mentions.append((mention_id, handle))
            targets.append(target)
    reply_to = get_id(obj, "in_reply_to_status_id_str", "in_reply_to_status_id")
    reply_user = get_id(obj, "in_reply_to_user_id_str", "in_reply_to_user_id")
    reply_handle = get_str(obj, "in_reply_to_screen_name")
    if reply_user and reply_handle:
        accounts.append(Account(NETWORK, reply_user, handle=reply_handle))
    retweeted = get_dict(obj, "retweeted_status")
    quoted = get_dict(obj, "quoted_status")
    nested: list[tuple[str, dict[str, Any]]] = []
    if retweeted:
        nested.append(("retweeted_status", retweeted))
    if quoted:
        nested.append(("quoted_status", quoted))
    ref_id: str | None = None
    ref_author: str | None = None
    rt_match = RT_PREFIX_RE.match(text or "")
    if retweeted:
        action = REPOST
        ref_id = get_id(retweeted, "id_str", "id", field="retweeted_status.id_str")
        ref_author = get_id(
            get_dict(retweeted, "user", "retweeted_status.user"),
            "id_str",
            "id",
            field="retweeted_status.user.id_str",
        )
    elif rt_match:
        # Archives keep retweets only as "RT @handle: ..." text with a mention entity.
        action = REPOST
        ref_author = resolve_handle(rt_match.group(1), mentions)
    elif reply_to or reply_user:
        action = REPLY
        ref_id = reply_to
        ref_author = reply_user or reply_handle
    else:
        ref_id = get_id(obj, "quoted_status_id_str", "quoted_status_id") or get_id(
            quoted, "id_str", "id", field="quoted_status.id_str"
        )
        if quoted:
            ref_author = get_id(
                get_dict(quoted, "user", "quoted_status.user"),
                "id_str",
                "id",
                field="quoted_status.user.id_str",
            )
        if ref_id is None and obj.get("is_quote_status") is not False:
            # Archives keep no quoted_status: a quote is a link to the quoted tweet.
            link = quote_link(get_list(entities, "urls", "entities.urls"), "entities.urls")
            if link is not None:
                ref_id = link[0]
                ref_author = resolve_handle(link[1], mentions) if link[1] else None
        action = QUOTE if ref_id else POST
    facts = TweetFacts(
        id=tweet_id,
        author=author,
        ts=ts,
        action=action,
        ref_id=ref_id,
        ref_author=ref_author,
        text=clean_text(text),
        lang=clean_lang(get_str(obj, "lang")),
        tags=hashtags(entities, "text", "entities.hashtags"),
        mentions=tuple(targets),
    )
    return facts, accounts, nested


#: v1.1 streaming messages that are not tweets and carry no interaction.
_V1_NOTICES = frozenset(
    {
        "delete",
        "scrub_geo",
        "limit",
        "status_withheld",
        "user_withheld",
        "disconnect",
        "warning",
        "friends",
        "friends_str",
        "event",
        "for_user",
        "control",
    }
)


def v1_value(value: Any, *, owner: str | None = None) -> Iterator[Event | Account | Fault]:
    """Records of one v1.1 JSON value: a tweet, a list of tweets, a search page or a notice.

    A tweet that cannot be read comes back as a :class:`Fault` (its field says which tweet)
    and the others are still read; a value of the wrong shape raises :class:`Fault`.
    """
    if isinstance(value, list):
        tweets = list(enumerate(value))
        prefix = ""
    elif not isinstance(value, dict):
        raise Fault("", f"expected a tweet object or a list of tweets, found {describe(value)}")
    elif "statuses" in value:
        tweets = list(enumerate(get_list(value, "statuses")))
        prefix = "statuses"
    elif "id_str" in value or "id" in value or "created_at" in value:
        tweets = [(-1, value)]
        prefix = ""
    elif value and set(value) <= _V1_NOTICES:
        return
    else:
        keys = ", ".join(sorted(map(str, value))[:5]) or "none"
        raise Fault(
            "", f"expected a tweet (with id_str, created_at), found an object with keys {keys}"
        )
    for index, tweet in tweets:
        where = prefix if index < 0 else f"{prefix}[{index}]"
        if not isinstance(tweet, dict):
            yield Fault(where, f"expected a tweet object, found {describe(tweet)}")
            continue
        try:
            records = v1_records(tweet, where, owner)
        except Fault as fault:
            yield fault
            continue
        yield from records


def v1_records(
    tweet: dict[str, Any], where: str = "", owner: str | None = None
) -> list[Event | Account]:
    """The records of one v1.1 tweet and of the tweets embedded in it, two levels deep.

    Raises :class:`Fault` whose field starts with ``where``.
    """
    records: list[Event | Account] = []
    pending = [(where, tweet, 0)]
    while pending:
        field, obj, depth = pending.pop(0)
        try:
            facts, accounts, nested = v1_tweet(obj, owner=owner if depth == 0 else None)
            events = tweet_events(facts)
        except Fault as fault:
            raise Fault(_join(field, fault.field), fault.message) from None
        records.extend(merge_accounts(accounts))
        records.extend(events)
        if depth < 2:
            pending.extend((_join(field, name), sub, depth + 1) for name, sub in nested)
    return records


def _join(prefix: str, field: str) -> str:
    if not prefix:
        return field
    if not field:
        return prefix
    return f"{prefix}{field}" if field.startswith("[") else f"{prefix}.{field}"


def merge_accounts(accounts: list[Account]) -> list[Account]:
    """One record per account id, the fuller one winning field by field."""
    merged: dict[str, Account] = {}
    for account in accounts:
        old = merged.get(account.account_id)
        if old is None:
            merged[account.account_id] = account
        else:
            merged[account.account_id] = old._replace(
                **{k: v for k, v in account._asdict().items() if v is not None}
            )
    return list(merged.values())


# --- streaming JSON ------------------------------------------------------------------------


class JsonItem(NamedTuple):
    """One JSON value read from a file, or the error that made one line unreadable."""

    line: int
    value: Any
    error: SourceError | None = None
    raw: str | None = None


_CHUNK = 1 << 20
_WS = " \t\r\n"
_DECODER = json.JSONDecoder()
_JS_ASSIGNMENT_RE = re.compile(r"\s*window\.[A-Za-z0-9_.$]+\s*=\s*")


def json_layout(head: bytes) -> str:
    """``array``, ``lines`` or ``document`` from the first bytes of a JSON file.

    A file opening with ``[`` is one array (streamed element by element); one whose first
    line is a lone ``{`` is pretty-printed whole documents; anything else is JSON Lines.
    """
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "array"
    first = text.split(b"\n", 1)[0].strip()
    return "document" if first == b"{" else "lines"


def iter_json_file(path: Path, label: str | None = None) -> tuple[str, Iterator[JsonItem]]:
    """The layout of ``path`` and its JSON values, streamed.

    In JSON Lines a line that is not JSON comes back as an item with ``error`` set, and
    reading goes on; in the other layouts bad JSON raises :class:`SourceError`.
    """
    name = label or str(path)
    layout = json_layout(peek(path, 4096))
    if layout == "lines":
        return layout, _iter_lines(path, name)
    return layout, _iter_stream(path, name, array=layout == "array")


def _iter_lines(path: Path, label: str) -> Iterator[JsonItem]:
    for number, raw in iter_lines(path):
        if not raw.strip():
            continue
        try:
            yield JsonItem(number, orjson.loads(raw))
        except orjson.JSONDecodeError as exc:
            text = raw.decode("utf-8", "replace")
            error = SourceError(f"not valid JSON ({exc})", path=label, line=number)
            yield JsonItem(number, None, error, text[:10_000])


def _iter_stream(path: Path, label: str, *, array: bool) -> Iterator[JsonItem]:
    with open_binary(path) as fh:
        yield from iter_json_values(fh, label, array=array)


def iter_json_values(
    fh: IO[bytes], label: str, *, array: bool, js_assignment: bool = False
) -> Iterator[JsonItem]:
    """Stream the JSON values of ``fh`` in constant memory (one value at a time).

    ``array``: the content is one array and its elements are yielded; otherwise each
    top-level value is. ``js_assignment``: the content starts with ``window.NAME =``, as
    in X archives. Any fault raises :class:`SourceError` naming ``label`` and the line.
    """
    reader = _Buffer(fh, label)
    reader.fill()
    if js_assignment:
        match = _JS_ASSIGNMENT_RE.match(reader.buf)
        if not match:
            raise SourceError(
                f"expected 'window.YTD.<name>.part0 = [' at the start, found {reader.buf[:40]!r}",
                path=label,
                line=1,
            )
        reader.advance(match.end())
    count = 0
    if array:
        if not reader.skip_ws() or reader.buf[reader.pos] != "[":
            found = reader.buf[reader.pos : reader.pos + 20] if reader.more() else "nothing"
            raise SourceError(
                f"expected a JSON array, found {found!r}", path=label, line=reader.line
            )
        reader.advance(reader.pos + 1)
        if reader.skip_ws() and reader.buf[reader.pos] == "]":
            reader.advance(reader.pos + 1)
            reader.expect_end(array=True)
            return
    while True:
        if not reader.skip_ws():
            if array:
                raise SourceError(
                    "truncated: the array is not closed with ']'", path=label, line=reader.line
                )
            return
        if array and reader.buf[reader.pos] == "]" and count:
            # A trailing comma before ']' (allowed in JavaScript).
            reader.advance(reader.pos + 1)
            reader.expect_end(array=True)
            return
        line = reader.line
        value = reader.value()
        count += 1
        yield JsonItem(line, value)
        if js_assignment and not array:
            reader.expect_end(array=False)
            return
        if array:
            if not reader.skip_ws():
                raise SourceError(
                    "truncated: the array is not closed with ']'", path=label, line=reader.line
                )
            sep = reader.buf[reader.pos]
            reader.advance(reader.pos + 1)
            if sep == "]":
                reader.expect_end(array=True)
                return
            if sep != ",":
                raise SourceError(
                    f"expected ',' or ']' after array element {count}, found {sep!r}",
                    path=label,
                    line=reader.line,
                )


class _Buffer:
    """Decoded text of a byte stream, read in chunks, with the line number of ``pos``."""

    def __init__(self, fh: IO[bytes], label: str) -> None:
        self.fh = fh
        self.label = label
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.eof = False

    def fill(self, size: int = _CHUNK) -> bool:
        """Read about ``size`` more bytes; ``False`` at the end of the input."""
        if self.eof:
            return False
        try:
            data = self.fh.read(size)
            text = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            # The bad byte's own line: the lines not yet consumed, then those of this chunk
            # before it (the decoder's object is this chunk, after any bytes it held back).
            line = (
                self.line + self.buf.count("\n", self.pos) + exc.object.count(b"\n", 0, exc.start)
            )
            raise SourceError(
                f"not valid UTF-8 text ({exc.reason})", path=self.label, line=line
            ) from None
        except SourceError:
            raise
        except Exception as exc:  # decompression and archive members fail in many ways
            raise SourceError(
                f"unreadable or truncated data ({type(exc).__name__}: {exc})",
                path=self.label,
                line=self.line,
            ) from None
        if not data:
            self.eof = True
        # Drop what has been consumed so memory stays bounded by one value.
        self.buf = self.buf[self.pos :] + text
        self.pos = 0
        return bool(data) or bool(text)

    def more(self) -> bool:
        return self.pos < len(self.buf)

    def advance(self, to: int) -> None:
        self.line += self.buf.count("\n", self.pos, to)
        self.pos = to

    def skip_ws(self) -> bool:
        """Skip whitespace; ``False`` if the input ends first."""
        while True:
            buf, pos = self.buf, self.pos
            while pos < len(buf) and buf[pos] in _WS:
                pos += 1
            self.advance(pos)
            if self.more():
                return True
            if not self.fill():
                return False

    def expect_end(self, *, array: bool) -> None:
        while True:
            rest = self.buf[self.pos :].strip(_WS + ";")
            if rest:
                raise SourceError(
                    f"unexpected content after the {'array' if array else 'value'}: {rest[:20]!r}",
                    path=self.label,
                    line=self.line,
                )
            self.advance(len(self.buf))
            if not self.fill():
                return

    def value(self) -> Any:
        """Decode the value at ``pos``, reading more input until it is complete."""
        want = _CHUNK
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # An error near the end of what was read may only mean the value goes on.
                unterminated = exc.msg.startswith("Unterminated")
                if (exc.pos >= len(self.buf) - 64 or unterminated) and self._grow(want):
                    want *= 2
                    continue
                truncated = exc.pos >= len(self.buf) or unterminated
                line = self.line + self.buf.count("\n", self.pos, exc.pos)
                raise SourceError(
                    f"{'truncated' if truncated else 'invalid'} JSON ({exc.msg})",
                    path=self.label,
                    line=line,
                ) from None
            except RecursionError:
                raise SourceError(
                    "JSON nested too deeply", path=self.label, line=self.line
                ) from None
            if end >= len(self.buf) and not self.eof and self._grow(want):
                # A number cut at the end of the buffer decodes too early: retry whole.
                continue
            self.advance(end)
            return value

    def _grow(self, size: int) -> bool:
        if len(self.buf) - self.pos > MAX_LINE_BYTES:
            raise SourceError(
                f"a JSON value longer than {MAX_LINE_BYTES} characters; refusing to read it",
                path=self.label,
                line=self.line,
            )
        return self.fill(size)
