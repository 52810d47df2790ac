"""Decompression bombs, deep nesting and huge lines are refused with a clear SourceError."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from sway.errors import SourceError
from sway.sources import _io, get_source
from sway.sources._jsonstream import MAX_DEPTH, iter_top
from sway.store import Store
from sway.store.ingest import ingest_path

FIXTURES = Path(__file__).parents[1] / "fixtures"
#: Small limits for the tests: the same code paths, without writing gigabytes.
FLOOR = 1 << 20
HEADER = b"network,event_id,ts,actor,action,target,content_id,parent_id,text\n"


@pytest.fixture(autouse=True)
def small_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_io, "RATIO_FLOOR", FLOOR)


def zeros(n: int) -> bytes:
    return b"\x00" * n


def test_a_gzip_bomb_is_refused(tmp_path: Path, store: Store) -> None:
    bomb = tmp_path / "events.csv.gz"
    bomb.write_bytes(gzip.compress(HEADER + zeros(8 * FLOOR)))
    with pytest.raises(SourceError, match="decompression bomb") as caught:
        ingest_path(store, bomb, format="events")
    assert "events.csv.gz" in str(caught.value)
    assert store.scalar("SELECT count(*) FROM ingests") == 0


def test_well_compressed_data_under_the_ratio_reads(tmp_path: Path) -> None:
    # 2 MB of varied CSV compresses about 10 times: well under the limit, read in full.
    rows = "".join(
        f"x,{i},2024-01-01T00:00:00Z,a{i % 97},like,b{i % 89},p{i},,\n" for i in range(40_000)
    )
    path = tmp_path / "events.csv.gz"
    path.write_bytes(gzip.compress(HEADER + rows.encode()))
    assert sum(1 for _ in get_source("events").read(path)) == 40_000


def zip_with(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("source", "members"),
    [
        (
            "twitter-archive",
            {
                "data/account.js": b"window.YTD.account.part0 = []",
                "data/tweets.js": zeros(8 * FLOOR),
            },
        ),
        ("stackexchange", {"Posts.xml": zeros(8 * FLOOR)}),
        ("mastodon", {"outbox.json": zeros(8 * FLOOR)}),
        ("wordpress", {"export.xml": zeros(8 * FLOOR)}),
        ("snap", {"edges.txt": zeros(8 * FLOOR)}),
    ],
)
def test_zip_bombs_are_refused_before_reading(
    tmp_path: Path, source: str, members: dict[str, bytes]
) -> None:
    path = zip_with(tmp_path / "export.zip", members)
    with pytest.raises(SourceError, match="decompression bomb"):
        list(get_source(source).read(path))


def test_a_tar_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trees.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        data = zeros(8 * FLOOR)
        info = tarfile.TarInfo("tree/1.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    with pytest.raises(SourceError, match="decompression bomb"):
        list(get_source("snap").read(path))


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_deeply_nested_json_is_refused(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "statuses.json"
    path.write_text("[" + '{"a":' * depth + "1" + "}" * depth + "]", encoding="utf-8")
    with path.open("rb") as fh, pytest.raises(SourceError, match="nested deeper"):
        list(iter_top(fh, path))
    with pytest.raises(SourceError):
        list(get_source("mastodon").read(path))


def test_nesting_within_the_limit_reads(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    doc = [json.loads('{"a":' * (MAX_DEPTH - 1) + "1" + "}" * (MAX_DEPTH - 1))]
    path.write_text(json.dumps(doc), encoding="utf-8")
    with path.open("rb") as fh:
        assert len(list(iter_top(fh, path))) == 1


def test_a_huge_line_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_io, "MAX_LINE_BYTES", FLOOR)
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"network": "x", "text": "' + b"a" * (2 * FLOOR) + b'"}\n')
    with pytest.raises(SourceError, match="line longer than") as caught:
        list(get_source("events").read(path))
    assert "events.jsonl:1" in str(caught.value)
