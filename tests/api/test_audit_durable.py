"""An audited read is on disk before its answer leaves: a server killed right after answering
loses none, and moving the journal into the store twice stores each entry once."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path

import httpx

from api.conftest import live_serve, make_keys
from sway.privacy import audit_entries, drain_journal
from sway.store import Store
from sway.store.audit_journal import AuditJournal, journal_path


def test_reads_answered_before_a_kill_are_in_the_audit_log(db: Path) -> None:
    keys = make_keys(db)
    answered = 0
    # Moved into the store only every hour: whatever reaches the log came from the journal.
    with live_serve(db, SWAY_SERVE_USAGE_FLUSH_INTERVAL="3600") as (proc, url, _lines):
        with httpx.Client(base_url=url, timeout=30) as client:
            for n in range(40):
                response = client.get(
                    "/v1/accounts/lookup",
                    params={"network": "twitter", "handle": "Breaking911", "n": str(n)},
                    headers=keys.header("read"),
                )
                assert response.status_code == 200
                answered += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert journal_path(db).exists()
    with Store.open(db) as store:
        assert drain_journal(store) == answered
        rows = audit_entries(store, action="read.account", limit=1000)
    queries = {r["detail"]["query"] for r in rows}
    assert {f"network=twitter&handle=Breaking911&n={n}" for n in range(answered)} <= queries


def test_a_move_interrupted_before_the_journal_forgets_stores_each_entry_once(db: Path) -> None:
    journal = AuditJournal(db)
    at = datetime(2024, 1, 1, tzinfo=UTC)
    journal.append(
        {"actor": "k", "action": "read.account", "subject": f"twitter:{n}", "at": at}
        for n in range(5)
    )
    last, pending = journal.pending()
    with Store.open(db) as store:
        before = len(audit_entries(store, limit=100_000))

        class Interrupted(AuditJournal):
            def done(self, last: int) -> None:  # the crash: the store committed, this never ran
                pass

        crashed = Interrupted(db)
        assert drain_journal(store, crashed) == 5
        assert journal.count() == 5  # still journaled
        assert drain_journal(store, journal) == 0  # moved again: nothing new
        assert journal.count() == 0
        after = audit_entries(store, limit=100_000)
    assert len(after) == before + 5
    assert sorted(r["subject"] for r in after[:5]) == [f"twitter:{n}" for n in range(5)]
    assert last and len(pending) == 5
    # Nothing drained stays in the journal's bytes.
    for path in (journal_path(db), journal_path(db).with_name(journal_path(db).name + "-wal")):
        if path.exists():
            assert b"twitter:3" not in path.read_bytes()
