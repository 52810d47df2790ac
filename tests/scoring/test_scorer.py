"""The estimator contract and the pure core."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from sway.engines import available, open_engine
from sway.engines.base import Engine
from sway.engines.duckdb import DuckDBEngine
from sway.errors import ConfigError, EngineError, ScoringError
from sway.scoring.params import ScoreParams
from sway.scoring.scorer import InfluenceScorer, default_as_of
from sway.store import Store

from .toy import AS_OF, ev


def test_init_only_stores_parameters_and_get_params_is_what_a_run_records() -> None:
    scorer = InfluenceScorer(half_life_days=14, weight_like=0.5)
    params = scorer.get_params()
    assert params == {**ScoreParams().as_dict(), "half_life_days": 14, "weight_like": 0.5}
    assert not hasattr(scorer, "accounts_")
    assert InfluenceScorer(**params).get_params() == params
    # What a run records is canonical: 14 and 14.0 days are the same parameter.
    assert ScoreParams(half_life_days=14).as_dict() == ScoreParams(half_life_days=14.0).as_dict()
    assert scorer.set_params(damping=0.5) is scorer and scorer.get_params()["damping"] == 0.5


def test_unknown_or_bad_parameters_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown score parameter 'halflife'"):
        InfluenceScorer(halflife=3)
    engine = DuckDBEngine.from_events([ev("a", "like", "b")])
    for bad in (
        {"damping": 1.0},
        {"half_life_days": 0},
        {"weight_like": -1},
        {"max_iter": 0.5},
        {"mix_reach": 0, "mix_amplification": 0, "mix_network_impact": 0},
    ):
        with pytest.raises(ConfigError):
            InfluenceScorer(**bad).fit(engine, as_of=AS_OF)
    engine.close()


def test_fit_returns_self_with_learned_state() -> None:
    engine = DuckDBEngine.from_events([ev("a", "like", "b", content_id="p")])
    scorer = InfluenceScorer()
    assert scorer.fit(engine, as_of=AS_OF) is scorer
    assert scorer.accounts_.num_rows == 2 and scorer.people_.num_rows == 2
    assert scorer.plan_.as_of == AS_OF and scorer.params_ == ScoreParams()
    assert scorer.summary_["graph_iterations"] >= 1
    # The engine is left as it was: step tables are dropped.
    tables = {r[0] for r in engine.con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == set()
    engine.close()


def test_default_as_of_is_just_after_the_newest_event() -> None:
    newest = datetime(2024, 5, 1, 12, 30, 15, 250_000, tzinfo=UTC)
    assert default_as_of(newest) == datetime(2024, 5, 1, 12, 30, 16, tzinfo=UTC)
    engine = DuckDBEngine.from_events([ev("a", "like", "b", days_ago=3)])
    scorer = InfluenceScorer().fit(engine)
    assert scorer.plan_.as_of == AS_OF - timedelta(days=3) + timedelta(seconds=1)
    assert scorer.summary_["events"] == 1
    engine.close()


def test_nothing_to_score_is_a_clean_error() -> None:
    engine = DuckDBEngine.from_events([])
    with pytest.raises(ScoringError, match="no events"):
        InfluenceScorer().fit(engine)
    # An empty window is not an error: nobody is scored.
    engine.close()
    engine = DuckDBEngine.from_events([ev("a", "like", "b", days_ago=200)])
    scorer = InfluenceScorer().fit(engine, as_of=AS_OF)
    assert scorer.accounts_.num_rows == 0 and scorer.summary_["events"] == 0
    engine.close()


def test_engines_are_found_by_name(store: Store) -> None:
    assert "duckdb" in available()
    engine = open_engine("duckdb", store)
    assert isinstance(engine, Engine) and engine.name == "duckdb"
    engine.close()
    with pytest.raises(ConfigError, match="unknown engine 'spork'"):
        open_engine("spork", store)
    with pytest.raises(EngineError, match="no value for parameter"):
        DuckDBEngine.from_events([]).materialize("x", "SELECT $nope AS y", {})


def test_the_scoring_core_imports_no_engine_store_or_cli() -> None:
    code = (
        "import sys, sway.scoring, sway.scoring.reference, sway.scoring.explain; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('duckdb', 'pyspark', 'click') "
        "or m.startswith(('sway.store', 'sway.cli', 'sway.engines.duckdb'))]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
