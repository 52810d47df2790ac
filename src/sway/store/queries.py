"""Read-side queries over the store shared by the CLI (and later the API and dashboard)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from sway.events import EVENT_COLUMNS
from sway.store.db import Store

__all__ = ["Stats", "account_rows", "event_batches", "stats"]


@dataclass(frozen=True)
class Stats:
    events: int
    accounts: int
    people_linked: int
    first: datetime | None
    last: datetime | None
    per_network: list[dict[str, Any]]
    per_action: list[dict[str, Any]]
    ingests: int


def stats(store: Store) -> Stats:
    """Counts per network and action, and the time span of the events."""
    events, first, last = store.rows("SELECT count(*), min(ts), max(ts) FROM events")[0]
    return Stats(
        events=int(events),
        accounts=int(store.scalar("SELECT count(*) FROM accounts")),
        people_linked=int(store.scalar("SELECT count(*) FROM people")),
        first=first,
        last=last,
        per_network=store.dicts(
            """
            SELECT network, count(*) AS events,
                   count(DISTINCT actor) AS actors, min(ts) AS first, max(ts) AS last
            FROM events GROUP BY network ORDER BY events DESC, network
            """
        ),
        per_action=store.dicts(
            """
            SELECT network, action, count(*) AS events FROM events
            GROUP BY network, action ORDER BY network, events DESC, action
            """
        ),
        ingests=int(store.scalar("SELECT count(*) FROM ingests")),
    )


def account_rows(
    store: Store, *, network: str | None = None, search: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Accounts with their activity: events made and reactions received."""
    return store.dicts(
        """
        WITH made AS (SELECT network, actor AS account_id, count(*) AS made
                      FROM events WHERE actor IS NOT NULL GROUP BY ALL),
             got AS (SELECT network, target AS account_id, count(*) AS received
                     FROM events WHERE target IS NOT NULL AND action <> 'post' GROUP BY ALL)
        SELECT a.network, a.account_id, a.handle, a.display_name, a.followers,
               coalesce(made.made, 0) AS made, coalesce(got.received, 0) AS received
        FROM accounts a
        LEFT JOIN made USING (network, account_id)
        LEFT JOIN got USING (network, account_id)
        WHERE (? IS NULL OR a.network = ?)
          AND (? IS NULL OR a.handle ILIKE '%' || ? || '%' OR a.display_name ILIKE '%' || ? || '%'
               OR a.account_id = ?)
        ORDER BY received DESC, made DESC, a.network, a.account_id
        LIMIT ?
        """,
        [network, network, search, search, search, search, limit],
    )


def event_batches(
    store: Store, *, network: str | None = None, partition_columns: bool = False
) -> Iterator[pa.RecordBatch]:
    """Stored events in canonical columns, streamed in batches, ordered by network and time.

    ``partition_columns`` adds ``date`` (UTC day) for a partitioned Parquet export.
    """
    columns = ", ".join(EVENT_COLUMNS)
    if partition_columns:
        columns += ", strftime(ts, '%Y-%m-%d') AS date"
    reader = store.con.sql(
        f"SELECT {columns} FROM events WHERE ($network IS NULL OR network = $network) "
        "ORDER BY network, ts, event_id",
        params={"network": network},
    ).to_arrow_reader(65536)
    yield from reader
