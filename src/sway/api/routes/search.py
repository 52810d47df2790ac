"""Search accounts by handle, display name or id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from sway.api import service
from sway.api.deps import audited_scoped, get_state
from sway.api.models import AccountSummary, Page
from sway.api.responses import json_response
from sway.api.routes._common import Limit, Offset
from sway.api.state import ServiceState

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["search"])
State = Annotated[ServiceState, Depends(get_state)]


@router.get("/search", response_model=Page[AccountSummary], **audited_scoped("read", "search"))
async def search(
    state: State,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Text to look for.")],
    network: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")] = None,
    offset: Offset = 0,
    limit: Limit = 20,
) -> Response:
    """Accounts whose handle or display name contains ``q`` (any case), or whose id is ``q``,
    highest score first."""
    return json_response(
        service.search(state.index, q, network=network, offset=offset, limit=limit)
    )
