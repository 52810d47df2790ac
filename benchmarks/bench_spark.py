"""How the Spark engine's cost grows with events (run on demand, not in the tests).

    python benchmarks/bench_spark.py --events 1000000 10000000 50000000 [--master local[2]]
        [--integrity 0|1]

For each size: synthetic events (``bench_score.py``'s generator: Zipf in- and out-degrees, 120
days) are written as Parquet partitioned by network and date, the layout of ``sway export events
--format parquet --partition``; then ``sway score --engine spark --events ... --output ...`` runs
in a fresh process (its own JVM), timed, with the peak memory of the whole process tree (Python
and the JVM). The DuckDB engine's time on the same events is measured beside it. Results go to
docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_score import machine, make_synthetic_store

_EXPORT = (
    "COPY (SELECT network, event_id, ts, actor, action, target, content_id, parent_id, text, "
    "tags, lang, value, strftime(ts, '%Y-%m-%d') AS date FROM events) "
    "TO '{out}' (FORMAT parquet, PARTITION_BY (network, date))"
)


def _timed(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``command``; wall seconds and the peak RSS of its process tree (MiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree))
        except psutil.Error:
            pass
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err.decode()[-4000:]}")
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mib": round(peak / 2**20),
        "said": out.decode().strip().splitlines()[-1],
    }


def bench(
    events: int,
    *,
    master: str,
    driver_memory: str,
    partitions: int,
    max_result: str,
    integrity: int,
) -> dict[str, Any]:
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "synth.duckdb"
        make_synthetic_store(db, events)
        parquet = Path(tmp) / "events"
        con = duckdb.connect(str(db), read_only=True)
        con.execute(_EXPORT.format(out=parquet))
        con.close()
        sway = [sys.executable, "-m", "sway.cli"]
        env = dict(os.environ)
        # Spark settings of a local run: the driver is the executor.
        env["PYSPARK_SUBMIT_ARGS"] = (
            f"--driver-memory {driver_memory} "
            f"--conf spark.sql.shuffle.partitions={partitions} "
            # The result tables come back to the driver (see docs/scale.md, Limits): over
            # Spark's default of 1 GiB from about 4 million accounts.
            f"--conf spark.driver.maxResultSize={max_result} pyspark-shell"
        )
        # The integrity layer runs on the driver (not distributed): by default the benchmark
        # measures the distributed pipeline alone.
        window = ["--window", "120d", "-p", f"integrity={integrity}"]
        spark = _timed(
            [
                *sway, "--db", str(db), "score", "--engine", "spark", "--master", master,
                "--events", str(parquet), "--output", str(Path(tmp) / "run"), *window,
            ],
            env,
        )  # fmt: skip
        duck = _timed([*sway, "--db", str(db), "score", *window], env)
    result = {
        "events": events,
        "machine": machine(),
        "master": master,
        "driver_memory": driver_memory,
        "shuffle_partitions": partitions,
        "max_result_size": max_result,
        "integrity": integrity,
        "spark": spark,
        "duckdb": duck,
    }
    print(json.dumps(result, indent=2), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--shuffle-partitions", type=int, default=8)
    parser.add_argument("--max-result-size", default="8g")
    parser.add_argument("--integrity", type=int, choices=(0, 1), default=0)
    args = parser.parse_args()
    for events in args.events:
        bench(
            events,
            master=args.master,
            driver_memory=args.driver_memory,
            partitions=args.shuffle_partitions,
            max_result=args.max_result_size,
            integrity=args.integrity,
        )


if __name__ == "__main__":
    main()
