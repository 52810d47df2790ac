"""`sway people link` resolves handles as `sway crm enrich` does, and refuses accounts the store
does not know unless --allow-unknown (sway.linking)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_cli_scoring import run

API = Path(__file__).parent / "fixtures" / "api"
BREAKING = "twitter:375721095"  # @Breaking911 in the tweets
EVENTS_ONLY = "mastodon:b911@mastodon.social"  # named by events of extra.csv, no profile


@pytest.fixture(scope="module")
def tweets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real tweets (accounts with handles) and events naming accounts without a profile."""
    db = tmp_path_factory.mktemp("link") / "s.duckdb"
    code, _, err = run(db, "ingest", "-q", str(API / "twarc-flat.jsonl.gz"), str(API / "extra.csv"))
    assert code == 0, err
    return db


@pytest.fixture
def db(tweets: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "s.duckdb"
    copy.write_bytes(tweets.read_bytes())
    return copy


def linked(db: Path) -> list[dict[str, object]]:
    code, out, err = run(db, "people", "list", "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("typed", ["twitter:@BREAKING911", "twitter:breaking911", BREAKING])
def test_a_handle_or_an_id_links_the_account_id(db: Path, typed: str) -> None:
    code, out, err = run(db, "people", "link", "news", typed)
    assert code == 0, err
    assert out.strip() == "news: 1 account linked"
    assert (f"{typed}: the account {BREAKING}" in err) is (typed != BREAKING)
    assert linked(db) == [{"person_id": "news", "accounts": [BREAKING]}]


def test_handles_resolve_as_crm_enrichment_resolves_them(db: Path, tmp_path: Path) -> None:
    handles = ["Breaking911", "@breaking911", "43222416"]
    customers = tmp_path / "c.jsonl"
    customers.write_text(
        "".join(json.dumps({"id": h, "handles": {"twitter": h}}) + "\n" for h in handles)
    )
    code, out, err = run(db, "crm", "enrich", str(customers), "-o", "-")
    assert code == 0, err
    enriched = [
        f"twitter:{json.loads(line)['networks'][0]['account_id']}" for line in out.splitlines()
    ]
    for i, (handle, account) in enumerate(zip(handles, enriched, strict=True)):
        assert run(db, "people", "link", f"p{i}", f"twitter:{handle}")[0] == 0
        assert {"person_id": f"p{i}", "accounts": [account]} in linked(db)


def test_an_account_only_events_name_is_known(db: Path) -> None:
    code, out, err = run(db, "people", "link", "news", BREAKING, EVENTS_ONLY)
    assert code == 0, err
    assert out.strip() == "news: 2 accounts linked" and err == ""


def test_unknown_accounts_are_refused_and_nothing_is_linked(db: Path) -> None:
    code, _, err = run(db, "people", "link", "ada", BREAKING, "twitter:user_0001")
    assert code == 2
    assert "no account twitter:user_0001 in this store" in err and "--allow-unknown" in err
    assert "Traceback" not in err
    assert linked(db) == []
    code, _, err = run(db, "people", "link", "ada", "twiter:375721095")
    assert code == 2
    assert "no network 'twiter' in this store (it has mastodon, twitter)" in err


def test_allow_unknown_links_them_as_given(db: Path) -> None:
    code, out, err = run(
        db, "people", "link", "ada", "twitter:@Breaking911", "twitter:user_0001", "--allow-unknown"
    )
    assert code == 0, err
    assert out.strip() == "ada: 2 accounts linked"
    assert "twitter:user_0001: not in this store" in err
    assert linked(db) == [{"person_id": "ada", "accounts": [BREAKING, "twitter:user_0001"]}]
    # Unlinking takes handles too, and an account it does not find is simply not there.
    code, out, _ = run(db, "people", "unlink", "ada", "twitter:@BREAKING911", "twitter:nobody")
    assert code == 0 and out.strip() == "ada: 1 account unlinked"
    assert linked(db) == [{"person_id": "ada", "accounts": ["twitter:user_0001"]}]
