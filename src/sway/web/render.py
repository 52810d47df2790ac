"""Templates (Jinja2, autoescaped) and the headers every page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from sway import __version__
from sway.web.auth import form_token
from sway.words import plural

__all__ = ["HERE", "render"]

HERE = Path(__file__).parent
_templates = Jinja2Templates(directory=HERE / "templates")

#: Everything comes from this server: no CDN, no external font, no inline script. Styles may be
#: inline only because Matplotlib's SVG carries a <style> element.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages hold personal data
}


def _number(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _signed(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:+.{digits}f}"


def _account_url(network: str, account_id: str) -> str:
    return f"/accounts/{quote(network, safe='')}/{quote(account_id, safe='')}"


def _person_url(person_id: str) -> str:
    return f"/people/{quote(person_id, safe='')}"


def _query(base: dict[str, Any], **changes: Any) -> str:
    merged = {k: v for k, v in {**base, **changes}.items() if v not in (None, "")}
    return urlencode(merged)


_env = _templates.env
_env.filters.update(number=_number, signed=_signed, plural=plural)
_env.globals.update(
    account_url=_account_url,
    person_url=_person_url,
    query=_query,
    svg=Markup,  # charts made by sway.web.charts from numbers, never from user text alone
    version=__version__,
)


def render(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    # Every form of a session carries its token (sway.web.auth.check_post).
    context = {"csrf": form_token(request), **context}
    response = _templates.TemplateResponse(request, template, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response
