"""Who is looking: the API key kept in a cookie after the login page.

The dashboard shows personal data, so every page needs a key with the ``read`` scope (the
triage queue: ``crm``; a person's own page and export also take that person's own ``self``
key), checked and counted exactly as the API checks a key (same keys, same
scopes, same rate limits). The login form posts the key once; it is kept in a cookie the
page's scripts cannot read (``HttpOnly``), that no other site can make the browser send
(``SameSite=Strict``, which also stops forged form posts), sent only over HTTPS when the page
came over HTTPS, and dropped when the browser closes. A key never appears in a URL. Only the
key is stored: revoking it ends every dashboard session using it at once.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from sway.api.keys import ApiKey
from sway.api.state import ServiceState

__all__ = [
    "COOKIE",
    "LoginRequired",
    "MissingScope",
    "RateLimited",
    "authorize",
    "forget_key",
    "is_own",
    "keep_key",
    "may_sign_in",
    "safe_next",
]

COOKIE = "sway_key"


class LoginRequired(Exception):
    """No valid key: the page sends the browser to the login page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path

    def redirect(self) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(self.path, safe='/')}", status_code=303)


class MissingScope(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(f"this key lacks the {scope!r} scope")
        self.scope = scope


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit of this key reached; retry after {retry_after} s")
        self.retry_after = retry_after


def authorize(request: Request, scope: str, *, own: str | None = None) -> ApiKey:
    """The key of the browser's session, checked for ``scope`` and counted against its
    limits; raises :class:`LoginRequired`, :class:`MissingScope` or :class:`RateLimited`.

    ``own``: the person whose data the page is; that person's own key (scope ``self``) is let
    in too, as the API's privacy routes let it in.
    """
    state: ServiceState = request.app.state.sway
    key = state.authenticate(request.cookies.get(COOKIE))
    if key is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    if not key.allows(scope) and not (own is not None and is_own(key, own)):
        raise MissingScope(scope)
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


def keep_key(request: Request, response: Response, secret: str) -> None:
    response.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def forget_key(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only (never ``//host`` or a URL)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target
