from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sway.cli import cli
from sway.evaluation.baselines import baseline_values, candidates, truth_values
from sway.evaluation.protocol import evaluate, sway_values
from sway.events import Event
from sway.store import Store
from sway.store.ingest import ingest_records

SPLIT = datetime(2024, 3, 1, tzinfo=UTC)


def history(seed: int = 0) -> list[Event]:
    """Sixty days of messages among 30 accounts before the split, with a few hubs."""
    rng = np.random.default_rng(seed)
    events = []
    for i in range(1500):
        ts = SPLIT - timedelta(days=float(rng.uniform(0.01, 60)))
        actor = f"u{rng.integers(30)}"
        target = f"u{min(int(rng.pareto(1.2)), 29)}"
        if actor != target:
            events.append(Event("chat", f"b{i}", ts, actor, "mention", target))
    return events


def future(n: int, *, hub: str = "u25") -> list[Event]:
    """After the split: a flood towards one account from new reactors."""
    return [
        Event("chat", f"a{i}", SPLIT + timedelta(hours=i % 500), f"new{i}", "mention", hub)
        for i in range(n)
    ]


def store_with(tmp_path: Path, name: str, events: list[Event]) -> Store:
    store = Store.open(tmp_path / f"{name}.duckdb")
    ingest_records(store, iter(events), source=name, format="test", sha256=name)
    return store


def test_nothing_at_or_after_the_split_reaches_the_scorer(tmp_path: Path) -> None:
    past = history()
    with (
        store_with(tmp_path, "past", past) as a,
        store_with(
            tmp_path,
            "both",
            past + future(400) + [Event("chat", "edge", SPLIT, "u1", "mention", "u2")],
        ) as b,
    ):
        start = SPLIT - timedelta(days=90)
        keys = candidates(a, network="chat", start=start, split=SPLIT)
        assert keys == candidates(b, network="chat", start=start, split=SPLIT)
        for x, y in zip(
            sway_values(a, keys, network="chat", split=SPLIT, params={}).values(),
            sway_values(b, keys, network="chat", split=SPLIT, params={}).values(),
            strict=True,
        ):
            np.testing.assert_array_equal(x, y)
        base_a = baseline_values(a, keys, network="chat", start=start, split=SPLIT)
        base_b = baseline_values(b, keys, network="chat", start=start, split=SPLIT)
        for name in base_a:
            np.testing.assert_array_equal(base_a[name], base_b[name])
        # ... while the truth does see the future.
        truth = truth_values(
            b,
            keys,
            network="chat",
            split=SPLIT,
            horizon=timedelta(days=30),
            target="distinct-reactors",
        )
        assert truth[keys.index("u25")] == 400


def test_evaluate_reports_every_method_with_intervals(tmp_path: Path) -> None:
    with store_with(tmp_path, "both", history() + future(50)) as store:
        result = evaluate(store, network="chat", split=SPLIT, k=5, resamples=20)
    assert result.candidates >= 10
    assert set(result.metrics) == {
        "sway",
        "sway-reach",
        "sway-amplification",
        "sway-network-impact",
        "reactions",
        "distinct-reactors",
        "in-degree",
        "pagerank",
        "activity",
    }
    for values in result.metrics.values():
        for interval in values.values():
            assert interval.low <= interval.value <= interval.high
    assert len(result.deciles) == 10
    # Sway against the best baseline of each metric, with a paired interval of the gain.
    for metric, (baseline, gain) in result.gains.items():
        assert baseline == result.best_baseline(metric)
        sway, best = result.metrics["sway"][metric].value, result.metrics[baseline][metric].value
        assert gain.value == pytest.approx(sway / best - 1)
        assert gain.low <= gain.value <= gain.high
    assert set(result.as_dict()["gain_vs_best_baseline"]) == {"spearman", "ndcg@k", "precision@k"}


def test_evaluate_cli_writes_json_and_chart(tmp_path: Path) -> None:
    with store_with(tmp_path, "s", history() + future(50)):
        pass
    out = CliRunner().invoke(
        cli,
        [
            "--db",
            str(tmp_path / "s.duckdb"),
            "evaluate",
            "-n",
            "chat",
            "--split-at",
            "2024-03-01T00:00:00Z",
            "--k",
            "5",
            "--resamples",
            "20",
            "--json",
            str(tmp_path / "r.json"),
            "--chart",
            str(tmp_path / "r.png"),
        ],
    )
    assert out.exit_code == 0, out.output
    assert "spearman" in out.stdout and "sway-reach" in out.stdout
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
    assert '"candidates"' in (tmp_path / "r.json").read_text()


def test_too_few_candidates_is_a_clean_error(tmp_path: Path) -> None:
    with store_with(tmp_path, "s", history()):
        pass
    out = CliRunner().invoke(
        cli,
        ["--db", str(tmp_path / "s.duckdb"), "evaluate", "-n", "chat", "--split-at", "2020-01-01"],
    )
    assert out.exit_code == 2 and "only 0 account(s)" in out.stderr


@pytest.mark.parametrize(("text", "days"), [("30d", 30), ("12h", 0.5), ("2w", 14), ("7", 7)])
def test_durations(text: str, days: float) -> None:
    from sway.cli_evaluate import parse_duration

    assert parse_duration(text) == timedelta(days=days)
