"""Explanations: why a score is what it is, and what would raise it.

Built from a run's stored per-account data (sub-scores, the parts of raw influence, what was
discounted, the top reactors and posts), so an explanation is as reproducible as the run.

The contributions add up: ``score = 1 + sum(points)``. For an account, the ``score - 1`` points
above the floor are shared among reach, amplification and network impact in proportion to each
one's part ``mix_f * log(1 + sub_score_f)`` of raw influence. For a person, they are first shared
among the person's accounts in proportion to each account's share ``(raw_k / max raw) ** p`` of
the L^p norm that combines them, then within each account as above.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sway.scoring.calibration import ReferenceCurve
from sway.scoring.params import ScoreParams

__all__ = [
    "FACTORS",
    "Contribution",
    "Explanation",
    "ShareOfScore",
    "explain_account",
    "explain_person",
    "integrity_lines",
    "split_points",
]

#: The sub-scores, in display order.
FACTORS: tuple[str, ...] = ("reach", "amplification", "network_impact")

_LABELS = {
    "reach": "reach",
    "amplification": "amplification",
    "network_impact": "network impact",
}


@dataclass(frozen=True)
class Contribution:
    """One factor: its sub-score, its part of raw influence and the points it adds."""

    factor: str
    value: float
    part: float
    points: float


@dataclass(frozen=True)
class ShareOfScore:
    """Points one network (or one account) adds to a person's score."""

    name: str
    score: float
    points: float


@dataclass(frozen=True)
class Explanation:
    """Why ``subject`` has ``score`` in ``run_id``.

    ``base + sum(c.points for c in contributions) == score`` (up to rounding).
    """

    subject: str
    run_id: str
    score: float
    raw: float
    base: float
    contributions: tuple[Contribution, ...]
    networks: tuple[ShareOfScore, ...] = ()
    accounts: tuple[ShareOfScore, ...] = ()
    top_reactors: tuple[dict[str, Any], ...] = ()
    top_posts: tuple[dict[str, Any], ...] = ()
    discounts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_points(points: float, parts: Mapping[str, float]) -> dict[str, float]:
    """Share ``points`` among ``parts`` in proportion to them (all zero when they sum to 0)."""
    total = math.fsum(parts.values())
    if total <= 0:
        return dict.fromkeys(parts, 0.0)
    return {k: points * v / total for k, v in parts.items()}


def _params(params: ScoreParams | Mapping[str, Any]) -> ScoreParams:
    return params if isinstance(params, ScoreParams) else ScoreParams(**params)


def _mix(p: ScoreParams) -> dict[str, float]:
    return {
        "reach": p.mix_reach,
        "amplification": p.mix_amplification,
        "network_impact": p.mix_network_impact,
    }


def _suggestions(
    values: Mapping[str, float],
    raw: float,
    p: ScoreParams,
    curve: ReferenceCurve,
    *,
    basis: str,
) -> list[str]:
    """What doubling each sub-score would add, best first."""
    mix = _mix(p)
    score = curve.score(raw)
    gains: list[tuple[float, str]] = []
    for factor in FACTORS:
        if mix[factor] <= 0:
            continue
        now = values[factor]
        target = 2 * now if now > 0 else 1.0
        new_raw = raw + mix[factor] * (math.log1p(target) - math.log1p(now))
        gain = curve.score(new_raw) - score
        if factor == "reach":
            what = (
                f"reach {now:.3g} -> {target:.3g}: react-worthy content for more distinct, "
                "selective people (the same people reacting again adds little)"
            )
        elif factor == "amplification":
            unit = "post" if basis == "posts" else "active day"
            what = (
                f"amplification {now:.3g} -> {target:.3g}: more reactions per {unit}; posting "
                "more without more reactions lowers it"
            )
        else:
            what = (
                f"network impact {now:.3g} -> {target:.3g}: reactions from accounts that are "
                "themselves reacted to"
            )
        gains.append((gain, f"+{gain:.1f} points with {what}"))
    gains.sort(key=lambda g: -g[0])
    return [text for _, text in gains]


def _discounts(row: Mapping[str, Any], p: ScoreParams) -> tuple[list[str], list[str]]:
    discounts: list[str] = []
    notes: list[str] = []
    if row.get("self_reactions"):
        discounts.append(
            f"{row['self_reactions']:,} self-reactions ignored: reacting to oneself is not "
            "influence"
        )
    if row.get("repeat_reactions"):
        discounts.append(
            f"{row['repeat_reactions']:,} repeat reactions from the same "
            f"{row.get('reactors', 0):,} reactors count with diminishing returns "
            "(log(1 + weighted reactions) per reactor)"
        )
    if row.get("unselective_reactors"):
        discounts.append(
            f"{row['unselective_reactors']:,} reactors react so often (more than "
            f"{p.selectivity_rate * (2 ** (1 / p.selectivity_strength) - 1):.3g} reactions per "
            "active day) that each of their reactions counts less than half"
        )
    lost = float(row.get("selectivity_discount") or 0.0)
    if lost > 0.01 * (float(row.get("reach") or 0.0) + lost):
        discounts.append(
            f"reach lost to unselective reactors: {row['selectivity_discount']:.3g} "
            "(each reactor counts with selectivity x credibility)"
        )
    if row.get("anonymous_reactions"):
        discounts.append(
            f"{row['anonymous_reactions']:,.0f} anonymous reactions (the reactor is unknown) "
            f"count {p.anonymous_weight:g} each and create no network-impact edge"
        )
    if row.get("negative_reactions"):
        discounts.append(
            f"{row['negative_reactions']:,} negative reactions (down-votes, negative ratings) "
            "add no influence"
        )
    if row.get("credibility", 1.0) < 1.0:
        discounts.append(f"credibility {row['credibility']:.2f}")
    if row.get("amplification_basis") == "days":
        notes.append(
            "this network gives no post ids for the account: amplification is reactions per "
            f"active day ({row.get('present_days', 0):,} days), not reactions per post"
        )
    else:
        notes.append(
            f"amplification is reactions per post over {row.get('posts', 0):,} posts "
            f"(+{p.amplification_prior:g} pseudo-posts so that one lucky post does not dominate)"
        )
    return discounts, notes


