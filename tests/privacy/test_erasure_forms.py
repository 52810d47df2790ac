"""Erasure reaches every form of an id: audit subjects and query strings (``twitter:@HANDLE``,
``tw:ID``, ``klout:ID``, ``screenName=``, ``%40``-encoded handles), the entries a running server
journals before and after the erasure, post ids that contain the id; ``sway check`` reports
what is left."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx
from tests.privacy.conftest import ERASEE, ERASEE_HANDLE, ERASEE_ID, run_cli
from tests.privacy.test_forget import hits_in_files, hits_in_tables

from api.conftest import live_serve
from sway.api.keys import create_key
from sway.privacy import check, forget
from sway.store import Store
from sway.store.queries import klout_id

KLOUT_IDS = (klout_id(ERASEE), klout_id("erasee"))


def _reads(client: httpx.Client, key: str) -> None:
    """Reads of the erasee's data in every shape a route takes it (answers do not matter)."""
    for url in (
        f"/v2/identity.json/twitter?screenName={ERASEE_HANDLE}&key={key}",
        f"/v2/identity.json/tw/{ERASEE_ID}?key={key}",
        *(f"/v2/user.json/{k}/score?key={key}" for k in KLOUT_IDS),
    ):
        client.get(url)
    headers = {"X-API-Key": key}
    for url in (
        f"/v1/accounts/lookup?network=twitter&handle={quote('@' + ERASEE_HANDLE)}",
        f"/v1/accounts/lookup?network=twitter&handle={ERASEE_HANDLE.lower()}",
        f"/v1/accounts/twitter/{ERASEE_ID}",
        "/v1/people/erasee",
        f"/v1/search?q={ERASEE_HANDLE}",
    ):
        client.get(url, headers=headers)


def _klout_hits(store: Store) -> list[str]:
    found = []
    for (text,) in store.rows(
        "SELECT coalesce(subject, '') || CAST(coalesce(detail, '{}') AS VARCHAR) FROM audit_log"
    ):
        found += [k for k in KLOUT_IDS if k in text]
    return found


def test_reads_before_and_after_an_erasure_leave_no_form_of_the_id(network_db: Path) -> None:
    with Store.open(network_db) as store:
        key = create_key(store, name="reader", scopes=["read"]).secret
    with (
        live_serve(network_db, SWAY_SERVE_USAGE_FLUSH_INTERVAL="3600") as (_p, url, _lines),
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        _reads(client, key)
        # The reads are journaled (durable), not yet in the store: the erasure must reach them.
        run_cli(network_db, "forget", "--yes", "--person", "erasee")
        # Reads the server journals after the erasure land scrubbed when they are moved.
        _reads(client, key)
        assert client.get("/v1/admin/audit", headers={"X-API-Key": key}).status_code == 403
    log = run_cli(network_db, "audit", "--limit", "1000")
    assert log.count("read.") >= 2 * 9 - 1  # every read of both rounds is in the log
    with Store.open(network_db) as store:
        assert hits_in_tables(store) == []
        assert _klout_hits(store) == []
        assert check(store).ok, check(store).problems
    assert hits_in_files(network_db.parent) == []


def test_check_reports_any_form_left_and_forget_again_scrubs_it(network_db: Path) -> None:
    with Store.open(network_db) as store:
        forget(store, accounts=[ERASEE])
        assert check(store).ok
        # Written behind the erasure's back, as an older Sway did.
        store.con.execute(
            "INSERT INTO audit_log (logged_at, actor, action, subject, detail) VALUES "
            "(now(), 'k', 'read.klout', ?, ?), (now(), 'k', 'read.account', NULL, ?)",
            [
                f"tw:{ERASEE_ID}",
                '{"query": "screenName=%40' + ERASEE_HANDLE.lower() + '"}',
                '{"query": "q=klout:' + KLOUT_IDS[0] + '"}',
            ],
        )
        run = store.scalar("SELECT run_id FROM score_runs LIMIT 1")
        store.con.execute(
            "INSERT INTO score_top_posts VALUES (?, 'twitter', '1001', 99, ?, 1, 1, 0.1)",
            [run, f"https://x.com/{ERASEE_HANDLE}/status/1"],
        )
        problems = check(store).problems
        assert any(p.startswith("audit_log.subject: 1 values") for p in problems), problems
        assert any(p.startswith("audit_log.detail: 2 values") for p in problems), problems
        assert any(p.startswith("score_top_posts.post_id: 1 values") for p in problems), problems
        again = forget(store, accounts=[ERASEE])
        assert again.accounts == 0
        assert again.counts == {"audit_log.named": 3, "score_top_posts.post_id": 1}
        assert check(store).ok, check(store).problems
        assert hits_in_tables(store) == []
        assert _klout_hits(store) == []


def test_a_did_inside_post_uris_is_erased(tmp_path: Path) -> None:
    """Bluesky post ids are ``at://DID/...``: an erased author's DID must not survive in them."""
    db = tmp_path / "sway.duckdb"
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    run_cli(db, "ingest", "-q", str(fixtures / "bluesky-xrpc"))
    run_cli(db, "score", "-q", "--window", "20y")
    run_cli(db, "topics", "compute")
    with Store.open(db) as store:
        did = store.scalar(
            "SELECT actor FROM events WHERE actor LIKE 'did:%' AND action = 'post' "
            "GROUP BY actor ORDER BY count(*) DESC LIMIT 1"
        )
        assert did is not None
        forget(store, accounts=[f"bluesky:{did}"])
        columns = store.rows(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND data_type IN ('VARCHAR', 'JSON')"
        )
        left = [
            f"{t}.{c}"
            for t, c in columns
            if store.scalar(f'SELECT count(*) FROM "{t}" WHERE contains("{c}"::VARCHAR, ?)', [did])
        ]
        assert left == []
        assert check(store).ok, check(store).problems


def test_the_same_id_on_another_network_is_not_a_leftover(tmp_path: Path) -> None:
    """SNAP data numbers accounts from 1: erasing ``email:305`` says nothing of
    ``collegemsg:305``, which ``sway check`` must not report (nor erasure touch)."""
    from datetime import UTC, datetime, timedelta

    from sway.events import Event
    from sway.store.ingest import ingest_records

    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    records = [
        Event(net, f"{net}-{i}", t0 + timedelta(hours=i), a, "mention", b)
        for net in ("email", "collegemsg")
        for i, (a, b) in enumerate([("305", "411"), ("411", "305"), ("512", "305")])
    ]
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        ingest_records(store, records, source="t", format="test", sha256="0")
        forget(store, accounts=["email:305"])
        report = check(store)
        assert report.ok, report.problems
        kept = store.scalar(
            "SELECT count(*) FROM events WHERE network = 'collegemsg' "
            "AND (actor = '305' OR target = '305')"
        )
        assert kept == 3
