"""Evaluation under attack: the attacks reach the baselines, never the truth after the split."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from test_protocol import SPLIT, future, history

from sway.cli import cli
from sway.evaluation.attacked import attack_targets, write_attacked_copy
from sway.evaluation.baselines import baseline_values, candidates, truth_values
from sway.store import Store
from sway.store.ingest import ingest_records
from sway.store.spool import spool_root

WINDOW = timedelta(days=90)


def _store(tmp_path: Path) -> Path:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        ingest_records(store, [*history(), *future(40)], source="t", format="test", sha256="0")
    return db


def test_the_copy_lifts_the_targets_counts_and_keeps_the_truth(tmp_path: Path) -> None:
    db = _store(tmp_path)
    with Store.open(db, read_only=True) as store:
        start = SPLIT - WINDOW
        targets = attack_targets(
            store,
            network="chat",
            start=start,
            split=SPLIT,
            horizon=timedelta(days=30),
            count=3,
            seed=0,
        )
        assert len(targets) == 3
        keys = candidates(store, network="chat", start=start, split=SPLIT)
        truth = truth_values(
            store,
            keys,
            network="chat",
            split=SPLIT,
            horizon=timedelta(days=30),
            target="distinct-reactors",
        )
        # Drawn among those the future does not bear out.
        assert all(truth[keys.index(t)] <= np.median(truth) for t in targets)
        counts = baseline_values(store, keys, network="chat", start=start, split=SPLIT)
        added = write_attacked_copy(
            store,
            tmp_path / "copy.duckdb",
            network="chat",
            split=SPLIT,
            family="bot-ring",
            size=10,
            targets=targets,
        )
    assert added > 0
    with Store.open(tmp_path / "copy.duckdb", read_only=True) as copy:
        after_keys = candidates(copy, network="chat", start=start, split=SPLIT)
        assert set(keys) <= set(after_keys)
        lifted = baseline_values(copy, keys, network="chat", start=start, split=SPLIT)
        honest = truth_values(
            copy,
            keys,
            network="chat",
            split=SPLIT,
            horizon=timedelta(days=30),
            target="distinct-reactors",
        )
        assert copy.scalar("SELECT count(*) FROM events WHERE ts >= ?", [SPLIT]) == 40
    for t in targets:
        i = keys.index(t)
        assert lifted["distinct-reactors"][i] >= counts["distinct-reactors"][i] + 10
    np.testing.assert_array_equal(honest, truth)


def test_evaluate_with_an_attack_leaves_nothing_behind(tmp_path: Path) -> None:
    db = _store(tmp_path)
    out = tmp_path / "r.json"
    result = CliRunner().invoke(
        cli,
        [
            "--db", str(db), "evaluate", "-n", "chat", "--split-at", SPLIT.isoformat(),
            "--attack", "capture-ring", "--attack-size", "10", "--attack-targets", "2",
            "--resamples", "20", "--json", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "under attack: capture-ring, 2 targets x 10 accounts" in result.output
    data = json.loads(out.read_text())
    assert data["attack"]["family"] == "capture-ring" and len(data["attack"]["targets"]) == 2
    assert data["attack"]["events"] > 0
    assert set(data["metrics"]) >= {"sway", "distinct-reactors", "pagerank"}
    # The copy lived in the store's spool folder and is gone; the store itself is untouched.
    assert not any(spool_root(db).iterdir())
    with Store.open(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM events WHERE actor LIKE 'atk-%'") == 0
