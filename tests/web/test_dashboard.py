"""The dashboard end to end: a real ``sway serve`` and a real headless Chromium.

Each page is opened on the demo store, the numbers it shows are checked against the API of the
same server, the campaign builder and the triage queue are used through their forms, and a
screenshot of each page is saved to ``$SWAY_SCREENSHOTS`` (``docs/screenshots/`` refreshes the README).
"""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import orjson
import pytest

from sway.store import Store
from sway.store.queries import reactor_sets
from web.conftest import OWN_PERSON, Server, login, screenshot

pytestmark = pytest.mark.slow
#: Plain HTTP calls to the loopback server, whatever proxy the environment names.
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def rows(tab: Any, selector: str) -> list[Any]:
    return list(tab.locator(selector).all())


def one_decimal(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


# -- the session ------------------------------------------------------------------------


def test_pages_need_a_login_kept_in_an_httponly_strict_cookie(browser: Any, server: Server) -> None:
    context = browser.new_context()
    tab = context.new_page()
    try:
        tab.goto(server.url + "/campaign?k=3")
        assert urlparse(tab.url).path == "/login"
        screenshot(tab, "login")
        tab.fill("#key", "sway_nope1234_" + "x" * 43)
        tab.click("form[action='/login'] button[type=submit]")
        assert "not valid" in tab.locator("#login-error").inner_text()
        login(tab, server, server.keys.read, path="/campaign?k=3")
        # Back where it was going, and the key is in no URL and out of the page's reach.
        assert urlparse(tab.url).path == "/campaign" and "k=3" in tab.url
        assert server.keys.read not in tab.url
        assert tab.evaluate("document.cookie") == ""
        # The cookie holds a random session id, never the key (nor any part of its secret).
        (cookie,) = context.cookies()
        assert cookie["name"] == "sway_session" and len(cookie["value"]) >= 43
        assert server.keys.read.rsplit("_", 1)[1] not in cookie["value"]
        assert server.keys.read not in tab.content()
        assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
        assert cookie["expires"] == -1  # a session cookie: gone when the browser closes
        # A read-only key does not open the triage queue.
        tab.goto(server.url + "/triage")
        assert "lacks the 'crm' scope" in tab.locator("#error-message").inner_text()
        tab.goto(server.url + "/")
        tab.click("form.logout button")
        assert urlparse(tab.url).path == "/login"
        assert context.cookies() == []
        tab.goto(server.url + "/")
        assert urlparse(tab.url).path == "/login"
    finally:
        context.close()


def test_a_key_without_read_cannot_log_in(browser: Any, server: Server) -> None:
    context = browser.new_context()
    tab = context.new_page()
    try:
        login(tab, server, server.keys.crm)
        assert "lacks the read scope" in tab.locator("#login-error").inner_text()
        assert context.cookies() == []
    finally:
        context.close()


# -- leaderboards -----------------------------------------------------------------------


def test_leaderboard_shows_what_the_api_ranks(page: Any, server: Server) -> None:
    api = server.api("/v1/leaderboards/accounts?limit=25")
    shown = rows(page, "#board tbody tr")
    assert len(shown) == len(api["items"]) > 5
    for row, item in zip(shown, api["items"], strict=True):
        account = item["account"]
        assert row.get_attribute("data-subject") == f"{account['network']}:{account['account_id']}"
        assert row.locator("td.score").inner_text() == one_decimal(account["score"])
    assert page.locator("#board-total").inner_text().startswith(f"{api['total']:,} accounts")
    screenshot(page, "leaderboard")


def test_leaderboard_filters_by_topic_people_and_search(page: Any, server: Server) -> None:
    page.fill("#topic", "discussion")
    page.click("form.filters button[type=submit]")
    api = server.api("/v1/leaderboards/accounts?topic=discussion&limit=25")
    shown = [r.get_attribute("data-subject") for r in rows(page, "#board tbody tr")]
    assert shown == [
        f"{i['account']['network']}:{i['account']['account_id']}" for i in api["items"]
    ]
    # People: the select applies at once (the small script), the topic stays.
    with page.expect_navigation():
        page.select_option("#kind", "people")
    api = server.api("/v1/leaderboards/people?topic=discussion&limit=25")
    shown = [r.get_attribute("data-subject") for r in rows(page, "#board tbody tr")]
    assert shown == [i["person"]["person_id"] for i in api["items"]]
    page.goto(server.url + "/?q=nisbet")  # by display name: these accounts have no handle
    api = server.api("/v1/search?q=nisbet")
    shown = [r.get_attribute("data-subject") for r in rows(page, "#board tbody tr")]
    assert shown == [f"{i['network']}:{i['account_id']}" for i in api["items"]] != []


def test_people_board_keeps_the_people_on_the_network_chosen(page: Any, server: Server) -> None:
    everyone = server.api("/v1/leaderboards/people?limit=25")
    page.goto(server.url + "/?kind=people")
    with page.expect_navigation():
        page.select_option("#network", "mastodon")
    api = server.api("/v1/leaderboards/people?network=mastodon&limit=25")
    shown = [r.get_attribute("data-subject") for r in rows(page, "#board tbody tr")]
    assert shown == [i["person"]["person_id"] for i in api["items"]]
    # The linked person (Stack Exchange and Mastodon) and the unlinked Mastodon accounts only.
    assert OWN_PERSON in shown and not any(s.startswith("stackexchange:") for s in shown)
    assert all("mastodon" in [n["network"] for n in i["networks"]] for i in api["items"])
    assert 0 < api["total"] < everyone["total"]
    assert (
        page.locator("#board-total")
        .inner_text()
        .startswith(f"{api['total']:,} people with an account on mastodon")
    )
    assert "at least one account on mastodon" in page.locator("#network-note").inner_text()
    # On a topic too: nobody on Mastodon writes about "discussion".
    page.goto(server.url + "/?kind=people&network=stackexchange&topic=discussion")
    api = server.api("/v1/leaderboards/people?network=stackexchange&topic=discussion&limit=25")
    shown = [r.get_attribute("data-subject") for r in rows(page, "#board tbody tr")]
    assert shown == [i["person"]["person_id"] for i in api["items"]] != []


# -- profiles ---------------------------------------------------------------------------


def signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}"


