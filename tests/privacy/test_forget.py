"""Erasure: ingest, score, forget, re-ingest, re-score; the account is absent everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.privacy.conftest import (
    AS_OF,
    ERASEE,
    ERASEE_HANDLE,
    ERASEE_ID,
    network_records,
    run_cli,
)

from sway.errors import ConfigError
from sway.privacy import check, export_person, forget
from sway.store import Store
from sway.store.ingest import ingest_records

NEEDLES = (ERASEE_ID.encode(), ERASEE_HANDLE.encode(), ERASEE_HANDLE.lower().encode())


def hits_in_files(folder: Path) -> list[str]:
    """Every file under ``folder`` whose raw bytes contain the erasee's id or handle."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path.name}: {n.decode()}" for n in NEEDLES if n in data.lower()]
    return found


def hits_in_tables(store: Store) -> list[str]:
    """Every (table, column) whose text holds the erasee's id or handle, in any row."""
    columns = store.rows(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND data_type NOT IN ('BIGINT', 'DOUBLE', 'BOOLEAN', "
        "'INTEGER', 'DATE', 'TIMESTAMP WITH TIME ZONE')"
    )
    found = []
    for table, column in columns:
        n = store.scalar(
            f'SELECT count(*) FROM "{table}" WHERE contains(lower(CAST("{column}" AS VARCHAR)), ?) '
            f'OR contains(lower(CAST("{column}" AS VARCHAR)), ?)',
            [ERASEE_ID, ERASEE_HANDLE.lower()],
        )
        if n:
            found.append(f"{table}.{column}: {n}")
    return found


def test_the_network_names_the_erasee_everywhere_before(network_db: Path) -> None:
    # The check below is only worth something if the erasee is really there to start with.
    with Store.open(network_db, read_only=True) as store:
        tables = {h.split(".")[0] for h in hits_in_tables(store)}
    assert {"accounts", "events", "scores", "score_details", "person_accounts"} <= tables
    assert {"score_top_reactors", "topic_endorsements", "score_runs", "post_topics"} <= tables
    assert hits_in_files(network_db.parent)


def test_forget_reingest_rescore_leaves_no_trace(network_db: Path) -> None:
    with Store.open(network_db) as store:
        before_events = int(store.scalar("SELECT count(*) FROM events"))
        report = forget(store, accounts=[ERASEE])
        assert report.accounts == 1 and report.runs
        assert report.counts["scores"] >= 1 and report.counts["events.anonymised"] > 0
        assert hits_in_tables(store) == []
        # Others' reactions to and from the erasee stay, anonymous: only the erasee's own
        # posts (7) went.
        assert int(store.scalar("SELECT count(*) FROM events")) == before_events - 7
        assert store.scalar("SELECT count(*) FROM erasures") == 1
        assert check(store).ok
    assert hits_in_files(network_db.parent) == []

    with Store.open(network_db) as store:
        summary = ingest_records(store, network_records(), source="net", format="test", sha256="1")
        # Everything comes back as a duplicate or is kept out; nothing new about the erasee.
        assert summary.new == 0 and summary.withheld == 7
        assert hits_in_tables(store) == []
    run_cli(network_db, "score", "--as-of", "2024-04-11T00:00:00Z")
    run_cli(network_db, "topics", "compute")
    with Store.open(network_db, read_only=True) as store:
        assert hits_in_tables(store) == []
        assert int(store.scalar("SELECT count(*) FROM score_runs")) == 3
        assert check(store).ok
    assert hits_in_files(network_db.parent) == []


def test_others_keep_the_reactions_the_erasee_gave(network_db: Path) -> None:
    def others(store: Store) -> dict[str, float]:
        return {
            str(a): float(r)
            for a, r in store.rows(
                "SELECT account_id, reactions_given FROM score_details WHERE account_id <> ?",
                [ERASEE_ID],
            )
        }

    with Store.open(network_db) as store:
        before = others(store)
        forget(store, accounts=[ERASEE])
    run_cli(network_db, "score", "--as-of", AS_OF)
    with Store.open(network_db, read_only=True) as store:
        run = store.scalar("SELECT run_id FROM score_runs ORDER BY created_at DESC LIMIT 1")
        anonymous = store.scalar(
            "SELECT sum(anonymous_reactions) FROM score_details WHERE run_id = ?", [run]
        )
        assert anonymous > 0
        # What each other account gave is unchanged: the erasure took nothing of theirs.
        after = {
            str(a): float(r)
            for a, r in store.rows(
                "SELECT account_id, reactions_given FROM score_details WHERE run_id = ?", [run]
            )
        }
    assert after == pytest.approx({a: before[a] for a in after})


def test_forget_a_person_takes_every_account(network_db: Path) -> None:
    with Store.open(network_db) as store:
        report = forget(store, person="erasee")
        assert report.accounts == 2 and report.people == 1
        assert store.scalar("SELECT count(*) FROM people WHERE person_id = 'erasee'") == 0
        assert store.scalar("SELECT count(*) FROM accounts WHERE account_id = '1001'") == 0
        assert store.scalar("SELECT count(*) FROM person_scores WHERE person_id = 'erasee'") == 0


def test_forget_by_handle_and_again_is_harmless(network_db: Path) -> None:
    with Store.open(network_db) as store:
        first = forget(store, accounts=[f"twitter:@{ERASEE_HANDLE.upper()}"])
        assert first.accounts == 1
        again = forget(store, accounts=[ERASEE])
        assert again.accounts == 0 and again.counts == {}


def test_forget_unknown_is_a_clear_error(network_db: Path) -> None:
    with Store.open(network_db) as store:
        with pytest.raises(ConfigError, match="no account twitter:nobody"):
            forget(store, accounts=["twitter:nobody"])
        with pytest.raises(ConfigError, match="no person 'nobody'"):
            forget(store, person="nobody")


def test_export_person_has_everything_then_nothing(network_db: Path) -> None:
    with Store.open(network_db) as store:
        data = export_person(store, "erasee")
        assert {a["account_id"] for a in data["accounts"]} == {ERASEE_ID, "1001"}
        assert data["scores"] and data["events_acted"] and data["events_received"]
        assert data["endorsements"] and data["person_scores"]
        assert data["visibility"] == {"subject": "erasee", "public": False, "chosen": False}
        forget(store, person="erasee")
        with pytest.raises(ConfigError):
            export_person(store, "erasee")


def test_cli_forget_export_and_audit(network_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "erasee.json"
    run_cli(network_db, "export-person", "erasee", "--output", str(out))
    assert ERASEE_HANDLE in out.read_text(encoding="utf-8")
    assert "privacy.export" in run_cli(network_db, "audit")
    assert "erased 1 account" in run_cli(network_db, "forget", "--yes", ERASEE)
    log = run_cli(network_db, "audit", "--action", "privacy")
    assert "privacy.forget" in log and ERASEE_ID not in log
    assert "ok (schema version" in run_cli(network_db, "check")


def test_the_persons_own_key_is_revoked_by_the_erasure(network_db: Path) -> None:
    secret = run_cli(network_db, "apikey", "create", "--name", "own", "--person", "erasee").strip()
    key_id = secret.split("_")[1]
    with Store.open(network_db) as store:
        assert store.scalar("SELECT person_id FROM api_keys WHERE key_id = ?", [key_id]) == "erasee"
        forget(store, person="erasee")
        row = store.rows("SELECT person_id, revoked_at FROM api_keys WHERE key_id = ?", [key_id])
    assert row[0][0] is None and row[0][1] is not None
