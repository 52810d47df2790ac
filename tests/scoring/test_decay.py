"""The check that the half-life suits the data (sway.scoring.decay)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from optional import import_or_missing
from sway.engines.duckdb import DuckDBEngine
from sway.events import Event
from sway.scoring.decay import LAST_REACTIONS_SQL, _two_figures, check_decay, decay_warning
from sway.scoring.scorer import InfluenceScorer

from .toy import AS_OF, ev

_DAY_US = 86_400_000_000
_AS_OF_US = int(AS_OF.timestamp()) * 1_000_000


def _run(rows: list[tuple[str, float, int, float, float | None]]) -> tuple[pa.Table, pa.Table]:
    """Accounts (name, score, named reactions, anonymous reactions) and the age in days of the
    newest reaction each received (None: none)."""
    accounts = pa.table(
        {
            "network": ["t"] * len(rows),
            "account_id": [r[0] for r in rows],
            "score": [r[1] for r in rows],
            "reactions": pa.array([r[2] for r in rows], pa.int64()),
            "anonymous_reactions": [r[3] for r in rows],
        }
    )
    aged = [r for r in rows if r[4] is not None]
    last = pa.table(
        {
            "network": ["t"] * len(aged),
            "account_id": [r[0] for r in aged],
            "last_us": pa.array([_AS_OF_US - int(r[4] * _DAY_US) for r in aged], pa.int64()),
        }
    )
    return accounts, last


def test_fires_when_most_engaged_accounts_are_at_the_floor_and_their_reactions_are_old() -> None:
    accounts, last = _run(
        [
            ("a", 1.0, 3, 0.0, 300.0),
            ("b", 1.2, 0, 2.0, 400.0),  # anonymous reactions only: engaged
            ("c", 1.49, 1, 0.0, 500.0),
            ("d", 40.0, 5, 0.0, 10.0),
            ("e", 1.0, 0, 0.0, None),  # posts only, nobody reacted: not engaged, not counted
        ]
    )
    warning = decay_warning(accounts, last, as_of=AS_OF, half_life_days=14)
    assert warning is not None
    assert (warning.engaged, warning.at_floor) == (4, 3)
    assert warning.median_age_days == pytest.approx(350.0)  # of 10, 300, 400, 500
    assert warning.half_lives == pytest.approx(25.0)
    assert warning.half_life_days == 14.0
    assert warning.suggested_half_life_days == 70.0  # 350 / 5


def test_quiet_when_at_most_half_are_at_the_floor() -> None:
    accounts, last = _run(
        [
            ("a", 1.0, 3, 0.0, 300.0),
            ("b", 1.0, 1, 0.0, 400.0),
            ("c", 1.5, 1, 0.0, 500.0),  # 1.5 rounds to 2: not at the floor
            ("d", 40.0, 5, 0.0, 600.0),
        ]
    )
    assert decay_warning(accounts, last, as_of=AS_OF, half_life_days=14) is None


def test_quiet_when_the_reactions_are_recent_whatever_the_scores() -> None:
    # Floors that decay did not cause (the integrity layer discounting reactors, new accounts
    # ramping in) are not the half-life's fault: median age 100 days < 8 half-lives of 14.
    accounts, last = _run([("a", 1.0, 3, 0.0, 100.0), ("b", 1.0, 1, 0.0, 120.0)])
    assert decay_warning(accounts, last, as_of=AS_OF, half_life_days=14) is None
    assert decay_warning(accounts, last, as_of=AS_OF, half_life_days=10) is not None
    # Exactly 8 half-lives is stale enough.
    assert decay_warning(accounts, last, as_of=AS_OF, half_life_days=110 / 8) is not None


def test_quiet_without_engaged_accounts() -> None:
    accounts, last = _run([("a", 1.0, 0, 0.0, None)])
    assert decay_warning(accounts, last, as_of=AS_OF, half_life_days=14) is None
    empty, none = _run([])
    assert decay_warning(empty, none, as_of=AS_OF, half_life_days=14) is None


def test_suggested_half_life_has_two_significant_figures() -> None:
    assert _two_figures(133.4) == 130.0
    assert _two_figures(667.0 / 5) == 130.0
    assert _two_figures(8.67) == 8.7
    assert _two_figures(4002 / 5) == 800.0
    assert _two_figures(0.3) == 1.0


def _toy(days_ago: float) -> list[Event]:
    """Three authors, each liked and replied to by a few others ``days_ago`` days ago."""
    events: list[Event] = []
    for i, author in enumerate(("ann", "bob", "cat")):
        events.append(ev(author, "post", content_id=f"{author}-p", days_ago=days_ago + 1))
        for reactor in ("dan", "eve", "fay", "gus")[: 2 + i]:
            events.append(ev(reactor, "like", author, content_id=f"{author}-p", days_ago=days_ago))
        events.append(
            ev("hal", "reply", author, content_id=f"hal-{i}", parent_id=f"{author}-p",
               days_ago=days_ago)
        )  # fmt: skip
    # A self-reaction and a down-vote much later do not make an account look recent.
    events.append(ev("ann", "like", "ann", content_id="ann-p", days_ago=1))
    events.append(ev("dan", "vote", "bob", content_id="bob-p", days_ago=1, value=-1))
    return events


@pytest.mark.parametrize(("days_ago", "fires"), [(300.0, True), (3.0, False)])
def test_check_decay_reads_the_newest_counted_reaction_from_the_engine(
    days_ago: float, fires: bool
) -> None:
    engine = DuckDBEngine.from_events(_toy(days_ago))
    try:
        scorer = InfluenceScorer(window_days=365).fit(engine, as_of=AS_OF)
        warning = check_decay(scorer, engine)
    finally:
        engine.close()
    assert (warning is not None) is fires
    if warning is not None:
        # ann, bob and cat received reactions, all 300 days ago (the later self-like and
        # down-vote are not counted); the reply's author hal and the likers received none.
        assert (warning.engaged, warning.at_floor) == (3, 3)
        assert warning.median_age_days == pytest.approx(days_ago)
        assert warning.suggested_half_life_days == 60.0


def test_the_query_transpiles_to_spark_sql() -> None:
    """The same text runs on other engines, as the steps do (test_pipeline)."""
    sqlglot = import_or_missing("sqlglot", part="SPARK")
    spark = sqlglot.transpile(
        LAST_REACTIONS_SQL, read="duckdb", write="spark", unsupported_level="raise"
    )[0]
    assert ":start" in spark and ":as_of" in spark and "$" not in spark
