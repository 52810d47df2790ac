from __future__ import annotations

import base64
import gzip
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conftest import FIXTURES
from sway.cli import cli as sway_cli
from sway.errors import SourceError
from sway.events import Account
from sway.sources.base import Rejected
from sway.store import Store
from sway.store.ingest import BATCH_SIZE, ingest_each, ingest_path, ingest_records
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


# -- each file atomic on its own (sway ingest FOLDER) -------------------------------------

TWARC = FIXTURES / "twitter-api-v2-twarc"
TWEEPY = FIXTURES / "twitter-api-tweepy"
ARCHIVE = FIXTURES / "twitter-archive"
#: Line 8 of twarc's own sample of an interrupted stream is cut short.
STREAM = "streaming_output_with_error.jsonl"
#: A modification time no stored event may have.
MTIME = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)


def cli(db: Path, *args: str) -> Result:
    return CliRunner().invoke(sway_cli, ["--db", str(db), *args])


def copy_tree(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
        os.utime(path, (MTIME.timestamp(), MTIME.timestamp()))
    return target


def stored_events(db: Path) -> list[tuple[object, ...]]:
    with Store.open(db, read_only=True) as store:
        return snapshot(store)


def test_folder_stores_its_good_files_and_names_the_bad_one(tmp_path: Path) -> None:
    folder = copy_tree(TWARC, tmp_path / "twarc")
    db = tmp_path / "s.duckdb"
    result = cli(db, "ingest", str(folder))
    assert result.exit_code == 2
    bad = folder / STREAM
    errors = [line for line in result.stderr.splitlines() if line.startswith("sway: error:")]
    assert errors == [
        f"sway: error: {bad}:8: not valid JSON (unexpected end of data: line 1 column 45 (char 44))"
    ]
    [summary] = result.stdout.splitlines()
    assert summary.endswith(f"; 1 of 8 files rejected, nothing stored from them: {STREAM}")
    # The other seven files are stored exactly as they are on their own; nothing of the bad.
    good = tmp_path / "good"
    shutil.copytree(folder, good)
    (good / STREAM).unlink()
    with Store.open(tmp_path / "good.duckdb") as store:
        alone = ingest_path(store, good)
        expected = snapshot(store)
    assert alone.new > 0 and f"{alone.new:,} new" in summary
    assert stored_events(db) == expected
    with Store.open(db, read_only=True) as store:
        logged = {Path(s).name for (s,) in store.rows("SELECT source FROM ingests")}
    assert logged == {p.name for p in good.glob("*.jsonl")}
    # Again: the same report, nothing stored twice.
    again = cli(db, "ingest", str(folder))
    assert (again.exit_code, again.stderr.count("sway: error:")) == (2, 1)
    assert " 0 new, " in again.stdout
    assert stored_events(db) == expected
    # Repaired (the cut line dropped), the file goes in whole and the rest stays as it was.
    lines = bad.read_bytes().splitlines(keepends=True)
    bad.write_bytes(b"".join(lines[:7] + lines[8:]))
    fixed = cli(db, "ingest", str(folder))
    assert fixed.exit_code == 0, fixed.output
    assert "rejected, nothing stored" not in fixed.stdout
    with Store.open(tmp_path / "whole.duckdb") as store:
        ingest_path(store, folder)
        assert stored_events(db) == snapshot(store)


def test_folder_with_skip_bad_counts_like_one_ingest(tmp_path: Path) -> None:
    folder = copy_tree(TWARC, tmp_path / "twarc")
    rejects = tmp_path / "rejects.tsv"
    result = cli(tmp_path / "s.duckdb", "ingest", "--skip-bad", str(rejects), str(folder))
    assert result.exit_code == 0, result.output
    with Store.open(tmp_path / "one.duckdb") as store, rejects.open("w") as fh:
        whole = ingest_path(store, folder, rejects=fh)
    # Accounts are counted once across files, as one transaction counts them.
    assert result.stdout.strip() == whole.line()
    assert rejects.read_text().startswith(f"{folder / STREAM}:8: not valid JSON")


def test_unreadable_and_unrecognised_files_are_rejected_alone(tmp_path: Path) -> None:
    folder = tmp_path / "dump"
    folder.mkdir()
    write_csv(folder / "a.csv", rows(10))
    (folder / "junk.bin").write_bytes(b"\x00\x01garbage")
    (folder / "c.csv.gz").write_bytes(
        gzip.compress(write_csv(tmp_path / "c.csv", rows(5, 10)).read_bytes())[:-20]
    )
    write_csv(folder / "d.csv", rows(5, 20))
    db = tmp_path / "s.duckdb"
    result = cli(db, "ingest", str(folder))
    assert result.exit_code == 2
    assert "could not recognise the format" in result.stderr
    assert f"sway: error: {folder / 'c.csv.gz'}" in result.stderr
    assert result.stdout.strip().endswith(
        "; 2 of 4 files rejected, nothing stored from them: c.csv.gz, junk.bin"
    )
    with Store.open(db, read_only=True) as store:
        assert sorted(int(i) for (i,) in store.rows("SELECT event_id FROM events")) == [
            *range(10),
            *range(20, 25),
        ]


def test_paths_on_the_command_line_are_independent(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", rows(3))
    bad = write_csv(tmp_path / "b.csv", ["x,1,2024-01-01T00:00:00Z,a,shout,b,,,"])
    last = write_csv(tmp_path / "c.csv", rows(3, 3))
    db = tmp_path / "s.duckdb"
    result = cli(db, "ingest", str(first), str(bad), str(last))
    assert result.exit_code == 2
    assert f"sway: error: {bad}:2: action: expected one of" in result.stderr
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [str(first), str(last)]
    assert len(stored_events(db)) == 6


# -- exact line numbers --------------------------------------------------------------------

#: Characters str.splitlines() takes for line breaks, which are text in every format read here.
NOT_BREAKS = "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"


def _csv_with_bad_byte(path: Path, bad_line: int) -> tuple[Path, int]:
    with path.open("wb") as fh:
        fh.write(HEADER.encode())
        for i in range(2, bad_line):
            text = f"{NOT_BREAKS} row {i} {'x' * (i % 300)}"
            fh.write(f'x,{i},2024-01-01T00:00:00Z,a,post,,,,"{text}"\r\n'.encode())
        fh.write(b'x,bad,2024-01-01T00:00:00Z,a,post,,,,"caf\xe9"\n')
        fh.write(b"x,after,2024-01-01T00:00:00Z,a,post,,,,after\n")
    return path, bad_line


def _jsonl_with_bad_byte(path: Path, bad_line: int) -> tuple[Path, int]:
    with path.open("wb") as fh:
        for i in range(1, bad_line):
            row = {
                "network": "x",
                "event_id": str(i),
                "ts": "2024-01-01T00:00:00Z",
                "actor": "a",
                "action": "post",
                "text": f"{NOT_BREAKS} {i}",
            }
            fh.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
        fh.write(b'{"network": "x", "event_id": "bad", "ts": "2024-01-01T00:00:00Z", ')
        fh.write(b'"actor": "a", "action": "post", "text": "caf\xe9"}\n')
    return path, bad_line


def _v2_document_with_bad_byte(path: Path, bad_line: int) -> tuple[Path, int]:
    # One pretty-printed v2 body (streamed value by value, decoded 1 MiB ahead): the raw
    # characters JSON allows in strings, and the escaped ones it does not.
    tweets = [
        {
            "id": str(1_400_000_000_000_000_000 + i),
            "author_id": "1",
            "created_at": "2021-04-01T00:00:00.000Z",
            "text": f"{i} \u2028\u2029\x85 \x0b\x0c\x1c",
        }
        for i in range(bad_line)
    ]
    lines = json.dumps({"data": tweets}, indent=1, ensure_ascii=False).encode().split(b"\n")
    index = next(i for i in range(bad_line - 1, len(lines)) if b'"author_id"' in lines[i])
    lines[index] = lines[index].replace(b'"1"', b'"\xe9"')
    path.write_bytes(b"\n".join(lines))
    return path, index + 1


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("events.csv", _csv_with_bad_byte),
        ("events.jsonl", _jsonl_with_bad_byte),
        ("body.json", _v2_document_with_bad_byte),
    ],
)
def test_a_bad_byte_is_reported_on_its_own_line(
    store: Store, tmp_path: Path, name: str, make: Any
) -> None:
    path, line = make(tmp_path / name, 15_001)
    assert line - 15_001 < 6
    with pytest.raises(SourceError) as info:
        ingest_path(store, path)
    assert str(info.value).startswith(f"{path}:{line}: not valid ")
    assert count(store) == 0


