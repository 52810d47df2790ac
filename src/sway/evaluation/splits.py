"""Time-based splits for fitting the score's parameters, all before the evaluation split.

The evaluation protocol (:mod:`sway.evaluation.protocol`) measures the score at one split, the
*evaluation split*: it scores on events before it and compares with what happens in
``[split, split + horizon)``. Fitting parameters on that same window would make the published
numbers an in-sample fit, so the fit uses its own, earlier splits:

- the events strictly before the evaluation split are the only ones the fit ever reads;
- the *validation* split sits at the ``validate_quantile`` of their timestamps; its truth window
  runs to ``split + horizon`` but never past the evaluation split;
- the *training* splits sit at the ``train_quantiles``; their truth windows never reach past the
  validation split.

So every training target lies before every validation target, which lies before the evaluation
split: fit on earlier windows, validate on later ones, never on the evaluation window. Quantiles
of the event times, rather than fixed dates, put the splits where each network was active.

References
----------
.. [1] R. J. Hyndman, G. Athanasopoulos (2021). *Forecasting: Principles and Practice*, 3rd ed.,
   section 5.10 "Time series cross-validation" (evaluation on a rolling forecasting origin).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from sway.engines.duckdb import DuckDBEngine
from sway.errors import ConfigError
from sway.evaluation.baselines import candidates, truth_values
from sway.events import EVENT_COLUMNS
from sway.store.db import Store

__all__ = [
    "DEFAULT_TRAIN_QUANTILES",
    "DEFAULT_VALIDATE_QUANTILE",
    "FitSplit",
    "PreparedSplit",
    "place_splits",
    "prepare_split",
]

#: Where the training splits sit among the event times before the evaluation split.
DEFAULT_TRAIN_QUANTILES = (0.3, 0.45, 0.6)
#: Where the validation split sits (after every training split).
DEFAULT_VALIDATE_QUANTILE = 0.75
#: A truth window shorter than this part of the horizon is too short to rank on: skipped.
MIN_TRUTH_FRACTION = 0.15


@dataclass(frozen=True)
class FitSplit:
    """One split of the fit: score on events before ``split``, truth in ``[split, end)``."""

    dataset: str
    network: str
    role: str  # "train" or "validate"
    split: datetime
    end: datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "dataset": self.dataset,
            "network": self.network,
            "role": self.role,
            "split": self.split.isoformat(),
            "end": self.end.isoformat(),
        }


def _quantile(times: Sequence[datetime], q: float) -> datetime:
    """The ``q`` quantile of sorted ``times``, an element of them (no interpolation)."""
    index = min(len(times) - 1, max(0, int(np.ceil(q * len(times))) - 1))
    return times[index]


def place_splits(
    times: Sequence[datetime],
    *,
    dataset: str,
    network: str,
    evaluation_split: datetime,
    horizon: timedelta,
    train_quantiles: Sequence[float] = DEFAULT_TRAIN_QUANTILES,
    validate_quantile: float = DEFAULT_VALIDATE_QUANTILE,
) -> list[FitSplit]:
    """Training and validation splits among the event ``times`` before ``evaluation_split``.

    Parameters
    ----------
    times
        Event timestamps of the network; those at or after ``evaluation_split`` are ignored.
    evaluation_split
        The split the published evaluation uses: nothing placed here reaches it.
    horizon
        Length of a truth window (cut short at the next boundary, see the module docstring).
    train_quantiles, validate_quantile
        Positions of the splits among the earlier event times (``0 < q < 1``, every training
        quantile below the validation one).

    Returns
    -------
    list of FitSplit
        Training splits in time order, then the validation split. Splits whose truth window
        would be shorter than ``MIN_TRUTH_FRACTION`` of the horizon, or that coincide with an
        earlier one, are left out.
    """
    if not all(0 < q < validate_quantile < 1 for q in train_quantiles):
        raise ConfigError(
            "fit splits: every training quantile must be in (0, validation quantile), and the "
            f"validation quantile in (0, 1); found {list(train_quantiles)}, {validate_quantile}"
        )
    before = sorted(t for t in times if t < evaluation_split)
    if not before:
        raise ConfigError(f"{dataset}: no events before {evaluation_split.isoformat()} to fit on")
    shortest = horizon * MIN_TRUTH_FRACTION
    validate = _quantile(before, validate_quantile)
    out: list[FitSplit] = []
    for q in sorted(train_quantiles):
        split = _quantile(before, q)
        end = min(split + horizon, validate)
        if end - split >= shortest and all(s.split != split for s in out):
            out.append(FitSplit(dataset, network, "train", split, end))
    end = min(validate + horizon, evaluation_split)
    if end - validate >= shortest:
        out.append(FitSplit(dataset, network, "validate", validate, end))
    return out


@dataclass
class PreparedSplit:
    """A split ready to score many parameter sets on: its events, candidates and truth.

    ``engine`` holds only the events in ``[split - max_window, split)``: nothing at or after the
    split can reach the scorer. ``truth`` is the number of distinct reactors of each candidate in
    ``[split, end)``.
    """

    split: FitSplit
    engine: DuckDBEngine
    keys: list[str]
    truth: np.ndarray

    def close(self) -> None:
        self.engine.close()


def prepare_split(
    store: Store,
    split: FitSplit,
    *,
    candidate_window: timedelta,
    max_window: timedelta,
) -> PreparedSplit:
    """Load one split's scoring events, candidates and truth from the store.

    Candidates are the accounts that received a reaction in ``[split - candidate_window,
    split)``: fixed per split, so that parameter sets (windows included) compete on the same
    accounts.
    """
    events = store.con.sql(
        f"SELECT {', '.join(EVENT_COLUMNS)} FROM events "
        "WHERE network = $network AND ts >= $start AND ts < $split",
        params={"network": split.network, "start": split.split - max_window, "split": split.split},
    ).to_arrow_table()
    keys = candidates(
        store, network=split.network, start=split.split - candidate_window, split=split.split
    )
    truth = truth_values(
        store,
        keys,
        network=split.network,
        split=split.split,
        horizon=split.end - split.split,
        target="distinct-reactors",
    )
    return PreparedSplit(split, DuckDBEngine.from_events(events), keys, truth)
