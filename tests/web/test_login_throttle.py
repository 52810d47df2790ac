"""Failed logins are throttled per client address, on a real ``sway serve`` of its own (the
other dashboard tests log in from the same address and must not be locked out)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.conftest import live_serve
from sway.api.keys import create_key
from sway.store import Store
from web.test_sessions import call

pytestmark = pytest.mark.slow

BAD = "sway_nope1234_" + "x" * 43


@pytest.fixture(scope="module")
def lonely(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server of its own, and a good key with the read scope."""
    db = tmp_path_factory.mktemp("throttled") / "sway.duckdb"
    shutil.copy(demo_db, db)
    with Store.open(db) as store:
        key = create_key(store, name="dashboard", scopes=["read"]).secret
    with live_serve(db) as (_, url, _lines):
        yield url, key


def test_after_five_failed_logins_even_a_good_key_waits(lonely: tuple[str, str]) -> None:
    url, key = lonely
    for n in range(5):
        failed = call(url, "/login", form={"key": BAD if n % 2 else "not even a key"})
        assert failed.status == 401 and "not valid" in failed.text, n
    refused = call(url, "/login", form={"key": key, "next": "/"})
    assert refused.status == 429, refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "too many failed logins" in refused.text
    assert "Set-Cookie" not in refused.headers
    # Still refused, bad key or good: the wait is not shortened by trying.
    again = call(url, "/login", form={"key": BAD})
    assert again.status == 429 and int(again.headers["Retry-After"]) >= 1
