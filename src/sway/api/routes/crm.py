"""CRM enrichment: customer records back with score, topics, networks and a priority."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from sway.api.deps import get_state, require, scoped
from sway.api.errors import ApiError
from sway.api.keys import ApiKey
from sway.api.state import AuditEntry, ServiceState
from sway.crm import (
    CSV_COLUMNS,
    CrmWeights,
    Customer,
    Enriched,
    csv_cells,
    enrich,
    parse_customer,
    parse_weights,
    read_records,
)
from sway.errors import ConfigError, SourceError

__all__ = ["enriched_csv", "router"]

router = APIRouter(prefix="/v1/crm", tags=["crm"])
State = Annotated[ServiceState, Depends(get_state)]
Key = Annotated[ApiKey, Depends(require("crm"))]

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/CustomerIn"}},
            },
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    },
}


def parse_records(rows: list[Any], *, csv_lines: bool) -> list[Customer]:
    """Customers from loose rows; errors name ``body[i].field`` (JSON) or the CSV line."""
    customers = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ApiError(422, "expected an object", field=f"body[{i}]")
        try:
            customers.append(parse_customer(row, record=i + 1))
        except SourceError as exc:
            where = f"line {i + 2}" if csv_lines else f"body[{i}]"
            field = f"{where}.{exc.field}" if exc.field else where
            raise ApiError(
                422, f"{field}: {exc.message}", code="invalid_input", field=field
            ) from None
    return customers


def enriched_csv(header: list[str], rows: list[dict[str, Any]], results: list[Enriched]) -> str:
    """Enriched records as CSV: the customer's columns as given, then Sway's."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*header, *CSV_COLUMNS])
    for row, result in zip(rows, results, strict=True):
        writer.writerow([*(_cell(row.get(h)) for h in header), *csv_cells(result)])
    return out.getvalue()


def _weights(state: ServiceState, text: str | None) -> CrmWeights:
    if not text:
        return state.settings.crm
    try:
        return CrmWeights.from_mapping({**state.settings.crm.as_dict(), **parse_weights(text)})
    except ConfigError as exc:
        raise ApiError(422, str(exc), field="query.weights") from None


@router.post("/enrich", **scoped("crm", **_BODY))
async def enrich_records(
    request: Request,
    state: State,
    key: Key,
    weights: Annotated[
        str | None,
        Query(max_length=500, description="Override weights: `value=0.6,influence=0.4`."),
    ] = None,
    format: Annotated[
        str | None, Query(pattern="^(json|csv)$", description="Answer as JSON (default) or CSV.")
    ] = None,
) -> Response:
    """Enrich customer records (a JSON list, a CSV body, or a CSV file upload in the form
    field `file`): each record comes back with its matched accounts and their scores, topics,
    and a priority combining value, history and influence (formula in `docs/api.md`)."""
    w = _weights(state, weights)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    header: list[str] = []
    if content_type == "application/json":
        try:
            data = orjson.loads(await request.body())
        except orjson.JSONDecodeError as exc:
            raise ApiError(422, f"not valid JSON ({exc})", field="body") from None
        if not isinstance(data, list):
            raise ApiError(422, "expected a JSON list of customer records", field="body")
        rows: list[Any] = data
        is_csv = False
    elif content_type in ("text/csv", "multipart/form-data"):
        if content_type == "multipart/form-data":
            async with request.form() as form:
                upload = form.get("file")
                if not isinstance(upload, UploadFile):
                    raise ApiError(
                        422, "expected a CSV file in the form field 'file'", field="body.file"
                    )
                raw = await upload.read()
        else:
            raw = await request.body()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ApiError(422, "the CSV is not UTF-8 text", field="body") from None
        try:
            header, rows, _ = read_records(text, csv_only=True)
        except SourceError as exc:
            raise ApiError(422, str(exc), code="invalid_input", field=f"line {exc.line}") from None
        is_csv = True
    else:
        raise ApiError(
            415,
            f"unsupported Content-Type {content_type!r}; send application/json, text/csv or "
            "multipart/form-data",
            field="header.content-type",
        )
    if len(rows) > state.settings.max_records:
        raise ApiError(
            413, f"more than {state.settings.max_records:,} records in one request", field="body"
        )
    customers = parse_records(rows, csv_lines=is_csv)
    index = state.index
    today = datetime.now(UTC).date()
    results = await run_in_threadpool(lambda: list(enrich(customers, index, w, as_of=today)))
    state.record(
        AuditEntry(actor=key.key_id, action="crm.enrich", detail={"records": len(results)})
    )
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        if not is_csv:
            header = list(dict.fromkeys(k for r in rows for k in r))
        return Response(enriched_csv(header, rows, results), media_type="text/csv; charset=utf-8")
    body = {
        "records": [r.as_dict() for r in results],
        "weights": w.as_dict(),
        "run_id": None if index.run is None else index.run.run_id,
    }
    return Response(orjson.dumps(body), media_type="application/json")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)
