"""Leaderboards: accounts overall or per network, people overall; both per topic."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from starlette.concurrency import run_in_threadpool

from sway.api import service
from sway.api.deps import audited_scoped, get_state
from sway.api.models import LeaderboardAccount, LeaderboardPerson, Page
from sway.api.responses import json_response
from sway.api.routes._common import Limit, Offset
from sway.api.state import ServiceState

__all__ = ["router"]

router = APIRouter(prefix="/v1/leaderboards", tags=["leaderboards"])
State = Annotated[ServiceState, Depends(get_state)]
Network = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]
Topic = Annotated[
    str | None,
    Query(min_length=1, max_length=200, description="A topic id, name or slug (`news`)."),
]


@router.get(
    "/accounts", response_model=Page[LeaderboardAccount], **audited_scoped("read", "leaderboard")
)
async def accounts(
    state: State,
    network: Network = None,
    topic: Topic = None,
    offset: Offset = 0,
    limit: Limit = 20,
) -> Response:
    """Scored accounts, highest first: all networks, or one; or by influence on a topic."""
    if topic is not None:
        return json_response(
            await run_in_threadpool(_topic_board, state, topic, network, False, offset, limit)
        )
    return json_response(
        service.leaderboard(state.index, network=network, offset=offset, limit=limit)
    )


@router.get(
    "/people", response_model=Page[LeaderboardPerson], **audited_scoped("read", "leaderboard")
)
async def people(
    state: State,
    network: Network = None,
    topic: Topic = None,
    offset: Offset = 0,
    limit: Limit = 20,
) -> Response:
    """Scored people (linked accounts, and accounts standing for themselves), highest first;
    or by influence on a topic. With ``network``: only people with an account on it."""
    if topic is not None:
        return json_response(
            await run_in_threadpool(_topic_board, state, topic, network, True, offset, limit)
        )
    return json_response(
        service.people_leaderboard(state.index, network=network, offset=offset, limit=limit)
    )


def _topic_board(
    state: ServiceState,
    topic: str,
    network: str | None,
    people: bool,
    offset: int,
    limit: int,
) -> Page[LeaderboardAccount] | Page[LeaderboardPerson]:
    with state.gate.read() as store:
        return service.topic_leaderboard(
            store, state.index, topic, network=network, people=people, offset=offset, limit=limit
        )
