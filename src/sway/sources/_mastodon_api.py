"""Mastodon REST API responses saved as JSON: statuses, notifications, accounts and the rest.

Each file is one response body (or a JSON array of many entities). The entity is recognised by
its keys: Status, Notification, Account, Conversation, Context, search results, Relationship.
Bare lists of accounts (``favourited_by``, ``reblogged_by``, ``followers``, ``following``) do
not say what they list; their meaning comes from the request URL when an ``index.tsv`` beside the
file gives it (``file<TAB>method<TAB>url``).

The REST API names posts and accounts by server-local numeric ids; Sway uses the post's
ActivityPub ``uri`` and the account's ``acct@instance`` (see ``_mastodon_ids``). A
:class:`ApiContext` remembers, within one input, which local id is which post or account, so that
``in_reply_to_id`` and ``favourited_by`` can be resolved when the post was seen earlier.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sway.errors import SourceError
from sway.events import Action
from sway.sources._html import html_text
from sway.sources._jsonstream import iter_top
from sway.sources._mastodon_ids import (
    NETWORK,
    account_from_uri,
    acct_id,
    host_of,
    snowflake_id_time,
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

__all__ = ["ApiContext", "classify", "read_api_json"]

_STATUS_LIST_URL = re.compile(r"/api/v1/statuses/([0-9A-Za-z]+)/(favourited_by|reblogged_by)")
_ACCOUNT_LIST_URL = re.compile(r"/api/v1/accounts/([0-9A-Za-z]+)/(followers|following)")
# Responses that are Mastodon's but carry no interaction (instance metadata, counters, markers).
_INERT_KEYS = (
    frozenset({"count"}),
    frozenset({"home", "notifications"}),
)


class _Bounded:
    """A dict that forgets everything when full: constant memory, best-effort lookups."""

    def __init__(self, limit: int = 200_000) -> None:
        self.data: dict[str, tuple[str, str | None]] = {}
        self.limit = limit

    def put(self, key: str, value: tuple[str, str | None]) -> None:
        if len(self.data) >= self.limit:
            self.data.clear()
        self.data[key] = value

    def get(self, key: Any) -> tuple[str, str | None] | None:
        return self.data.get(key) if isinstance(key, str) else None


class ApiContext:
    """What one read has learnt so far: local ids of posts and accounts, and who "me" is."""

    def __init__(self, me: str | None = None) -> None:
        self.me = me
        self.statuses = _Bounded()  # local status id -> (uri, author id)
        self.accounts = _Bounded()  # local account id -> (account id, created_at ISO)
        self.seen = Seen()

    def fresh(self) -> ApiContext:
        """A context for a second pass: what was learnt is kept, nothing counts as emitted."""
        ctx = ApiContext(self.me)
        ctx.statuses, ctx.accounts = self.statuses, self.accounts
        return ctx


def api_account_id(account: dict[str, Any]) -> str | None:
    """``acct@instance`` of a REST API Account (or a status's ``mentions[]`` entry)."""
    domain = host_of(account.get("url")) or host_of(account.get("uri"))
    return acct_id(account.get("acct"), domain) or account_from_uri(account.get("uri"))


def _handle(account: dict[str, Any]) -> str | None:
    acct = as_str(account.get("acct"))
    if acct is None:
        return None
    if "@" in acct.lstrip("@"):
        user, _, dom = acct.lstrip("@").partition("@")
        return f"{user}@{dom.lower()}"
    domain = host_of(account.get("url")) or host_of(account.get("uri"))
    return f"{acct.lstrip('@')}@{domain}" if domain else None


def _account(account: Any, ctx: ApiContext) -> tuple[str | None, list[Record]]:
    """The account id of an Account entity, and its Account record (if new)."""
    account = as_dict(account)
    account_id = api_account_id(account)
    if account_id is None:
        return None, []
    local = as_str(account.get("id"))
    if local:
        ctx.accounts.put(local, (account_id, as_str(account.get("created_at"))))
    records: list[Record] = list(
        account_record(
            NETWORK,
            account_id,
            seen=ctx.seen,
            handle=_handle(account),
            display_name=account.get("display_name"),
            created_at=account.get("created_at"),
            followers=account.get("followers_count"),
            following=account.get("following_count"),
            is_bot=account.get("bot"),
        )
    )
    return account_id, records


def classify(obj: Any) -> str | None:
    """Which REST API entity ``obj`` is, by its keys; ``None`` if none."""
    if not isinstance(obj, dict):
        return None
    keys = obj.keys()
    if "type" in keys and "account" in keys and ("status" in keys or "group_key" in keys):
        return "notification"
    if "last_status" in keys or ("accounts" in keys and "unread" in keys):
        return "conversation"
    if "ancestors" in keys or "descendants" in keys:
        return "context"
    if "statuses" in keys and "accounts" in keys:
        return "search"
    if "account" in keys and ("visibility" in keys or "reblog" in keys or "spoiler_text" in keys):
        return "status"
    if "acct" in keys:
        return "account"
    if "showing_reblogs" in keys or ("following" in keys and "followed_by" in keys):
        return "relationship"
    if not keys or frozenset(keys) in _INERT_KEYS:
        return "inert"
    if "domain" in keys and ("registrations" in keys or "configuration" in keys):
        return "inert"  # /api/v2/instance
    if "uri" in keys and "title" in keys and ("stats" in keys or "urls" in keys):
        return "inert"  # /api/v1/instance
    return None


def _status(status: dict[str, Any], ctx: ApiContext, *, path: Path, where: str) -> Iterator[Record]:
    author, accounts = _account(status.get("account"), ctx)
    yield from accounts
    reblog = status.get("reblog")
    if isinstance(reblog, dict):
        yield from _status(reblog, ctx, path=path, where=where)
        original = as_str(reblog.get("uri")) or as_str(reblog.get("url"))
        target = api_account_id(as_dict(reblog.get("account")))
        yield emit(
            {
                "network": NETWORK,
                "event_id": status.get("uri") or status.get("url"),
                "ts": status.get("created_at"),
                "actor": author,
                "action": Action.REPOST.value,
                "target": target,
                "content_id": original,
            },
            path=path,
            record=where,
        )
        return
    uri = status.get("uri") or status.get("url")
    local = as_str(status.get("id"))
    if local and isinstance(uri, str) and author:
        ctx.statuses.put(local, (uri, author))
    mentions: list[str] = []
    mention_ids: dict[str, str] = {}
    for mention in as_list(status.get("mentions")):
        mention = as_dict(mention)
        mentioned = api_account_id(mention)
        if mentioned:
            mentions.append(mentioned)
            if as_str(mention.get("id")):
                mention_ids[mention["id"]] = mentioned
            yield from account_record(NETWORK, mentioned, seen=ctx.seen, handle=_handle(mention))
    quoted_status = _quoted(status.get("quote"))
    if quoted_status is not None:
        yield from _status(quoted_status, ctx, path=path, where=where)
    parent_local = as_str(status.get("in_reply_to_id"))
    if parent_local:
        known = ctx.statuses.get(parent_local)
        account_local = status.get("in_reply_to_account_id")
        target = mention_ids.get(account_local) if isinstance(account_local, str) else None
        if target is None:
            seen_account = ctx.accounts.get(account_local)
            target = seen_account[0] if seen_account else (known[1] if known else None)
        action, parent_id = Action.REPLY, known[0] if known else None
    elif quoted_status is not None:
        action = Action.QUOTE
        parent_id = as_str(quoted_status.get("uri"))
        target = api_account_id(as_dict(quoted_status.get("account")))
    else:
        action, parent_id, target = Action.POST, None, None
    tags = [t["name"] for t in map(as_dict, as_list(status.get("tags"))) if as_str(t.get("name"))]
    yield emit(
        {
            "network": NETWORK,
            "event_id": uri,
            "ts": status.get("created_at"),
            "actor": author,
            "action": action.value,
            "target": target,
            "content_id": uri,
            "parent_id": parent_id,
            "text": html_text(status.get("content"), keep_breaks=True)
            or as_str(status.get("text")),
            "tags": tags or None,
            "lang": as_str(status.get("language")),
        },
        path=path,
        record=where,
    )
    for mentioned in dict.fromkeys(mentions):
        if action == Action.REPLY and mentioned == target:
            continue  # a reply does not also mention the account it replies to
        yield emit(
            {
                "network": NETWORK,
                "event_id": f"mention:{uri}:{mentioned}",
                "ts": status.get("created_at"),
                "actor": author,
                "action": Action.MENTION.value,
                "target": mentioned,
                "content_id": uri,
            },
            path=path,
            record=where,
        )
    if ctx.me and status.get("favourited") is True and isinstance(uri, str):
        # The authenticated user's own favourite; the API does not say when it was made, so
        # the post's creation time is the earliest it can have been.
        yield emit(
            {
                "network": NETWORK,
                "event_id": f"like:{ctx.me}:{uri}",
                "ts": status.get("created_at"),
                "ts_derived": True,
                "actor": ctx.me,
                "action": Action.LIKE.value,
                "target": author,
                "content_id": uri,
            },
            path=path,
            record=where,
        )


def _quoted(quote: Any) -> dict[str, Any] | None:
    """The quoted Status: Mastodon 4.5 wraps it in ``{"state", "quoted_status"}``."""
    quote = as_dict(quote)
    inner = quote.get("quoted_status") if "quoted_status" in quote else quote
    return inner if isinstance(inner, dict) and ("uri" in inner or "url" in inner) else None


def _notification(
    note: dict[str, Any], ctx: ApiContext, *, path: Path, where: str
) -> Iterator[Record]:
    actor, accounts = _account(note.get("account"), ctx)
    yield from accounts
    kind = note.get("type")
    status = note.get("status")
    if isinstance(status, dict):
        yield from _status(status, ctx, path=path, where=where)
    status = as_dict(status)
    uri = as_str(status.get("uri")) or as_str(status.get("url"))
    owner = api_account_id(as_dict(status.get("account")))
    row: dict[str, Any] = {"network": NETWORK, "ts": note.get("created_at"), "actor": actor}
    if kind == "favourite":
        row |= {
            "event_id": f"like:{actor}:{uri}",
            "action": Action.LIKE.value,
            "target": owner,
            "content_id": uri,
        }
    elif kind == "reblog":
        # The notification does not carry the boost's own URI: one boost per account and post.
        row |= {
            "event_id": f"repost:{actor}:{uri}",
            "action": Action.REPOST.value,
            "target": owner,
            "content_id": uri,
        }
    elif kind == "follow" and ctx.me:
        row |= {
            "event_id": f"follow:{actor}:{ctx.me}",
            "action": Action.FOLLOW.value,
            "target": ctx.me,
        }
    else:
        # mention, status, quote, update, poll: the status itself carries the interaction.
        return
    yield emit(row, path=path, record=where)


def _listed_accounts(
    account: dict[str, Any], url: str | None, ctx: ApiContext, *, path: Path, where: str
) -> Iterator[Record]:
    """An Account in a bare list; the request URL says whether it liked, boosted or follows."""
    listed, accounts = _account(account, ctx)
    yield from accounts
    if listed is None or url is None:
        return
    if match := _STATUS_LIST_URL.search(url):
        local, relation = match.groups()
        known = ctx.statuses.get(local)
        if known is None:
            return  # the post was not seen in this input: its URI is unknown
        uri, author = known
        action = Action.LIKE if relation == "favourited_by" else Action.REPOST
        prefix = "like" if action == Action.LIKE else "repost"
        yield emit(
            {
                "network": NETWORK,
                "event_id": f"{prefix}:{listed}:{uri}",
                # No time is given for the reaction: the post's creation is its earliest.
                "ts": snowflake_id_time(local) or snowflake_time(uri),
                "ts_derived": True,
                "actor": listed,
                "action": action.value,
                "target": author,
                "content_id": uri,
            },
            path=path,
            record=where,
        )
    elif match := _ACCOUNT_LIST_URL.search(url):
        local, relation = match.groups()
        subject = ctx.accounts.get(local)
        if subject is None:
            return
        follower, followed = (
            (listed, subject[0]) if relation == "followers" else (subject[0], listed)
        )
        yield emit(
            {
                "network": NETWORK,
                "event_id": f"follow:{follower}:{followed}",
                # No follow time is given: it cannot predate either account.
                "ts": _latest(account.get("created_at"), subject[1]),
                "ts_derived": True,
                "actor": follower,
                "action": Action.FOLLOW.value,
                "target": followed,
            },
            path=path,
            record=where,
        )


def _latest(*values: Any) -> datetime | None:
    times = [t for t in map(ts_or_none, values) if t is not None]
    return max(times) if times else None


def _relationship(
    rel: dict[str, Any], ctx: ApiContext, *, path: Path, where: str
) -> Iterator[Record]:
    if not ctx.me or rel.get("following") is not True:
        return
    subject = ctx.accounts.get(rel.get("id"))
    if subject is None:
        return
    yield emit(
        {
            "network": NETWORK,
            "event_id": f"follow:{ctx.me}:{subject[0]}",
            # No follow time is given: it cannot predate the followed account.
            "ts": subject[1],
            "ts_derived": True,
            "actor": ctx.me,
            "action": Action.FOLLOW.value,
            "target": subject[0],
        },
        path=path,
        record=where,
    )


def entity_records(
    obj: Any, ctx: ApiContext, *, path: Path, where: str, url: str | None = None
) -> Iterator[Record]:
    """The records of one REST API entity; a ``Rejected`` if it is none Sway knows."""
    kind = classify(obj)
    if kind is None or not isinstance(obj, dict):
        shown = sorted(obj)[:6] if isinstance(obj, dict) else type(obj).__name__
        yield Rejected(
            SourceError(
                f"expected a Mastodon API entity (Status, Notification, Account, Conversation, "
                f"Relationship), found {shown}",
                path=path,
                record=where,
            ),
            raw_text(obj),
        )
    elif kind == "status":
        yield from _status(obj, ctx, path=path, where=where)
    elif kind == "notification":
        yield from _notification(obj, ctx, path=path, where=where)
    elif kind == "account":
        yield from _listed_accounts(obj, url, ctx, path=path, where=where)
    elif kind == "conversation":
        for account in as_list(obj.get("accounts")):
            yield from _account(account, ctx)[1]
        if isinstance(obj.get("last_status"), dict):
            yield from _status(obj["last_status"], ctx, path=path, where=where)
    elif kind in ("context", "search"):
        for key in ("ancestors", "descendants", "statuses"):
            for n, status in enumerate(as_list(obj.get(key)), 1):
                yield from entity_records(status, ctx, path=path, where=f"{where}.{key}[{n}]")
        for account in as_list(obj.get("accounts")):
            yield from _account(account, ctx)[1]
    elif kind == "relationship":
        yield from _relationship(obj, ctx, path=path, where=where)


def read_api_json(
    fh: IO[bytes], path: Path, ctx: ApiContext, *, url: str | None = None
) -> Iterator[Record]:
    """Records of one saved REST API response (an entity, or an array of entities)."""
    members: dict[str, Any] = {}
    streamed = False
    for piece in iter_top(fh, path, stream_keys=("ancestors", "descendants", "statuses")):
        if piece.kind == "item":
            yield from entity_records(
                piece.value, ctx, path=path, where=f"[{piece.position}]", url=url
            )
        elif piece.kind == "element":
            streamed = True
            yield from entity_records(
                piece.value, ctx, path=path, where=f"{piece.key}[{piece.position}]", url=url
            )
        elif piece.key is None:
            raise SourceError(
                f"expected a JSON object or array, found {type(piece.value).__name__}", path=path
            )
        else:
            members[piece.key] = piece.value
    if streamed:
        for account in as_list(members.get("accounts")):
            yield from _account(account, ctx)[1]
        return
    if not members and not streamed:
        return
    if classify(members) is None:
        raise SourceError(
            "expected a Mastodon API response (Status, Notification, Account, Conversation, "
            f"Context, Relationship), found an object with keys {', '.join(sorted(members)[:8])}",
            path=path,
        )
    yield from entity_records(members, ctx, path=path, where="1", url=url)
