"""POST /v1/events answers with the names the client gave, never a path of the server (issue
18: no internal temporary path in any API response)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi.testclient import TestClient

from api.conftest import Keys, settings_for
from sway.api.app import create_app


def test_answers_name_the_upload_never_a_server_path(db: Path, keys: Keys) -> None:
    good = "forum,c1,2024-05-01T12:00:00Z,ann,post,,c1,,hello\n"
    bad = "forum,c3,not-a-time,bob,post,,,,x\n"
    body = "network,event_id,ts,actor,action,target,content_id,parent_id,text\n" + good + bad
    headers = {**keys.header("write"), "Content-Type": "text/csv"}
    server_paths = (str(db.parent), tempfile.gettempdir(), ".spool")
    with TestClient(create_app(settings_for(db))) as client:
        refused = client.post(
            "/v1/events?format=events&filename=mine.csv", headers=headers, content=body
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["message"].startswith("mine.csv:3: ts: ")
        skipped = client.post(
            "/v1/events?format=events&filename=mine.csv&skip_bad=true",
            headers=headers,
            content=body,
        )
        assert skipped.status_code == 200 and skipped.json()["rejected"] == 1
        assert skipped.json()["rejects"][0].startswith("mine.csv:3: ts: ")
        unnamed = client.post("/v1/events?format=events", headers=headers, content=body)
        assert unnamed.json()["error"]["message"].startswith("upload.csv:3: ")
        for answer in (refused, skipped, unnamed):
            assert not any(p in answer.text for p in server_paths), answer.text