def integrity_lines(summary: Mapping[str, Any], network: str, account_id: str) -> list[str]:
    """The integrity layer's explanation lines for one account, from a run's summary (empty
    when the run had the integrity layer off or it discounted nothing there)."""
    integrity = summary.get("integrity") or {}
    return [str(line) for line in integrity.get("notes", {}).get(f"{network}:{account_id}", ())]


def explain_account(
    row: Mapping[str, Any],
    *,
    run_id: str,
    params: ScoreParams | Mapping[str, Any],
    curve: ReferenceCurve,
    top_reactors: Sequence[Mapping[str, Any]] = (),
    top_posts: Sequence[Mapping[str, Any]] = (),
    integrity: Sequence[str] = (),
) -> Explanation:
    """Explain one account's score from its stored row of a run.

    ``row`` has the sub-scores, ``raw``, ``score``, ``part_*`` and the discount counts (as
    :func:`sway.store.runs.account_result` returns them); ``integrity`` the integrity layer's
    lines for the account (credibility discounts, collusion groups, bursts; see
    :func:`integrity_lines`).
    """
    p = _params(params)
    score = float(row["score"])
    parts = {f: float(row[f"part_{f}"]) for f in FACTORS}
    points = split_points(score - 1.0, parts)
    values = {f: float(row[f]) for f in FACTORS}
    discounts, notes = _discounts(row, p)
    return Explanation(
        subject=f"{row['network']}:{row['account_id']}",
        run_id=run_id,
        score=score,
        raw=float(row["raw"]),
        base=1.0,
        contributions=tuple(Contribution(f, values[f], parts[f], points[f]) for f in FACTORS),
        networks=(ShareOfScore(str(row["network"]), score, score - 1.0),),
        top_reactors=tuple(dict(r) for r in top_reactors),
        top_posts=tuple(dict(r) for r in top_posts),
        discounts=(*discounts, *integrity),
        notes=tuple(notes),
        suggestions=tuple(
            _suggestions(
                values,
                float(row["raw"]),
                p,
                curve,
                basis=str(row.get("amplification_basis", "posts")),
            )
        ),
    )


def explain_person(
    person: Mapping[str, Any],
    accounts: Sequence[Mapping[str, Any]],
    *,
    run_id: str,
    params: ScoreParams | Mapping[str, Any],
    curve: ReferenceCurve,
    networks: Sequence[Mapping[str, Any]] = (),
) -> Explanation:
    """Explain a person's score from their row and their accounts' rows of a run."""
    p = _params(params)
    score = float(person["score"])
    raws = {f"{a['network']}:{a['account_id']}": float(a["raw"]) for a in accounts}
    top = max(raws.values(), default=0.0)
    weights = {k: (v / top) ** p.person_norm if top > 0 else 0.0 for k, v in raws.items()}
    per_account = split_points(score - 1.0, weights)
    totals = dict.fromkeys(FACTORS, 0.0)
    part_totals = dict.fromkeys(FACTORS, 0.0)
    per_network: dict[str, float] = {}
    account_shares: list[ShareOfScore] = []
    for a in accounts:
        key = f"{a['network']}:{a['account_id']}"
        split = split_points(per_account[key], {f: float(a[f"part_{f}"]) for f in FACTORS})
        for f in FACTORS:
            totals[f] += split[f]
            part_totals[f] += float(a[f"part_{f}"]) * (
                weights[key] / math.fsum(weights.values()) if top > 0 else 0.0
            )
        per_network[str(a["network"])] = per_network.get(str(a["network"]), 0.0) + per_account[key]
        account_shares.append(ShareOfScore(key, float(a["score"]), per_account[key]))
    network_scores = {str(n["network"]): float(n["score"]) for n in networks}
    values = {f: float(person[f]) for f in FACTORS}
    notes = [
        f"{len(accounts)} account(s) combined with diminishing returns (L^{p.person_norm:g} norm "
        "of raw influence): the strongest account dominates and a quiet extra one adds little"
    ]
    discounts: list[str] = []
    for a in accounts:
        d, _ = _discounts(a, p)
        discounts.extend(f"{a['network']}:{a['account_id']}: {text}" for text in d)
    strongest = max(accounts, key=lambda a: float(a["raw"]), default=None)
    suggestions: list[str] = []
    if strongest is not None:
        suggestions = [
            f"{strongest['network']}:{strongest['account_id']} (the strongest account): {s}"
            for s in _suggestions(
                {f: float(strongest[f]) for f in FACTORS},
                float(strongest["raw"]),
                p,
                curve,
                basis=str(strongest.get("amplification_basis", "posts")),
            )
        ]
    return Explanation(
        subject=f"person {person['person_id']}",
        run_id=run_id,
        score=score,
        raw=float(person["raw"]),
        base=1.0,
        contributions=tuple(Contribution(f, values[f], part_totals[f], totals[f]) for f in FACTORS),
        networks=tuple(
            ShareOfScore(n, network_scores.get(n, math.nan), pts)
            for n, pts in sorted(per_network.items(), key=lambda kv: -kv[1])
        ),
        accounts=tuple(sorted(account_shares, key=lambda s: -s.points)),
        discounts=tuple(discounts),
        notes=tuple(notes),
        suggestions=tuple(suggestions),
    )
