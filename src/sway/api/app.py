"""The app factory: ``create_app(settings)`` builds the FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.utils import get_openapi

from sway import __version__
from sway.api.deps import SECURITY_SCHEMES
from sway.api.errors import BodyLimit, install_error_handlers
from sway.api.klout import KloutError
from sway.api.models import CustomerIn, ErrorBody, MessageIn
from sway.api.routes import ROUTERS
from sway.api.settings import Settings
from sway.api.state import ServiceState
from sway.api.throttle import FailureThrottle
from sway.web import install as install_dashboard

__all__ = ["create_app"]

DESCRIPTION = """\
Influence scores over HTTP: our REST API under `/v1`, routes shaped like the Klout API v2 under
`/v2` (so old Klout clients work unchanged), CRM enrichment and triage.

Send the key as `X-API-Key: KEY` (or `Authorization: Bearer KEY`); the Klout routes take
`?key=KEY`. Each route needs one scope (`x-scope` below): `read`, `crm`, `write` or `admin`.
Every error of `/v1` is `{"error": {"status", "code", "message", "field"}}`.
Routes, limits and formulas: `docs/api.md`.
"""


def create_app(settings: Settings, *, state: ServiceState | None = None) -> FastAPI:
    """The Sway API for ``settings``. The store is opened when the app starts (lifespan), not
    here: building an app is cheap and touches nothing."""
    service = state or ServiceState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(
        title="Sway",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs" if settings.docs else None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.sway = service
    # Failed logins and bad keys per client address (sway.api.throttle).
    app.state.failures = FailureThrottle()
    install_error_handlers(app)
    # Gzip only when the client asks (Accept-Encoding); small bodies and errors stay plain.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    for router in ROUTERS:
        app.include_router(router)
    install_dashboard(app)  # after the API's error handlers, which it wraps for its pages

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    components = schema["components"].setdefault("schemas", {})
    for model in (ErrorBody, KloutError, CustomerIn, MessageIn):
        definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in definition.pop("$defs", {}).items():
            components.setdefault(name, sub)
        components[model.__name__] = definition
    # Our validation errors have our shape, not FastAPI's default one.
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for path, item in schema.get("paths", {}).items():
        for operation in item.values():
            response = operation.get("responses", {}).get("422")
            if response is not None:
                ref = "#/components/schemas/KloutError" if path.startswith("/v2/") else None
                response["content"] = {
                    "application/json": {"schema": {"$ref": ref} if ref else error}
                }
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema
