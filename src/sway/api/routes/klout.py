"""Klout API v2 routes (``/v2/...``), shaped so that old Klout clients work unchanged.

The key is the ``key`` query parameter; errors answer in Klout's shape with Klout's statuses
(403 for a bad key and for rate limits). See :mod:`sway.api.klout` for the shapes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from sway.api import klout
from sway.api.deps import get_state, klout_scoped
from sway.api.responses import klout_response
from sway.api.state import ServiceState

__all__ = ["router"]

router = APIRouter(prefix="/v2", tags=["klout-v2"])
State = Annotated[ServiceState, Depends(get_state)]
KloutId = Annotated[str, Path(pattern=r"^[0-9]{1,20}$", description="A kloutId.")]
Code = Annotated[
    str,
    Path(
        pattern=r"^[a-z][a-z0-9_.-]{0,63}$",
        description="`tw`, `gp`, `ig`, `fb`, `ks`, or a Sway network name.",
    ),
]


@router.get(
    "/identity.json/twitter", response_model=klout.KloutIdentity, **klout_scoped(audit="klout")
)
async def identity_by_screen_name(
    state: State,
    screenName: Annotated[str, Query(min_length=1, max_length=200)],
) -> Response:
    """kloutId of a Twitter screen name."""
    return klout_response(klout.identity(state.index, "tw", screenName, by_handle=True))


@router.get(
    "/identity.json/klout/{klout_id}/{code}",
    response_model=klout.KloutIdentity,
    **klout_scoped(audit="klout"),
)
async def reverse_identity(state: State, klout_id: KloutId, code: Code) -> Response:
    """The Twitter (``tw``), Google+ (``gp``) or other network id of a kloutId."""
    return klout_response(klout.reverse_identity(state.index, klout_id, code))


@router.get(
    "/identity.json/{code}/{network_id}",
    response_model=klout.KloutIdentity,
    **klout_scoped(audit="klout"),
)
async def identity_by_id(
    state: State,
    code: Code,
    network_id: Annotated[str, Path(min_length=1, max_length=1000)],
) -> Response:
    """kloutId of a network id (``tw``, ``gp``, ``ig``, ``fb``), or ``ks`` to check one."""
    return klout_response(klout.identity(state.index, code, network_id))


@router.get("/user.json/{klout_id}", response_model=klout.KloutUser, **klout_scoped(audit="klout"))
async def user(state: State, klout_id: KloutId) -> Response:
    """The user: nick, score with its band, and score changes (``scoreDeltas``)."""
    return klout_response(klout.user(klout.person_for(state.index, klout_id)))


@router.get(
    "/user.json/{klout_id}/score", response_model=klout.KloutScore, **klout_scoped(audit="klout")
)
async def score(state: State, klout_id: KloutId) -> Response:
    """The score as a bare number, its changes (``scoreDelta``) and band."""
    return klout_response(klout.score(klout.person_for(state.index, klout_id)))


@router.get(
    "/user.json/{klout_id}/topics",
    response_model=list[klout.KloutTopic],
    **klout_scoped(audit="klout"),
)
async def topics(state: State, klout_id: KloutId) -> Response:
    """Topics of influence, as a bare array."""
    index = state.index
    found = klout.topics(index, klout.person_for(index, klout_id))
    return klout_response(found, item=klout.KloutTopic)


@router.get(
    "/user.json/{klout_id}/influence",
    response_model=klout.KloutInfluence,
    **klout_scoped(audit="klout"),
)
def influence(state: State, klout_id: KloutId) -> Response:
    """Up to five influencers and five influencees, with the full counts."""
    index = state.index
    person = klout.person_for(index, klout_id)
    with state.gate.read() as store:
        return klout_response(klout.influence(store, index, person))
