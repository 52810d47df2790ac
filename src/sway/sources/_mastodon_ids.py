"""How Mastodon accounts and posts are named in Sway, whichever file they come from.

Account ids are ``username@instance`` in lower case (``user_0002@instance-01.example``): the
one name that both an account export (actor URIs, mention tags) and the REST API (``acct``
plus the instance of the account's profile URL) can give for any account, local or remote.
Only an actor URI of a shape that does not contain the username (Mastodon 4.5's
``/ap/users/<number>``, unknown server software) is kept as the URI itself.

Post ids are the ActivityPub URI of the post (``https://instance/users/name/statuses/<id>``):
the same for every server that saw it, unlike the REST API's server-local ``id``. A boost is
named by the URI of its own ``Announce`` activity (``.../statuses/<id>/activity``), which the
REST API also gives as the reblog's ``uri``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

__all__ = [
    "NETWORK",
    "account_from_uri",
    "acct_id",
    "author_of_status",
    "host_of",
    "snowflake_id_time",
    "snowflake_time",
]

NETWORK = "mastodon"

# Actor URI paths that carry the username: Mastodon/Pleroma/GoToSocial/Misskey ``/users/x``,
# profile pages ``/@x``, Lemmy ``/u/x``, Friendica ``/profile/x``.
_ACTOR_PATH = re.compile(r"^/(?:users/|@|u/|profile/)([^/@?#]+)/?$")
# Status URI paths: ``/users/x/statuses/<id>`` (ActivityPub id) and ``/@x/<id>`` (web page).
_STATUS_PATH = re.compile(
    r"^/(?:users/([^/@?#]+)/statuses|@([^/@?#]+))/([0-9A-Za-z]+)(?:/activity)?/?$"
)
_ANY_STATUS_ID = re.compile(r"/statuses/([0-9]+)(?:/activity)?/?$")
# Snowflake ids (Mastodon >= 2.0) are milliseconds << 16; accept only plausible instants.
_SNOWFLAKE_MIN = datetime(2016, 1, 1, tzinfo=UTC)
_SNOWFLAKE_MAX = datetime(2100, 1, 1, tzinfo=UTC)


def host_of(url: object) -> str | None:
    """The lower-case ``host[:port]`` of an http(s) URL, or ``None``."""
    if not isinstance(url, str) or "://" not in url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    return parts.netloc.lower()


def acct_id(username: object, domain: object) -> str | None:
    """``username@domain`` in lower case; ``username`` may already carry its domain."""
    if not isinstance(username, str) or not username.strip("@ "):
        return None
    name = username.strip().lstrip("@")
    if "@" in name:
        user, _, dom = name.partition("@")
        if user and dom and "@" not in dom:
            return f"{user}@{dom}".lower()
        return None
    if not isinstance(domain, str) or not domain:
        return None
    return f"{name}@{domain}".lower()


def account_from_uri(uri: object) -> str | None:
    """The account id of an actor URI (or profile URL); the URI itself if no name is in it."""
    host = host_of(uri)
    if host is None or not isinstance(uri, str):
        return None
    match = _ACTOR_PATH.match(urlsplit(uri).path)
    if match:
        return acct_id(match.group(1), host)
    return uri


def author_of_status(uri: object) -> str | None:
    """The author's account id from a status URI or URL, when the path names the author."""
    host = host_of(uri)
    if host is None or not isinstance(uri, str):
        return None
    match = _STATUS_PATH.match(urlsplit(uri).path)
    if not match:
        return None
    return acct_id(match.group(1) or match.group(2), host)


def snowflake_time(uri: object) -> datetime | None:
    """When a Mastodon status was created, from the Snowflake id at the end of its URI."""
    if not isinstance(uri, str):
        return None
    digits: str | None = None
    found = _ANY_STATUS_ID.search(uri)
    if found:
        digits = found.group(1)
    elif host_of(uri) is not None:
        page = _STATUS_PATH.match(urlsplit(uri).path)
        digits = page.group(3) if page else None
    return snowflake_id_time(digits)


def snowflake_id_time(digits: object) -> datetime | None:
    """When a Mastodon Snowflake id (a status or account id) was made: ``id >> 16`` ms."""
    if not isinstance(digits, str) or not digits.isdigit() or not 15 <= len(digits) <= 20:
        return None
    try:
        when = datetime.fromtimestamp((int(digits) >> 16) / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return when if _SNOWFLAKE_MIN <= when < _SNOWFLAKE_MAX else None
