"""The scoring commands: score, runs, show, explain, top, export scores / people."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from sway.cli import cli
from sway.cli_scoring import parse_window
from sway.errors import ConfigError
from sway.sources import available, broken

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "scoring" / "events.csv"
DEMO = ROOT / "data" / "demo" / "stackexchange-conlang-meta"
EXPORT_COLUMNS = [
    "network",
    "account",
    "person",
    "score",
    "reach",
    "amplification",
    "network_impact",
    "run_id",
    "as_of",
]


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "s.duckdb"
    assert run(db, "ingest", "-q", str(FIXTURE))[0] == 0
    assert run(db, "people", "link", "ada", "twitter:ada", "mastodon:ada@hachyderm.io")[0] == 0
    code, _, err = run(db, "score")
    assert code == 0, err
    return db


def test_score_prints_a_summary_and_reuses_a_published_run(scored: Path) -> None:
    code, out, _ = run(scored, "score")
    assert code == 0 and "is already published" in out and "nothing written" in out
    code, out, _ = run(scored, "runs", "--json")
    runs = json.loads(out)
    assert len(runs) == 1 and runs[0]["events_used"] == 31
    assert runs[0]["as_of"] == "2024-04-07T11:00:01+00:00"
    assert runs[0]["summary"]["unknown_targets"] == 1


def test_score_summary_line(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    run(db, "ingest", "-q", str(FIXTURE))
    code, out, _ = run(db, "score", "--as-of", "2024-04-08T00:00:00Z", "--window", "30d")
    assert code == 0
    assert (
        "published:" in out and "from 31 events in the 30d window up to 2024-04-08T00:00:00Z" in out
    )
    assert "skipped 1 reactions without a known target" in out
    assert "ignored 1 self-reactions" in out


def test_top_lists_accounts_and_people(scored: Path) -> None:
    code, out, _ = run(scored, "top", "--limit", "3")
    assert code == 0 and "twitter:ada" in out
    code, out, _ = run(scored, "top", "--network", "qa")
    assert code == 0 and "qa:lee" in out and "twitter" not in out.split("network")[-1]
    code, out, _ = run(scored, "top", "--people")
    assert code == 0 and "ada" in out


def test_show_an_account_and_a_person(scored: Path) -> None:
    code, out, _ = run(scored, "show", "twitter:ada")
    assert code == 0 and "twitter:ada" in out and "reach" in out and "history" in out
    assert "day n/a" in out
    code, out, _ = run(scored, "show", "twitter:ada", "--json")
    data = json.loads(out)
    assert 1 < data["score"] <= 100 and data["change"] == {"day": None, "week": None, "month": None}
    code, out, _ = run(scored, "show", "--person", "ada", "--json")
    assert code == 0 and json.loads(out)["score"] >= data["score"]


def test_show_reports_accounts_that_were_not_scored(scored: Path) -> None:
    code, _, err = run(scored, "show", "twitter:nobody")
    assert code == 2 and "was not scored" in err
    code, _, err = run(scored, "show")
    assert code == 2 and "NETWORK:ACCOUNT or --person" in err


def test_explain_adds_up_and_says_why(scored: Path) -> None:
    code, out, _ = run(scored, "explain", "twitter:ada", "--json")
    assert code == 0
    e = json.loads(out)
    assert e["base"] + sum(c["points"] for c in e["contributions"]) == pytest.approx(e["score"])
    assert any("self-reactions ignored" in d for d in e["discounts"])
    assert e["top_reactors"] and e["top_posts"][0]["post_id"] == "t1"
    code, out, _ = run(scored, "explain", "twitter:ada")
    assert code == 0 and "(floor)" in out and "What would raise it" in out
    code, out, _ = run(scored, "explain", "msg:2", "--json")
    assert any("no post ids" in n for n in json.loads(out)["notes"])
    code, out, _ = run(scored, "explain", "--person", "ada", "--json")
    p = json.loads(out)
    assert {n["name"] for n in p["networks"]} == {"twitter", "mastodon"}
    assert p["base"] + sum(c["points"] for c in p["contributions"]) == pytest.approx(p["score"])
    code, out, _ = run(scored, "explain", "--person", "ada")
    assert code == 0 and "per network" in out


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_export_scores(scored: Path, tmp_path: Path, fmt: str) -> None:
    output = tmp_path / f"scores.{fmt}"
    code, out, _ = run(scored, "export", "scores", "--format", fmt, "--output", str(output))
    assert code == 0 and "accounts from run" in out
    if fmt == "csv":
        with output.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        columns = list(rows[0])
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in output.read_text().splitlines()]
        columns = list(rows[0])
    else:
        table = pq.read_table(output)
        rows, columns = table.to_pylist(), table.column_names
    assert columns[:9] == EXPORT_COLUMNS
    by_account = {(r["network"], r["account"]): r for r in rows}
    assert len(by_account) == len(rows)  # one row per account
    assert by_account[("twitter", "ada")]["person"] == "ada"
    assert by_account[("twitter", "bob")]["person"] == "twitter:bob"
    assert ("twitter", "zed") in by_account and ("twitter", "") not in by_account
    assert float(by_account[("qa", "lee")]["score"]) > 1


def test_export_people_and_by_run(scored: Path, tmp_path: Path) -> None:
    code, out, _ = run(scored, "runs", "--json")
    run_id = json.loads(out)[0]["run_id"]
    output = tmp_path / "people.csv"
    code, out, _ = run(scored, "export", "people", "--output", str(output), "--run", run_id[:6])
    assert code == 0
    with output.open(newline="") as fh:
        rows = {r["person"]: r for r in csv.DictReader(fh)}
    assert rows["ada"]["accounts"] == "2" and rows["ada"]["networks"] == "2"
    code, _, err = run(scored, "export", "scores", "--output", str(tmp_path / "x.txt"))
    assert code == 2 and "pass --format" in err
    code, _, err = run(scored, "export", "scores", "--output", str(output), "--run", "zz")
    assert code == 2 and "no run 'zz'" in err


def test_commands_need_a_run_first(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    run(db, "ingest", "-q", str(FIXTURE))
    code, _, err = run(db, "top")
    assert code == 2 and "run `sway score` first" in err
    code, _, err = run(tmp_path / "empty.duckdb", "score")
    assert code == 2 and "no events to score" in err


def test_bad_options_are_clean_errors(scored: Path) -> None:
    code, _, err = run(scored, "score", "--window", "soon")
    assert code == 2 and "expected a window" in err
    code, _, err = run(scored, "score", "--as-of", "yesterday")
    assert code == 2 and "--as-of" in err
    code, _, err = run(scored, "score", "-p", "nonsense=1")
    assert code == 2 and "unknown score parameter" in err
    code, _, err = run(scored, "score", "--engine", "spork")
    assert code == 2 and "unknown engine" in err


def test_parse_window() -> None:
    assert parse_window("90d") == 90 and parse_window("2w") == 14 and parse_window("36h") == 1.5
    assert parse_window("1y") == 365 and parse_window("7") == 7
    with pytest.raises(ConfigError):
        parse_window("0d")


def test_the_bundled_demo_scores_and_exports(tmp_path: Path) -> None:
    # A built-in importer is not optional: one that fails to load fails here, never skips.
    assert "stackexchange" in available(), broken()
    data = tmp_path / "demo"
    shutil.copytree(DEMO, data)
    db = tmp_path / "demo.duckdb"
    assert run(db, "ingest", "-q", str(data))[0] == 0
    code, out, _ = run(db, "score", "--window", "3y")
    assert code == 0 and "published" in out
    output = tmp_path / "scores.csv"
    assert run(db, "export", "scores", "--output", str(output))[0] == 0
    with output.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 50 and max(float(r["score"]) for r in rows) > 30
    code, out, _ = run(db, "top", "--limit", "20")
    assert code == 0 and "│ 20 " in out and "│ 21 " not in out
