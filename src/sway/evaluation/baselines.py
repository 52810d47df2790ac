"""What the score must beat, and what it is measured against, computed over the store.

Every query reads one network's events strictly before the split (inside the scoring window)
for the baselines, and in ``[split, split + horizon)`` for the truth. Self-reactions and
reactions without a target are ignored everywhere, as in the score.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np

from sway.scoring.graph import adjacency, pagerank
from sway.store.db import Store

__all__ = ["BASELINES", "TARGETS", "baseline_values", "candidates", "truth_values"]

#: Names of the baselines, in the order they are reported.
BASELINES = (
    "reactions",
    "distinct-reactors",
    "in-degree",
    "followers",
    "pagerank",
    "activity",
)
TARGETS = ("distinct-reactors", "reactions", "reputation")

_REACTIONS = """
    SELECT actor, target, ts FROM events
    WHERE network = $network AND action <> 'post' AND target IS NOT NULL
      AND (actor IS NULL OR actor <> target)
"""

Key = str


def candidates(store: Store, *, network: str, start: datetime, split: datetime) -> list[Key]:
    """Accounts that received at least one reaction in ``[start, split)``, sorted."""
    rows = store.con.sql(
        f"SELECT DISTINCT target FROM ({_REACTIONS}) r WHERE ts >= $start AND ts < $split "
        "ORDER BY target",
        params={"network": network, "start": start, "split": split},
    ).fetchall()
    return [str(r[0]) for r in rows]


def _lookup(rows: list[tuple[Any, Any]], keys: list[Key]) -> np.ndarray:
    values = {str(k): float(v) for k, v in rows if v is not None}
    return np.array([values.get(k, 0.0) for k in keys], dtype=float)


def truth_values(
    store: Store, keys: list[Key], *, network: str, split: datetime, horizon: timedelta, target: str
) -> np.ndarray:
    """What happened after the split, per candidate: the quantity the ranking should predict."""
    params = {"network": network, "split": split, "end": split + horizon}
    if target == "reputation":
        rows = store.con.sql(
            "SELECT account_id, reputation FROM accounts WHERE network = $network",
            params={"network": network},
        ).fetchall()
        return _lookup(rows, keys)
    measure = "count(DISTINCT actor)" if target == "distinct-reactors" else "count(*)"
    rows = store.con.sql(
        f"SELECT target, {measure} FROM ({_REACTIONS}) r "
        "WHERE ts >= $split AND ts < $end GROUP BY target",
        params=params,
    ).fetchall()
    return _lookup(rows, keys)


def baseline_values(
    store: Store, keys: list[Key], *, network: str, start: datetime, split: datetime
) -> dict[str, np.ndarray]:
    """Every baseline's value per candidate, from events in ``[start, split)`` only."""
    params = {"network": network, "start": start, "split": split}
    window = f"SELECT * FROM ({_REACTIONS}) r WHERE ts >= $start AND ts < $split"
    out: dict[str, np.ndarray] = {}
    out["reactions"] = _lookup(
        store.con.sql(
            f"SELECT target, count(*) FROM ({window}) w GROUP BY target", params=params
        ).fetchall(),
        keys,
    )
    out["distinct-reactors"] = _lookup(
        store.con.sql(
            f"SELECT target, count(DISTINCT actor) FROM ({window}) w GROUP BY target", params=params
        ).fetchall(),
        keys,
    )
    out["in-degree"] = _lookup(
        store.con.sql(
            f"SELECT target, count(DISTINCT actor) FROM ({_REACTIONS}) r WHERE ts < $split "
            "GROUP BY target",
            params={"network": network, "split": split},
        ).fetchall(),
        keys,
    )
    followers = store.con.sql(
        "SELECT account_id, followers FROM accounts WHERE network = $network "
        "AND followers IS NOT NULL",
        params={"network": network},
    ).fetchall()
    # Follower counts are a baseline only where the data has them (not SNAP, not SE).
    if followers:
        out["followers"] = _lookup(followers, keys)
    out["activity"] = _lookup(
        store.con.sql(
            "SELECT actor, count(*) FROM events WHERE network = $network AND actor IS NOT NULL "
            "AND ts >= $start AND ts < $split GROUP BY actor",
            params=params,
        ).fetchall(),
        keys,
    )
    edges = store.con.sql(
        f"SELECT DISTINCT actor, target FROM ({window}) w WHERE actor IS NOT NULL ORDER BY 1, 2",
        params=params,
    ).fetchall()
    out["pagerank"] = _plain_pagerank(edges, keys)
    return out


def _plain_pagerank(edges: list[tuple[object, object]], keys: list[Key]) -> np.ndarray:
    """Unweighted PageRank (damping 0.85) on the reaction graph: the classic baseline."""
    nodes: dict[str, int] = {}
    src = np.array([nodes.setdefault(str(a), len(nodes)) for a, _ in edges], dtype=np.int64)
    dst = np.array([nodes.setdefault(str(b), len(nodes)) for _, b in edges], dtype=np.int64)
    if not nodes:
        return np.zeros(len(keys))
    matrix = adjacency(src, dst, np.ones(len(edges)), len(nodes))
    rank = pagerank(matrix, alpha=0.85, tol=1e-10, max_iter=1000).values
    return np.array([rank[nodes[k]] if k in nodes else 0.0 for k in keys])
