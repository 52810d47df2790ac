"""`sway runs` (list, withdraw) and what a withdrawn run does to the other commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_cli_scoring import FIXTURE, run

EARLIER = "2024-04-05T00:00:00Z"


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, str, str]:
    """A store with two runs: ``(db, earlier run id, latest run id)``."""
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "-q", str(FIXTURE))[0] == 0
    assert run(db, "score", "-q", "--as-of", EARLIER)[0] == 0
    assert run(db, "score", "-q")[0] == 0
    latest, earlier = (r["run_id"] for r in json.loads(run(db, "runs", "--json")[1]))
    return db, earlier, latest


def test_withdraw_marks_the_run_and_the_previous_one_is_served(
    two_runs: tuple[Path, str, str],
) -> None:
    db, earlier, latest = two_runs
    code, out, err = run(
        db, "runs", "withdraw", latest[:8], "--reason", "bad import", "--by", "kim"
    )
    assert code == 0, err
    assert out.startswith(f"run {latest} withdrawn (") and "by kim" in out
    assert f"latest run now: {earlier}" in err
    # `sway runs` and `sway runs list` are the same listing; the withdrawn run stays in it.
    listed = json.loads(run(db, "runs", "--json")[1])
    assert listed == json.loads(run(db, "runs", "list", "--json")[1])
    assert [r["run_id"] for r in listed] == [latest, earlier]
    assert listed[0]["withdrawn"]["reason"] == "bad import"
    assert listed[0]["withdrawn"]["withdrawn_by"] == "kim"
    assert listed[1]["withdrawn"] is None
    table = run(db, "runs")[1]
    assert "withdrawn: bad" in table and "published" in table
    # Every command without --run uses the run before it.
    top = json.loads(run(db, "top", "--json")[1])
    assert top["run"] == earlier
    shown = json.loads(run(db, "show", "twitter:ada", "--json")[1])
    assert shown["run"] == earlier and latest not in [h["run_id"] for h in shown["history"]]
    # A withdrawn run named by its id is still readable, with a note.
    code, out, err = run(db, "top", "--run", latest, "--json")
    assert code == 0 and json.loads(out)["run"] == latest
    assert f"run {latest} was withdrawn" in err and "bad import" in err
    # The audit log says who withdrew it and why.
    (entry,) = [
        json.loads(line) for line in run(db, "audit", "--action", "runs.", "--json")[1].splitlines()
    ]
    assert entry["subject"] == f"run:{latest}" and entry["detail"]["reason"] == "bad import"


def test_scoring_the_same_data_again_cannot_bring_it_back(
    two_runs: tuple[Path, str, str],
) -> None:
    db, _, latest = two_runs
    assert run(db, "runs", "withdraw", latest, "--reason", "wrong")[0] == 0
    code, _, err = run(db, "score")
    assert code == 2 and f"run {latest} is already published and was withdrawn (wrong)" in err
    assert "Traceback" not in err


def test_withdraw_refuses_what_it_cannot_do(two_runs: tuple[Path, str, str]) -> None:
    db, earlier, latest = two_runs
    code, _, err = run(db, "runs", "withdraw", latest)
    assert code == 2 and "--reason" in err
    code, _, err = run(db, "runs", "withdraw", "nope", "--reason", "x")
    assert code == 2 and "no run 'nope'" in err
    code, _, err = run(db, "runs", "withdraw", "1.", "--reason", "x")
    assert code == 2 and "ambiguous" in err
    assert run(db, "runs", "withdraw", latest, "--reason", "first")[0] == 0
    code, _, err = run(db, "runs", "withdraw", latest, "--reason", "again")
    assert code == 2 and "already withdrawn" in err and "first" in err
    code, _, err = run(db, "runs", "withdraw", earlier, "--reason", "[bold]also[/bold] wrong")
    assert code == 0 and "no run left to serve" in err
    # A reason is shown as written, brackets included: console markup would eat them.
    assert "[bold]" in run(db, "runs")[1]
    code, _, err = run(db, "top")
    assert code == 2 and "every published run is withdrawn" in err
