"""The in-memory index: hashes agree with DuckDB, collisions cannot mislead, ids are stable."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sway.api.index import HashIndex, ServingIndex, bucket
from sway.store import Store
from sway.store.queries import fold_handle, key_hash, klout_id


def test_python_and_duckdb_hash_the_same() -> None:
    con = duckdb.connect()
    seen = []

    @settings(max_examples=200)
    @given(st.text(max_size=30), st.text(max_size=30))
    def check(network: str, handle: str) -> None:
        (expected,) = con.execute(
            "SELECT md5_number_upper(? || chr(31) || ?)", [network, handle]
        ).fetchone() or (None,)
        assert key_hash(network, handle) == expected
        seen.append(network)

    try:
        check()
    finally:
        con.close()
    assert seen


def test_fold_handle_is_ascii_only() -> None:
    assert fold_handle("@BreakING911 ") == "breaking911"
    assert fold_handle("ÉCOLE") == "École"  # only A-Z are folded, as in the store's index


def test_hash_collisions_are_checked_by_the_caller() -> None:
    index = HashIndex(np.array([7, 7, 3], dtype=np.uint64), np.array([10, 11, 12], dtype=np.int64))
    assert list(index.candidates(7)) == [10, 11]
    assert list(index.candidates(3)) == [12]
    assert list(index.candidates(5)) == [] and len(index) == 3
    assert list(index.candidates(1 << 64)) == list(index.candidates(-1)) == []


def test_klout_ids_are_stable_strings_of_at_most_17_digits() -> None:
    ids = {klout_id(f"twitter:{i}") for i in range(2000)}
    assert len(ids) == 2000
    assert all(i.isdigit() and len(i) <= 17 for i in ids)
    # Stable: the id of a person is fixed for good (clients keep it), and it is what DuckDB
    # computes when the index is built (serving_people), from the same 56 bits of the MD5.
    assert klout_id("breaking") == "64227024364014676"
    (computed,) = duckdb.connect().execute("SELECT md5_number_upper('breaking') >> 8").fetchall()
    assert klout_id("breaking") == str(computed[0])


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (1.0, "0-9"),
        (9.99, "0-9"),
        (10.0, "10-19"),
        (72.5, "70-79"),
        (89.99, "80-89"),
        (90.0, "90-100"),
        (100.0, "90-100"),
        (None, None),
    ],
)
def test_buckets_are_klouts_bands(score: float | None, band: str | None) -> None:
    assert bucket(score) == band


def test_index_of_the_scored_store(scored_db: Path) -> None:
    with Store.open(scored_db, read_only=True) as store:
        index = ServingIndex.build(store)
        assert index.size == int(store.scalar("SELECT count(*) FROM accounts")) + int(
            store.scalar(
                "SELECT count(*) FROM scores s WHERE run_id = ? AND NOT EXISTS (SELECT 1 FROM "
                "accounts a WHERE a.network = s.network AND a.account_id = s.account_id)",
                [index.run.run_id if index.run else None],
            )
        )
    breaking = index.account_by_handle("twitter", "BREAKING911")
    assert breaking is not None and breaking.account_id == "375721095"
    assert index.account("twitter", "375721095") == breaking
    assert index.account("twitter", "breaking911") is None  # ids are exact
    assert index.account("nosuchnetwork", "1") is None
    person = index.person_of(breaking)
    assert person.person_id == "breaking" and person.explicit
    # The id the account had before it was linked still finds its person.
    assert index.person_by_klout_id(breaking.klout_id) == person
    assert index.person_by_klout_id(person.klout_id) == person
    assert index.person_by_klout_id("12") is None and index.person_by_klout_id("x") is None
    signal = index.signal("twitter", "@breaking911")
    assert signal is not None and signal.person_score == person.score
    mastodon = index.account("mastodon", "b911@mastodon.social")
    assert mastodon is not None and mastodon.handle is None and mastodon.person_id == "breaking"
