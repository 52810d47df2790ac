"""A scored run as files: written where the store is not (a Spark cluster), published later.

``sway score --engine spark --output URI`` writes one folder per run::

    URI/run.json                what identifies the run: plan, summary, engine, format version
    URI/accounts.parquet        one row per account (scores, sub-scores, parts, discounts)
    URI/people.parquet          one row per person
    URI/person_networks.parquet one row per person and network
    URI/account_people.parquet  each account with its person
    URI/top_reactors.parquet    the reactors adding most to each account
    URI/top_posts.parquet       the posts adding most to each account

``sway ingest-scores URI`` reads it back and publishes it through
:func:`sway.store.runs.save_run`, exactly as a run scored in the store is published (one
transaction; a run already published is left as it is). ``URI`` is a local folder or any
file system PyArrow reaches (``s3://``, ``hdfs://``, ``gs://``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from sway.engines.base import DataFingerprint
from sway.errors import ConfigError, ScoringError, StoreError
from sway.scoring.calibration import ReferenceCurve, reference_curve
from sway.scoring.scorer import RunPlan

if TYPE_CHECKING:
    from sway.scoring.scorer import InfluenceScorer

__all__ = ["FORMAT", "ScoredRun", "read_run", "write_run"]

#: Written into ``run.json``; a reader refuses a format it does not know.
FORMAT = "sway-run/1"

#: File name -> (attribute of a fitted scorer, the columns publishing reads).
_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "accounts.parquet": (
        "accounts_",
        (
            "network", "account_id", "score", "reach", "amplification", "network_impact", "raw",
            "part_reach", "part_amplification", "part_network_impact", "amplification_basis",
            "posts", "present_days", "acted_days", "reactions_given", "selectivity",
            "credibility", "reactors", "reactions", "repeat_reactions", "unselective_reactors",
            "selectivity_discount", "anonymous_reactions", "reach_anonymous", "self_reactions",
            "negative_reactions",
        ),
    ),
    "people.parquet": (
        "people_",
        ("person_id", "score", "reach", "amplification", "network_impact", "raw", "accounts",
         "networks"),
    ),
    "person_networks.parquet": (
        "person_networks_",
        ("person_id", "network", "score", "raw", "reach", "amplification", "network_impact",
         "accounts"),
    ),
    "account_people.parquet": (
        "account_people_",
        ("person_id", "linked", "network", "account_id"),
    ),
    "top_reactors.parquet": (
        "top_reactors_",
        ("network", "account_id", "top_rank", "reactor", "reactions", "engagement",
         "selectivity", "contribution"),
    ),
    "top_posts.parquet": (
        "top_posts_",
        ("network", "account_id", "top_rank", "post_id", "reactions", "reactors",
         "contribution"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class ScoredRun:
    """A run read back from files: what :func:`sway.store.runs.save_run` publishes."""

    plan_: RunPlan
    curve_: ReferenceCurve
    summary_: dict[str, Any]
    engine: str
    accounts_: pa.Table
    people_: pa.Table
    person_networks_: pa.Table
    account_people_: pa.Table
    top_reactors_: pa.Table
    top_posts_: pa.Table


def _filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    fs: pafs.FileSystem
    if "://" not in uri:
        # A plain path, relative or not (from_uri wants an absolute one).
        return pafs.LocalFileSystem(), str(Path(uri).resolve())
    try:
        fs, path = pafs.FileSystem.from_uri(uri)
    except (pa.ArrowInvalid, ValueError, OSError) as exc:
        raise ConfigError(f"{uri}: not a folder or URI PyArrow can open ({exc})") from None
    return fs, str(path)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: Any, where: str) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise StoreError(f"{where}: expected an ISO 8601 time, found {value!r}") from None


def write_run(scorer: InfluenceScorer, uri: str, *, engine: str) -> None:
    """Write a fitted scorer's run into the folder ``uri`` (created; files replaced)."""
    fs, root = _filesystem(uri)
    plan = scorer.plan_
    try:
        fs.create_dir(root, recursive=True)
        for file, (attribute, _) in _TABLES.items():
            pq.write_table(getattr(scorer, attribute), f"{root}/{file}", filesystem=fs)
        meta = {
            "format": FORMAT,
            "engine": engine,
            "run_id": plan.run_id,
            "series": plan.series,
            "algorithm_version": plan.algorithm_version,
            "params": plan.params,
            "as_of": _iso(plan.as_of),
            "start": _iso(plan.start),
            "window_days": plan.window_days,
            "fingerprint": {
                "events": plan.fingerprint.events,
                "digest": plan.fingerprint.digest,
                "last_ts": _iso(plan.fingerprint.last_ts),
                "max_ingest_id": plan.fingerprint.max_ingest_id,
            },
            "summary": scorer.summary_,
        }
        # run.json last: a folder without it is an unfinished write, and reading refuses it.
        with fs.open_output_stream(f"{root}/run.json") as out:
            out.write(json.dumps(meta, sort_keys=True, indent=2, default=_iso).encode())
    except OSError as exc:
        raise StoreError(f"{uri}: could not write the run ({exc})") from None


def read_run(uri: str) -> ScoredRun:
    """Read a run written by :func:`write_run`, checking every file and column it needs.

    Raises
    ------
    StoreError
        Naming the file and what is missing or malformed.
    """
    fs, root = _filesystem(uri)
    where = f"{uri.rstrip('/')}/run.json"
    try:
        with fs.open_input_stream(f"{root}/run.json") as stream:
            meta = json.loads(stream.read())
    except FileNotFoundError:
        raise StoreError(f"{where}: not found (is {uri} a folder written by `sway score "
                         "--output`, and did the write finish?)") from None  # fmt: skip
    except (OSError, ValueError) as exc:
        raise StoreError(f"{where}: cannot read it as JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else meta
        raise StoreError(f"{where}: format: expected {FORMAT!r}, found {found!r}")
    try:
        fp = meta["fingerprint"]
        plan = RunPlan(
            run_id=str(meta["run_id"]),
            series=str(meta["series"]),
            algorithm_version=str(meta["algorithm_version"]),
            params=dict(meta["params"]),
            as_of=_time(meta["as_of"], f"{where}: as_of"),
            start=_time(meta["start"], f"{where}: start"),
            window_days=float(meta["window_days"]),
            fingerprint=DataFingerprint(
                events=int(fp["events"]),
                digest=str(fp["digest"]),
                last_ts=None if fp["last_ts"] is None else _time(fp["last_ts"], where),
                max_ingest_id=None if fp["max_ingest_id"] is None else int(fp["max_ingest_id"]),
            ),
        )
        summary = dict(meta["summary"])
        engine = str(meta["engine"])
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(f"{where}: missing or malformed field {exc}") from None
    try:
        curve = reference_curve(plan.algorithm_version)
    except ScoringError as exc:
        raise StoreError(f"{where}: algorithm_version: {exc}") from None
    tables: dict[str, pa.Table] = {}
    for file, (attribute, columns) in _TABLES.items():
        path = f"{uri.rstrip('/')}/{file}"
        try:
            table = pq.read_table(f"{root}/{file}", filesystem=fs)
        except (OSError, pa.ArrowInvalid) as exc:
            raise StoreError(f"{path}: cannot read it as Parquet ({exc})") from None
        missing = [c for c in columns if c not in table.column_names]
        if missing:
            raise StoreError(f"{path}: missing column(s) {', '.join(missing)}")
        tables[attribute] = table
    return ScoredRun(plan_=plan, curve_=curve, summary_=summary, engine=engine, **tables)
