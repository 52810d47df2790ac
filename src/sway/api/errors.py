"""The one error boundary of the API: every error leaves as JSON in one shape per API family.

Our routes (everything but ``/v2/...``)::

    {"error": {"status": 404, "code": "not_found", "message": "...", "field": null}}

``field`` names the input at fault (``query.limit``, ``body[3].lifetime_value``) when there is
one. The Klout-compatible routes (``/v2/...``) answer as Klout did (``docs/api.md``)::

    {"error": 403, "description": "Invalid or unprovided API key. All calls must have a key."}

with 403 for a missing or bad key and for rate limits (plus ``Retry-After`` and Mashery's
``X-Mashery-Error-Code``), as old Klout clients expect. The core never raises HTTP errors: it
raises :class:`~sway.errors.SwayError`, which is mapped here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sway.api.gate import StoreBusy
from sway.errors import ConfigError, ScoringError, SourceError, StoreError

__all__ = [
    "KLOUT_PREFIX",
    "ApiError",
    "BodyLimit",
    "error_body",
    "install_error_handlers",
    "klout_body",
    "render",
]

log = logging.getLogger("sway.api")

KLOUT_PREFIX = "/v2/"
KLOUT_BAD_KEY = "Invalid or unprovided API key. All calls must have a key."
KLOUT_JSON = "application/json; charset=utf-8"

_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}


class ApiError(Exception):
    """An error with an HTTP status, raised by routes and dependencies (never by the core)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "error")
        self.field = field
        self.headers = dict(headers or {})


def error_body(status: int, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "field": field}}


def klout_body(status: int, description: str) -> dict[str, Any]:
    return {"error": status, "description": description}


def _is_klout(path: str) -> bool:
    return path.startswith(KLOUT_PREFIX)


def render(path: str, error: ApiError) -> JSONResponse:
    """The response for ``error`` on a route at ``path``."""
    if _is_klout(path):
        status, description, headers = error.status, error.message, dict(error.headers)
        if status == 401:
            status, description = 403, KLOUT_BAD_KEY
        elif status == 429:
            # Klout sat behind Mashery, which refused over-limit calls with 403.
            over = "Rate" if error.field == "day" else "Qps"
            status, description = 403, f"Developer Over {over}"
            headers["X-Mashery-Error-Code"] = f"ERR_403_DEVELOPER_OVER_{over.upper()}"
        return JSONResponse(
            klout_body(status, description), status, headers=headers, media_type=KLOUT_JSON
        )
    return JSONResponse(
        error_body(error.status, error.code, error.message, error.field),
        error.status,
        headers=error.headers,
    )


def _location(loc: Sequence[Any]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def _from_sway(exc: Exception) -> ApiError:
    if isinstance(exc, SourceError):
        where: str | None = None
        if isinstance(exc.record, int):
            where = f"body[{exc.record - 1}]"
        elif exc.record is not None:
            where = str(exc.record)
        elif exc.line is not None:
            where = f"line {exc.line}"
        field = ".".join(p for p in (where, exc.field) if p) or None
        return ApiError(422, str(exc), code="invalid_input", field=field)
    if isinstance(exc, StoreBusy):
        retry = {"Retry-After": str(exc.retry_after)}
        return ApiError(503, str(exc), code="store_busy", headers=retry)
    if isinstance(exc, ConfigError):
        return ApiError(400, str(exc))
    if isinstance(exc, ScoringError):
        return ApiError(404, str(exc), code="no_scores")
    if isinstance(exc, StoreError):
        return ApiError(503, str(exc), code="store_unavailable", headers={"Retry-After": "5"})
    raise exc


def install_error_handlers(app: FastAPI) -> None:
    """Route every error of ``app`` through :func:`render`."""

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return render(request.url.path, exc)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        field = _location(first.get("loc", ()))
        message = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg"))
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more)"
        return render(request.url.path, ApiError(422, message, field=field or None))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
        if status == 404 and message == "Not Found":
            message = f"no route {request.method} {request.url.path}"
        return render(request.url.path, ApiError(status, message, headers=dict(exc.headers or {})))

    async def sway_error(request: Request, exc: Exception) -> JSONResponse:
        return render(request.url.path, _from_sway(exc))

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return render(
            request.url.path, ApiError(500, "internal error; the server log has the details")
        )

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    for kind in (SourceError, ConfigError, ScoringError, StoreError):
        app.add_exception_handler(kind, sway_error)
    app.add_exception_handler(Exception, unexpected)


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with 413 (our error shape)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        too_large = ApiError(413, f"request body over {self.max_bytes:,} bytes", field="body")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await render(scope["path"], too_large)(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise too_large
            return message

        await self.app(scope, limited, send)
