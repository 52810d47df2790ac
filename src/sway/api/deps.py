"""Dependencies of the routes: the service state, and keys with scopes and rate limits.

Our routes take the key as ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``; the Klout routes
as ``key=KEY`` in the query, as Klout did. Every route declares its scope with :func:`scoped`,
which also records it in the OpenAPI document as ``x-scope`` (the tests and ``docs/api.md``
read it from there, so the route table cannot drift from the code).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from fastapi import Depends, Request, WebSocket

from sway.api.errors import ApiError
from sway.api.keys import SCOPES, ApiKey
from sway.api.state import AuditEntry, ServiceState
from sway.api.throttle import authenticate
from sway.privacy.audit import redact

__all__ = [
    "SECURITY_SCHEMES",
    "audited",
    "audited_scoped",
    "get_state",
    "klout_scoped",
    "read_entry",
    "require",
    "require_klout",
    "scoped",
    "websocket_key",
]

#: How the key travels, for the OpenAPI document (``components.securitySchemes``). The
#: dependencies below read the headers themselves: FastAPI's security classes would add a
#: dependency each to every request, which costs more than the lookup being protected.
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "Bearer": {"type": "http", "scheme": "bearer"},
    "KloutKey": {"type": "apiKey", "in": "query", "name": "key"},
}


async def get_state(request: Request) -> ServiceState:
    # async: FastAPI would run a plain function in its thread pool, a costly hop per request.
    state: ServiceState = request.app.state.sway
    return state


def _secret(request: Request | WebSocket) -> str | None:
    secret = request.headers.get("x-api-key")
    if not secret:
        auth = request.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            secret = auth[7:].strip()
    return secret or None


def _admit(state: ServiceState, key: ApiKey | None, scope: str) -> ApiKey:
    if key is None:
        raise ApiError(
            401,
            "missing or invalid API key: send it as X-API-Key or Authorization: Bearer",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not key.allows(scope):
        raise ApiError(
            403, f"this key lacks the {scope!r} scope", code="insufficient_scope", field="scope"
        )
    decision = state.admit(key)
    if not decision.allowed:
        per = "second" if decision.limit == "second" else "day"
        raise ApiError(
            429,
            f"rate limit of this key reached (per {per}); retry after {decision.retry_after} s",
            field=decision.limit,
            headers={"Retry-After": str(decision.retry_after)},
        )
    return key


@cache
def require(scope: str) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency giving the caller's key, checked for ``scope`` and counted against its
    limits. Cached per scope, so FastAPI runs it once per request however often it appears."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    async def dependency(request: Request) -> ApiKey:
        state: ServiceState = request.app.state.sway
        key = _admit(state, authenticate(request, _secret(request)), scope)
        request.state.api_key = key
        return key

    return dependency


@cache
def require_klout(scope: str = "read") -> Callable[..., Awaitable[ApiKey]]:
    """As :func:`require`, with the key in the ``key`` query parameter (Klout routes)."""

    async def dependency(request: Request) -> ApiKey:
        state: ServiceState = request.app.state.sway
        key = _admit(state, authenticate(request, request.query_params.get("key")), scope)
        request.state.api_key = key
        return key

    return dependency


def _subject(request: Request) -> str | None:
    """Whose data a request reads: the person, or ``network:account`` (by id or ``@handle``)."""
    params = {**request.query_params, **request.path_params}
    if "person_id" in params:
        return str(params["person_id"])
    if "klout_id" in params:
        return f"klout:{params['klout_id']}"
    if "screenName" in params:
        return f"twitter:@{params['screenName']}"
    if "network_id" in params:
        return f"{params.get('code')}:{params['network_id']}"
    network = params.get("network")
    account = params.get("account_id") or params.get("id")
    if account is None and params.get("handle"):
        account = "@" + str(params["handle"]).lstrip("@")
    return f"{network}:{account}" if network and account else None


def read_entry(request: Request, key: ApiKey, kind: str, subject: str | None) -> AuditEntry:
    """The audit entry of a read of ``kind`` data of ``subject`` by ``key`` (API and
    dashboard alike): the route and its query, secrets redacted."""
    query = request.url.query
    return AuditEntry(
        actor=key.key_id,
        action=f"read.{kind}",
        subject=subject,
        detail={"route": request.url.path, "query": redact(query) if query else None},
    )


@cache
def audited(kind: str) -> Callable[..., Awaitable[None]]:
    """A dependency recording that the caller's key read ``kind`` data of the subject in the
    path (or query), in the audit log (``sway audit``). It runs after the route's scope
    dependency, which admitted the key and left it on the request. The entry is on disk before
    the route runs; when it cannot be written, the read is refused."""

    async def dependency(request: Request) -> None:
        state: ServiceState = request.app.state.sway
        key: ApiKey = request.state.api_key
        entry = read_entry(request, key, kind, _subject(request))
        try:
            state.record(entry)  # a commit of tens of microseconds: no thread hop
        except Exception as exc:
            raise ApiError(
                503, f"the audit log cannot be written, so the read is refused ({exc})"
            ) from None

    return dependency


def scoped(scope: str, **openapi: Any) -> dict[str, Any]:
    """Keyword arguments for a route decorator: require ``scope`` and document it (``openapi``
    adds to the operation's OpenAPI entry, e.g. a hand-written ``requestBody``)."""
    return _scoped(scope, [Depends(require(scope))], openapi)


def audited_scoped(scope: str, kind: str) -> dict[str, Any]:
    """As :func:`scoped`, and every call is written to the audit log as a read of ``kind``
    data (``sway audit``)."""
    return _scoped(scope, [Depends(require(scope)), Depends(audited(kind))], {})


def _scoped(scope: str, dependencies: list[Any], openapi: dict[str, Any]) -> dict[str, Any]:
    return {
        "dependencies": dependencies,
        "openapi_extra": {
            "x-scope": scope,
            "security": [{"ApiKeyHeader": []}, {"Bearer": []}],
            **openapi,
        },
        "responses": _ERRORS,
    }


def klout_scoped(scope: str = "read", *, audit: str | None = None) -> dict[str, Any]:
    dependencies = [Depends(require_klout(scope))]
    if audit is not None:
        dependencies.append(Depends(audited(audit)))
    return {
        "dependencies": dependencies,
        "openapi_extra": {"x-scope": scope, "security": [{"KloutKey": []}]},
        "responses": _KLOUT_ERRORS,
    }


async def websocket_key(websocket: WebSocket, scope: str) -> ApiKey | None:
    """The key of a WebSocket handshake (``X-API-Key`` or ``Authorization: Bearer``, or
    ``?key=`` for browsers, which cannot set headers), admitted like a request; ``None`` after
    closing the socket with a policy-violation code when it is not."""
    state: ServiceState = websocket.app.state.sway
    secret = _secret(websocket) or websocket.query_params.get("key")
    try:
        return _admit(state, authenticate(websocket, secret), scope)
    except ApiError as exc:
        await websocket.close(code=1008, reason=f"{exc.status} {exc.message}"[:120])
        return None


def _error_response(description: str, model: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}},
    }


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error_response("Missing or invalid API key.", "ErrorBody"),
    403: _error_response("The key lacks the route's scope.", "ErrorBody"),
    422: _error_response("Invalid input; `field` names it.", "ErrorBody"),
    429: _error_response("Rate limit reached; see `Retry-After`.", "ErrorBody"),
}
_KLOUT_ERRORS: dict[int | str, dict[str, Any]] = {
    403: _error_response("Missing or bad key, or over the rate limit.", "KloutError"),
    404: _error_response("Unknown id or screen name.", "KloutError"),
}