def test_a_bad_byte_in_compressed_csv_is_reported_on_its_own_line(
    store: Store, tmp_path: Path
) -> None:
    plain, line = _csv_with_bad_byte(tmp_path / "plain.csv", 4_321)
    path = tmp_path / "events.csv.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    with pytest.raises(SourceError, match=rf"^{re.escape(str(path))}:{line}: not valid UTF-8"):
        ingest_path(store, path)


def test_csv_line_numbers_count_lone_carriage_returns(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    body = HEADER.replace("\n", "\r") + "".join(r + "\r" for r in rows(3))
    path.write_bytes(body.encode() + b"x,bad,2024-13-01,a,like,b,,,\r")
    with pytest.raises(SourceError, match=rf"^{re.escape(str(path))}:5: ts: "):
        ingest_path(store, path)


# -- NUL characters -------------------------------------------------------------------------


def test_nul_characters_are_removed_and_counted(store: Store, tmp_path: Path) -> None:
    csv_path = tmp_path / "events.csv"
    csv_path.write_bytes(
        (HEADER + 'x,1,2024-01-01T00:00:00Z,a\x00b,post,,,,"he\x00llo\x00"\n').encode()
    )
    summary = ingest_path(store, csv_path)
    assert summary.nul_removed == 2
    assert summary.line().endswith("; NUL characters removed from 2 values")
    jsonl = tmp_path / "events.jsonl"
    row = {
        "network": "x",
        "event_id": "2",
        "ts": "2024-01-01T00:00:00Z",
        "actor": "c",
        "action": "post",
        "text": "bye\u0000",
        "tags": ["t\u0000ag"],
    }
    jsonl.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert ingest_path(store, jsonl).nul_removed == 2
    assert store.rows("SELECT event_id, actor, text, tags FROM events ORDER BY event_id") == [
        ("1", "ab", "hello", None),
        ("2", "c", "bye", ["tag"]),
    ]
    assert store.rows("SELECT nul_removed FROM ingests ORDER BY ingest_id") == [(2,), (2,)]
    assert store.scalar("SELECT count(*) FROM events WHERE contains(text, chr(0))") == 0


# -- times are never invented -------------------------------------------------------------


def test_no_event_gets_the_file_time(store: Store, tmp_path: Path) -> None:
    bodies = copy_tree(TWEEPY, tmp_path / "tweepy")
    summary = ingest_each(store, bodies)
    stamp = MTIME.replace(tzinfo=None)
    assert store.scalar("SELECT count(*) FROM events WHERE ts::DATE = ?::DATE", [stamp]) == 0
    assert store.scalar("SELECT max(ts) FROM events") < datetime(2023, 1, 1, tzinfo=UTC)
    # 139 likes and 38 list retweets at the post's time; 84 + 100 follows with no time at all.
    assert (summary.derived, summary.undated) == (177, 184)
    assert summary.line().endswith("; 177 with derived times; 184 undated, not stored")
    assert store.rows("SELECT derived, undated FROM ingests") == [(177, 184)]
    derived = dict(store.rows("SELECT action, count(*) FROM events WHERE ts_derived GROUP BY 1"))
    assert derived == {"like": 139, "repost": 38}
    assert store.scalar("SELECT count(*) FROM events WHERE action = 'follow'") == 0
    assert store.scalar("SELECT count(*) FROM events WHERE ts_derived IS NULL") == 0
    # Given the time the data was retrieved, the follows are stored at it, marked derived.
    again = ingest_each(store, bodies, options={"observed_at": "2022-10-08T00:00:00Z"})
    assert (again.new, again.undated, again.derived) == (184, 0, 361)
    assert store.rows("SELECT DISTINCT ts, ts_derived FROM events WHERE action = 'follow'") == [
        (datetime(2022, 10, 8, tzinfo=UTC), True)
    ]


def test_a_plain_score_of_mixed_samples_is_as_of_the_data(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    twarc = copy_tree(TWARC, tmp_path / "twarc")
    tweepy = copy_tree(TWEEPY, tmp_path / "tweepy")
    archive = copy_tree(ARCHIVE, tmp_path / "archive")
    rejects = str(tmp_path / "rejects.tsv")
    assert cli(db, "ingest", "-q", "--skip-bad", rejects, str(twarc)).exit_code == 0
    result = cli(db, "ingest", str(tweepy), str(archive))
    assert result.exit_code == 0, result.output
    assert "undated, not stored" in result.stdout
    scored = cli(db, "score")
    assert scored.exit_code == 0, scored.output
    with Store.open(db, read_only=True) as store:
        [(as_of, used)] = store.rows("SELECT as_of, events_used FROM score_runs")
        newest, derived = store.rows(
            "SELECT ts, ts_derived FROM events ORDER BY ts DESC, event_id LIMIT 1"
        )[0]
        actions = dict(store.rows("SELECT action, count(*) FROM events GROUP BY 1"))
        own = store.scalar(
            "SELECT count(*) FROM events WHERE ts >= ? - INTERVAL 90 DAY AND ts < ? "
            "AND NOT ts_derived",
            [as_of, as_of],
        )
        scores = store.scalar("SELECT count(DISTINCT score) FROM scores")
    # The run is as of the newest tweet (not the files' time), and its window holds tweets.
    assert as_of.date() != MTIME.date() and as_of < datetime(2023, 1, 1, tzinfo=UTC)
    assert not derived and newest <= as_of <= newest + timedelta(seconds=1)
    assert "follow" not in actions
    assert used >= own > 0 and scores > 1
