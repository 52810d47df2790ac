"""The influence scorer: the estimator that runs one scoring pass through an engine.

Follows the estimator contract (STYLE.md): ``InfluenceScorer(**params)`` only stores its
keyword parameters; :meth:`InfluenceScorer.fit` validates them, runs the relational steps of
:mod:`sway.scoring.steps` through the engine and the graph step of :mod:`sway.scoring.graph`,
and returns ``self`` with the learned state in attributes ending in ``_``;
:meth:`InfluenceScorer.get_params` is what a run records.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pyarrow as pa

from sway.errors import ConfigError, ScoringError
from sway.integrity.model import IntegrityReport, compute_integrity, empty_inputs
from sway.integrity.params import IntegrityParams
from sway.scoring.calibration import ReferenceCurve, reference_curve
from sway.scoring.graph import adjacency, standing
from sway.scoring.params import ALGORITHM_VERSION, ScoreParams
from sway.scoring.steps import (
    BOUNDS_STEP,
    FEATURE_STEPS,
    GRAPH_EDGES,
    GRAPH_IMPACT,
    SCORE_STEPS,
    SUMMARY_STEP,
)

if TYPE_CHECKING:
    from sway.engines.base import DataFingerprint, Engine

__all__ = [
    "InfluenceScorer",
    "RunPlan",
    "default_as_of",
    "integrity_summary",
    "make_run_id",
    "make_series",
]

#: Called before each step with (step name, steps done, steps in all).
StepCallback = Callable[[str, int, int], None]

_DEFAULTS = ScoreParams()


@dataclass(frozen=True)
class RunPlan:
    """What identifies a run before it is computed."""

    run_id: str
    series: str
    algorithm_version: str
    params: dict[str, Any]
    as_of: datetime
    start: datetime
    window_days: float
    fingerprint: DataFingerprint


def default_as_of(last_ts: datetime) -> datetime:
    """Just after the newest event: the next whole second, so that the newest event counts."""
    return last_ts.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_run_id(
    *, version: str, params: dict[str, Any], as_of: datetime, window_days: float, digest: str
) -> str:
    """A run id that is a function of everything the scores depend on: the same version,
    parameters, ``as_of``, window and data give the same id (and the same scores)."""
    key = json.dumps(
        {
            "version": version,
            "params": params,
            "as_of": _utc(as_of).isoformat(),
            "window_days": window_days,
            "data": digest,
        },
        sort_keys=True,
    )
    return f"{version}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def make_series(*, version: str, params: dict[str, Any]) -> str:
    """The series of runs comparable over time: one algorithm version, one set of parameters."""
    key = json.dumps({"version": version, "params": params}, sort_keys=True)
    return f"{version}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


class InfluenceScorer:
    """Reach, amplification, network impact and the 1-100 score of every account and person.

    Parameters
    ----------
    **params
        Any field of :class:`~sway.scoring.params.ScoreParams` (defaults documented there).

    Attributes
    ----------
    params_ : ScoreParams
        The validated parameters.
    plan_ : RunPlan
        Run id, ``as_of``, window and data fingerprint.
    curve_ : ReferenceCurve
        The reference curve of the algorithm version.
    accounts_ : pyarrow.Table
        One row per account, in (network, account) order: sub-scores, raw influence, score,
        the parts and the discounts.
    account_people_ : pyarrow.Table
        Each account with its person (this and the tables below in no particular order).
    person_networks_ : pyarrow.Table
        One row per person and network.
    people_ : pyarrow.Table
        One row per person.
    top_reactors_, top_posts_ : pyarrow.Table
        The reactors and posts adding most to each account.
    summary_ : dict
        Counts over the window (events used, skipped), accounts, people, graph iterations.
    integrity_ : IntegrityReport or None
        What the integrity layer discounted and why (None when ``integrity=0``).

    Examples
    --------
    >>> from sway.engines.duckdb import DuckDBEngine
    >>> from sway.store import Store
    >>> with Store.open("sway.duckdb") as store:  # doctest: +SKIP
    ...     engine = DuckDBEngine.for_store(store)
    ...     scorer = InfluenceScorer(half_life_days=14).fit(engine)
    ...     engine.close()
    >>> scorer.accounts_.sort_by([("score", "descending")]).slice(0, 10)  # doctest: +SKIP
    """

    params_: ScoreParams
    plan_: RunPlan
    curve_: ReferenceCurve
    accounts_: pa.Table
    account_people_: pa.Table
    person_networks_: pa.Table
    people_: pa.Table
    top_reactors_: pa.Table
    top_posts_: pa.Table
    summary_: dict[str, Any]
    integrity_: IntegrityReport | None

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(ScoreParams.names()))
        if unknown:
            raise ConfigError(
                f"unknown score parameter {unknown[0]!r}; known: {', '.join(ScoreParams.names())}"
            )
        for name in ScoreParams.names():
            setattr(self, name, params.get(name, getattr(_DEFAULTS, name)))

    def get_params(self) -> dict[str, Any]:
        """Every parameter by name: what a run records."""
        return {name: getattr(self, name) for name in ScoreParams.names()}

    def set_params(self, **params: Any) -> Self:
        unknown = sorted(set(params) - set(ScoreParams.names()))
        if unknown:
            raise ConfigError(f"unknown score parameter {unknown[0]!r}")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    # -- planning -------------------------------------------------------------------------

    def plan(self, engine: Engine, *, as_of: datetime | None = None) -> RunPlan:
        """Identify the run (id, window, data fingerprint) without computing it."""
        params = ScoreParams(**self.get_params())
        if as_of is None:
            bounds = engine.query(BOUNDS_STEP.sql, {}).to_pylist()[0]
            if not bounds["events"] or bounds["last_ts"] is None:
                raise ScoringError("there are no events to score; ingest some first")
            as_of = default_as_of(bounds["last_ts"])
        as_of = _utc(as_of)
        start = as_of - timedelta(days=params.window_days)
        fingerprint = engine.fingerprint(start=start, as_of=as_of)
        recorded = params.as_dict()
        return RunPlan(
            run_id=make_run_id(
                version=ALGORITHM_VERSION,
                params=recorded,
                as_of=as_of,
                window_days=params.window_days,
                digest=fingerprint.digest,
            ),
            series=make_series(version=ALGORITHM_VERSION, params=recorded),
            algorithm_version=ALGORITHM_VERSION,
            params=recorded,
            as_of=as_of,
            start=start,
            window_days=params.window_days,
            fingerprint=fingerprint,
        )

    # -- fitting --------------------------------------------------------------------------

    def fit(
        self,
        engine: Engine,
        *,
        as_of: datetime | None = None,
        plan: RunPlan | None = None,
        on_step: StepCallback | None = None,
        accounts: pa.Table | None = None,
    ) -> Self:
        """Score every account and person active in the window ending at ``as_of``.

        Parameters
        ----------
        engine
            Holds the ``events`` and ``person_accounts`` inputs and runs the steps.
        as_of
            End of the window (exclusive); default just after the newest event.
        plan
            A plan from :meth:`plan` (so the fingerprint is not computed twice).
        on_step
            Progress callback ``(step, done, total)``.
        accounts
            The accounts table (``created_at``, ``followers``, ``following``, ``is_bot``) for
            the integrity layer's credibility signals, where there is one.
        """
        params = ScoreParams(**self.get_params())
        if plan is None:
            plan = self.plan(engine, as_of=as_of)
        elif plan.params != params.as_dict():
            raise ScoringError("the plan was made with other parameters")
        curve = reference_curve(plan.algorithm_version)
        values = self._sql_params(params, plan, curve)
        steps = [*FEATURE_STEPS, None, *SCORE_STEPS]
        total = len(steps)
        created: list[str] = []
        report = self._integrity(engine, params, plan, accounts, curve)
        inputs = empty_inputs() if report is None else report.inputs()
        for name, table in inputs.items():
            engine.register(name, table)
            created.append(name)
        try:
            graph_iterations = 0
            for done, step in enumerate(steps):
                if on_step is not None:
                    on_step("graph" if step is None else step.name, done, total)
                if step is None:
                    graph_iterations = self._graph_step(engine, params)
                    created.append(GRAPH_IMPACT)
                    continue
                engine.materialize(step.name, step.sql, values)
                created.append(step.name)
            if on_step is not None:
                on_step("done", total, total)
            summary = engine.fetch(SUMMARY_STEP.name).to_pylist()[0]
            # Accounts in node order, which is (network, account) order and cheap to sort
            # by; the other tables in whatever order the engine gives (sort them to compare).
            self.accounts_ = engine.fetch("account_scores").sort_by("node")
            self.account_people_ = engine.fetch("account_people")
            self.person_networks_ = engine.fetch("person_network_scores")
            self.people_ = engine.fetch("person_results")
            self.top_reactors_ = engine.fetch("top_reactors")
            self.top_posts_ = engine.fetch("top_posts")
        finally:
            for name in reversed(created):
                engine.drop(name)
        self.params_ = params
        self.integrity_ = report
        self.plan_ = plan
        self.curve_ = curve
        self.summary_ = {
            **{
                k: (0 if v is None and k not in ("first_ts", "last_ts") else v)
                for k, v in summary.items()
            },
            "accounts": self.accounts_.num_rows,
            "people": self.people_.num_rows,
            "graph_iterations": graph_iterations,
        }
        if report is not None:
            self.summary_["integrity"] = integrity_summary(self.accounts_, report)
        return self

    @staticmethod
    def _sql_params(params: ScoreParams, plan: RunPlan, curve: ReferenceCurve) -> dict[str, Any]:
        values: dict[str, Any] = {
            name: float(value) for name, value in params.as_dict().items() if name != "top_n"
        }
        values.update(
            as_of=plan.as_of,
            as_of_us=_epoch_us(plan.as_of),
            start=plan.start,
            top_n=int(params.top_n),
            curve_scale=float(curve.scale),
            curve_shape=float(curve.shape),
        )
        return values

    @staticmethod
    def _integrity(
        engine: Engine,
        params: ScoreParams,
        plan: RunPlan,
        accounts: pa.Table | None,
        curve: ReferenceCurve,
    ) -> IntegrityReport | None:
        """Credibility, collusion and bursts of the window (:mod:`sway.integrity`), with each
        account's first interaction over all the data before ``as_of`` (newcomers ramp in)."""
        if not params.integrity:
            return None
        events = engine.query(
            "SELECT * FROM input_events WHERE ts >= $start AND ts < $as_of",
            {"start": plan.start, "as_of": plan.as_of},
        )
        history = engine.query(_FIRST_INTERACTIONS, {"start": plan.start, "as_of": plan.as_of})
        first = engine.query(
            "SELECT min(ts) AS first_ts FROM input_events WHERE ts < $as_of",
            {"as_of": plan.as_of},
        )["first_ts"][0].as_py()
        integrity = IntegrityParams()
        return compute_integrity(
            events,
            as_of=plan.as_of,
            window_days=params.window_days,
            accounts=accounts,
            history=history,
            data_start=first,
            fresh_raw_cap=curve.raw_for(integrity.fresh_max_score),
            params=integrity,
        )

    @staticmethod
    def _graph_step(engine: Engine, params: ScoreParams) -> int:
        """Standing of every account on the reaction graph; registers ``graph_impact``."""
        engine.materialize(GRAPH_EDGES.name, GRAPH_EDGES.sql, {})
        run_on_engine = getattr(engine, "graph_step", None)
        if run_on_engine is not None:
            # An engine whose data does not fit on one machine iterates where the data is
            # (see GraphStepEngine); the result is the same to well within the tolerance.
            try:
                return int(
                    run_on_engine(
                        GRAPH_EDGES.name,
                        "account_activity",
                        result=GRAPH_IMPACT,
                        alpha=params.damping,
                        full_endorsement=params.full_endorsement,
                        tol=params.tolerance,
                        max_iter=int(params.max_iter),
                    )
                )
            finally:
                engine.drop(GRAPH_EDGES.name)
        try:
            edges = engine.fetch(GRAPH_EDGES.name)
        finally:
            engine.drop(GRAPH_EDGES.name)
        n = int(engine.query("SELECT count(*) AS n FROM account_activity", {})["n"][0].as_py())
        src = edges["src"].to_numpy().astype(np.int64)
        dst = edges["dst"].to_numpy().astype(np.int64)
        # A.T in canonical CSR form (rows: targets): its fixed order fixes every floating-point
        # sum below, whatever order the engine returned the edges in, so that the run is
        # reproducible bit for bit.
        share = adjacency(dst, src, edges["strength"].to_numpy().astype(np.float64), n)
        reactor = share.indices
        # A reactor splits its endorsement over its targets by strength and passes on the
        # selectivity x credibility share of its standing; all of it only once its total
        # strength reaches that of a full endorsement, so old or slight reactions pass little.
        out = np.maximum(
            np.bincount(reactor, weights=share.data, minlength=n),
            math.log1p(params.full_endorsement),
        )
        # What passes is a property of each edge (the integrity layer discounts a reactor's
        # reactions to some targets only), so it is aligned with the matrix's canonical order:
        # one edge per (target, reactor), sorted by target then reactor.
        if share.nnz != len(src):
            raise ScoringError("graph edges must be unique per reactor and target")
        passes = edges["passes"].to_numpy().astype(np.float64)[np.lexsort((src, dst))]
        share.data = passes * share.data / out[reactor]
        result = standing(
            share,
            alpha=params.damping,
            tol=params.tolerance,
            max_iter=int(params.max_iter),
            transposed=True,
        )
        impact = pa.table(
            {
                "node": pa.array(np.arange(n, dtype=np.int64)),
                "network_impact": pa.array(result.values - 1.0),
            }
        )
        engine.register(GRAPH_IMPACT, impact)
        return result.iterations


