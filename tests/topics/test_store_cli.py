"""Topics through the store and the CLI: compute, leaderboards, profiles, corrections kept
across runs and respected by every output, endorsements with their limits, exports,
sentiment, volume, and the evaluation command on a real Stack Exchange dump."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sway.errors import ConfigError
from sway.events import Event, events_to_arrow
from sway.sources.canonical import write_events
from sway.store import Store
from sway.store.topics import (
    add_endorsement,
    compute_topics,
    export_batches,
    get_topic_run,
    hide_topic,
    influential_about,
    profile_topics,
    propose_topic,
    topic_leaderboard,
    topic_sentiment,
    topic_volume,
)

from .helpers import AS_OF, ev, likes, post, run, scored_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def world() -> list[Event]:
    """Ada is influential about linguistics, Bob about machine learning; Cy only posts."""
    events = [post("ada", f"a{i}", "linguistics", days_ago=10 + i) for i in range(3)]
    events += [post("bob", f"b{i}", "machine-learning", days_ago=10 + i) for i in range(3)]
    events += [post("cy", f"c{i}", "linguistics", days_ago=10 + i) for i in range(5)]
    events += likes("a0", "ada", "r1", "r2", "r3") + likes("a1", "ada", "r4", "bob")
    events += likes("b0", "bob", "r1", "r2") + likes("b1", "bob", "r5") + likes("b2", "bob", "ada")
    events += [
        ev(
            "r9",
            "reply",
            "ada",
            parent_id="a2",
            content_id="x1",
            text="Great point, thanks!",
            lang="en",
            days_ago=3,
        ),
        ev(
            "r8",
            "reply",
            "ada",
            parent_id="a2",
            content_id="x2",
            text="Wonderful answer",
            lang="en",
            days_ago=3,
        ),
    ]
    return events


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    yield scored_store(tmp_path, world())


def test_compute_is_published_once_and_reads_back(db: Path) -> None:
    out = run(db, "topics", "compute").output
    assert "(computed)" in out
    assert "(already published)" in run(db, "topics", "compute").output
    with Store.open(db) as store:
        run_info = get_topic_run(store)
        assert run_info.summary["ontology"] == "klout-2018"
        name, rows = topic_leaderboard(store, "Linguistics")
        assert name == "Linguistics" and [r["subject"] for r in rows] == ["t:ada"]
        profile = profile_topics(store, "t:ada")
        assert [t["topic"] for t in profile.topics] == ["Linguistics"]
        # Two replies (effortful) on a2 weigh more than three likes on a0.
        assert [p["post_id"] for p in profile.topics[0]["evidence"]["posts"]] == ["a2", "a0", "a1"]
        assert {b["topic"] for b in profile.broader} >= {"Science"}
        # Cy wrote five posts on linguistics and got no reaction: no topic.
        assert profile_topics(store, "t:cy").topics == []
        assert [t["topic"] for t in influential_about(store, "t:ada")] == ["Linguistics"]
    text = run(db, "topics", "top", "--topic", "linguistics").output
    assert "t:ada" in text and "t:cy" not in text
    shown = json.loads(run(db, "topics", "show", "t:bob", "--json").output)
    assert [t["topic"] for t in shown["topics"]] == ["Machine Learning"]
    assert shown["topics"][0]["evidence"]["reactors"]
    assert "Machine Learning" in run(db, "topics", "list").output
    assert "klout-2018" in run(db, "topics", "runs").output


def test_export_columns(db: Path, tmp_path: Path) -> None:
    run(db, "topics", "compute")
    out = tmp_path / "topics.csv"
    run(db, "export", "topics", "--format", "csv", "--output", str(out))
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:6] == ["network", "account", "person", "topic", "score", "evidence_count"]
    assert {(r["account"], r["topic"]) for r in rows if r["direct"] == "True"} == {
        ("ada", "Linguistics"),
        ("bob", "Machine Learning"),
    }
    # Parent topics aggregate their children: exported too, marked not direct.
    assert ("ada", "Science") in {(r["account"], r["topic"]) for r in rows}
    jsonl = tmp_path / "topics.jsonl"
    run(db, "export", "topics", "--output", str(jsonl))
    assert len(jsonl.read_text(encoding="utf-8").splitlines()) == len(rows)


def test_corrections_are_respected_everywhere_and_kept_across_runs(
    db: Path, tmp_path: Path
) -> None:
    run(db, "topics", "compute")
    run(db, "topics", "hide", "t:ada", "--topic", "Linguistics", "--note", "not me")
    with Store.open(db) as store:
        assert topic_leaderboard(store, "Linguistics")[1] == []
        profile = profile_topics(store, "t:ada")
        assert profile.topics == [] and profile.hidden == ["Linguistics"]
        exported = {(b["account"], b["topic"]) for b in export_batches_rows(store)}
        assert ("ada", "Linguistics") not in exported and ("bob", "Machine Learning") in exported
        assert topic_sentiment(store, "t:ada", topic="Linguistics")[1] == []
        assert topic_volume(store, "Linguistics", account="t:ada")[1] == []
    # A new score run and topic run later: the correction still holds.
    more = tmp_path / "more.csv"
    write_events(events_to_arrow(likes("a2", "ada", "r6", "r7")).to_batches(), more)
    run(db, "ingest", str(more), "-q")
    run(db, "score", "--as-of", (AS_OF + timedelta(hours=1)).isoformat(), "-q")
    assert "(computed)" in run(db, "topics", "compute").output
    with Store.open(db) as store:
        assert topic_leaderboard(store, "Linguistics")[1] == []
    assert "Linguistics" in run(db, "topics", "corrections", "t:ada").output
    run(db, "topics", "hide", "t:ada", "--topic", "Linguistics", "--undo")
    with Store.open(db) as store:
        assert [r["subject"] for r in topic_leaderboard(store, "Linguistics")[1]] == ["t:ada"]


def export_batches_rows(store: Store) -> list[dict[str, object]]:
    return [
        r for b in export_batches(store, get_topic_run(store).topic_run_id) for r in b.to_pylist()
    ]


def test_a_proposed_topic_shows_with_any_evidence(db: Path) -> None:
    with Store.open(db) as store:
        compute_topics(store)
        # Bob has one like on linguistics-free posts... give him a proposal with evidence:
        # Ada liked b2 (machine learning); propose Deep Learning (no evidence) and Science.
        propose_topic(store, "t:bob", "Deep Learning")
        propose_topic(store, "t:bob", "Computer Science")
        profile = profile_topics(store, "t:bob")
        assert profile.proposed_without_evidence == ["Deep Learning"]
        assert "Computer Science" in [b["topic"] for b in profile.broader]
        hide_topic(store, "t:bob", "Machine Learning")
        assert [t["topic"] for t in profile_topics(store, "t:bob").topics] == []


def test_person_topics_and_linked_corrections(db: Path) -> None:
    run(db, "people", "link", "ada-person", "t:ada")
    run(db, "score", "--as-of", (AS_OF + timedelta(minutes=1)).isoformat(), "-q")
    run(db, "topics", "compute")
    person = json.loads(run(db, "topics", "show", "--person", "ada-person", "--json").output)
    assert [t["topic"] for t in person["topics"]] == ["Linguistics"]
    out = run(db, "topics", "top", "--topic", "Linguistics", "--people").output
    assert "ada-person" in out
    # Hiding for the person hides it on the linked account too.
    run(db, "topics", "hide", "ada-person", "--topic", "Linguistics")
    assert "t:ada" not in run(db, "topics", "top", "--topic", "Linguistics").output


def test_endorse_command_and_its_limits(db: Path) -> None:
    run(db, "topics", "compute")
    at = (AS_OF - timedelta(days=2)).isoformat()
    for giver in ("r1", "r2", "r3"):
        run(db, "endorse", f"t:{giver}", "t:ada", "--topic", "Linguistics", "--at", at)
    refused = run(db, "endorse", "t:r1", "t:ada", "--topic", "Linguistics", "--at", at, code=2)
    assert "repeat within 7 days" in refused.output
    assert (
        "different networks"
        in run(db, "endorse", "t:r1", "x:ada", "-t", "Linguistics", code=2).output
    )
    assert (
        "no topic" in run(db, "endorse", "t:r1", "t:ada", "-t", "Nonsense Topic Xyz", code=2).output
    )
    with Store.open(db) as store:
        for i in range(5):
            add_endorsement(store, "t:bob", f"t:u{i}", "Linguistics", at=AS_OF - timedelta(days=1))
        with pytest.raises(ConfigError, match="daily limit"):
            add_endorsement(store, "t:bob", "t:u9", "Linguistics", at=AS_OF - timedelta(days=1))
    assert "t:r2" not in run(db, "topics", "endorsements", "t:bob").output
    out = run(db, "topics", "compute").output
    assert "8/8 endorsements accepted" in out
    shown = json.loads(run(db, "topics", "show", "t:ada", "--json").output)
    assert shown["topics"][0]["endorsements"] == 3


def test_sentiment_and_volume_commands(db: Path) -> None:
    run(db, "topics", "compute")
    data = json.loads(run(db, "topics", "sentiment", "t:ada", "--json").output)
    last = data["periods"][-1]
    assert last["texts"] == 2 and last["positive"] == 2 and last["negative_rise"] is False
    assert "positive" in run(db, "topics", "sentiment", "t:ada", "-t", "Linguistics").output
    volume = json.loads(
        run(db, "topics", "volume", "-t", "Linguistics", "-a", "t:cy", "--json").output
    )
    assert sum(p["items"] for p in volume["periods"]) >= 8
    assert sum(p["account_items"] for p in volume["periods"]) == 0  # cy has no shown topic
    assert "authors" in run(db, "topics", "volume", "-t", "Linguistics").output


def test_custom_ontology_from_the_cli(db: Path, tmp_path: Path) -> None:
    tree = tmp_path / "ours.csv"
    tree.write_text("id,name,parents,aliases\nlang,Language Stuff,,linguistics\n", encoding="utf-8")
    out = run(db, "topics", "compute", "--ontology", str(tree), "-p", "min_posts=1").output
    assert "(computed)" in out
    assert "t:ada" in run(db, "topics", "top", "-t", "Language Stuff").output
    assert "expected -p NAME=VALUE" in run(db, "topics", "compute", "-p", "nope=1", code=2).output


def test_no_score_run_is_a_clean_error(tmp_path: Path) -> None:
    with Store.open(tmp_path / "empty.duckdb") as store:
        assert influential_about(store, "t:ada") == []
    assert "sway score" in run(tmp_path / "empty.duckdb", "topics", "compute", code=2).output


def test_evaluate_on_a_stack_exchange_dump(tmp_path: Path) -> None:
    db = tmp_path / "se.duckdb"
    run(db, "ingest", str(FIXTURES / "stackexchange-conlang-meta"), "-q")
    report = tmp_path / "eval.json"
    out = run(db, "topics", "evaluate", "--json", str(report)).output
    assert "Aim 1" in out and "Aim 2" in out
    result = json.loads(report.read_text(encoding="utf-8"))
    topics = result["sites"]["conlang-meta"]["topics"]
    assert topics["users"] >= 5 and topics["rate"] >= 0.9
    assert result["sites"]["conlang-meta"]["prediction"]["tags"]


def test_an_ambiguous_topic_name_is_answered_with_the_candidates(db: Path, tmp_path: Path) -> None:
    tree = tmp_path / "twice.csv"
    tree.write_text(
        "id,name,parents,aliases\nlang,Language,,linguistics\nlang2,Language,,machine-learning\n",
        encoding="utf-8",
    )
    run(db, "topics", "compute", "--ontology", str(tree), "-p", "min_posts=1")
    out = run(db, "topics", "top", "-t", "Language", code=2).output
    assert "ambiguous" in out and "id lang" in out and "id lang2" in out
    assert "Traceback" not in out
    assert "t:ada" in run(db, "topics", "top", "-t", "lang").output  # an id is never ambiguous


def test_campaign_from_the_cli_is_the_dashboards_plan(db: Path) -> None:
    run(db, "topics", "compute", "-p", "min_posts=1")
    plan = json.loads(run(db, "campaign", "--topic", "Linguistics", "-k", "2", "--json").output)
    assert plan["topic"] == "Linguistics" and plan["k"] == 2
    assert plan["members"] and plan["members"][0]["account"]["account_id"] == "ada"
    assert plan["reach"] == plan["members"][-1]["reach"]
    out = run(db, "campaign", "-t", "Linguistics", "-k", "2").output
    assert "expected reach" in out and "t:" in out
    assert "no topic" in run(db, "campaign", "-t", "nothing like it", code=2).output
