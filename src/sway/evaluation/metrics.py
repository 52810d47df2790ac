"""Ranking metrics with bootstrap intervals, on aligned arrays of predictions and truth.

All functions take ``predicted`` (higher = ranked first) and ``truth`` (the future engagement,
the gain) as equal-length 1-D arrays over the same candidates.

References
----------
.. [1] Järvelin, K., Kekäläinen, J. (2002). Cumulated gain-based evaluation of IR techniques.
   ACM TOIS 20(4), 422-446.
.. [2] Efron, B., Tibshirani, R. (1993). An Introduction to the Bootstrap. Chapman & Hall.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import spearmanr

__all__ = [
    "METRICS",
    "Interval",
    "bootstrap",
    "ndcg_at_k",
    "paired_bootstrap",
    "precision_at_k",
    "spearman",
]

Array = NDArray[np.float64]


def _order(values: Array) -> NDArray[np.intp]:
    """Indices from highest to lowest value; ties keep input order (stable), so no luck."""
    return np.argsort(-values, kind="stable")


def spearman(predicted: Array, truth: Array, k: int = 0) -> float:
    """Spearman rank correlation (average ranks for ties); 0 when either side is constant."""
    del k
    if len(predicted) < 2 or np.ptp(predicted) == 0 or np.ptp(truth) == 0:
        return 0.0
    return float(spearmanr(predicted, truth).statistic)


def ndcg_at_k(predicted: Array, truth: Array, k: int) -> float:
    """Normalised discounted cumulative gain of the predicted top ``k``, gains = ``truth``.

    ``DCG@k = sum_i truth[rank_i] / log2(i + 1)`` for ``i = 1..k``, divided by the DCG of the
    ideal order. Ties in ``predicted`` are broken pessimistically (lowest truth first), so that
    a constant predictor earns no credit for the order the data happens to be in.
    """
    if len(truth) == 0:
        return 0.0
    k = min(k, len(truth))
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    # lexsort: last key is primary. Primary: predicted descending; then truth ascending.
    order = np.lexsort((truth, -predicted))[:k]
    ideal = np.sort(truth)[::-1][:k]
    best = float(np.dot(ideal, discounts))
    if best == 0:
        return 0.0
    return float(np.dot(truth[order], discounts) / best)


def precision_at_k(predicted: Array, truth: Array, k: int) -> float:
    """Share of the predicted top ``k`` that is in the true top ``k`` (ties broken pessimistically)."""
    if len(truth) == 0:
        return 0.0
    k = min(k, len(truth))
    predicted_top = set(np.lexsort((truth, -predicted))[:k].tolist())
    true_top = set(np.lexsort((predicted, -truth))[:k].tolist())
    return len(predicted_top & true_top) / k


Metric = Callable[[Array, Array, int], float]

METRICS: dict[str, Metric] = {
    "spearman": spearman,
    "ndcg@k": ndcg_at_k,
    "precision@k": precision_at_k,
}


@dataclass(frozen=True)
class Interval:
    """A point estimate with a percentile bootstrap 95% interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def bootstrap(
    metric: Metric,
    predicted: Array,
    truth: Array,
    k: int,
    *,
    resamples: int = 200,
    seed: int = 0,
) -> Interval:
    """``metric`` on the data, with a percentile bootstrap 95% interval over candidates."""
    value = metric(predicted, truth, k)
    n = len(truth)
    if n < 2:
        return Interval(value, value, value)
    rng = np.random.default_rng(seed)
    draws = np.empty(resamples)
    for i in range(resamples):
        idx = rng.integers(0, n, n)
        draws[i] = metric(predicted[idx], truth[idx], k)
    low, high = np.percentile(draws, [2.5, 97.5])
    return Interval(value, float(low), float(high))


def paired_bootstrap(
    metric: Metric,
    predicted: Array,
    reference: Array,
    truth: Array,
    k: int,
    *,
    resamples: int = 200,
    seed: int = 0,
) -> Interval:
    """Relative gain ``metric(predicted) / metric(reference) - 1`` with a paired bootstrap 95%
    interval: each resample draws one set of candidates and scores both rankings on it, so the
    interval is that of the gain itself, much narrower than two separate intervals suggest.

    With the same ``seed`` and ``resamples`` the draws are those of :func:`bootstrap`. A resample
    where the reference scores 0 or less has no relative gain and is left out.
    """

    def gain(a: float, b: float) -> float:
        return a / b - 1.0 if b > 0 else math.nan

    value = gain(metric(predicted, truth, k), metric(reference, truth, k))
    n = len(truth)
    if n < 2:
        return Interval(value, value, value)
    rng = np.random.default_rng(seed)
    draws = np.empty(resamples)
    for i in range(resamples):
        idx = rng.integers(0, n, n)
        draws[i] = gain(
            metric(predicted[idx], truth[idx], k), metric(reference[idx], truth[idx], k)
        )
    draws = draws[~np.isnan(draws)]
    if len(draws) == 0:
        return Interval(value, math.nan, math.nan)
    low, high = np.percentile(draws, [2.5, 97.5])
    return Interval(value, float(low), float(high))
