"""Endorsements (+K): one account vouching for another on a topic, with limits that stop farming.

The rules, applied to every endorsement in time order (:func:`check_limits`):

1. an account cannot endorse itself, and giver and target are on the same network;
2. a giver makes at most ``daily_limit`` (5) endorsements per UTC day: later ones are refused;
3. a giver endorses the same target on the same topic at most once per ``repeat_days`` (7)
   days: a repeat inside that time is refused.

Only accepted endorsements count, and each is weighted (:func:`endorsement_boosts`) by

- the giver's **credibility** (selectivity x credibility from the score run: an account the
  run does not know, such as a fresh sock puppet, weighs nothing);
- the giver's **expertise on the topic** ``X``: ``1/2 + 1/2 (1 - exp(-X / scale))``, so that
  an expert's endorsement counts fully and a layperson's half;
- a **collusion discount** when giver and target are a reciprocal pair or in one dense group
  of endorsers (:mod:`sway.topics.collusion`).

Their **total effect is capped**: the endorsements of a target on a topic multiply its topic
score by ``1 + min(cap, unit x sum of weights)`` (at most +10% by default). Being a multiple of
the content-based score, they **never create a topic**: with no on-topic content evidence the
score stays zero, and the minimum evidence to show a topic counts content only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sway.topics.collusion import CollusionReport, find_collusion
from sway.topics.params import TopicParams

__all__ = [
    "Boost",
    "Decision",
    "Endorsement",
    "check_limits",
    "check_new",
    "endorsement_boosts",
]

ACCEPTED = "accepted"


@dataclass(frozen=True)
class Endorsement:
    """One endorsement: ``giver`` vouches for ``target`` on ``topic_id`` at ``ts``."""

    endorsement_id: str
    network: str
    giver: str
    target: str
    topic_id: str
    ts: datetime
    source: str = "cli"


@dataclass(frozen=True)
class Decision:
    """What became of one endorsement: accepted or the rule that refused it, and its weight."""

    endorsement: Endorsement
    accepted: bool
    reason: str
    weight: float = 0.0
    colluding: bool = False


@dataclass(frozen=True)
class Boost:
    """The capped effect of all endorsements of one target on one topic."""

    boost: float
    endorsements: int
    weight: float


def check_limits(
    endorsements: Iterable[Endorsement], *, daily_limit: int = 5, repeat_days: float = 7.0
) -> list[Decision]:
    """Accept or refuse each endorsement by the rules of the module docstring, applied in time
    order (ties in the order given: the CLI and the API pass the stored ones first, so a new
    endorsement is judged after them); the decisions come back in the order given."""
    given = list(endorsements)
    per_day: dict[tuple[str, str, object], int] = {}
    last: dict[tuple[str, str, str, str], datetime] = {}
    repeat = timedelta(days=repeat_days)
    decided: dict[int, Decision] = {}
    for index in sorted(range(len(given)), key=lambda i: (given[i].ts, i)):
        e = given[index]
        day = (e.network, e.giver, e.ts.date())
        pair = (e.network, e.giver, e.target, e.topic_id)
        if e.giver == e.target:
            reason = "self-endorsement"
        elif per_day.get(day, 0) >= daily_limit:
            reason = f"daily limit ({daily_limit} per giver per day)"
        elif pair in last and e.ts - last[pair] < repeat:
            reason = f"repeat within {repeat_days:g} days"
        else:
            reason = ACCEPTED
            per_day[day] = per_day.get(day, 0) + 1
            last[pair] = e.ts
        decided[index] = Decision(e, reason == ACCEPTED, reason)
    return [decided[i] for i in range(len(given))]


def check_new(
    existing: Iterable[Endorsement],
    new: Endorsement,
    *,
    daily_limit: int = 5,
    repeat_days: float = 7.0,
) -> Decision:
    """The decision on ``new`` given the endorsements already made (for the CLI and the API,
    which refuse an endorsement over the limits before storing it)."""
    return check_limits([*existing, new], daily_limit=daily_limit, repeat_days=repeat_days)[-1]


def endorsement_boosts(
    decisions: Iterable[Decision],
    *,
    credibility: Callable[[str, str], float],
    expertise: Mapping[tuple[str, str, str], float],
    params: TopicParams,
) -> tuple[list[Decision], dict[tuple[str, str, str], Boost], CollusionReport[tuple[str, str]]]:
    """Weigh the accepted endorsements and cap their effect per target and topic.

    Parameters
    ----------
    decisions
        From :func:`check_limits`.
    credibility
        ``(network, account) -> weight`` of the giver (0 for unknown accounts).
    expertise
        ``(network, account, topic) -> X``, the giver's content-based expertise.
    params
        ``endorse_unit``, ``endorse_cap``, ``endorse_expertise_scale``, the collusion settings.

    Returns
    -------
    The decisions with weights, ``(network, target, topic) -> Boost``, and the collusion report.
    """
    decisions = list(decisions)
    accepted = [d.endorsement for d in decisions if d.accepted]
    report = find_collusion(
        (((e.network, e.giver), (e.network, e.target)) for e in accepted),
        min_group=params.collusion_min_group,
        density=params.collusion_density,
    )
    weighed: list[Decision] = []
    totals: dict[tuple[str, str, str], list[float]] = {}
    for d in decisions:
        if not d.accepted:
            weighed.append(d)
            continue
        e = d.endorsement
        x = expertise.get((e.network, e.giver, e.topic_id), 0.0)
        weight = max(0.0, credibility(e.network, e.giver)) * (
            0.5 + 0.5 * -math.expm1(-x / params.endorse_expertise_scale)
        )
        colluding = report.colluding((e.network, e.giver), (e.network, e.target))
        if colluding:
            weight *= params.collusion_discount
        weighed.append(replace(d, weight=weight, colluding=colluding))
        total = totals.setdefault((e.network, e.target, e.topic_id), [0.0, 0.0])
        total[0] += 1
        total[1] += weight
    boosts = {
        k: Boost(min(params.endorse_cap, params.endorse_unit * w), int(n), w)
        for k, (n, w) in totals.items()
    }
    return weighed, boosts, report
