"""Each scoring principle of DESIGN.md as its own test, on tiny hand-built event lists,
scored by the SQL pipeline (and, where cheap, by the reference scorer too)."""

from __future__ import annotations

import pytest

from sway.scoring.reference import reference_scores

from .toy import AS_OF, ev, posts, score_sql


def test_unique_reactors_beat_repeats() -> None:
    # Both accounts have 10 posts and receive 10 likes at the same pace (1 reaction a day per
    # reactor, so selectivity is the same); `many` from 10 people, `one` from a single fan.
    events = posts("many", 10) + posts("one", 10)
    events += [
        ev(f"fan{i}", "like", "many", content_id=f"many-p{i}", days_ago=1 + i) for i in range(10)
    ]
    events += [
        ev("superfan", "like", "one", content_id=f"one-p{i}", days_ago=1 + i) for i in range(10)
    ]
    s = score_sql(events)
    assert s["many"]["reach"] > 2 * s["one"]["reach"]
    assert s.score("many") > s.score("one")
    assert s["one"]["repeat_reactions"] == 9 and s["many"]["repeat_reactions"] == 0


def test_ratio_beats_volume() -> None:
    # The same 20 reactors react to `focused` (10 posts) and to `prolific` (200 posts).
    events = posts("focused", 10) + posts("prolific", 200) + posts("spammer", 500)
    for i in range(20):
        events.append(ev(f"r{i}", "like", "focused", content_id=f"focused-p{i % 10}"))
        events.append(ev(f"r{i}", "like", "prolific", content_id=f"prolific-p{i % 10}"))
    s = score_sql(events)
    assert s["focused"]["reach"] == pytest.approx(s["prolific"]["reach"], rel=1e-12)
    assert s["focused"]["amplification"] > 10 * s["prolific"]["amplification"]
    assert s.score("focused") > s.score("prolific")
    # Posting volume alone is no influence at all.
    assert s.score("spammer") == 1.0


def test_selective_reactors_count_more() -> None:
    # `picky` likes only `a`; `liker` likes `b` and 199 other accounts on the same day.
    events = [ev("picky", "like", "a", content_id="a1"), ev("liker", "like", "b", content_id="b1")]
    events += [ev("liker", "like", f"x{i}", content_id=f"x{i}") for i in range(199)]
    s = score_sql(events)
    assert s["picky"]["selectivity"] > 0.9 > 0.3 > s["liker"]["selectivity"]
    assert s["a"]["reach"] > 2 * s["b"]["reach"]
    assert s.score("a") > s.score("b")
    assert s["b"]["unselective_reactors"] == 1 and s["a"]["unselective_reactors"] == 0


def test_effortful_reactions_weigh_more() -> None:
    # Three accounts, each with one post and one reaction from a distinct, equally selective
    # reactor: a reply, a repost, a like.
    events = [
        ev("u1", "reply", "replied", content_id="c1", parent_id="p1"),
        ev("u2", "repost", "reposted", content_id="p2"),
        ev("u3", "like", "liked", content_id="p3"),
    ]
    s = score_sql(events)
    assert s.score("replied") > s.score("reposted") > s.score("liked") > 1.0
    for sub in ("reach", "amplification"):
        assert s["replied"][sub] > s["reposted"][sub] > s["liked"][sub]


def test_reactions_from_high_impact_accounts_count_more() -> None:
    # `star` is liked by 20 people and `nobody` by none; star likes `a`, nobody likes `b`.
    events = [ev(f"f{i}", "like", "star", content_id=f"s{i}") for i in range(20)]
    events += [ev("star", "like", "a", content_id="a1"), ev("nobody", "like", "b", content_id="b1")]
    s = score_sql(events)
    assert s["a"]["reach"] == pytest.approx(s["b"]["reach"], rel=1e-12)
    assert s["a"]["network_impact"] > 5 * s["b"]["network_impact"]
    assert s.score("a") > s.score("b")


def _strong_and_quiet() -> list:  # type: ignore[type-arg]
    events = posts("main", 20)
    events += [
        ev(f"fan{i}", "reply", "main", content_id=f"c{i}", parent_id=f"main-p{i % 20}")
        for i in range(60)
    ]
    events += [ev("follower", "like", "side", content_id="side-p0", network="m")]
    return events


def test_no_breadth_bias_a_quiet_linked_account_moves_a_person_less_than_a_point() -> None:
    events = _strong_and_quiet()
    alone = score_sql(events, links=[("ada", "t", "main")])
    linked = score_sql(events, links=[("ada", "t", "main"), ("ada", "m", "side")])
    before, after = alone.people["ada"]["score"], linked.people["ada"]["score"]
    assert linked["m:side"]["score"] > 1.0  # the quiet account does have some influence
    assert before <= after < before + 1.0
    assert linked.people["ada"]["networks"] == 2
    # The person is never below their strongest account, and per network each is its own.
    assert after >= linked["main"]["score"]
    assert linked.person_networks[("ada", "m")]["score"] == pytest.approx(linked["m:side"]["score"])


