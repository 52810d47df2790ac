"""One error boundary: every error on every route is JSON in the one shape of its API family."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.conftest import Keys, settings_for
from api.routes_table import OPERATIONS
from api.test_scopes import send
from sway.api import service
from sway.api.app import create_app


def assert_our_shape(body: dict, status: int) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "field"}
    assert body["error"]["status"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def assert_klout_shape(body: dict, status: int) -> None:
    assert set(body) == {"error", "description"}
    assert body["error"] == status and body["description"]


@pytest.mark.parametrize("operation", sorted(OPERATIONS), ids=lambda o: f"{o[0]} {o[1]}")
def test_bad_input_gets_a_4xx_naming_the_field(
    shared: tuple[TestClient, Keys], operation: tuple[str, str]
) -> None:
    client, keys = shared
    op = OPERATIONS[operation]
    response = send(client, op.bad, keys.admin)
    assert response.status_code == op.bad_status, response.text
    assert response.headers["content-type"].startswith("application/json")
    if operation[1].startswith("/v2/"):
        assert_klout_shape(response.json(), op.bad_status)
        assert response.headers["content-type"] == "application/json; charset=utf-8"
    else:
        assert_our_shape(response.json(), op.bad_status)
        assert response.json()["error"]["field"] == op.bad_field


def test_unknown_routes_and_methods(shared: tuple[TestClient, Keys]) -> None:
    client, keys = shared
    missing = client.get("/v1/nothing/here", headers=keys.header("read"))
    assert missing.status_code == 404
    assert_our_shape(missing.json(), 404)
    assert "no route GET /v1/nothing/here" in missing.json()["error"]["message"]
    klout = client.get("/v2/nothing.json/1?key=x")
    assert klout.status_code == 404
    assert_klout_shape(klout.json(), 404)
    method = client.delete("/v1/search", headers=keys.header("read"))
    assert method.status_code == 405
    assert_our_shape(method.json(), 405)


def test_body_over_the_limit_is_refused(db: Path, keys: Keys) -> None:
    with TestClient(create_app(settings_for(db, max_body_bytes=100))) as client:
        response = client.post(
            "/v1/triage",
            headers=keys.header("crm"),
            json=[{"network": "twitter", "author": "a", "text": "x" * 200}],
        )
        assert response.status_code == 413
        assert_our_shape(response.json(), 413)


def test_unexpected_errors_are_500_in_the_same_shape(
    db: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "account_profile", boom)
    monkeypatch.setattr("sway.api.klout.user", boom)
    app = create_app(settings_for(db))
    with TestClient(app, raise_server_exceptions=False) as client:
        ours = client.get("/v1/accounts/twitter/375721095", headers=keys.header("read"))
        assert ours.status_code == 500
        assert_our_shape(ours.json(), 500)
        assert "secret" not in ours.text
        from sway.store.queries import klout_id

        theirs = client.get(f"/v2/user.json/{klout_id('breaking')}?key={keys.read}")
        assert theirs.status_code == 500
        assert_klout_shape(theirs.json(), 500)


def test_store_errors_become_503(db: Path, keys: Keys) -> None:
    app = create_app(settings_for(db))
    with TestClient(app) as client:
        app.state.sway.gate.close()  # as at shutdown: the store can no longer be read
        response = client.get("/v1/accounts/twitter/375721095/history", headers=keys.header("read"))
        assert response.status_code == 503
        assert_our_shape(response.json(), 503)
        assert response.headers["Retry-After"]
