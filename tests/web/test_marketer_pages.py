"""Pages for marketers in a real Chromium (issue 18, item 15): a profile's top posts and topic
evidence show the post's text and a link to it on its site, not its bare id; the campaign
builder's topic field suggests the store's topic names as one types, and a suggestion chosen
builds the plan for that topic.

The expected links and texts come from the demo's own ``Posts.xml`` (the question's title, the
answer's id) and from the events the importer stored, not from the page's helper.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from api.conftest import sway
from sway.store import Store
from sway.store.topics import profile_topics
from web.conftest import DEMO, Server, screenshot

pytestmark = pytest.mark.slow
SITE = "https://conlang.meta.stackexchange.com"
POST_ID = re.compile(r"^conlang-meta:post:(\d+)$")


def demo_posts() -> dict[str, dict[str, str]]:
    """The demo's questions and answers by post id, as ``Posts.xml`` has them."""
    rows = ET.parse(DEMO / "Posts.xml").getroot().iter("row")
    return {f"conlang-meta:post:{r.get('Id')}": dict(r.attrib) for r in rows}


def expected_link(post_id: str, posts: dict[str, dict[str, str]]) -> str:
    """A question is ``/q/ID`` on its site, an answer ``/a/ID``."""
    found = POST_ID.match(post_id)
    assert found, post_id
    kind = {"1": "q", "2": "a"}[posts[post_id]["PostTypeId"]]
    return f"{SITE}/{kind}/{found.group(1)}"


def assert_text_of(shown: str, post_id: str, posts: dict[str, dict[str, str]], db: Path) -> None:
    """The text shown is the question's title, or the start of the answer as stored (cut at a
    word, marked with an ellipsis, when long)."""
    row = posts[post_id]
    if row["PostTypeId"] == "1":
        full = row["Title"]
    else:
        with Store.open(db, read_only=True) as store:
            full = store.scalar(
                "SELECT any_value(text) FROM events WHERE content_id = ? AND action = 'reply'",
                [post_id],
            )
    assert full, post_id
    if shown.endswith("…"):
        assert len(shown) <= 141 and full.startswith(shown[:-1].rstrip()), (shown, full)
        assert len(shown) > 40, shown  # a real start of the text, not a stub
    else:
        assert shown == full, (shown, full)


def post_links(scope: Any) -> list[tuple[str, str, str]]:
    """``(post id, href, text)`` of every post link in ``scope`` (the id is in the title),
    each one visible."""
    links = scope.locator("a.post-link").all()
    assert all(a.is_visible() for a in links)
    return [(a.get_attribute("title"), a.get_attribute("href"), a.inner_text()) for a in links]


def account_with_top_posts(server: Server) -> tuple[dict[str, Any], list[str]]:
    """The highest account on the ``discussion`` board whose explanation has top posts, and
    their ids."""
    board = server.api("/v1/leaderboards/accounts?topic=discussion&limit=20")["items"]
    for item in board:
        account = item["account"]
        base = f"/v1/accounts/{account['network']}/{quote(account['account_id'], safe='')}"
        top = server.api(base + "/explanation")["top_posts"]
        if top:
            return account, [str(p["post_id"]) for p in top]
    raise AssertionError("no account on the discussion board has top posts")


def test_top_posts_and_topic_evidence_show_text_and_links(
    page: Any, server: Server, demo_db: Path
) -> None:
    posts = demo_posts()
    account, top_ids = account_with_top_posts(server)
    subject = f"{account['network']}:{account['account_id']}"
    page.goto(
        server.url + f"/accounts/{account['network']}/{quote(account['account_id'], safe='')}"
    )

    # Top posts: one link per post of the API's explanation, in its order.
    top = post_links(page.locator("#top-posts"))
    assert [post_id for post_id, _, _ in top] == top_ids
    # Topic evidence, each topic's opened: every post of every topic shown, as the store has.
    for summary in page.locator("#topics-table details summary").all():
        summary.click()
    with Store.open(demo_db, read_only=True) as store:
        topics = profile_topics(store, subject, limit=10).topics
    evidence_ids = [p["post_id"] for t in topics for p in t["evidence"]["posts"]]
    assert evidence_ids
    evidence = post_links(page.locator("#topics-table"))
    assert [post_id for post_id, _, _ in evidence] == evidence_ids

    kinds = set()
    for post_id, href, text in top + evidence:
        assert href == expected_link(post_id, posts)
        assert text.strip() and post_id not in text
        assert_text_of(text, post_id, posts, demo_db)
        kinds.add(posts[post_id]["PostTypeId"])
    assert kinds == {"1", "2"}  # both a question (/q/) and an answer (/a/) were checked
    # No bare id is left on the page where a post is shown.
    for section in ("#top-posts", "#topics-table"):
        assert "conlang-meta:post:" not in page.locator(section).inner_text()
        assert page.locator(f"{section} code").count() == 0
    screenshot(page, "profile-posts")


def test_campaign_topic_field_suggests_topic_names(
    page: Any, server: Server, demo_db: Path
) -> None:
    page.click("nav a[href='/campaign']")
    field = page.locator("#campaign-topic")
    # The field is tied to a list of the store's topic names (as `sway topics list` gives them).
    assert field.get_attribute("list") == "topic-list"
    listed = json.loads(sway(demo_db, "topics", "list", "--json", "--limit", "500"))
    names = [str(r["topic"]) for r in listed["rows"]]
    offered = page.locator("#topic-list option").evaluate_all("os => os.map(o => o.value)")
    assert offered == names and "scope" in names
    # Typing the first letters: the browser resolves the field's list and offers the names
    # that match what was typed (as Chromium filters a datalist: the typed text within the
    # name, case-insensitively).
    field.click()
    page.keyboard.type("sco")
    suggested = field.evaluate(
        "f => Array.from(f.list.options).map(o => o.value)"
        ".filter(v => v.toLowerCase().includes(f.value.toLowerCase()))"
    )
    assert suggested == [n for n in names if "sco" in n.lower()] and "scope" in suggested
    # Choosing the suggestion puts its name in the field; the plan is built for that topic.
    field.fill("scope")
    page.fill("#campaign-k", "2")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/campaign?*")
    assert "“scope”" in page.locator("#plan h2").inner_text()
    plan = server.api("/v1/campaign?topic=scope&k=2")
    picked = [r.get_attribute("data-subject") for r in page.locator("#picks tbody tr").all()]
    assert picked == [
        f"{m['account']['network']}:{m['account']['account_id']}" for m in plan["members"]
    ]
    assert picked
    assert page.locator("#campaign-topic").input_value() == "scope"
