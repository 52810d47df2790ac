"""Toy graphs with hand-computed expected values: the reference scorer and the SQL pipeline
must both reproduce them (to 1e-9), so the oracle itself is checked by hand."""

from __future__ import annotations

import math
from typing import Any

import pytest

from sway.events import Event
from sway.scoring.calibration import reference_curve
from sway.scoring.params import ScoreParams
from sway.scoring.reference import ReferenceResult, lp_norm, reference_scores

from .toy import AS_OF, Scored, ev, score_sql

P = ScoreParams()
CURVE = reference_curve()
# Every toy reactor below gives one reaction on one day: rate 1 per active day.
SEL1 = (1 + 1 / P.selectivity_rate) ** -P.selectivity_strength


def raw(reach: float, amplification: float, impact: float) -> float:
    return (
        P.mix_reach * math.log1p(reach)
        + P.mix_amplification * math.log1p(amplification)
        + P.mix_network_impact * math.log1p(impact)
    )


def both(events: list[Event], **kwargs: Any) -> tuple[ReferenceResult, Scored]:
    ref = reference_scores(events, as_of=AS_OF, **kwargs)
    sql = score_sql(events, **kwargs)
    return ref, sql


def check(ref: ReferenceResult, sql: Scored, account: str, expected: dict[str, float]) -> None:
    key = ("t", account)
    for name, value in expected.items():
        assert ref.accounts[key][name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
        assert sql.accounts[key][name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_one_like_one_half_life_ago() -> None:
    # a posts p1; b likes it exactly one half-life before as_of: weight 1 x decay 1/2.
    events = [
        ev("a", "post", content_id="p1", days_ago=40),
        ev("b", "like", "a", content_id="p1", days_ago=P.half_life_days),
    ]
    ref, sql = both(events)
    reach = SEL1 * math.log1p(0.5)
    amplification = reach / (1 + P.amplification_prior)  # one post
    # b's standing 1 goes to a alone, times selectivity, and times the part of a full
    # endorsement (one fresh like, log 2) that one half-decayed like is.
    impact = P.damping * SEL1 * math.log1p(0.5) / math.log1p(P.full_endorsement)
    expected_raw = raw(reach, amplification, impact)
    check(
        ref,
        sql,
        "a",
        {
            "reach": reach,
            "amplification": amplification,
            "network_impact": impact,
            "raw": expected_raw,
            "score": CURVE.score(expected_raw),
        },
    )
    check(ref, sql, "b", {"reach": 0.0, "amplification": 0.0, "network_impact": 0.0, "score": 1.0})
    assert sql["a"]["amplification_basis"] == "posts" and sql["b"]["amplification_basis"] == "days"


def test_a_chain_passes_standing_on() -> None:
    # c -> b -> a (replies, no decay: today) and d -> a (a like). Each reactor reacts once.
    events = [
        ev("c", "reply", "b", days_ago=0, content_id="r1", parent_id="pb"),
        ev("b", "reply", "a", days_ago=0, content_id="r2", parent_id="pa"),
        ev("d", "like", "a", days_ago=0, content_id="pa"),
    ]
    ref, sql = both(events)
    y_c = y_d = 1.0
    y_b = 1 + P.damping * SEL1 * y_c
    impact_a = P.damping * SEL1 * (y_b + y_d)
    reach_a = SEL1 * (math.log1p(P.weight_reply) + math.log1p(P.weight_like))
    # a's known posts: pa (reacted to) -> 1 post; r2 is b's post.
    amp_a = reach_a / (1 + P.amplification_prior)
    check(ref, sql, "a", {"reach": reach_a, "network_impact": impact_a, "amplification": amp_a})
    check(ref, sql, "b", {"network_impact": y_b - 1, "reach": SEL1 * math.log1p(P.weight_reply)})


def test_repeats_diminish_within_a_pair() -> None:
    # b likes three of a's posts today: one pair, engagement 3, strength log(1 + 3).
    # b reacted 3 times on 1 day: rate 3.
    events = [ev("b", "like", "a", days_ago=0, content_id=f"p{i}") for i in range(3)]
    ref, sql = both(events)
    sel = (1 + 3 / P.selectivity_rate) ** -P.selectivity_strength
    reach = sel * math.log1p(3.0)
    # Amplification units are (reactor, post): three units of log(1 + 1) over 3 posts.
    amp = 3 * sel * math.log1p(1.0) / (3 + P.amplification_prior)
    check(ref, sql, "a", {"reach": reach, "amplification": amp, "network_impact": P.damping * sel})


def test_anonymous_self_negative_and_unknown_targets() -> None:
    events = [
        ev("a", "post", content_id="p1", days_ago=3),
        ev(None, "vote", "a", content_id="p1", value=4, days_ago=0),  # four anonymous up-votes
        ev(None, "vote", "a", content_id="p1", value=-1, days_ago=0),  # a down-vote: nothing
        ev("a", "like", "a", content_id="p1", days_ago=0),  # self-like: ignored
        ev("c", "like", None, content_id="gone", days_ago=0),  # deleted author: skipped
    ]
    ref, sql = both(events)
    reach = 4 * P.anonymous_weight * math.log1p(P.weight_vote)
    amp = reach / (1 + P.amplification_prior)
    check(ref, sql, "a", {"reach": reach, "amplification": amp, "network_impact": 0.0})
    row = sql["a"]
    assert row["anonymous_reactions"] == 4
    assert row["self_reactions"] == 1 and row["negative_reactions"] == 1
    summary = sql.scorer.summary_
    assert summary["unknown_targets"] == 1 and summary["self_reactions"] == 1
    assert summary["negative_reactions"] == 1


def test_no_post_ids_falls_back_to_reactions_per_active_day() -> None:
    # SNAP-style messages: no content ids at all. a receives from b on two days.
    events = [
        ev("b", "mention", "a", days_ago=0.5),
        ev("b", "mention", "a", days_ago=1.5),
        ev("a", "mention", "c", days_ago=1.5),
    ]
    ref, sql = both(events)
    sel_b = (1 + 1 / P.selectivity_rate) ** -P.selectivity_strength  # 2 reactions / 2 days
    w0 = P.weight_mention * 0.5 ** (0.5 / P.half_life_days)
    w1 = P.weight_mention * 0.5 ** (1.5 / P.half_life_days)
    reach = sel_b * math.log1p(w0 + w1)
    # Units are (reactor, day); a was present on 2 days (acting or acted upon).
    amp = sel_b * (math.log1p(w0) + math.log1p(w1)) / (2 + P.amplification_prior)
    check(ref, sql, "a", {"reach": reach, "amplification": amp})
    assert sql["a"]["amplification_basis"] == "days"


def test_person_combines_accounts_with_an_lp_norm() -> None:
    events = [
        ev("b", "like", "a", days_ago=0, content_id="p1"),
        ev("c", "reply", "a", days_ago=0, content_id="r", parent_id="p1"),
        ev("d", "like", "x", days_ago=0, content_id="q1"),
    ]
    links = [("ann", "t", "a"), ("ann", "t", "x")]
    ref, sql = both(events, links=links)
    raws = [ref.accounts[("t", "a")]["raw"], ref.accounts[("t", "x")]["raw"]]
    expected = sum(r**P.person_norm for r in raws) ** (1 / P.person_norm)
    assert lp_norm(raws, P.person_norm) == pytest.approx(expected, rel=1e-12)
    assert ref.people["ann"]["raw"] == pytest.approx(expected, rel=1e-12)
    assert sql.people["ann"]["raw"] == pytest.approx(expected, rel=1e-9)
    assert sql.people["ann"]["score"] == pytest.approx(CURVE.score(expected), rel=1e-9)
    assert sql.person_networks[("ann", "t")]["accounts"] == 2
    # Unlinked accounts are their own person, with exactly their own score.
    assert sql.people["t:b"]["score"] == sql["b"]["score"]
