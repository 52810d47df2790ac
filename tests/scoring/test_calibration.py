"""The reference curve: monotone, frozen per version, fitted through its anchors."""

from __future__ import annotations

import itertools

import pytest

from sway.errors import ScoringError
from sway.scoring.calibration import CURVES, fit_reference_curve, reference_curve
from sway.scoring.params import ALGORITHM_VERSION


def test_the_current_version_has_a_frozen_fitted_curve() -> None:
    curve = reference_curve()
    assert curve.version == ALGORITHM_VERSION and CURVES[ALGORITHM_VERSION] is curve
    assert curve.fitted_on and "PLACEHOLDER" not in curve.fitted_on
    assert curve.scale > 0 and curve.shape > 0


def test_the_curve_is_monotone_from_1_to_100() -> None:
    curve = reference_curve()
    raws = [0.0, 1e-6, 0.01, 0.1, 0.5, 1, 2, 4, 8, 50]
    scores = [curve.score(r) for r in raws]
    assert scores[0] == 1.0 and all(1 <= s <= 100 for s in scores)
    assert all(a < b for a, b in itertools.pairwise(scores))
    for score in (1.5, 20, 50, 80, 99):
        assert curve.score(curve.raw_for(score)) == pytest.approx(score, rel=1e-12)
    assert curve.raw_for(1) == 0.0 and curve.raw_for(100) == float("inf")


def test_the_fit_puts_the_anchors_where_asked() -> None:
    values = [0.001 * i for i in range(1, 1002)]
    curve = fit_reference_curve(values, anchors=((0.5, 30.0), (0.99, 80.0)))
    assert curve.score(0.501) == pytest.approx(30.0, rel=1e-9)
    assert curve.score(0.991) == pytest.approx(80.0, rel=1e-9)


def test_the_fit_refuses_what_it_cannot_fit() -> None:
    with pytest.raises(ScoringError, match="at least two"):
        fit_reference_curve([0.0, 1.0])
    with pytest.raises(ScoringError, match="concentrated"):
        fit_reference_curve([1.0] * 10)
    with pytest.raises(ScoringError, match="bad anchors"):
        fit_reference_curve([1.0, 2.0, 3.0], anchors=((0.9, 50.0), (0.5, 60.0)))
    with pytest.raises(ScoringError, match="no reference curve"):
        reference_curve("0.0-unknown")
