"""The canonical formats: CSV (header as ``CANONICAL_COLUMNS``), JSON Lines and Parquet.

The inner format is chosen by extension (``.csv``, ``.jsonl``/``.ndjson``/``.json``,
``.parquet``), after an optional ``.gz``/``.bz2``/``.xz``. Optional columns (``tags``, ``lang``,
``value``) may be present or not; unknown columns are refused so that a typo is not silently
dropped.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from sway.errors import ConfigError, SourceError
from sway.events import CANONICAL_COLUMNS, EVENT_COLUMNS, EVENT_SCHEMA, make_event
from sway.sources._io import (
    MAX_LINE_BYTES,
    iter_lines,
    iter_text_lines,
    peek,
    strip_compression,
)
from sway.sources.base import Record, Rejected, Source

__all__ = ["CanonicalSource", "canonical_kind", "write_events"]

_REQUIRED = ("network", "event_id", "ts", "action")
csv.field_size_limit(MAX_LINE_BYTES)


def canonical_kind(path: Path) -> str | None:
    """``csv``, ``jsonl`` or ``parquet`` from the file name, or ``None``."""
    suffix = strip_compression(path).suffix.lower()
    return {
        ".csv": "csv",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".json": "jsonl",
        ".parquet": "parquet",
        ".pq": "parquet",
    }.get(suffix)


def _check_columns(columns: list[str], path: Path, where: dict[str, Any]) -> None:
    missing = [c for c in _REQUIRED if c not in columns]
    if missing:
        raise SourceError(
            f"missing column {missing[0]!r}; expected the columns {', '.join(CANONICAL_COLUMNS)}",
            path=path,
            field="header",
            **where,
        )
    unknown = [c for c in columns if c not in EVENT_COLUMNS]
    if unknown:
        raise SourceError(
            f"unknown column {unknown[0]!r}; allowed: {', '.join(EVENT_COLUMNS)}",
            path=path,
            field="header",
            **where,
        )


class CanonicalSource(Source):
    name = "events"
    description = "Sway's canonical events as CSV, JSON Lines or Parquet (optionally .gz/.bz2/.xz)"

    def sniff(self, path: Path) -> float:
        kind = canonical_kind(path)
        head = peek(path, 2048)
        if kind == "parquet" or head.startswith(b"PAR1"):
            try:
                names = pq.read_schema(path).names
            except Exception:
                return 0.0
            return 0.95 if all(c in names for c in _REQUIRED) else 0.0
        first = head.split(b"\n", 1)[0].lstrip(b"\xef\xbb\xbf").strip()
        if first.startswith(b"{"):
            try:
                keys = set(orjson.loads(first))
            except orjson.JSONDecodeError:
                return 0.0
            return 0.95 if set(_REQUIRED) <= keys else 0.0
        header = [c.strip() for c in first.decode("utf-8", "replace").split(",")]
        return 0.95 if set(_REQUIRED) <= set(header) else 0.0

    def read(self, path: Path) -> Iterator[Record]:
        kind = canonical_kind(path)
        if kind is None:
            head = peek(path, 64)
            kind = (
                "parquet"
                if head.startswith(b"PAR1")
                else ("jsonl" if head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{") else "csv")
            )
        if kind == "csv":
            yield from self._read_csv(path)
        elif kind == "jsonl":
            yield from self._read_jsonl(path)
        else:
            yield from self._read_parquet(path)

    def _read_csv(self, path: Path) -> Iterator[Record]:
        with closing(iter_text_lines(path)) as lines:
            reader = csv.reader(lines, strict=True)
            try:
                header = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise SourceError(f"unreadable header ({exc})", path=path, line=1) from None
            header = [h.strip() for h in header]
            _check_columns(header, path, {"line": 1})
            width = len(header)
            start = reader.line_num + 1
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield Rejected(SourceError(f"malformed CSV ({exc})", path=path, line=start))
                    start = reader.line_num + 1
                    continue
                line = start
                start = reader.line_num + 1
                if not row:
                    continue
                if len(row) != width:
                    yield Rejected(
                        SourceError(
                            f"expected {width} fields as in the header, found {len(row)}",
                            path=path,
                            line=line,
                        ),
                        ",".join(row),
                    )
                    continue
                try:
                    yield make_event(dict(zip(header, row, strict=True)), path=str(path), line=line)
                except SourceError as exc:
                    yield Rejected(exc, ",".join(row))

    def _read_jsonl(self, path: Path) -> Iterator[Record]:
        for number, raw in iter_lines(path):
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield Rejected(
                    SourceError(f"not valid JSON ({exc})", path=path, line=number),
                    raw.decode("utf-8", "replace"),
                )
                continue
            if not isinstance(obj, dict):
                yield Rejected(
                    SourceError(
                        f"expected a JSON object, found {type(obj).__name__}",
                        path=path,
                        line=number,
                    ),
                    raw.decode("utf-8", "replace"),
                )
                continue
            unknown = [k for k in obj if k not in EVENT_COLUMNS]
            if unknown:
                yield Rejected(
                    SourceError(
                        f"unknown field; allowed: {', '.join(EVENT_COLUMNS)}",
                        path=path,
                        line=number,
                        field=str(unknown[0]),
                    ),
                    raw.decode("utf-8", "replace"),
                )
                continue
            try:
                yield make_event(obj, path=str(path), line=number)
            except SourceError as exc:
                yield Rejected(exc, raw.decode("utf-8", "replace"))

    def _read_parquet(self, path: Path) -> Iterator[Record]:
        try:
            pfile = pq.ParquetFile(path)
        except Exception as exc:
            raise SourceError(f"not a readable Parquet file ({exc})", path=path) from None
        _check_columns(pfile.schema_arrow.names, path, {"record": 0})
        number = 0
        try:
            for batch in pfile.iter_batches(batch_size=65536):
                for row in batch.to_pylist():
                    number += 1
                    try:
                        yield make_event(row, path=str(path), record=number)
                    except SourceError as exc:
                        yield Rejected(exc, str(row))
        except (OSError, ValueError) as exc:
            raise SourceError(
                f"corrupt Parquet data ({exc})", path=path, record=number + 1
            ) from None


def write_events(batches: Iterable[pa.RecordBatch], path: Path, *, kind: str | None = None) -> int:
    """Write canonical event batches to ``path`` as CSV, JSON Lines or Parquet; returns rows.

    The kind comes from the extension unless given; ``.gz`` compresses CSV and JSON Lines.
    Batches must have the columns of ``EVENT_COLUMNS`` (``ts`` as a timestamp).
    """
    kind = kind or canonical_kind(path)
    if kind is None:
        raise ConfigError(
            f"{path}: cannot tell the format from the name; use .csv, .jsonl or .parquet"
        )
    rows = 0
    if kind == "parquet":
        writer: pq.ParquetWriter | None = None
        try:
            for batch in batches:
                if writer is None:
                    writer = pq.ParquetWriter(path, batch.schema)
                writer.write_batch(batch)
                rows += batch.num_rows
            if writer is None:
                pq.write_table(EVENT_SCHEMA.empty_table(), path)
        finally:
            if writer is not None:
                writer.close()
        return rows
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as fh:
        if kind == "csv":
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(EVENT_COLUMNS)
            for batch in batches:
                for row in batch.to_pylist():
                    out.writerow([_csv_cell(row.get(c)) for c in EVENT_COLUMNS])
                rows += batch.num_rows
        else:
            for batch in batches:
                for row in batch.to_pylist():
                    clean = {c: _json_cell(row.get(c)) for c in EVENT_COLUMNS}
                    fh.write(
                        orjson.dumps({k: v for k, v in clean.items() if v is not None}).decode()
                    )
                    fh.write("\n")
                rows += batch.num_rows
    return rows


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, list | tuple):
        return "|".join(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _json_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
