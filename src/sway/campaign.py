"""Campaign builder: the ``k`` people who together reach the largest distinct audience.

Choosing ``k`` sets whose union is largest is the maximum coverage problem. It is NP-hard, and
the greedy rule (repeatedly take the set adding the most members not yet covered) is the best
polynomial-time approximation there is: it covers at least ``1 - 1/e`` (about 63%) of the
optimum (Nemhauser, Wolsey & Fisher, 1978), and no polynomial algorithm does better unless P =
NP (Feige, 1998). So two people with the same audience are never both picked while someone
else still adds new people.

Pure: no store, no HTTP. The sets come from :func:`sway.store.queries.reactor_sets`.

References
----------
.. [1] G. L. Nemhauser, L. A. Wolsey and M. L. Fisher, "An analysis of approximations for
   maximizing submodular set functions", Mathematical Programming 14 (1978), 265-294.
.. [2] U. Feige, "A threshold of ln n for approximating set cover", J. ACM 45 (1998), 634-652.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Pick", "greedy_cover", "overlap_matrix"]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Pick(Generic[K]):
    """One chosen candidate.

    Attributes
    ----------
    key
        The candidate.
    audience
        The size of its own audience.
    new
        Members it adds that the earlier picks did not reach (its marginal gain).
    overlap
        Members of its audience the earlier picks already reach (``audience - new``).
    reach
        Distinct members reached by the picks so far, this one included.
    """

    key: K
    audience: int
    new: int
    overlap: int
    reach: int


def greedy_cover(
    sets: Mapping[K, frozenset[str] | set[str]],
    k: int,
    *,
    order: Sequence[K] | None = None,
) -> list[Pick[K]]:
    """Pick up to ``k`` keys of ``sets`` greedily for the largest union.

    Parameters
    ----------
    sets
        Each candidate's audience.
    k
        How many to pick (at most; candidates adding nobody are never picked).
    order
        Tie-break: among candidates adding as many new members, the one earlier in ``order``
        wins (default: the order of ``sets``), so that a ranking such as topic influence
        decides between equals.

    Returns
    -------
    list of Pick
        In the order picked; ``new`` never increases from one pick to the next.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    rank = {key: i for i, key in enumerate(order if order is not None else list(sets))}
    remaining = {key: set(members) for key, members in sets.items()}
    covered: set[str] = set()
    picks: list[Pick[K]] = []
    while remaining and len(picks) < k:
        best = min(remaining, key=lambda key: (-len(remaining[key]), rank.get(key, len(rank))))
        gain = remaining.pop(best)
        if not gain:
            break
        covered |= gain
        audience = len(sets[best])
        picks.append(
            Pick(
                key=best,
                audience=audience,
                new=len(gain),
                overlap=audience - len(gain),
                reach=len(covered),
            )
        )
        # Lazy update: only what is still uncovered counts from now on.
        for members in remaining.values():
            members -= gain
    return picks


def overlap_matrix(
    sets: Mapping[K, frozenset[str] | set[str]], keys: Sequence[K]
) -> list[list[int]]:
    """How many audience members each pair of ``keys`` shares (the diagonal: own audience)."""
    return [[len(set(sets[a]) & set(sets[b])) for b in keys] for a in keys]
