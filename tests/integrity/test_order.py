"""With the integrity layer on, a run still does not depend on the order of its input."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa

from sway.engines.duckdb import DuckDBEngine
from sway.scoring.scorer import InfluenceScorer

from .helpers import T0, community
from .test_published import _ring


def _accounts(events: pa.Table) -> pa.Table:
    scorer = InfluenceScorer(integrity=1)
    scorer.fit(DuckDBEngine.from_events(events), as_of=T0 + timedelta(days=40))
    return scorer.accounts_.sort_by([("network", "ascending"), ("account_id", "ascending")])


def test_input_order_does_not_change_an_integrity_run() -> None:
    # The ring's members are discounted towards some targets and not others, so what a
    # reactor passes on differs from edge to edge: the graph step must keep it per edge.
    events = pa.concat_tables([community(accounts=30, days=40), _ring(20)])
    forward = _accounts(events)
    backward = _accounts(events.take(list(reversed(range(events.num_rows)))))
    assert forward.num_rows > 30
    for column in ("raw", "network_impact", "reach", "score"):
        assert forward[column].to_pylist() == backward[column].to_pylist(), column
