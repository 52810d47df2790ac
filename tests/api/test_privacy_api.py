"""The privacy routes: a person's own key, visibility, export, erasure, and the audit log."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

from api.conftest import PERSON, SWAY, Keys


def own_key(client: TestClient, keys: Keys, person: str = PERSON) -> dict[str, str]:
    made = client.post(
        "/v1/admin/keys",
        headers=keys.header("admin"),
        json={"name": "own", "scopes": ["self"], "person_id": person},
    )
    assert made.status_code == 201, made.text
    assert made.json()["person_id"] == person
    return {"X-API-Key": made.json()["secret"]}


def test_a_self_key_opens_its_own_person_only(client: TestClient, keys: Keys) -> None:
    own = own_key(client, keys)
    assert client.get(f"/v1/privacy/people/{PERSON}", headers=own).json()["person_id"] == PERSON
    other = client.get("/v1/privacy/people/twitter:30701862", headers=own)
    assert other.status_code == 403 and other.json()["error"]["field"] == "path.person_id"
    # The read routes are for keys with the read scope, not for a person's own key.
    assert client.get(f"/v1/people/{PERSON}", headers=own).status_code == 403
    assert (
        client.get(f"/v1/privacy/people/{PERSON}", headers=keys.header("read")).status_code == 403
    )


def test_a_self_key_needs_a_person_and_nothing_else(client: TestClient, keys: Keys) -> None:
    for body in (
        {"name": "x", "scopes": ["self"]},
        {"name": "x", "scopes": ["self", "read"], "person_id": PERSON},
        {"name": "x", "scopes": ["read"], "person_id": PERSON},
    ):
        made = client.post("/v1/admin/keys", headers=keys.header("admin"), json=body)
        assert made.status_code in (400, 422), made.text


def test_scores_are_private_until_published(client: TestClient, keys: Keys) -> None:
    person = "twitter:1376916704832462858"
    assert client.get(f"/v1/public/people/{person}").status_code == 404
    own = own_key(client, keys, person)
    shown = client.get(f"/v1/privacy/people/{person}/visibility", headers=own).json()
    assert shown == {"subject": person, "public": False, "chosen": False}
    put = client.put(f"/v1/privacy/people/{person}/visibility", headers=own, json={"public": True})
    assert put.json()["public"] is True
    public = client.get(f"/v1/public/people/{person}")
    assert public.status_code == 200 and public.json()["person_id"] == person
    client.put(f"/v1/privacy/people/{person}/visibility", headers=own, json={"public": None})
    assert client.get(f"/v1/public/people/{person}").status_code == 404


def test_every_read_of_a_person_is_audited(client: TestClient, keys: Keys, db: Path) -> None:
    read = keys.header("read")
    assert client.get("/v1/accounts/twitter/375721095", headers=read).status_code == 200
    assert client.get(f"/v1/people/{PERSON}/history", headers=read).status_code == 200
    log = client.get("/v1/admin/audit?action=read", headers=keys.header("admin")).json()
    subjects = {(e["action"], e["subject"]) for e in log}
    assert ("read.account", "twitter:375721095") in subjects
    assert ("read.person", PERSON) in subjects
    read_id = keys.read.split("_")[1]
    assert {e["actor"] for e in log} == {read_id}
    # `sway audit` runs in a process of its own beside the server, as it would for real.
    done = subprocess.run(
        [*SWAY, "--db", str(db), "audit", "--actor", read_id],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "read.person breaking" in done.stdout


def test_export_then_erase_with_the_persons_own_key(client: TestClient, keys: Keys) -> None:
    own = own_key(client, keys)
    export = client.get(f"/v1/privacy/people/{PERSON}/export", headers=own)
    assert export.status_code == 200
    assert {a["account_id"] for a in export.json()["accounts"]} >= {"375721095"}
    erased = client.delete(f"/v1/privacy/people/{PERSON}", headers=own)
    assert erased.status_code == 200, erased.text
    assert erased.json()["accounts"] == 2 and erased.json()["runs"]
    # Gone everywhere at once, and the person's own key with them.
    assert client.get(f"/v1/people/{PERSON}", headers=keys.header("admin")).status_code == 404
    account = client.get("/v1/accounts/twitter/375721095", headers=keys.header("admin"))
    assert account.status_code == 404
    assert client.get(f"/v1/public/people/{PERSON}").status_code == 404
    assert client.get(f"/v1/privacy/people/{PERSON}", headers=own).status_code == 401
