"""A withdrawn run through the real API: listed and marked, never served, not compared against;
a running server picks the withdrawal up by itself."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.conftest import BREAKING, PERSON, RUNS, SWAY, Keys, settings_for, sway
from sway.api.app import create_app

ACCOUNT = f"/v1/accounts/{BREAKING[0]}/{BREAKING[1]}"


def _runs(db: Path) -> dict[str, str]:
    """as_of -> run id."""
    return {
        r["as_of"].replace("+00:00", "Z"): r["run_id"]
        for r in json.loads(sway(db, "runs", "--json"))
    }


def _score_in(db: Path, run_id: str) -> float:
    shown = json.loads(sway(db, "show", f"{BREAKING[0]}:{BREAKING[1]}", "--run", run_id, "--json"))
    return float(shown["score"])


def _person_score_in(db: Path, run_id: str) -> float:
    return float(
        json.loads(sway(db, "show", "--person", PERSON, "--run", run_id, "--json"))["score"]
    )


def _served(client: TestClient, run_id: str, timeout: float = 20.0) -> dict:
    """The health answer once the server serves ``run_id`` (it rebuilds within seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        health = client.get("/v1/health").json()
        if health["run"]["run_id"] == run_id or time.monotonic() > deadline:
            assert health["run"]["run_id"] == run_id, health
            return health
        time.sleep(0.2)


def test_a_withdrawn_run_is_listed_but_not_served(db: Path, keys: Keys) -> None:
    ids = _runs(db)
    latest, day_before, week_before, month_before = (ids[a] for a in reversed(RUNS))
    # What the run before scored, read now: while the server runs, it may hold the file for
    # its own short writes, and this process could not open it then.
    account_score, person_score = _score_in(db, day_before), _person_score_in(db, day_before)
    with TestClient(create_app(settings_for(db))) as client:
        _served(client, latest)
        before = client.get(ACCOUNT, headers=keys.header("read")).json()
        assert before["run"]["run_id"] == latest and before["run"]["withdrawn"] is False
        # Withdrawn while the server runs: it notices by itself and serves the run before.
        # (In another process, as an operator would: one process cannot hold a store both
        # read-only, as the server does between requests, and for writing.)
        subprocess.run(
            [*SWAY, "--db", str(db), "runs", "withdraw", latest, "--reason", "scored twice"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        health = _served(client, day_before)
        assert health["run"]["withdrawn"] is False
        listed = client.get("/v1/runs", headers=keys.header("read")).json()
        assert [r["run_id"] for r in listed["items"]] == [
            latest,
            day_before,
            week_before,
            month_before,
        ]
        assert listed["total"] == len(RUNS)
        first, *rest = listed["items"]
        assert first["withdrawn"] is True and first["withdrawal_reason"] == "scored twice"
        assert first["withdrawn_at"] is not None
        assert all(r["withdrawn"] is False and r["withdrawal_reason"] is None for r in rest)
        # Paging reads the same list.
        page = client.get("/v1/runs?offset=1&limit=2", headers=keys.header("read")).json()
        assert [r["run_id"] for r in page["items"]] == [day_before, week_before]
        profile = client.get(ACCOUNT, headers=keys.header("read")).json()
        assert profile["run"]["run_id"] == day_before
        assert profile["score"] == pytest.approx(account_score)
        history = client.get(f"{ACCOUNT}/history", headers=keys.header("read")).json()
        points = [p["run_id"] for s in history["series"] for p in s["points"]]
        assert latest not in points and day_before in points
        # CRM enrichment reads the same index: the person's score in the run served.
        person = client.get(f"/v1/people/{PERSON}", headers=keys.header("read")).json()
        assert person["score"] == pytest.approx(person_score)
        crm = client.post(
            "/v1/crm/enrich",
            json=[{"id": "c1", "handles": {"twitter": "breaking911"}}],
            headers=keys.header("crm"),
        ).json()
        assert crm["records"][0]["score"] == pytest.approx(person["score"])


def test_changes_skip_a_withdrawn_earlier_run(db: Path, keys: Keys) -> None:
    ids = _runs(db)
    latest, day_before, week_before = (ids[a] for a in reversed(RUNS[1:]))
    # The run a day before is withdrawn: the day change is then measured against the run a
    # week before (the latest run at least a day earlier that stands), as the week change is.
    sway(db, "runs", "withdraw", day_before, "--reason", "bad import")
    now, then = _score_in(db, latest), _score_in(db, week_before)
    with TestClient(create_app(settings_for(db))) as client:
        profile = client.get(ACCOUNT, headers=keys.header("read")).json()
    assert profile["run"]["run_id"] == latest
    assert profile["change"]["day"] == pytest.approx(now - then)
    assert profile["change"]["week"] == pytest.approx(now - then)
    shown = json.loads(sway(db, "show", f"{BREAKING[0]}:{BREAKING[1]}", "--json"))
    assert profile["change"] == pytest.approx(shown["change"])
