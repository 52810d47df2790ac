"""The adversarial harness: every attack family on every dataset, short captures included.

    python benchmarks/bench_attacks.py --work /tmp/sway-eval              # every row
    python benchmarks/bench_attacks.py --work /tmp/sway-eval --only twitter15-16-7d \\
        --families capture-ring slow-drip

For each dataset (a store in ``--work`` named after its folder, ingested from ``--data`` when
missing) and each family of ``sway.integrity.attacks`` (``--size`` accounts, seed 0), aimed at
the dataset's median account (the account at the median score with integrity on, among those
scored above 1): the target's lift with integrity on and off, the highest score of an attacking
account (integrity on), and the mean move of every honest account (integrity on). The aims of
issue 16: lift <= 2 points, no attacker >= 30 (except ``bought-standing``, whose "attackers" are
real accounts with their own scores), honest accounts <= 0.5 on average.

Short captures (``-3d``, ``-7d``) are the last days of a dataset with no accounts table (no
creation dates), as a capture of an API's recent search would be. Families in
``sway.integrity.attacks.HELD_OUT`` and datasets in ``HELD_OUT_DATASETS`` were kept out of the
design of the defences; the table marks them.

Results go to ``docs/integrity/attacks.json`` and the table between the ``attacks-harness``
markers of ``docs/integrity.md``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DOC = ROOT / "docs" / "integrity.md"
OUT = ROOT / "docs" / "integrity" / "attacks.json"


@dataclass(frozen=True)
class Dataset:
    name: str
    folder: str
    network: str
    #: Keep only the last ``days`` days, without an accounts table (a short capture).
    days: float | None = None


DATASETS = (
    Dataset("twitter15-16-7d", "twitter15-16", "twitter", 7),
    Dataset("twitter15-16-3d", "twitter15-16", "twitter", 3),
    Dataset("stackexchange-conlang-meta", "stackexchange-conlang-meta", "stackexchange"),
    Dataset("snap-collegemsg", "snap-collegemsg", "collegemsg"),
    Dataset("melcup17-4d", "twitter-darwin-melcup17", "twitter", 4),
    Dataset("stackexchange-french-meta", "stackexchange-french-meta", "stackexchange"),
)
#: Datasets kept out of the design of the defences (measured once, at the end).
HELD_OUT_DATASETS = frozenset({"melcup17-4d", "stackexchange-french-meta"})
#: The families the aims apply to in full; ``fresh-account`` reports the new account's score.
ATTACKER_SCORE_EXEMPT = frozenset({"bought-standing", "fresh-account"})


def _machine() -> str:
    return (
        f"{platform.machine()}, {psutil.cpu_count(logical=True)} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}"
    )


def _melcup17_csv(data: Path, work: Path) -> Path:
    """MelCup17's interactions as canonical events (the folder has no importer of its own:
    ``interactions.tsv.gz`` is a table derived for this collection, see its README)."""
    out = work / "melcup17.events.csv"
    if out.exists():
        return out
    actions = {"retweet": "repost", "reply": "reply", "quote": "quote", "like": "like"}
    with (
        gzip.open(data / "twitter-darwin-melcup17" / "interactions.tsv.gz", "rt") as fh,
        out.open("w", newline="") as sink,
    ):
        writer = csv.writer(sink)
        writer.writerow(
            ["network", "event_id", "ts", "actor", "action", "target", "content_id", "parent_id"]
        )
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["dataset"] != "MelCup17":
                continue
            action = actions[row["kind"]]
            content = row["content_tweet_id"] or row["parent_tweet_id"]
            writer.writerow(
                [
                    "twitter",
                    f"{action}:{row['actor_uid']}:{content}",
                    row["time_utc"],
                    row["actor_uid"],
                    action,
                    row["target_uid"],
                    content,
                    row["parent_tweet_id"] if action != "like" else "",
                ]
            )
    return out


def _store(data: Path, work: Path, folder: str) -> Path:
    store = work / f"{folder}.duckdb"
    if store.exists():
        return store
    source = data / folder
    args = ["ingest", "-q", str(source)]
    if folder == "twitter-darwin-melcup17":
        args = ["ingest", "-q", "--format", "events", str(_melcup17_csv(data, work))]
    subprocess.run([sys.executable, "-m", "sway.cli", "--db", str(store), *args], check=True)
    return store


def _load(store: Path, days: float | None) -> tuple[pa.Table, pa.Table | None, datetime | None]:
    """The store's events and accounts, or a short capture of its last ``days`` days (no
    accounts table) and when the capture starts."""
    from bench_integrity import _load as load_all

    events, accounts = load_all(store)
    if days is None:
        return events, accounts, None
    start = pc.max(events["ts"]).as_py() - timedelta(days=days)
    since = pa.scalar(start, events["ts"].type)
    return events.filter(pc.greater_equal(events["ts"], since)), None, start


def measure(ds: Dataset, store: Path, families: list[str], size: int) -> dict[str, Any]:
    from sway.cli_integrity import run_attack, score_table
    from sway.integrity.attacks import HELD_OUT

    events, accounts, capture_start = _load(store, ds.days)
    started = time.perf_counter()
    baseline = score_table(events, accounts, integrity=True)
    ranked = sorted((v, k[1]) for k, v in baseline.items() if k[0] == ds.network and v > 1.0)
    target = ranked[(len(ranked) - 1) // 2][1]
    rows = []
    for family in families:
        aimed = "fresh-account-0" if family == "fresh-account" else target
        on, off = (
            run_attack(
                events,
                accounts,
                kind=family,
                size=size,
                network=ds.network,
                target=aimed,
                seed=0,
                integrity=flag,
                capture_start=capture_start,
            )
            for flag in (True, False)
        )
        row = {
            "family": family,
            "held_out": family in HELD_OUT or ds.name in HELD_OUT_DATASETS,
            "size": size,
            "on": {"before": on.before, "after": on.after},
            "off": {"before": off.before, "after": off.after},
            "attackers_max": on.attackers_max,
            "honest_mean_move": on.honest_mean_move,
            "honest_accounts": on.honest_accounts,
        }
        row["meets_aims"] = _meets(family, row)
        rows.append(row)
        print(
            f"{ds.name}: {family}: on {on.before:.1f}->{on.after:.1f} off {off.before:.1f}->"
            f"{off.after:.1f} attackers<= {on.attackers_max:.1f} honest {on.honest_mean_move:.3f}",
            file=sys.stderr,
        )
    return {
        "dataset": ds.name,
        "network": ds.network,
        "days": ds.days,
        "events": events.num_rows,
        "target": f"{ds.network}:{target}",
        "rows": rows,
        "seconds": time.perf_counter() - started,
    }


def _meets(family: str, row: dict[str, Any]) -> bool:
    honest = float(row["honest_mean_move"]) <= 0.5
    after, before = float(row["on"]["after"]), float(row["on"]["before"])
    if family == "fresh-account":
        return honest and after < 30
    lift = after - before <= 2.0
    attackers = family in ATTACKER_SCORE_EXEMPT or float(row["attackers_max"]) < 30
    return honest and lift and attackers


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| dataset | family | held out | integrity on | integrity off | best attacker (on) "
        "| honest moved (mean, on) | aims met |",
        "| --- | --- | :---: | --- | --- | ---: | ---: | :---: |",
    ]
    for r in results:
        for a in r["rows"]:
            on, off = a["on"], a["off"]
            lines.append(
                f"| {r['dataset']} | {a['family']} x{a['size']} | {'yes' if a['held_out'] else ''} "
                f"| {on['before']:.1f} → {on['after']:.1f} ({on['after'] - on['before']:+.1f}) "
                f"| {off['before']:.1f} → {off['after']:.1f} ({off['after'] - off['before']:+.1f}) "
                f"| {a['attackers_max']:.1f} | {a['honest_mean_move']:.3f} "
                f"| {'yes' if a['meets_aims'] else '**no**'} |"
            )
    return "\n".join(lines)


def replace_marked(doc: Path, name: str, body: str) -> None:
    """Put ``body`` between the ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` markers of
    ``doc`` (added at its end when missing)."""
    text = doc.read_text(encoding="utf-8")
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    marked = f"{begin}\n{body}\n{end}"
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + marked + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + marked + "\n"
    doc.write_text(text, encoding="utf-8")


def _write_doc(results: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    replace_marked(
        DOC,
        "attacks-harness",
        f"Measured {meta['date']} on {meta['machine']}, algorithm version {meta['version']}, "
        f"{meta['size']} attacking accounts per row, seed 0.\n\n{table(results)}",
    )


def main() -> None:
    from sway.integrity.attacks import ATTACK_KINDS
    from sway.scoring.params import ALGORITHM_VERSION

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=Path("/tmp/sway-eval"))
    parser.add_argument("--only", nargs="+", default=None, help="dataset names")
    parser.add_argument("--families", nargs="+", default=list(ATTACK_KINDS))
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument("--no-write", action="store_true", help="print, write nothing")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    chosen = [d for d in DATASETS if args.only is None or d.name in args.only]
    results = []
    for ds in chosen:
        store = _store(args.data, args.work, ds.folder)
        results.append(measure(ds, store, args.families, args.size))
    meta = {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": _machine(),
        "version": ALGORITHM_VERSION,
        "size": args.size,
    }
    print(table(results))
    if not args.no_write:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps({"meta": meta, "results": results}, indent=1, default=str))
        _write_doc(results, meta)


if __name__ == "__main__":
    main()
