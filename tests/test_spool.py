"""Spool folders: private, removed on exit, and leftovers removed unless a live process owns them."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sway.errors import StoreError
from sway.store import Store, spool
from sway.store.spool import leftover_spools, new_spool, remove_spools, spool_root

#: A process that makes a spool, puts raw input in it, says where, and waits to be killed.
HOLDER = """
import sys, time
from sway.store.spool import new_spool
with new_spool(sys.argv[1], "ingest") as folder:
    (folder / "events.parquet").write_bytes(b"raw input")
    print(folder, flush=True)
    time.sleep(60)
"""


def test_the_spool_root_is_a_private_folder_beside_the_store(tmp_path: Path) -> None:
    root = spool_root(tmp_path / "s.duckdb")
    assert root == tmp_path / ".s.duckdb.spool" and root.is_dir()
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_a_spool_is_removed_when_its_with_ends_whatever_happens(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with new_spool(db, "ingest") as folder:
        (folder / "events.parquet").write_bytes(b"raw")
        assert folder.parent == spool_root(db)
    assert not folder.exists()
    with pytest.raises(RuntimeError), new_spool(db, "api") as folder:
        (folder / "body").write_bytes(b"raw")
        raise RuntimeError("boom")
    assert not folder.exists()
    assert list(spool_root(db).iterdir()) == []


def test_remove_spools_removes_a_planted_leftover_and_leaves_other_files_alone(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.duckdb"
    root = spool_root(db)
    # What a killed ingest leaves: a spool whose lock nobody holds, and one whose lock is gone.
    (root / "ingest-0123456789abcdef").mkdir()
    (root / "ingest-0123456789abcdef" / "events.parquet").write_bytes(b"raw input")
    (root / "ingest-0123456789abcdef.lock").touch()
    (root / "api-fedcba9876543210").mkdir()
    (root / "api-fedcba9876543210" / "upload.csv").write_bytes(b"raw input")
    (root / "api-aaaaaaaaaaaaaaaa.lock").touch()  # killed before its folder was made
    # What Sway did before spools had their own folder.
    legacy = tmp_path / ".s.duckdb.ingest-k3j2h1"
    legacy.mkdir()
    (legacy / "events.parquet").write_bytes(b"raw input")
    # Not ours: other stores' spools, the store's own files, the user's files.
    others = [
        tmp_path / ".t.duckdb.ingest-k3j2h1" / "events.parquet",
        tmp_path / ".t.duckdb.spool" / "ingest-0123456789abcdef" / "events.parquet",
        tmp_path / "s.duckdb.ingest-notes" / "x.txt",
        tmp_path / "s.duckdb.wal",
        tmp_path / "events.csv",
    ]
    for other in others:
        other.parent.mkdir(parents=True, exist_ok=True)
        other.write_bytes(b"keep")
    assert sorted(leftover_spools(db)) == sorted(
        [root / "ingest-0123456789abcdef", root / "api-fedcba9876543210", legacy]
    )
    assert remove_spools(db) == 3
    assert list(root.iterdir()) == [] and not legacy.exists()
    assert all(other.read_bytes() == b"keep" for other in others)
    assert remove_spools(db) == 0
    assert remove_spools(tmp_path / "never-made.duckdb") == 0


def test_a_spool_in_use_by_a_live_process_is_left_alone_until_it_dies(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        folder = Path(holder.stdout.readline().strip())
        assert remove_spools(db) == 0
        assert leftover_spools(db) == []
        with Store.open(db):  # a writer's open does not take it either
            pass
        assert (folder / "events.parquet").read_bytes() == b"raw input"
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert folder.exists(), "kill -9 leaves the spool behind"
    assert leftover_spools(db) == [folder]
    assert remove_spools(db) == 1
    assert not folder.exists() and list(spool_root(db).iterdir()) == []


def test_a_spool_in_use_by_another_thread_of_this_process_is_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    made, done = threading.Event(), threading.Event()
    seen: list[Path] = []

    def hold() -> None:
        with new_spool(db, "api") as folder:
            seen.append(folder)
            made.set()
            done.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert made.wait(10)
        assert remove_spools(db) == 0 and seen[0].is_dir()
    finally:
        done.set()
        thread.join()
    assert not seen[0].exists()


def test_a_writer_open_removes_leftovers_and_a_read_only_open_does_not(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store.open(db).close()
    leftover = spool_root(db) / "ingest-0123456789abcdef"
    leftover.mkdir()
    with Store.open(db, read_only=True) as store:
        assert store.spools_removed == 0
    assert leftover_spools(db) == [leftover]
    with Store.open(db) as store:
        assert store.spools_removed == 1
    assert leftover_spools(db) == [] and not leftover.exists()


def test_a_spool_root_that_is_not_a_folder_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / ".s.duckdb.spool").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(StoreError, match="spool folder"), new_spool(db, "ingest"):
        pass
    (tmp_path / "elsewhere" / "keep").write_bytes(b"keep")
    assert remove_spools(db) == 0
    assert (tmp_path / "elsewhere" / "keep").exists()


def test_a_spool_whose_lock_a_remover_took_first_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "s.duckdb"
    root = spool_root(db)
    hold = spool._hold
    raced: list[int] = []

    def late(fd: int) -> None:
        if not raced:  # a remover gets in between creating the lock file and locking it
            raced.append(remove_spools(db))
        hold(fd)

    monkeypatch.setattr(spool, "_hold", late)
    with new_spool(db, "ingest") as folder:
        assert raced == [0] and folder.is_dir()
        assert sorted(root.iterdir()) == [folder, root / f"{folder.name}.lock"]
        assert remove_spools(db) == 0 and folder.is_dir()
    assert list(root.iterdir()) == []


def test_check_reports_a_leftover_read_only_and_removes_it_for_writing(tmp_path: Path) -> None:
    from sway.privacy import check, forget

    db = tmp_path / "s.duckdb"
    Store.open(db).close()
    planted = spool_root(db) / "ingest-0123456789abcdef"
    planted.mkdir()
    (planted / "events.parquet").write_bytes(b"raw input")
    with Store.open(db, read_only=True) as store:
        report = check(store)
    assert any("spool folders left by a killed ingest" in p for p in report.problems)
    assert planted.exists()
    with Store(db) as store:  # opened without Store.open's own clean-up: check does it
        report = check(store)
    assert report.ok, report.problems
    assert not planted.exists()
    # An erasure removes them too (they may hold the erased person's raw data).
    planted.mkdir()
    with Store(db) as store:
        store.con.execute(
            "INSERT INTO accounts (network, account_id, handle, updated_at) "
            "VALUES ('t', 'ada_1', 'ada', now())"
        )
        forget(store, accounts=["t:ada_1"])
    assert not planted.exists()
