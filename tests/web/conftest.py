"""Fixtures of the dashboard tests: a store built from the bundled demo data, a real
``sway serve`` on loopback, and a real headless Chromium driven by Playwright.

The store: the demo's Stack Exchange site (``data/demo``), scored four times (two runs with
another half-life, an earlier series; then two of the default series a day apart, so that the
history has a series change and the profile a day change), with the topics of the latest run,
a few Mastodon accounts (one linked with a Stack Exchange account into a person), and keys:
read + crm, read only, crm only, admin, and that person's own key.

The browser tests skip when Debian's ``chromium`` or the ``playwright`` package is missing,
except where ``SWAY_REQUIRE_BROWSER=1`` (CI), where they fail instead (tests/optional.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from api.conftest import live_serve, sway
from optional import missing
from sway.api.keys import create_key
from sway.store import Store

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "stackexchange-conlang-meta"
CHROMIUM = Path("/usr/bin/chromium")
#: Flags that keep Chromium quiet on a closed network (no update, sync or background fetches).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Where each page's screenshot goes. The README's images are refreshed with
#: ``SWAY_SCREENSHOTS=docs/screenshots make test``; by default a plain test run leaves the
#: working tree alone (the images hold the run's random key ids, so they differ every time).
SCREENSHOTS = Path(
    os.environ.get("SWAY_SCREENSHOTS") or Path(tempfile.gettempdir()) / "sway-screenshots"
)
#: The runs: (as_of, extra parameters). The first two are an earlier series.
RUNS = (
    ("2020-07-25T00:00:00Z", ("-p", "half_life_days=60")),
    ("2020-08-10T00:00:00Z", ("-p", "half_life_days=60")),
    ("2020-08-24T00:00:00Z", ()),
    ("2020-08-25T01:00:00Z", ()),
)


@dataclass(frozen=True)
class Keys:
    full: str  # read + crm
    read: str
    crm: str
    admin: str
    own: str  # the own key (scope self) of OWN_PERSON


@dataclass
class Server:
    proc: subprocess.Popen[str]
    url: str
    db: Path
    keys: Keys
    lines: list[str] = field(default_factory=list)

    def api(
        self, path: str, *, body: Any = None, key: str | None = None, method: str | None = None
    ) -> Any:
        """A JSON call to the API of the same server (GET, or POST with a body)."""
        import urllib.request

        data = None if body is None else orjson.dumps(body)
        request = urllib.request.Request(
            self.url + path,
            data=data,
            headers={"X-API-Key": key or self.keys.full, "Content-Type": "application/json"},
            method=method or ("POST" if body is not None else "GET"),
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as response:
            return orjson.loads(response.read())


#: A few Mastodon accounts in the demo's window, so that boards have a second network; the
#: first is linked with a Stack Exchange account into the person ``torisuda``.
MASTODON = "network,event_id,ts,actor,action,target,content_id,parent_id,text\n" + "".join(
    f"mastodon,p{i},2020-08-0{1 + i}T10:00:00Z,{author},post,,p{i},,conlang notes {i}\n"
    + "".join(
        f"mastodon,f{i}-{r},2020-08-0{1 + i}T11:00:00Z,{r},like,{author},p{i},,\n" for r in reactors
    )
    for i, (author, reactors) in enumerate(
        [
            ("tori@conlang.social", ["ann@x.social", "bea@x.social", "cal@x.social"]),
            ("ann@x.social", ["bea@x.social", "tori@conlang.social"]),
            ("bea@x.social", ["cal@x.social"]),
        ]
    )
)
#: The person whose own key (scope ``self``) the tests use, and their Stack Exchange account.
OWN_PERSON = "torisuda"
SE_TORI = "stackexchange:conlang-meta:user:7"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("web") / "demo.duckdb"
    sway(db, "ingest", "-q", str(DEMO))
    extra = db.parent / "mastodon.csv"
    extra.write_text(MASTODON, encoding="utf-8")
    sway(db, "ingest", "-q", str(extra), "--format", "events")
    sway(db, "people", "link", OWN_PERSON, SE_TORI, "mastodon:tori@conlang.social")
    for as_of, extra in RUNS:
        sway(db, "score", "-q", "--window", "3y", "--as-of", as_of, *extra)
    sway(db, "topics", "compute")
    return db


@pytest.fixture(scope="session")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = tmp_path_factory.mktemp("served") / "sway.duckdb"
    shutil.copy(demo_db, db)
    with Store.open(db) as store:
        keys = Keys(
            *(
                create_key(store, name=name, scopes=scopes, rate_per_second=10_000).secret
                for name, scopes in (
                    ("dashboard", ["read", "crm"]),
                    ("analyst", ["read"]),
                    ("care-desk", ["crm"]),
                    ("operator", ["admin"]),
                )
            ),
            create_key(
                store, name="own", scopes=["self"], person_id=OWN_PERSON, rate_per_second=10_000
            ).secret,
        )
    with live_serve(db, SWAY_SERVE_REFRESH_INTERVAL="0.5") as (proc, url, lines):
        yield Server(proc, url, db, keys, lines)


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    why = _missing_browser()
    if why is not None:
        missing("BROWSER", why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A fresh browser context (no cookies), logged in with the read + crm key."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    login(tab, server, server.keys.full)
    try:
        yield tab
    finally:
        context.close()


def login(tab: Any, server: Server, key: str, *, path: str = "/") -> None:
    tab.goto(server.url + path)
    tab.fill("#key", key)
    tab.click("form[action='/login'] button[type=submit]")
    tab.wait_for_load_state()


def screenshot(tab: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