def account_with_history(server: Server) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The highest-ranked account scored in every run (both series): its summary, API path
    and history."""
    for item in server.api("/v1/leaderboards/accounts?limit=50")["items"]:
        account = item["account"]
        base = f"/v1/accounts/{account['network']}/{quote(account['account_id'], safe='')}"
        history = server.api(base + "/history")
        if sum(len(s["points"]) for s in history["series"]) == 4:
            return account, base, history
    raise AssertionError("no account was scored in every run")


def test_account_profile_matches_the_api(page: Any, server: Server) -> None:
    account, base, history = account_with_history(server)
    page.click(f"#board tbody tr[data-subject='{account['network']}:{account['account_id']}'] a")
    profile = server.api(base)
    assert page.locator("#score").inner_text() == one_decimal(profile["score"])
    subs = profile["sub_scores"]
    assert page.locator("#reach").inner_text() == f"{subs['reach']:,.3f}"
    assert page.locator("#network-impact").inner_text() == f"{subs['network_impact']:,.3f}"
    for period in ("day", "week", "month"):
        assert page.locator(f"#change-{period}").inner_text() == signed(profile["change"][period])
    assert profile["change"]["day"] is not None
    # History: every run of both series, and the series change marked.
    points = [p for s in history["series"] for p in s["points"]]
    assert len(history["series"]) == 2
    page.click("#history summary")
    shown_runs = [r.inner_text() for r in rows(page, "#history-table tbody tr td:nth-child(3)")]
    assert shown_runs == [p["run_id"] for p in points]
    assert "new series" in page.locator("#history figure").inner_text()
    assert page.locator("#history svg[role=img]").count() == 1
    # Each point says on hover when, what and which run.
    titles = [t.text_content() for t in rows(page, "#history svg title")]
    assert titles == [
        f"{p['as_of'][:10]} {p['as_of'][11:16]}: score {p['score']:.1f} (run {p['run_id']})"
        for s in sorted(history["series"], key=lambda s: s["points"][0]["as_of"])
        for p in s["points"]
    ]
    # The explanation: the chart and the words give the same points as the API.
    explanation = server.api(base + "/explanation")
    words = page.locator("#explanation-words").inner_text()
    for c in explanation["contributions"]:
        assert f"{c['points']:+.1f} from {c['factor'].replace('_', ' ')}" in words
    assert rows(page, "#top-reactors tbody tr").__len__() == len(explanation["top_reactors"])
    influencers = server.api(base + "/influencers?limit=8")["items"]
    assert [r.inner_text().split(" · ")[0] for r in rows(page, "#influencers li")] == [
        i["account"]["display_name"] or i["account"]["handle"] or i["account"]["account_id"]
        for i in influencers
    ]
    # Privacy: who can see the score (every key with read), and the export and erasure flows.
    viewers = page.locator("#viewers").inner_text()
    assert "dashboard" in viewers and "analyst" in viewers and "care-desk" not in viewers
    hrefs = [a.get_attribute("href") for a in rows(page, "#privacy-links a")]
    person = quote(profile["person"]["person_id"], safe="")
    assert hrefs == [f"/v1/privacy/people/{person}/export", f"/v1/privacy/people/{person}"]
    # Those are the privacy routes of the API: a key of another scope is refused there (403,
    # not 404), and the score is private until the person publishes it.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(
            urllib.request.Request(server.url + hrefs[0], headers={"X-API-Key": server.keys.read})
        )
    assert refused.value.code == 403
    refused.value.close()
    assert page.locator("#published").inner_text().startswith("Private:")
    screenshot(page, "profile")


def test_topics_with_evidence_and_sentiment(page: Any, server: Server) -> None:
    top = server.api("/v1/leaderboards/accounts?topic=discussion&limit=1")["items"][0]["account"]
    page.goto(server.url + f"/accounts/{top['network']}/{quote(top['account_id'], safe='')}")
    topics = [r.inner_text() for r in rows(page, "#topics-table tbody tr td:first-child a")]
    assert "discussion" in topics
    page.locator("#topics-table details summary").first.click()
    assert "reactions from" in page.locator("#topics-table details").first.inner_text()
    assert "mean sentiment" in page.locator("#sentiment-overall").inner_text()


def test_person_profile_matches_the_api(page: Any, server: Server) -> None:
    page.goto(server.url + "/?kind=people")
    page.click("#board tbody tr:first-child a")
    person_id = page.url.split("/people/", 1)[1]
    profile = server.api(f"/v1/people/{person_id}")
    assert page.locator("#score").inner_text() == one_decimal(profile["score"])
    networks = [r.inner_text() for r in rows(page, "#networks tbody td:first-child")]
    assert networks == [n["network"] for n in profile["networks"]]


def test_unknown_account_is_a_page_and_the_api_stays_json(page: Any, server: Server) -> None:
    response = page.goto(server.url + "/accounts/stackexchange/no-such-account")
    assert response.status == 404
    assert "no stackexchange account" in page.locator("#error-message").inner_text()
    response = page.goto(server.url + "/v1/accounts/stackexchange/no-such-account")
    assert response.status == 401 and response.headers["content-type"] == "application/json"


# -- campaign builder -------------------------------------------------------------------


def test_campaign_builder_covers_the_largest_distinct_audience(page: Any, server: Server) -> None:
    page.click("nav a[href='/campaign']")
    page.fill("#campaign-topic", "discussion")
    page.fill("#campaign-k", "4")
    page.click("form.filters button[type=submit]")
    picked = [r.get_attribute("data-subject") for r in rows(page, "#picks tbody tr")]
    assert len(picked) == 4
    numbers = [
        [int(r.locator(f"td.{c}").inner_text()) for c in ("audience", "new", "overlap", "reach")]
        for r in rows(page, "#picks tbody tr")
    ]
    # The API's plan is the page's.
    plan = server.api("/v1/campaign?topic=discussion&k=4")
    assert picked == [
        f"{m['account']['network']}:{m['account']['account_id']}" for m in plan["members"]
    ]
    assert numbers == [
        [m[c] for c in ("audience", "new", "overlap", "reach")] for m in plan["members"]
    ]
    assert plan["audience"] in page.locator("#audience-note").inner_text()
    # An independent oracle: the candidates from the API's topic board, the reactors of their
    # items on the topic read straight from the store in the topic run's window, the greedy
    # rule written out again.
    board = server.api("/v1/leaderboards/accounts?topic=discussion&limit=200")["items"]
    refs = [(i["account"]["network"], i["account"]["account_id"]) for i in board]
    with Store.open(server.db, read_only=True) as store:
        run_id, start, end = store.rows("SELECT topic_run_id, window_start, as_of FROM topic_runs")[
            0
        ]
        sets = reactor_sets(store, refs, start=start, end=end, topic=(run_id, plan["topic_id"]))
        everyone = reactor_sets(store, refs, start=start, end=end)
    # The topic audience is a part of the whole audience, and a smaller one for someone.
    assert all(sets[r] <= everyone[r] for r in refs)
    assert any(sets[r] < everyone[r] for r in refs)
    covered: set[str] = set()
    expected = []
    for _ in range(4):
        best = max(refs, key=lambda r: (len(sets[r] - covered), -refs.index(r)))
        expected.append((best, len(sets[best]), len(sets[best] - covered)))
        covered |= sets[best]
    assert picked == [f"{n}:{a}" for (n, a), _, _ in expected]
    assert [(n[0], n[1]) for n in numbers] == [(size, new) for _, size, new in expected]
    assert int(page.locator("#reach").inner_text()) == len(covered) == numbers[-1][3]
    assert int(page.locator("#audience-sum").inner_text()) == sum(n[0] for n in numbers)
    diagonal = [int(c.inner_text()) for c in rows(page, "#overlaps td.diag")]
    assert diagonal == [n[0] for n in numbers]
    screenshot(page, "campaign")
    # The CSV export is the same list.
    with page.expect_download() as info:
        page.click("#csv-link")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert [f"{r['network']}:{r['account_id']}" for r in exported] == picked
    assert [int(r["cumulative_reach"]) for r in exported] == [n[3] for n in numbers]


# -- triage -----------------------------------------------------------------------------


def test_triage_queue_orders_like_the_api_and_shows_reasons(page: Any, server: Server) -> None:
    page.click("nav a[href='/triage']")
    inbox = page.locator("#messages").input_value()
    page.click("#triage-submit")
    import orjson

    messages = [orjson.loads(line) for line in inbox.splitlines() if line.strip()]
    api = server.api("/v1/triage", body=messages)["queue"]
    shown = rows(page, "#queue tbody tr")
    assert [r.get_attribute("data-id") for r in shown] == [m["id"] for m in api]
    assert [r.locator("td.priority").inner_text() for r in shown] == [
        one_decimal(m["priority"]) for m in api
    ]
    first_reasons = [
        li.inner_text() for li in rows(page, "#queue tbody tr:first-child .reasons li")
    ]
    assert first_reasons == api[0]["reasons"] != []
    screenshot(page, "triage")
    # A bad line is named, and nothing is lost from the form.
    page.fill("#messages", '{"network": "twitter", "author": "x", "text": "hi"}\n{"network": ')
    page.click("#triage-submit")
    assert "line 2" in page.locator("#triage-error").inner_text()
    assert page.locator("#messages").input_value().startswith('{"network": "twitter"')


# -- keyboard, phone, payload -----------------------------------------------------------


def test_usable_by_keyboard(page: Any, server: Server) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Campaign builder":
            break
    else:
        pytest.fail("the campaign link never gets the focus")
    page.keyboard.press("Enter")
    page.wait_for_url("**/campaign")
    page.focus("#campaign-topic")
    page.keyboard.type("discussion")
    page.keyboard.press("Enter")
    page.wait_for_url("**/campaign?*")
    assert len(rows(page, "#picks tbody tr")) == 5


def test_readable_on_a_phone(browser: Any, server: Server) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    tab = context.new_page()
    try:
        login(tab, server, server.keys.full)
        _, base, _ = account_with_history(server)
        tab.goto(server.url + base.removeprefix("/v1"))
        # Nothing wider than the screen but the tables' own scrolling boxes.
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(tab, "profile-phone")
    finally:
        context.close()


def test_everything_comes_from_the_server_and_pages_stay_small(page: Any, server: Server) -> None:
    top = server.api("/v1/leaderboards/accounts?limit=1")["items"][0]["account"]
    seen: list[tuple[str, int]] = []
    page.on("response", lambda r: seen.append((r.url, len(r.body()))))
    page.goto(server.url + f"/accounts/{top['network']}/{quote(top['account_id'], safe='')}")
    page.wait_for_load_state("networkidle")
    assert seen and all(url.startswith(server.url + "/") for url, _ in seen)
    total = sum(size for _, size in seen)
    assert total < 150_000, seen


def test_search_finds_accounts_without_a_handle_by_name(server: Server) -> None:
    # Stack Exchange accounts have a display name and no handle.
    found = server.api("/v1/search?q=nisbet")["items"]
    assert [i["display_name"] for i in found] == ["Gregory Nisbet"]
    assert found[0]["handle"] is None


def test_dashboard_reads_are_audited(page: Any, server: Server) -> None:
    top = server.api("/v1/leaderboards/accounts?limit=1")["items"][0]["account"]
    subject = f"{top['network']}:{top['account_id']}"
    page.goto(server.url + f"/accounts/{top['network']}/{quote(top['account_id'], safe='')}")
    entries = server.api(
        f"/v1/admin/audit?action=read.account&subject={quote(subject, safe='')}",
        key=server.keys.admin,
    )
    routes = [e["detail"]["route"] for e in entries if e["detail"]]
    assert any(r.startswith("/accounts/") for r in routes), entries


def test_an_admin_erases_a_person_from_the_profile(page: Any, server: Server) -> None:
    # The last account of the board: the other tests look at the top ones.
    victim = server.api("/v1/leaderboards/accounts?limit=200")["items"][-1]["account"]
    api_path = f"/v1/accounts/{victim['network']}/{quote(victim['account_id'], safe='')}"
    person_id = server.api(api_path)["person"]["person_id"]
    path = api_path.removeprefix("/v1")
    page.goto(server.url + path)
    assert page.locator("#erase-form").count() == 0  # a read session is not offered it
    login(page, server, server.keys.admin, path=f"/login?next={quote(path, safe='')}")
    # A wrong confirmation erases nothing.
    page.fill("#confirm", "someone else")
    page.click("#erase-form button[type=submit]")
    assert "to confirm the erasure" in page.locator("#error-message").inner_text()
    assert server.api(api_path)["person"]["person_id"] == person_id
    page.goto(server.url + path)
    page.fill("#confirm", person_id)
    page.click("#erase-form button[type=submit]")
    assert page.locator("#erased").inner_text().startswith("Erased")
    with pytest.raises(urllib.error.HTTPError) as gone:
        server.api(api_path)
    assert gone.value.code == 404
    gone.value.close()
    with Store.open(server.db, read_only=True) as store:
        assert not store.rows(
            "SELECT 1 FROM accounts WHERE network = ? AND account_id = ?",
            [victim["network"], victim["account_id"]],
        )
        assert store.scalar("SELECT count(*) FROM erasures") == 1


def test_an_admin_publishes_and_unpublishes_from_the_profile(page: Any, server: Server) -> None:
    person = quote(OWN_PERSON, safe="")
    path, visibility = f"/people/{person}", f"/v1/privacy/people/{person}/visibility"
    page.goto(server.url + path)
    assert page.locator("#visibility-switch").count() == 0  # a read session is not offered it
    login(page, server, server.keys.admin, path=f"/login?next={quote(path, safe='')}")
    try:
        assert page.locator("#published").inner_text().startswith("Private:")
        page.click("#visibility-switch")
        assert urlparse(page.url).path == path
        assert page.locator("#published").inner_text().startswith("Published:")
        assert server.api(visibility, key=server.keys.admin) == {
            "subject": OWN_PERSON,
            "public": True,
            "chosen": True,
        }
        # Published: served without a key.
        with NO_PROXY.open(server.url + f"/v1/public/people/{person}") as response:
            assert response.status == 200
        page.click("#visibility-switch")
        assert page.locator("#published").inner_text().startswith("Private:")
        assert server.api(visibility, key=server.keys.admin)["public"] is False
        with pytest.raises(urllib.error.HTTPError) as hidden:
            NO_PROXY.open(server.url + f"/v1/public/people/{person}")
        assert hidden.value.code == 404
        hidden.value.close()
    finally:
        server.api(visibility, body={"public": None}, key=server.keys.admin, method="PUT")


def _comparable(export: dict[str, Any]) -> dict[str, Any]:
    """An export without what differs from one call to the next: when it was made, the audit
    entries (each export adds one) and when the person's own key was last used."""
    kept = {k: v for k, v in export.items() if k not in ("generated_at", "audit")}
    kept["api_keys"] = [{**k, "last_used_at": None} for k in export["api_keys"]]
    return kept


