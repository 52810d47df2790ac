"""The Spark engine: the same scoring steps, run by Apache Spark (``pip install "sway[spark]"``).

Each step's SQL is the DuckDB engine's text rewritten by :func:`~sway.engines.spark_sql.
to_spark_sql` and run with Spark's named parameters; each result is checkpointed and kept as a
temporary view named after the step. The graph step runs as DataFrame joins
(:mod:`sway.engines.spark_graph`) instead of in the driver's memory.

Spark's quirks are handled here and nowhere else: the session computes in UTC, with ANSI mode off
(division by zero gives NULL as in DuckDB), partition folders are read as strings (a network
called ``123`` stays a name), and PySpark and Java are checked for with an install hint.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sway.engines.base import DataFingerprint, missing_extra
from sway.engines.spark_graph import spark_standing
from sway.engines.spark_sql import to_spark_sql
from sway.errors import EngineError
from sway.events import EVENT_SCHEMA, Event, events_to_arrow
from sway.scoring.steps import Step

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["DEFAULT_CONF", "SparkEngine", "spark_failure", "spark_session"]

#: Settings every Sway session needs for results to match the DuckDB engine.
DEFAULT_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}

_JAVA_HINT = (
    "the Spark engine needs Java 17 or 21 (PySpark starts a JVM): install a JDK, e.g. "
    "`apt install openjdk-17-jre-headless`, or set JAVA_HOME"
)

_EVENT_COLUMNS = (
    "network, event_id, ts, unix_micros(ts) AS ts_us, actor, action, target, content_id, "
    "parent_id, value, text"
)
_LINK_COLUMNS = ("person_id", "network", "account_id")
_LINK_SCHEMA = pa.schema([pa.field(c, pa.string(), nullable=False) for c in _LINK_COLUMNS])


def _java_found() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def spark_session(
    master: str | None = None,
    *,
    app_name: str = "sway",
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """A Spark session set up for Sway (the running one if there is one).

    Parameters
    ----------
    master
        ``local[*]``, ``local[2]``, ``spark://host:7077``, ``yarn``, ``k8s://https://...``;
        by default the one ``spark-submit`` set, else ``local[*]``.
    conf
        More Spark settings (``spark.executor.memory``, ``spark.sql.shuffle.partitions``...).

    Raises
    ------
    EngineError
        When PySpark or Java is missing, or the session does not start.
    """
    try:
        from pyspark import SparkConf
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise missing_extra("Spark", exc, extra="spark") from None
    if not _java_found():
        raise EngineError(_JAVA_HINT)
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    elif not SparkConf().contains("spark.master"):
        builder = builder.master("local[*]")
    for key, value in {**DEFAULT_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        raise EngineError(f"Spark did not start (master {master or 'default'}): {exc}") from None
    # A session that was already running keeps its settings; these must hold for every run.
    for key, value in DEFAULT_CONF.items():
        if key.startswith("spark.sql."):
            session.conf.set(key, value)
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_failure(exc: BaseException) -> str:
    """What went wrong in Spark, in words: the first line of its message (the Java stack that
    follows it says nothing to a user), and what to change where Spark names a setting."""
    text = str(exc)
    said = [
        line.strip().removeprefix(": ")
        for line in text.splitlines()
        if line.strip()
        and not line.strip().startswith(("at ", "An error occurred while calling", "JVM stack"))
    ]
    first = said[0] if said else type(exc).__name__
    if "spark.driver.maxResultSize" in text:
        first += (
            " (the result tables come back to the driver: raise spark.driver.maxResultSize,"
            " e.g. --conf spark.driver.maxResultSize=8g, with the driver memory to hold them)"
        )
    return first


def _quote(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise EngineError(f"not a table name: {name!r}")
    return f"`{name}`"


class SparkEngine:
    """Run the scoring steps on Apache Spark.

    Parameters
    ----------
    spark
        The session (see :func:`spark_session`).
    events
        The canonical events (at least the columns of ``EVENT_SCHEMA`` the steps read).
    links
        ``person_id, network, account_id`` rows, or ``None`` for no person links.
    checkpoint_dir
        Where checkpoints are written (a shared file system on a cluster: ``hdfs://``,
        ``s3a://``). Without one, results are kept in executor storage (local checkpoints):
        faster, but lost with an executor.
    checkpoint_every
        Graph iterations between checkpoints.

    Examples
    --------
    >>> session = spark_session("local[2]")  # doctest: +SKIP
    >>> engine = SparkEngine.from_parquet(session, "events/")  # doctest: +SKIP
    >>> InfluenceScorer().fit(engine)  # doctest: +SKIP
    """

    name = "spark"

    def __init__(
        self,
        spark: SparkSession,
        events: DataFrame,
        links: DataFrame | None = None,
        *,
        checkpoint_dir: str | None = None,
        checkpoint_every: int = 8,
    ) -> None:
        self.spark = spark
        self.checkpoint_every = checkpoint_every
        self.reliable = checkpoint_dir is not None
        if checkpoint_dir is not None:
            spark.sparkContext.setCheckpointDir(checkpoint_dir)
        self._views: list[str] = []
        missing = [
            c for c in ("network", "event_id", "ts", "actor", "action") if c not in events.columns
        ]
        if missing:
            raise EngineError(f"events lack the column(s) {', '.join(missing)}")
        for column, kind in (
            ("target", "string"),
            ("content_id", "string"),
            ("parent_id", "string"),
            ("value", "double"),
            ("text", "string"),
        ):
            if column not in events.columns:
                events = events.selectExpr("*", f"CAST(NULL AS {kind}) AS {column}")
        events.selectExpr(*_EVENT_COLUMNS.split(", ")).createOrReplaceTempView("input_events")
        if links is None:
            links = spark.createDataFrame(_LINK_SCHEMA.empty_table())
        links.select(*_LINK_COLUMNS).distinct().createOrReplaceTempView("input_links")

    # -- constructors ---------------------------------------------------------------------

    @classmethod
    def for_store(
        cls, store: Any, *, session: SparkSession | None = None, **options: Any
    ) -> SparkEngine:
        """An engine over an open :class:`~sway.store.Store`'s events and person links, copied
        into a Spark session (by default a local one: for checking; on a cluster Spark reads
        Parquet, see :meth:`from_parquet`)."""
        events = store.con.sql("SELECT * FROM events").to_arrow_table()
        links = store.con.sql(
            "SELECT DISTINCT person_id, network, account_id FROM person_accounts"
        ).to_arrow_table()
        spark = session if session is not None else spark_session()
        return cls.from_events(spark, events, links=links, **options)

    @classmethod
    def from_events(
        cls,
        spark: SparkSession,
        events: pa.Table | Iterable[Event],
        *,
        links: pa.Table | Iterable[tuple[str, str, str]] = (),
        **options: Any,
    ) -> SparkEngine:
        """An engine over events in memory (Arrow in ``EVENT_SCHEMA`` or :class:`Event`
        values) and ``(person_id, network, account_id)`` links."""
        table = events if isinstance(events, pa.Table) else events_to_arrow(list(events))
        wanted = [f.name for f in EVENT_SCHEMA if f.name not in ("tags", "lang")]
        missing = [c for c in wanted if c not in table.column_names]
        if missing:
            raise EngineError(f"events lack the column(s) {', '.join(missing)}")
        if not isinstance(links, pa.Table):
            links = pa.Table.from_pylist(
                [dict(zip(_LINK_COLUMNS, row, strict=True)) for row in links], schema=_LINK_SCHEMA
            )
        frame = spark.createDataFrame(table.select(wanted))
        link_frame = spark.createDataFrame(links.select(list(_LINK_COLUMNS)))
        return cls(spark, frame, link_frame, **options)

    @classmethod
    def from_parquet(
        cls,
        spark: SparkSession,
        events: str,
        *,
        links: str | None = None,
        **options: Any,
    ) -> SparkEngine:
        """An engine over canonical events in Parquet: a file, or a folder partitioned by
        network and date (``sway export events --format parquet --partition``), on any file
        system Spark reads (``hdfs://``, ``s3a://``, a local path)."""
        try:
            frame = spark.read.option("basePath", events).parquet(events)
            link_frame = None if links is None else spark.read.parquet(links)
        except Exception as exc:
            raise EngineError(f"{events}: cannot read the events as Parquet ({exc})") from None
        return cls(spark, frame, link_frame, **options)

    # -- the Engine protocol --------------------------------------------------------------

    def _sql(self, what: str, sql: str, params: Mapping[str, Any]) -> DataFrame:
        used = Step(what, sql, "").params
        missing = [p for p in used if p not in params]
        if missing:
            raise EngineError(f"{what}: no value for parameter(s) {', '.join(missing)}")
        try:
            return self.spark.sql(to_spark_sql(sql), args={p: params[p] for p in used})
        except Exception as exc:
            raise EngineError(f"{what} failed in Spark: {spark_failure(exc)}") from None

    def _keep(self, name: str, frame: DataFrame) -> None:
        # Computed now and cut from its lineage: a step that is only persisted carries the plans
        # of every step it reads, printed and analysed again in each later step (the plan of
        # the last steps grows until the driver runs out of memory).
        try:
            frame = (
                frame.checkpoint(eager=True) if self.reliable else frame.localCheckpoint(eager=True)
            )
        except Exception as exc:
            raise EngineError(f"step {name} failed in Spark: {spark_failure(exc)}") from None
        self._unpersist(name)
        frame.createOrReplaceTempView(name)
        if name not in self._views:
            self._views.append(name)

    def materialize(self, name: str, sql: str, params: Mapping[str, Any]) -> None:
        self._keep(name, self._sql(f"step {name}", sql, params))

    def query(self, sql: str, params: Mapping[str, Any]) -> pa.Table:
        frame = self._sql("query", sql, params)
        try:
            return frame.toArrow()
        except Exception as exc:
            raise EngineError(f"query failed in Spark: {spark_failure(exc)}") from None

    def fetch(self, name: str) -> pa.Table:
        try:
            return self.spark.table(_quote(name)).toArrow()
        except Exception as exc:
            raise EngineError(f"cannot read {name}: {spark_failure(exc)}") from None

    def register(self, name: str, table: pa.Table) -> None:
        self._keep(name, self.spark.createDataFrame(table))

    def _unpersist(self, name: str) -> None:
        if name in self._views and self.spark.catalog.tableExists(name):
            self.spark.table(_quote(name)).unpersist()

    def drop(self, name: str) -> None:
        if name in self._views:
            self._unpersist(name)
            self.spark.catalog.dropTempView(name)
            self._views.remove(name)

    def fingerprint(self, *, start: datetime, as_of: datetime) -> DataFingerprint:
        events = self.query(
            "SELECT count(*) AS n, max(ts) AS last_ts, "
            "coalesce(bit_xor(xxhash64(network, event_id, ts)), 0) AS digest "
            "FROM input_events WHERE ts >= $start AND ts < $as_of",
            {"start": start, "as_of": as_of},
        ).to_pylist()[0]
        links = self.query(
            "SELECT count(*) AS n, coalesce(bit_xor(xxhash64(person_id, network, account_id)), 0)"
            " AS digest FROM input_links",
            {},
        ).to_pylist()[0]
        digest = hashlib.sha256(
            f"spark-xxhash64:{events['n']}:{events['digest']}:{links['n']}:{links['digest']}".encode()
        ).hexdigest()
        return DataFingerprint(events=int(events["n"]), digest=digest, last_ts=events["last_ts"])

    def graph_step(
        self,
        edges: str,
        nodes: str,
        *,
        result: str,
        alpha: float,
        full_endorsement: float,
        tol: float,
        max_iter: int,
    ) -> int:
        """Standing on the reaction graph as DataFrame joins (see
        :func:`~sway.engines.spark_graph.spark_standing`); keeps ``node, network_impact`` as
        ``result`` and returns the iterations used."""
        from pyspark.sql import functions as F

        standing = spark_standing(
            self.spark.table(_quote(edges)),
            self.spark.table(_quote(nodes)).select("node"),
            alpha=alpha,
            full_endorsement=full_endorsement,
            tol=tol,
            max_iter=max_iter,
            checkpoint_every=self.checkpoint_every,
            reliable_checkpoints=self.reliable,
        )
        try:
            impact = standing.values.select(
                "node", (F.col("y") - F.lit(1.0)).alias("network_impact")
            )
            self._keep(result, impact)
        finally:
            standing.values.unpersist()
        return standing.iterations

    def close(self) -> None:
        for name in list(self._views):
            self.drop(name)
        for name in ("input_events", "input_links"):
            self.spark.catalog.dropTempView(name)
