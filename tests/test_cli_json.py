"""--json on the listing commands (top, accounts, people list, topics list) says what the table
says; `topics show` tells an unknown account from one without topics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_cli_scoring import run

API = Path(__file__).parent / "fixtures" / "api"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("json") / "s.duckdb"
    for args in (
        ["ingest", "-q", str(API / "twarc-flat.jsonl.gz"), str(API / "extra.csv")],
        ["people", "link", "news", "twitter:@Breaking911", "mastodon:b911@mastodon.social"],
        ["score", "-q", "--window", "90d", "--as-of", "2021-04-09T00:00:00Z"],
        ["topics", "compute"],
    ):
        code, _, err = run(db, *args)
        assert code == 0, err
    return db


def ok(db: Path, *args: str) -> str:
    code, out, err = run(db, *args)
    assert code == 0, err
    return out


def test_top_json(db: Path) -> None:
    body = json.loads(ok(db, "top", "--limit", "3", "--json"))
    run_id = json.loads(ok(db, "runs", "--json"))[0]["run_id"]
    assert body["run"] == run_id and body["as_of"] == "2021-04-09T00:00:00Z"
    assert [r["rank"] for r in body["rows"]] == [1, 2, 3]
    first = body["rows"][0]
    assert (first["network"], first["account_id"], first["handle"]) == (
        "twitter",
        "375721095",
        "Breaking911",
    )
    scores = [r["score"] for r in body["rows"]]
    assert scores == sorted(scores, reverse=True)
    shown = json.loads(ok(db, "show", "twitter:375721095", "--json"))
    assert first["score"] == pytest.approx(shown["score"])
    people = json.loads(ok(db, "top", "--people", "--limit", "2", "--json"))["rows"]
    assert people[0]["person_id"] == "news" and people[0]["accounts"] == 2
    assert set(people[0]) == {
        "rank",
        "person_id",
        "accounts",
        "networks",
        "score",
        "reach",
        "amplification",
        "network_impact",
    }


def test_accounts_json(db: Path) -> None:
    rows = json.loads(ok(db, "accounts", "--search", "breaking911", "--json"))
    assert [(r["network"], r["account_id"], r["handle"]) for r in rows] == [
        ("twitter", "375721095", "Breaking911")
    ]
    assert rows[0]["received"] > 0 and set(rows[0]) == {
        "network",
        "account_id",
        "handle",
        "display_name",
        "followers",
        "made",
        "received",
    }
    table = ok(db, "accounts", "--search", "breaking911")
    assert "375721095" in table and f"{rows[0]['received']:,}" in table


def test_people_list_json(db: Path) -> None:
    assert json.loads(ok(db, "people", "list", "--json")) == [
        {"person_id": "news", "accounts": ["mastodon:b911@mastodon.social", "twitter:375721095"]}
    ]
    assert ok(db, "people", "list").strip() == (
        "news: mastodon:b911@mastodon.social twitter:375721095"
    )


def test_topics_list_json(db: Path) -> None:
    body = json.loads(ok(db, "topics", "list", "--json"))
    assert body["topic_run"].startswith("t") and body["rows"]
    assert {"topic", "topic_id", "kind", "accounts", "best_score", "evidence"} <= set(
        body["rows"][0]
    )
    assert "tag:news" in [r["topic_id"] for r in body["rows"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user_0001"], "expected NETWORK:ACCOUNT, found 'user_0001'"),
        (["user_0001"], "this store's networks: mastodon, twitter"),
        (["twitter:user_0001"], "no account twitter:user_0001 in this store"),
        (["twiter:375721095"], "no network 'twiter' in this store (it has mastodon, twitter)"),
        (["--person", "nobody"], "no person 'nobody'"),
    ],
)
def test_topics_show_says_an_account_is_unknown(db: Path, args: list[str], message: str) -> None:
    code, out, err = run(db, "topics", "show", *args)
    assert code == 2 and message in err
    assert "no topic has enough evidence" not in out


def test_topics_show_still_shows_the_known(db: Path) -> None:
    for subject in (["twitter:375721095"], ["--person", "news"], ["news"]):
        assert "is influential about" in ok(db, "topics", "show", *subject)
    # Known, but no topic: that is what the message is for.
    quiet = ok(db, "topics", "show", "twitter:43222416")
    assert "is influential about" in quiet
