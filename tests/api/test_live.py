"""A live ``sway serve`` on loopback: the real ``klout`` 0.1.3 client from PyPI drives every route
it has, unchanged; and the CLI keeps writing the store while the server runs.

The ``klout`` package is a test dependency (installed with the dev extra, not at test time).
"""

from __future__ import annotations

import gc
import gzip
import json
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from api.conftest import PERSON, SWAY, live_serve
from optional import import_or_missing
from sway.privacy.audit import REDACTED

klout = import_or_missing("klout", part="DEV")

pytestmark = pytest.mark.slow


def run_cli(db: Path, *args: str, attempts: int = 50) -> str:
    """Run a CLI command; retry while the store is locked by the server's short read sessions
    (until `Store.open` waits for the lock itself)."""
    for _ in range(attempts):
        done = subprocess.run(
            [*SWAY, "--db", str(db), *args], capture_output=True, text=True, timeout=120
        )
        if done.returncode == 0:
            return done.stdout
        if "lock" not in done.stderr.lower():
            raise AssertionError(done.stderr)
        time.sleep(0.1)
    raise AssertionError(f"store still locked: {done.stderr}")


@dataclass
class Server:
    proc: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"

    def requests(self) -> list[str]:
        """Request targets seen so far, from the access log."""
        return re.findall(r'"GET (\S+) HTTP/1\.1"', "\n".join(self.lines))


@pytest.fixture(scope="module")
def server(
    scored_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Path]]:
    """One server for the module (the last test publishes a new run: keep it last)."""
    db = tmp_path_factory.mktemp("live") / "live.duckdb"
    shutil.copy(scored_db, db)
    with live_serve(db, SWAY_SERVE_REFRESH_INTERVAL="0.2", SWAY_SERVE_LINGER="0.05") as (
        proc,
        url,
        lines,
    ):
        yield Server(proc, int(url.rsplit(":", 1)[1]), lines), db


