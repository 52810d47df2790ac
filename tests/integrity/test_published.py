"""Integrity in published runs: explanations show the discounts and name collusion groups, and
a published run is never rewritten."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
from click.testing import CliRunner

import sway.cli_integrity  # noqa: F401  (registers the commands until sway.cli imports it)
from sway.cli import cli
from sway.store import Store

from .helpers import T0, community, table

BASE = community(accounts=30, days=40)


def _ring(start_day: int) -> pa.Table:
    """Six established accounts (interacting since the data starts) that like each other's
    posts every day and all boost u12: a dense ring with a shared target."""
    ring = [f"ring{i}" for i in range(6)]
    rows: list[dict[str, object]] = []
    for d in range(start_day, 40):
        for i, a in enumerate(ring):
            rows.append(
                {
                    "event_id": f"rp-{d}-{i}",
                    "ts": T0 + timedelta(days=d, hours=i),
                    "actor": a,
                    "action": "post",
                    "content_id": f"{a}-{d}",
                }
            )
            for j, b in enumerate(ring):
                if a != b:
                    rows.append(
                        {
                            "event_id": f"rl-{d}-{i}-{j}",
                            "ts": T0 + timedelta(days=d, hours=i + 1, minutes=j),
                            "actor": a,
                            "action": "like",
                            "target": b,
                            "content_id": f"{b}-{d}",
                        }
                    )
            rows.append(
                {
                    "event_id": f"rt-{d}-{i}",
                    "ts": T0 + timedelta(days=d, hours=20, minutes=i),
                    "actor": a,
                    "action": "like",
                    "target": "u12",
                    "content_id": f"u12-ring-{d}",
                }
            )
    return table(rows)


def _insert(db: Path, events: pa.Table, ingest_id: int) -> None:
    with Store.open(db) as store:
        store.con.register("new_events", events)
        cols = ", ".join(events.column_names)
        store.con.execute(
            f"INSERT INTO events ({cols}, ingest_id) SELECT {cols}, ? FROM new_events",
            [ingest_id],
        )
        store.con.unregister("new_events")


def _scores(db: Path, run_id: str) -> list[tuple[object, ...]]:
    with Store.open(db, read_only=True) as store:
        return store.con.execute(
            "SELECT s.*, d.* FROM scores s JOIN score_details d USING (run_id, network, "
            "account_id) WHERE run_id = ? ORDER BY network, account_id",
            [run_id],
        ).fetchall()


def _latest_run(db: Path) -> str:
    with Store.open(db, read_only=True) as store:
        row = store.con.execute(
            "SELECT run_id FROM score_runs ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_explain_names_the_collusion_group_and_the_discount(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _insert(db, pa.concat_tables([BASE, _ring(0)]), 1)
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(db), "score", "-q", "-p", "integrity=1"])
    assert result.exit_code == 0, result.output
    explained = runner.invoke(cli, ["--db", str(db), "explain", "x:u12", "--json"])
    assert explained.exit_code == 0, explained.output
    lines = "\n".join(json.loads(explained.output)["discounts"])
    assert "reach lost to the integrity layer" in lines
    found = re.search(r"reactors from collusion group (ring-\d+) \(6 accounts", lines)
    assert found is not None, lines
    member = runner.invoke(cli, ["--db", str(db), "explain", "x:ring0", "--json"])
    member_lines = "\n".join(json.loads(member.output)["discounts"])
    assert "as an endorser this account counts" in member_lines
    assert f"in collusion group {found.group(1)} (6 accounts" in member_lines


def test_published_runs_are_never_rewritten(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _insert(db, BASE, 1)
    runner = CliRunner()
    args = ["--db", str(db), "score", "-q", "-p", "integrity=1"]
    assert runner.invoke(cli, args).exit_code == 0
    first = _latest_run(db)
    published = _scores(db, first)
    assert published
    # The same data again: the run is already published, nothing is written.
    again = runner.invoke(cli, ["--db", str(db), "score", "-p", "integrity=1"])
    assert "already published" in again.output
    # New events (a ring switched on later) make a new run; the first one is unchanged.
    _insert(db, _ring(30), 2)
    assert runner.invoke(cli, args).exit_code == 0
    second = _latest_run(db)
    assert second != first
    assert _scores(db, first) == published
    assert _scores(db, second) != published
