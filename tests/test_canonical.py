from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mangle import mangled_bytes, read_all_cleanly
from sway.errors import SourceError
from sway.events import Event, events_to_arrow
from sway.sources import detect
from sway.sources.base import Rejected
from sway.sources.canonical import CanonicalSource, write_events

T0 = datetime(2024, 1, 1, tzinfo=UTC)

EVENTS = [
    Event("twitter", "1", T0, "alice", "post", content_id="p1", text="hello, world\nsecond line"),
    Event("twitter", "2", T0 + timedelta(hours=1), "bob", "reply", "alice", "p2", "p1", "hi «ü»"),
    Event("twitter", "3", T0 + timedelta(hours=2), "carol", "like", "alice", "p1"),
    Event("stackexchange", "v9", T0, None, "vote", "alice", "p1", value=-1.0),
    Event(
        "mastodon", "m1", T0, "dan", "post", content_id="m1", tags=("python", "duckdb"), lang="en"
    ),
]


def read_events(path: Path) -> list[Event]:
    records = list(CanonicalSource().read(path))
    assert not [r for r in records if isinstance(r, Rejected)]
    return [r for r in records if isinstance(r, Event)]


@pytest.mark.parametrize(
    "name", ["e.csv", "e.csv.gz", "e.jsonl", "e.jsonl.gz", "e.parquet", "e.ndjson"]
)
def test_round_trip(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    table = events_to_arrow(EVENTS)
    assert write_events(table.to_batches(), path) == len(EVENTS)
    assert read_events(path) == EVENTS
    assert detect(path).name == "events"


def test_empty_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    write_events([], path)
    assert read_events(path) == []


def test_csv_with_only_the_design_columns(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(
        "network,event_id,ts,actor,action,target,content_id,parent_id,text\n"
        "x,1,2024-01-01T00:00:00Z,a,mention,b,,,\n"
    )
    [event] = read_events(path)
    assert event.target == "b" and event.tags is None


def test_csv_error_names_the_line_of_a_multiline_record(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(
        "network,event_id,ts,actor,action,target,content_id,parent_id,text\n"
        'x,1,2024-01-01T00:00:00Z,a,post,,,,"two\nlines"\n'
        "x,2,2024-01-01T00:00:00Z,a,shout,b,,,\n"
    )
    rejected = [r for r in CanonicalSource().read(path) if isinstance(r, Rejected)]
    assert [str(r.error) for r in rejected] == [
        f"{path}:4: action: expected one of comment, endorse, follow, like, mention, post, "
        "quote, reply, repost, vote, found 'shout'"
    ]


def test_unknown_and_missing_columns_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("network,event_id,ts,actor,action,colour\n")
    with pytest.raises(SourceError, match=r":1: header: unknown column 'colour'"):
        list(CanonicalSource().read(path))
    path.write_text("network,event_id,actor,action\n")
    with pytest.raises(SourceError, match=r":1: header: missing column 'ts'"):
        list(CanonicalSource().read(path))


def test_jsonl_errors_name_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"network":"x","event_id":"1","ts":"2024-01-01T00:00:00Z","actor":"a","action":"post"}\n'
        "{not json\n"
        '{"network":"x","event_id":"3","ts":"2024-01-01T00:00:00Z","actor":"a","action":"like"}\n'
        "[1]\n"
    )
    errors = [str(r.error) for r in CanonicalSource().read(path) if isinstance(r, Rejected)]
    assert errors[0].startswith(f"{path}:2: not valid JSON")
    assert errors[1].startswith(f"{path}:3: target: ")
    assert errors[2] == f"{path}:4: expected a JSON object, found list"


def test_truncated_gzip_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl.gz"
    write_events(events_to_arrow(EVENTS * 200).to_batches(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="truncated"):
        list(CanonicalSource().read(path))


def test_corrupt_parquet_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    write_events(events_to_arrow(EVENTS).to_batches(), path)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(SourceError, match="Parquet"):
        list(CanonicalSource().read(path))


_CSV = (
    b"network,event_id,ts,actor,action,target,content_id,parent_id,text,tags,lang,value\n"
    b'x,1,2024-01-01T00:00:00Z,a,post,,p1,,"hi, there",t1|t2,en,\n'
    b"x,2,2024-01-01T01:00:00Z,b,reply,a,p2,p1,yo,,,\n"
    b"x,3,2024-01-01T02:00:00Z,,vote,a,p1,,,,,1.5\n"
)
_JSONL = (
    b'{"network":"x","event_id":"1","ts":"2024-01-01T00:00:00Z","actor":"a","action":"post"}\n'
    b'{"network":"x","event_id":"2","ts":"2024-01-01T00:00:00Z","actor":"b","action":"like",'
    b'"target":"a","tags":["q"],"value":2}\n'
)


@pytest.mark.parametrize(("suffix", "original"), [(".csv", _CSV), (".jsonl", _JSONL)])
@settings(
    max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mangled_canonical_input_fails_cleanly(
    tmp_path: Path, suffix: str, original: bytes, data: st.DataObject
) -> None:
    path = tmp_path / f"m{suffix}"
    path.write_bytes(data.draw(mangled_bytes(original)))
    read_all_cleanly(CanonicalSource(), path)


def test_mangled_gzip_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "m.csv.gz"
    packed = gzip.compress(_CSV)
    for cut in range(1, len(packed)):
        path.write_bytes(packed[:cut])
        read_all_cleanly(CanonicalSource(), path)


def test_arrow_schema_is_kept_in_parquet(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "e.parquet"
    write_events(events_to_arrow(EVENTS).to_batches(), path)
    assert pq.read_schema(path).field("ts").type == pa.timestamp("us", tz="UTC")
