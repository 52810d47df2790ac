"""The graph step against its plain-Python oracles and against NetworkX."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from sway.errors import ScoringError
from sway.scoring.graph import (
    _pagerank_python,
    _standing_python,
    adjacency,
    pagerank,
    standing,
)

# A small weighted graph with a cycle, a dangling node (e), a self-contained pair (f <-> g)
# and an isolated node (h).
EDGES = [
    ("a", "b", 1.0),
    ("a", "c", 2.0),
    ("b", "c", 1.0),
    ("c", "a", 1.0),
    ("c", "d", 0.5),
    ("d", "e", 3.0),
    ("f", "g", 1.0),
    ("g", "f", 2.0),
]
NODES = ["a", "b", "c", "d", "e", "f", "g", "h"]
INDEX = {n: i for i, n in enumerate(NODES)}


def matrix(edges: list[tuple[str, str, float]] = EDGES) -> sp.csr_matrix:
    return adjacency(
        np.array([INDEX[u] for u, _, _ in edges]),
        np.array([INDEX[v] for _, v, _ in edges]),
        np.array([w for _, _, w in edges]),
        len(NODES),
    )


def test_pagerank_matches_the_python_oracle_and_networkx() -> None:
    ours = pagerank(matrix(), alpha=0.85, tol=1e-13, max_iter=1000).values
    oracle = _pagerank_python(NODES, EDGES, alpha=0.85, tol=1e-13, max_iter=1000)
    g = nx.DiGraph()
    g.add_nodes_from(NODES)
    g.add_weighted_edges_from(EDGES)
    reference = nx.pagerank(g, alpha=0.85, tol=1e-13, max_iter=1000)
    assert ours.sum() == pytest.approx(1.0, abs=1e-12)
    for node, i in INDEX.items():
        assert ours[i] == pytest.approx(oracle[node], abs=1e-9)
        assert ours[i] == pytest.approx(reference[node], abs=1e-9)


def test_pagerank_personalization_matches_networkx() -> None:
    weights = {n: float(i + 1) for i, n in enumerate(NODES)}
    ours = pagerank(
        matrix(), alpha=0.7, personalization=np.array(list(weights.values())), tol=1e-13
    ).values
    g = nx.DiGraph()
    g.add_nodes_from(NODES)
    g.add_weighted_edges_from(EDGES)
    reference = nx.pagerank(g, alpha=0.7, personalization=weights, tol=1e-13)
    oracle = _pagerank_python(NODES, EDGES, alpha=0.7, personalization=weights, tol=1e-13)
    for node, i in INDEX.items():
        assert ours[i] == pytest.approx(reference[node], abs=1e-9)
        assert ours[i] == pytest.approx(oracle[node], abs=1e-9)


def test_pagerank_gives_up_after_the_iteration_cap() -> None:
    with pytest.raises(ScoringError, match="did not converge in 2 iterations"):
        pagerank(matrix(), tol=1e-15, max_iter=2)


def test_pagerank_of_an_empty_graph() -> None:
    result = pagerank(sp.csr_matrix((0, 0)))
    assert result.values.shape == (0,) and result.iterations == 0


def test_standing_matches_the_python_oracle() -> None:
    # Rows normalised, then scaled down for some nodes (partial pass-on).
    out: dict[str, float] = {}
    for u, _, w in EDGES:
        out[u] = out.get(u, 0.0) + w
    passes = {"a": 1.0, "b": 0.5, "c": 0.9, "d": 1.0, "f": 0.3, "g": 1.0}
    shares = [(u, v, passes[u] * w / out[u]) for u, v, w in EDGES]
    ours = standing(matrix(shares), alpha=0.85, tol=1e-14).values
    oracle = _standing_python(NODES, shares, alpha=0.85, tol=1e-14)
    for node, i in INDEX.items():
        assert ours[i] == pytest.approx(oracle[node], rel=1e-12)
    # Hand check on the chain d -> e: y_e = 1 + 0.85 * 1 * y_d, and nothing flows into h.
    assert ours[INDEX["e"]] == pytest.approx(1 + 0.85 * ours[INDEX["d"]], rel=1e-12)
    assert ours[INDEX["h"]] == 1.0


def test_standing_is_pagerank_up_to_a_constant_on_a_row_stochastic_graph() -> None:
    # Del Corso et al.: with dangling nodes jumping like the uniform teleport, PageRank is
    # proportional to the solution of the linear system that `standing` iterates.
    out: dict[str, float] = {}
    for u, _, w in EDGES:
        out[u] = out.get(u, 0.0) + w
    shares = [(u, v, w / out[u]) for u, v, w in EDGES]
    y = standing(matrix(shares), alpha=0.85, tol=1e-15).values
    pr = pagerank(matrix(), alpha=0.85, tol=1e-15, max_iter=1000).values
    np.testing.assert_allclose(y / y.sum(), pr, rtol=1e-10)


def test_standing_does_not_depend_on_unrelated_parts_of_the_graph() -> None:
    shares = [("a", "b", 0.5), ("b", "c", 1.0), ("c", "a", 0.25)]
    alone = _standing_python(["a", "b", "c"], shares)
    bigger = [*shares, ("f", "g", 1.0), ("g", "f", 1.0), ("d", "e", 0.5)]
    with_more = standing(matrix(bigger), tol=1e-14).values
    for node in "abc":
        assert with_more[INDEX[node]] == pytest.approx(alone[node], rel=1e-12)


def test_standing_refuses_rows_that_pass_on_more_than_everything() -> None:
    with pytest.raises(ScoringError, match="at most 1"):
        standing(matrix([("a", "b", 0.8), ("a", "c", 0.8)]))


def test_standing_gives_up_after_the_iteration_cap() -> None:
    with pytest.raises(ScoringError, match="did not converge in 3 iterations"):
        standing(matrix([("a", "b", 1.0), ("b", "a", 1.0)]), max_iter=3)


def test_adjacency_is_the_same_whatever_the_order_of_the_edges() -> None:
    rng = np.random.default_rng(7)
    src = rng.integers(0, 50, 400)
    dst = rng.integers(0, 50, 400)
    weight = rng.random(400)
    first = adjacency(src, dst, weight, 50)
    perm = rng.permutation(400)
    second = adjacency(src[perm], dst[perm], weight[perm], 50)
    assert (first != second).nnz == 0
    np.testing.assert_array_equal(first.data, second.data)
