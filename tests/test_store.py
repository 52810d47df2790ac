from __future__ import annotations

from pathlib import Path

import pytest

from sway.errors import StoreError
from sway.store import SCHEMA_VERSION, Store
from sway.store.db import migrations


def test_new_store_is_at_the_latest_schema(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.duckdb") as store:
        assert store.schema_version() == SCHEMA_VERSION == len(migrations())
        tables = {r[0] for r in store.rows("SELECT table_name FROM information_schema.tables")}
    assert {
        "events",
        "accounts",
        "people",
        "person_accounts",
        "ingests",
        "score_runs",
        "scores",
        "person_scores",
        "tombstones",
        "schema_version",
    } <= tables


def test_reopening_does_not_reapply_migrations(tmp_path: Path) -> None:
    path = tmp_path / "a.duckdb"
    Store.open(path).close()
    with Store.open(path) as store:
        assert store.scalar("SELECT count(*) FROM schema_version") == SCHEMA_VERSION


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.duckdb"
    with Store.open(path) as store:
        store.con.execute("INSERT INTO schema_version VALUES (999, 'future', now())")
    with pytest.raises(StoreError, match="newer than this Sway"):
        Store.open(path)


def test_read_only_open_of_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such store"):
        Store.open(tmp_path / "none.duckdb", read_only=True)


def test_migrations_are_numbered_without_gaps() -> None:
    assert [v for v, _, _ in migrations()] == list(range(1, len(migrations()) + 1))
