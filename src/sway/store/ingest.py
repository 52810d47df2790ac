"""Atomic, idempotent, streaming ingest of one input into the store.

One invocation is one DuckDB transaction: records stream into staging tables in batches,
then new events (by ``(network, event_id)``) are appended and accounts merged, and the
transaction commits. Any failure, or the process being killed, leaves the store as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sway.errors import SourceError, StoreError
from sway.events import (
    ACCOUNT_SCHEMA,
    EVENT_SCHEMA,
    Account,
    Event,
    accounts_to_arrow,
    events_to_arrow,
)
from sway.privacy.guard import guard_ingest
from sway.sources import detect, get_source
from sway.sources.base import Record, Rejected, Source
from sway.sources.scratch import scratch_in
from sway.store.db import Store
from sway.store.spool import new_spool

__all__ = [
    "BATCH_SIZE",
    "IngestSummary",
    "ingest_path",
    "ingest_records",
    "plan_folder",
    "sha256_of",
]

BATCH_SIZE = 50_000


@dataclass(frozen=True)
class IngestSummary:
    """What one ingest did."""

    source: str
    format: str
    read: int
    new: int
    duplicates: int
    rejected: int
    accounts: int
    #: Events not stored because their author is erased or a minor.
    withheld: int = 0
    #: Accounts declared or flagged as minors (never stored as profiles).
    minors: int = 0

    def line(self) -> str:
        text = (
            f"{self.source}: {self.format}: {self.new:,} new, {self.duplicates:,} duplicate, "
            f"{self.rejected:,} rejected events; {self.accounts:,} accounts"
        )
        if self.withheld or self.minors:
            text += f" ({self.minors:,} minors and {self.withheld:,} events kept out)"
        return text


def sha256_of(path: Path) -> str:
    """Content hash of a file, or of every file under a folder (sorted by relative path)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode())
        with file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


class _Spool:
    """Append-only Parquet spool file: records leave Python memory as soon as a batch fills."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema.append(pa.field("seq", pa.int64()))
        self.writer = pq.ParquetWriter(path, self.schema)
        self.rows = 0

    def write(self, table: pa.Table, first_seq: int) -> None:
        # ``seq`` keeps input order, so the first copy of an event and the last word on an
        # account win deterministically.
        seq = pa.array(np.arange(first_seq, first_seq + table.num_rows, dtype=np.int64))
        self.writer.write_table(table.append_column("seq", seq))
        self.rows += table.num_rows

    def close(self) -> None:
        self.writer.close()


def ingest_records(
    store: Store,
    records: Iterable[Record],
    *,
    source: str,
    format: str,
    sha256: str,
    rejects: IO[str] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Write ``records`` into ``store`` in one transaction.

    Records are first spooled to Parquet files in the store's spool folder
    (:mod:`sway.store.spool`: constant memory however large the input), then merged into the
    store by one transaction: new events appended, accounts merged, the ingest logged. A :class:`Rejected` record aborts the whole ingest
    (raising its error) unless ``rejects`` is given, in which case its reason and raw text go
    there and the rest goes in. ``on_progress`` is called with the number of records read.
    """
    if store.read_only:
        raise StoreError(f"{store.path}: cannot ingest into a store opened read-only")
    read = rejected = seq = 0
    events: list[Event] = []
    accounts: list[Account] = []
    # The spool and whatever an importer extracts (``scratch_in``) sit in the store's spool
    # folder: removed when this ends, and by the next writer if the process is killed.
    with new_spool(store.path, "ingest") as spool_dir, scratch_in(spool_dir):
        event_spool = _Spool(spool_dir / "events.parquet", EVENT_SCHEMA)
        account_spool = _Spool(spool_dir / "accounts.parquet", ACCOUNT_SCHEMA)
        try:
            for record in records:
                seq += 1
                if isinstance(record, Event):
                    read += 1
                    events.append(record)
                    if len(events) >= BATCH_SIZE:
                        event_spool.write(events_to_arrow(events), seq - len(events))
                        events.clear()
                elif isinstance(record, Account):
                    accounts.append(record)
                    if len(accounts) >= BATCH_SIZE:
                        account_spool.write(accounts_to_arrow(accounts), seq - len(accounts))
                        accounts.clear()
                elif isinstance(record, Rejected):
                    if rejects is None:
                        raise record.error
                    rejected += 1
                    rejects.write(_reject_line(record))
                if on_progress is not None and seq % 10_000 == 0:
                    on_progress(seq)
            if events:
                event_spool.write(events_to_arrow(events), seq - len(events))
            if accounts:
                account_spool.write(accounts_to_arrow(accounts), seq - len(accounts))
            event_spool.close()
            account_spool.close()
            if on_progress is not None:
                on_progress(seq)
            return _merge(
                store,
                events=event_spool.path,
                accounts=account_spool.path,
                source=source,
                format=format,
                sha256=sha256,
                read=read,
                rejected=rejected,
            )
        finally:
            for spool in (event_spool, account_spool):
                with contextlib.suppress(Exception):
                    spool.close()


def _reject_line(record: Rejected) -> str:
    raw = (record.raw or "").replace("\n", "\\n")
    return f"{record.error}\t{raw}\n"


