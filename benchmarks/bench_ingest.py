"""Ingest benchmark: N synthetic canonical events (CSV) through `sway ingest`.

Measures wall time, events per second and the peak resident memory of the ingest process,
then re-ingests the same file to time the idempotent no-op path. Writes nothing by itself
into docs/: paste the printed Markdown row into docs/benchmarks.md.

    python benchmarks/bench_ingest.py --events 10000000
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb


def make_events(path: Path, n: int) -> None:
    """A heavy-tailed synthetic interaction log written by DuckDB (fast, reproducible)."""
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
            SELECT 'synth' AS network, i::VARCHAR AS event_id,
                   strftime(TIMESTAMP '2024-01-01' + to_seconds(i * 3), '%Y-%m-%dT%H:%M:%SZ') AS ts,
                   'u' || (hash(i) % 200000)::VARCHAR AS actor,
                   (['reply','repost','like','like','like','mention'])[1 + (i % 6)::INT] AS action,
                   'u' || floor(pow(1 + (hash(i * 7) % 1000000) / 1000.0, 1.7))::BIGINT::VARCHAR AS target,
                   'p' || (hash(i * 13) % 1000000)::VARCHAR AS content_id,
                   NULL AS parent_id,
                   CASE WHEN i % 10 = 0 THEN 'some text about topic ' || (i % 97)::VARCHAR END AS text
            FROM range({int(n)}) t(i)
        ) TO '{path}' (FORMAT csv, HEADER)
        """
    )
    con.close()


def timed_ingest(db: Path, path: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of the child, and its summary line."""
    cmd = [
        sys.executable,
        "-m",
        "sway.cli",
        "--db",
        str(db),
        "ingest",
        "--format",
        "events",
        str(path),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss is the largest child so far (KiB on Linux); children run one at a time here.
    return wall, max(peak, before) / 1024, proc.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        csv_path = work / "events.csv"
        t0 = time.perf_counter()
        make_events(csv_path, args.events)
        size = csv_path.stat().st_size / 2**20
        print(
            f"generated {args.events:,} events ({size:,.0f} MiB) in {time.perf_counter() - t0:.1f} s"
        )
        db = work / "bench.duckdb"
        wall, peak, line = timed_ingest(db, csv_path)
        print(line)
        wall2, _, line2 = timed_ingest(db, csv_path)
        print(line2)
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, DuckDB {duckdb.__version__}"
        print()
        print(
            "| date | events | input | wall | events/s | peak RSS | re-ingest (all duplicates) | machine |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        print(
            f"| {date.today()} | {args.events:,} | {size:,.0f} MiB CSV | {wall:.1f} s | "
            f"{args.events / wall:,.0f} | {peak:,.0f} MiB | {wall2:.1f} s | {machine} |"
        )


if __name__ == "__main__":
    main()
