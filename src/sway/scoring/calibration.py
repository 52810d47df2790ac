"""The reference curve: a fixed monotone map from raw influence to the 1-100 score.

The score of an account is ``1 + 99 * F(raw)`` with ``F`` the Weibull distribution function
``F(raw) = 1 - exp(-(raw / scale) ** shape)``. ``scale`` and ``shape`` were fitted once, on a
reference mix of real data, and are frozen here with the algorithm version: a score depends only
on the account's own raw influence, never on who else is in the store, so it does not move
because other accounts joined. The curve is refreshed only with a new algorithm version.

The fit places two anchors (by default the median engaged account of the reference mix at 30
and its 99th percentile at 80) and solves the curve's two parameters through them; see
:func:`fit_reference_curve` and ``benchmarks/bench_score.py calibrate``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sway.errors import ScoringError
from sway.scoring.params import ALGORITHM_VERSION

__all__ = ["CURVES", "ReferenceCurve", "fit_reference_curve", "reference_curve"]


@dataclass(frozen=True)
class ReferenceCurve:
    """``score = 1 + 99 * (1 - exp(-(raw / scale) ** shape))`` for ``raw >= 0``."""

    version: str
    scale: float
    shape: float
    fitted_on: str = ""

    def score(self, raw: float) -> float:
        """The 1-100 score of a raw influence value (1 for no influence)."""
        if raw <= 0:
            return 1.0
        return 1.0 + 99.0 * -math.expm1(-((raw / self.scale) ** self.shape))

    def raw_for(self, score: float) -> float:
        """The raw influence that maps to ``score`` (the inverse of :meth:`score`)."""
        if score <= 1:
            return 0.0
        if score >= 100:
            return math.inf
        return float(self.scale * (-math.log1p(-(score - 1.0) / 99.0)) ** (1.0 / self.shape))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fit_reference_curve(
    raw_values: Iterable[float],
    *,
    version: str = ALGORITHM_VERSION,
    anchors: tuple[tuple[float, float], tuple[float, float]] = ((0.5, 30.0), (0.99, 80.0)),
    fitted_on: str = "",
) -> ReferenceCurve:
    """Fit the curve so that two quantiles of ``raw_values`` (those above 0) get two scores.

    Parameters
    ----------
    raw_values
        Raw influence of the accounts of a reference mix of data.
    anchors
        ``((q1, s1), (q2, s2))``: the ``q1`` quantile of the positive raw values maps to score
        ``s1`` and the ``q2`` quantile to ``s2`` (``q1 < q2``, ``1 < s1 < s2 < 100``).
    """
    values = sorted(v for v in raw_values if v > 0)
    if len(values) < 2:
        raise ScoringError("need at least two positive raw values to fit the reference curve")
    (q1, s1), (q2, s2) = anchors
    if not (0 < q1 < q2 < 1 and 1 < s1 < s2 < 100):
        raise ScoringError(f"bad anchors {anchors}")

    def quantile(q: float) -> float:
        # Linear interpolation between order statistics (numpy's default method).
        pos = q * (len(values) - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, len(values) - 1)
        return values[lo] + (values[hi] - values[lo]) * (pos - lo)

    r1, r2 = quantile(q1), quantile(q2)
    if not r2 > r1:
        raise ScoringError("the reference values are too concentrated to fit a curve")
    # (r / scale) ** shape = -log(1 - F) at both anchors: two equations, two unknowns.
    a1 = -math.log1p(-(s1 - 1) / 99)
    a2 = -math.log1p(-(s2 - 1) / 99)
    shape = math.log(a2 / a1) / math.log(r2 / r1)
    scale = r1 / a1 ** (1 / shape)
    return ReferenceCurve(version=version, scale=scale, shape=shape, fitted_on=fitted_on)


#: The frozen curve of every algorithm version (never edited once published).
CURVES: dict[str, ReferenceCurve] = {
    "1.0": ReferenceCurve(
        version="1.0",
        scale=1.3924195907194752,
        shape=0.8480791116136119,
        fitted_on=(
            "benchmarks/bench_score.py calibrate, 2026-11-29: default runs over back-to-back "
            "90-day windows (up to 8 per dataset) of stackexchange-french-meta, "
            "stackexchange-conlang-meta, snap-collegemsg, snap-bitcoinotc, email-temporal, "
            "twitter15-16, reddit-api and twitter-api-v2-twarc; 1,000 quantiles of the "
            "positive raw values per dataset; median -> 30, 99th percentile -> 80"
        ),
    ),
    "1.1": ReferenceCurve(
        version="1.1",
        scale=1.2457649846216088,
        shape=0.5768444814818517,
        fitted_on=(
            "benchmarks/bench_score.py calibrate, 2026-11-29, with the fitted defaults of 1.1: "
            "default runs over back-to-back 90-day windows (up to 8 per dataset) of "
            "stackexchange-french-meta, stackexchange-conlang-meta, snap-collegemsg, "
            "snap-bitcoinotc, email-temporal, twitter15-16, reddit-api and "
            "twitter-api-v2-twarc; 1,000 quantiles of the positive raw values per dataset; "
            "median -> 30, 99th percentile -> 80"
        ),
    ),
    "1.2": ReferenceCurve(
        version="1.2",
        scale=1.2255938801187876,
        shape=0.5670579612994123,
        fitted_on=(
            "benchmarks/bench_score.py calibrate, 2026-11-29, with the defaults of 1.2 (those "
            "of 1.1, integrity layer on): default runs over back-to-back 90-day windows (up to "
            "8 per dataset) of stackexchange-french-meta, stackexchange-conlang-meta, "
            "snap-collegemsg, snap-bitcoinotc, email-temporal, twitter15-16, reddit-api and "
            "twitter-api-v2-twarc; 1,000 quantiles of the positive raw values per dataset; "
            "median -> 30, 99th percentile -> 80"
        ),
    ),
}


def reference_curve(version: str = ALGORITHM_VERSION) -> ReferenceCurve:
    """The frozen reference curve of an algorithm version."""
    try:
        return CURVES[version]
    except KeyError:
        raise ScoringError(
            f"no reference curve for algorithm version {version!r} "
            f"(known: {', '.join(sorted(CURVES))})"
        ) from None
