"""Withdrawn runs (sway.store.runs.withdraw_run): kept as they were, listed and marked, never
the latest, left out of histories and of day/week/month changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sway.errors import ConfigError, ScoringError
from sway.privacy import check, forget
from sway.store import Store
from sway.store.people import AccountRef, link
from sway.store.queries import score_history, serving_accounts
from sway.store.runs import (
    account_history,
    changes,
    get_run,
    list_runs,
    person_history,
    withdraw_run,
    withdrawn_runs,
)

from .test_runs import counts, dump, load, run, toy_events
from .toy import AS_OF, ev

DAYS_AGO = (31, 8, 1, 0)


@pytest.fixture
def four_runs(store: Store) -> Store:
    """Runs of one series 31, 8, 1 and 0 days before AS_OF; ``ada`` links t:a and m:c."""
    load(store, toy_events())
    link(store, "ada", [AccountRef("t", "a"), AccountRef("m", "c")])
    load(store, [ev(f"v{i}", "like", "a", content_id="a-p0", days_ago=35 + i) for i in range(5)])
    for days in DAYS_AGO:
        run(store, as_of=AS_OF - timedelta(days=days))
    return store


def _run_at(store: Store, days: int) -> str:
    (found,) = [r.run_id for r in list_runs(store) if r.as_of == AS_OF - timedelta(days=days)]
    return found


def test_a_withdrawn_run_keeps_its_rows_and_is_listed_marked(four_runs: Store) -> None:
    latest = get_run(four_runs)
    assert latest.as_of == AS_OF and latest.withdrawal is None
    before, rows = counts(four_runs), dump(four_runs, latest.run_id)
    got = withdraw_run(four_runs, latest.run_id[:10], reason="  bad import  ", by="ops")
    assert got.run_id == latest.run_id
    assert got.withdrawal is not None and got.withdrawal.reason == "bad import"
    assert got.withdrawal.withdrawn_by == "ops"
    # Never rewritten: every published row is still there, bit for bit.
    assert counts(four_runs) == before and dump(four_runs, latest.run_id) == rows
    listed = list_runs(four_runs)
    assert listed[0].run_id == latest.run_id and len(listed) == 4
    assert [r.withdrawn for r in listed] == [True, False, False, False]
    assert listed[0].as_dict()["withdrawn"]["reason"] == "bad import"
    assert listed[1].as_dict()["withdrawn"] is None
    # Still readable by its id, marked.
    assert get_run(four_runs, latest.run_id).withdrawn
    assert [r.run_id for r in withdrawn_runs(four_runs)] == [latest.run_id]


def test_the_latest_run_skips_withdrawn_runs(four_runs: Store) -> None:
    newest, day_before = _run_at(four_runs, 0), _run_at(four_runs, 1)
    withdraw_run(four_runs, newest, reason="wrong window", by="ops")
    assert get_run(four_runs).run_id == day_before
    # The served index stands in for the withdrawn run, and knows which it stands in for.
    assert [r.run_id for r in withdrawn_runs(four_runs, newer_than=AS_OF - timedelta(1))] == [
        newest
    ]
    assert withdrawn_runs(four_runs, newer_than=AS_OF) == []
    for days in DAYS_AGO[:-1]:
        withdraw_run(four_runs, _run_at(four_runs, days), reason="all wrong", by="ops")
    with pytest.raises(ScoringError, match="every published run is withdrawn"):
        get_run(four_runs)


def test_histories_and_changes_leave_withdrawn_runs_out(four_runs: Store) -> None:
    series = get_run(four_runs).series
    full = account_history(four_runs, "t", "a", series=series)
    assert [h["as_of"] for h in full] == [AS_OF - timedelta(days=d) for d in DAYS_AGO]
    now, month, week = full[3]["score"], full[0]["score"], full[1]["score"]
    assert len({now, month, week}) == 3  # the check below could not pass by accident
    withdraw_run(four_runs, _run_at(four_runs, 1), reason="duplicate", by="ops")
    history = account_history(four_runs, "t", "a", series=series)
    assert [h["as_of"] for h in history] == [AS_OF - timedelta(days=d) for d in (31, 8, 0)]
    # The day change is measured against the latest run at least a day earlier that stands:
    # the one 8 days earlier, as the week change is.
    delta = changes(history, AS_OF)
    assert delta["day"] == pytest.approx(now - week)
    assert delta["week"] == pytest.approx(now - week)
    assert delta["month"] == pytest.approx(now - month)
    assert len(person_history(four_runs, "ada", series=series)) == 3
    assert [h["as_of"] for h in score_history(four_runs, network="t", account_id="a")] == [
        h["as_of"] for h in history
    ]
    # What the service serves computes the same changes.
    served = serving_accounts(four_runs, get_run(four_runs).run_id, series=series).to_pylist()
    (a,) = [r for r in served if (r["network"], r["account_id"]) == ("t", "a")]
    assert (a["day"], a["week"], a["month"]) == pytest.approx(
        (delta["day"], delta["week"], delta["month"])
    )


def test_a_withdrawal_is_not_redone_and_needs_a_reason(four_runs: Store) -> None:
    latest = get_run(four_runs).run_id
    with pytest.raises(ConfigError, match="--reason"):
        withdraw_run(four_runs, latest, reason=" ", by="ops")
    with pytest.raises(ScoringError, match="no run"):
        withdraw_run(four_runs, "nope", reason="x", by="ops")
    withdraw_run(four_runs, latest, reason="first", by="ops")
    with pytest.raises(ScoringError, match=r"already withdrawn .* by ops: first"):
        withdraw_run(four_runs, latest, reason="second", by="someone else")
    assert get_run(four_runs, latest).withdrawal.reason == "first"  # type: ignore[union-attr]


def test_a_failed_audit_leaves_no_withdrawal(four_runs: Store) -> None:
    latest = get_run(four_runs).run_id

    def broken_audit(_: object) -> None:
        raise RuntimeError("audit log unavailable")

    with pytest.raises(RuntimeError):
        withdraw_run(four_runs, latest, reason="x", by="ops", audit=broken_audit)
    assert not get_run(four_runs, latest).withdrawn and get_run(four_runs).run_id == latest


def test_an_erasure_scrubs_a_reason_that_names_the_erased(four_runs: Store) -> None:
    load(four_runs, [ev("spammer01", "like", "a", content_id="a-p1")])
    latest = get_run(four_runs).run_id
    withdraw_run(four_runs, latest, reason="inflated by @spammer01", by="ops")
    forget(four_runs, accounts=["t:spammer01"])
    assert get_run(four_runs, latest).withdrawal.reason == "[erased]"  # type: ignore[union-attr]
    report = check(four_runs)
    assert report.ok, report.problems
    assert "every withdrawal names a published run" in report.checked
