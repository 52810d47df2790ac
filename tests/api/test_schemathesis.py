"""Schema-driven tests: requests generated from our OpenAPI document never get a 5xx.

Kept short for CI: 10 examples per operation (about 300 in all). The operations are walked
here rather than through ``schemathesis.pytest.from_fixture``, which does not run on pytest 9.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from api.conftest import make_keys, settings_for
from sway.api.app import create_app
from sway.api.state import ServiceState

schemathesis = pytest.importorskip("schemathesis", reason="the dev extra installs schemathesis")

EXAMPLES_PER_OPERATION = 10


def test_no_server_errors(scored_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "sway.duckdb"
    shutil.copy(scored_db, db)
    admin = make_keys(db, per_second=1e9).admin
    state = ServiceState(settings_for(db))
    state.start(background=False)
    checked: list[str] = []
    try:
        schema = schemathesis.openapi.from_asgi(
            "/openapi.json", create_app(state.settings, state=state)
        )
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                if case.path.startswith("/v2/"):
                    case.query = {**(case.query or {}), "key": admin}
                response = case.call(headers={"X-API-Key": admin})
                where = f"{case.method} {case.formatted_path} {case.query} {case.body!r:.200}"
                assert response.status_code < 500, f"{where}: {response.text}"
                if response.status_code >= 400:
                    assert "error" in response.json(), where

            check()
            checked.append(f"{operation.method.upper()} {operation.path}")
    finally:
        state.stop()
    assert len(checked) >= 30
