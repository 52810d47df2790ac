"""The graph step: PageRank-like power iteration on a sparse weighted reaction graph.

Two forms of the same computation:

- :func:`pagerank` is classic PageRank (Page et al. 1999) with NetworkX's semantics: rows of the
  adjacency are normalised by out-weight, dangling nodes (no out-edges) jump like the teleport,
  and the result sums to 1. It is the reference for the benchmark against ``networkx.pagerank``.
- :func:`standing` is its unnormalised linear form ``y = 1 + alpha * A.T @ y`` (Del Corso, Gullì
  & Romani 2005), with ``A`` used as given (rows summing to at most 1). When ``A`` is the
  row-normalised adjacency, ``standing`` is proportional to :func:`pagerank` with uniform
  teleport, but each value depends only on the accounts upstream of it: adding an unrelated part
  of the graph leaves it unchanged. That is what the score needs (scores must not move because
  other accounts joined), and a row may sum to less than 1 to pass on only part of a reactor's
  standing (an unselective or low-credibility reactor).

Both iterate a sparse matrix-vector product (SciPy CSR), stop on a tolerance and give up after
``max_iter`` iterations with :class:`~sway.errors.ScoringError`. ``_pagerank_python`` and
``_standing_python`` are plain-Python versions kept as test oracles.

References
----------
.. [1] L. Page, S. Brin, R. Motwani, T. Winograd. "The PageRank citation ranking: bringing order
   to the Web." Stanford InfoLab Technical Report 1999-66, 1999.
.. [2] G. M. Del Corso, A. Gullì, F. Romani. "Fast PageRank computation via a sparse linear
   system." Internet Mathematics 2(3):251-273, 2005.
.. [3] A. N. Langville, C. D. Meyer. "Deeper inside PageRank." Internet Mathematics
   1(3):335-380, 2004.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sway.errors import ScoringError

__all__ = ["GraphResult", "adjacency", "pagerank", "standing"]

N = TypeVar("N", bound=Hashable)


@dataclass(frozen=True)
class GraphResult:
    """Values per node (index order) and how the iteration went."""

    values: NDArray[np.float64]
    iterations: int


def adjacency(
    src: NDArray[np.int64], dst: NDArray[np.int64], weight: NDArray[np.float64], n: int
) -> sp.csr_matrix:
    """An ``n x n`` CSR matrix with ``weight`` at ``[src, dst]`` (duplicates are summed).

    The result is in canonical form (column indices sorted within each row), so the same set of
    edges in any order gives the same matrix and the same floating-point results downstream
    (runs must be reproducible bit for bit). Duplicate edges are summed in a fixed order.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    matrix = sp.csr_matrix((weight, (src, dst)), shape=(n, n))
    if matrix.nnz != len(src):
        # Duplicates were summed in input order; sum them again in a fixed order instead.
        order = np.lexsort((weight, dst, src))
        matrix = sp.csr_matrix((weight[order], (src[order], dst[order])), shape=(n, n))
    matrix.sort_indices()
    return matrix


def _check_square(matrix: sp.spmatrix | sp.sparray) -> int:
    n, m = matrix.shape
    if n != m:
        raise ScoringError(f"adjacency must be square, found {n} x {m}")
    return int(n)


def _distribution(
    values: NDArray[np.float64] | None, n: int, name: str
) -> NDArray[np.float64] | None:
    if values is None:
        return None
    vec = np.asarray(values, dtype=np.float64)
    if vec.shape != (n,) or (vec < 0).any() or vec.sum() <= 0:
        raise ScoringError(f"{name} must be {n} non-negative numbers with a positive sum")
    normalised: NDArray[np.float64] = vec / vec.sum()
    return normalised


