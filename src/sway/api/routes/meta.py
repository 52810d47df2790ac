"""Health and runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from sway import __version__
from sway.api import service
from sway.api.deps import get_state, scoped
from sway.api.models import Health, Page, RunPublic
from sway.api.routes._common import Limit, Offset
from sway.api.state import ServiceState

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["service"])
State = Annotated[ServiceState, Depends(get_state)]


@router.get(
    "/health",
    response_model=Health,
    openapi_extra={"x-scope": "public"},
)
async def health(state: State) -> Health:
    """Whether the server is up, and which run it serves. No key needed."""
    index = state.index
    return Health(
        status="ok", version=__version__, accounts=index.size, run=service.run_public(index.run)
    )


@router.get("/runs", response_model=Page[RunPublic], **scoped("read"))
def runs(state: State, offset: Offset = 0, limit: Limit = 20) -> Page[RunPublic]:
    """Published score runs, newest first. Withdrawn runs are listed too, with
    `withdrawn: true`, when and why; they are never served."""
    from sway.store.runs import list_runs

    with state.gate.read() as store:
        found = list_runs(store, limit=limit, offset=offset)
        total = int(store.scalar("SELECT count(*) FROM score_runs"))
    items = [r for r in (service.run_public(run) for run in found) if r]
    return service.page(items, total, offset, limit)