def test_many_quiet_accounts_do_not_add_up_to_a_strong_one() -> None:
    events = _strong_and_quiet()
    events += [
        ev(f"f{i}", "like", f"alt{i}", content_id=f"alt{i}-p", network="m") for i in range(10)
    ]
    links = [("ada", "t", "main")] + [("ada", "m", f"alt{i}") for i in range(10)]
    s = score_sql(events, links=links)
    assert s.people["ada"]["score"] < s["main"]["score"] + 1.0


def test_adding_unrelated_accounts_does_not_move_existing_scores() -> None:
    base = [ev(f"u{i}", "like", "a", content_id="a1", days_ago=i + 1) for i in range(5)]
    base += [
        ev("a", "reply", "b", content_id="r1", parent_id="b1"),
        ev("b", "like", "a", content_id="a1"),
    ]
    before = score_sql(base)
    # A whole unrelated community on the same network and another network, much larger.
    crowd = [
        ev(f"c{i}", "like", f"c{(i * 7 + 3) % 50}", content_id=f"cp{i % 13}", days_ago=1 + i % 30)
        for i in range(400)
    ]
    crowd += [ev(f"m{i}", "repost", "celebrity", content_id="hit", network="m") for i in range(100)]
    after = score_sql(base + crowd)
    for key, row in before.accounts.items():
        for column in ("reach", "amplification", "network_impact", "raw", "score"):
            assert after.accounts[key][column] == pytest.approx(row[column], rel=1e-9, abs=1e-12)
    assert after.scorer.summary_["accounts"] > 10 * before.scorer.summary_["accounts"]


def test_self_reactions_are_ignored() -> None:
    base = [ev("a", "post", content_id="p1"), ev("b", "like", "a", content_id="p1")]
    selfish = [
        *base,
        ev("a", "like", "a", content_id="p1"),
        ev("a", "repost", "a", content_id="p1"),
    ]
    s0, s1 = score_sql(base), score_sql(selfish)
    assert s1.score("a") == pytest.approx(s0.score("a"), rel=1e-12)
    assert s1["a"]["self_reactions"] == 2


def test_negative_reactions_add_no_influence() -> None:
    base = [ev("a", "post", content_id="p1"), ev("b", "endorse", "a", value=5)]
    worse = base + [ev(None, "vote", "a", content_id="p1", value=-1) for _ in range(3)]
    s0, s1 = score_sql(base), score_sql(worse)
    assert s1.score("a") == pytest.approx(s0.score("a"), rel=1e-12)
    assert s1["a"]["negative_reactions"] == 3


def test_anonymous_votes_count_for_reach_and_amplification_but_not_the_graph() -> None:
    events = [ev("a", "post", content_id="p1")]
    events += [ev(None, "vote", "a", content_id="p1", value=1) for _ in range(10)]
    s = score_sql(events)
    assert s["a"]["reach"] > 0 and s["a"]["amplification"] > 0
    assert s["a"]["network_impact"] == 0.0
    assert s["a"]["anonymous_reactions"] == 10
    assert s.scorer.summary_["anonymous_reactions"] == 10


def test_mentions_without_replies_and_targets_without_account_rows() -> None:
    # No accounts table at all: every target is still scored; mentions carry no post id, so
    # for an account that has posts they add reach and impact but not amplification.
    events = [ev("a", "post", content_id="p1")] + [ev(f"u{i}", "mention", "a") for i in range(5)]
    s = score_sql(events)
    assert s["a"]["reach"] > 0 and s["a"]["network_impact"] > 0
    assert s["a"]["amplification"] == 0.0
    assert s["a"]["amplification_basis"] == "posts"


def test_reactions_outside_the_window_do_not_count_and_older_ones_weigh_less() -> None:
    events = [
        ev("u1", "like", "recent", content_id="p1", days_ago=1),
        ev("u2", "like", "old", content_id="p2", days_ago=80),
        ev("u3", "like", "gone", content_id="p3", days_ago=91),
    ]
    s = score_sql(events)
    assert s.score("recent") > s.score("old") > 1.0
    # Decay reaches the graph step too: an old reaction passes on little standing.
    assert s["recent"]["network_impact"] > 3 * s["old"]["network_impact"] > 0
    assert ("t", "gone") not in s.accounts
    ref = reference_scores(events, as_of=AS_OF)
    assert ("t", "gone") not in ref.accounts
