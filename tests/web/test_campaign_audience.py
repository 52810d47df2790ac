"""The campaign builder's audience is the topic audience: reactors of a candidate's items on the
chosen topic, read through ``post_topics`` from a real store after ``sway topics compute``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sway.api import service
from sway.api.errors import ApiError
from sway.api.index import ServingIndex
from sway.events import Event
from sway.store import Store
from sway.store.queries import reactor_sets
from sway.store.topics import get_topic_run
from topics.helpers import likes, post, run, scored_store


def world() -> list[Event]:
    """Ada and Bob are engaged by the same six people, but on linguistics Ada by r1-r3 and Bob
    by r4-r6 (each is liked by the other three for a machine-learning post); Cy's linguistics
    posts reach r1-r3 and r7."""
    ling, ml = "linguistics", "machine-learning"
    events = [post("ada", "a0", ling), post("ada", "a1", ling), post("ada", "am", ml)]
    events += [post("bob", "b0", ling), post("bob", "b1", ling), post("bob", "bm", ml)]
    events += [post("cy", "c0", ling), post("cy", "c1", ling)]
    events += likes("a0", "ada", "r1", "r2") + likes("a1", "ada", "r3")
    events += likes("am", "ada", "r4", "r5", "r6")
    events += likes("b0", "bob", "r4", "r5") + likes("b1", "bob", "r6")
    events += likes("bm", "bob", "r1", "r2", "r3")
    events += likes("c0", "cy", "r1", "r2") + likes("c1", "cy", "r3", "r7")
    return events


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = scored_store(tmp_path, world())
    run(path, "topics", "compute")
    yield path


def test_the_builder_picks_by_topic_audience_not_total_audience(db: Path) -> None:
    with Store.open(db, read_only=True) as store:
        topic_run = get_topic_run(store)
        ada, bob, cy = ("t", "ada"), ("t", "bob"), ("t", "cy")
        window = {"start": topic_run.window_start, "end": topic_run.as_of}
        total = reactor_sets(store, [ada, bob, cy], **window)
        # The premise: the same total audience, so on totals Ada and Bob are interchangeable.
        assert total[ada] == total[bob] == {f"r{i}" for i in range(1, 7)}
        plan = service.campaign(store, ServingIndex.build(store), "Linguistics", network=None, k=2)
        picked = [(m.account.network, m.account.account_id) for m in plan.members]
        # On the topic: Cy reaches r1-r3 and r7, Bob adds r4-r6, Ada would add nobody.
        assert picked == [cy, bob]
        assert [(m.audience, m.new, m.overlap, m.reach) for m in plan.members] == [
            (4, 4, 0, 4),
            (3, 3, 0, 7),
        ]
        assert plan.overlaps == [[4, 0], [0, 3]]
        assert plan.candidates == 3 and plan.topic == "Linguistics"
        assert "on the topic" in plan.audience
        # The audience of each candidate is the ``reactors`` of its topic row.
        topic_sets = reactor_sets(
            store, [ada, bob, cy], **window, topic=(topic_run.topic_run_id, plan.topic_id)
        )
        reactors = dict(
            ((n, a), int(r))
            for n, a, r in store.rows(
                "SELECT network, account_id, reactors FROM account_topics "
                "WHERE topic_run_id = ? AND topic_id = ?",
                [topic_run.topic_run_id, plan.topic_id],
            )
        )
        assert {ref: len(s) for ref, s in topic_sets.items()} == reactors == {ada: 3, bob: 3, cy: 4}


def test_a_parent_topic_counts_the_items_of_its_children(db: Path) -> None:
    with Store.open(db, read_only=True) as store:
        # Science is above both linguistics and machine learning: every item is on it.
        plan = service.campaign(store, ServingIndex.build(store), "Science", network=None, k=3)
        assert plan.reach == 7
        assert {m.account.account_id for m in plan.members} <= {"ada", "bob", "cy"}


def test_every_item_of_the_run_keeps_its_topics_and_author(db: Path) -> None:
    with Store.open(db, read_only=True) as store:
        rows = store.rows(
            "SELECT p.content_id, p.account_id, c.name, p.direct FROM post_topics p "
            "JOIN topic_catalog c USING (topic_run_id, topic_id) "
            "WHERE c.name IN ('Linguistics', 'Machine Learning') ORDER BY 1, 3"
        )
    assert rows == [
        ("a0", "ada", "Linguistics", True),
        ("a1", "ada", "Linguistics", True),
        ("am", "ada", "Machine Learning", True),
        ("b0", "bob", "Linguistics", True),
        ("b1", "bob", "Linguistics", True),
        ("bm", "bob", "Machine Learning", True),
        ("c0", "cy", "Linguistics", True),
        ("c1", "cy", "Linguistics", True),
    ]


def test_a_topic_run_without_item_topics_is_a_clear_error(db: Path) -> None:
    with Store.open(db) as store:
        # As a run computed before the runs kept each item's topics.
        store.con.execute("DELETE FROM post_topics")
        with pytest.raises(ApiError) as stale:
            service.campaign(store, ServingIndex.build(store), "Linguistics", network=None, k=2)
    assert stale.value.status == 409 and "sway topics compute" in stale.value.message
