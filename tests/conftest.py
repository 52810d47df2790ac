from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sway.store import Store

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
