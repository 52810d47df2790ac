"""The parameters of the influence score, with their documented defaults.

Every number the score depends on is a field of :class:`ScoreParams`; a run records them all
(see :meth:`ScoreParams.as_dict`), so any published score can be reproduced. Changing the
*formulas* (not a parameter) means a new :data:`ALGORITHM_VERSION`, which starts a new series.

The defaults of version 1.1 come from ``sway fit`` (:mod:`sway.evaluation.fit`): seeded
coordinate descent from the hand-set priors of version 1.0, on training splits of six real
datasets that end before each dataset's evaluation split, keeping every DESIGN principle
(effortful reactions still weigh more: replies, comments and quotes over reposts over likes).
The procedure, the values and the command that reproduces them are in ``docs/evaluation.md``;
``docs/evaluation/fit.json`` is the fit's output, and a test checks that the defaults below are
its values.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from sway.errors import ConfigError

__all__ = ["ALGORITHM_VERSION", "ScoreParams"]

#: Version of the formulas, their defaults and the reference curve that maps raw influence to
#: 1-100. Scores of different versions are different series and are never compared. 1.1: the
#: formulas of 1.0 with defaults fitted on data (docs/evaluation.md) and a refitted curve. 1.2:
#: the defaults of 1.1 with the integrity layer on (docs/integrity.md) and a refitted curve.
ALGORITHM_VERSION = "1.2"

_INTEGER_FIELDS = frozenset({"max_iter", "top_n", "integrity"})


@dataclass(frozen=True)
class ScoreParams:
    """Parameters of one scoring run.

    Attributes
    ----------
    weight_reply, weight_comment, weight_quote
        Weight of a reply, comment or quote received (effortful: someone wrote something).
    weight_repost, weight_endorse
        Weight of a repost (boost, retweet) or an explicit endorsement received.
    weight_mention
        Weight of being mentioned in someone's post.
    weight_like, weight_vote
        Weight of a like (favourite) or an up-vote received.
    weight_follow
        Weight of a new follower: audience, not engagement, hence low.
    anonymous_weight
        What one anonymous reaction (a Stack Exchange vote: the voter is unknown) counts for,
        in place of the unknown reactor's selectivity and credibility. Anonymous reactions add
        to reach and amplification but create no graph edge.
    half_life_days
        A reaction loses half its weight every this many days before ``as_of``.
    window_days
        Only events in ``[as_of - window, as_of)`` are used.
    selectivity_rate, selectivity_strength
        A reactor giving ``rate`` reactions per active day has selectivity
        ``(1 + rate / selectivity_rate) ** -selectivity_strength``: the more they react, the less
        each reaction is worth.
    amplification_prior
        Pseudo-posts added to the denominator of amplification (reactions per post), so that one
        lucky post does not dominate (shrinkage towards zero).
    mix_reach, mix_amplification, mix_network_impact
        Weights of ``log1p`` of each sub-score in raw influence.
    damping
        Probability of following a reaction edge in the PageRank-like step (``alpha``).
    full_endorsement
        Weighted, decayed engagement at which a reactor passes on all of its standing in the
        graph step (1.0: one fresh like); a reactor with less (old or few reactions) passes on
        only ``log(1 + engagement) / log(1 + full_endorsement)`` of it.
    tolerance, max_iter
        The graph step stops when the estimated remaining error of every account's standing,
        relative to it, is below ``tolerance``; it fails after ``max_iter`` iterations.
    person_norm
        ``p`` of the L^p norm that combines a person's accounts: large ``p`` means the strongest
        account dominates and a quiet extra account adds almost nothing (no breadth bias).
    top_n
        How many top reactors and top posts are kept per account for explanations.
    integrity
        1 to discount reactors by credibility, collusion and bursts and ramp in new accounts
        (:mod:`sway.integrity`; the default since version 1.2), 0 to count every reactor fully.
    """

    weight_reply: float = 3.0
    weight_comment: float = 3.0
    weight_quote: float = 3.0
    weight_repost: float = 1.5
    weight_endorse: float = 1.5
    weight_mention: float = 1.5
    weight_like: float = 1.0
    weight_vote: float = 1.0
    weight_follow: float = 0.5
    anonymous_weight: float = 0.5
    half_life_days: float = 14.0
    window_days: float = 90.0
    selectivity_rate: float = 10.0
    selectivity_strength: float = 0.5
    amplification_prior: float = 5.0
    mix_reach: float = 0.9
    mix_amplification: float = 0.05
    mix_network_impact: float = 0.05
    damping: float = 0.85
    full_endorsement: float = 1.0
    tolerance: float = 1e-12
    max_iter: int = 1000
    person_norm: float = 4.0
    top_n: int = 5
    integrity: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"score parameter {f.name} must be a number, found {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"score parameter {f.name} must be >= 0, found {value!r}")
        positive = (
            "half_life_days",
            "window_days",
            "selectivity_rate",
            "tolerance",
            "person_norm",
            "anonymous_weight",
            "full_endorsement",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(
                    f"score parameter {name} must be > 0, found {getattr(self, name)}"
                )
        if not 0 < self.damping < 1:
            raise ConfigError(f"score parameter damping must be in (0, 1), found {self.damping}")
        if self.person_norm < 1:
            raise ConfigError(f"score parameter person_norm must be >= 1, found {self.person_norm}")
        if self.mix_reach + self.mix_amplification + self.mix_network_impact <= 0:
            raise ConfigError(
                "at least one of mix_reach, mix_amplification, mix_network_impact > 0"
            )
        if self.integrity not in (0, 1):
            raise ConfigError(f"score parameter integrity must be 0 or 1, found {self.integrity}")
        for name in ("max_iter", "top_n"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 1:
                raise ConfigError(f"score parameter {name} must be a positive integer")

    def action_weights(self) -> dict[str, float]:
        """Weight of each reaction type, by action name."""
        return {
            "reply": self.weight_reply,
            "comment": self.weight_comment,
            "quote": self.weight_quote,
            "repost": self.weight_repost,
            "endorse": self.weight_endorse,
            "mention": self.weight_mention,
            "like": self.weight_like,
            "vote": self.weight_vote,
            "follow": self.weight_follow,
        }

    def as_dict(self) -> dict[str, Any]:
        """Every parameter by name (what a run records), with canonical types: ``14`` and
        ``14.0`` are the same half-life and must give the same run id."""
        return {
            name: int(value) if name in _INTEGER_FIELDS else float(value)
            for name, value in asdict(self).items()
        }

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))
