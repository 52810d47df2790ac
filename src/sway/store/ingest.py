"""Atomic, idempotent, streaming ingest of inputs into the store.

One ingest of records is one DuckDB transaction: records stream into staging tables in
batches, then new events (by ``(network, event_id)``) are appended and accounts merged, and the
transaction commits. Any failure, or the process being killed, leaves the store as it was.

:func:`ingest_path` ingests a file or folder as one such transaction. :func:`ingest_each` (what
``sway ingest`` does) makes each file of a folder read file by file its own: a bad file is
reported and stored nothing, the others are stored. A folder that one importer reads as a
whole (an archive export, a data dump) stays one unit either way.

What the store receives is cleaned of two things, and the summary counts both: events without
any time (:class:`~sway.sources.base.Undated`: an importer never invents a time, and such an
event is not stored, so it can never enter a time window), and NUL characters in text and ids
(removed: other tools that read the store or its exports end strings at them). Events whose time
is derived from the data (``ts_derived``) are stored marked, and counted.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
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
from sway.sources.base import Record, Rejected, Source, Undated
from sway.sources.scratch import scratch_in
from sway.store.db import Store
from sway.store.spool import new_spool

__all__ = [
    "BATCH_SIZE",
    "IngestSummary",
    "RejectedFile",
    "ingest_each",
    "ingest_path",
    "ingest_records",
    "plan_folder",
    "sha256_of",
]

BATCH_SIZE = 50_000


class RejectedFile(NamedTuple):
    """A file of a folder from which nothing was stored, and why (``file:line: ...``)."""

    path: Path
    error: SourceError


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
    #: Events read whose time is derived from the data (stored with ``ts_derived``).
    derived: int = 0
    #: Events read without any time (:class:`~sway.sources.base.Undated`): not stored.
    undated: int = 0
    #: Strings (text, ids, names) from which NUL characters were removed.
    nul_removed: int = 0
    #: Files ingested one by one (:func:`ingest_each`), and those rejected whole.
    files: int = 1
    failed: tuple[RejectedFile, ...] = ()

    def line(self) -> str:
        text = (
            f"{self.source}: {self.format}: {self.new:,} new, {self.duplicates:,} duplicate, "
            f"{self.rejected:,} rejected events; {self.accounts:,} accounts"
        )
        if self.withheld or self.minors:
            text += f" ({self.minors:,} minors and {self.withheld:,} events kept out)"
        if self.derived:
            text += f"; {self.derived:,} with derived times"
        if self.undated:
            text += f"; {self.undated:,} undated, not stored"
        if self.nul_removed:
            text += f"; NUL characters removed from {self.nul_removed:,} values"
        if self.failed:
            names = ", ".join(_relative(f.path, self.source) for f in self.failed)
            text += (
                f"; {len(self.failed):,} of {self.files:,} files rejected, "
                f"nothing stored from them: {names}"
            )
        return text


def _relative(file: Path, source: str) -> str:
    try:
        return str(file.relative_to(source))
    except ValueError:
        return str(file)


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


#: The event spool: the canonical columns, then whether ``ts`` is derived.
_SPOOLED_EVENTS = EVENT_SCHEMA.append(pa.field("ts_derived", pa.bool_(), nullable=False))


def _events_table(events: list[Event]) -> pa.Table:
    derived = pa.array([e.ts_derived for e in events], pa.bool_())
    return events_to_arrow(events).append_column(_SPOOLED_EVENTS.field("ts_derived"), derived)


def _without_nul(table: pa.Table) -> tuple[pa.Table, int]:
    """``table`` with NUL characters removed from its strings, and how many strings had one."""
    found = 0
    for index, field in enumerate(table.schema):
        column = table.column(index)
        if pa.types.is_string(field.type):
            hits = int(pc.sum(pc.match_substring(column, "\x00")).as_py() or 0)
            if hits:
                column = pc.replace_substring(column, "\x00", "")
        elif pa.types.is_list(field.type) and pa.types.is_string(field.type.value_type):
            values = pc.list_flatten(column)
            hits = int(pc.sum(pc.match_substring(values, "\x00")).as_py() or 0)
            if hits:  # rare: rebuilt in Python
                column = pa.array(
                    [
                        None if v is None else [t.replace("\x00", "") for t in v]
                        for v in column.to_pylist()
                    ],
                    field.type,
                )
        else:
            continue
        if hits:
            found += hits
            table = table.set_column(index, field, column)
    return table, found


class _Spool:
    """Append-only Parquet spool file: records leave Python memory as soon as a batch fills."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema.append(pa.field("seq", pa.int64()))
        self.writer = pq.ParquetWriter(path, self.schema)
        self.rows = 0
        self.nul_removed = 0

    def write(self, table: pa.Table, first_seq: int) -> None:
        table, found = _without_nul(table)
        self.nul_removed += found
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
    store by one transaction: new events appended, accounts merged, the ingest logged. A
    :class:`Rejected` record aborts the whole ingest (raising its error) unless ``rejects`` is
    given, in which case its reason and raw text go there and the rest goes in. An
    :class:`Undated` record is counted, not stored. ``on_progress`` is called with the number
    of records read.
    """
    return _ingest(
        store,
        records,
        source=source,
        format=format,
        sha256=sha256,
        rejects=rejects,
        on_progress=on_progress,
    )


@dataclass
class _Counts:
    read: int = 0
    rejected: int = 0
    derived: int = 0
    undated: int = 0
    nul_removed: int = 0


def _ingest(
    store: Store,
    records: Iterable[Record],
    *,
    source: str,
    format: str,
    sha256: str,
    rejects: IO[str] | None,
    on_progress: Callable[[int], None] | None,
    accounts_to: Path | None = None,
) -> IngestSummary:
    if store.read_only:
        raise StoreError(f"{store.path}: cannot ingest into a store opened read-only")
    counts = _Counts()
    seq = 0
    events: list[Event] = []
    accounts: list[Account] = []
    # The spool and whatever an importer extracts (``scratch_in``) sit in the store's spool
    # folder: removed when this ends, and by the next writer if the process is killed.
    with new_spool(store.path, "ingest") as spool_dir, scratch_in(spool_dir):
        event_spool = _Spool(spool_dir / "events.parquet", _SPOOLED_EVENTS)
        account_spool = _Spool(spool_dir / "accounts.parquet", ACCOUNT_SCHEMA)
        try:
            for record in records:
                seq += 1
                if isinstance(record, Event):
                    counts.read += 1
                    counts.derived += record.ts_derived
                    events.append(record)
                    if len(events) >= BATCH_SIZE:
                        event_spool.write(_events_table(events), seq - len(events))
                        events.clear()
                elif isinstance(record, Account):
                    accounts.append(record)
                    if len(accounts) >= BATCH_SIZE:
                        account_spool.write(accounts_to_arrow(accounts), seq - len(accounts))
                        accounts.clear()
                elif isinstance(record, Undated):
                    counts.undated += 1
                elif isinstance(record, Rejected):
                    if rejects is None:
                        raise record.error
                    counts.rejected += 1
                    rejects.write(_reject_line(record))
                if on_progress is not None and seq % 10_000 == 0:
                    on_progress(seq)
            if events:
                event_spool.write(_events_table(events), seq - len(events))
            if accounts:
                account_spool.write(accounts_to_arrow(accounts), seq - len(accounts))
            event_spool.close()
            account_spool.close()
            counts.nul_removed = event_spool.nul_removed + account_spool.nul_removed
            if on_progress is not None:
                on_progress(seq)
            return _merge(
                store,
                events=event_spool.path,
                accounts=account_spool.path,
                source=source,
                format=format,
                sha256=sha256,
                counts=counts,
                accounts_to=accounts_to,
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
    counts: _Counts,
    accounts_to: Path | None,
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
            INSERT INTO events ({", ".join(_SPOOLED_EVENTS.names)}, ingest_id)
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
        if accounts_to is not None:
            # The distinct accounts of several files ingested one by one are counted from
            # these (a file that then fails has its own removed by the caller).
            con.execute(
                f"COPY (SELECT DISTINCT network, account_id FROM {guarded.accounts}) "
                "TO $accounts_to (FORMAT parquet)",
                {**_used(files, guarded.accounts), "accounts_to": str(accounts_to)},
            )
        summary = IngestSummary(
            source=source,
            format=format,
            read=counts.read,
            new=new,
            duplicates=counts.read - new - guarded.scrubbed.deleted,
            rejected=counts.rejected,
            accounts=n_accounts,
            withheld=guarded.scrubbed.deleted,
            minors=guarded.minors,
            derived=counts.derived,
            undated=counts.undated,
            nul_removed=counts.nul_removed,
        )
        con.execute(
            "INSERT INTO ingests (ingest_id, source, format, sha256, ingested_at, new_events, "
            "duplicates, rejected, accounts, derived, undated, nul_removed) "
            "VALUES (?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?)",
            [
                ingest_id,
                source,
                format,
                sha256,
                new,
                summary.duplicates,
                counts.rejected,
                n_accounts,
                counts.derived,
                counts.undated,
                counts.nul_removed,
            ],
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


def _data_files(path: Path) -> list[Path]:
    return [
        file
        for file in sorted(p for p in path.rglob("*") if p.is_file())
        if not file.name.lower().startswith(_NOT_DATA) and file.suffix.lower() not in _DOC_SUFFIXES
    ]


def plan_folder(path: Path, **options: str) -> list[tuple[Path, Source]]:
    """The files under ``path`` that some importer recognises, each with its importer.

    Documentation files are skipped; other unrecognised files are an error, so that nothing
    is silently left out.
    """
    return [(file, detect(file, **options)) for file in _data_files(path)]


def _plan(
    path: Path, format: str, options: dict[str, str]
) -> tuple[list[tuple[Path, Source | SourceError]], bool]:
    """The units of ``path``, each with its importer or why none reads it, and whether they
    are the files of a folder read file by file (rather than one input)."""
    if not path.exists():
        raise SourceError("no such file or folder", path=path)
    if format != "auto":
        return [(path, get_source(format, **options))], False
    if path.is_dir():
        try:
            return [(path, detect(path, **options))], False
        except SourceError:
            pass
        planned: list[tuple[Path, Source | SourceError]] = []
        for file in _data_files(path):
            try:
                planned.append((file, detect(file, **options)))
            except SourceError as exc:
                planned.append((file, exc))
        return planned, True
    return [(path, detect(path, **options))], False


def _format_of(plan: list[tuple[Path, Source | SourceError]]) -> str:
    names = sorted({source.name for _, source in plan if isinstance(source, Source)})
    return "+".join(names) or "none"


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
    file by file, each file by the importer that recognises it. :func:`ingest_each` makes
    each of those files a transaction of its own.
    """
    plan, _ = _plan(path, format, options or {})
    return _ingest_whole(
        store,
        path,
        plan,
        rejects=rejects,
        on_progress=on_progress,
        on_detect=on_detect,
        logged_as=logged_as,
    )


