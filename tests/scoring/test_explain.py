"""Explanations add up to the score and say what was discounted and what would raise it."""

from __future__ import annotations

import math

import pytest

from sway.engines.duckdb import DuckDBEngine
from sway.scoring.calibration import reference_curve
from sway.scoring.explain import FACTORS, explain_account, explain_person, split_points
from sway.scoring.params import ScoreParams
from sway.scoring.scorer import InfluenceScorer
from sway.store import Store
from sway.store.ingest import ingest_records
from sway.store.people import AccountRef, link
from sway.store.runs import account_result, save_run, top_posts, top_reactors

from .toy import AS_OF, ev, posts, score_sql

CURVE = reference_curve()
P = ScoreParams()


def busy_events() -> list:  # type: ignore[type-arg]
    events = posts("a", 4)
    events += [
        ev(f"u{i}", "like", "a", content_id=f"a-p{i % 4}", days_ago=1 + i % 5) for i in range(12)
    ]
    events += [ev("u0", "reply", "a", content_id=f"r{i}", parent_id="a-p0") for i in range(3)]
    events += [ev("a", "like", "a", content_id="a-p1")]  # self
    events += [
        ev(None, "vote", "a", content_id="a-p2", value=3),
        ev(None, "vote", "a", content_id="a-p2", value=-1),
    ]
    events += [ev("bot", "like", f"z{i}", content_id=f"z{i}") for i in range(300)]
    events += [ev("bot", "like", "a", content_id="a-p3")]
    events += [
        ev("x", "mention", "quiet", network="snap"),
        ev("y", "mention", "quiet", network="snap"),
    ]
    return events


def test_account_contributions_add_up_to_the_score() -> None:
    s = score_sql(busy_events())
    for row in s.scorer.accounts_.to_pylist():
        e = explain_account(row, run_id="r", params=P, curve=CURVE)
        total = e.base + math.fsum(c.points for c in e.contributions)
        assert total == pytest.approx(row["score"], abs=1e-9)
        assert [c.factor for c in e.contributions] == list(FACTORS)
        assert all(c.points >= 0 for c in e.contributions)
        assert math.fsum(c.part for c in e.contributions) == pytest.approx(row["raw"], abs=1e-12)


def test_what_was_discounted_and_why() -> None:
    s = score_sql(busy_events())
    e = explain_account(s["a"], run_id="r", params=P, curve=CURVE)
    text = "\n".join(e.discounts)
    assert "1 self-reactions ignored" in text
    assert "repeat reactions" in text
    assert "1 reactors react so often" in text  # the bot
    assert "3 anonymous reactions" in text
    assert "1 negative reactions" in text
    assert any("reactions per post over 4 posts" in n for n in e.notes)
    quiet = explain_account(s["snap:quiet"], run_id="r", params=P, curve=CURVE)
    assert any("no post ids" in n and "per active day" in n for n in quiet.notes)


def test_what_would_raise_the_score_is_ranked_by_gain() -> None:
    s = score_sql(busy_events())
    e = explain_account(s["a"], run_id="r", params=P, curve=CURVE)
    gains = [float(t.split()[0]) for t in e.suggestions]
    assert len(gains) == 3 and gains == sorted(gains, reverse=True) and gains[-1] > 0
    nothing = explain_account(s["bot"], run_id="r", params=P, curve=CURVE)
    assert nothing.score == 1.0 and len(nothing.suggestions) == 3


def test_person_contributions_add_up_per_factor_per_network_and_per_account() -> None:
    events = [*busy_events(), ev("w", "repost", "alt", content_id="alt-1", network="m")]
    links = [("ada", "t", "a"), ("ada", "snap", "quiet"), ("ada", "m", "alt")]
    s = score_sql(events, links=links)
    accounts = [s["a"], s["snap:quiet"], s["m:alt"]]
    networks = [r for (p, _), r in s.person_networks.items() if p == "ada"]
    e = explain_person(
        {"person_id": "ada", **s.people["ada"]},
        accounts,
        run_id="r",
        params=P,
        curve=CURVE,
        networks=networks,
    )
    score = s.people["ada"]["score"]
    assert e.base + math.fsum(c.points for c in e.contributions) == pytest.approx(score, abs=1e-9)
    assert math.fsum(n.points for n in e.networks) == pytest.approx(score - 1, abs=1e-9)
    assert math.fsum(a.points for a in e.accounts) == pytest.approx(score - 1, abs=1e-9)
    assert {n.name for n in e.networks} == {"t", "snap", "m"}
    # The strongest account carries nearly all of the score (no breadth bias).
    assert e.accounts[0].name == "t:a" and e.accounts[0].points > 0.9 * (score - 1)
    assert e.networks[0].score == pytest.approx(s["a"]["score"])


def test_split_points_handles_nothing_to_split() -> None:
    assert split_points(0.0, {"x": 0.0, "y": 0.0}) == {"x": 0.0, "y": 0.0}
    assert split_points(10.0, {"x": 1.0, "y": 3.0}) == {"x": 2.5, "y": 7.5}


def test_stored_runs_explain_the_same_as_the_fitted_scorer(store: Store) -> None:
    ingest_records(store, busy_events(), source="t", format="events", sha256="0")
    link(store, "ada", [AccountRef("t", "a")])
    engine = DuckDBEngine.for_store(store)
    # As score_sql: the formulas' explanations, without the integrity layer.
    scorer = InfluenceScorer(integrity=0).fit(engine, as_of=AS_OF)
    engine.close()
    save_run(store, scorer, engine="duckdb")
    run_id = scorer.plan_.run_id
    stored = account_result(store, run_id, "t", "a")
    assert stored is not None
    from_store = explain_account(
        stored,
        run_id=run_id,
        params=P,
        curve=CURVE,
        top_reactors=top_reactors(store, run_id, "t", "a"),
        top_posts=top_posts(store, run_id, "t", "a"),
    )
    memory = next(r for r in scorer.accounts_.to_pylist() if r["account_id"] == "a")
    fitted = explain_account(memory, run_id=run_id, params=P, curve=CURVE)
    assert from_store.contributions == fitted.contributions
    assert from_store.discounts == fitted.discounts
    assert next(r["reactor"] for r in from_store.top_reactors) == "u0"  # likes and replies
    assert len(from_store.top_reactors) == P.top_n and len(from_store.top_posts) == 4
    assert from_store.top_posts[0]["post_id"] == "a-p0"
