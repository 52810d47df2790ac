"""The DuckDB engine: runs the scoring steps on a store's connection or on given events.

Quirks of DuckDB handled here and nowhere else: every result is fully fetched before the next
statement (DuckDB 2.0 wants results finished), step tables are ``TEMP`` tables so nothing is
written to the store file, and the data digest uses DuckDB's ``hash``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from sway.engines.base import DataFingerprint
from sway.errors import EngineError
from sway.events import EVENT_SCHEMA, Event, events_to_arrow
from sway.scoring.steps import Step

__all__ = ["LINK_SCHEMA", "DuckDBEngine"]

#: Columns of the ``person_accounts`` input.
LINK_SCHEMA = pa.schema(
    [
        pa.field("person_id", pa.string(), nullable=False),
        pa.field("network", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
    ]
)

# (network, event_id) identifies an event (ingest keeps the first copy); ts is there so that a
# backfill that moves events in or out of the window changes the digest too.
_DIGEST_COLUMNS = "network, event_id, ts"

# The inputs the steps read (see sway.scoring.steps), as views over the store's tables or over
# registered Arrow tables. ``epoch_us`` is cheap; time-zone-aware date arithmetic is not.
_INPUT_EVENTS = """
CREATE OR REPLACE TEMP VIEW input_events AS
SELECT network, event_id, ts, epoch_us(ts) AS ts_us, actor, action, target, content_id,
       parent_id, value, text
FROM {events}
"""
_INPUT_LINKS = """
CREATE OR REPLACE TEMP VIEW input_links AS
SELECT DISTINCT person_id, network, account_id FROM {links}
"""


def _quote(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise EngineError(f"not a table name: {name!r}")
    return f'"{name}"'


class DuckDBEngine:
    """Run the scoring steps in DuckDB.

    Parameters
    ----------
    con
        The connection.
    events, links
        The relations holding the events and the person links: table or view names, or table
        expressions such as ``read_parquet('events/**/*.parquet')`` (a Parquet export).
    owns_connection
        Close ``con`` on :meth:`close` (when the engine made it).
    has_ingest_ids
        ``events`` has the store's ``ingest_id`` column (for the ingest watermark).
    """

    name = "duckdb"

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        events: str = "main.events",
        links: str = "main.person_accounts",
        owns_connection: bool = False,
        has_ingest_ids: bool = False,
    ) -> None:
        self.con = con
        self.events = events
        self.links = links
        self.owns_connection = owns_connection
        self.has_ingest_ids = has_ingest_ids
        self._tables: list[str] = []
        self._views: list[str] = []
        # Timestamps print and compare in UTC whatever the machine's zone; DuckDB's own
        # progress bar would write into the CLI's output.
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute(_INPUT_EVENTS.format(events=events))
        self.con.execute(_INPUT_LINKS.format(links=links))

    @classmethod
    def for_store(cls, store: Any) -> DuckDBEngine:
        """An engine over an open :class:`~sway.store.Store` (its events and person links)."""
        return cls(store.con, has_ingest_ids=True)

    @classmethod
    def from_events(
        cls,
        events: pa.Table | Iterable[Event],
        *,
        links: Iterable[tuple[str, str, str]] = (),
    ) -> DuckDBEngine:
        """An engine over events in memory (Arrow in ``EVENT_SCHEMA``, or :class:`Event` values)
        and ``(person_id, network, account_id)`` links, on a private in-memory connection."""
        table = events if isinstance(events, pa.Table) else events_to_arrow(list(events))
        missing = [f.name for f in EVENT_SCHEMA if f.name not in table.column_names]
        if missing:
            raise EngineError(f"events lack the column(s) {', '.join(missing)}")
        link_rows = list(links)
        link_table = pa.Table.from_pylist(
            [dict(zip(LINK_SCHEMA.names, row, strict=True)) for row in link_rows],
            schema=LINK_SCHEMA,
        )
        con = duckdb.connect()
        con.register("arrow_events", table)
        con.register("arrow_links", link_table)
        return cls(con, events="arrow_events", links="arrow_links", owns_connection=True)

    # -- the Engine protocol -------------------------------------------------------------

    def materialize(self, name: str, sql: str, params: Mapping[str, Any]) -> None:
        used = Step(name, sql, "").params
        missing = [p for p in used if p not in params]
        if missing:
            raise EngineError(f"step {name}: no value for parameter(s) {', '.join(missing)}")
        try:
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {_quote(name)} AS {sql}",
                {p: params[p] for p in used},
            )
        except duckdb.Error as exc:
            raise EngineError(f"step {name} failed in DuckDB: {exc}") from None
        if name not in self._tables:
            self._tables.append(name)

    def query(self, sql: str, params: Mapping[str, Any]) -> pa.Table:
        used = Step("query", sql, "").params
        try:
            return self.con.sql(sql, params={p: params[p] for p in used}).to_arrow_table()
        except duckdb.Error as exc:
            raise EngineError(f"query failed in DuckDB: {exc}") from None

    def fetch(self, name: str) -> pa.Table:
        try:
            return self.con.sql(f"SELECT * FROM {_quote(name)}").to_arrow_table()
        except duckdb.Error as exc:
            raise EngineError(f"cannot read {name}: {exc}") from None

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)
        if name not in self._views:
            self._views.append(name)

    def drop(self, name: str) -> None:
        if name in self._views:
            self.con.unregister(name)
            self._views.remove(name)
        if name in self._tables:
            self.con.execute(f"DROP TABLE IF EXISTS temp.{_quote(name)}")
            self._tables.remove(name)

    def fingerprint(self, *, start: datetime, as_of: datetime) -> DataFingerprint:
        window = {"start": start, "as_of": as_of}
        events, last_ts, event_hash = self.con.execute(
            f"SELECT count(*), max(ts), coalesce(bit_xor(hash({_DIGEST_COLUMNS})), 0) "
            "FROM input_events WHERE ts >= $start AND ts < $as_of",
            window,
        ).fetchall()[0]
        links, link_hash = self.con.execute(
            "SELECT count(*), coalesce(bit_xor(hash(person_id, network, account_id)), 0) "
            "FROM input_links"
        ).fetchall()[0]
        max_ingest = None
        if self.has_ingest_ids:
            max_ingest = self.con.execute(f"SELECT max(ingest_id) FROM {self.events}").fetchall()[
                0
            ][0]
        digest = hashlib.sha256(
            f"duckdb-hash:{events}:{event_hash}:{links}:{link_hash}".encode()
        ).hexdigest()
        return DataFingerprint(
            events=int(events),
            digest=digest,
            last_ts=last_ts,
            max_ingest_id=None if max_ingest is None else int(max_ingest),
        )

    def close(self) -> None:
        for name in list(self._tables) + list(self._views):
            self.drop(name)
        if self.owns_connection:
            self.con.close()
        else:
            self.con.execute("DROP VIEW IF EXISTS temp.input_events")
            self.con.execute("DROP VIEW IF EXISTS temp.input_links")
