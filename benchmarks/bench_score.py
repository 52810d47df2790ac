"""Benchmarks of `sway score` (run on demand, not in the tests).

    python benchmarks/bench_score.py synthetic --events 10000000   # full score vs the floor
    python benchmarks/bench_score.py graph --events 10000000       # graph step vs networkx
    python benchmarks/bench_score.py twitter15-16 [--data DIR]     # real cascades, ~1M edges
    python benchmarks/bench_score.py calibrate [--data DIR]        # refit the reference curve

Synthetic events have a heavy-tailed degree distribution (Zipf in- and out-degrees) and are
generated with DuckDB into a store (loaded with SQL: ingest speed is `bench_ingest.py`'s job).
Each scoring run is timed in a fresh process, reporting wall time and peak RSS (psutil), next to
the floor: one DuckDB ``GROUP BY target`` aggregate scan over the same events.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"


def machine() -> str:
    return (
        f"{platform.machine()}, {psutil.cpu_count(logical=True)} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )


# -- synthetic data --------------------------------------------------------------------------

_SYNTH = """
CREATE OR REPLACE TABLE events AS
WITH r AS (
    SELECT
        i,
        random() AS u_action,
        -- Zipf-distributed popularity and activity (the account of rank r receives or gives
        -- about 1/r of the most active one's share), ranks scattered over the id space so that
        -- hot accounts are not simply the small ids. Both primes are coprime with any count of
        -- accounts made of 2s and 5s.
        (CAST(floor(pow($accounts, random())) AS BIGINT) * 2654435761) % $accounts AS tgt,
        (CAST(floor(pow($accounts, random())) AS BIGINT) * 1000003) % $accounts AS act,
        CAST(floor(pow(random(), 2) * 8) AS BIGINT) AS post_no,
        random() AS u_ts
    FROM range($events) t(i)
)
SELECT
    'synth' AS network,
    'e' || i AS event_id,
    TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(CAST(u_ts * 120 * 86400e6 AS BIGINT))
        AS ts,
    'u' || act AS actor,
    CASE WHEN u_action < 0.10 THEN 'post'
         WHEN u_action < 0.55 THEN 'like'
         WHEN u_action < 0.70 THEN 'repost'
         WHEN u_action < 0.85 THEN 'reply'
         WHEN u_action < 0.90 THEN 'quote'
         WHEN u_action < 0.95 THEN 'mention'
         ELSE 'follow' END AS action,
    CASE WHEN u_action < 0.10 THEN NULL ELSE 'u' || tgt END AS target,
    CASE WHEN u_action < 0.10 THEN 'u' || act || '/' || i
         WHEN u_action < 0.70 THEN 'u' || tgt || '/p' || post_no
         WHEN u_action < 0.90 THEN 'r' || i
         ELSE NULL END AS content_id,
    CASE WHEN u_action >= 0.70 AND u_action < 0.90 THEN 'u' || tgt || '/p' || post_no
         ELSE NULL END AS parent_id,
    CAST(NULL AS VARCHAR) AS text,
    CAST(NULL AS VARCHAR[]) AS tags,
    CAST(NULL AS VARCHAR) AS lang,
    CAST(NULL AS DOUBLE) AS value,
    CAST(1 AS BIGINT) AS ingest_id
FROM r
ORDER BY ts
"""


def make_synthetic_store(path: Path, events: int) -> None:
    """A store whose events table holds ``events`` synthetic events (seeded, reproducible)."""
    from sway.store import Store

    with Store.open(path) as store:
        store.con.execute("SELECT setseed(0.42)")
        store.con.execute("DROP TABLE events")
        store.con.execute(_SYNTH, {"events": events, "accounts": max(events // 10, 10)})
        store.con.execute("CHECKPOINT")


# -- timing in a fresh process ---------------------------------------------------------------


def _child(code: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it prints one JSON object. Adds peak RSS (MiB)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, ps.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.02)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{err}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mib"] = round(peak / 2**20)
    return result


_FLOOR = """
import json, time, duckdb
con = duckdb.connect({db!r}, read_only=True)
t = time.perf_counter()
n = len(con.sql("SELECT target, count(*) FROM events GROUP BY target").fetchall())
print(json.dumps({{"seconds": time.perf_counter() - t, "groups": n}}))
"""

_SCORE = """
import json, time
from sway.store import Store
from sway.engines.duckdb import DuckDBEngine
from sway.scoring.scorer import InfluenceScorer
from sway.store.runs import save_run
steps = {{}}
last = [time.perf_counter(), None]
def on_step(name, done, total):
    now = time.perf_counter()
    if last[1] is not None:
        steps[last[1]] = round(now - last[0], 3)
    last[:] = [now, name]
t = time.perf_counter()
with Store.open({db!r}) as store:
    engine = DuckDBEngine.for_store(store)
    scorer = InfluenceScorer(window_days={window}).fit(engine, on_step=on_step)
    engine.close()
    fitted = time.perf_counter() - t
    save_run(store, scorer, engine="duckdb")
total = time.perf_counter() - t
print(json.dumps({{"seconds": total, "fit_seconds": fitted, "steps": steps,
                  "summary": {{k: v for k, v in scorer.summary_.items() if isinstance(v, int)}}}}))
"""


def bench_store(db: Path, *, window: float, label: str) -> dict[str, Any]:
    floor = _child(_FLOOR.format(db=str(db)))
    score = _child(_SCORE.format(db=str(db), window=window))
    result = {
        "label": label,
        "machine": machine(),
        "floor_seconds": round(floor["seconds"], 3),
        "score_seconds": round(score["seconds"], 3),
        "fit_seconds": round(score["fit_seconds"], 3),
        "ratio_to_floor": round(score["seconds"] / floor["seconds"], 1),
        "peak_rss_mib": score["peak_rss_mib"],
        "steps": score["steps"],
        "summary": score["summary"],
    }
    print(json.dumps(result, indent=2))
    return result


def cmd_synthetic(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "synth.duckdb"
        t = time.perf_counter()
        make_synthetic_store(db, args.events)
        print(
            f"generated {args.events:,} events in {time.perf_counter() - t:.1f} s", file=sys.stderr
        )
        # The synthetic span is 120 days; a 120-day window scores all of it.
        bench_store(db, window=120.0, label=f"synthetic {args.events:,} events")


# -- the graph step alone vs networkx --------------------------------------------------------

_GRAPH = """
import json, time
import numpy as np
from sway.store import Store
from sway.engines.duckdb import DuckDBEngine
from sway.scoring.graph import adjacency, pagerank
with Store.open({db!r}) as store:
    con = store.con
    edges = con.sql('''
        WITH n AS (SELECT account, row_number() OVER (ORDER BY account) - 1 AS node
                   FROM (SELECT actor AS account FROM events WHERE actor IS NOT NULL
                         UNION SELECT target FROM events WHERE target IS NOT NULL))
        SELECT s.node AS src, t.node AS dst, count(*)::DOUBLE AS w
        FROM events e JOIN n s ON s.account = e.actor JOIN n t ON t.account = e.target
        WHERE e.action <> 'post' AND e.actor <> e.target GROUP BY ALL''').to_arrow_table()
    n = con.sql("SELECT count(*) FROM (SELECT actor FROM events WHERE actor IS NOT NULL "
                "UNION SELECT target FROM events WHERE target IS NOT NULL)").fetchall()[0][0]
src, dst, w = (edges[c].to_numpy() for c in ("src", "dst", "w"))
t = time.perf_counter()
m = adjacency(src, dst, w, n)
ours = pagerank(m, alpha=0.85, tol={tol}, max_iter=1000)
ours_s = time.perf_counter() - t
out = {{"nodes": int(n), "edges": int(len(src)), "sway_seconds": ours_s,
        "sway_iterations": ours.iterations}}
if {networkx}:
    import networkx as nx
    t = time.perf_counter()
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), w.tolist()))
    build = time.perf_counter() - t
    t = time.perf_counter()
    theirs = nx.pagerank(g, alpha=0.85, tol={tol}, max_iter=1000)
    out["networkx_seconds"] = time.perf_counter() - t
    out["networkx_build_seconds"] = build
    nx_vec = np.array([theirs[i] for i in range(n)])
    top_ours = np.argsort(-ours.values, kind="stable")[:100]
    top_nx = np.argsort(-nx_vec, kind="stable")[:100]
    out["top100_overlap"] = len(set(top_ours.tolist()) & set(top_nx.tolist()))
    out["top20_same_order"] = bool((top_ours[:20] == top_nx[:20]).all())
    out["max_abs_diff"] = float(np.abs(ours.values - nx_vec).max())
