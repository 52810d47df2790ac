"""The SQL pipeline agrees with the pure-Python reference scorer to 1e-9 on random toy data."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optional import import_or_missing
from sway.events import Event
from sway.scoring.params import ScoreParams
from sway.scoring.reference import reference_scores
from sway.scoring.steps import FEATURE_STEPS, SCORE_STEPS

from .toy import AS_OF, ev, score_sql

ACCOUNTS = ["a", "b", "c", "d", "e"]
ACTIONS = [
    "post",
    "reply",
    "comment",
    "quote",
    "repost",
    "mention",
    "like",
    "vote",
    "follow",
    "endorse",
]


@st.composite
def toy_events(draw: st.DrawFn) -> list[Event]:
    n = draw(st.integers(1, 40))
    events = []
    for i in range(n):
        action = draw(st.sampled_from(ACTIONS))
        actor = draw(st.sampled_from([*ACCOUNTS, None] if action != "post" else ACCOUNTS))
        target = None if action == "post" else draw(st.sampled_from([*ACCOUNTS, None]))
        content = draw(st.sampled_from([None, "p1", "p2", "p3", f"own{i}"]))
        parent = draw(st.sampled_from([None, "p1", "p2"]))
        if action != "post" and target is None and content is None:
            content = "p1"
        events.append(
            ev(
                actor,
                action,
                target,
                days_ago=draw(st.sampled_from([0, 0.25, 1, 3, 29.5, 60, 89.9, 95])),
                content_id=content,
                parent_id=parent,
                value=draw(st.sampled_from([None, None, 1.0, 3.0, -2.0, 0.0])),
                network=draw(st.sampled_from(["t", "t", "m"])),
                event_id=f"h{i}",
            )
        )
    return events


def _compare(events: list[Event], links: list[tuple[str, str, str]], **params: Any) -> None:
    ref = reference_scores(
        events, as_of=AS_OF, links=links, **({"params": None} if not params else {})
    )
    if params:
        from sway.scoring.params import ScoreParams

        ref = reference_scores(events, as_of=AS_OF, links=links, params=ScoreParams(**params))
    sql = score_sql(events, links=links, **params)
    assert set(sql.accounts) == set(ref.accounts)
    for key, expected in ref.accounts.items():
        got = sql.accounts[key]
        for column in ("reach", "amplification", "network_impact", "raw", "score", "selectivity"):
            assert got[column] == pytest.approx(expected[column], rel=1e-9, abs=1e-12), (
                key,
                column,
            )
        assert got["amplification_basis"] == expected["amplification_basis"]
        assert got["posts"] == expected["posts"]
    assert set(sql.people) == set(ref.people)
    for person, expected in ref.people.items():
        for column in ("raw", "reach", "amplification", "network_impact", "score"):
            assert sql.people[person][column] == pytest.approx(
                expected[column], rel=1e-9, abs=1e-12
            )
    assert set(sql.person_networks) == set(ref.person_networks)
    for key, expected in ref.person_networks.items():
        assert sql.person_networks[key]["score"] == pytest.approx(expected["score"], rel=1e-9)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=toy_events(), linked=st.lists(st.sampled_from(ACCOUNTS), max_size=3, unique=True))
def test_sql_pipeline_agrees_with_the_reference(events: list[Event], linked: list[str]) -> None:
    links = [("pat", "t", a) for a in linked] + [("pat", "m", a) for a in linked[:1]]
    _compare(events, links)


def test_agreement_with_other_parameters() -> None:
    events = [
        ev("a", "post", content_id="p1", days_ago=5),
        ev("b", "reply", "a", content_id="r1", parent_id="p1", days_ago=4),
        ev("c", "like", "a", content_id="p1", days_ago=3),
        ev("a", "like", "b", content_id="r1", days_ago=2),
        ev("c", "repost", "b", content_id="r1", days_ago=1),
        ev(None, "vote", "b", content_id="r1", value=2.0, days_ago=1),
    ]
    _compare(
        events,
        [("x", "t", "a"), ("x", "t", "b")],
        half_life_days=7.0,
        window_days=4.5,
        selectivity_rate=1.0,
        selectivity_strength=2.0,
        mix_reach=1.0,
        mix_amplification=0.0,
        mix_network_impact=2.0,
        damping=0.5,
        person_norm=2.0,
        weight_like=0.1,
    )


def test_every_step_names_its_parameters() -> None:
    known = set(ScoreParams.names()) | {"as_of", "as_of_us", "start", "curve_scale", "curve_shape"}
    for step in (*FEATURE_STEPS, *SCORE_STEPS):
        assert set(step.params) <= known, step.name
        assert step.sql.lstrip().upper().startswith("SELECT"), step.name


def test_steps_transpile_to_spark_sql() -> None:
    """The same text must run on other engines: sqlglot reads DuckDB and writes Spark SQL."""
    sqlglot = import_or_missing("sqlglot", part="SPARK")
    for step in (*FEATURE_STEPS, *SCORE_STEPS):
        spark = sqlglot.transpile(
            step.sql, read="duckdb", write="spark", unsupported_level="raise"
        )[0]
        for name in step.params:
            assert f":{name}" in spark, (step.name, name)
        assert "$" not in spark, step.name
