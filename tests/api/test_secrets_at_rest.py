"""No API key is ever written anywhere: not in the store file, its WAL, the audit journal, the
audit log (CLI and API) or the server's access log, whatever route it was sent to and however.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from api.conftest import live_serve, make_keys
from api.routes_table import OPERATIONS
from sway.api.keys import create_key
from sway.cli import cli
from sway.privacy.audit import redact
from sway.store import Store


def _secret(key: str) -> str:
    """The part of a key that must never be written (its id is public)."""
    return key.split("_", 2)[2]


def test_redact_removes_keys_and_secret_parameters() -> None:
    key = "sway_abcd1234_" + "A" * 43
    text = f"/v2/user.json/1?key={key}&screenName=ada token={key} api_key=x%3Dy Bearer {key}"
    cleaned = redact(text)
    assert _secret(key) not in cleaned
    assert "screenName=ada" in cleaned
    assert "api_key=[redacted]" in cleaned
    assert cleaned.count("sway_abcd1234_[redacted]") == 1  # the bearer one; key= lost its value


def test_no_key_is_written_anywhere(db: Path, tmp_path: Path) -> None:
    keys = make_keys(db)
    with Store.open(db) as store:
        own = create_key(store, name="own", scopes=["self"], person_id="breaking").secret
    every = {"read": keys.read, "crm": keys.crm, "write": keys.write, "admin": keys.admin}
    every["self"] = own
    with live_serve(db) as (_proc, url, lines):
        with httpx.Client(base_url=url, timeout=30) as client:
            for key in every.values():
                for (method, _path), operation in sorted(OPERATIONS.items()):
                    call = operation.ok
                    if method == "DELETE" or "{fresh_key_id}" in call.url:
                        continue  # erasing or revoking would leave fewer routes to try
                    sep = "&" if "?" in call.url else "?"
                    for headers, query in (
                        ({"X-API-Key": key}, ""),
                        ({"Authorization": f"Bearer {key}"}, ""),
                        ({}, f"{sep}key={key}"),
                        ({}, f"{sep}api_key={key}&access_token={key}"),
                    ):
                        client.request(method, call.url + query, headers=headers, **call.kwargs)
            # The dashboard's login takes the key in a form.
            client.post("/login", data={"key": keys.read}, follow_redirects=False)
        log = "\n".join(lines)
    assert "GET /v2/" in log, "the access log was on: it must have logged the Klout routes"
    audit = CliRunner().invoke(cli, ["--db", str(db), "audit", "--limit", "100000"])
    assert audit.exit_code == 0, audit.output
    assert "read.klout" in audit.output  # the audited reads reached the store
    files = [p for p in tmp_path.iterdir() if p.is_file()]
    assert db in files
    blobs = {p.name: p.read_bytes() for p in files}
    for scope, key in every.items():
        secret = _secret(key)
        assert secret not in log, scope
        assert secret not in audit.output, scope
        for name, blob in blobs.items():
            assert secret.encode() not in blob, (scope, name)


@pytest.mark.parametrize("form", ["header", "query"])
def test_audit_api_shows_no_key(db: Path, form: str) -> None:
    keys = make_keys(db)
    with live_serve(db) as (_proc, url, _lines), httpx.Client(base_url=url, timeout=30) as client:
        klout = OPERATIONS[("GET", "/v2/user.json/{klout_id}")].ok.url
        client.get(f"{klout}?key={keys.read}").raise_for_status()
        headers = {"X-API-Key": keys.admin} if form == "header" else {}
        query = "" if form == "header" else f"?key={keys.admin}"
        rows = client.get(f"/v1/admin/audit{query}", headers=headers)
        if form == "query":
            assert rows.status_code == 401  # our routes take no key in the query
            rows = client.get("/v1/admin/audit", headers={"X-API-Key": keys.admin})
        rows.raise_for_status()
    text = rows.text
    assert "read.klout" in text
    assert _secret(keys.read) not in text and _secret(keys.admin) not in text
    assert "key=[redacted]" in text
