"""The influence score: reach, amplification, network impact, and the calibrated 1-100.

The pure core of Sway's scoring, free of any engine, store or CLI (STYLE.md "pure core"):

- :mod:`~sway.scoring.params`: every parameter with its documented default, and the algorithm
  version;
- :mod:`~sway.scoring.steps`: the relational steps, written once as SQL that engines run;
- :mod:`~sway.scoring.graph`: the PageRank-like graph step (sparse power iteration);
- :mod:`~sway.scoring.calibration`: the frozen reference curve from raw influence to 1-100;
- :mod:`~sway.scoring.scorer`: :class:`InfluenceScorer`, which runs one pass through an engine;
- :mod:`~sway.scoring.explain`: contributions that add up to the score, and what would raise it;
- :mod:`~sway.scoring.decay`: whether the half-life suits the data (most accounts at 1 because
  their reactions are many half-lives old), for the warning of ``sway score``;
- :mod:`~sway.scoring.reference`: a small pure-Python scorer, the test oracle.

The model is documented with its formulas in ``docs/scoring.md``.
"""

from __future__ import annotations

from sway.scoring.calibration import ReferenceCurve, reference_curve
from sway.scoring.explain import Explanation, explain_account, explain_person
from sway.scoring.params import ALGORITHM_VERSION, ScoreParams
from sway.scoring.scorer import InfluenceScorer, RunPlan

__all__ = [
    "ALGORITHM_VERSION",
    "Explanation",
    "InfluenceScorer",
    "ReferenceCurve",
    "RunPlan",
    "ScoreParams",
    "explain_account",
    "explain_person",
    "reference_curve",
]
