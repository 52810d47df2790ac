"""``kill -9`` during scoring and erasure: the store opens, passes ``sway check``, has lost
nothing committed, and a re-run completes. (Ingest: ``tests/test_ingest.py``.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sway.privacy import check
from sway.store import Store
from sway.store.db import REWRITE_KEY
from sway.store.ingest import ingest_path

#: A store big enough that scoring and erasure take a while: 150,000 events, 3,000 accounts.
EVENTS = 150_000
VICTIM = "u7"
DELAYS = (1.0, 2.2)


def sway(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "sway.cli", "--db", str(db), *args]


def build(folder: Path) -> Path:
    csv = folder / "events.csv"
    with csv.open("w", encoding="utf-8") as fh:
        fh.write("network,event_id,ts,actor,action,target,content_id,parent_id,text\n")
        for i in range(EVENTS):
            actor, target = f"u{(i * 7) % 3000}", f"u{(i * 13 + 1) % 3000}"
            day = 1 + i % 28
            if i % 5 == 0:
                fh.write(
                    f"x,p{i},2024-02-{day:02d}T10:00:00Z,{actor},post,,p{i},,hello @{target}\n"
                )
            else:
                fh.write(f"x,l{i},2024-02-{day:02d}T11:00:00Z,{actor},like,{target},p{i - 1},,\n")
    db = folder / "s.duckdb"
    with Store.open(db) as store:
        ingest_path(store, csv)
    return db


def killed_after(cmd: list[str], delay: float) -> bool:
    """Run ``cmd``, SIGKILL it after ``delay`` s; whether it was still running then."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    running = proc.poll() is None
    if running:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return running


def sound(db: Path) -> Store:
    """The store opens (finishing any interrupted erasure) and passes the check."""
    store = Store.open(db)
    report = check(store)
    assert report.ok, report.problems
    return store


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("crash"))


@pytest.mark.slow
def test_kill_9_during_scoring(base: Path, tmp_path: Path) -> None:
    kills = 0
    for delay in DELAYS:
        db = tmp_path / f"score-{delay}.duckdb"
        db.write_bytes(base.read_bytes())
        kills += killed_after(sway(db, "score", "-q", "--as-of", "2024-03-01T00:00:00Z"), delay)
        with sound(db) as store:
            assert store.scalar("SELECT count(*) FROM events") == EVENTS
            runs = int(store.scalar("SELECT count(*) FROM score_runs"))
            assert runs in (0, 1)
        subprocess.run(sway(db, "score", "-q", "--as-of", "2024-03-01T00:00:00Z"), check=True)
        with sound(db) as store:
            assert store.scalar("SELECT count(*) FROM score_runs") == 1
            assert store.scalar("SELECT count(*) FROM scores") == 3000
    assert kills >= 1, "scoring always finished before the kill; use more events"


@pytest.mark.slow
def test_kill_9_during_erasure(base: Path, tmp_path: Path) -> None:
    kills = 0
    for delay in DELAYS:
        db = tmp_path / f"forget-{delay}.duckdb"
        db.write_bytes(base.read_bytes())
        kills += killed_after(sway(db, "forget", "--yes", f"x:{VICTIM}"), delay)
        with sound(db) as store:
            left = int(store.scalar("SELECT count(*) FROM events"))
            named = int(
                store.scalar(
                    "SELECT count(*) FROM events WHERE actor = ? OR target = ?", [VICTIM, VICTIM]
                )
            )
            # All or nothing: either untouched, or erased with only the victim's posts gone.
            assert (left, named > 0) in ((EVENTS, True), (left, False))
            assert not store.rewrite_pending()
        subprocess.run(sway(db, "forget", "--yes", f"x:{VICTIM}"), check=True)
        with sound(db) as store:
            assert (
                store.scalar(
                    "SELECT count(*) FROM events WHERE actor = ? OR target = ?", [VICTIM, VICTIM]
                )
                == 0
            )
    assert kills >= 1, "erasure always finished before the kill; use more events"


def test_an_interrupted_rewrite_is_finished_on_the_next_open(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        store.con.execute("INSERT INTO settings VALUES (?, '1')", [REWRITE_KEY])
    # What a kill between the copy and the rename leaves: a half-written copy beside the store.
    (tmp_path / "s.duckdb.rewrite").write_bytes(b"half a copy")
    with Store.open(db, read_only=True) as store:
        assert check(store).problems
    with sound(db) as store:
        assert not store.rewrite_pending()
    assert not (tmp_path / "s.duckdb.rewrite").exists()
