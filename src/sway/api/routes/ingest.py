"""Ingest events over HTTP, with the CLI's rules: one request is one atomic, idempotent ingest."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from sway.api.deps import get_state, require, scoped
from sway.api.errors import ApiError
from sway.api.keys import ApiKey
from sway.api.models import IngestResult
from sway.api.state import AuditEntry, ServiceState
from sway.errors import SourceError, StoreError
from sway.events import make_event
from sway.sources.base import Record, Rejected
from sway.store.ingest import IngestSummary, ingest_path, ingest_records
from sway.store.spool import new_spool

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["ingest"])
State = Annotated[ServiceState, Depends(get_state)]
Key = Annotated[ApiKey, Depends(require("write"))]

#: Content types read as a file in some importer's format, and the suffix that tells the
#: canonical importer which of its formats it is.
_FILE_TYPES = {
    "text/csv": ".csv",
    "application/x-ndjson": ".jsonl",
    "application/jsonl": ".jsonl",
    "application/gzip": ".gz",
    "application/octet-stream": "",
}

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "array", "items": {"type": "object"}},
                        {
                            "type": "object",
                            "properties": {
                                "events": {"type": "array", "items": {"type": "object"}}
                            },
                            "required": ["events"],
                        },
                    ]
                },
                "example": [
                    {
                        "network": "twitter",
                        "event_id": "t1",
                        "ts": "2024-05-01T12:00:00Z",
                        "actor": "ada",
                        "action": "post",
                        "text": "hello",
                    }
                ],
            },
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    },
}


def _json_events(body: bytes) -> list[Record]:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(422, f"not valid JSON ({exc})", field="body") from None
    if isinstance(data, dict) and isinstance(data.get("events"), list):
        data = data["events"]
    if not isinstance(data, list):
        raise ApiError(422, 'expected a list of events or {"events": [...]}', field="body")
    records: list[Record] = []
    for i, row in enumerate(data):
        if not isinstance(row, dict):
            error = SourceError("expected an object", record=i + 1, field=None)
            records.append(Rejected(error, orjson.dumps(row).decode()))
            continue
        try:
            records.append(make_event(row, record=i + 1))
        except SourceError as exc:
            records.append(Rejected(exc, orjson.dumps(row).decode()))
    return records


def _unspooled(text: str, folder: Path) -> str:
    """``text`` without the spool folder: the upload named as the client named it
    (``mine.csv:3: ...``), never a path of the server."""
    return text.replace(f"{folder}{os.sep}", "")


def _ingest(
    state: ServiceState,
    key: ApiKey,
    body: bytes,
    content_type: str,
    *,
    fmt: str,
    filename: str | None,
    skip_bad: bool,
) -> IngestResult:
    rejects = io.StringIO() if skip_bad else None
    digest = hashlib.sha256(body).hexdigest()
    source = f"api:{key.key_id}:{filename or digest[:12]}"
    summary: IngestSummary
    try:
        if content_type == "application/json":
            records = _json_events(body)
            with state.gate.write() as store:
                summary = ingest_records(
                    store,
                    iter(records),
                    source=source,
                    format="events",
                    sha256=digest,
                    rejects=rejects,
                )
        else:
            suffix = _FILE_TYPES.get(content_type)
            if suffix is None:
                raise ApiError(
                    415,
                    f"unsupported Content-Type {content_type!r}; send application/json, "
                    f"{', '.join(_FILE_TYPES)}",
                    field="header.content-type",
                )
            name = Path(filename).name if filename else f"upload{suffix}"
            # The body is raw input: it waits in the store's spool folder, never the system
            # temporary directory, so that a server killed mid-ingest leaves it where the next
            # writer removes it. It is written before the write connection opens, to hold the
            # store's lock no longer than the ingest: the spool's own lock, not the store's,
            # keeps other writers' clean-up away from it (see sway.store.spool).
            with new_spool(state.gate.path, "api") as folder:
                path = folder / name
                path.write_bytes(body)
                try:
                    with state.gate.write() as store:
                        summary = ingest_path(
                            store, path, format=fmt, rejects=rejects, logged_as=source
                        )
                except SourceError as exc:
                    exc.path = exc.path and _unspooled(exc.path, folder)
                    raise
                except StoreError as exc:
                    raise StoreError(_unspooled(str(exc), folder)) from None
            if rejects is not None:
                rejects = io.StringIO(_unspooled(rejects.getvalue(), folder))
    except SourceError as exc:
        where = f"events[{exc.record - 1}]" if isinstance(exc.record, int) else None
        if exc.line is not None:
            where = f"line {exc.line}"
        field = ".".join(p for p in (where, exc.field) if p) or None
        raise ApiError(
            422, f"{exc}; nothing was stored", code="invalid_input", field=field
        ) from None
    state.record(
        AuditEntry(
            actor=key.key_id,
            action="ingest",
            subject=source,
            detail={"new": summary.new, "duplicates": summary.duplicates, "format": summary.format},
        )
    )
    lines = rejects.getvalue().splitlines() if rejects is not None else []
    return IngestResult(
        source=summary.source,
        format=summary.format,
        read=summary.read,
        new=summary.new,
        duplicates=summary.duplicates,
        rejected=summary.rejected,
        accounts=summary.accounts,
        rejects=lines[:1000],
    )


@router.post("/events", response_model=IngestResult, **scoped("write", **_BODY))
async def ingest_events(
    request: Request,
    state: State,
    key: Key,
    format: Annotated[
        str, Query(pattern=r"^[a-z0-9-]{1,40}$", description="Importer (`sway formats`).")
    ] = "auto",
    filename: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$",
            description="Name of the uploaded file, e.g. `tweets.jsonl.gz` (a format hint).",
        ),
    ] = None,
    skip_bad: Annotated[
        bool, Query(description="Ingest the good records and list the bad ones.")
    ] = False,
) -> IngestResult:
    """Add events: a JSON list of canonical events, or a file in any format `sway ingest`
    reads (CSV, JSON Lines, an API dump, ...) as the body.

    Same rules as `sway ingest`: one request is one transaction (a bad record stops it and
    nothing is stored, unless `skip_bad`), and events already stored are skipped.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if not body:
        raise ApiError(422, "empty body", field="body")
    return await run_in_threadpool(
        _ingest,
        state,
        key,
        body,
        content_type,
        fmt=format,
        filename=filename,
        skip_bad=skip_bad,
    )
