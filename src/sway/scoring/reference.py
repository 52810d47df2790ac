"""A small pure-Python reference scorer: the test oracle for the SQL pipeline.

It implements the model of ``docs/scoring.md`` directly, with dictionaries, loops and
:func:`math.fsum`, over a list of :class:`~sway.events.Event` values. It is slow and meant for
toy graphs; the SQL steps of :mod:`sway.scoring.steps` must agree with it to 1e-9.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sway.events import Event
from sway.scoring.calibration import ReferenceCurve, reference_curve
from sway.scoring.graph import _standing_python
from sway.scoring.params import ScoreParams

__all__ = ["ReferenceResult", "lp_norm", "reference_scores"]

Key = tuple[str, str]
_CREATED = frozenset({"post", "reply", "comment", "quote"})
_PARENT_POST = frozenset({"reply", "comment", "quote"})
_CONTENT_POST = frozenset({"repost", "like", "vote", "endorse"})
_DAY_US = 86_400_000_000


@dataclass
class ReferenceResult:
    """Per account, per person and network, and per person: the same columns as the SQL."""

    accounts: dict[Key, dict[str, Any]] = field(default_factory=dict)
    person_networks: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    people: dict[str, dict[str, Any]] = field(default_factory=dict)


def lp_norm(values: Iterable[float], p: float) -> float:
    """``(sum v ** p) ** (1 / p)``, computed relative to the largest value."""
    vals = list(values)
    top = max(vals, default=0.0)
    if top <= 0:
        return 0.0
    return float(top * math.fsum((v / top) ** p for v in vals) ** (1 / p))


@dataclass
class _Reaction:
    network: str
    actor: str | None
    target: str
    event_id: str
    day: str
    post_id: str | None
    w: float
    mult: float
    negative: bool
    self_reaction: bool


def _blank(value: str | None) -> str | None:
    return value if value else None


def reference_scores(
    events: Iterable[Event],
    *,
    as_of: datetime,
    params: ScoreParams | None = None,
    links: Iterable[tuple[str, str, str]] = (),
    curve: ReferenceCurve | None = None,
) -> ReferenceResult:
    """Score ``events`` in the window ending at ``as_of`` (exclusive).

    ``links`` are ``(person_id, network, account_id)``; unlinked accounts are their own person.
    """
    p = params or ScoreParams()
    curve = curve or reference_curve()
    as_of = as_of.astimezone(UTC)
    start = as_of - timedelta(days=p.window_days)
    weights = p.action_weights()
    window = [e for e in events if start <= e.ts.astimezone(UTC) < as_of]

    reactions: list[_Reaction] = []
    for e in window:
        target = _blank(e.target)
        if e.action == "post" or target is None:
            continue
        actor = _blank(e.actor)
        if e.action in _PARENT_POST:
            post_id = _blank(e.parent_id)
        elif e.action in _CONTENT_POST:
            post_id = _blank(e.content_id)
        else:
            post_id = None
        age_days = ((as_of - e.ts) // timedelta(microseconds=1)) / _DAY_US
        reactions.append(
            _Reaction(
                network=e.network,
                actor=actor,
                target=target,
                event_id=e.event_id,
                day=e.ts.astimezone(UTC).date().isoformat(),
                post_id=post_id,
                w=weights.get(e.action, 0.0) * 0.5 ** (age_days / p.half_life_days),
                mult=e.value if actor is None and e.value is not None and e.value > 0 else 1.0,
                negative=e.value is not None and e.value <= 0,
                self_reaction=actor is not None and actor == target,
            )
        )

    # Activity of every account: days acted, reactions given, known posts, days present.
    acted_days: dict[Key, set[str]] = defaultdict(set)
    present_days: dict[Key, set[str]] = defaultdict(set)
    posts: dict[Key, set[str]] = defaultdict(set)
    given: dict[Key, int] = defaultdict(int)
    for e in window:
        actor = _blank(e.actor)
        if actor is None:
            continue
        key = (e.network, actor)
        day = e.ts.astimezone(UTC).date().isoformat()
        acted_days[key].add(day)
        present_days[key].add(day)
        if e.action != "post" and (e.target is None or actor != e.target):
            given[key] += 1
        if e.action in _CREATED and _blank(e.content_id):
            posts[key].add(str(e.content_id))
    for r in reactions:
        key = (r.network, r.target)
        present_days[key].add(r.day)
        if r.post_id is not None:
            posts[key].add(r.post_id)
    universe = sorted(set(present_days))
    selectivity: dict[Key, float] = {}
    for key in universe:
        days = len(acted_days.get(key, ()))
        rate = given.get(key, 0) / days if days else 0.0
        selectivity[key] = (1 + rate / p.selectivity_rate) ** -p.selectivity_strength
    credibility = dict.fromkeys(universe, 1.0)

    # Pairs reactor -> target (named, positive, not self).
    pair_w: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for r in reactions:
        if r.actor is not None and not r.self_reaction and not r.negative:
            pair_w[(r.network, r.target, r.actor)].append(r.w)

    # Units reactor -> post (or day) for amplification.
    unit_w: dict[tuple[str, str, str, bool, str], list[float]] = defaultdict(list)
    unit_mult: dict[tuple[str, str, str, bool, str], float] = {}
    for r in reactions:
        if r.self_reaction or r.negative:
            continue
        has_posts = bool(posts.get((r.network, r.target)))
        unit = r.post_id if has_posts else r.day
        if unit is None:
            continue
        reactor = r.actor if r.actor is not None else r.event_id
        ukey = (r.network, r.target, unit, r.actor is None, reactor)
        unit_w[ukey].append(r.w)
        unit_mult[ukey] = max(unit_mult.get(ukey, r.mult), r.mult)

    reach_parts: dict[Key, list[float]] = defaultdict(list)
    for (net, target, actor), ws in pair_w.items():
        src = (net, actor)
        reach_parts[(net, target)].append(
            selectivity[src] * credibility[src] * math.log1p(math.fsum(ws))
        )
    for r in reactions:
        if r.actor is None and not r.negative:
            reach_parts[(r.network, r.target)].append(r.mult * p.anonymous_weight * math.log1p(r.w))
    amp_parts: dict[Key, list[float]] = defaultdict(list)
    for ukey, ws in unit_w.items():
        net, target, _, anonymous, reactor = ukey
        factor = (
            unit_mult[ukey] * p.anonymous_weight
            if anonymous
            else selectivity[(net, reactor)] * credibility[(net, reactor)]
        )
        amp_parts[(net, target)].append(factor * math.log1p(math.fsum(ws)))

    # The graph step: standing y = 1 + alpha * A.T y; network impact = y - 1.
    out: dict[Key, float] = defaultdict(float)
    edges: list[tuple[Key, Key, float]] = []
    for (net, target, actor), ws in pair_w.items():
        strength = math.log1p(math.fsum(ws))
        if strength > 0:
            out[(net, actor)] += strength
            edges.append(((net, actor), (net, target), strength))
    floor = math.log1p(p.full_endorsement)
    shares = [(s, t, selectivity[s] * credibility[s] * w / max(out[s], floor)) for s, t, w in edges]
    y = _standing_python(universe, shares, alpha=p.damping, tol=1e-14)

    result = ReferenceResult()
    for key in universe:
        n_posts = len(posts.get(key, ()))
        units = n_posts if n_posts else len(present_days[key])
        reach = math.fsum(reach_parts.get(key, ()))
        amplification = math.fsum(amp_parts.get(key, ())) / (units + p.amplification_prior)
        impact = y[key] - 1.0
        parts = {
            "reach": p.mix_reach * math.log1p(reach),
            "amplification": p.mix_amplification * math.log1p(amplification),
            "network_impact": p.mix_network_impact * math.log1p(impact),
        }
        raw = math.fsum(parts.values())
        result.accounts[key] = {
            "reach": reach,
            "amplification": amplification,
            "network_impact": impact,
            "amplification_basis": "posts" if n_posts else "days",
            "posts": n_posts,
            "selectivity": selectivity[key],
            "raw": raw,
            "score": curve.score(raw),
        }

    persons: dict[Key, list[str]] = defaultdict(list)
    for person, net, account in dict.fromkeys(links):
        persons[(net, account)].append(person)
    members: dict[str, list[Key]] = defaultdict(list)
    for key in universe:
        for person in persons.get(key, [f"{key[0]}:{key[1]}"]):
            members[person].append(key)
    columns = ("raw", "reach", "amplification", "network_impact")
    for person, keys in members.items():
        for net in sorted({k[0] for k in keys}):
            mine = [result.accounts[k] for k in keys if k[0] == net]
            row = {c: lp_norm((a[c] for a in mine), p.person_norm) for c in columns}
            row["score"] = curve.score(row["raw"])
            row["accounts"] = len(mine)
            result.person_networks[(person, net)] = row
        every = [result.accounts[k] for k in keys]
        row = {c: lp_norm((a[c] for a in every), p.person_norm) for c in columns}
        row["score"] = curve.score(row["raw"])
        row["accounts"] = len(every)
        result.people[person] = row
    return result