def _ingest_whole(
    store: Store,
    path: Path,
    plan: list[tuple[Path, Source | SourceError]],
    *,
    rejects: IO[str] | None,
    on_progress: Callable[[int], None] | None,
    on_detect: Callable[[Path, Source], None] | None,
    logged_as: str | None = None,
) -> IngestSummary:
    """Everything ``plan`` reads, in one transaction (a file without an importer fails it)."""
    sources: list[tuple[Path, Source]] = []
    for file, source in plan:
        if isinstance(source, SourceError):
            raise source
        sources.append((file, source))
    if on_detect is not None:
        for file, source in sources:
            on_detect(file, source)
    return ingest_records(
        store,
        itertools.chain.from_iterable(source.read(file) for file, source in sources),
        source=str(path) if logged_as is None else logged_as,
        format=_format_of(plan),
        sha256=sha256_of(path),
        rejects=rejects,
        on_progress=on_progress,
    )


def ingest_each(
    store: Store,
    path: Path,
    *,
    format: str = "auto",
    options: dict[str, str] | None = None,
    rejects: IO[str] | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_detect: Callable[[Path, Source], None] | None = None,
) -> IngestSummary:
    """Ingest ``path`` with each file atomic on its own.

    A file, or a folder that one importer reads as a whole, is one transaction, as with
    :func:`ingest_path` (and a failure raises its :class:`SourceError`). Any other folder is
    read file by file, each file in a transaction of its own and logged on its own: a file
    that fails (a bad record without ``rejects``, unreadable, in no format Sway reads) stores
    nothing and is listed in the summary's ``failed`` with its error, and the other files are
    stored. The summary adds the files up; its ``accounts`` are the distinct accounts of all.
    """
    plan, split = _plan(path, format, options or {})
    if not split:
        return _ingest_whole(
            store, path, plan, rejects=rejects, on_progress=on_progress, on_detect=on_detect
        )
    if on_detect is not None:
        for file, source in plan:
            if isinstance(source, Source):
                on_detect(file, source)
    done: list[IngestSummary] = []
    failed: list[RejectedFile] = []
    progress = _Progress(on_progress)
    with new_spool(store.path, "ingest-each") as tally:
        for number, (file, source) in enumerate(plan):
            if isinstance(source, SourceError):
                failed.append(RejectedFile(file, source))
                continue
            accounts_to = tally / f"accounts-{number}.parquet"
            try:
                done.append(
                    _ingest(
                        store,
                        source.read(file),
                        source=str(file),
                        format=source.name,
                        sha256=sha256_of(file),
                        rejects=rejects,
                        on_progress=progress.unit() if on_progress is not None else None,
                        accounts_to=accounts_to,
                    )
                )
            except SourceError as exc:
                accounts_to.unlink(missing_ok=True)
                failed.append(RejectedFile(file, exc))
        tallies = sorted(str(p) for p in tally.glob("accounts-*.parquet"))
        accounts = (
            int(
                store.scalar(
                    "SELECT count(*) FROM (SELECT DISTINCT network, account_id "
                    "FROM read_parquet(?))",
                    [tallies],
                )
            )
            if tallies
            else 0
        )
    return IngestSummary(
        source=str(path),
        format=_format_of(plan),
        read=sum(s.read for s in done),
        new=sum(s.new for s in done),
        duplicates=sum(s.duplicates for s in done),
        rejected=sum(s.rejected for s in done),
        accounts=accounts,
        withheld=sum(s.withheld for s in done),
        minors=sum(s.minors for s in done),
        derived=sum(s.derived for s in done),
        undated=sum(s.undated for s in done),
        nul_removed=sum(s.nul_removed for s in done),
        files=len(plan),
        failed=tuple(failed),
    )


class _Progress:
    """Records read across the files of :func:`ingest_each`, for one progress callback."""

    def __init__(self, report: Callable[[int], None] | None) -> None:
        self.report = report
        self.before = 0
        self.current = 0

    def unit(self) -> Callable[[int], None]:
        self.before += self.current
        self.current = 0
        return self._update

    def _update(self, done: int) -> None:
        self.current = done
        if self.report is not None:
            self.report(self.before + done)
