"""A small collusion detector for endorsements: reciprocal pairs and dense groups.

Endorsements are checked here, on the graph of endorsements itself (giver → target, any
topic); the integrity layer (:mod:`sway.integrity`) looks at reactions, and reaches endorsements
through each giver's credibility:

- a **reciprocal pair** is two accounts that endorsed each other ("you +K me, I +K you");
- a **dense group** is a set of at least ``min_group`` (3) accounts whose endorsements among
  themselves fill at least ``density`` (0.6) of the ``n (n - 1)`` possible ordered pairs (a
  ring that endorses itself; a reciprocal pair plus one outside endorser, 3 of 6, is not). Groups are found by greedy peeling [1]_ in each weakly connected part
  of the graph: repeatedly remove the account with the fewest endorsements inside the
  remaining set, and keep the densest set seen; a kept set is removed and the search repeats on
  the rest, so one part may hold several groups.

An endorsement between two members of one group (or the two sides of a reciprocal pair) is
discounted by :func:`sway.topics.endorse.endorsement_boosts`.

References
----------
.. [1] M. Charikar. "Greedy approximation algorithms for finding dense components in a graph."
   APPROX 2000, LNCS 1913, 84-95.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["CollusionReport", "find_collusion"]

Node = TypeVar("Node", bound=Hashable)


@dataclass(frozen=True)
class CollusionReport(Generic[Node]):
    """Reciprocal pairs and dense groups of an endorsement graph."""

    pairs: frozenset[frozenset[Node]] = frozenset()
    groups: tuple[frozenset[Node], ...] = ()
    _group_of: dict[Node, int] = field(default_factory=dict, compare=False, repr=False)

    def colluding(self, giver: Node, target: Node) -> bool:
        """Whether an endorsement ``giver`` → ``target`` is inside a pair or group."""
        if frozenset((giver, target)) in self.pairs:
            return True
        group = self._group_of.get(giver)
        return group is not None and group == self._group_of.get(target)


def _density(edges: int, size: int) -> float:
    return edges / (size * (size - 1)) if size > 1 else 0.0


def _densest(
    nodes: set[Node], out: dict[Node, set[Node]], inn: dict[Node, set[Node]], min_size: int
) -> set[Node]:
    """The densest subset of at least ``min_size`` accounts met while peeling ``nodes`` one
    lowest-degree account at a time (quadratic in the size of the part: endorsement graphs
    are small)."""
    alive = set(nodes)
    degree = {n: len(out[n] & alive) + len(inn[n] & alive) for n in alive}
    edges = sum(len(out[n] & alive) for n in alive)
    best, best_density = set(alive), _density(edges, len(alive))
    while len(alive) > min_size:
        # Ties peel the node that sorts last, so the result does not depend on set order.
        victim = min(alive, key=lambda n: (degree[n], repr(n)))
        alive.remove(victim)
        for other in (out[victim] | inn[victim]) & alive:
            degree[other] -= (other in out[victim]) + (other in inn[victim])
        edges -= len(out[victim] & alive) + len(inn[victim] & alive)
        density = _density(edges, len(alive))
        if density > best_density:
            best, best_density = set(alive), density
    return best


def find_collusion(
    edges: Iterable[tuple[Node, Node]], *, min_group: int = 3, density: float = 0.6
) -> CollusionReport[Node]:
    """Reciprocal pairs and dense groups among directed ``(giver, target)`` edges."""
    out: dict[Node, set[Node]] = {}
    inn: dict[Node, set[Node]] = {}
    for giver, target in edges:
        if giver == target:
            continue
        out.setdefault(giver, set()).add(target)
        inn.setdefault(target, set()).add(giver)
        out.setdefault(target, set())
        inn.setdefault(giver, set())
    pairs = frozenset(
        frozenset((a, b)) for a, targets in out.items() for b in targets if a in out.get(b, ())
    )
    groups: list[frozenset[Node]] = []
    seen: set[Node] = set()
    for start in sorted(out, key=repr):
        if start in seen:
            continue
        part: set[Node] = set()
        stack = [start]
        while stack:
            node = stack.pop()
            if node not in part:
                part.add(node)
                stack.extend((out[node] | inn[node]) - part)
        seen |= part
        remaining = set(part)
        while len(remaining) >= min_group:
            group = _densest(remaining, out, inn, min_group)
            edges_in = sum(len(out[n] & group) for n in group)
            if len(group) < min_group or _density(edges_in, len(group)) < density:
                break
            groups.append(frozenset(group))
            remaining -= group
    group_of = {node: i for i, group in enumerate(groups) for node in group}
    return CollusionReport(pairs=pairs, groups=tuple(groups), _group_of=group_of)
