"""Bursts: a one-off spike of reactions is damped relative to the account's baseline.

An account's baseline is the mean of the reactions it received on the other days of the window
(at least one a day). On a day with more than ``burst_ratio`` times that, each reaction counts
``sqrt(limit / received)``: the day still counts for more than a normal day, but a conference
week, a chat hour or a viral evening cannot dominate a score built on sustained influence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from sway.integrity.frame import EventFrame, unique_columns
from sway.integrity.params import IntegrityParams

__all__ = ["burst_factors"]

#: Actions that pass a post on to the reactor's own audience: a spike of them is the post
#: spreading (reach itself), not an event gathering people for a day.
_PASSING_ON = ("repost", "quote")


def burst_factors(
    frame: EventFrame,
    *,
    window_days: float,
    credibility: npt.NDArray[np.float64] | None = None,
    pair_factor: Mapping[tuple[int, int], float] | None = None,
    params: IntegrityParams | None = None,
) -> dict[tuple[int, int], float]:
    """``(target code, UTC day) -> factor`` for every burst day of every account.

    Reactions are counted at their reactor's ``credibility`` (by actor code; anonymous ones
    fully) times their pair's factor in ``pair_factor`` (collusion, newcomers weighed by their
    crowd), so that reactions which already count for nothing neither make nor hide a burst.
    """
    p = params or IntegrityParams()
    mask = (
        ~np.isin(frame.action, _PASSING_ON)
        & (frame.action != "post")
        & (frame.target >= 0)
        & (frame.actor != frame.target)
    )
    if not mask.any():
        return {}
    weight = np.ones(int(mask.sum()))
    if credibility is not None:
        actors = frame.actor[mask]
        known = actors >= 0
        weight[known] = credibility[actors[known]]
    if pair_factor:
        pairs_of = zip(frame.actor[mask].tolist(), frame.target[mask].tolist(), strict=True)
        weight *= np.fromiter((pair_factor.get(pair, 1.0) for pair in pairs_of), np.float64)
    keys, inverse = unique_columns(frame.target[mask], frame.day[mask], return_inverse=True)
    received = np.bincount(inverse.ravel(), weights=weight, minlength=keys.shape[1])
    pairs = keys
    totals = np.bincount(pairs[0], weights=received, minlength=frame.n_accounts)
    other_days = max(window_days - 1.0, 1.0)
    out: dict[tuple[int, int], float] = {}
    for (target, day), got in zip(pairs.T.tolist(), received.tolist(), strict=True):
        baseline = max((totals[target] - got) / other_days, 1.0)
        limit = p.burst_ratio * baseline
        if got > limit and got > 0:
            out[(int(target), int(day))] = math.sqrt(limit / got)
    return out
