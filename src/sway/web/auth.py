"""Who is looking: the session opened by the login page, and the checks on every form post.

The dashboard shows personal data, so every page needs a key with the ``read`` scope (the
triage queue: ``crm``; a person's own page and export also take that person's own ``self``
key), checked and counted exactly as the API checks a key (same keys, same scopes, same rate
limits). The login form posts the key once; the server keeps a session
(:mod:`sway.web.sessions`) naming the key's id, and the browser's cookie holds only the
session's random id: ``HttpOnly`` (the page's scripts cannot read it), ``SameSite=Strict``,
``Secure`` when the page came over HTTPS, dropped when the browser closes. The key itself is
never in a cookie, a URL or a page. The key is looked up by its id on every request, so
revoking it ends its sessions at once; logging out ends the session on the server.

Every form post is checked twice (:func:`check_post`), because ``SameSite`` alone does not
stop another port or subdomain of the same site: its ``Origin`` (or, without one, its
``Referer``) must be this server's own, and, for a session's forms, it must carry the
session's synchronizer token (compared in constant time). Failed logins count against the
client's address in the API's :mod:`~sway.api.throttle`.
"""

from __future__ import annotations

import hmac
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from sway.api.keys import ApiKey
from sway.api.state import ServiceState
from sway.api.throttle import client_address, throttle_of
from sway.web.sessions import Session, SessionStore

__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "ForgedPost",
    "LoginRequired",
    "MissingScope",
    "RateLimited",
    "authorize",
    "check_login",
    "check_post",
    "end_session",
    "form_token",
    "is_own",
    "may_sign_in",
    "safe_next",
    "same_origin",
    "sessions_of",
    "start_session",
]

COOKIE = "sway_session"
#: The hidden field of every form that carries the session's token.
CSRF_FIELD = "csrf"
#: Routes posted before there is a session (the Origin check only).
_NO_SESSION = frozenset({"/login"})


class LoginRequired(Exception):
    """No valid session: the page sends the browser to the login page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path

    def redirect(self) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(self.path, safe='/')}", status_code=303)


class MissingScope(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(f"this key lacks the {scope!r} scope")
        self.scope = scope


class ForgedPost(Exception):
    """A form post refused (403): from another origin, or without the session's token."""


class RateLimited(Exception):
    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message or f"rate limit of this key reached; retry after {retry_after} s")
        self.retry_after = retry_after


def sessions_of(request: Request) -> SessionStore:
    """The app's sessions (made by :func:`sway.web.install`)."""
    sessions: SessionStore = request.app.state.dashboard_sessions
    return sessions


def _key(state: ServiceState, key_id: str) -> ApiKey | None:
    """The key ``key_id`` in the server's key table (kept up to date with the store)."""
    return next((k for k in state.api_keys() if k.key_id == key_id), None)


def _current(request: Request) -> tuple[Session, ApiKey] | None:
    """The browser's session and its key, while both are valid."""
    sessions = sessions_of(request)
    session = sessions.get(request.cookies.get(COOKIE))
    if session is None:
        return None
    key = _key(request.app.state.sway, session.key_id)
    if key is None or not key.active:
        sessions.close(session.session_id)  # revoked: the session ends with its key
        return None
    return session, key


def authorize(request: Request, scope: str, *, own: str | None = None) -> ApiKey:
    """The key of the browser's session, checked for ``scope`` and counted against its
    limits; raises :class:`LoginRequired`, :class:`MissingScope` or :class:`RateLimited`.

    ``own``: the person whose data the page is; that person's own key (scope ``self``) is let
    in too, as the API's privacy routes let it in.
    """
    found = _current(request)
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    session, key = found
    request.state.session = session
    if not key.allows(scope) and not (own is not None and is_own(key, own)):
        raise MissingScope(scope)
    state: ServiceState = request.app.state.sway
    decision = state.admit(key)
    if not decision.allowed:
        raise RateLimited(decision.retry_after)
    return key


def is_own(key: ApiKey, person_id: str) -> bool:
    """Whether ``key`` is the person's own key (scope ``self``, made for ``person_id``)."""
    return "self" in key.scopes and key.person_id == person_id


def may_sign_in(key: ApiKey) -> bool:
    """Keys with the ``read`` scope (or ``admin``) see the whole dashboard; a person's own
    key (``self``) sees that person's page, with its privacy panel."""
    return key.allows("read") or key.person_id is not None


def check_login(request: Request, secret: str) -> ApiKey | None:
    """The active key ``secret`` is, for the login form; ``None`` counts as a failure of the
    client's address, and an address over its failures gets :class:`RateLimited` whatever
    key it sends."""
    throttle, client = throttle_of(request), client_address(request)
    wait = throttle.retry_after(client)
    if wait:
        raise RateLimited(wait, f"too many failed logins from this address; retry after {wait} s")
    state: ServiceState = request.app.state.sway
    key = state.authenticate(secret)
    if key is None:
        throttle.failed(client)
    return key


def start_session(request: Request, response: Response, key: ApiKey) -> None:
    """After a good login: clear the address's failures, end any session the browser had,
    open a new one and give the browser its id (and nothing else)."""
    throttle_of(request).succeeded(client_address(request))
    sessions = sessions_of(request)
    sessions.close(request.cookies.get(COOKIE))
    session = sessions.open(key.key_id)
    response.set_cookie(
        COOKIE,
        session.session_id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def end_session(request: Request, response: Response) -> None:
    """Log out: the session ends on the server and the cookie is cleared."""
    sessions_of(request).close(request.cookies.get(COOKIE))
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def form_token(request: Request) -> str:
    """The token the page's forms carry: the session's, or ``""`` without one."""
    session: Session | None = getattr(request.state, "session", None)
    if session is None:
        session = sessions_of(request).get(request.cookies.get(COOKIE))
    return session.csrf if session is not None else ""


def _origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of a URL, the port made explicit; ``None`` if it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return None
    return scheme, host, port or (443 if scheme == "https" else 80)


def same_origin(request: Request) -> None:
    """Refuse (:class:`ForgedPost`) a post whose ``Origin``, or without one its ``Referer``,
    is not this server (scheme, host and port); with neither, the form token decides."""
    header = "Origin"
    sent = request.headers.get("origin")
    if sent is None:
        header, sent = "Referer", request.headers.get("referer")
        if sent is None:
            return
    own = _origin(str(request.url))
    if own is None or _origin(sent) != own:
        shown = sent if len(sent) <= 100 else sent[:100] + "…"
        raise ForgedPost(
            f"refused: this form was posted from another site ({header}: {shown}); "
            "post it from this dashboard's own pages"
        )


async def check_post(request: Request) -> None:
    """A dependency of every dashboard route: a ``POST`` must come from this server's own
    pages (:func:`same_origin`) and, once there is a session, carry its token. Without a
    session the route's :func:`authorize` sends the browser to the login page instead."""
    if request.method != "POST":
        return
    same_origin(request)
    if getattr(request.scope.get("route"), "path", None) in _NO_SESSION:
        return
    session = sessions_of(request).get(request.cookies.get(COOKIE))
    if session is None:
        return
    token = (await request.form()).get(CSRF_FIELD)
    if not isinstance(token, str) or not hmac.compare_digest(
        token.encode("utf-8"), session.csrf.encode("utf-8")
    ):
        raise ForgedPost(
            "refused: the form's security token is missing or out of date; "
            "reload the page and send the form again"
        )


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only (never ``//host`` or a URL)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target
