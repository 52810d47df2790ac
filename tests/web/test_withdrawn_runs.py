"""The dashboard with the latest run withdrawn (real ``sway serve``, real Chromium): the board
serves the run before it, says which run is withdrawn and why, and the profile's history and
changes leave the withdrawn run out."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.conftest import live_serve, sway
from sway.api.keys import create_key
from sway.store import Store
from web.conftest import RUNS, login, screenshot

pytestmark = pytest.mark.slow
REASON = "scored before the spam import was removed"


@pytest.fixture(scope="module")
def withdrawn(
    demo_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, str, str]]:
    """A server over the demo store whose latest run is withdrawn:
    ``(url, read key, withdrawn run id, served run id)``."""
    db = tmp_path_factory.mktemp("withdrawn") / "sway.duckdb"
    shutil.copy(demo_db, db)
    runs = {r["as_of"]: r["run_id"] for r in json.loads(sway(db, "runs", "--json"))}
    latest = runs[RUNS[-1][0].replace("Z", "+00:00")]
    served = runs[RUNS[-2][0].replace("Z", "+00:00")]
    sway(db, "runs", "withdraw", latest, "--reason", REASON, "--by", "ops")
    with Store.open(db) as store:
        key = create_key(store, name="board", scopes=["read"], rate_per_second=10_000).secret
    with live_serve(db) as (_, url, _lines):
        yield url, key, latest, served


def test_the_board_serves_the_run_before_and_says_why(
    browser: Any, withdrawn: tuple[str, str, str, str]
) -> None:
    url, key, latest, served = withdrawn
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    try:
        login(tab, _Server(url), key)
        main = tab.locator("main").inner_text()
        assert f"Run {served}" in main
        note = tab.locator("#withdrawn-runs").inner_text()
        assert latest in note and "withdrawn" in note and REASON in note
        screenshot(tab, "leaderboard-withdrawn")
        # The profile of the top account: its history has no point of the withdrawn run.
        tab.locator("#board tbody tr a").first.click()
        tab.wait_for_load_state()
        tab.click("#history summary")
        shown = [c.inner_text() for c in tab.locator("#history-table tbody td:nth-child(3)").all()]
        assert served in shown and latest not in shown
    finally:
        context.close()


class _Server:
    """What :func:`web.conftest.login` reads of a server."""

    def __init__(self, url: str) -> None:
        self.url = url
