"""The campaign builder: the people who together reach the largest distinct audience on a
topic (the dashboard's ``/campaign`` page shows the same plan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from starlette.concurrency import run_in_threadpool

from sway.api import service
from sway.api.deps import audited_scoped, get_state
from sway.api.models import CampaignPlan
from sway.api.responses import json_response
from sway.api.state import ServiceState

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["campaigns"])
State = Annotated[ServiceState, Depends(get_state)]


@router.get("/campaign", response_model=CampaignPlan, **audited_scoped("read", "campaign"))
async def campaign(
    state: State,
    topic: Annotated[
        str, Query(min_length=1, max_length=200, description="A topic id, name or slug.")
    ],
    network: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")] = None,
    k: Annotated[int, Query(ge=1, le=50, description="How many people to propose.")] = 5,
) -> Response:
    """Up to ``k`` accounts influential on ``topic`` who together reach the largest distinct
    engaged audience on it (greedy maximum coverage over their topic audiences: the people who
    reacted to their items on the topic in the latest topic run's window; ``audience`` in the
    answer says so), with the overlap of every pair and the expected reach."""
    return json_response(await run_in_threadpool(_plan, state, topic, network, k))


def _plan(state: ServiceState, topic: str, network: str | None, k: int) -> CampaignPlan:
    with state.gate.read() as store:
        return service.campaign(store, state.index, topic, network=network, k=k)