def pagerank(
    matrix: sp.spmatrix | sp.sparray,
    *,
    alpha: float = 0.85,
    personalization: NDArray[np.float64] | None = None,
    dangling: NDArray[np.float64] | None = None,
    nstart: NDArray[np.float64] | None = None,
    tol: float = 1e-6,
    max_iter: int = 100,
) -> GraphResult:
    """PageRank of every node of a weighted directed graph, by sparse power iteration.

    Parameters
    ----------
    matrix
        ``n x n`` sparse adjacency; entry ``[i, j]`` is the weight of the edge ``i -> j``
        (non-negative).
    alpha
        Damping: probability of following an edge rather than teleporting.
    personalization
        Teleport distribution (normalised here); uniform when ``None``.
    dangling
        Where nodes without out-edges jump; the teleport distribution when ``None``.
    nstart
        Starting vector (normalised here); uniform when ``None``.
    tol
        Stop when the L1 change of the vector falls below ``n * tol`` (NetworkX's criterion).
    max_iter
        Give up (raise) after this many iterations.

    Returns
    -------
    GraphResult
        PageRank per node (summing to 1) and the iterations used.

    Raises
    ------
    ScoringError
        On a malformed input or when ``max_iter`` iterations did not converge.

    References
    ----------
    .. [1] L. Page, S. Brin, R. Motwani, T. Winograd. "The PageRank citation ranking: bringing
       order to the Web." Stanford InfoLab Technical Report 1999-66, 1999.
    .. [2] A. Hagberg, D. Schult, P. Swart. "Exploring network structure, dynamics, and function
       using NetworkX." Proceedings of SciPy 2008 (``networkx.pagerank``).
    """
    n = _check_square(matrix)
    if n == 0:
        return GraphResult(np.zeros(0), 0)
    if not 0 < alpha < 1:
        raise ScoringError(f"alpha must be in (0, 1), found {alpha}")
    a = sp.csr_matrix(matrix, dtype=np.float64)
    if a.nnz and a.data.min() < 0:
        raise ScoringError("edge weights must be non-negative")
    out = np.asarray(a.sum(axis=1)).ravel()
    inv = np.divide(1.0, out, out=np.zeros(n), where=out != 0)
    # Transposed and row-normalised once, so each iteration is one CSR mat-vec.
    pt = sp.csr_matrix((sp.diags(inv) @ a).T)
    p = _distribution(personalization, n, "personalization")
    p = np.full(n, 1.0 / n) if p is None else p
    d = _distribution(dangling, n, "dangling")
    d = p if d is None else d
    is_dangling = out == 0
    x = _distribution(nstart, n, "nstart")
    x = np.full(n, 1.0 / n) if x is None else x
    for iteration in range(1, max_iter + 1):
        last = x
        x = alpha * (pt @ last + last[is_dangling].sum() * d) + (1 - alpha) * p
        if np.abs(x - last).sum() < n * tol:
            return GraphResult(x, iteration)
    raise ScoringError(f"PageRank did not converge in {max_iter} iterations (tolerance {tol})")


