"""Greedy maximum coverage (sway.campaign) on hand-checked audiences."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sway.campaign import greedy_cover, overlap_matrix


def test_two_people_with_the_same_audience_are_not_both_picked() -> None:
    sets = {
        "big": {"a", "b", "c", "d"},
        "twin": {"a", "b", "c", "d"},
        "other": {"e", "f"},
    }
    picks = greedy_cover(sets, 2)
    assert [p.key for p in picks] == ["big", "other"]
    assert [(p.audience, p.new, p.overlap, p.reach) for p in picks] == [(4, 4, 0, 4), (2, 2, 0, 6)]


def test_the_largest_audience_is_not_always_the_second_pick() -> None:
    # b is bigger than c, but most of b is already reached by a.
    sets = {"a": set("123456"), "b": set("12345x"), "c": set("yz")}
    picks = greedy_cover(sets, 3)
    assert [p.key for p in picks] == ["a", "c", "b"]
    assert [p.new for p in picks] == [6, 2, 1]
    assert [p.overlap for p in picks] == [0, 0, 5]
    assert picks[-1].reach == len(set().union(*sets.values()))


def test_ties_follow_the_given_order_and_nobody_adding_no_one_is_picked() -> None:
    sets = {"p": {"1", "2"}, "q": {"3", "4"}, "r": {"1"}}
    assert [p.key for p in greedy_cover(sets, 3, order=["q", "p", "r"])] == ["q", "p"]
    assert [p.key for p in greedy_cover(sets, 3)] == ["p", "q"]
    with pytest.raises(ValueError, match="k must be at least 1"):
        greedy_cover(sets, 0)


def test_overlap_matrix() -> None:
    sets = {"a": {"1", "2", "3"}, "b": {"2", "3"}, "c": {"9"}}
    assert overlap_matrix(sets, ["a", "b", "c"]) == [[3, 2, 0], [2, 2, 0], [0, 0, 1]]


audiences = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=3),
    st.sets(st.integers(0, 30).map(str), max_size=12),
    min_size=1,
    max_size=7,
)


@given(audiences, st.integers(1, 7))
def test_greedy_is_within_1_minus_1_over_e_of_the_best_and_gains_never_grow(
    sets: dict[str, set[str]], k: int
) -> None:
    picks = greedy_cover(sets, k)
    gains = [p.new for p in picks]
    assert gains == sorted(gains, reverse=True)
    assert all(p.new + p.overlap == p.audience for p in picks)
    reached = set().union(*(sets[p.key] for p in picks)) if picks else set()
    assert (picks[-1].reach if picks else 0) == len(reached) == sum(gains)
    best = max(
        len(set().union(*(sets[key] for key in chosen)))
        for size in range(1, min(k, len(sets)) + 1)
        for chosen in itertools.combinations(sets, size)
    )
    assert len(reached) >= (1 - 1 / 2.718281828459045) * best