def wait_for(predicate: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


# klout 0.1.3 never closes its responses; their sockets are collected (with a ResourceWarning)
# whenever the garbage collector runs. That is the client's habit, not the server's.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_klout_client_drives_every_route_unchanged(server: tuple[Server, Path]) -> None:
    srv, db = server
    # The key is made while the server runs: the CLI writes beside it, the server picks it up.
    key = run_cli(
        db, "apikey", "create", "--name", "klout", "--scope", "read", "--per-second", "1000"
    ).strip()
    k = klout.Klout(key, domain=srv.base)

    def works() -> bool:
        try:
            k.identity.klout(screenName="Breaking911")
            return True
        except klout.KloutHTTPError:
            return False

    wait_for(works)
    kid = k.identity.klout(screenName="Breaking911")["id"]
    assert isinstance(kid, str) and kid.isdigit()
    assert k.identity.klout(screenName="Breaking911") == {"id": kid, "network": "ks"}
    assert k.identity.klout(tw="375721095") == {"id": kid, "network": "ks"}
    assert k.identity.klout(ks=kid) == {"id": kid, "network": "ks"}
    assert k.identity.tw(klout=kid) == {"id": "375721095", "network": "tw"}
    for call in (
        lambda: k.identity.gp(klout=kid),
        lambda: k.identity.klout(gp="112975106809988327760"),
        lambda: k.identity.klout(ig="816029"),
    ):
        with pytest.raises(klout.KloutHTTPError) as info:
            call()
        assert info.value.e.code == 404
        assert json.loads(info.value.e.read())["error"] == 404

    user = k.user.klout(kloutId=kid)
    assert user["kloutId"] == kid and user["nick"] == "Breaking911"
    assert set(user) == {"kloutId", "nick", "score", "scoreDeltas"}
    assert set(user["score"]) == {"score", "bucket"}
    assert set(user["scoreDeltas"]) == {"dayChange", "weekChange", "monthChange"}
    score = k.user.score(kloutId=kid, timeout=5)
    assert set(score) == {"score", "scoreDelta", "bucket"}  # singular here, as Klout had it
    assert score["score"] == user["score"]["score"] and 1 <= score["score"] <= 100
    assert score["scoreDelta"] == user["scoreDeltas"]
    assert score["scoreDelta"]["dayChange"] != 0  # the fixture has a run a day earlier
    topics = k.user.topics(kloutId=kid)  # a bare array
    assert isinstance(topics, list) and topics[0]["id"] == "tag:news"
    assert set(topics[0]) == {
        "id",
        "displayName",
        "name",
        "slug",
        "imageUrl",
        "displayType",
        "topicType",
    }
    influence = k.user.influence(kloutId=kid)
    assert set(influence) == {
        "myInfluencers",
        "myInfluencees",
        "myInfluencersCount",
        "myInfluenceesCount",
    }
    assert 0 < len(influence["myInfluencers"]) <= 5
    assert influence["myInfluencersCount"] >= len(influence["myInfluencers"])
    entity = influence["myInfluencers"][0]["entity"]
    assert entity["id"] == entity["payload"]["kloutId"] and isinstance(entity["id"], str)
    assert set(entity["payload"]) == {"kloutId", "nick", "score", "scoreDeltas"}

    with pytest.raises(klout.KloutHTTPError) as info:
        klout.Klout("not-a-key", domain=srv.base).user.score(kloutId=kid)
    assert info.value.e.code == 403
    assert json.loads(info.value.e.read()) == {
        "error": 403,
        "description": "Invalid or unprovided API key. All calls must have a key.",
    }

    # The request lines are exactly those the client library builds (see docs/api.md), the key
    # redacted.
    gc.collect()  # the client's unclosed sockets go now, inside this test
    seen = srv.requests()
    # The access log never shows the key itself (sway.api.logs).
    hidden = REDACTED
    assert not any(key in line for line in srv.lines)
    for target in (
        f"/v2/identity.json/twitter?key={hidden}&screenName=Breaking911",
        f"/v2/identity.json/tw/375721095?key={hidden}",
        f"/v2/identity.json/gp/112975106809988327760?key={hidden}",
        f"/v2/identity.json/ig/816029?key={hidden}",
        f"/v2/identity.json/ks/{kid}?key={hidden}",
        f"/v2/identity.json/klout/{kid}/tw?key={hidden}",
        f"/v2/identity.json/klout/{kid}/gp?key={hidden}",
        f"/v2/user.json/{kid}?key={hidden}",
        f"/v2/user.json/{kid}/score?key={hidden}",
        f"/v2/user.json/{kid}/topics?key={hidden}",
        f"/v2/user.json/{kid}/influence?key={hidden}",
    ):
        assert target in seen, target


def test_gzip_only_when_asked_and_absolute_form_targets(server: tuple[Server, Path]) -> None:
    srv, db = server
    key = run_cli(db, "apikey", "create", "--name", "raw", "--scope", "read").strip()
    url = f"http://{srv.base}/v2/user.json/{klout_id_of_person()}/influence?key={key}"
    wait_for(lambda: _status(url) == 200)
    asked = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(asked) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert json.loads(gzip.decompress(response.read()))["myInfluencers"]
    plain = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    with urllib.request.urlopen(plain) as response:
        assert response.headers["Content-Encoding"] is None and json.loads(response.read())
    # Through http_proxy, clients send absolute-form targets; the path is taken from them.
    proxy = urllib.request.build_opener(urllib.request.ProxyHandler({"http": f"http://{srv.base}"}))
    target = f"http://api.klout.com/v2/identity.json/twitter?key={key}&screenName=Breaking911"
    with proxy.open(target) as response:
        assert json.loads(response.read())["network"] == "ks"


def _status(url: str | urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(url) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


def _json(url: str | urllib.request.Request) -> dict:
    with urllib.request.urlopen(url) as response:
        data: dict = json.loads(response.read())
        return data


def klout_id_of_person() -> str:
    from sway.store.queries import klout_id

    return klout_id(PERSON)


def test_a_hidden_topic_stops_being_served(server: tuple[Server, Path]) -> None:
    srv, db = server
    key = run_cli(db, "apikey", "create", "--name", "privacy", "--scope", "read").strip()
    request = urllib.request.Request(
        f"http://{srv.base}/v1/accounts/twitter/375721095", headers={"X-API-Key": key}
    )
    wait_for(lambda: _status(request) == 200)
    assert [t["id"] for t in _json(request)["topics"]] == ["tag:news"]
    run_cli(db, "topics", "hide", "twitter:375721095", "--topic", "news")
    wait_for(lambda: _json(request)["topics"] == [])


def test_cli_ingests_and_scores_beside_the_server(server: tuple[Server, Path]) -> None:
    srv, db = server
    key = run_cli(db, "apikey", "create", "--name", "ops", "--scope", "read").strip()
    health = f"http://{srv.base}/v1/health"
    before = _json(health)["run"]["as_of"]
    assert before == "2021-04-09T00:00:00Z"
    late = db.parent / "late.csv"
    late.write_text(
        "network,event_id,ts,actor,action,target,content_id,parent_id,text\n"
        "twitter,late-1,2021-04-09T10:00:00Z,43222416,reply,375721095,late-1,x-p2,still here\n",
        encoding="utf-8",
    )
    run_cli(db, "ingest", "-q", str(late))
    run_cli(db, "score", "-q", "--window", "90d", "--as-of", "2021-04-10T00:00:00Z")

    def new_run() -> bool:
        run = _json(health)["run"]
        return bool(run["as_of"] == "2021-04-10T00:00:00Z")

    wait_for(new_run)
    request = urllib.request.Request(
        f"http://{srv.base}/v1/accounts/twitter/375721095", headers={"X-API-Key": key}
    )
    wait_for(lambda: _status(request) == 200)
    profile = _json(request)
    assert profile["run"]["as_of"] == "2021-04-10T00:00:00Z"
    assert profile["change"]["day"] is not None
