"""Schema-driven tests: requests generated from our OpenAPI document, sent with a key of every
scope (and none), never get a 5xx, and no operation answers 2xx to a key without its scope.

Kept short for CI: 10 examples per operation with an admin key, 2 with each other key and with
none (about 800 requests in all); ``docs/security.md`` reports a longer run. The operations are
walked here rather than through ``schemathesis.pytest.from_fixture``, which does not run on
pytest 9.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from api.conftest import PERSON, make_keys, settings_for
from optional import import_or_missing
from sway.api.app import create_app
from sway.api.keys import create_key
from sway.api.state import ServiceState
from sway.api.throttle import FailureThrottle
from sway.store import Store

schemathesis = import_or_missing("schemathesis", part="DEV")

#: Examples per operation for the admin key, and for each other key; ``SWAY_SCHEMATHESIS_SCALE``
#: multiplies both (the longer run of docs/security.md).
SCALE = int(os.environ.get("SWAY_SCHEMATHESIS_SCALE", "1"))
EXAMPLES_ADMIN = 10 * SCALE
EXAMPLES_OTHER = 2 * SCALE


def allowed(key_scope: str | None, required: str) -> bool:
    if required == "public":
        return True
    return key_scope is not None and key_scope in (required, "admin")


def run_operation(operation: Any, scope: str | None, secret: str | None, required: str) -> int:
    """Send generated requests for one operation with one key; returns how many were sent."""
    sent = 0

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_ADMIN if scope == "admin" else EXAMPLES_OTHER,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        nonlocal sent
        headers = {}
        if case.path.startswith("/v2/"):
            case.query = {**(case.query or {}), "key": secret or ""}
        elif secret is not None:
            headers["X-API-Key"] = secret
        response = case.call(headers=headers)
        where = f"{scope} {case.method} {case.formatted_path} {case.query} {case.body!r:.200}"
        assert response.status_code < 500, f"{where}: {response.text}"
        if response.status_code >= 400:
            assert "error" in response.json(), where
        if not allowed(scope, required):
            assert not 200 <= response.status_code < 300, f"{where}: reached without its scope"
        sent += 1

    check()
    return sent


def test_no_server_errors_and_no_route_without_its_scope(scored_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "sway.duckdb"
    shutil.copy(scored_db, db)
    made = make_keys(db, per_second=1e9)
    with Store.open(db) as store:
        own = create_key(
            store, name="own", scopes=["self"], person_id=PERSON, rate_per_second=1e9
        ).secret
    keys: dict[str | None, str | None] = {
        "admin": made.admin,
        "read": made.read,
        "crm": made.crm,
        "write": made.write,
        "self": own,
        None: None,
    }
    state = ServiceState(settings_for(db))
    state.start(background=False)
    checked: dict[str | None, int] = dict.fromkeys(keys, 0)
    try:
        app = create_app(state.settings, state=state)
        # Schemathesis makes up keys for the keyless calls; the bad-key throttle
        # (tests/api/test_throttle.py) would soon answer everything from this client with 429.
        app.state.failures = FailureThrottle(limit=10**9)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        for result in schema.get_all_operations():
            operation = result.ok()
            required = operation.definition.raw.get("x-scope", "public")
            for scope, secret in keys.items():
                checked[scope] += run_operation(operation, scope, secret, required)
    finally:
        state.stop()
    assert checked["admin"] >= 30 * EXAMPLES_ADMIN // 2
    assert all(n > 0 for n in checked.values()), checked
