from __future__ import annotations

import math

import numpy as np
import pytest

from sway.evaluation.metrics import (
    bootstrap,
    ndcg_at_k,
    paired_bootstrap,
    precision_at_k,
    spearman,
)


def a(*values: float) -> np.ndarray:
    return np.array(values, dtype=float)


def test_ndcg_by_hand() -> None:
    # predicted order: c (truth 1), a (truth 3), b (truth 2)
    predicted, truth = a(0.5, 0.1, 0.9), a(3, 2, 1)
    dcg = 1 / math.log2(2) + 3 / math.log2(3) + 2 / math.log2(4)
    ideal = 3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(predicted, truth, 3) == pytest.approx(dcg / ideal)
    # top 2 only
    assert ndcg_at_k(predicted, truth, 2) == pytest.approx(
        (1 + 3 / math.log2(3)) / (3 + 2 / math.log2(3))
    )


def test_ndcg_perfect_and_constant() -> None:
    truth = a(5, 4, 3, 2, 1)
    assert ndcg_at_k(truth.copy(), truth, 3) == pytest.approx(1.0)
    # A constant predictor gets the pessimistic order (lowest truth first), not the input order.
    constant = ndcg_at_k(a(1, 1, 1, 1, 1), truth, 2)
    assert constant == pytest.approx((1 + 2 / math.log2(3)) / (5 + 4 / math.log2(3)))


def test_precision_by_hand() -> None:
    predicted, truth = a(4, 3, 2, 1), a(10, 0, 9, 8)
    # predicted top 2: {0, 1}; true top 2: {0, 2}
    assert precision_at_k(predicted, truth, 2) == 0.5
    assert precision_at_k(truth, truth, 3) == 1.0


def test_spearman_by_hand() -> None:
    # ranks of predicted: 1,2,3,4 ; truth ranks: 1,3,2,4 -> rho = 1 - 6*2/(4*15) = 0.8
    assert spearman(a(1, 2, 3, 4), a(10, 30, 20, 40)) == pytest.approx(0.8)
    assert spearman(a(1, 1, 1), a(1, 2, 3)) == 0.0


def test_bootstrap_interval_contains_the_value_and_is_reproducible() -> None:
    rng = np.random.default_rng(1)
    truth = rng.pareto(1.5, 300)
    predicted = truth + rng.normal(0, 1, 300)
    first = bootstrap(spearman, predicted, truth, 0, resamples=100, seed=3)
    again = bootstrap(spearman, predicted, truth, 0, resamples=100, seed=3)
    assert first == again
    assert first.low <= first.value <= first.high
    assert 0 < first.high - first.low < 0.3


def test_paired_bootstrap_gain() -> None:
    rng = np.random.default_rng(2)
    truth = rng.pareto(1.5, 200)
    good = truth + rng.normal(0, 0.5, 200)
    worse = truth + rng.normal(0, 3, 200)
    # The same ranking gains nothing, on every resample.
    same = paired_bootstrap(spearman, good, good.copy(), truth, 0, resamples=50)
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0)
    gain = paired_bootstrap(spearman, good, worse, truth, 0, resamples=100, seed=1)
    assert gain.value == pytest.approx(spearman(good, truth) / spearman(worse, truth) - 1)
    assert 0 < gain.low <= gain.value <= gain.high
    assert gain == paired_bootstrap(spearman, good, worse, truth, 0, resamples=100, seed=1)
    # Pairing: the interval of the gain is narrower than the two separate intervals allow.
    a = bootstrap(spearman, good, truth, 0, resamples=100, seed=1)
    b = bootstrap(spearman, worse, truth, 0, resamples=100, seed=1)
    assert gain.high - gain.low < (a.high / b.low - 1) - (a.low / b.high - 1)
