from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from sway.store import Store

# CI runs the same examples every time (a red CI must be reproducible); locally they vary,
# and failures found are kept in .hypothesis/ and replayed.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

FIXTURES = Path(__file__).parent / "fixtures"
#: The larger real datasets, present beside the checkout in development and CI only.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "sway.duckdb") as s:
        yield s


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
