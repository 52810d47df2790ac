from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sway.errors import StoreError
from sway.store import SCHEMA_VERSION, Store
from sway.store.db import LOCK_WAIT_ENV, migrations


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


_HOLD_LOCK = """
import sys, time
from sway.store import Store
with Store.open(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@contextlib.contextmanager
def _hold_lock(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the store's write lock for ``seconds``."""
    with subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None
        try:
            assert holder.stdout.readline().strip() == "locked"
            yield holder
        finally:
            holder.kill()


def test_open_waits_for_another_process_lock(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    with _hold_lock(path, 3.0):
        with pytest.raises(StoreError, match="locked by another process"):
            Store.open(path, lock_wait=0)
        with Store.open(path, lock_wait=60) as store:
            assert store.schema_version() == SCHEMA_VERSION


def test_open_gives_up_after_lock_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    with _hold_lock(path, 60.0):
        monkeypatch.setenv(LOCK_WAIT_ENV, "0.2")
        with pytest.raises(StoreError, match=f"locked by another process.*{LOCK_WAIT_ENV}"):
            Store.open(path)


def test_lock_wait_must_be_a_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LOCK_WAIT_ENV, "soon")
    with pytest.raises(StoreError, match=f"{LOCK_WAIT_ENV}='soon'"):
        Store.open(tmp_path / "s.duckdb")
