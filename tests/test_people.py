from __future__ import annotations

from pathlib import Path

import pytest

from sway.errors import SourceError
from sway.events import Account
from sway.store import Store
from sway.store.ingest import ingest_records
from sway.store.people import (
    AccountRef,
    import_mapping,
    link,
    person_accounts,
    suggest_links,
)


def test_accounts_are_their_own_person_until_linked(store: Store) -> None:
    accounts = [Account("twitter", "1", handle="ada"), Account("mastodon", "ada@x", handle="Ada")]
    ingest_records(store, iter(accounts), source="s", format="x", sha256="0")
    assert person_accounts(store) == [
        ("mastodon:ada@x", "mastodon", "ada@x"),
        ("twitter:1", "twitter", "1"),
    ]
    link(store, "ada", [AccountRef("twitter", "1"), AccountRef("twitter", "2")])
    assert person_accounts(store) == [
        ("ada", "twitter", "1"),
        ("ada", "twitter", "2"),
        ("mastodon:ada@x", "mastodon", "ada@x"),
    ]


def test_a_shared_account_belongs_to_two_people(store: Store) -> None:
    link(store, "ada", [AccountRef("twitter", "brand")])
    link(store, "bob", [AccountRef("twitter", "brand")])
    assert [p for p, _, _ in person_accounts(store)] == ["ada", "bob"]


def test_suggestions_are_never_applied(store: Store) -> None:
    accounts = [
        Account("twitter", "1", handle="ada_l"),
        Account("mastodon", "9", handle="ADA_L"),
        Account("reddit", "x", display_name="Grace Hopper"),
        Account("youtube", "y", display_name="grace hopper"),
        Account("twitter", "2", handle="solo"),
    ]
    ingest_records(store, iter(accounts), source="s", format="x", sha256="0")
    suggestions = suggest_links(store)
    assert {(s.reason, s.key, tuple(map(str, s.accounts))) for s in suggestions} == {
        ("same handle", "ada_l", ("mastodon:9", "twitter:1")),
        ("same display name", "grace hopper", ("reddit:x", "youtube:y")),
    }
    assert store.scalar("SELECT count(*) FROM person_accounts") == 0


def test_mapping_with_a_missing_value_changes_nothing(store: Store, tmp_path: Path) -> None:
    mapping = tmp_path / "m.csv"
    mapping.write_text("person,network,account\nada,twitter,1\nbob,,2\n")
    with pytest.raises(SourceError, match=r"m.csv:3: network: expected a value"):
        import_mapping(store, mapping)
    assert store.scalar("SELECT count(*) FROM person_accounts") == 0