def _merge(
    store: Store,
    *,
    events: Path,
    accounts: Path,
    source: str,
    format: str,
    sha256: str,
    read: int,
    rejected: int,
) -> IngestSummary:
    con = store.con
    fields = [
        "handle",
        "display_name",
        "created_at",
        "followers",
        "following",
        "birth_date",
        "is_minor",
        "is_bot",
        "reputation",
    ]
    latest = ", ".join(f"arg_max({f}, seq) FILTER (WHERE {f} IS NOT NULL) AS {f}" for f in fields)
    merged = ", ".join(f"{f} = coalesce(excluded.{f}, accounts.{f})" for f in fields)
    try:
        con.execute("BEGIN TRANSACTION")
        # Tombstoned accounts and minors are taken out of the input before anything is stored.
        guarded = guard_ingest(store, events=events, accounts=accounts)
        files = {"events": str(events), "accounts": str(accounts)}
        ingest_id = int(store.scalar("SELECT nextval('ingest_seq')"))
        # Keep the first copy of each (network, event_id) in this input; skip any already stored.
        con.execute(
            f"""
            INSERT INTO events
            SELECT s.* EXCLUDE (seq, rn), $ingest_id AS ingest_id FROM (
                SELECT *, row_number() OVER (PARTITION BY network, event_id ORDER BY seq) AS rn
                FROM {guarded.events}
            ) s
            WHERE s.rn = 1 AND NOT EXISTS (
                SELECT 1 FROM events e WHERE e.network = s.network AND e.event_id = s.event_id
            )
            """,
            _used({"ingest_id": ingest_id, **files}, guarded.events),
        )
        new = int(store.scalar("SELECT count(*) FROM events WHERE ingest_id = ?", [ingest_id]))
        # Accounts: the newest non-empty value of each field wins, over what was stored.
        con.execute(
            f"""
            INSERT INTO accounts
            SELECT network, account_id, {", ".join(fields)}, now() AS updated_at
            FROM (SELECT network, account_id, {latest} FROM {guarded.accounts}
                  GROUP BY network, account_id)
            ON CONFLICT (network, account_id) DO UPDATE SET {merged}, updated_at = now()
            """,
            _used(files, guarded.accounts),
        )
        n_accounts = int(
            store.scalar(
                f"SELECT count(DISTINCT (network, account_id)) FROM {guarded.accounts}",
                _used(files, guarded.accounts),
            )
        )
        summary = IngestSummary(
            source=source,
            format=format,
            read=read,
            new=new,
            duplicates=read - new - guarded.scrubbed.deleted,
            rejected=rejected,
            accounts=n_accounts,
            withheld=guarded.scrubbed.deleted,
            minors=guarded.minors,
        )
        con.execute(
            "INSERT INTO ingests VALUES (?, ?, ?, ?, now(), ?, ?, ?, ?)",
            [ingest_id, source, format, sha256, new, summary.duplicates, rejected, n_accounts],
        )
        con.execute("COMMIT")
        _drop_staged(store)
        if store.rewrite_pending():
            # A minor already stored was erased by this ingest: finish the erasure on disk.
            store.rewrite()
        return summary
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise StoreError(f"{source}: ingest failed, nothing was stored ({exc})") from None
        raise


def _used(params: dict[str, Any], relation: str) -> dict[str, Any]:
    """The named parameters ``relation`` reads (DuckDB rejects unused named parameters)."""
    return {k: v for k, v in params.items() if k == "ingest_id" or f"${k}" in relation}


def _drop_staged(store: Store) -> None:
    for name in ("_staged_events", "_staged_accounts"):
        store.con.execute(f"DROP TABLE IF EXISTS {name}")


#: Files in a folder that are documentation, never data.
_NOT_DATA = ("readme", "license", "licence", "copying", "notice", "note", "sha256sums", ".")
_DOC_SUFFIXES = (".md", ".rst")


def plan_folder(path: Path, **options: str) -> list[tuple[Path, Source]]:
    """The files under ``path`` that some importer recognises, each with its importer.

    Documentation files are skipped; other unrecognised files are an error, so that nothing
    is silently left out.
    """
    planned: list[tuple[Path, Source]] = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        if file.name.lower().startswith(_NOT_DATA) or file.suffix.lower() in _DOC_SUFFIXES:
            continue
        planned.append((file, detect(file, **options)))
    return planned


def ingest_path(
    store: Store,
    path: Path,
    *,
    format: str = "auto",
    options: dict[str, str] | None = None,
    rejects: IO[str] | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_detect: Callable[[Path, Source], None] | None = None,
    logged_as: str | None = None,
) -> IngestSummary:
    """Ingest one file or folder in one transaction.

    ``logged_as`` is what the ingest log names it (default: the path). ``format="auto"``
    recognises the format from the content. A folder that one importer
    reads as a whole (an archive export, a data dump) goes to it; any other folder is read
    file by file, each file by the importer that recognises it.
    """
    if not path.exists():
        raise SourceError("no such file or folder", path=path)
    options = options or {}
    if format != "auto":
        plan = [(path, get_source(format, **options))]
    elif path.is_dir():
        try:
            plan = [(path, detect(path, **options))]
        except SourceError:
            plan = plan_folder(path, **options)
    else:
        plan = [(path, detect(path, **options))]
    if on_detect is not None:
        for file, source in plan:
            on_detect(file, source)
    names = sorted({source.name for _, source in plan})
    return ingest_records(
        store,
        itertools.chain.from_iterable(source.read(file) for file, source in plan),
        source=str(path) if logged_as is None else logged_as,
        format="+".join(names) or "none",
        sha256=sha256_of(path),
        rejects=rejects,
        on_progress=on_progress,
    )