#: First named interaction (reaction given or received, not to oneself) before ``as_of`` of
#: every account active in the window: how long it has been part of the network.
_FIRST_INTERACTIONS = """
SELECT network, account_id, min(ts_us) AS first_us
FROM (
    SELECT network, actor AS account_id, ts_us, ts FROM input_events
    WHERE action <> 'post' AND nullif(target, '') IS NOT NULL AND actor <> target
    UNION ALL
    SELECT network, target, ts_us, ts FROM input_events
    WHERE action <> 'post' AND nullif(actor, '') IS NOT NULL AND actor <> target
) AS e
WHERE ts < $as_of
  AND (network, account_id) IN (
    SELECT network, actor FROM input_events WHERE ts >= $start AND ts < $as_of
  )
GROUP BY network, account_id
"""


def integrity_summary(accounts: pa.Table, report: IntegrityReport) -> dict[str, Any]:
    """What a run records of the integrity layer, for explanations: the collusion groups and,
    for every account whose reach it lowered or that it discredited as an endorser, the lines
    that say how and why (``network:account`` -> lines)."""
    notes: dict[str, list[str]] = {}
    columns = ["network", "account_id", "integrity_discount", "discredited_reactors", "reach"]
    for row in accounts.select(columns).to_pylist():
        label = f"{row['network']}:{row['account_id']}"
        lost = float(row["integrity_discount"])
        lines = list(report.notes.get(label, ()))
        if lost > 1e-9:
            lines.insert(
                0,
                f"reach lost to the integrity layer: {lost:.3g} of {lost + row['reach']:.3g} "
                f"({row['discredited_reactors']:,} reactors counted at less than half for "
                "credibility, collusion or bursts)",
            )
        elif not any(line.startswith("as an endorser") for line in lines):
            continue
        notes[label] = lines
    return {"groups": report.groups, "notes": notes}


def _epoch_us(value: datetime) -> int:
    """Microseconds since the Unix epoch, exactly (no float rounding)."""
    return (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
