"""Is the half-life suited to the data? A check after a run, for data that went quiet.

A reaction's weight halves every ``half_life_days`` before ``as_of`` (14 days by default, fitted
on busy networks). On data whose activity stopped long before ``as_of`` (a quiet site, an old
dump, a long ``--window``), decay erases almost everything and most accounts score about 1:
what the scores then show is the age of the data, not influence. :func:`decay_warning` says
when that happened, from the run's results and the age of each account's newest reaction, and
suggests a half-life suited to the data; :func:`check_decay` fetches those ages through the
engine. The CLI prints the warning (``sway score``); nothing here prints or changes a score.

The rule, kept simple:

- **most engaged accounts are at the floor**: more than half of the accounts that received at
  least one counted reaction in the window (named or anonymous; not their own, not negative)
  score below :data:`FLOOR_SCORE`, a score that rounds to 1;
- **because of decay**: the median age of those accounts' newest reaction is at least
  :data:`STALE_HALF_LIVES` half-lives. Decay alone puts an account at the floor only once its
  reactions are about 12 half-lives old or more (below the floor, raw influence is under
  1.1e-4, and a like or an anonymous vote 12 half-lives old adds about that), so when decay
  floors most accounts the median age is well beyond 8 half-lives, while floors that the
  integrity layer causes on recent data (discredited reactors, new accounts) leave it short and
  do not trigger the warning.

The suggested half-life is the median age divided by :data:`SUGGESTED_HALF_LIVES` (five),
rounded to two significant figures: the typical account's newest reaction then keeps about 3 %
of its weight, and its older ones add to it. On the bundled demo (Stack Exchange's Constructed
Languages Meta, 2018-2020, ``--window 3y``) the median age is 667 days, the suggestion 130
days, and with it the median engaged account scores 28, near the 30 the reference curve places
it at on its calibration data (``docs/scoring.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from sway.engines.base import Engine
    from sway.scoring.scorer import InfluenceScorer

__all__ = [
    "FLOOR_SCORE",
    "LAST_REACTIONS_SQL",
    "STALE_HALF_LIVES",
    "SUGGESTED_HALF_LIVES",
    "DecayWarning",
    "check_decay",
    "decay_warning",
]

#: A score below this rounds to 1: the account is at the floor.
FLOOR_SCORE = 1.5
#: The warning needs the median age of the newest reaction to be at least this many half-lives.
STALE_HALF_LIVES = 8.0
#: The suggested half-life is the median age of the newest reaction over this.
SUGGESTED_HALF_LIVES = 5.0

_DAY_US = 86_400_000_000

#: Per account, the newest reaction it received in the window that the scorer counts (a known
#: target, not a self-reaction, not negative; named or anonymous), in microseconds since the
#: Unix epoch. Portable SQL over ``input_events``, as the steps of :mod:`sway.scoring.steps`.
LAST_REACTIONS_SQL = """
SELECT network, target AS account_id, max(ts_us) AS last_us
FROM input_events
WHERE ts >= $start AND ts < $as_of
  AND action <> 'post'
  AND nullif(target, '') IS NOT NULL
  AND NOT coalesce(actor = target, FALSE)
  AND NOT coalesce(value <= 0, FALSE)
GROUP BY network, target
"""


@dataclass(frozen=True)
class DecayWarning:
    """Most engaged accounts of a run score about 1 because the half-life is far shorter than
    the age of their reactions.

    Attributes
    ----------
    engaged
        Accounts that received at least one counted reaction in the window.
    at_floor
        How many of them score below :data:`FLOOR_SCORE`.
    median_age_days
        Median age, at ``as_of``, of the newest reaction each engaged account received.
    half_life_days
        The run's half-life.
    suggested_half_life_days
        A half-life suited to the data: the median age over :data:`SUGGESTED_HALF_LIVES`,
        rounded to two significant figures.
    """

    engaged: int
    at_floor: int
    median_age_days: float
    half_life_days: float
    suggested_half_life_days: float

    @property
    def half_lives(self) -> float:
        """The median age in half-lives."""
        return self.median_age_days / self.half_life_days


def decay_warning(
    accounts: pa.Table,
    last_reactions: pa.Table,
    *,
    as_of: datetime,
    half_life_days: float,
) -> DecayWarning | None:
    """The warning when most engaged accounts of a run score about 1 because of decay.

    Parameters
    ----------
    accounts
        The run's accounts (``InfluenceScorer.accounts_``): ``network``, ``account_id``,
        ``score``, ``reactions`` (named) and ``anonymous_reactions``.
    last_reactions
        ``network``, ``account_id``, ``last_us``: the newest counted reaction each account
        received in the window (:data:`LAST_REACTIONS_SQL`).
    as_of
        End of the run's window.
    half_life_days
        The run's half-life.

    Returns
    -------
    DecayWarning or None
        None unless more than half of the engaged accounts score below :data:`FLOOR_SCORE` and
        the median age of their newest reaction is at least :data:`STALE_HALF_LIVES`
        half-lives (the module docstring says why).
    """
    received = pc.add(
        pc.cast(accounts["reactions"], pa.float64()),
        pc.cast(accounts["anonymous_reactions"], pa.float64()),
    )
    engaged = accounts.select(["network", "account_id", "score"]).filter(pc.greater(received, 0.0))
    if engaged.num_rows == 0:
        return None
    scores = engaged["score"].to_numpy()
    at_floor = int(np.count_nonzero(scores < FLOOR_SCORE))
    if 2 * at_floor <= engaged.num_rows:
        return None
    joined = engaged.join(
        last_reactions.select(["network", "account_id", "last_us"]),
        keys=["network", "account_id"],
        join_type="inner",
    )
    if joined.num_rows == 0:
        return None
    as_of_us = (as_of.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
        microseconds=1
    )
    ages = (as_of_us - joined["last_us"].to_numpy().astype(np.int64)) / _DAY_US
    median_age = float(np.median(ages))
    if median_age < STALE_HALF_LIVES * half_life_days:
        return None
    return DecayWarning(
        engaged=engaged.num_rows,
        at_floor=at_floor,
        median_age_days=median_age,
        half_life_days=float(half_life_days),
        suggested_half_life_days=_two_figures(median_age / SUGGESTED_HALF_LIVES),
    )


def check_decay(scorer: InfluenceScorer, engine: Engine) -> DecayWarning | None:
    """:func:`decay_warning` for a fitted scorer, reading the ages of the newest reactions
    from the engine it was fitted on (before the engine is closed)."""
    plan = scorer.plan_
    last = engine.query(LAST_REACTIONS_SQL, {"start": plan.start, "as_of": plan.as_of})
    return decay_warning(
        scorer.accounts_,
        last,
        as_of=plan.as_of,
        half_life_days=scorer.params_.half_life_days,
    )


def _two_figures(value: float) -> float:
    """``value`` rounded to two significant figures (133.4 -> 130, 8.67 -> 8.7), at least 1."""
    if value < 1:
        return 1.0
    digits = 1 - int(np.floor(np.log10(value)))
    return float(round(value, digits))
