"""The integrity tables of ``docs/integrity.md``, measured on the real datasets.

    python benchmarks/bench_integrity.py --work /tmp/sway-eval            # every table
    python benchmarks/bench_integrity.py --work /tmp/sway-eval --only snap-collegemsg

For each dataset (stores named after their folder in ``--work``, ingested from ``--data`` with
auto-detection when missing):

- **attacks**: the six kinds of ``sway attack`` with 50 accounts, and a 500-account bot ring,
  each aimed at the dataset's *median* account (the account at the median score, integrity on,
  among those scored above 1), seed 0; the target's score before and after, with integrity on
  and off, and the mean move of every other account (integrity on). ``fresh-account`` reports
  the new account's score. Each row is what ``sway --db STORE attack --kind K --size N --target
  NETWORK:ACCOUNT`` prints.
- **stability**: ``sway stability`` over the last 14 days of the data (daily runs, 90-day
  window), integrity on and off.
- **evaluation**: ``sway evaluate`` (the protocol of ``docs/evaluation.md``, same split) with
  the default parameters and with ``integrity=1``.

Results go to ``docs/integrity/results.json`` and the generated tables of ``docs/integrity.md``
(between their markers) are rewritten from it.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DOC = ROOT / "docs" / "integrity.md"
OUT = ROOT / "docs" / "integrity" / "results.json"

#: Dataset folder -> network after ``sway ingest`` (auto-detected).
DATASETS: dict[str, str] = {
    "snap-collegemsg": "collegemsg",
    "email-temporal": "email",
    "snap-bitcoinotc": "bitcoinotc",
    "stackexchange-french-meta": "stackexchange",
    "stackexchange-conlang-meta": "stackexchange",
    "twitter15-16": "twitter",
}

#: (kind, size) of every attack row.
ATTACKS: tuple[tuple[str, int], ...] = (
    ("bot-ring", 50),
    ("reply-spam", 50),
    ("boost-pod", 50),
    ("chat-burst", 50),
    ("follow-farm", 50),
    ("fresh-account", 50),
    ("bot-ring", 500),
)
FRESH_TARGET = "fresh-account-0"
STABILITY_DAYS = 14


def _machine() -> str:
    return (
        f"{platform.machine()}, {psutil.cpu_count(logical=True)} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}"
    )


def _ingest(data: Path, work: Path, folder: str) -> Path:
    store = work / f"{folder}.duckdb"
    if not store.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sway.cli",
                "--db",
                store.name,
                "ingest",
                "-q",
                str(data / folder),
            ],
            cwd=work,
            check=True,
        )
    return store


def _load(store: Path) -> tuple[Any, Any]:
    import duckdb

    from sway.events import ACCOUNT_SCHEMA, EVENT_SCHEMA

    con = duckdb.connect(str(store), read_only=True)
    try:
        events = con.sql(f"SELECT {', '.join(EVENT_SCHEMA.names)} FROM events").to_arrow_table()
        accounts = con.sql(
            f"SELECT {', '.join(ACCOUNT_SCHEMA.names)} FROM accounts"
        ).to_arrow_table()
    finally:
        con.close()
    return events.cast(EVENT_SCHEMA), accounts.cast(ACCOUNT_SCHEMA) if accounts.num_rows else None


def _median_target(scores: dict[tuple[str, str], float], network: str) -> str:
    ranked = sorted((v, k[1]) for k, v in scores.items() if k[0] == network and v > 1.0)
    return ranked[(len(ranked) - 1) // 2][1]


def measure(folder: str, store: Path) -> dict[str, Any]:
    from sway.cli_integrity import run_attack, score_table, volatility
    from sway.evaluation.protocol import evaluate
    from sway.store import Store

    network = DATASETS[folder]
    events, accounts = _load(store)
    started = time.perf_counter()
    baseline = score_table(events, accounts, integrity=True)
    target = _median_target(baseline, network)
    rows = []
    for kind, size in ATTACKS:
        aimed = FRESH_TARGET if kind == "fresh-account" else target
        outcomes = {
            on: run_attack(
                events,
                accounts,
                kind=kind,
                size=size,
                network=network,
                target=aimed,
                seed=0,
                integrity=on,
            )
            for on in (True, False)
        }
        rows.append(
            {
                "kind": kind,
                "size": size,
                "target": f"{network}:{aimed}",
                "on": {"before": outcomes[True].before, "after": outcomes[True].after},
                "off": {"before": outcomes[False].before, "after": outcomes[False].after},
                "honest_mean_move": outcomes[True].honest_mean_move,
                "honest_mean_move_off": outcomes[False].honest_mean_move,
                "honest_accounts": outcomes[True].honest_accounts,
                "command": (
                    f"sway --db {store.name} attack --kind {kind} --size {size} "
                    f"--target {network}:{aimed}"
                ),
            }
        )
        print(f"{folder}: {kind} x{size}: {rows[-1]['on']} {rows[-1]['off']}", file=sys.stderr)
    last = max(events["ts"].to_pylist()).astimezone(UTC)
    end = datetime(last.year, last.month, last.day, tzinfo=UTC)
    start = end - timedelta(days=STABILITY_DAYS - 1)
    stability = {
        "on": volatility(events, accounts, start=start, end=end, integrity=True),
        "off": volatility(events, accounts, start=start, end=end, integrity=False),
        "command": (
            f"sway --db {store.name} stability --from {start.date().isoformat()} "
            f"--to {end.date().isoformat()}"
        ),
    }
    evaluation: dict[str, Any] = {}
    with Store.open(store, read_only=True) as opened:
        for label, params in (("off", {"integrity": 0}), ("on", {"integrity": 1})):
            result = evaluate(opened, network=network, params=params).as_dict()
            sway = result["metrics"]["sway"]
            evaluation[label] = {"spearman": sway["spearman"], "ndcg": sway["ndcg@k"]}
            evaluation["candidates"] = result.get("candidates")
    return {
        "dataset": folder,
        "network": network,
        "target": f"{network}:{target}",
        "attacks": rows,
        "stability": stability,
        "evaluation": evaluation,
        "seconds": time.perf_counter() - started,
    }


def _fmt_move(before: float, after: float) -> str:
    return f"{before:.1f} → {after:.1f} ({after - before:+.1f})"


def attack_table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| dataset | attack | target | integrity on | integrity off | honest accounts moved "
        "(mean, on) | command |",
        "| --- | --- | --- | --- | --- | ---: | --- |",
    ]
    for r in results:
        for a in r["attacks"]:
            lines.append(
                f"| {r['dataset']} | {a['kind']} x{a['size']} | `{a['target']}` | "
                f"{_fmt_move(a['on']['before'], a['on']['after'])} | "
                f"{_fmt_move(a['off']['before'], a['off']['after'])} | "
                f"{a['honest_mean_move']:.3f} | `{a['command']}` |"
            )
    return "\n".join(lines)


def stability_table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| dataset | days | steady accounts | median change on | p90 on | median change off "
        "| p90 off | command |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        s = r["stability"]
        lines.append(
            f"| {r['dataset']} | {s['on']['days']} | {s['on']['steady_accounts']:,} | "
            f"{s['on']['median_change']:.3f} | {s['on']['p90_change']:.3f} | "
            f"{s['off']['median_change']:.3f} | {s['off']['p90_change']:.3f} | "
            f"`{s['command']}` |"
        )
    return "\n".join(lines)


def _metric(value: list[float]) -> str:
    return f"{value[0]:.3f} [{value[1]:.3f}, {value[2]:.3f}]"


def evaluation_table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| dataset | candidates | Spearman off | Spearman on | NDCG@100 off | NDCG@100 on |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        e = r["evaluation"]
        lines.append(
            f"| {r['dataset']} | {e.get('candidates') or ''} | {_metric(e['off']['spearman'])} | "
            f"{_metric(e['on']['spearman'])} | {_metric(e['off']['ndcg'])} | "
            f"{_metric(e['on']['ndcg'])} |"
        )
    return "\n".join(lines)


def _replace(text: str, name: str, table: str) -> str:
    start = f"<!-- {name}:start (generated by benchmarks/bench_integrity.py; do not edit) -->"
    end = f"<!-- {name}:end -->"
    if start not in text or end not in text:
        return text + f"\n{start}\n{table}\n{end}\n"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{table}\n{end}{tail}"


def write_doc(payload: dict[str, Any]) -> None:
    results = payload["results"]
    text = DOC.read_text(encoding="utf-8")
    text = _replace(text, "attacks", attack_table(results))
    text = _replace(text, "stability", stability_table(results))
    text = _replace(text, "evaluation", evaluation_table(results))
    text = _replace(text, "machine", f"Measured on {payload['machine']}, {payload['date']}.")
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.environ.get("SWAY_SHARED_DATA", str(DEFAULT_DATA)))
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "sway-eval"))
    parser.add_argument("--only", action="append", choices=sorted(DATASETS))
    parser.add_argument("--doc-only", action="store_true", help="Rewrite the doc from the JSON.")
    args = parser.parse_args()
    if not args.doc_only:
        work = Path(args.work)
        work.mkdir(parents=True, exist_ok=True)
        previous = json.loads(OUT.read_text()) if OUT.exists() else {"results": []}
        kept = {r["dataset"]: r for r in previous["results"]}
        for folder in args.only or list(DATASETS):
            if not (Path(args.data) / folder).exists() and not (work / f"{folder}.duckdb").exists():
                print(f"{folder}: missing, skipped", file=sys.stderr)
                continue
            kept[folder] = measure(folder, _ingest(Path(args.data), work, folder))
        payload = {
            "machine": _machine(),
            "date": datetime.now(UTC).date().isoformat(),
            "results": [kept[f] for f in DATASETS if f in kept],
        }
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    write_doc(json.loads(OUT.read_text()))


if __name__ == "__main__":
    main()
