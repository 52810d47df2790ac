"""Privacy: a person's own scores, visibility, export and erasure; published scores; the audit
log.

The ``/v1/privacy/people/{person_id}`` routes take the person's own key (scope ``self``, made
for that person) or an admin key; any other key gets 403, even for another person's id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from sway.api import service
from sway.api.deps import get_state, require, scoped
from sway.api.errors import ApiError
from sway.api.keys import ApiKey
from sway.api.models import (
    AuditRow,
    ForgetResult,
    PersonProfile,
    PersonSummary,
    VisibilityIn,
    VisibilityPublic,
)
from sway.api.responses import json_response
from sway.api.routes._common import Limit, PersonId
from sway.api.state import AuditEntry, ServiceState
from sway.errors import ConfigError
from sway.privacy import audit_entries, export_person, forget, set_visibility, visibility
from sway.privacy.forget import ForgetReport
from sway.privacy.visibility import Visibility

__all__ = ["change_visibility", "erase_person", "export_data", "router"]

router = APIRouter(tags=["privacy"])
State = Annotated[ServiceState, Depends(get_state)]
Own = Annotated[ApiKey, Depends(require("self"))]
PEOPLE = "/v1/privacy/people/{person_id}"


def _own(key: ApiKey, person_id: str) -> None:
    """A ``self`` key opens its own person's data only; admin keys open anyone's."""
    if "admin" not in key.scopes and key.person_id != person_id:
        raise ApiError(
            403,
            "this key belongs to another person",
            code="insufficient_scope",
            field="path.person_id",
        )


def _record(state: ServiceState, key: ApiKey, action: str, person_id: str) -> None:
    state.record(AuditEntry(actor=key.key_id, action=action, subject=person_id))


@router.get(PEOPLE, response_model=PersonProfile, **scoped("self"))
async def own_profile(state: State, key: Own, person_id: PersonId) -> Response:
    """The person's own score, sub-scores, changes and accounts, whatever their visibility."""
    _own(key, person_id)
    _record(state, key, "read.person", person_id)
    index = state.index
    return json_response(service.person_profile(index, service.find_person(index, person_id)))


@router.get(f"{PEOPLE}/export", **scoped("self"))
def export(state: State, key: Own, person_id: PersonId) -> dict[str, Any]:
    """Everything held about the person, as JSON (an access request)."""
    _own(key, person_id)
    return export_data(state, person_id, key=key)


def export_data(state: ServiceState, person_id: str, *, key: ApiKey) -> dict[str, Any]:
    """A person's access request through the running server (this route, and the dashboard's
    download), audited as ``privacy.export``."""
    with state.gate.write() as store:
        try:
            data = export_person(store, person_id)
        except ConfigError as exc:
            raise ApiError(404, str(exc), field="path.person_id") from None
    _record(state, key, "privacy.export", person_id)
    return data


@router.get(f"{PEOPLE}/visibility", response_model=VisibilityPublic, **scoped("self"))
def get_visibility(state: State, key: Own, person_id: PersonId) -> VisibilityPublic:
    """Whether the person's scores are published (served without a key)."""
    _own(key, person_id)
    service.find_person(state.index, person_id)
    with state.gate.read() as store:
        return VisibilityPublic(**visibility(store, person_id).as_dict())


@router.put(f"{PEOPLE}/visibility", response_model=VisibilityPublic, **scoped("self"))
def put_visibility(
    state: State, key: Own, person_id: PersonId, body: VisibilityIn
) -> VisibilityPublic:
    """Publish the person's scores, hide them, or (``public: null``) follow the default."""
    _own(key, person_id)
    return VisibilityPublic(**change_visibility(state, person_id, body.public, key=key).as_dict())


def change_visibility(
    state: ServiceState, person_id: str, public: bool | None, *, key: ApiKey
) -> Visibility:
    """Publish or hide a person's scores through the running server (this route, and the
    dashboard's switch), audited as ``privacy.visibility``."""
    service.find_person(state.index, person_id)
    with state.gate.write() as store:
        seen = set_visibility(store, person_id, public)
    _record(state, key, "privacy.visibility", person_id)
    return seen


@router.delete(PEOPLE, response_model=ForgetResult, **scoped("self"))
def erase(state: State, key: Own, person_id: PersonId) -> ForgetResult:
    """Erase the person (or the account of an implicit ``network:account`` person) for good:
    every table, every run, every event, the file rewritten. Their own keys stop working."""
    _own(key, person_id)
    return ForgetResult(**erase_person(state, person_id, requested_by=key.key_id).as_dict())


def erase_person(state: ServiceState, person_id: str, *, requested_by: str) -> ForgetReport:
    """Erase a person through the running server (this route, and the dashboard's form)."""
    # Buffered audit entries naming the person are written first, so the erasure reaches them.
    state.flush(wait=state.settings.lock_wait)
    with state.gate.write() as store:
        try:
            report = forget(store, person=person_id, requested_by=requested_by)
        except ConfigError as exc:
            raise ApiError(404, str(exc), field="path.person_id") from None
    state.refresh(force=True)
    return report


@router.get(
    "/v1/public/people/{person_id}",
    response_model=PersonSummary,
    openapi_extra={"x-scope": "public"},
)
def public_person(state: State, person_id: PersonId) -> PersonSummary:
    """A published person's score, without a key. Unpublished and unknown people are alike:
    404, so that the answer says nothing about who is held."""
    missing = ApiError(404, f"no published scores for {person_id!r}", field="path.person_id")
    person = state.index.person(person_id)
    if person is None:
        raise missing
    with state.gate.read() as store:
        if not visibility(store, person_id).public:
            raise missing
    return service.person_summary(person)


@router.get("/v1/admin/audit", response_model=list[AuditRow], **scoped("admin"))
def audit(
    state: State,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    subject: Annotated[str | None, Query(max_length=1000)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 100,
) -> list[AuditRow]:
    """The audit log, newest first: reads of people's data by keys, exports, erasures, keys."""
    state.flush(wait=state.settings.lock_wait)
    with state.gate.read() as store:
        rows = audit_entries(store, actor=actor, subject=subject, action=action, limit=limit)
    return [AuditRow(**r) for r in rows]
