from __future__ import annotations

import base64
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sway.errors import SourceError
from sway.events import Account
from sway.sources.base import Rejected
from sway.store import Store
from sway.store.ingest import BATCH_SIZE, ingest_path, ingest_records
from sway.store.spool import leftover_spools, spool_root

HEADER = "network,event_id,ts,actor,action,target,content_id,parent_id,text\n"


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def rows(n: int, start: int = 0) -> list[str]:
    return [
        f"x,{i},2024-01-01T00:00:00Z,a{i % 7},like,b{i % 3},p{i % 5},,"
        for i in range(start, start + n)
    ]


def count(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM events"))


def snapshot(store: Store) -> list[tuple[object, ...]]:
    return store.rows("SELECT * EXCLUDE (ingest_id) FROM events ORDER BY network, event_id")


def test_ingest_counts_new_and_duplicates(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [*rows(10), *rows(2)])
    summary = ingest_path(store, path)
    assert (summary.new, summary.duplicates, summary.rejected) == (10, 2, 0)
    assert count(store) == 10


def test_reingest_and_overlap_add_nothing_twice(store: Store, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", rows(100))
    ingest_path(store, first)
    before = snapshot(store)
    again = ingest_path(store, first)
    assert (again.new, again.duplicates) == (0, 100)
    assert snapshot(store) == before
    overlap = write_csv(tmp_path / "b.csv", rows(100, start=50))
    summary = ingest_path(store, overlap)
    assert (summary.new, summary.duplicates) == (50, 50)
    assert count(store) == 150
    distinct = store.scalar("SELECT count(DISTINCT (network, event_id)) FROM events")
    assert distinct == 150


def test_bad_row_stores_nothing_and_names_line_and_field(store: Store, tmp_path: Path) -> None:
    ingest_path(store, write_csv(tmp_path / "ok.csv", rows(5)))
    before = snapshot(store)
    bad = write_csv(tmp_path / "bad.csv", [*rows(1000, start=100), "x,bad,2024-13-01,a,like,b,,,"])
    with pytest.raises(SourceError) as info:
        ingest_path(store, bad)
    assert str(info.value).startswith(f"{bad}:1002: ts: '2024-13-01' is not an ISO 8601 instant")
    assert snapshot(store) == before
    assert store.scalar("SELECT count(*) FROM ingests") == 1


def test_skip_bad_writes_rejects_and_ingests_the_rest(store: Store, tmp_path: Path) -> None:
    bad = write_csv(
        tmp_path / "bad.csv", [*rows(3), "x,9,2024-01-01T00:00:00Z,a,boo,b,,,", *rows(2, 3)]
    )
    rejects = tmp_path / "rejects.tsv"
    with rejects.open("w") as fh:
        summary = ingest_path(store, bad, rejects=fh)
    assert (summary.new, summary.rejected) == (5, 1)
    [line] = rejects.read_text().splitlines()
    assert line.startswith(f"{bad}:5: action: expected one of")
    assert line.endswith("x,9,2024-01-01T00:00:00Z,a,boo,b,,,")


def test_failure_in_the_middle_rolls_back(store: Store) -> None:
    from sway.events import make_event

    def records():  # type: ignore[no-untyped-def]
        for i in range(120_000):  # more than two staging batches
            yield make_event(
                {
                    "network": "x",
                    "event_id": str(i),
                    "ts": "2024-01-01T00:00:00Z",
                    "actor": "a",
                    "action": "like",
                    "target": "b",
                }
            )
        raise SourceError("boom", path="f", line=1)

    with pytest.raises(SourceError, match="boom"):
        ingest_records(store, records(), source="f", format="events", sha256="0")
    assert count(store) == 0
    # The connection is usable afterwards, and a later ingest works.
    ingest_records(store, iter([]), source="g", format="events", sha256="1")
    assert store.scalar("SELECT count(*) FROM ingests") == 1


def test_rejected_without_skip_aborts(store: Store) -> None:
    error = SourceError("bad", path="f", line=3, field="ts")
    with pytest.raises(SourceError, match="f:3: ts: bad"):
        ingest_records(store, iter([Rejected(error)]), source="f", format="x", sha256="0")


def test_accounts_merge_newest_non_empty_fields(store: Store) -> None:
    first = [Account("x", "1", handle="ada", followers=10), Account("x", "1", display_name="Ada")]
    ingest_records(store, iter(first), source="a", format="x", sha256="a")
    ingest_records(
        store, iter([Account("x", "1", followers=12)]), source="b", format="x", sha256="b"
    )
    assert store.rows("SELECT handle, display_name, followers FROM accounts") == [
        ("ada", "Ada", 12)
    ]


def test_folder_of_files_is_one_transaction(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "dump"
    folder.mkdir()
    write_csv(folder / "a.csv", rows(10))
    (folder / "README.md").write_text("documentation, skipped")
    write_csv(folder / "b.csv", [*rows(10, 10), "x,bad,nope,a,like,b,,,"])
    with pytest.raises(SourceError, match=r"b\.csv:12: ts"):
        ingest_path(store, folder)
    assert count(store) == 0
    (folder / "b.csv").write_text(HEADER + "".join(r + "\n" for r in rows(10, 10)))
    assert ingest_path(store, folder).new == 20


def _big_csv(path: Path, n: int) -> None:
    with path.open("w") as fh:
        fh.write(HEADER)
        for i in range(n):
            fh.write(
                f"x,{i},2024-01-01T00:00:{i % 60:02d}Z,a{i % 1000},reply,b{i % 97},c{i},p{i % 500},some text {i}\n"
            )


@pytest.mark.slow
def test_kill_9_in_the_middle_leaves_all_or_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        ingest_path(store, write_csv(tmp_path / "first.csv", rows(10, start=10_000_000)))
    big = tmp_path / "big.csv"
    n = 400_000
    _big_csv(big, n)
    cmd = [sys.executable, "-m", "sway.cli", "--db", str(db), "ingest", "-q", str(big)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.0)
    assert proc.poll() is None, "ingest finished before it could be killed; use a bigger file"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store.open(db) as store:
        stored = count(store)
        assert stored in (10, 10 + n)
        assert store.scalar("SELECT count(*) FROM ingests") in (1, 2)
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert done.returncode == 0
    with Store.open(db) as store:
        assert count(store) == 10 + n
        assert store.scalar("SELECT count(DISTINCT event_id) FROM events") == 10 + n


@pytest.mark.slow
def test_kill_9_while_spooling_leaves_raw_input_only_until_the_next_writer(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        ingest_path(store, write_csv(tmp_path / "first.csv", rows(10, start=10_000_000)))
    # Random text, so that it stays recognisable in the spool's compressed Parquet.
    rng = random.Random(18)
    texts = [base64.b64encode(rng.randbytes(18)).decode() for _ in range(400_000)]
    big = tmp_path / "big.csv"
    with big.open("w") as fh:
        fh.write(HEADER)
        for i, text in enumerate(texts):
            fh.write(f"x,{i},2024-01-01T00:00:00Z,a{i % 1000},post,,c{i},,{text}\n")
    root = spool_root(db)
    cmd = [sys.executable, "-m", "sway.cli", "--db", str(db), "ingest", "-q", str(big)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    spooled: Path | None = None
    deadline = time.monotonic() + 60
    # Wait for the first batch in the spool (the Parquet file grows by a row group per batch).
    while spooled is None and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
        files = [f for f in root.glob("ingest-*/events.parquet") if f.stat().st_size > 2 << 20]
        spooled = files[0] if files else None
    assert proc.poll() is None, "ingest finished before it could be killed; use a bigger file"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert spooled is not None, "the input never showed up in the spool"
    data = spooled.read_bytes()
    seen = [t.encode() for t in texts[:BATCH_SIZE] if t.encode() in data]
    assert seen, "the spool does not hold the input"

    def holding(raw: bytes) -> list[Path]:
        return [
            p for p in tmp_path.rglob("*") if p.is_file() and p != big and raw in p.read_bytes()
        ]

    # The kill left the raw input in the store's spool folder, and only there.
    assert spooled.parent.parent == root
    assert holding(seen[0]) == [spooled]
    with Store.open(db, read_only=True) as store:
        assert store.spools_removed == 0  # readers only look
    assert leftover_spools(db) == [spooled.parent]
    with Store.open(db) as store:
        assert store.spools_removed == 1
        assert count(store) == 10
        assert store.scalar("SELECT count(*) FROM ingests") == 1
    assert list(root.iterdir()) == []
    assert holding(seen[0]) == []
