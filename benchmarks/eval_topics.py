"""Measure the topic aims of docs/topics.md on the two Stack Exchange dumps of shared/data.

    python benchmarks/eval_topics.py [--data DIR] [--json benchmarks/out/topics-eval.json]

Ingests ``stackexchange-conlang-meta`` and ``stackexchange-french-meta`` into a temporary
store, then runs exactly what ``sway topics evaluate`` runs (:mod:`sway.topics.evaluate`) and
prints the Markdown tables pasted into ``docs/topics.md``. Also timed: the whole evaluation and
``sway topics compute`` on a two-year score run of the same store.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sway.engines.duckdb import DuckDBEngine
from sway.scoring.scorer import InfluenceScorer
from sway.store import Store
from sway.store.ingest import ingest_path
from sway.store.runs import save_run
from sway.store.topics import compute_topics, network_events
from sway.topics.evaluate import evaluate_events, report_markdown

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DUMPS = ("stackexchange-conlang-meta", "stackexchange-french-meta")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared/data folder")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "benchmarks" / "out" / "topics-eval.json"
    )
    args = parser.parse_args(argv)
    missing = [d for d in DUMPS if not (args.data / d).is_dir()]
    if missing:
        print(f"missing {', '.join(missing)} under {args.data}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "se.duckdb") as store:
        for dump in DUMPS:
            print(ingest_path(store, args.data / dump, format="stackexchange").line())
        events = network_events(store, "stackexchange")
        started = time.perf_counter()
        result = evaluate_events(events, DuckDBEngine.from_events)
        evaluated = time.perf_counter() - started
        # The product path: a published score run (two years), then `sway topics compute`.
        engine = DuckDBEngine.for_store(store)
        try:
            scorer = InfluenceScorer(window_days=730.0).fit(engine)
        finally:
            engine.close()
        save_run(store, scorer, engine="duckdb")
        started = time.perf_counter()
        info, _ = compute_topics(store, run_id=scorer.plan_.run_id)
        computed = time.perf_counter() - started
    print()
    print(report_markdown(result))
    print(
        f"Evaluation (both aims, both sites) took {evaluated:.1f} s; `sway topics compute` on a "
        f"two-year score run took {computed:.1f} s ({info.summary['shown']} account topics shown "
        f"over {info.summary['topics_shown']} topics)."
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    result["measured_at"] = datetime.now(UTC).isoformat()
    args.json.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print(f"{args.json}: written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
