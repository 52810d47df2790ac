from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sway.cli import cli
from sway.clidoc import END, START, render

ROOT = Path(__file__).resolve().parents[1]
HEADER = "network,event_id,ts,actor,action,target,content_id,parent_id,text\n"


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def events_csv(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(
        HEADER
        + "twitter,1,2024-01-01T00:00:00Z,alice,post,,p1,,hello\n"
        + "twitter,2,2024-01-02T00:00:00Z,bob,reply,alice,p2,p1,hi\n"
        + "mastodon,3,2024-01-03T00:00:00Z,carol,like,dan,m1,,\n"
    )
    return path


def test_readme_cli_reference_matches_help() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split(START, 1)[1].split(END, 1)[0]
    assert block.strip() == render().strip(), "README CLI reference is stale: run `make docs`"


def test_every_command_has_help_with_text() -> None:
    for section in render().split("### ")[1:]:
        name, _, body = section.partition("\n")
        _usage, _, rest = body.partition("\n\n")
        assert rest.strip(), f"{name} has no help text"


def test_ingest_stats_export_round_trip(tmp_path: Path, events_csv: Path) -> None:
    db = tmp_path / "s.duckdb"
    code, out, _ = run(db, "ingest", str(events_csv))
    assert code == 0
    assert "3 new, 0 duplicate, 0 rejected" in out
    code, out, _ = run(db, "stats", "--json")
    assert code == 0 and '"events": 3' in out
    exported = tmp_path / "out.jsonl.gz"
    code, out, _ = run(db, "export", "events", "--output", str(exported))
    assert code == 0 and "3 events" in out
    code, out, _ = run(tmp_path / "t.duckdb", "ingest", "--format", "events", str(exported))
    assert code == 0 and "3 new" in out


def test_partitioned_parquet_export(tmp_path: Path, events_csv: Path) -> None:
    db = tmp_path / "s.duckdb"
    run(db, "ingest", "-q", str(events_csv))
    out_dir = tmp_path / "parts"
    code, _, _ = run(db, "export", "events", "--partition", "--output", str(out_dir))
    assert code == 0
    assert (out_dir / "network=twitter" / "date=2024-01-02").is_dir()


def test_bad_input_exit_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "twitter,1,2024-01-01T00:00:00Z,alice,shout,bob,,,\n")
    db = tmp_path / "s.duckdb"
    proc = subprocess.run(
        [sys.executable, "-m", "sway.cli", "--db", str(db), "ingest", str(bad)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert f"sway: error: {bad}:2: action: expected one of" in proc.stderr
    assert "Traceback" not in proc.stderr
    _, out, _ = run(db, "stats", "--json")
    assert '"events": 0' in out


def test_unrecognised_format_is_a_clean_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01garbage")
    code, _, err = run(tmp_path / "s.duckdb", "ingest", str(junk))
    assert code == 2 and "could not recognise the format" in err


def test_people_link_unlink_import_suggest(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    # Nothing is ingested yet: linking needs --allow-unknown (tests/test_people_link.py).
    code, out, _ = run(
        db, "people", "link", "ada", "twitter:1", "mastodon:ada@x.social", "--allow-unknown"
    )
    assert code == 0 and "2 accounts linked" in out
    code, out, _ = run(db, "people", "list")
    assert out.strip() == "ada: mastodon:ada@x.social twitter:1"
    mapping = tmp_path / "map.csv"
    mapping.write_text("person,network,account\nada,reddit,ada_l\nbrand,twitter,1\n")
    code, out, _ = run(db, "people", "import", str(mapping))
    assert code == 0 and "2 links added" in out
    code, out, _ = run(db, "people", "unlink", "ada", "twitter:1")
    assert "1 account unlinked" in out
    code, out, _ = run(db, "people", "list")
    assert out.splitlines() == ["ada: mastodon:ada@x.social reddit:ada_l", "brand: twitter:1"]
    code, _, err = run(db, "people", "link", "ada", "nocolon")
    assert code == 2 and "expected NETWORK:ACCOUNT" in err


def test_readonly_commands_on_missing_store(tmp_path: Path) -> None:
    code, _, err = run(tmp_path / "none.duckdb", "stats")
    assert code == 2 and "no such store" in err
