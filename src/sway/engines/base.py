"""What an execution engine is: the contract the scorer runs its steps through.

An engine holds two input relations, ``events`` and ``person_accounts`` (see
:mod:`sway.scoring.steps`), materialises each step's SQL as a named table, hands tables back as
Arrow, and accepts Arrow tables (the graph step's result) under a name. Dialect differences and
quirks live in the engine's own module, never in the scoring code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa

from sway.errors import EngineError

__all__ = ["DataFingerprint", "Engine", "GraphStepEngine", "missing_extra"]


def missing_extra(engine: str, exc: ImportError, *, extra: str) -> EngineError:
    """The error for an engine whose optional dependency is not installed: what is missing,
    and the extra that brings it (each extra lists everything its engine imports)."""
    module = (exc.name or str(exc)).split(".")[0]
    return EngineError(
        f'the {engine} engine needs {module}, which is not installed: pip install "sway[{extra}]"'
    )


@dataclass(frozen=True)
class DataFingerprint:
    """What identifies the data one run reads.

    Attributes
    ----------
    events
        Events in the window.
    digest
        A content digest of those events and of the person links: equal digests mean the same
        data, so a run with the same version, parameters, window and ``as_of`` would give the
        same scores.
    last_ts
        The newest event in the window (the time watermark).
    max_ingest_id
        The newest ingest in the store (the ingest watermark), when the engine reads a store.
    """

    events: int
    digest: str
    last_ts: datetime | None
    max_ingest_id: int | None = None


@runtime_checkable
class Engine(Protocol):
    """An execution engine for the relational steps of the score."""

    #: Name recorded with each run (``duckdb``, ``spark``).
    name: str

    def materialize(self, name: str, sql: str, params: Mapping[str, Any]) -> None:
        """Run ``sql`` (DuckDB dialect, ``$name`` parameters) and keep the result as ``name``."""
        ...

    def query(self, sql: str, params: Mapping[str, Any]) -> pa.Table:
        """Run ``sql`` and return its (small) result as Arrow."""
        ...

    def fetch(self, name: str) -> pa.Table:
        """A materialised or registered table as Arrow."""
        ...

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table readable by later steps as ``name``."""
        ...

    def drop(self, name: str) -> None:
        """Forget a materialised or registered table."""
        ...

    def fingerprint(self, *, start: datetime, as_of: datetime) -> DataFingerprint:
        """Identify the events in ``[start, as_of)`` and the person links."""
        ...

    def close(self) -> None:
        """Drop everything this engine created; the inputs are left as they were."""
        ...


@runtime_checkable
class GraphStepEngine(Engine, Protocol):
    """An engine that runs the graph step itself, where its data is.

    By default the scorer fetches the edges of the reaction graph and iterates in process
    (:func:`sway.scoring.graph.standing`); an engine whose graph does not fit on one machine
    (Spark) provides ``graph_step`` and the scorer calls it instead.
    """

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
        """Standing ``y = 1 + alpha * A.T @ y`` of every node of ``nodes`` (column ``node``) on
        the edges ``edges`` (``src, dst, strength, passes``), with ``A`` as the scorer builds it;
        keep ``node, network_impact`` (``y - 1``) as ``result``; return the iterations used."""
        ...
