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


def test_committed_entries_are_synced_to_disk_within_the_bound(db: Path) -> None:
    """A committed entry survives the server being killed at once; on the disk itself (a power
    loss) it is within AUDIT_SYNC_SECONDS: the writer syncs the journal that soon after."""
    import time

    from api.conftest import settings_for
    from sway.api.state import AUDIT_SYNC_SECONDS, AuditEntry, ServiceState

    state = ServiceState(settings_for(db, usage_flush_interval=3600))
    state.start()
    try:
        assert state._journal is not None
        synced: list[float] = []
        real_sync = state._journal.sync

        def counting_sync() -> None:
            synced.append(time.monotonic())
            real_sync()

        state._journal.sync = counting_sync  # type: ignore[method-assign]
        written = time.monotonic()
        state.record(AuditEntry(actor="k", action="read.account", subject="twitter:1"))
        deadline = written + AUDIT_SYNC_SECONDS + 2.0
        while not synced and time.monotonic() < deadline:
            time.sleep(0.05)
        assert synced, "the journal was never synced"
        assert synced[0] - written <= AUDIT_SYNC_SECONDS + 0.5
    finally:
        state.stop()
