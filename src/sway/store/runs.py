"""Score runs in the store: publishing an immutable run, reading runs, scores and history.

A run is written once, in one transaction, by :func:`save_run`; nothing ever updates or deletes
its rows. Its id is a function of the algorithm version, parameters, window, ``as_of`` and a
digest of the data (see :func:`sway.scoring.scorer.make_run_id`), so scoring the same data again
finds the published run instead of writing a second copy.

A run found wrong is withdrawn (:func:`withdraw_run`): a row in ``run_withdrawals`` says who
withdrew it, when and why, and the run's own rows stay as they were. A withdrawn run is still
listed (:func:`list_runs`, marked) and can still be read by its id, but it is never the latest
run (:func:`get_run` without an id) and it is left out of score histories, so that no
day/week/month change is measured against it (:data:`NOT_WITHDRAWN`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import pyarrow as pa

from sway.errors import ConfigError, ScoringError, StoreError
from sway.scoring.calibration import ReferenceCurve
from sway.scoring.params import ALGORITHM_VERSION
from sway.store.db import Store

if TYPE_CHECKING:
    from sway.scoring.scorer import RunPlan

__all__ = [
    "CHANGE_PERIODS",
    "NOT_WITHDRAWN",
    "RunInfo",
    "Withdrawal",
    "account_history",
    "account_result",
    "changes",
    "get_run",
    "list_runs",
    "people_rows",
    "person_accounts_in_run",
    "person_history",
    "person_network_results",
    "person_result",
    "reference_curve_of",
    "run_exists",
    "save_run",
    "score_rows",
    "top_accounts",
    "top_people",
    "top_posts",
    "top_reactors",
    "withdraw_run",
    "withdrawn_runs",
]

#: The changes `sway show` reports: name -> how far back.
CHANGE_PERIODS: dict[str, timedelta] = {
    "day": timedelta(days=1),
    "week": timedelta(days=7),
    "month": timedelta(days=30),
}


#: SQL: the run aliased ``r`` is not withdrawn (histories and changes leave withdrawn runs out).
NOT_WITHDRAWN = "NOT EXISTS (SELECT 1 FROM run_withdrawals w WHERE w.run_id = r.run_id)"


@dataclass(frozen=True)
class Withdrawal:
    """Who withdrew a run, when, and why."""

    withdrawn_at: datetime
    withdrawn_by: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "withdrawn_at": self.withdrawn_at.isoformat(),
            "withdrawn_by": self.withdrawn_by,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RunInfo:
    """One published run; ``withdrawal`` is set when it was withdrawn."""

    run_id: str
    algorithm_version: str
    series: str
    params: dict[str, Any]
    window_days: float
    window_start: datetime | None
    as_of: datetime
    watermark: datetime | None
    max_ingest_id: int | None
    data_digest: str | None
    events_used: int
    engine: str
    created_at: datetime
    summary: dict[str, Any]
    withdrawal: Withdrawal | None = None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawal is not None

    def as_dict(self) -> dict[str, Any]:
        out = {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in vars(self).items()
            if k != "withdrawal"
        }
        out["withdrawn"] = self.withdrawal.as_dict() if self.withdrawal else None
        return out


class FittedRun(Protocol):
    """What publishing reads: a fitted :class:`~sway.scoring.scorer.InfluenceScorer`, or a run
    read back from files (:class:`sway.store.run_files.ScoredRun`)."""

    @property
    def plan_(self) -> RunPlan: ...
    @property
    def curve_(self) -> ReferenceCurve: ...
    @property
    def summary_(self) -> dict[str, Any]: ...
    @property
    def accounts_(self) -> pa.Table: ...
    @property
    def people_(self) -> pa.Table: ...
    @property
    def person_networks_(self) -> pa.Table: ...
    @property
    def account_people_(self) -> pa.Table: ...
    @property
    def top_reactors_(self) -> pa.Table: ...
    @property
    def top_posts_(self) -> pa.Table: ...


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# -- writing ------------------------------------------------------------------------------


def run_exists(store: Store, run_id: str) -> bool:
    """Whether a run with this id is published."""
    return bool(store.scalar("SELECT count(*) FROM score_runs WHERE run_id = ?", [run_id]))


def save_run(store: Store, scorer: FittedRun, *, engine: str) -> bool:
    """Publish a fitted scorer's run in one transaction.

    Returns ``False`` (and writes nothing) when a run with the same id is already published:
    published runs are never rewritten.
    """
    plan = scorer.plan_
    con = store.con
    tables = {
        "_run_accounts": scorer.accounts_,
        "_run_people": scorer.people_,
        "_run_person_networks": scorer.person_networks_,
        "_run_account_people": scorer.account_people_,
        "_run_top_reactors": scorer.top_reactors_,
        "_run_top_posts": scorer.top_posts_,
    }
    run_id = plan.run_id
    try:
        con.execute("BEGIN TRANSACTION")
        if run_exists(store, run_id):
            con.execute("ROLLBACK")
            return False
        _record_curve(store, scorer.curve_)
        for name, table in tables.items():
            con.register(name, table)
        con.execute(
            "INSERT INTO score_runs (run_id, algorithm_version, params, window_days, as_of, "
            "watermark, events_used, engine, created_at, series, window_start, data_digest, "
            "max_ingest_id, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?)",
            [
                run_id,
                plan.algorithm_version,
                json.dumps(plan.params, sort_keys=True),
                plan.window_days,
                plan.as_of,
                plan.fingerprint.last_ts,
                plan.fingerprint.events,
                engine,
                plan.series,
                plan.start,
                plan.fingerprint.digest,
                plan.fingerprint.max_ingest_id,
                json.dumps(scorer.summary_, default=_json_default, sort_keys=True),
            ],
        )
        con.execute(
            "INSERT INTO scores SELECT ?, network, account_id, score, reach, amplification, "
            "network_impact FROM _run_accounts",
            [run_id],
        )
        con.execute(
            "INSERT INTO score_details SELECT ?, network, account_id, raw, part_reach, "
            "part_amplification, part_network_impact, amplification_basis, posts, present_days, "
            "acted_days, reactions_given, selectivity, credibility, reactors, reactions, "
            "repeat_reactions, unselective_reactors, selectivity_discount, anonymous_reactions, "
            "reach_anonymous, self_reactions, negative_reactions FROM _run_accounts",
            [run_id],
        )
        # Only linked people are stored: an unlinked account is its own person, and its row
        # in `scores` already says everything (see _PEOPLE).
        linked = "person_id IN (SELECT person_id FROM _run_account_people WHERE linked)"
        con.execute(
            "INSERT INTO person_scores (run_id, person_id, score, reach, amplification, "
            "network_impact, raw, accounts, networks) SELECT ?, person_id, score, reach, "
            f"amplification, network_impact, raw, accounts, networks FROM _run_people WHERE {linked}",
            [run_id],
        )
        con.execute(
            "INSERT INTO person_network_scores SELECT ?, person_id, network, score, raw, reach, "
            f"amplification, network_impact, accounts FROM _run_person_networks WHERE {linked}",
            [run_id],
        )
        con.execute(
            "INSERT INTO run_person_accounts SELECT ?, person_id, network, account_id "
            "FROM _run_account_people WHERE linked",
            [run_id],
        )
        con.execute(
            "INSERT INTO score_top_reactors SELECT ?, network, account_id, top_rank, reactor, "
            "reactions, engagement, selectivity, contribution FROM _run_top_reactors",
            [run_id],
        )
        con.execute(
            "INSERT INTO score_top_posts SELECT ?, network, account_id, top_rank, post_id, "
            "reactions, reactors, contribution FROM _run_top_posts",
            [run_id],
        )
        con.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise StoreError(f"could not publish run {run_id}: {exc}") from None
        raise
    finally:
        for name in tables:
            with contextlib.suppress(duckdb.Error):
                con.unregister(name)
    return True


def _record_curve(store: Store, curve: ReferenceCurve) -> None:
    stored = store.scalar(
        "SELECT curve FROM reference_curves WHERE algorithm_version = ?", [curve.version]
    )
    if stored is None:
        store.con.execute(
            "INSERT INTO reference_curves VALUES (?, ?, now())",
            [curve.version, json.dumps(curve.as_dict(), sort_keys=True)],
        )
    elif json.loads(stored) != curve.as_dict():
        raise StoreError(
            f"the reference curve of algorithm version {curve.version} differs from the one this "
            "store recorded; a changed curve needs a new algorithm version"
        )


# -- runs ---------------------------------------------------------------------------------

_RUN_COLUMNS = (
    "r.run_id, r.algorithm_version, r.series, r.params, r.window_days, r.window_start, r.as_of, "
    "r.watermark, r.max_ingest_id, r.data_digest, r.events_used, r.engine, r.created_at, "
    "r.summary, w.withdrawn_at, w.withdrawn_by, w.reason"
)
_RUNS = "score_runs r LEFT JOIN run_withdrawals w ON w.run_id = r.run_id"


def _run(row: dict[str, Any]) -> RunInfo:
    withdrawal = (
        None
        if row["withdrawn_at"] is None
        else Withdrawal(row["withdrawn_at"], row["withdrawn_by"], row["reason"])
    )
    return RunInfo(
        run_id=row["run_id"],
        algorithm_version=row["algorithm_version"],
        series=row["series"] or row["algorithm_version"],
        params=json.loads(row["params"]),
        window_days=float(row["window_days"]),
        window_start=row["window_start"],
        as_of=row["as_of"],
        watermark=row["watermark"],
        max_ingest_id=row["max_ingest_id"],
        data_digest=row["data_digest"],
        events_used=int(row["events_used"]),
        engine=row["engine"],
        created_at=row["created_at"],
        summary=json.loads(row["summary"]) if row["summary"] else {},
        withdrawal=withdrawal,
    )


def list_runs(store: Store, *, limit: int = 50, offset: int = 0) -> list[RunInfo]:
    """Published runs, withdrawn ones included (marked), newest ``as_of`` first."""
    return [
        _run(r)
        for r in store.dicts(
            f"SELECT {_RUN_COLUMNS} FROM {_RUNS} "
            "ORDER BY r.as_of DESC, r.created_at DESC, r.run_id LIMIT ? OFFSET ?",
            [limit, offset],
        )
    ]


def withdrawn_runs(store: Store, *, newer_than: datetime | None = None) -> list[RunInfo]:
    """Withdrawn runs, newest ``as_of`` first; with ``newer_than``, only those whose ``as_of``
    is later (the runs that would be served had they not been withdrawn)."""
    return [
        _run(r)
        for r in store.dicts(
            f"SELECT {_RUN_COLUMNS} FROM {_RUNS} WHERE w.withdrawn_at IS NOT NULL "
            "AND (?::TIMESTAMPTZ IS NULL OR r.as_of > ?::TIMESTAMPTZ) "
            "ORDER BY r.as_of DESC, r.created_at DESC, r.run_id",
            [newer_than, newer_than],
        )
    ]


def get_run(store: Store, run_id: str | None = None) -> RunInfo:
    """A run by id (a unique prefix is enough; a withdrawn run too, marked), or the latest: the
    newest ``as_of`` of the current algorithm version (of any version if it has none) among
    the runs that are not withdrawn."""
    if run_id is None:
        rows = store.dicts(
            f"SELECT {_RUN_COLUMNS} FROM {_RUNS} WHERE w.withdrawn_at IS NULL "
            "ORDER BY r.algorithm_version = ? DESC, r.as_of DESC, r.created_at DESC LIMIT 1",
            [ALGORITHM_VERSION],
        )
        if not rows:
            if store.scalar("SELECT count(*) FROM score_runs"):
                raise ScoringError(
                    "every published run is withdrawn (see `sway runs`); run `sway score` on "
                    "corrected data or parameters"
                )
            raise ScoringError("no scores yet; run `sway score` first")
        return _run(rows[0])
    rows = store.dicts(
        f"SELECT {_RUN_COLUMNS} FROM {_RUNS} WHERE starts_with(r.run_id, ?) ORDER BY r.run_id",
        [run_id],
    )
    exact = [r for r in rows if r["run_id"] == run_id]
    if exact:
        return _run(exact[0])
    if not rows:
        raise ScoringError(f"no run {run_id!r}; see `sway runs`")
    if len(rows) > 1:
        raise ScoringError(f"run id {run_id!r} is ambiguous ({len(rows)} runs start with it)")
    return _run(rows[0])


def withdraw_run(
    store: Store,
    run_id: str,
    *,
    reason: str,
    by: str,
    audit: Callable[[RunInfo], None] | None = None,
) -> RunInfo:
    """Withdraw a published run (an id or a unique prefix): it stays in the store, unchanged,
    but is no longer served or compared against. Returns the run, withdrawn.

    ``audit`` is called with the withdrawn run inside the transaction that records the
    withdrawal (to write the audit entry), so that both are stored or neither.

    Raises
    ------
    ConfigError
        When ``reason`` or ``by`` is empty.
    ScoringError
        When there is no such run, or it is already withdrawn (a withdrawal is not redone:
        the first one's who, when and why stand).
    """
    reason, by = reason.strip(), by.strip()
    if not reason:
        raise ConfigError("say why the run is withdrawn (--reason TEXT)")
    if not by:
        raise ConfigError("say who withdraws the run")
    run = get_run(store, run_id)
    if run.withdrawal is not None:
        w = run.withdrawal
        raise ScoringError(
            f"run {run.run_id} was already withdrawn on {w.withdrawn_at.isoformat()} by "
            f"{w.withdrawn_by}: {w.reason}"
        )
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("INSERT INTO run_withdrawals VALUES (?, now(), ?, ?)", [run.run_id, by, reason])
        withdrawn = get_run(store, run.run_id)
        if audit is not None:
            audit(withdrawn)
        con.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        if isinstance(exc, duckdb.ConstraintException):
            raise ScoringError(f"run {run.run_id} was withdrawn meanwhile") from None
        raise
    return withdrawn


def reference_curve_of(store: Store, run: RunInfo) -> ReferenceCurve:
    """The reference curve a run was scored with (as recorded in the store)."""
    stored = store.scalar(
        "SELECT curve FROM reference_curves WHERE algorithm_version = ?", [run.algorithm_version]
    )
    if stored is None:
        raise StoreError(f"no reference curve recorded for version {run.algorithm_version}")
    return ReferenceCurve(**json.loads(stored))


# -- accounts -----------------------------------------------------------------------------

_ACCOUNT_SELECT = """
SELECT s.network, s.account_id, a.handle, a.display_name, s.score, s.reach, s.amplification,
       s.network_impact, d.* EXCLUDE (run_id, network, account_id)
FROM scores s
JOIN score_details d USING (run_id, network, account_id)
LEFT JOIN accounts a ON a.network = s.network AND a.account_id = s.account_id
"""


def account_result(
    store: Store, run_id: str, network: str, account_id: str
) -> dict[str, Any] | None:
    """Score, sub-scores and details of one account in one run, or ``None`` if not scored."""
    rows = store.dicts(
        _ACCOUNT_SELECT + " WHERE s.run_id = ? AND s.network = ? AND s.account_id = ?",
        [run_id, network, account_id],
    )
    return rows[0] if rows else None


def account_history(
    store: Store, network: str, account_id: str, *, series: str
) -> list[dict[str, Any]]:
    """The account's scores in every run of a series that is not withdrawn, oldest first."""
    return store.dicts(
        f"""
        SELECT r.run_id, r.as_of, s.score, s.reach, s.amplification, s.network_impact
        FROM scores s JOIN score_runs r USING (run_id)
        WHERE r.series = ? AND s.network = ? AND s.account_id = ? AND {NOT_WITHDRAWN}
        ORDER BY r.as_of, r.created_at
        """,
        [series, network, account_id],
    )


def top_reactors(store: Store, run_id: str, network: str, account_id: str) -> list[dict[str, Any]]:
    return store.dicts(
        "SELECT * EXCLUDE (run_id, network, account_id) FROM score_top_reactors "
        "WHERE run_id = ? AND network = ? AND account_id = ? ORDER BY top_rank",
        [run_id, network, account_id],
    )


def top_posts(store: Store, run_id: str, network: str, account_id: str) -> list[dict[str, Any]]:
    return store.dicts(
        "SELECT * EXCLUDE (run_id, network, account_id) FROM score_top_posts "
        "WHERE run_id = ? AND network = ? AND account_id = ? ORDER BY top_rank",
        [run_id, network, account_id],
    )


def top_accounts(
    store: Store, run_id: str, *, network: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The highest-scored accounts of a run."""
    return store.dicts(
        _ACCOUNT_SELECT + " WHERE s.run_id = ? AND (? IS NULL OR s.network = ?)"
        " ORDER BY s.score DESC, s.network, s.account_id LIMIT ?",
        [run_id, network, network, limit],
    )


# -- people -------------------------------------------------------------------------------

#: Every person of a run: the linked people stored in `person_scores`, and each account not
#: linked to anyone as its own person ``network:account`` (not stored twice).
_PEOPLE = """
SELECT run_id, person_id, score, reach, amplification, network_impact, raw, accounts, networks
FROM person_scores
WHERE run_id = $run_id
UNION ALL
SELECT s.run_id, s.network || ':' || s.account_id, s.score, s.reach, s.amplification,
       s.network_impact, d.raw, 1, 1
FROM scores s
JOIN score_details d USING (run_id, network, account_id)
WHERE s.run_id = $run_id AND NOT EXISTS (
    SELECT 1 FROM run_person_accounts l
    WHERE l.run_id = s.run_id AND l.network = s.network AND l.account_id = s.account_id
)
"""


def _implicit(store: Store, run_id: str, person_id: str) -> tuple[str, str] | None:
    """``(network, account)`` when ``person_id`` is an unlinked account of the run."""
    network, sep, account = person_id.partition(":")
    if not sep or account_result(store, run_id, network, account) is None:
        return None
    linked = store.scalar(
        "SELECT count(*) FROM run_person_accounts WHERE run_id = ? AND network = ? "
        "AND account_id = ?",
        [run_id, network, account],
    )
    return None if linked else (network, account)


def person_accounts_in_run(store: Store, run_id: str, person_id: str) -> list[tuple[str, str]]:
    """``(network, account_id)`` of a person's scored accounts in a run."""
    linked = store.rows(
        "SELECT network, account_id FROM run_person_accounts WHERE run_id = ? AND person_id = ? "
        "ORDER BY network, account_id",
        [run_id, person_id],
    )
    if linked:
        return [(str(n), str(a)) for n, a in linked]
    implicit = _implicit(store, run_id, person_id)
    return [implicit] if implicit else []


def person_result(store: Store, run_id: str, person_id: str) -> dict[str, Any] | None:
    """Score and sub-scores of a person in a run (an unlinked account is its own person)."""
    rows = store.con.sql(
        f"SELECT * EXCLUDE (run_id) FROM ({_PEOPLE}) WHERE person_id = $person_id",
        params={"run_id": run_id, "person_id": person_id},
    ).fetchall()
    if not rows:
        return None
    names = ["person_id", "score", "reach", "amplification", "network_impact", "raw"]
    names += ["accounts", "networks"]
    return dict(zip(names, rows[0], strict=True))


def person_network_results(store: Store, run_id: str, person_id: str) -> list[dict[str, Any]]:
    """A person's score on each of their networks, best first."""
    implicit = _implicit(store, run_id, person_id)
    if implicit is not None:
        row = account_result(store, run_id, *implicit)
        assert row is not None
        keys = ("network", "score", "raw", "reach", "amplification", "network_impact")
        return [{**{k: row[k] for k in keys}, "accounts": 1}]
    return store.dicts(
        "SELECT * EXCLUDE (run_id, person_id) FROM person_network_scores "
        "WHERE run_id = ? AND person_id = ? ORDER BY score DESC, network",
        [run_id, person_id],
    )


def person_history(store: Store, person_id: str, *, series: str) -> list[dict[str, Any]]:
    """The person's scores in every run of a series that is not withdrawn, oldest first (for
    an account that was not linked to anyone in a run, its own score there)."""
    network, _, account = person_id.partition(":")
    return store.dicts(
        f"""
        SELECT run_id, as_of, score, reach, amplification, network_impact FROM (
            SELECT r.run_id, r.as_of, r.created_at, p.score, p.reach, p.amplification,
                   p.network_impact
            FROM person_scores p JOIN score_runs r USING (run_id)
            WHERE r.series = ? AND p.person_id = ? AND {NOT_WITHDRAWN}
            UNION ALL
            SELECT r.run_id, r.as_of, r.created_at, s.score, s.reach, s.amplification,
                   s.network_impact
            FROM scores s JOIN score_runs r USING (run_id)
            WHERE r.series = ? AND s.network = ? AND s.account_id = ? AND {NOT_WITHDRAWN}
              AND NOT EXISTS (
                SELECT 1 FROM run_person_accounts l
                WHERE l.run_id = s.run_id AND l.network = s.network
                  AND l.account_id = s.account_id
            )
        )
        ORDER BY as_of, created_at
        """,
        [series, person_id, series, network, account],
    )


def top_people(store: Store, run_id: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The highest-scored people of a run."""
    rows = store.con.sql(
        f"SELECT * EXCLUDE (run_id) FROM ({_PEOPLE}) ORDER BY score DESC, person_id LIMIT $limit",
        params={"run_id": run_id, "limit": limit},
    )
    names = [d[0] for d in rows.description]
    return [dict(zip(names, r, strict=True)) for r in rows.fetchall()]


# -- history ------------------------------------------------------------------------------


def changes(history: list[dict[str, Any]], as_of: datetime) -> dict[str, float | None]:
    """Score change over each of :data:`CHANGE_PERIODS`: against the latest run of the series at
    least that long before ``as_of`` (``None`` when there is none)."""
    current = next((h for h in reversed(history) if h["as_of"] == as_of), None)
    result: dict[str, float | None] = {}
    for name, period in CHANGE_PERIODS.items():
        before = [h for h in history if h["as_of"] <= as_of - period]
        result[name] = (
            None if current is None or not before else current["score"] - before[-1]["score"]
        )
    return result


# -- exports ------------------------------------------------------------------------------


def score_rows(store: Store, run_id: str) -> Iterator[pa.RecordBatch]:
    """One row per account of a run, in the documented export columns, streamed."""
    reader = store.con.sql(
        """
        SELECT s.network, s.account_id AS account,
               coalesce(l.persons, s.network || ':' || s.account_id) AS person,
               s.score, s.reach, s.amplification, s.network_impact,
               s.run_id, r.as_of, d.raw, d.amplification_basis, a.handle
        FROM scores s
        JOIN score_runs r USING (run_id)
        JOIN score_details d USING (run_id, network, account_id)
        LEFT JOIN (
            SELECT network, account_id, string_agg(person_id, '|' ORDER BY person_id) AS persons
            FROM run_person_accounts WHERE run_id = $run_id GROUP BY network, account_id
        ) l ON l.network = s.network AND l.account_id = s.account_id
        LEFT JOIN accounts a ON a.network = s.network AND a.account_id = s.account_id
        WHERE s.run_id = $run_id
        ORDER BY s.network, s.account_id
        """,
        params={"run_id": run_id},
    ).to_arrow_reader(65536)
    yield from reader


def people_rows(store: Store, run_id: str) -> Iterator[pa.RecordBatch]:
    """One row per person of a run, streamed."""
    reader = store.con.sql(
        f"""
        SELECT p.person_id AS person, p.score, p.reach, p.amplification, p.network_impact,
               p.accounts, p.networks, p.run_id, r.as_of, p.raw
        FROM ({_PEOPLE}) p JOIN score_runs r USING (run_id)
        ORDER BY p.person_id
        """,
        params={"run_id": run_id},
    ).to_arrow_reader(65536)
    yield from reader
