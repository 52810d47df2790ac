"""Triage: actionability rules, the tiered priority, the ordering rule, the CLI and the routes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from api.conftest import Keys, sway
from sway.crm import InfluenceSignal
from sway.errors import SourceError
from sway.triage import KINDS, Triager, detect, order_queue, parse_message, sentiment

#: The CLI in a subprocess (``python -m sway.cli`` would run before all commands registered).
SWAY = [sys.executable, "-c", "from sway.cli import main; main()"]


class Fame:
    """Authors with a given score: ``famous`` 100, ``ordinary`` 1, anyone else unknown."""

    def __init__(self, scores: dict[str, float] | None = None) -> None:
        self.scores = scores or {"famous": 100.0, "ordinary": 1.0}

    def signal(self, network: str, account: str) -> InfluenceSignal | None:
        score = self.scores.get(account)
        if score is None:
            return None
        return InfluenceSignal(network, account, account, f"{network}:{account}", score, score)


def msg(text: str, author: str = "ordinary", **fields: object) -> object:
    return parse_message({"network": "twitter", "author": author, "text": text, **fields}, record=1)


TRIAGER = Triager(Fame(), as_of=date(2024, 1, 1))


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("My order never arrived and nobody answers", {"complaint"}),
        ("the app keeps crashing since the update", {"complaint"}),
        ("I was charged twice for one subscription", {"complaint"}),
        ("How do I reset my password?", {"question"}),
        ("Does anyone know if the store opens on Sunday", {"question"}),
        ("Please DM me the tracking number", {"request"}),
        ("could you send me an invoice", {"request", "question"}),
        ("how much is the pro plan", {"question", "purchase_intent"}),
        ("I'm thinking of buying the new model, is it in stock", {"question", "purchase_intent"}),
        ("need this fixed ASAP, it is broken", {"complaint", "urgency", "request"}),
        ("@acme you are a joke, the worst", {"complaint"}),
        ("@acme you people are pathetic and dishonest", {"complaint"}),
    ],
)
def test_rules_find_what_a_message_asks_for(text: str, kinds: set[str]) -> None:
    act = detect(text, sentiment(text))
    assert set(act.kinds) == kinds, act.cues
    assert act.actionable


@pytest.mark.parametrize(
    "text",
    [
        "Just landed in Lisbon with @acme, lovely crew",
        "Watching the game tonight with friends",
        "Great keynote by @acme this morning",
        "new blog post: ten years of open source",
        "",
    ],
)
def test_mentions_and_chatter_are_not_actionable(text: str) -> None:
    act = detect(text, sentiment(text))
    assert not act.actionable and act.tier == 0, act.cues


def test_tiers_and_reasons() -> None:
    chatter = TRIAGER.triage(msg("lovely day at the beach"))
    question = TRIAGER.triage(msg("where is my parcel?"))
    urgent = TRIAGER.triage(msg("where is my parcel? I need it today, urgent"))
    assert (chatter.tier, question.tier, urgent.tier) == (0, 1, 2)
    assert 0 <= chatter.priority < 100 <= question.priority < 200 <= urgent.priority < 300
    assert "not actionable: nothing asked or reported" in chatter.reasons
    assert "question: ?" in question.reasons
    assert urgent.reasons[0] == "urgent and actionable: top tier"
    assert any(r.startswith("influence 1.0") for r in question.reasons)
    unknown = TRIAGER.triage(msg("hello?", author="stranger"))
    assert "author not found in the store: no influence signal" in unknown.reasons


def test_within_a_tier_influence_value_and_negativity_order_the_queue() -> None:
    text = "my order never arrived"
    ordinary = TRIAGER.triage(msg(text))
    famous = TRIAGER.triage(msg(text, author="famous"))
    valuable = TRIAGER.triage(msg(text, lifetime_value=10_000, orders=20))
    assert ordinary.tier == famous.tier == valuable.tier == 1
    assert famous.priority > ordinary.priority
    assert valuable.priority > ordinary.priority and valuable.customer_value == pytest.approx(
        (0.5 * 1.0 + 0.2 * 1.0) / 0.7
    )
    angry = TRIAGER.triage(msg("my order never arrived, this is terrible and infuriating"))
    assert angry.sentiment < ordinary.sentiment and angry.priority > ordinary.priority


COMPLAINTS = st.sampled_from(
    [
        "my order never arrived",
        "your app is broken again",
        "I want a refund, the product is defective",
        "charged twice this month",
        "the delivery is late and the box was damaged",
        "still waiting for my replacement",
        "your support was rude and useless",
    ]
)
MENTIONS = st.sampled_from(
    [
        "Great keynote by @acme this morning",
        "Just landed in Lisbon with @acme, lovely crew",
        "Proud to partner with @acme on this launch",
        "Ugh, Mondays. Coffee first.",
        "So sad about the news from the coast tonight",
        "Thanks @acme for the event",
    ]
)
WORDS = st.text(
    alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd", "Zs", "Po")), max_size=40
)
CUSTOMER = st.fixed_dictionaries(
    {},
    optional={
        "lifetime_value": st.floats(0, 1e6),
        "orders": st.integers(0, 500),
        "open_tickets": st.integers(0, 20),
        "customer_since": st.dates(date(1990, 1, 1), date(2023, 12, 31)).map(date.isoformat),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    complaint=COMPLAINTS,
    mention=MENTIONS,
    noise=WORDS,
    customer=CUSTOMER,
    ordinary_score=st.floats(1, 50),
    famous_score=st.floats(50, 100),
)
def test_influence_never_lifts_a_mention_above_an_ordinary_customers_complaint(
    complaint: str,
    mention: str,
    noise: str,
    customer: dict[str, object],
    ordinary_score: float,
    famous_score: float,
) -> None:
    """The ordering rule of the issue: for the same customer fields, an actionable complaint
    from an ordinary customer ranks above a non-actionable mention from a famous one."""
    complaint_text = f"{complaint} {noise}"
    mention_text = f"{mention} {noise}"
    assume(detect(complaint_text, sentiment(complaint_text)).complaint)
    assume(not detect(mention_text, sentiment(mention_text)).actionable)
    triager = Triager(
        Fame({"ordinary": ordinary_score, "famous": famous_score}), as_of=date(2024, 1, 1)
    )
    a = triager.triage(msg(complaint_text, author="ordinary", **customer))
    b = triager.triage(msg(mention_text, author="famous", **customer))
    assert a.priority > b.priority
    assert order_queue([b, a])[0] is a


def test_equal_priorities_keep_arrival_order() -> None:
    results = TRIAGER.triage_many([msg("hi there", author="x"), msg("hi there", author="y")])
    assert results[0].priority == results[1].priority
    assert [r.message.author for r in order_queue(results)] == ["x", "y"]


def test_every_kind_has_a_weight_and_bad_messages_name_the_field() -> None:
    assert set(KINDS) == {"complaint", "request", "purchase_intent", "question", "urgency"}
    for row, field in (
        ({"author": "a", "text": "x"}, "network"),
        ({"network": "Twitter!", "author": "a", "text": "x"}, "network"),
        ({"network": "twitter", "text": "x"}, "author"),
        ({"network": "twitter", "author": "a"}, "text"),
        ({"network": "twitter", "author": "a", "text": "x", "received_at": "soon"}, "received_at"),
        ({"network": "twitter", "author": "a", "text": "x", "orders": "many"}, "orders"),
        (
            {"network": "twitter", "author": "a", "text": "x", "customer": {"orders": -1}},
            "customer.orders",
        ),
    ):
        with pytest.raises(SourceError) as info:
            parse_message(row, record=3)
        assert info.value.field == field and info.value.record == 3


INBOX = [
    {"id": "1", "network": "twitter", "author": "Breaking911", "text": "Great coverage tonight"},
    {
        "id": "2",
        "network": "twitter",
        "author": "nobody",
        "text": "My order never arrived, please help",
    },
    {"id": "3", "network": "twitter", "author": "nobody", "text": "is the shop open on sunday?"},
]


def test_cli_batch_prints_the_ordered_queue(db: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox.jsonl"
    inbox.write_text("\n".join(json.dumps(m) for m in INBOX) + "\n", encoding="utf-8")
    out = [json.loads(line) for line in sway(db, "triage", str(inbox)).splitlines()]
    assert [m["id"] for m in out] == ["2", "3", "1"]
    assert [m["position"] for m in out] == [1, 2, 3]
    assert out[2]["author_account"]["handle"] == "Breaking911" and out[2]["influence"] > 0.5


def test_cli_follows_a_growing_file(db: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox.jsonl"
    inbox.write_text(json.dumps(INBOX[0]) + "\n", encoding="utf-8")
    proc = subprocess.Popen(
        [*SWAY, "--db", str(db), "triage", "--follow", str(inbox), "--idle-timeout", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        first = json.loads(proc.stdout.readline())
        assert first["id"] == "1"
        with inbox.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(INBOX[1])[:20])  # half a line: not read until it is whole
            fh.flush()
            time.sleep(0.3)
            fh.write(json.dumps(INBOX[1])[20:] + "\n{bad json\n")
        second = json.loads(proc.stdout.readline())
        assert second["id"] == "2" and second["tier"] == 1
        error = json.loads(proc.stdout.readline())
        assert error["error"]["line"] == 3
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_cli_follow_stdin_streams_in_arrival_order(db: Path) -> None:
    lines = "\n".join(json.dumps(m) for m in INBOX) + "\n"
    out = subprocess.run(
        [*SWAY, "--db", str(db), "triage", "--follow", "-"],
        input=lines,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert [json.loads(line)["id"] for line in out.stdout.splitlines()] == ["1", "2", "3"]


def test_cli_workers_give_the_same_stream(db: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox.jsonl"
    many = [dict(m, id=f"{i}-{m['id']}") for i in range(40) for m in INBOX]
    inbox.write_text("\n".join(json.dumps(m) for m in many) + "\n", encoding="utf-8")
    runs = [
        subprocess.run(
            [*SWAY, "--db", str(db), "triage", "--follow", "-", "--workers", workers],
            input=inbox.read_bytes(),
            capture_output=True,
            timeout=120,
            check=True,
        ).stdout
        for workers in ("1", "2")
    ]
    assert runs[0] == runs[1]
    assert [json.loads(line)["id"] for line in runs[0].splitlines()] == [m["id"] for m in many]
    queue = sway(db, "triage", str(inbox), "--workers", "2").splitlines()
    assert [json.loads(line)["position"] for line in queue] == list(range(1, len(many) + 1))


def test_route_answers_everyone_as_a_queue(client: TestClient, keys: Keys) -> None:
    response = client.post("/v1/triage", headers=keys.header("crm"), json=INBOX)
    assert response.status_code == 200, response.text
    queue = response.json()["queue"]
    assert [m["id"] for m in queue] == ["2", "3", "1"]
    assert queue[0]["actionability"]["complaint"] and queue[0]["reasons"]
    bad = client.post(
        "/v1/triage", headers=keys.header("crm"), json=[{"network": "twitter", "text": "x"}]
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "body[0].author"


def test_websocket_streams_each_message_back(client: TestClient, keys: Keys) -> None:
    with client.websocket_connect("/v1/triage/stream", headers=keys.header("crm")) as ws:
        ws.send_text(json.dumps(INBOX[1]))
        assert json.loads(ws.receive_text())["id"] == "2"
        ws.send_text(json.dumps([INBOX[0], {"network": "twitter"}, INBOX[2]]))
        got = [json.loads(ws.receive_text()) for _ in range(3)]
        assert got[0]["id"] == "1" and got[2]["id"] == "3"
        assert got[1]["error"]["field"] == "message[3].author"
        ws.send_text("not json")
        assert json.loads(ws.receive_text())["error"]["code"] == "invalid"


def test_websocket_needs_a_crm_key(client: TestClient, keys: Keys) -> None:
    from starlette.websockets import WebSocketDisconnect

    for headers in ({}, keys.header("read")):
        with (
            pytest.raises(WebSocketDisconnect) as info,
            client.websocket_connect("/v1/triage/stream", headers=headers) as ws,
        ):
            ws.receive_text()
        assert info.value.code == 1008
    with client.websocket_connect(f"/v1/triage/stream?key={keys.crm}") as ws:
        ws.send_text(json.dumps(INBOX[2]))
        assert json.loads(ws.receive_text())["id"] == "3"
