"""Administration over the API: keys and usage (scope ``admin``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from sway.api.deps import get_state, require, scoped
from sway.api.errors import ApiError
from sway.api.keys import ApiKey, create_key, revoke_key
from sway.api.models import KeyCreated, KeyCreateIn, KeyPublic, UsageRow
from sway.api.state import ServiceState
from sway.errors import ConfigError
from sway.store.queries import api_usage_rows

__all__ = ["router"]

router = APIRouter(prefix="/v1/admin", tags=["admin"])
State = Annotated[ServiceState, Depends(get_state)]
Admin = Annotated[ApiKey, Depends(require("admin"))]
KeyId = Annotated[str, Path(pattern=r"^[a-z0-9]{8}$", description="The key's public id.")]


def _public(key: ApiKey) -> KeyPublic:
    return KeyPublic(
        key_id=key.key_id,
        name=key.name,
        scopes=sorted(key.scopes),
        rate_per_second=key.rate_per_second,
        rate_per_day=key.rate_per_day,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
        last_used_at=key.last_used_at,
        person_id=key.person_id,
    )


@router.get("/keys", response_model=list[KeyPublic], **scoped("admin"))
async def list_keys(state: State) -> list[KeyPublic]:
    """Every key, newest first (secrets are never shown: only their hashes are stored)."""
    return [_public(k) for k in state.api_keys()]


@router.post("/keys", response_model=KeyCreated, status_code=201, **scoped("admin"))
def create(state: State, admin: Admin, body: KeyCreateIn) -> KeyCreated:
    """Create a key; its secret is in this answer only."""
    with state.gate.write() as store:
        new = create_key(
            store,
            name=body.name,
            scopes=body.scopes,
            rate_per_second=body.rate_per_second,
            rate_per_day=body.rate_per_day,
            person_id=body.person_id,
            actor=admin.key_id,
        )
        state.key_changed(store)
    return KeyCreated(**_public(new.key).model_dump(), secret=new.secret)


@router.delete("/keys/{key_id}", response_model=KeyPublic, **scoped("admin"))
def revoke(state: State, admin: Admin, key_id: KeyId) -> KeyPublic:
    """Revoke a key; it stops working at once on this server."""
    with state.gate.write() as store:
        try:
            key = revoke_key(store, key_id, actor=admin.key_id)
        except ConfigError:
            raise ApiError(404, f"no API key {key_id!r}", field="path.key_id") from None
        state.key_changed(store)
    return _public(key)


@router.get("/usage", response_model=list[UsageRow], **scoped("admin"))
def usage(
    state: State, days: Annotated[int, Query(ge=1, le=3660, description="Days back.")] = 30
) -> list[UsageRow]:
    """Calls and refused calls per key and day (written every few seconds)."""
    state.flush(wait=state.settings.lock_wait)
    with state.gate.read() as store:
        rows = api_usage_rows(store, days=days)
    return [
        UsageRow(
            key_id=r["key_id"], day=r["day"].isoformat(), calls=r["calls"], limited=r["limited"]
        )
        for r in rows
    ]
