"""Expertise from credible on-topic engagement, the minimum of evidence, the hierarchy, the
evidence kept, topic influence on each topic's own graph, and people."""

from __future__ import annotations

import math

import pyarrow.compute as pc
import pytest

from sway.engines.duckdb import DuckDBEngine
from sway.errors import ConfigError
from sway.events import events_to_arrow
from sway.scoring.scorer import InfluenceScorer
from sway.topics.model import TopicContext, TopicModel

from .helpers import AS_OF, SCORE, ev, fit, likes, one, post, rows, tiny_ontology


def test_engagement_received_makes_expertise_not_posting() -> None:
    events = [post("poster", f"x{i}", "machine-learning") for i in range(10)]
    events += [post("liked", "a1", "machine-learning"), post("liked", "a2", "machine-learning")]
    events += likes("a1", "liked", "r1", "r2") + likes("a2", "liked", "r3")
    model = fit(events)
    assert rows(model, account_id="poster") == []
    ml = one(model, "liked", "ml")
    assert ml["shown"] and ml["direct"]
    assert (ml["evidence_count"], ml["reactors"], ml["posts"], ml["authored"]) == (3, 3, 2, 2)
    # Three reactors, one like each, weight 1, no decay: 3 x ln(1 + 1).
    assert ml["expertise"] == pytest.approx(3 * math.log(2))


def test_repeat_reactions_from_one_reactor_diminish() -> None:
    events = [post("a", "p1", "linguistics"), post("a", "p2", "linguistics")]
    events += likes("p1", "a", "fan") + likes("p2", "a", "fan") + likes("p1", "a", "r2", "r3")
    row = one(fit(events), "a", "ling")
    assert row["evidence_count"] == 4 and row["reactors"] == 3
    assert row["expertise"] == pytest.approx(math.log(3) + 2 * math.log(2))


def test_credible_reactors_weigh_more() -> None:
    events = [post("a", "p1", "linguistics"), post("a", "p2", "linguistics")]
    events += likes("p1", "a", "r1", "r2") + likes("p2", "a", "r3")
    base = one(fit(events), "a", "ling")["expertise"]
    weak = fit(events, reactors={("t", "r1"): 0.1, ("t", "r2"): 0.1, ("t", "r3"): 0.1})
    assert one(weak, "a", "ling")["expertise"] == pytest.approx(0.1 * base)


def test_negative_self_and_follow_reactions_add_nothing() -> None:
    events = [post("a", "p1", "linguistics"), post("a", "p2", "linguistics")]
    events += likes("p1", "a", "r1", "r2") + likes("p2", "a", "r3")
    events += [
        ev("a", "like", "a", content_id="p1"),
        ev(None, "vote", "a", content_id="p2", value=-1.0),
        ev("r4", "follow", "a"),
    ]
    assert one(fit(events), "a", "ling")["evidence_count"] == 3


@pytest.mark.parametrize(
    ("reactors_p1", "reactors_p2", "shown"),
    [(("r1", "r2"), ("r3",), True), (("r1", "r2", "r3"), (), False), (("r1",), ("r2",), False)],
)
def test_a_minimum_of_evidence_before_a_topic_is_shown(
    reactors_p1: tuple[str, ...], reactors_p2: tuple[str, ...], shown: bool
) -> None:
    events = [post("a", "p1", "linguistics"), post("a", "p2", "linguistics")]
    events += likes("p1", "a", *reactors_p1) + likes("p2", "a", *reactors_p2)
    model = fit(events, min_reactions=3, min_posts=2)
    assert one(model, "a", "ling")["shown"] is shown
    shown_ids = model.account_topics_.filter(model.account_topics_["shown"])["topic_id"]
    assert ("ling" in shown_ids.to_pylist()) is shown


def test_parent_topics_aggregate_children_counting_each_reaction_once() -> None:
    events = [
        post("a", "p1", "deep-learning", "linguistics"),
        post("a", "p2", "machine-learning"),
    ]
    events += likes("p1", "a", "r1", "r2") + likes("p2", "a", "r3")
    model = fit(events, min_posts=1)
    dl, ml, ling, sci = (one(model, "a", t) for t in ("dl", "ml", "ling", "sci"))
    assert dl["direct"] and ml["direct"] and ling["direct"] and not sci["direct"]
    assert (dl["evidence_count"], ml["evidence_count"], ling["evidence_count"]) == (2, 3, 2)
    # Science holds both children, but the two likes on p1 count once.
    assert sci["evidence_count"] == 3 and sci["posts"] == 2
    assert sci["expertise"] == pytest.approx(ml["expertise"])
    assert sci["expertise"] >= max(dl["expertise"], ling["expertise"])


def test_evidence_posts_and_reactors_are_kept() -> None:
    events = [post("a", "p1", "linguistics"), post("a", "p2", "linguistics")]
    events += likes("p1", "a", "r1", "r2") + likes("p2", "a", "r3")
    events += [ev("r1", "reply", "a", parent_id="p1", content_id="c1", text="great")]
    model = fit(events, top_evidence=5)
    posts = [
        r
        for r in model.evidence_posts_.to_pylist()
        if r["account_id"] == "a" and r["topic_id"] == "ling"
    ]
    assert [(p["post_id"], p["reactions"], p["reactors"]) for p in posts] == [
        ("p1", 3, 2),
        ("p2", 1, 1),
    ]
    reactors = [
        r["reactor"]
        for r in model.evidence_reactors_.to_pylist()
        if r["account_id"] == "a" and r["topic_id"] == "ling"
    ]
    assert reactors[0] == "r1" and set(reactors) == {"r1", "r2", "r3"}