print(json.dumps(out))
"""


def cmd_graph(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "synth.duckdb"
        make_synthetic_store(db, args.events)
        result = _child(_GRAPH.format(db=str(db), tol=args.tol, networkx=not args.no_networkx))
        result["machine"] = machine()
        if "networkx_seconds" in result:
            result["speedup"] = round(result["networkx_seconds"] / result["sway_seconds"], 1)
        print(json.dumps(result, indent=2))


# -- real data: Twitter15/16 -----------------------------------------------------------------


def _ingest(db: Path, path: Path, *extra: str) -> float:
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sway.cli", "--db", str(db), "ingest", "-q", str(path), *extra],
        check=True,
    )
    return time.perf_counter() - t


def cmd_twitter(args: argparse.Namespace) -> None:
    data = Path(args.data) / "twitter15-16"
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "tw.duckdb"
        seconds = 0.0
        for name in ("twitter15_edges.tsv.gz", "twitter16_edges.tsv.gz"):
            seconds += _ingest(db, data / name, "--format", "snap")
        print(f"ingested Twitter15/16 edges in {seconds:.1f} s", file=sys.stderr)
        # The cascades span 2011-2016: score all of it (a window of 6 years).
        bench_store(db, window=6 * 365.0, label="twitter15-16 edges")


# -- calibration -----------------------------------------------------------------------------

#: The reference mix: (folder, ingest options). Each dataset weighs the same in the fit.
REFERENCE_MIX: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("stackexchange-french-meta", ()),
    ("stackexchange-conlang-meta", ()),
    ("snap-collegemsg", ()),
    ("snap-bitcoinotc", ()),
    ("email-temporal", ("-f", "snap", "-o", "network=email", "-o", "epoch=2004-01-01T00:00:00Z")),
    ("twitter15-16", ()),
    ("reddit-api", ()),
    ("twitter-api-v2-twarc", ()),
)


def _window_ends(first: datetime, last: datetime, window_days: float, most: int) -> list[datetime]:
    """Up to ``most`` back-to-back window ends, from just after ``last`` back towards ``first``."""
    from datetime import timedelta

    from sway.scoring.scorer import default_as_of

    ends: list[datetime] = []
    end = default_as_of(last)
    while len(ends) < most and end - timedelta(days=window_days) >= first - timedelta(days=1):
        ends.append(end)
        end -= timedelta(days=window_days)
    return ends or [default_as_of(last)]


def cmd_calibrate(args: argparse.Namespace) -> None:
    """Refit the reference curve: default scoring runs (90-day windows) over the reference
    mix, several back-to-back windows per dataset, each dataset weighing the same."""
    import numpy as np

    from sway.engines.duckdb import DuckDBEngine
    from sway.scoring.calibration import fit_reference_curve
    from sway.scoring.scorer import InfluenceScorer
    from sway.store import Store

    pooled: list[float] = []
    used: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for folder, extra in REFERENCE_MIX:
            path = Path(args.data) / folder
            if not path.exists():
                print(f"{folder}: missing, skipped", file=sys.stderr)
                continue
            db = Path(tmp) / f"{folder}.duckdb"
            rejects = Path(tmp) / f"{folder}.rejects"
            try:
                _ingest(db, path, "--skip-bad", str(rejects), *extra)
            except subprocess.CalledProcessError as exc:
                print(f"{folder}: ingest failed ({exc}), skipped", file=sys.stderr)
                continue
            raws: list[float] = []
            with Store.open(db) as store:
                first, last = store.rows("SELECT min(ts), max(ts) FROM events")[0]
                networks = sorted(r[0] for r in store.rows("SELECT DISTINCT network FROM events"))
                engine = DuckDBEngine.for_store(store)
                ends = _window_ends(first, last, 90.0, args.windows)
                for end in ends:
                    scorer = InfluenceScorer().fit(engine, as_of=end)
                    raws.extend(v for v in scorer.accounts_["raw"].to_pylist() if v > 0)
                engine.close()
            if len(raws) < 20:
                print(f"{folder}: only {len(raws)} engaged accounts, skipped", file=sys.stderr)
                continue
            values = np.sort(np.array(raws))
            # 1,000 evenly spaced quantiles per dataset, so that each weighs the same.
            pooled.extend(np.quantile(values, np.linspace(0, 1, 1000)).tolist())
            used.append(f"{folder} ({', '.join(networks)}; {len(ends)} windows)")
            print(
                f"{folder}: {len(values):,} engaged account-windows in {len(ends)} windows, "
                f"median raw {np.median(values):.4f}, p99 {np.quantile(values, 0.99):.4f}",
                file=sys.stderr,
            )
    curve = fit_reference_curve(
        pooled, fitted_on="90-day windows of " + "; ".join(used) + f"; {datetime.now(UTC):%Y-%m-%d}"
    )
    print(json.dumps(curve.as_dict(), indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("synthetic", help="full score on synthetic events vs the floor")
    p.add_argument("--events", type=int, default=1_000_000)
    p.set_defaults(func=cmd_synthetic)
    p = sub.add_parser("graph", help="the graph step alone vs networkx.pagerank")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--tol", type=float, default=1e-10)
    p.add_argument("--no-networkx", action="store_true")
    p.set_defaults(func=cmd_graph)
    for name, func in (("twitter15-16", cmd_twitter), ("calibrate", cmd_calibrate)):
        p = sub.add_parser(name)
        p.add_argument("--data", default=os.environ.get("SWAY_SHARED_DATA", str(DEFAULT_DATA)))
        p.add_argument("--windows", type=int, default=8, help="calibrate: windows per dataset")
        p.set_defaults(func=func)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
