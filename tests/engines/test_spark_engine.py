"""The Spark engine gives the DuckDB engine's scores: the same 1-100 integers, raw influence and
sub-scores within 1e-9 relative, the same explanations (top reactors and posts), on real data.

Each test scores one real dataset (small subsets shipped in tests/fixtures, with their licences)
on both engines. One runs the whole command-line path: export the events as partitioned
Parquet, score them with ``sway score --engine spark --master local[2]``, load the Parquet run
with ``sway ingest-scores`` and compare what the store serves for the two runs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from click.testing import CliRunner

from sway.cli import cli
from sway.engines.duckdb import DuckDBEngine
from sway.engines.spark import SparkEngine
from sway.events import EVENT_COLUMNS
from sway.scoring.scorer import InfluenceScorer
from sway.store import Store

# PySpark leaves the sockets of finished Arrow transfers for the garbage collector.
pytestmark = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RELATIVE = 1e-9


def run(db: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


def assert_close(a: Any, b: Any, where: str) -> None:
    if a is None or b is None:
        assert a is b, where
        return
    assert math.isclose(float(a), float(b), rel_tol=RELATIVE, abs_tol=1e-300), (where, a, b)


def assert_same_rows(
    duck: pa.Table, spark: pa.Table, keys: list[str], *, exact: list[str], close: list[str]
) -> None:
    """Same rows by ``keys``; ``exact`` columns equal, ``close`` ones within 1e-9 relative, and
    ``score`` (when in ``close``) the same integer 1-100."""
    order = [(k, "ascending") for k in keys]
    d = duck.sort_by(order).to_pylist()
    s = spark.sort_by(order).to_pylist()
    assert len(d) == len(s) > 0
    for row_d, row_s in zip(d, s, strict=True):
        where = tuple(row_d[k] for k in keys)
        for column in [*keys, *exact]:
            assert row_d[column] == row_s[column], (where, column)
        for column in close:
            assert_close(row_d[column], row_s[column], f"{where} {column}")
        if "score" in close:
            assert 1 <= round(row_s["score"]) <= 100
            assert round(row_d["score"]) == round(row_s["score"]), where


def store_events(store: Store) -> pa.Table:
    return store.con.sql(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events").to_arrow_table()


def test_same_scores_and_explanations_on_stackexchange(spark: Any, tmp_path: Path) -> None:
    """Posts, comments, anonymous votes and person links (the L^p norm across accounts)."""
    db = tmp_path / "se.duckdb"
    run(db, "ingest", str(FIXTURES / "stackexchange-conlang-meta"), "-q")
    with Store.open(db, read_only=True) as store:
        events = store_events(store)
    # Three of the most active accounts are one person, two others another.
    active = (
        pa.table({"network": events["network"], "actor": events["actor"]})
        .filter(pa.compute.is_valid(events["actor"]))
        .group_by(["network", "actor"])
        .aggregate([("actor", "count")])
        .sort_by([("actor_count", "descending"), ("actor", "ascending")])
        .to_pylist()
    )
    links = [("ana", r["network"], r["actor"]) for r in active[:3]]
    links += [("ben", r["network"], r["actor"]) for r in active[3:5]]

    # The dump spans years: a window over all of it.
    duck_engine = DuckDBEngine.from_events(events, links=links)
    duck = InfluenceScorer(window_days=3650).fit(duck_engine)
    duck_engine.close()
    spark_engine = SparkEngine.from_events(spark, events, links=links)
    fitted = InfluenceScorer(window_days=3650).fit(spark_engine)
    spark_engine.close()

    assert fitted.plan_.as_of == duck.plan_.as_of
    assert fitted.summary_["accounts"] == duck.summary_["accounts"] > 50
    for name in ("events", "unknown_targets", "anonymous_reactions", "self_reactions"):
        assert fitted.summary_[name] == duck.summary_[name], name
    assert duck.summary_["anonymous_reactions"] > 0
    # The graph step stops on the same test; values near its threshold may take one more
    # iteration on one engine than on the other.
    assert abs(fitted.summary_["graph_iterations"] - duck.summary_["graph_iterations"]) <= 1
    sub_scores = ["reach", "amplification", "network_impact", "raw", "score"]
    assert_same_rows(
        duck.accounts_,
        fitted.accounts_,
        ["network", "account_id"],
        exact=["posts", "present_days", "reactors", "reactions", "amplification_basis"],
        close=[*sub_scores, "part_reach", "part_amplification", "part_network_impact"],
    )
    assert_same_rows(
        duck.people_, fitted.people_, ["person_id"], exact=["accounts"], close=sub_scores
    )
    ana = [r for r in fitted.people_.to_pylist() if r["person_id"] == "ana"]
    assert ana and ana[0]["accounts"] == 3
    assert_same_rows(
        duck.person_networks_, fitted.person_networks_, ["person_id", "network"], exact=[],
        close=sub_scores,
    )  # fmt: skip
    assert_same_rows(
        duck.top_reactors_,
        fitted.top_reactors_,
        ["network", "account_id", "top_rank"],
        exact=["reactor", "reactions"],
        close=["engagement", "selectivity", "contribution"],
    )
    assert_same_rows(
        duck.top_posts_,
        fitted.top_posts_,
        ["network", "account_id", "top_rank"],
        exact=["post_id", "reactions", "reactors"],
        close=["contribution"],
    )


def test_cli_scores_parquet_on_spark_and_the_store_serves_the_same_scores(
    spark: Any, tmp_path: Path
) -> None:
    """SNAP Bitcoin OTC ratings (with negative ones): store -> Parquet -> Spark -> store."""
    db = tmp_path / "btc.duckdb"
    run(db, "ingest", str(FIXTURES / "snap-bitcoinotc" / "soc-sign-bitcoinotc.csv"), "-q")
    run(db, "score", "-q")
    events = tmp_path / "events"
    run(db, "export", "events", "--format", "parquet", "--partition", "--output", str(events))
    assert (events / "network=bitcoinotc").is_dir()
    out = tmp_path / "run"
    said = run(
        db, "score", "--engine", "spark", "--master", "local[2]", "--events", str(events),
        "--output", str(out),
    )  # fmt: skip
    assert f"written to {out}" in said
    assert "published" in run(db, "ingest-scores", str(out))
    assert "already published" in run(db, "ingest-scores", str(out))

    with Store.open(db, read_only=True) as store:
        runs = store.con.sql(
            "SELECT run_id, engine, events_used, as_of FROM score_runs ORDER BY engine"
        ).fetchall()
        assert [r[1] for r in runs] == ["duckdb", "spark"]
        assert runs[0][2:] == runs[1][2:]

        def stored(run_id: str) -> pa.Table:
            return store.con.sql(
                "SELECT s.network, s.account_id, s.score, s.reach, s.amplification, "
                "s.network_impact, d.raw, d.negative_reactions, d.reactors "
                "FROM scores AS s JOIN score_details AS d USING (run_id, network, account_id) "
                "WHERE run_id = $run",
                params={"run": run_id},
            ).to_arrow_table()

        duck, spark_run = stored(runs[0][0]), stored(runs[1][0])
        explained = store.con.sql(
            "SELECT run_id, count(*) FROM score_top_reactors GROUP BY run_id ORDER BY run_id"
        ).fetchall()
    assert sum(duck["negative_reactions"].to_pylist()) > 0
    assert_same_rows(
        duck,
        spark_run,
        ["network", "account_id"],
        exact=["negative_reactions", "reactors"],
        close=["reach", "amplification", "network_impact", "raw", "score"],
    )
    assert len({n for _, n in explained}) == 1 and explained[0][1] > 0
