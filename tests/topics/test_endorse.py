"""Endorsements (+K): every limit, the weights, the collusion discount and the cap."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from sway.topics.collusion import find_collusion
from sway.topics.endorse import Endorsement, check_limits, check_new, endorsement_boosts
from sway.topics.params import TopicParams

from .helpers import AS_OF, fit, likes, one, post, rows

T0 = datetime(2024, 5, 1, 9, tzinfo=UTC)
_n = iter(range(10**6))


def e(giver: str, target: str, topic: str = "ling", at: datetime = T0) -> Endorsement:
    return Endorsement(f"x{next(_n):06d}", "t", giver, target, topic, at)


def reasons(endorsements: list[Endorsement]) -> list[str]:
    return [d.reason for d in check_limits(endorsements)]


def test_at_most_five_per_giver_per_day() -> None:
    day = [e("g", f"t{i}", at=T0 + timedelta(minutes=i)) for i in range(7)]
    assert reasons(day) == ["accepted"] * 5 + ["daily limit (5 per giver per day)"] * 2
    # The next UTC day starts afresh; another giver has their own five.
    assert reasons([*day, e("g", "t9", at=T0 + timedelta(days=1))])[-1] == "accepted"
    assert reasons([*day, e("h", "t9")])[-1] == "accepted"


def test_refused_endorsements_do_not_use_up_the_daily_limit() -> None:
    same = [e("g", "t0", at=T0 + timedelta(minutes=i)) for i in range(6)]
    others = [e("g", f"u{i}", at=T0 + timedelta(hours=1, minutes=i)) for i in range(4)]
    assert reasons(same + others) == ["accepted"] + ["repeat within 7 days"] * 5 + ["accepted"] * 4


def test_once_per_giver_target_and_topic_per_seven_days() -> None:
    first = e("g", "t")
    assert reasons([first, e("g", "t", at=T0 + timedelta(days=6, hours=23))])[1] == (
        "repeat within 7 days"
    )
    assert reasons([first, e("g", "t", at=T0 + timedelta(days=7))])[1] == "accepted"
    # Another topic, or another target, is a different endorsement.
    assert reasons([first, e("g", "t", topic="ml", at=T0 + timedelta(hours=1))])[1] == "accepted"
    assert reasons([first, e("g", "u", at=T0 + timedelta(hours=1))])[1] == "accepted"


def test_no_self_endorsement_and_check_new() -> None:
    assert reasons([e("g", "g")]) == ["self-endorsement"]
    existing = [e("g", f"t{i}", at=T0 + timedelta(minutes=i)) for i in range(5)]
    assert not check_new(existing, e("g", "t9", at=T0 + timedelta(hours=2))).accepted
    assert check_new(existing, e("g", "t9", at=T0 + timedelta(days=1))).accepted


def _weigh(
    endorsements: list[Endorsement],
    credibility: dict[str, float],
    expertise: dict[tuple[str, str, str], float] | None = None,
    **params: float,
) -> tuple[list[float], dict[tuple[str, str, str], float]]:
    decisions, boosts, _ = endorsement_boosts(
        check_limits(endorsements),
        credibility=lambda network, account: credibility.get(account, 0.0),
        expertise=expertise or {},
        params=TopicParams(**params),  # type: ignore[arg-type]
    )
    return [d.weight for d in decisions], {k: b.boost for k, b in boosts.items()}


def test_weight_follows_giver_credibility_and_expertise() -> None:
    (w,), _ = _weigh([e("g", "t")], {"g": 0.8})
    assert w == pytest.approx(0.8 * 0.5)  # a layperson counts half of their credibility
    (w,), _ = _weigh([e("g", "t")], {"g": 0.8}, {("t", "g", "ling"): 2.0})
    assert w == pytest.approx(0.8 * (0.5 + 0.5 * (1 - math.exp(-1.0))))
    (w,), _ = _weigh([e("g", "t")], {"g": 0.8}, {("t", "g", "ling"): 1e6})
    assert w == pytest.approx(0.8)
    (w,), _ = _weigh([e("stranger", "t")], {})
    assert w == 0.0  # an account the score run does not know weighs nothing


def test_collusion_discount_for_a_reciprocal_pair() -> None:
    weights, _ = _weigh([e("a", "b"), e("b", "a"), e("c", "b")], {"a": 1.0, "b": 1.0, "c": 1.0})
    assert weights == pytest.approx([0.05, 0.05, 0.5])


def test_collusion_discount_inside_a_dense_group() -> None:
    ring = [("a", "b"), ("b", "c"), ("c", "a"), ("a", "c")]
    endorsements = [e(g, t, at=T0 + timedelta(minutes=i)) for i, (g, t) in enumerate(ring)]
    endorsements.append(e("z", "a", at=T0 + timedelta(hours=1)))
    decisions, _, report = endorsement_boosts(
        check_limits(endorsements),
        credibility=lambda network, account: 1.0,
        expertise={},
        params=TopicParams(),
    )
    assert report.groups == (frozenset({("t", "a"), ("t", "b"), ("t", "c")}),)
    assert [d.colluding for d in decisions] == [True, True, True, True, False]
    assert decisions[-1].weight == pytest.approx(0.5)
    assert decisions[0].weight == pytest.approx(0.05)


def test_collusion_detector() -> None:
    assert find_collusion([("a", "b"), ("b", "c"), ("c", "d")]).groups == ()
    assert find_collusion([("a", "b"), ("b", "a")]).pairs == {frozenset({"a", "b"})}
    # A reciprocal pair with one outside endorser is a pair, not a group (3 of 6 edges).
    assert find_collusion([("a", "b"), ("b", "a"), ("c", "b")]).groups == ()
    # A star (one hub endorsed by many) is not a group.
    assert find_collusion([(f"s{i}", "hub") for i in range(10)]).groups == ()
    # Two rings joined by one edge are two groups.
    ring1 = [("a", "b"), ("b", "c"), ("c", "a")]
    ring2 = [("x", "y"), ("y", "z"), ("z", "x")]
    groups = find_collusion([*ring1, *ring2, ("c", "x")], density=0.5).groups
    assert set(groups) == {frozenset("abc"), frozenset("xyz")}
    report = find_collusion([*ring1, ("d", "a")], density=0.5)
    assert report.colluding("a", "b") and not report.colluding("d", "a")


def test_total_effect_is_capped() -> None:
    many = [e(f"g{i}", "t") for i in range(100)]
    _, boosts = _weigh(many, {f"g{i}": 1.0 for i in range(100)})
    assert boosts[("t", "t", "ling")] == pytest.approx(0.10)
    _, boosts = _weigh(many[:3], {f"g{i}": 1.0 for i in range(3)})
    assert boosts[("t", "t", "ling")] == pytest.approx(3 * 0.02 * 0.5)


def _content(target: str = "a") -> list:  # type: ignore[type-arg]
    events = [post(target, "p1", "linguistics"), post(target, "p2", "linguistics")]
    return events + likes("p1", target, "r1", "r2") + likes("p2", target, "r3")


def test_endorsements_raise_the_topic_score_within_the_cap() -> None:
    base = fit(_content())
    givers = {("t", f"g{i}"): 1.0 for i in range(40)}
    at = AS_OF - timedelta(days=3)
    endorsed = fit(
        _content(),
        reactors=givers | {("t", r): 1.0 for r in ("r1", "r2", "r3")},
        endorsements=[e(f"g{i}", "a", at=at) for i in range(40)],
    )
    before, after = one(base, "a", "ling"), one(endorsed, "a", "ling")
    assert after["endorsements"] == 40 and after["endorsement_boost"] == pytest.approx(0.10)
    assert after["expertise"] == pytest.approx(1.10 * before["expertise"])
    assert after["raw"] == pytest.approx(1.10 * before["raw"])
    assert before["score"] < after["score"]
    assert sum(d.accepted for d in endorsed.endorsements_) == 40


def test_endorsements_never_create_a_topic_without_content_evidence() -> None:
    at = AS_OF - timedelta(days=3)
    model = fit(
        _content(),
        reactors={("t", f"g{i}"): 1.0 for i in range(10)},
        endorsements=[e(f"g{i}", "b", at=at) for i in range(10)]
        + [e(f"g{i}", "a", topic="ml", at=at) for i in range(10)],
    )
    assert rows(model, account_id="b") == []
    assert rows(model, account_id="a", topic_id="ml") == []
    assert one(model, "a", "ling")["endorsements"] == 0
