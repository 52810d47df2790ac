"""Published runs: immutable, versioned, reproducible bit for bit; history is a query."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from sway.engines.duckdb import DuckDBEngine
from sway.errors import ScoringError, StoreError
from sway.events import Event
from sway.scoring import calibration
from sway.scoring import scorer as scorer_module
from sway.scoring.calibration import ReferenceCurve
from sway.scoring.params import ALGORITHM_VERSION
from sway.scoring.scorer import InfluenceScorer
from sway.store import Store
from sway.store.ingest import ingest_records
from sway.store.people import AccountRef, link
from sway.store.runs import (
    account_history,
    account_result,
    changes,
    get_run,
    list_runs,
    people_rows,
    person_accounts_in_run,
    person_history,
    person_network_results,
    person_result,
    run_exists,
    save_run,
    score_rows,
    top_accounts,
    top_people,
)

from .toy import AS_OF, ev, posts

TABLES = (
    "score_runs",
    "scores",
    "score_details",
    "person_scores",
    "person_network_scores",
    "run_person_accounts",
    "score_top_reactors",
    "score_top_posts",
    "reference_curves",
)


def toy_events() -> list[Event]:
    events = posts("a", 3, days_ago=20) + posts("b", 2, days_ago=15)
    events += [ev(f"u{i}", "like", "a", content_id=f"a-p{i % 3}", days_ago=i + 1) for i in range(8)]
    events += [ev("a", "reply", "b", content_id="ra", parent_id="b-p0", days_ago=3)]
    events += [ev(None, "vote", "b", content_id="b-p1", value=2, days_ago=2)]
    events += [ev("b", "mention", "c", days_ago=1, network="m")]
    return events


def load(store: Store, events: list[Event]) -> None:
    ingest_records(store, events, source="toy", format="events", sha256="0")


def run(store: Store, *, as_of=AS_OF, **params) -> tuple[InfluenceScorer, bool]:  # type: ignore[no-untyped-def]
    engine = DuckDBEngine.for_store(store)
    try:
        scorer = InfluenceScorer(**params).fit(engine, as_of=as_of)
    finally:
        engine.close()
    return scorer, save_run(store, scorer, engine=engine.name)


def counts(store: Store) -> dict[str, int]:
    return {t: int(store.scalar(f"SELECT count(*) FROM {t}")) for t in TABLES}


def dump(store: Store, run_id: str) -> list[tuple]:  # type: ignore[type-arg]
    return store.rows(
        "SELECT s.*, d.* FROM scores s JOIN score_details d USING (run_id, network, account_id) "
        "WHERE run_id = ? ORDER BY network, account_id",
        [run_id],
    )


@pytest.fixture
def loaded(store: Store) -> Iterator[Store]:
    load(store, toy_events())
    link(store, "ada", [AccountRef("t", "a"), AccountRef("m", "c")])
    yield store


def test_a_published_run_can_be_read_back(loaded: Store) -> None:
    scorer, written = run(loaded)
    assert written
    info = get_run(loaded)
    assert info.run_id == scorer.plan_.run_id and get_run(loaded, info.run_id[:8]) == info
    assert info.as_of == AS_OF and info.events_used == scorer.summary_["events"] == 16
    assert info.params == scorer.get_params() and info.algorithm_version == ALGORITHM_VERSION
    assert info.watermark is not None and info.max_ingest_id == 1
    row = account_result(loaded, info.run_id, "t", "a")
    assert row is not None and row["score"] == pytest.approx(
        scorer.accounts_.filter(pa.compute.equal(scorer.accounts_["account_id"], "a"))["score"][
            0
        ].as_py()
    )
    assert top_accounts(loaded, info.run_id, limit=2)[0]["account_id"] == "a"
    exported = pa.Table.from_batches(list(score_rows(loaded, info.run_id)))
    assert exported.num_rows == scorer.accounts_.num_rows
    assert exported.column_names[:9] == [
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
    persons = dict(
        zip(exported["account"].to_pylist(), exported["person"].to_pylist(), strict=True)
    )
    assert persons["a"] == "ada" and persons["b"] == "t:b"
    people = pa.Table.from_batches(list(people_rows(loaded, info.run_id)))
    assert people.num_rows == scorer.people_.num_rows
    assert "ada" in people["person"].to_pylist() and "t:a" not in people["person"].to_pylist()
    # Only linked people are stored; an unlinked account is its own person.
    assert loaded.scalar("SELECT count(*) FROM person_scores") == 1
    own = person_result(loaded, info.run_id, "t:b")
    b = account_result(loaded, info.run_id, "t", "b")
    assert own is not None and b is not None
    assert (own["score"], own["accounts"], own["raw"]) == (b["score"], 1, b["raw"])
    assert person_result(loaded, info.run_id, "t:a") is None  # t:a belongs to ada
    assert person_network_results(loaded, info.run_id, "t:b")[0]["score"] == b["score"]
    assert {r["network"] for r in person_network_results(loaded, info.run_id, "ada")} == {"t", "m"}
    assert person_accounts_in_run(loaded, info.run_id, "ada") == [("m", "c"), ("t", "a")]
    ranked = top_people(loaded, info.run_id, limit=100)
    assert len(ranked) == people.num_rows and ranked[0]["person_id"] == "ada"


def test_rerunning_reuses_the_published_run_and_writes_nothing(loaded: Store) -> None:
    first, written = run(loaded)
    before, rows = counts(loaded), dump(loaded, first.plan_.run_id)
    again = InfluenceScorer()
    engine = DuckDBEngine.for_store(loaded)
    plan = again.plan(engine, as_of=AS_OF)
    engine.close()
    assert plan.run_id == first.plan_.run_id and run_exists(loaded, plan.run_id)
    second, written_again = run(loaded)
    assert written and not written_again
    assert counts(loaded) == before and dump(loaded, first.plan_.run_id) == rows
    assert second.accounts_.equals(first.accounts_)


def test_the_same_data_gives_the_same_scores_bit_for_bit(tmp_path: Path) -> None:
    # Two stores, the same events ingested in different orders and batches, 4 DuckDB threads:
    # same run id, same bits.
    rng = random.Random(5)
    events = [
        ev(
            f"u{rng.randrange(300)}",
            rng.choice(["like", "reply", "repost", "mention", "vote"]),
            f"u{int(rng.paretovariate(1.2)) % 300}",
            content_id=f"p{rng.randrange(900)}",
            parent_id=f"p{rng.randrange(900)}",
            days_ago=rng.uniform(0, 89),
            event_id=f"x{i}",
        )
        for i in range(20_000)
    ]
    shuffled = events[:]
    rng.shuffle(shuffled)
    results = []
    for name, batch in (("one", events), ("two", shuffled)):
        with Store.open(tmp_path / f"{name}.duckdb") as store:
            store.con.execute("SET threads = 4")
            half = len(batch) // 2
            load(store, batch[:half])
            load(store, batch[half:])
            scorer, _ = run(store)
            results.append((scorer, dump(store, scorer.plan_.run_id)))
    (a, rows_a), (b, rows_b) = results
    assert a.plan_.run_id == b.plan_.run_id
    assert a.accounts_.equals(b.accounts_)
    assert a.people_.sort_by("person_id").equals(b.people_.sort_by("person_id"))
    assert rows_a == rows_b


def test_new_data_starts_a_new_run_and_leaves_the_old_one_alone(loaded: Store) -> None:
    first, _ = run(loaded)
    rows = dump(loaded, first.plan_.run_id)
    load(loaded, [ev("late", "like", "b", content_id="b-p0", days_ago=5)])
    second, written = run(loaded)
    assert written and second.plan_.run_id != first.plan_.run_id
    assert second.plan_.series == first.plan_.series
    assert dump(loaded, first.plan_.run_id) == rows
    # Linking accounts changes person scores: also a new run.
    link(loaded, "bea", [AccountRef("t", "b")])
    third, written = run(loaded)
    assert written and third.plan_.run_id != second.plan_.run_id


def test_a_new_version_starts_a_new_series(loaded: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = run(loaded)
    monkeypatch.setattr(scorer_module, "ALGORITHM_VERSION", "9.0")
    monkeypatch.setitem(
        calibration.CURVES, "9.0", ReferenceCurve(version="9.0", scale=1.0, shape=1.2)
    )
    second, written = run(loaded)
    assert written and second.plan_.run_id.startswith("9.0-")
    assert second.plan_.series != first.plan_.series
    assert [h["run_id"] for h in account_history(loaded, "t", "a", series=first.plan_.series)] == [
        first.plan_.run_id
    ]
    assert {r.algorithm_version for r in list_runs(loaded)} == {ALGORITHM_VERSION, "9.0"}


def test_a_changed_curve_for_a_published_version_is_refused(
    loaded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(loaded)
    monkeypatch.setitem(
        calibration.CURVES,
        ALGORITHM_VERSION,
        ReferenceCurve(version=ALGORITHM_VERSION, scale=9.0, shape=1.0),
    )
    before = counts(loaded)
    with pytest.raises(StoreError, match="new algorithm version"):
        run(loaded, as_of=AS_OF + timedelta(days=1))
    assert counts(loaded) == before


def test_a_failed_publish_writes_nothing(loaded: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = DuckDBEngine.for_store(loaded)
    scorer = InfluenceScorer().fit(engine, as_of=AS_OF)
    engine.close()
    scorer.top_posts_ = pa.table({"nonsense": [1]})
    with pytest.raises(StoreError):
        save_run(loaded, scorer, engine="duckdb")
    assert all(n == 0 for n in counts(loaded).values())


def test_history_and_day_week_month_changes(loaded: Store) -> None:
    load(loaded, [ev(f"v{i}", "like", "a", content_id="a-p0", days_ago=35 + i) for i in range(5)])
    for days in (31, 8, 1, 0):
        run(loaded, as_of=AS_OF - timedelta(days=days))
    latest = get_run(loaded)
    assert latest.as_of == AS_OF
    history = account_history(loaded, "t", "a", series=latest.series)
    assert [h["as_of"] for h in history] == [AS_OF - timedelta(days=d) for d in (31, 8, 1, 0)]
    delta = changes(history, AS_OF)
    now = history[-1]["score"]
    assert delta["day"] == pytest.approx(now - history[2]["score"])
    assert delta["week"] == pytest.approx(now - history[1]["score"])
    assert delta["month"] == pytest.approx(now - history[0]["score"])
    assert changes(history[:1], history[0]["as_of"]) == {"day": None, "week": None, "month": None}
    assert len(person_history(loaded, "ada", series=latest.series)) == 4
    own = person_history(loaded, "t:b", series=latest.series)
    assert [h["score"] for h in own] == [
        h["score"] for h in account_history(loaded, "t", "b", series=latest.series)
    ]


def test_missing_runs_are_reported(store: Store) -> None:
    with pytest.raises(ScoringError, match="sway score"):
        get_run(store)
    with pytest.raises(ScoringError, match="no run"):
        get_run(store, "nope")
