"""People (linked accounts, or an account standing for itself): profile, history, explanation,
influencers, influencees."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from sway.api import service
from sway.api.deps import audited_scoped, get_state
from sway.api.models import ExplanationPublic, History, InfluenceLink, Page, PersonProfile
from sway.api.responses import json_response
from sway.api.routes._common import Limit, Offset, PersonId
from sway.api.state import ServiceState

__all__ = ["router"]

router = APIRouter(prefix="/v1/people", tags=["people"])
State = Annotated[ServiceState, Depends(get_state)]


@router.get("/{person_id}", response_model=PersonProfile, **audited_scoped("read", "person"))
async def profile(state: State, person_id: PersonId) -> Response:
    """Score across networks, sub-scores, changes, networks and accounts of a person."""
    index = state.index
    return json_response(service.person_profile(index, service.find_person(index, person_id)))


@router.get("/{person_id}/history", response_model=History, **audited_scoped("read", "person"))
def history(
    state: State,
    person_id: PersonId,
    algorithm_version: Annotated[str | None, Query(max_length=100)] = None,
) -> History:
    """The person's score in every run, one series per algorithm version and parameters."""
    person = service.find_person(state.index, person_id)
    with state.gate.read() as store:
        return service.history(
            store, person.person_id, person=person, algorithm_version=algorithm_version
        )


@router.get(
    "/{person_id}/explanation", response_model=ExplanationPublic, **audited_scoped("read", "person")
)
def explanation(state: State, person_id: PersonId) -> ExplanationPublic:
    """Why the score is what it is, per network and account, factor by factor."""
    index = state.index
    person = service.find_person(index, person_id)
    with state.gate.read() as store:
        return service.explain(store, index, person=person)


@router.get(
    "/{person_id}/influencers",
    response_model=Page[InfluenceLink],
    **audited_scoped("read", "person"),
)
def influencers(
    state: State, person_id: PersonId, offset: Offset = 0, limit: Limit = 20
) -> Page[InfluenceLink]:
    """Who drives this person's accounts."""
    index = state.index
    person = service.find_person(index, person_id)
    with state.gate.read() as store:
        return service.influence_page(
            store, index, list(person.accounts), direction="in", offset=offset, limit=limit
        )


@router.get(
    "/{person_id}/influencees",
    response_model=Page[InfluenceLink],
    **audited_scoped("read", "person"),
)
def influencees(
    state: State, person_id: PersonId, offset: Offset = 0, limit: Limit = 20
) -> Page[InfluenceLink]:
    """Whom this person's accounts drive."""
    index = state.index
    person = service.find_person(index, person_id)
    with state.gate.read() as store:
        return service.influence_page(
            store, index, list(person.accounts), direction="out", offset=offset, limit=limit
        )