def test_topic_influence_is_the_score_on_the_topic_graph_alone() -> None:
    events = [
        post("a", "m1", "machine-learning"),
        post("a", "m2", "machine-learning"),
        post("b", "l1", "linguistics"),
        post("b", "l2", "linguistics"),
        post("a", "l3", "linguistics"),
    ]
    events += likes("m1", "a", "b", "c", "d") + likes("m2", "a", "c")
    events += likes("l1", "b", "a", "c") + likes("l2", "b", "d") + likes("l3", "a", "d")
    events += [ev("c", "reply", "b", parent_id="l1", content_id="r1", text="nice")]
    model = fit(events, min_posts=1, min_reactions=1)
    # The oracle: the scorer run on the linguistics events only.
    ling = [e for e in events if (e.content_id in {"l1", "l2", "l3"} or e.parent_id == "l1")]
    engine = DuckDBEngine.from_events(events_to_arrow(ling))
    try:
        oracle = InfluenceScorer(**SCORE).fit(engine, as_of=AS_OF).accounts_.to_pylist()
    finally:
        engine.close()
    expected = {r["account_id"]: r["raw"] for r in oracle if r["raw"] > 0}
    got = {r["account_id"]: r["raw"] for r in rows(model, topic_id="ling")}
    assert got.keys() == expected.keys() == {"a", "b"}
    for account, raw in expected.items():
        assert got[account] == pytest.approx(raw, rel=1e-9)
    assert all(1 <= r["score"] <= 100 for r in model.account_topics_.to_pylist())
    # b reacted on machine learning but received nothing there: no machine-learning topic.
    assert one(model, "a", "ml")["score"] > 1 and rows(model, account_id="b", topic_id="ml") == []


def test_people_combine_their_accounts() -> None:
    events = [post("a1", "p1", "linguistics"), post("a2", "p2", "linguistics")]
    events += likes("p1", "a1", "r1", "r2") + likes("p2", "a2", "r3", "r4")
    model = fit(events, links=[("ada", "t", "a1"), ("ada", "t", "a2")], min_posts=1)
    person = [r for r in model.person_topics_.to_pylist() if r["topic_id"] == "ling"]
    assert len(person) == 1 and person[0]["person_id"] == "ada" and person[0]["accounts"] == 2
    a1, a2 = one(model, "a1", "ling"), one(model, "a2", "ling")
    assert person[0]["evidence_count"] == 4
    p = SCORE.get("person_norm", 4.0)
    assert person[0]["expertise"] == pytest.approx(
        (a1["expertise"] ** p + a2["expertise"] ** p) ** (1 / p)
    )
    # No breadth bias: two accounts add less than their sum.
    assert person[0]["expertise"] < a1["expertise"] + a2["expertise"]


def test_catalog_names_topics_and_their_ancestors() -> None:
    events = [post("a", "p1", "deep-learning"), post("a", "p2", "deep-learning")]
    events += likes("p1", "a", "r1", "r2") + likes("p2", "a", "r3")
    model = fit(events)
    catalog = {r["topic_id"]: r for r in model.catalog_.to_pylist()}
    assert set(catalog) == {"dl", "ml", "sci"}
    assert catalog["dl"]["parents"] == ["ml"] and catalog["dl"]["kind"] == "ontology"
    assert model.summary_["shown"] == pc.sum(model.account_topics_["shown"]).as_py()


def test_unknown_parameters_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown topic parameter"):
        TopicModel(min_post=2)
    with pytest.raises(ConfigError, match="period"):
        fit([post("a", "p1", "linguistics")], period="year")


def test_the_topic_step_has_its_own_time_scale() -> None:
    # Engagement from two years ago, outside a 90-day score window with a two-week decay.
    events = [post("a", "p1", "linguistics", days_ago=700), post("a", "p2", "linguistics")]
    events += likes("p1", "a", "r1", "r2", days_ago=700) + likes("p2", "a", "r3")
    score = {"window_days": 90.0, "half_life_days": 14.0}
    table = events_to_arrow(events)
    engine = DuckDBEngine.from_events(table)
    try:
        model = TopicModel().fit(
            engine,
            table,
            ontology=tiny_ontology(),
            context=TopicContext(as_of=AS_OF, score_params=score),
            topic_engine=DuckDBEngine.from_events,
        )
    finally:
        engine.close()
    row = one(model, "a", "ling")
    # By default: all history, half-life one year (the old likes count about a quarter each).
    assert row["evidence_count"] == 3 and row["shown"]
    recent = math.log(1 + 0.5 ** (2 / 365))
    old = 2 * math.log(1 + 0.5 ** (700 / 365))
    assert row["expertise"] == pytest.approx(recent + old, rel=1e-6)
    windowed = fit(events, score=score, window_days=90.0, half_life_days=14.0)
    assert one(windowed, "a", "ling")["evidence_count"] == 1
