"""A topic run goes with its score run: once the score run is withdrawn, its topics are no
longer served as the latest, and the topics of the run before are (store, CLI and API)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.conftest import make_keys, settings_for
from sway.api.app import create_app
from sway.events import Event, events_to_arrow
from sway.sources.canonical import write_events
from sway.store import Store
from sway.store.queries import serving_topics
from sway.store.topics import get_topic_run, influential_about, latest_topic_run

from .helpers import AS_OF, likes, post, run, scored_store

BOARD = "/v1/leaderboards/accounts?topic=Linguistics"


def world() -> list[Event]:
    """Ada and Cy post on linguistics before :data:`AS_OF` (run A)."""
    events = [post("ada", f"a{i}", "linguistics", days_ago=10 + i) for i in range(3)]
    events += [post("cy", f"c{i}", "linguistics", days_ago=10 + i) for i in range(3)]
    events += likes("a0", "ada", "r1", "r2", "r3") + likes("a1", "ada", "r4")
    return events + likes("c0", "cy", "r1") + likes("c1", "cy", "r5")


def later() -> list[Event]:
    """Dan's linguistics posts after :data:`AS_OF`, liked by many (run B ranks him first)."""
    events = [post("dan", f"d{i}", "linguistics", days_ago=-0.5) for i in range(2)]
    events += likes("d0", "dan", *(f"r{i}" for i in range(1, 8)), days_ago=-0.3)
    return events + likes("d1", "dan", *(f"r{i}" for i in range(1, 8)), days_ago=-0.3)


def _score_later(db: Path, folder: Path) -> str:
    """Ingest :func:`later` and score run B a day after :data:`AS_OF`; its run id."""
    csv = folder / "later.csv"
    write_events(events_to_arrow(later()).to_batches(), csv)
    run(db, "ingest", str(csv), "-q")
    run(db, "score", "--as-of", (AS_OF + timedelta(days=1)).isoformat(), "-q")
    runs = json.loads(run(db, "runs", "--json").stdout)
    return str(max(runs, key=lambda r: r["as_of"])["run_id"])


def _top(db: Path) -> Any:
    return json.loads(run(db, "topics", "top", "-t", "Linguistics", "--json").stdout)


def _board(db: Path) -> list[tuple[str, float]]:
    """The API's topic board: ``(account id, topic score)`` in order."""
    keys = make_keys(db)
    with TestClient(create_app(settings_for(db))) as client:
        answer = client.get(BOARD, headers=keys.header("read"))
    assert answer.status_code == 200, answer.text
    return [(i["account"]["account_id"], i["topic_score"]) for i in answer.json()["items"]]


def test_topics_of_a_withdrawn_run_give_way_to_the_run_before(tmp_path: Path) -> None:
    db = scored_store(tmp_path, world())
    run(db, "topics", "compute")
    with Store.open(db, read_only=True) as store:
        topics_a = get_topic_run(store)
    top_a, board_a = _top(db), _board(db)
    assert "t:dan" not in {r["subject"] for r in top_a["rows"]}

    run_b = _score_later(db, tmp_path)
    run(db, "topics", "compute")
    with Store.open(db, read_only=True) as store:
        topics_b = get_topic_run(store)
    assert topics_b.run_id == run_b != topics_a.run_id
    # The premise: B's topics answer differently (Dan leads).
    assert _top(db)["rows"][0]["subject"] == "t:dan"
    assert _board(db)[0][0] == "dan"

    run(db, "runs", "withdraw", run_b, "--reason", "spam import", "--by", "ops")
    with Store.open(db, read_only=True) as store:
        assert latest_topic_run(store) == get_topic_run(store) == topics_a
        # Asked for by its score run or its own id, B's topics are still there.
        assert get_topic_run(store, run_id=run_b) == topics_b
        assert get_topic_run(store, topics_b.topic_run_id) == topics_b
        assert influential_about(store, "t:dan") == []
    assert _top(db) == top_a
    assert _board(db) == board_a


def test_with_topics_only_on_a_withdrawn_run_none_are_served(tmp_path: Path) -> None:
    db = scored_store(tmp_path, world())
    run_b = _score_later(db, tmp_path)
    run(db, "topics", "compute")
    run(db, "runs", "withdraw", run_b, "--reason", "spam import", "--by", "ops")
    with Store.open(db, read_only=True) as store:
        assert latest_topic_run(store) is None
        assert influential_about(store, "t:ada") == []
        assert serving_topics(store) is None
    failed = run(db, "topics", "top", "-t", "Linguistics", code=2)
    assert "withdrawn score run" in failed.output and "sway topics compute" in failed.output
    # The API still starts and answers; the topic board says why it has nothing.
    keys = make_keys(db)
    with TestClient(create_app(settings_for(db))) as client:
        assert client.get("/v1/health").status_code == 200
        answer = client.get(BOARD, headers=keys.header("read"))
    assert answer.status_code == 404 and "withdrawn score run" in answer.text
