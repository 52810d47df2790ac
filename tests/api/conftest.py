"""Fixtures of the API tests: a scored store built once per session, keys, a client.

The store holds real tweets (``fixtures/api/twarc-flat.jsonl.gz``) and synthetic earlier events
(``fixtures/api/extra.csv``), a person ``breaking`` linking ``twitter:375721095``
(``@Breaking911``) and ``mastodon:b911@mastodon.social``, and four score runs 30 days, a week and
a day before the latest, so that changes and history have something to show, and the topics
of the latest run (``news`` for ``breaking``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from sway.api.app import create_app
from sway.api.keys import create_key
from sway.api.settings import Settings
from sway.cli import cli
from sway.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api"
RUNS = (
    "2021-03-08T00:00:00Z",
    "2021-04-01T00:00:00Z",
    "2021-04-08T00:00:00Z",
    "2021-04-09T00:00:00Z",
)
BREAKING = ("twitter", "375721095")
PERSON = "breaking"


def sway(db: Path, *args: str) -> str:
    """Run a CLI command on ``db``; fail the test with its output if it fails."""
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


@pytest.fixture(scope="session")
def scored_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("api") / "sway.duckdb"
    sway(db, "ingest", "-q", str(FIXTURES / "twarc-flat.jsonl.gz"), str(FIXTURES / "extra.csv"))
    sway(db, "people", "link", PERSON, "twitter:375721095", "mastodon:b911@mastodon.social")
    for as_of in RUNS:
        sway(db, "score", "-q", "--window", "90d", "--as-of", as_of)
    sway(db, "topics", "compute")
    # Scores are private by default; this person published theirs (the public route's data).
    sway(db, "privacy", "set", "--publish", PERSON)
    return db


@pytest.fixture
def db(scored_db: Path, tmp_path: Path) -> Path:
    """A private copy of the scored store (tests may write to it)."""
    copy = tmp_path / "sway.duckdb"
    shutil.copy(scored_db, copy)
    return copy


@dataclass(frozen=True)
class Keys:
    read: str
    crm: str
    write: str
    admin: str

    def header(self, scope: str) -> dict[str, str]:
        return {"X-API-Key": getattr(self, scope)}


def make_keys(db: Path, *, per_second: float = 10_000.0) -> Keys:
    with Store.open(db) as store:
        made = {
            scope: create_key(
                store, name=f"test-{scope}", scopes=[scope], rate_per_second=per_second
            ).secret
            for scope in ("read", "crm", "write", "admin")
        }
    return Keys(**made)


def settings_for(db: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "refresh_interval": 0.2,
        "linger": 0.1,
        "usage_flush_interval": 0.2,
    }
    values.update(overrides)
    return Settings.from_mapping({"db": db, **values})


@pytest.fixture
def keys(db: Path) -> Keys:
    return make_keys(db)


@pytest.fixture
def client(db: Path, keys: Keys) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(db))) as c:
        yield c


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory, scored_db: Path
) -> Iterator[tuple[TestClient, Keys]]:
    """One client and keys for a whole module of read-only tests (faster)."""
    db = tmp_path_factory.mktemp("shared") / "sway.duckdb"
    shutil.copy(scored_db, db)
    keys = make_keys(db)
    with TestClient(create_app(settings_for(db))) as c:
        yield c, keys


#: The CLI, run as a subprocess of the test interpreter.
SWAY = [sys.executable, "-c", "from sway.cli import main; main()"]


@contextlib.contextmanager
def live_serve(db: Path, **env: str) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """A real ``sway serve`` on a free loopback port over ``db`` (``env``: extra environment,
    e.g. ``SWAY_SERVE_REFRESH_INTERVAL``): yields the process, its address and its output lines
    (kept up to date), and stops it afterwards."""
    proc = subprocess.Popen(
        [*SWAY, "--db", str(db), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_PROXY": "*", "no_proxy": "*", **env},
    )
    lines: list[str] = []
    ready = threading.Event()
    url: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            match = re.match(r"sway: serving (http://127\.0\.0\.1:\d+) ", line)
            if match:
                url.append(match.group(1))
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(60) and url, "\n".join(lines)
        yield proc, url[0], lines
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
