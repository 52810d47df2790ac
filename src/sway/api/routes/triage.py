"""Triage: a batch of messages back as an ordered queue; or a WebSocket stream."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from sway.api.deps import get_state, scoped, websocket_key
from sway.api.errors import ApiError, error_body
from sway.api.models import MessageIn
from sway.api.state import ServiceState
from sway.errors import SourceError
from sway.triage import Message, Triager, order_queue, parse_message

__all__ = ["router"]

router = APIRouter(prefix="/v1/triage", tags=["triage"])
State = Annotated[ServiceState, Depends(get_state)]


def triager(state: ServiceState) -> Triager:
    """A triager over the served index with the configured weights."""
    return Triager(state.index, weights=state.settings.triage, crm_weights=state.settings.crm)


def _message(row: Any, record: int, field_prefix: str) -> Message:
    try:
        return parse_message(row, record=record)
    except SourceError as exc:
        field = f"{field_prefix}.{exc.field}" if exc.field else field_prefix
        raise ApiError(422, f"{field}: {exc.message}", code="invalid_input", field=field) from None


@router.post("", **scoped("crm"))
async def triage_batch(state: State, messages: list[MessageIn]) -> dict[str, Any]:
    """Triage a batch: every message back, highest priority first, each with its priority
    (0-300: tier x 100 + a within-tier score), tier, actionability, sentiment, customer value,
    influence and reasons. Formula and ordering rule in `docs/api.md`."""
    if len(messages) > state.settings.max_records:
        raise ApiError(
            413, f"more than {state.settings.max_records:,} messages in one request", field="body"
        )
    parsed = [
        _message(m.model_dump(exclude_none=True), i + 1, f"body[{i}]")
        for i, m in enumerate(messages)
    ]
    t = triager(state)

    def work() -> list[dict[str, Any]]:
        queue = order_queue(t.triage_many(parsed))
        return [{"position": n + 1, **r.as_dict()} for n, r in enumerate(queue)]

    return {"queue": await run_in_threadpool(work)}


@router.websocket("/stream")
async def triage_stream(websocket: WebSocket) -> None:
    """Send a message (a JSON object, or an array of them) per frame; each comes back triaged,
    in the order sent. A bad message gets an error object and the stream goes on."""
    await websocket.accept()
    state: ServiceState = websocket.app.state.sway
    if await websocket_key(websocket, "crm") is None:
        return
    t = triager(state)
    record = 0
    try:
        while True:
            text = await websocket.receive_text()
            try:
                data = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                await websocket.send_text(
                    orjson.dumps(
                        error_body(422, "invalid", f"not valid JSON ({exc})", "frame")
                    ).decode()
                )
                continue
            items = data if isinstance(data, list) else [data]
            out = []
            for item in items:
                record += 1
                try:
                    out.append(t.triage(_message(item, record, f"message[{record}]")).as_dict())
                except ApiError as exc:
                    out.append(error_body(exc.status, exc.code, exc.message, exc.field))
            for result in out:
                await websocket.send_text(orjson.dumps(result).decode())
    except WebSocketDisconnect:
        return
