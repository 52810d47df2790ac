"""The Spark engine's parts that need no running Spark: SQL rewriting, run files, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from optional import import_or_missing
from sway.cli import cli
from sway.engines import available
from sway.engines.duckdb import DuckDBEngine
from sway.errors import EngineError, StoreError
from sway.scoring.scorer import InfluenceScorer
from sway.scoring.steps import FEATURE_STEPS, SCORE_STEPS, WINDOW_EVENTS
from sway.store import Store
from sway.store.run_files import FORMAT, read_run, write_run
from sway.store.runs import list_runs, save_run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _spark_extra() -> None:
    """The modules of the ``spark`` extra, or a skip (a failure where SWAY_REQUIRE_SPARK=1)."""
    for module in ("sqlglot", "pyspark"):
        import_or_missing(module, part="SPARK")


def to_spark_sql(sql: str) -> str:
    """:func:`sway.engines.spark_sql.to_spark_sql` (it needs sqlglot, of the spark extra)."""
    import_or_missing("sqlglot", part="SPARK")
    from sway.engines.spark_sql import to_spark_sql as translate

    return translate(sql)


def test_every_step_becomes_spark_sql_with_parameter_markers() -> None:
    for step in (*FEATURE_STEPS, *SCORE_STEPS):
        spark = to_spark_sql(step.sql)
        assert "$" not in spark, step.name
        for name in step.params:
            assert f":{name}" in spark, (step.name, name)


def test_decimal_literals_become_doubles_as_duckdb_divides() -> None:
    spark = to_spark_sql(WINDOW_EVENTS.sql)
    assert "e.ts_us / CAST(86400000000.0 AS DOUBLE)" in spark
    assert "POWER(CAST(0.5 AS DOUBLE)" in spark
    # Integers stay integers (row numbers, counts, modulo).
    assert "CAST(" not in to_spark_sql("SELECT count(*) - 1 AS n FROM t")


def test_untranslatable_sql_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="Spark SQL"):
        to_spark_sql("SELECT FROM WHERE (")


def test_spark_is_a_registered_engine() -> None:
    assert available()["spark"] == "sway.engines.spark:SparkEngine"


def test_without_java_the_message_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    _spark_extra()
    from sway.engines.spark import spark_session

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(EngineError, match="needs Java 17 or 21"):
        spark_session("local[1]")


def test_a_spark_failure_reads_as_its_cause_and_names_the_setting_to_raise() -> None:
    _spark_extra()
    from sway.engines.spark import spark_failure

    # The shape py4j gives a failed collect: the call, Spark's reason, then the Java stack.
    java = Exception(
        "An error occurred while calling o412.collectAsArrowToPython.\n"
        ": org.apache.spark.SparkException: Job aborted due to stage failure: Total size of "
        "serialized results of 9 tasks (1031.4 MiB) is bigger than spark.driver.maxResultSize "
        "(1024.0 MiB)\n\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages"
        "(DAGScheduler.scala:2935)\n\tat scala.Option.foreach(Option.scala:437)"
    )
    said = spark_failure(java)
    assert said.startswith("org.apache.spark.SparkException: Job aborted due to stage failure")
    assert "DAGScheduler" not in said and "o412" not in said
    assert "raise spark.driver.maxResultSize" in said
    assert spark_failure(ValueError("plain\nsecond line")) == "plain"
    assert spark_failure(RuntimeError()) == "RuntimeError"


def _fitted(tmp_path: Path) -> tuple[Path, InfluenceScorer]:
    db = tmp_path / "s.duckdb"
    CliRunner().invoke(
        cli, ["--db", str(db), "ingest", str(FIXTURES / "snap-collegemsg" / "CollegeMsg.txt")]
    )
    with Store.open(db) as store:
        engine = DuckDBEngine.for_store(store)
        scorer = InfluenceScorer().fit(engine)
        engine.close()
    return db, scorer


def test_a_run_written_as_files_publishes_as_the_run_itself(tmp_path: Path) -> None:
    db, scorer = _fitted(tmp_path)
    write_run(scorer, str(tmp_path / "run"), engine="duckdb")
    back = read_run(str(tmp_path / "run"))
    assert back.plan_ == scorer.plan_
    assert back.summary_ == json.loads(json.dumps(scorer.summary_, default=str))
    assert back.accounts_.equals(scorer.accounts_)
    assert back.top_posts_.equals(scorer.top_posts_)
    with Store.open(db) as store:
        assert save_run(store, back, engine=back.engine)
        assert not save_run(store, scorer, engine="duckdb")  # the same run: nothing written
        assert [r.run_id for r in list_runs(store)] == [scorer.plan_.run_id]


def test_unfinished_or_foreign_run_folders_are_refused(tmp_path: Path) -> None:
    _, scorer = _fitted(tmp_path)
    folder = tmp_path / "run"
    with pytest.raises(StoreError, match=r"run\.json: not found"):
        read_run(str(folder))
    write_run(scorer, str(folder), engine="duckdb")
    meta = json.loads((folder / "run.json").read_text())
    (folder / "run.json").write_text(json.dumps({**meta, "format": "other/9"}))
    with pytest.raises(StoreError, match=f"format: expected '{FORMAT}', found 'other/9'"):
        read_run(str(folder))
    (folder / "run.json").write_text(json.dumps({**meta, "as_of": "yesterday"}))
    with pytest.raises(StoreError, match="as_of: expected an ISO 8601 time"):
        read_run(str(folder))
    (folder / "run.json").write_text(json.dumps(meta))
    pq.write_table(scorer.accounts_.drop_columns(["raw"]), folder / "accounts.parquet")
    with pytest.raises(StoreError, match=r"accounts\.parquet: missing column\(s\) raw"):
        read_run(str(folder))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--events", "ev/", "--output", "o/"], "--events needs --engine spark"),
        (["--master", "local[2]"], "--master needs --engine spark"),
        (["--engine", "spark", "--events", "ev/"], "--events needs --output"),
        (["--engine", "spark", "--links", "l.parquet"], "--links goes with --events"),
    ],
)
def test_score_option_mistakes_are_clean_errors(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.duckdb"), "score", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_ingest_scores_names_the_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "x.duckdb"), "ingest-scores", str(tmp_path / "nothing")]
    )
    assert result.exit_code == 2
    assert "run.json: not found" in result.output
