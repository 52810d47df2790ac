"""POST /v1/events: the CLI's ingest rules over HTTP (atomic, idempotent, skip-bad, any format)."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.conftest import FIXTURES, Keys
from sway.api.routes import ingest as ingest_route
from sway.store import Store
from sway.store.ingest import IngestSummary
from sway.store.spool import spool_root


def events(n: int, *, start: int = 0, bad_at: int | None = None) -> list[dict]:
    rows = []
    for i in range(start, start + n):
        rows.append(
            {
                "network": "forum",
                "event_id": f"e{i}",
                "ts": "2024-05-01T12:00:00Z" if i != bad_at else "yesterday",
                "actor": f"user{i % 3}",
                "action": "reply" if i % 2 else "post",
                "target": f"user{(i + 1) % 3}" if i % 2 else None,
                "text": f"message {i}",
            }
        )
    return rows


def count(db: Path, network: str = "forum") -> int:
    with Store.open(db, read_only=True) as store:
        return int(store.scalar("SELECT count(*) FROM events WHERE network = ?", [network]))


def test_json_events_are_one_atomic_idempotent_ingest(
    client: TestClient, keys: Keys, db: Path
) -> None:
    headers = keys.header("write")
    bad = client.post("/v1/events", headers=headers, json=events(5, bad_at=3))
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["field"] == "events[3].ts" and "nothing was stored" in error["message"]
    client.app.state.sway.gate.close()  # let this test read the file
    assert count(db) == 0


def test_ingest_then_reingest_counts_duplicates(db: Path, keys: Keys) -> None:
    from api.conftest import settings_for
    from sway.api.app import create_app

    with TestClient(create_app(settings_for(db))) as client:
        headers = keys.header("write")
        first = client.post("/v1/events", headers=headers, json={"events": events(4)})
        assert first.status_code == 200, first.text
        assert (first.json()["new"], first.json()["duplicates"]) == (4, 0)
        again = client.post("/v1/events", headers=headers, json=events(6))
        assert (again.json()["new"], again.json()["duplicates"]) == (2, 4)
        skipped = client.post(
            "/v1/events?skip_bad=true", headers=headers, json=events(3, start=10, bad_at=11)
        )
        body = skipped.json()
        assert (body["new"], body["rejected"]) == (2, 1) and "ts" in body["rejects"][0]
    assert count(db) == 8
    with Store.open(db, read_only=True) as store:
        audit = store.rows("SELECT action, detail->>'new' FROM audit_log WHERE action = 'ingest'")
    assert sorted(int(n) for _, n in audit) == [2, 2, 4]


def test_files_in_any_format_are_read_as_the_cli_reads_them(db: Path, keys: Keys) -> None:
    from api.conftest import settings_for
    from sway.api.app import create_app

    csv_body = (
        "network,event_id,ts,actor,action,target,content_id,parent_id,text\n"
        "forum,c1,2024-05-01T12:00:00Z,ann,post,,c1,,hello\n"
        "forum,c2,2024-05-01T12:05:00Z,bob,reply,ann,c2,c1,hi ann\n"
    )
    with TestClient(create_app(settings_for(db))) as client:
        headers = {**keys.header("write"), "Content-Type": "text/csv"}
        ok = client.post("/v1/events?format=events", headers=headers, content=csv_body)
        assert ok.status_code == 200 and ok.json()["new"] == 2
        broken = csv_body + "forum,c3,not-a-time,bob,post,,,,x\n"
        bad = client.post("/v1/events", headers=headers, content=broken)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "line 4.ts"
        # A twarc dump (gzip), recognised from its content as the CLI does.
        dump = gzip.decompress((FIXTURES / "twarc-flat.jsonl.gz").read_bytes())
        tweets = client.post(
            "/v1/events?filename=flat.jsonl",
            headers={**keys.header("write"), "Content-Type": "application/x-ndjson"},
            content=dump,
        )
        assert tweets.status_code == 200 and tweets.json()["format"] == "twitter-v2"
        assert tweets.json()["new"] == 0  # already in the store: idempotent
        unsupported = client.post(
            "/v1/events",
            headers={**keys.header("write"), "Content-Type": "image/png"},
            content=b"x",
        )
        assert unsupported.status_code == 415
    assert count(db) == 2


def test_an_uploaded_file_waits_in_the_store_spool_and_never_in_tmp(
    db: Path, keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.conftest import settings_for
    from sway.api.app import create_app

    system_tmp = tmp_path / "tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    uploads: list[tuple[Path, bytes]] = []
    ingest_path = ingest_route.ingest_path

    def spy(store: Store, path: Path, **options: Any) -> IngestSummary:
        uploads.append((path, path.read_bytes()))
        return ingest_path(store, path, **options)

    monkeypatch.setattr(ingest_route, "ingest_path", spy)
    good = (
        "network,event_id,ts,actor,action,target,content_id,parent_id,text\n"
        "forum,s1,2024-05-01T12:00:00Z,ann,post,,s1,,hello\n"
    )
    bad = good + "forum,s2,not-a-time,bob,post,,,,x\n"
    root = spool_root(db)
    with TestClient(create_app(settings_for(db))) as client:
        headers = {**keys.header("write"), "Content-Type": "text/csv"}
        ok = client.post("/v1/events?filename=s.csv", headers=headers, content=good)
        assert ok.status_code == 200 and ok.json()["new"] == 1
        assert list(root.iterdir()) == []
        refused = client.post("/v1/events", headers=headers, content=bad)
        assert refused.status_code == 422
        assert list(root.iterdir()) == []
    # While it was read, the body sat in a spool of the store's own spool folder.
    assert [(p.parent.parent, body) for p, body in uploads] == [
        (root, good.encode()),
        (root, bad.encode()),
    ]
    assert list(system_tmp.glob("sway-api-ingest-*")) == []
    assert list(system_tmp.iterdir()) == []
