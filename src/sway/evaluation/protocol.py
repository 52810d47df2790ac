"""The evaluation protocol: score before a split, measure how well that ranks what happens after.

For one network: the scorer sees only events strictly before ``split`` (a view that cannot
reach later rows); candidates are the accounts that received at least one reaction inside the
scoring window before the split; the truth is what they receive in ``[split, split + horizon)``.
Sway's score and every baseline are ranked against that truth with the same metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from sway.engines.duckdb import DuckDBEngine
from sway.errors import ConfigError
from sway.evaluation.baselines import BASELINES, TARGETS, baseline_values, candidates, truth_values
from sway.evaluation.metrics import METRICS, Interval, bootstrap, paired_bootstrap
from sway.events import EVENT_COLUMNS
from sway.scoring.scorer import InfluenceScorer
from sway.store.db import Store

__all__ = ["EvaluationResult", "default_split", "evaluate", "sway_values"]

#: Sway's own rows in the results: the score and its three sub-scores.
SWAY_METHODS = ("sway", "sway-reach", "sway-amplification", "sway-network-impact")
_SWAY_COLUMNS = {
    "sway": "raw",
    "sway-reach": "reach",
    "sway-amplification": "amplification",
    "sway-network-impact": "network_impact",
}


@dataclass
class EvaluationResult:
    """Everything one evaluation measured, ready to print, save as JSON or draw."""

    network: str
    split: datetime
    horizon_days: float
    window_days: float
    target: str
    k: int
    candidates: int
    params: dict[str, Any]
    metrics: dict[str, dict[str, Interval]] = field(default_factory=dict)
    #: Mean future engagement per decile of Sway's score (decile 1 = top 10%).
    deciles: list[float] = field(default_factory=list)
    #: Per metric: the best baseline (by its value) and Sway's relative gain over it, with a
    #: paired bootstrap 95% interval (the same resampled candidates score both).
    gains: dict[str, tuple[str, Interval]] = field(default_factory=dict)

    def baselines(self) -> list[str]:
        """The baselines this data allowed (follower counts need follower data)."""
        return [name for name in BASELINES if name in self.metrics]

    def best_baseline(self, metric: str) -> str:
        return max(self.baselines(), key=lambda name: self.metrics[name][metric].value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "split": self.split.isoformat(),
            "horizon_days": self.horizon_days,
            "window_days": self.window_days,
            "target": self.target,
            "k": self.k,
            "candidates": self.candidates,
            "params": self.params,
            "metrics": {
                method: {m: [iv.value, iv.low, iv.high] for m, iv in values.items()}
                for method, values in self.metrics.items()
            },
            "deciles": self.deciles,
            "gain_vs_best_baseline": {
                metric: {"baseline": name, "gain": [iv.value, iv.low, iv.high]}
                for metric, (name, iv) in self.gains.items()
            },
        }


def default_split(store: Store, network: str, quantile: float = 0.7) -> datetime:
    """The time by which ``quantile`` of the network's events had happened."""
    value = store.con.sql(
        "SELECT quantile_disc(ts, $q) FROM events WHERE network = $network",
        params={"q": quantile, "network": network},
    ).fetchall()[0][0]
    if value is None:
        raise ConfigError(f"network {network!r} has no events")
    return value  # type: ignore[no-any-return]


def sway_values(
    store: Store,
    keys: list[str],
    *,
    network: str,
    split: datetime,
    params: dict[str, Any],
) -> dict[str, np.ndarray]:
    """Sway's score and sub-scores per candidate, from events strictly before ``split`` only."""
    # The scorer's only input is this copy of the events before the split: nothing at or after
    # the split can reach it.
    before = store.con.sql(
        f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE network = $network AND ts < $split",
        params={"network": network, "split": split},
    ).to_arrow_table()
    engine = DuckDBEngine.from_events(before)
    try:
        scorer = InfluenceScorer(**params).fit(engine, as_of=split)
    finally:
        engine.close()
    rows = scorer.accounts_.select(["account_id", *_SWAY_COLUMNS.values()]).to_pylist()
    by_key = {str(r["account_id"]): r for r in rows}
    return {
        method: np.array([float(by_key.get(k, {}).get(col) or 0.0) for k in keys])
        for method, col in _SWAY_COLUMNS.items()
    }


def evaluate(
    store: Store,
    *,
    network: str,
    split: datetime | None = None,
    horizon: timedelta = timedelta(days=30),
    target: str = "distinct-reactors",
    k: int = 100,
    params: dict[str, Any] | None = None,
    resamples: int = 200,
    seed: int = 0,
) -> EvaluationResult:
    """Run the protocol on one network of the store. See the module docstring."""
    if target not in TARGETS:
        raise ConfigError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)}")
    params = dict(params or {})
    scorer_params = InfluenceScorer(**params).get_params()
    window = timedelta(days=float(scorer_params["window_days"]))
    split = split if split is not None else default_split(store, network)
    start = split - window
    keys = candidates(store, network=network, start=start, split=split)
    if len(keys) < 2:
        raise ConfigError(
            f"{network}: only {len(keys)} account(s) received a reaction in the window before "
            f"{split.isoformat()}; choose a later --split-at or a longer --window"
        )
    truth = truth_values(store, keys, network=network, split=split, horizon=horizon, target=target)
    values = sway_values(store, keys, network=network, split=split, params=params)
    values.update(baseline_values(store, keys, network=network, start=start, split=split))
    result = EvaluationResult(
        network=network,
        split=split,
        horizon_days=horizon.total_seconds() / 86400,
        window_days=window.total_seconds() / 86400,
        target=target,
        k=k,
        candidates=len(keys),
        params=scorer_params,
    )
    for method in (*SWAY_METHODS, *(b for b in BASELINES if b in values)):
        result.metrics[method] = {
            name: bootstrap(fn, values[method], truth, k, resamples=resamples, seed=seed)
            for name, fn in METRICS.items()
        }
    for name, fn in METRICS.items():
        best = result.best_baseline(name)
        result.gains[name] = (
            best,
            paired_bootstrap(
                fn, values["sway"], values[best], truth, k, resamples=resamples, seed=seed
            ),
        )
    order = np.lexsort((truth, -values["sway"]))
    result.deciles = [float(truth[part].mean()) for part in np.array_split(order, 10) if len(part)]
    return result
