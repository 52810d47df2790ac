"""docs/api.md cannot drift: its route table is the OpenAPI document's operations and scopes."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.conftest import Keys

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_route_table_matches_the_openapi_document(shared: tuple[TestClient, Keys]) -> None:
    client, _ = shared
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- api-routes:start -->")[1].split("<!-- api-routes:end -->")[0]
    documented = {
        (m, p, s) for m, p, s in re.findall(r"^\| `(\w+)` \| `([^`]+)` \| (\w+) \|", block, re.M)
    }
    doc = client.app.openapi()
    actual = {
        (method.upper(), path, op["x-scope"])
        for path, item in doc["paths"].items()
        for method, op in item.items()
    }
    assert documented == actual