def test_a_person_downloads_their_own_data(browser: Any, server: Server) -> None:
    person = quote(OWN_PERSON, safe="")
    context = browser.new_context()
    tab = context.new_page()
    try:
        # The person's own key opens the person's page, with the download.
        login(tab, server, server.keys.own)
        assert urlparse(tab.url).path == f"/people/{person}"
        with tab.expect_download() as info:
            tab.click("#export-download")
        downloaded = orjson.loads(Path(info.value.path()).read_bytes())
        api = server.api(f"/v1/privacy/people/{person}/export", key=server.keys.own)
        assert downloaded["subject"] == OWN_PERSON and downloaded["accounts"]
        assert _comparable(downloaded) == _comparable(api)
        # Nobody else's data, and nothing else of the dashboard.
        other = server.api("/v1/leaderboards/accounts?limit=1")["items"][0]["account"]
        other_person = quote(f"{other['network']}:{other['account_id']}", safe="")
        assert tab.goto(server.url + f"/people/{other_person}/export.json").status == 403
        assert tab.goto(server.url + "/").status == 403
    finally:
        context.close()
    # A read session is not offered the download, nor given it.
    context = browser.new_context()
    tab = context.new_page()
    try:
        login(tab, server, server.keys.read, path=f"/people/{person}")
        assert tab.locator("#export-download").count() == 0
        assert tab.goto(server.url + f"/people/{person}/export.json").status == 403
    finally:
        context.close()
