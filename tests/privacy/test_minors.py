"""Minors are never stored as profiles nor scored; their reactions count only anonymously."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from tests.privacy.conftest import run_cli

from sway.errors import ConfigError
from sway.events import Account, Event
from sway.privacy import check, minor_age, set_minor_age
from sway.store import Store
from sway.store.ingest import ingest_records

T0 = datetime(2024, 4, 1, 9, tzinfo=UTC)


def activity(kid: str) -> list[Event]:
    """``kid`` posts and likes two adults' posts; the adults reply to and like each other and
    ``kid``."""
    events = [
        Event("twitter", "k-post", T0, kid, "post", None, "k-post", None, "my homework"),
        Event("twitter", "a-post", T0, "adult_a", "post", None, "a-post", None, "engines"),
        Event("twitter", "b-post", T0, "adult_b", "post", None, "b-post", None, "tables"),
    ]
    for i, (actor, target, post) in enumerate(
        [
            (kid, "adult_a", "a-post"),
            (kid, "adult_b", "b-post"),
            ("adult_a", "adult_b", "b-post"),
            ("adult_b", "adult_a", "a-post"),
            ("adult_a", kid, "k-post"),
        ]
    ):
        events.append(
            Event(
                "twitter",
                f"like:{actor}:{post}",
                T0 + timedelta(hours=i + 1),
                actor,
                "like",
                target,
                post,
            )
        )
    return events


def ingest(store: Store, records: list[Event | Account]) -> None:
    ingest_records(store, records, source="t", format="test", sha256="0")


def years_ago(years: int) -> date:
    """A birth date a little under ``years`` whole years ago (365 days a year)."""
    return date.today() - timedelta(days=365 * years)


@pytest.mark.parametrize(
    "account",
    [
        Account("twitter", "kid_7781", handle="kid_handle", is_minor=True),
        Account("twitter", "kid_7781", handle="kid_handle", birth_date=years_ago(15)),
    ],
    ids=["flagged", "declared-age"],
)
def test_a_minor_is_neither_stored_nor_scored(store: Store, account: Account) -> None:
    ingest(store, [account, *activity("kid_7781")])
    assert store.scalar("SELECT count(*) FROM accounts WHERE account_id = 'kid_7781'") == 0
    names = store.rows("SELECT actor, target, event_id, text FROM events")
    assert not [r for r in names if "kid" in " ".join(str(v) for v in r)]
    # The kid's two likes stay, anonymous; the like the kid received credits no one.
    assert store.scalar("SELECT count(*) FROM events WHERE actor IS NULL") == 2
    assert store.scalar("SELECT count(*) FROM events WHERE action = 'like' AND target IS NULL") == 1
    assert store.scalar("SELECT count(*) FROM tombstones WHERE reason = 'minor'") == 2
    assert check(store).ok


def test_a_minor_stays_out_of_later_ingests_and_scores(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        ingest(store, [Account("twitter", "kid_7781", is_minor=True)])
        # Later data about the same account says nothing of age: it is kept out all the same.
        ingest(store, [*activity("kid_7781")])
        assert store.scalar("SELECT count(*) FROM events WHERE actor = 'kid_7781'") == 0
        assert store.scalar("SELECT count(*) FROM events WHERE actor IS NULL") == 2
    run_cli(db, "score", "--as-of", "2024-04-05T00:00:00Z")
    with Store.open(db, read_only=True) as store:
        scored = {str(a) for (a,) in store.rows("SELECT account_id FROM scores")}
        assert scored == {"adult_a", "adult_b"}
        assert store.scalar("SELECT sum(anonymous_reactions) FROM score_details") == 2


def test_an_account_later_flagged_as_minor_is_erased(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        ingest(store, [Account("twitter", "kid_7781", handle="kid_handle"), *activity("kid_7781")])
        assert store.scalar("SELECT count(*) FROM events WHERE actor = 'kid_7781'") == 3
        ingest(store, [Account("twitter", "kid_7781", is_minor=True)])
        assert store.scalar("SELECT count(*) FROM accounts WHERE account_id = 'kid_7781'") == 0
        assert store.scalar("SELECT count(*) FROM events WHERE actor = 'kid_7781'") == 0
        assert store.scalar("SELECT reason FROM erasures") == "minor"
        assert not store.rewrite_pending()
    assert b"kid_7781" not in db.read_bytes()


def test_the_minimum_age_is_a_setting(store: Store) -> None:
    assert minor_age(store) == 16
    seventeen = Account("twitter", "teen_1", birth_date=years_ago(17))
    ingest(store, [seventeen])
    assert store.scalar("SELECT count(*) FROM accounts") == 1
    set_minor_age(store, 18)
    ingest(store, [Account("twitter", "teen_2", birth_date=years_ago(17))])
    assert store.scalar("SELECT count(*) FROM accounts WHERE account_id = 'teen_2'") == 0
    adult = Account("twitter", "adult_1", birth_date=years_ago(30))
    ingest(store, [adult])
    assert store.scalar("SELECT count(*) FROM accounts WHERE account_id = 'adult_1'") == 1
    with pytest.raises(ConfigError, match="minor age"):
        set_minor_age(store, 0)
