"""Small hand-built event lists and a helper that scores them through the SQL pipeline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from sway.engines.duckdb import DuckDBEngine
from sway.events import Event, make_event
from sway.scoring.scorer import InfluenceScorer

#: The end of every toy window.
AS_OF = datetime(2024, 6, 1, tzinfo=UTC)

_counter = iter(range(1, 10**9))


def ev(
    actor: str | None,
    action: str,
    target: str | None = None,
    *,
    days_ago: float = 1.0,
    content_id: str | None = None,
    parent_id: str | None = None,
    value: float | None = None,
    network: str = "t",
    event_id: str | None = None,
) -> Event:
    """One event ``days_ago`` days before :data:`AS_OF` (``0``: one microsecond before, so that
    it is inside the window with a decay that differs from 1 by less than 1e-12)."""
    return make_event(
        {
            "network": network,
            "event_id": event_id or f"e{next(_counter)}",
            "ts": AS_OF - (timedelta(days=days_ago) if days_ago else timedelta(microseconds=1)),
            "actor": actor,
            "action": action,
            "target": target,
            "content_id": content_id,
            "parent_id": parent_id,
            "value": value,
        }
    )


def posts(
    author: str, n: int, *, prefix: str | None = None, days_ago: float = 2.0, network: str = "t"
) -> list[Event]:
    """``n`` posts by ``author`` with ids ``{prefix}{i}``."""
    prefix = prefix or f"{author}-p"
    return [
        ev(author, "post", content_id=f"{prefix}{i}", days_ago=days_ago, network=network)
        for i in range(n)
    ]


class Scored:
    """The tables of one SQL scoring pass, as dictionaries keyed for easy asserts."""

    def __init__(self, scorer: InfluenceScorer) -> None:
        self.scorer = scorer
        self.accounts = {(r["network"], r["account_id"]): r for r in scorer.accounts_.to_pylist()}
        self.people = {r["person_id"]: r for r in scorer.people_.to_pylist()}
        self.person_networks = {
            (r["person_id"], r["network"]): r for r in scorer.person_networks_.to_pylist()
        }

    def __getitem__(self, account: str) -> dict[str, Any]:
        network, _, account_id = account.partition(":") if ":" in account else ("t", "", account)
        row: dict[str, Any] = self.accounts[(network, account_id)]
        return row

    def score(self, account: str) -> float:
        return float(self[account]["score"])


def score_sql(
    events: Iterable[Event] | pa.Table,
    *,
    as_of: datetime = AS_OF,
    links: Iterable[tuple[str, str, str]] = (),
    **params: Any,
) -> Scored:
    """Score ``events`` with the SQL pipeline on an in-memory DuckDB engine.

    The integrity layer is off unless ``integrity=1`` is passed: these scenarios check the
    formulas against the reference scorer, which has no integrity layer, and toy data of a few
    days is all "newcomers" (the layer's own rules are tested in ``tests/integrity``).
    """
    params.setdefault("integrity", 0)
    engine = DuckDBEngine.from_events(
        events if isinstance(events, pa.Table) else list(events), links=links
    )
    try:
        return Scored(InfluenceScorer(**params).fit(engine, as_of=as_of))
    finally:
        engine.close()
