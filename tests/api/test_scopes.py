"""Scopes on every route: a key works where its scope (or admin) is required, and nowhere else."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.conftest import Keys
from api.routes_table import OPERATIONS, Call, operations, scope_of

SCOPES = ("read", "crm", "write", "admin")


def send(client: TestClient, call: Call, key: str | None, keys: Keys | None = None) -> Any:
    kwargs = dict(call.kwargs)
    url = call.url
    if "{fresh_key_id}" in url:
        assert keys is not None
        made = client.post(
            "/v1/admin/keys", headers=keys.header("admin"), json={"name": "x", "scopes": ["read"]}
        )
        url = url.replace("{fresh_key_id}", made.json()["key_id"])
    if url.startswith("/v2/"):
        if key is not None:
            url += ("&" if "?" in url else "?") + f"key={key}"
    elif key is not None:
        kwargs["headers"] = {"X-API-Key": key}
    return client.request(call.method, url, **kwargs)


def test_every_operation_is_in_the_table_and_declares_a_scope(
    shared: tuple[TestClient, Keys],
) -> None:
    client, _ = shared
    doc = client.get("/openapi.json").json()
    assert operations(doc) == set(OPERATIONS)
    for method, path in operations(doc):
        assert scope_of(doc, method, path) in (*SCOPES, "self", "public"), (method, path)
    public = {op for op in operations(doc) if scope_of(doc, *op) == "public"}
    assert public == {("GET", "/v1/health"), ("GET", "/v1/public/people/{person_id}")}


@pytest.mark.parametrize("operation", sorted(OPERATIONS), ids=lambda o: f"{o[0]} {o[1]}")
def test_scopes_are_enforced(shared: tuple[TestClient, Keys], operation: tuple[str, str]) -> None:
    client, keys = shared
    doc = client.app.openapi()
    required = scope_of(doc, *operation)
    call = OPERATIONS[operation].ok
    klout = operation[1].startswith("/v2/")
    for scope in SCOPES:
        response = send(client, call, getattr(keys, scope), keys)
        allowed = required == "public" or scope in (required, "admin")
        if allowed:
            assert response.status_code in (200, 201), (scope, response.text)
        elif klout:
            assert response.status_code == 403, (scope, response.text)
            assert set(response.json()) == {"error", "description"}
        else:
            assert response.status_code == 403, (scope, response.text)
            assert response.json()["error"]["code"] == "insufficient_scope"
    anonymous = send(client, call, None, keys)
    if required == "public":
        assert anonymous.status_code == 200
    elif klout:
        assert anonymous.status_code == 403
        assert anonymous.json() == {
            "error": 403,
            "description": "Invalid or unprovided API key. All calls must have a key.",
        }
    else:
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["code"] == "unauthenticated"
        assert anonymous.headers["WWW-Authenticate"] == "Bearer"


def test_bearer_header_works_and_revoked_keys_stop_at_once(client: TestClient, keys: Keys) -> None:
    ok = client.get("/v1/runs", headers={"Authorization": f"Bearer {keys.read}"})
    assert ok.status_code == 200
    bad = client.get("/v1/runs", headers={"X-API-Key": keys.read[:-1] + "x"})
    assert bad.status_code == 401
    key_id = keys.read.split("_")[1]
    revoked = client.delete(f"/v1/admin/keys/{key_id}", headers=keys.header("admin"))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/v1/runs", headers=keys.header("read")).status_code == 401
