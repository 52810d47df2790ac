"""The graph step as Spark DataFrame joins: standing ``y = 1 + alpha * A.T @ y`` by power iteration.

The same computation as :func:`sway.scoring.graph.standing` on the matrix the scorer builds in
:meth:`~sway.scoring.scorer.InfluenceScorer._graph_step`, for graphs that do not fit on the
driver: each iteration is one join of the edges with the current values, one sum per target and
one join back onto every node. Spark keeps the plan of every iteration in the lineage of the
next, and each iteration reads the last one twice, so the plan would double with every
iteration until the driver runs out of memory: each iteration's result is checkpointed (kept by
the executors, which cuts the lineage), and every ``checkpoint_every`` iterations written to the
checkpoint folder when there is one.

Sums over incoming edges run in whatever order Spark meets the rows, so values can differ from
the in-process result in the last bits (about 1e-15 relative), far below the 1e-12 tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sway.errors import ScoringError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["StandingResult", "spark_standing"]


@dataclass(frozen=True)
class StandingResult:
    """``values``: one row per node (``node``, ``y``, the last ``change``), persisted: unpersist
    it once read; ``iterations``: how many were run."""

    values: DataFrame
    iterations: int


def _cut(frame: DataFrame, *, reliable: bool) -> DataFrame:
    """``frame`` computed now, with its lineage cut (written to the checkpoint folder when
    ``reliable``, kept by the executors otherwise)."""
    return frame.checkpoint(eager=True) if reliable else frame.localCheckpoint(eager=True)


def spark_standing(
    edges: DataFrame,
    nodes: DataFrame,
    *,
    alpha: float,
    full_endorsement: float,
    tol: float,
    max_iter: int,
    checkpoint_every: int = 8,
    reliable_checkpoints: bool = False,
) -> StandingResult:
    """Standing of every node of the reaction graph.

    Parameters
    ----------
    edges
        ``src, dst, strength, passes``: one row per reactor -> target (the ``graph_edges`` step).
    nodes
        ``node``: every account (the ``account_activity`` step).
    alpha
        Damping, in (0, 1).
    full_endorsement
        A reactor passes on all of its share of standing only once its total strength reaches
        ``log(1 + full_endorsement)``.
    tol, max_iter
        Stop when ``max((y - last) / y) * alpha / (1 - alpha) <= tol``; raise after ``max_iter``.
    checkpoint_every
        Write a reliable checkpoint every this many iterations.
    reliable_checkpoints
        Write checkpoints to the session's checkpoint folder (survives a lost executor) rather
        than to executor storage.

    Raises
    ------
    ScoringError
        When ``max_iter`` iterations did not converge.

    References
    ----------
    .. [1] G. M. Del Corso, A. Gullì, F. Romani. "Fast PageRank computation via a sparse linear
       system." Internet Mathematics 2(3):251-273, 2005.
    """
    from pyspark.sql import functions as F

    if not 0 < alpha < 1:
        raise ScoringError(f"alpha must be in (0, 1), found {alpha}")
    floor = math.log1p(full_endorsement)
    out = edges.groupBy("src").agg(F.sum("strength").alias("out_strength"))
    # The same operations in the same order as the in-process step: passes * strength / out,
    # then times alpha, so each weight has the same bits.
    weights = edges.join(out, "src").select(
        "src",
        "dst",
        (
            F.col("passes")
            * F.col("strength")
            / F.greatest(F.col("out_strength"), F.lit(floor))
            * F.lit(alpha)
        ).alias("a"),
    )
    spark = edges.sparkSession
    # Hash-partition the edges by reactor and every node vector by node, over the shuffle
    # partitions the sums per target use: the join with the values and the join back then need
    # no exchange (and the edges no sort), so an iteration shuffles once, not three times.
    parts = int(spark.conf.get("spark.sql.shuffle.partitions") or "200")
    weights = weights.repartition(parts, "src").sortWithinPartitions("src").persist()
    adaptive = spark.conf.get("spark.sql.adaptive.enabled") or "true"
    # Every iteration has the same shape, so re-planning each one at run time (adaptive query
    # execution) gains nothing and costs about two thirds of an iteration on small graphs.
    spark.conf.set("spark.sql.adaptive.enabled", "false")
    held = _cut(
        nodes.select("node", F.lit(1.0).alias("y")).repartition(parts, "node"), reliable=False
    )
    y = held
    try:
        for iteration in range(1, max_iter + 1):
            incoming = (
                weights.join(y.withColumnRenamed("node", "src"), "src")
                .groupBy("dst")
                .agg(F.sum(F.col("a") * F.col("y")).alias("gain"))
            )
            step = (
                y.join(incoming, y["node"] == incoming["dst"], "left")
                .select(
                    y["node"],
                    (F.lit(1.0) + F.coalesce(incoming["gain"], F.lit(0.0))).alias("y"),
                    y["y"].alias("last"),
                )
                .select("node", "y", ((F.col("y") - F.col("last")) / F.col("y")).alias("change"))
            )
            # The new values read the old ones twice (through the edges and node by node), so
            # an uncut plan doubles with every iteration: cut it every time, and every
            # checkpoint_every iterations write it where a lost executor cannot take it.
            step = _cut(step, reliable=reliable_checkpoints and iteration % checkpoint_every == 0)
            change = step.agg(F.max("change")).collect()[0][0]
            held.unpersist()
            held, y = step, step.select("node", "y")
            # The in-process step's test, operation for operation.
            if change is None or change * alpha / (1 - alpha) <= tol:
                return StandingResult(step, iteration)
    finally:
        weights.unpersist()
        spark.conf.set("spark.sql.adaptive.enabled", adaptive)
    held.unpersist()
    raise ScoringError(f"graph step did not converge in {max_iter} iterations (tolerance {tol})")
