"""Accounts: lookup by handle or id, profile, history, explanation, influencers, influencees."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from sway.api import service
from sway.api.deps import audited_scoped, get_state
from sway.api.errors import ApiError
from sway.api.models import AccountProfile, ExplanationPublic, History, InfluenceLink, Page
from sway.api.responses import json_response
from sway.api.routes._common import AccountId, Limit, Network, Offset
from sway.api.state import ServiceState

__all__ = ["router"]

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])
State = Annotated[ServiceState, Depends(get_state)]
NetworkQuery = Annotated[str, Query(pattern=r"^[a-z][a-z0-9_.-]{0,63}$", description="Network.")]


@router.get("/lookup", response_model=AccountProfile, **audited_scoped("read", "account"))
async def lookup(
    state: State,
    network: NetworkQuery,
    handle: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
    id: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
) -> Response:
    """An account by network and handle (``@`` optional, A-Z case-insensitive) or id."""
    index = state.index
    if id is not None and handle is None:
        found = index.account(network, id)
        if found is None:
            raise ApiError(404, f"no {network} account with id {id!r}", field="query.id")
        return json_response(service.account_profile(index, found))
    account = service.find_account(index, network, handle=handle, account_id=id)
    return json_response(service.account_profile(index, account))


@router.get(
    "/{network}/{account_id}", response_model=AccountProfile, **audited_scoped("read", "account")
)
async def profile(state: State, network: Network, account_id: AccountId) -> Response:
    """Score, sub-scores, day/week/month change, rank, topics and networks of an account."""
    index = state.index
    account = service.find_account(index, network, account_id=account_id)
    return json_response(service.account_profile(index, account))


@router.get(
    "/{network}/{account_id}/history", response_model=History, **audited_scoped("read", "account")
)
def history(
    state: State,
    network: Network,
    account_id: AccountId,
    algorithm_version: Annotated[str | None, Query(max_length=100)] = None,
) -> History:
    """The account's score in every run, one series per algorithm version and parameters."""
    account = service.find_account(state.index, network, account_id=account_id)
    with state.gate.read() as store:
        return service.history(
            store, f"{network}:{account_id}", account=account, algorithm_version=algorithm_version
        )


@router.get(
    "/{network}/{account_id}/explanation",
    response_model=ExplanationPublic,
    **audited_scoped("read", "account"),
)
def explanation(state: State, network: Network, account_id: AccountId) -> ExplanationPublic:
    """Why the score is what it is: factor contributions, top reactors and posts, discounts."""
    index = state.index
    account = service.find_account(index, network, account_id=account_id)
    with state.gate.read() as store:
        return service.explain(store, index, account=account)


@router.get(
    "/{network}/{account_id}/influencers",
    response_model=Page[InfluenceLink],
    **audited_scoped("read", "account"),
)
def influencers(
    state: State, network: Network, account_id: AccountId, offset: Offset = 0, limit: Limit = 20
) -> Page[InfluenceLink]:
    """Who drives this account: the reactors adding most to its reach."""
    index = state.index
    account = service.find_account(index, network, account_id=account_id)
    with state.gate.read() as store:
        return service.influence_page(
            store, index, [account], direction="in", offset=offset, limit=limit
        )


@router.get(
    "/{network}/{account_id}/influencees",
    response_model=Page[InfluenceLink],
    **audited_scoped("read", "account"),
)
def influencees(
    state: State, network: Network, account_id: AccountId, offset: Offset = 0, limit: Limit = 20
) -> Page[InfluenceLink]:
    """Whom this account drives: accounts it is a top reactor of."""
    index = state.index
    account = service.find_account(index, network, account_id=account_id)
    with state.gate.read() as store:
        return service.influence_page(
            store, index, [account], direction="out", offset=offset, limit=limit
        )
