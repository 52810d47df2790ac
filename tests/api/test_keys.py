"""API keys from the CLI: printed once alone on stdout, stored hashed, listed, revoked."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.conftest import settings_for, sway
from sway.api.app import create_app
from sway.api.keys import hash_key, parse_key
from sway.cli import cli
from sway.store import Store


def test_create_prints_the_key_alone_on_stdout(db: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--db", str(db), "apikey", "create", "--name", "crm", "--scope", "read", "--scope", "crm"],
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert result.stdout == secret + "\n"  # nothing else: scripts capture it with $(...)
    key_id = parse_key(secret)
    assert key_id is not None and key_id in result.stderr
    with Store.open(db, read_only=True) as store:
        (stored,) = store.rows(
            "SELECT secret_sha256, scopes FROM api_keys WHERE key_id = ?", [key_id]
        )
        everything = json.dumps(store.dicts("SELECT * FROM api_keys"), default=str)
        audit = store.rows("SELECT actor, action, subject FROM audit_log")
    assert stored == (hash_key(secret), ["crm", "read"])
    assert secret not in everything  # only the hash is stored
    assert ("cli", "apikey.create", key_id) in audit


def test_list_and_revoke(db: Path) -> None:
    secret = sway(
        db,
        "apikey",
        "create",
        "--name",
        "loader",
        "--scope",
        "write",
        "--per-second",
        "5",
        "--per-day",
        "99",
    ).strip()
    key_id = parse_key(secret)
    listed = json.loads(sway(db, "apikey", "list", "--json"))
    (mine,) = [k for k in listed if k["key_id"] == key_id]
    assert mine["name"] == "loader" and mine["scopes"] == ["write"]
    assert (mine["rate_per_second"], mine["rate_per_day"]) == (5.0, 99)
    assert secret not in json.dumps(listed)
    assert "loader" in sway(db, "apikey", "list")
    assert f"revoked key {key_id}" in sway(db, "apikey", "revoke", key_id)
    assert json.loads(sway(db, "apikey", "list", "--json"))[0]["revoked_at"] is not None


def test_bad_arguments_are_clean_errors(db: Path) -> None:
    runner = CliRunner()
    bad_scope = runner.invoke(
        cli, ["--db", str(db), "apikey", "create", "--name", "x", "--scope", "root"]
    )
    assert bad_scope.exit_code == 2 and "root" in bad_scope.stderr
    unknown = runner.invoke(cli, ["--db", str(db), "apikey", "revoke", "nosuchid"])
    assert unknown.exit_code == 2 and "no API key 'nosuchid'" in unknown.stderr


def test_a_person_id_that_is_a_path_is_refused_and_creates_nothing(db: Path) -> None:
    def keys_and_audit() -> tuple[int, int]:
        with Store.open(db, read_only=True) as store:
            return (
                int(store.scalar("SELECT count(*) FROM api_keys")),
                int(store.scalar("SELECT count(*) FROM audit_log")),
            )

    before = keys_and_audit()
    for person in ("../../x", "ada/../bob", "ada\nbob", " ada"):
        refused = CliRunner().invoke(
            cli, ["--db", str(db), "apikey", "create", "--name", "own", "--person", person]
        )
        assert refused.exit_code == 2, refused.output
        assert refused.stdout == ""  # no key printed
        message = refused.stderr.strip()
        assert message.startswith(f"sway: error: person id {person!r}: expected a name of ")
        assert "NETWORK:ACCOUNT" in message and "'..'" in message
        assert "Traceback" not in refused.output
    assert keys_and_audit() == before
    # Over the API too: 422 naming the field, and nothing created.
    admin = sway(db, "apikey", "create", "--name", "root", "--scope", "admin").strip()
    before = keys_and_audit()
    with TestClient(create_app(settings_for(db))) as client:
        made = client.post(
            "/v1/admin/keys",
            headers={"X-API-Key": admin},
            json={"name": "own", "scopes": ["self"], "person_id": "../../x"},
        )
        assert made.status_code == 422, made.text
        error = made.json()["error"]
        assert error["field"] == "body.person_id" and "person id '../../x'" in error["message"]
    assert keys_and_audit()[0] == before[0]


def test_keys_made_over_the_api_work_and_show_their_secret_once(db: Path) -> None:
    admin = sway(db, "apikey", "create", "--name", "root", "--scope", "admin").strip()
    with TestClient(create_app(settings_for(db))) as client:
        made = client.post(
            "/v1/admin/keys",
            headers={"X-API-Key": admin},
            json={"name": "dash", "scopes": ["read"], "rate_per_second": 3},
        )
        assert made.status_code == 201
        secret = made.json()["secret"]
        assert client.get("/v1/runs", headers={"X-API-Key": secret}).status_code == 200
        listed = client.get("/v1/admin/keys", headers={"X-API-Key": admin}).json()
        assert {k["name"] for k in listed} >= {"root", "dash"}
        assert secret not in json.dumps(listed)
        usage = client.get("/v1/admin/usage", headers={"X-API-Key": admin}).json()
        assert {u["key_id"] for u in usage} >= {made.json()["key_id"]}
    with Store.open(db, read_only=True) as store:
        actions = store.rows("SELECT actor, action FROM audit_log ORDER BY audit_id")
    assert (parse_key(admin), "apikey.create") in actions
