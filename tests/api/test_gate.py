"""Sharing the store: the server holds no lock between uses, waits for a writer, then says 503."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.conftest import Keys, settings_for
from sway.api.app import create_app
from sway.api.gate import StoreBusy, StoreGate
from sway.store import Store

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("SELECT 1").fetchall()
print("locked", flush=True)
sys.stdin.readline()
con.close()
"""


class Writer:
    """Another process holding the store's write lock until released."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


def test_reader_lets_go_after_linger_so_another_process_can_write(db: Path) -> None:
    gate = StoreGate(db, linger=0.1, lock_wait=0.5)
    try:
        with gate.read() as store:
            assert store.read_only and store.scalar("SELECT count(*) FROM score_runs") == 4
        time.sleep(0.6)  # the janitor closed the connection
        writer = Writer(db)  # would fail if the server still held the file
        writer.release()
        with gate.write() as store:
            store.con.execute("INSERT INTO settings VALUES ('k', 'v')")
        with gate.read() as store:
            assert store.scalar("SELECT value FROM settings WHERE key = 'k'") == "v"
    finally:
        gate.close()


def test_server_waits_for_a_writer_then_answers_503(db: Path, keys: Keys) -> None:
    app = create_app(settings_for(db, lock_wait=0.3))
    with TestClient(app) as client:
        time.sleep(0.3)
        writer = Writer(db)
        try:
            # Lookups come from memory: unaffected by the writer.
            fast = client.get("/v1/accounts/twitter/375721095", headers=keys.header("read"))
            assert fast.status_code == 200
            busy = client.get("/v1/accounts/twitter/375721095/history", headers=keys.header("read"))
            assert busy.status_code == 503
            assert busy.json()["error"]["code"] == "store_busy"
            assert int(busy.headers["Retry-After"]) >= 1
            ingest = client.post(
                "/v1/events",
                headers=keys.header("write"),
                json=[
                    {
                        "network": "x",
                        "event_id": "1",
                        "ts": "2024-01-01T00:00:00Z",
                        "actor": "a",
                        "action": "post",
                    }
                ],
            )
            assert ingest.status_code == 503
        finally:
            writer.release()
        again = client.get("/v1/accounts/twitter/375721095/history", headers=keys.header("read"))
        assert again.status_code == 200


def test_store_busy_is_a_store_error(db: Path) -> None:
    writer = Writer(db)
    try:
        gate = StoreGate(db, lock_wait=0.2)
        with pytest.raises(StoreBusy), gate.write():
            pass
        gate.close()
    finally:
        writer.release()
    with Store.open(db, read_only=True) as store:
        assert store.schema_version() > 0
