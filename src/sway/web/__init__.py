"""The dashboard: profiles with charts, leaderboards, the campaign builder, the triage queue and
privacy controls, served by ``sway serve`` at ``/`` beside the API.

Server-rendered HTML (Jinja2) with charts drawn as SVG on the server (Matplotlib); every
style and script is in ``static/``, nothing comes from elsewhere, so it works offline. Pages
read through the same service functions as the API (:mod:`sway.api.service`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from sway.api.errors import ApiError
from sway.errors import SwayError
from sway.web.auth import ForgedPost, LoginRequired, MissingScope, RateLimited
from sway.web.render import HERE, render
from sway.web.routes import router
from sway.web.sessions import SessionStore

__all__ = ["install"]

#: Paths of the API; an error there stays JSON.
_API_PREFIXES = ("/v1/", "/v2/", "/docs", "/openapi.json")
#: Errors shown as pages on the dashboard's paths.
_PAGE_ERRORS = (ApiError, RequestValidationError, SwayError)


def install(app: FastAPI) -> None:
    """Add the dashboard's pages, static files and error pages to the API's ``app``, and its
    sessions (in memory, on ``app.state``)."""
    app.state.dashboard_sessions = SessionStore()
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return exc.redirect()

    async def forbidden(request: Request, exc: Exception) -> Response:
        return render(request, "error.html", {"status": 403, "message": str(exc)}, status=403)

    async def rate_limited(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RateLimited)
        response = render(request, "error.html", {"status": 429, "message": str(exc)}, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(MissingScope, forbidden)
    app.add_exception_handler(ForgedPost, forbidden)
    app.add_exception_handler(RateLimited, rate_limited)
    for kind, handler in list(app.exception_handlers.items()):
        if isinstance(kind, type) and issubclass(kind, _PAGE_ERRORS):
            app.add_exception_handler(kind, _as_page(handler))


def _as_page(handler: Callable[[Request, Any], Any]) -> Callable[[Request, Exception], Any]:
    """The API's error handler, its answer shown as a page on the dashboard's paths (the same
    status and message; JSON stays JSON on the API's paths)."""

    async def page(request: Request, exc: Exception) -> Response:
        response: Response = await handler(request, exc)
        if request.url.path.startswith(_API_PREFIXES):
            return response
        try:
            message = str(orjson.loads(bytes(response.body))["error"]["message"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            message = "something went wrong"
        page = render(
            request,
            "error.html",
            {"status": response.status_code, "message": message},
            status=response.status_code,
        )
        if "retry-after" in response.headers:
            page.headers["Retry-After"] = response.headers["retry-after"]
        return page

    return page
