"""Measure the topic aims of docs/topics.md on the two Stack Exchange dumps of shared/data.

    python benchmarks/eval_topics.py [--data DIR] [--json benchmarks/out/topics-eval.json]

Ingests ``stackexchange-conlang-meta`` and ``stackexchange-french-meta`` into a temporary
store, then runs exactly what ``sway topics evaluate`` runs (:mod:`sway.topics.evaluate`) and
prints the Markdown tables pasted into ``docs/topics.md``. Also timed: the whole evaluation and
``sway topics compute`` on a two-year score run of the same store.

**As a user runs it.** Aim 1 again, each site in a store of its own, through the product's
path: ``sway score --window 3y`` then ``sway topics compute`` with default parameters, counted
on the published topic run (:func:`sway.topics.evaluate.topics_hits`).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sway.engines.duckdb import DuckDBEngine
from sway.scoring.scorer import InfluenceScorer
from sway.store import Store
from sway.store.ingest import ingest_path
from sway.store.runs import save_run
from sway.store.topics import compute_topics, network_events
from sway.topics.evaluate import evaluate_events, report_markdown, topics_hits
from sway.topics.ontology import default_ontology

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
    result["product"] = {dump: _as_a_user(args.data / dump) for dump in DUMPS}
    print()
    print(report_markdown(result))
    print("### Aim 1 as a user runs it (`sway score --window 3y && sway topics compute`)")
    print()
    print("| site | users (≥ 5 answers) | hits | rate |")
    print("|---|---|---|---|")
    users = hits = 0
    for dump, p in result["product"].items():
        users, hits = users + p["users"], hits + p["hits"]
        print(
            f"| {dump.removeprefix('stackexchange-')} | {p['users']} | {p['hits']} | "
            f"{p['rate']:.1%} |"
        )
    print(f"| **all** | {users} | {hits} | **{hits / users:.1%}** |")
    print()
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


def _as_a_user(dump: Path) -> dict[str, Any]:
    """Aim 1 on one site through ``sway score --window 3y && sway topics compute``."""
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "site.duckdb") as store:
        ingest_path(store, dump, format="stackexchange")
        engine = DuckDBEngine.for_store(store)
        try:
            scorer = InfluenceScorer(window_days=3 * 365.0).fit(engine)
        finally:
            engine.close()
        save_run(store, scorer, engine="duckdb")
        info, _ = compute_topics(store, run_id=scorer.plan_.run_id)
        run = [info.topic_run_id]
        account_topics = store.con.sql(
            "SELECT account_id, topic_id, expertise, shown, direct FROM account_topics "
            "WHERE topic_run_id = ?",
            params=run,
        ).to_arrow_table()
        catalog = store.con.sql(
            "SELECT topic_id, name, kind FROM topic_catalog WHERE topic_run_id = ?", params=run
        ).to_arrow_table()
        events = network_events(store, "stackexchange")
    found = topics_hits(
        events,
        account_topics,
        catalog,
        info.summary.get("tag_languages", {}),
        ontology=default_ontology(),
    )
    return {k: found[k] for k in ("users", "hits", "rate", "detail")}


if __name__ == "__main__":
    raise SystemExit(main())