def standing(
    matrix: sp.spmatrix | sp.sparray,
    *,
    alpha: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
    transposed: bool = False,
) -> GraphResult:
    """Standing ``y = 1 + alpha * A.T @ y`` of every node, by power iteration from ``y = 1``.

    The unnormalised linear form of PageRank: a node with no incoming edges has standing 1; each
    edge ``j -> i`` passes ``alpha * A[j, i] * y[j]`` on to ``i``. With ``A`` row-stochastic
    (dangling rows zero) the result is PageRank with uniform teleport times a constant [1]_;
    unlike PageRank's normalisation it is local, so an unrelated component of the graph does not
    change it.

    Parameters
    ----------
    matrix
        ``n x n`` sparse matrix ``A``, non-negative, every row summing to at most 1 (a row
        summing to less passes on only that share of the node's standing).
    alpha
        Damping, in (0, 1); guarantees convergence at rate ``alpha``.
    tol
        Stop when the estimated remaining error of every value, relative to the value, is at
        most ``tol`` (each value's precision does not depend on the size of the graph).
    max_iter
        Give up (raise) after this many iterations.
    transposed
        ``matrix`` is already ``A.T`` in CSR form (saves a transposition of a large graph).

    Returns
    -------
    GraphResult
        Standing per node (each at least 1) and the iterations used.

    References
    ----------
    .. [1] G. M. Del Corso, A. Gullì, F. Romani. "Fast PageRank computation via a sparse linear
       system." Internet Mathematics 2(3):251-273, 2005.
    """
    n = _check_square(matrix)
    if n == 0:
        return GraphResult(np.zeros(0), 0)
    if not 0 < alpha < 1:
        raise ScoringError(f"alpha must be in (0, 1), found {alpha}")
    at = sp.csr_matrix(matrix if transposed else matrix.T, dtype=np.float64)
    if at.nnz and at.data.min() < 0:
        raise ScoringError("edge weights must be non-negative")
    if at.nnz and np.bincount(at.indices, weights=at.data, minlength=n).max() > 1 + 1e-9:
        raise ScoringError("every row of the standing matrix must sum to at most 1")
    at = at * alpha
    y = np.ones(n)
    for iteration in range(1, max_iter + 1):
        last = y
        y = 1.0 + at @ last
        # y grows monotonically and the gap to the fixed point shrinks by about alpha per
        # iteration, so alpha / (1 - alpha) times the last step bounds what is left to gain.
        if ((y - last) / y).max() * alpha / (1 - alpha) <= tol:
            return GraphResult(y, iteration)
    raise ScoringError(f"graph step did not converge in {max_iter} iterations (tolerance {tol})")


# -- plain-Python oracles (tests only) ------------------------------------------------------


def _pagerank_python(
    nodes: Iterable[N],
    edges: Iterable[tuple[N, N, float]],
    *,
    alpha: float = 0.85,
    personalization: Mapping[N, float] | None = None,
    tol: float = 1e-6,
    max_iter: int = 100,
) -> dict[N, float]:
    """Plain-Python PageRank (NetworkX semantics, dangling nodes jump like the teleport)."""
    order = list(dict.fromkeys(nodes))
    n = len(order)
    if n == 0:
        return {}
    out: dict[N, dict[N, float]] = {u: {} for u in order}
    for u, v, w in edges:
        out[u][v] = out[u].get(v, 0.0) + w
    total = {u: sum(out[u].values()) for u in order}
    if personalization is None:
        p = {u: 1.0 / n for u in order}
    else:
        s = sum(personalization.get(u, 0.0) for u in order)
        p = {u: personalization.get(u, 0.0) / s for u in order}
    x = {u: 1.0 / n for u in order}
    for _ in range(max_iter):
        last = x
        dangling_sum = alpha * sum(last[u] for u in order if total[u] == 0)
        x = {u: dangling_sum * p[u] + (1 - alpha) * p[u] for u in order}
        for u in order:
            if total[u] == 0:
                continue
            for v, w in out[u].items():
                x[v] += alpha * last[u] * w / total[u]
        if sum(abs(x[u] - last[u]) for u in order) < n * tol:
            return x
    raise ScoringError(f"PageRank did not converge in {max_iter} iterations")


def _standing_python(
    nodes: Iterable[N],
    edges: Iterable[tuple[N, N, float]],
    *,
    alpha: float = 0.85,
    tol: float = 1e-12,
    max_iter: int = 10_000,
) -> dict[N, float]:
    """Plain-Python ``y = 1 + alpha * A.T @ y`` with ``A[u][v]`` given by ``edges``."""
    order = list(dict.fromkeys(nodes))
    share: dict[N, dict[N, float]] = {u: {} for u in order}
    for u, v, w in edges:
        share[u][v] = share[u].get(v, 0.0) + w
    y = {u: 1.0 for u in order}
    for _ in range(max_iter):
        last = y
        y = {u: 1.0 for u in order}
        for u in order:
            for v, a in share[u].items():
                y[v] += alpha * a * last[u]
        gap = max(((y[u] - last[u]) / y[u] for u in order), default=0.0)
        if gap * alpha / (1 - alpha) <= tol:
            return y
    raise ScoringError(f"graph step did not converge in {max_iter} iterations")
