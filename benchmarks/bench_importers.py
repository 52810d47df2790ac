"""Importer benchmark: each importer reads real sample data; events/s and peak memory.

Each importer runs in its own process (so peak RSS is its own) over the folders of
``../shared/data`` (or ``--data PATH``) in its format, reading records without storing them.
Prints a Markdown table for docs/benchmarks.md.

    python benchmarks/bench_importers.py [--data ../shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

CASES = [
    ("twitter-archive", "twitter-archive"),
    ("twitter-v2", "twitter-api-v2-twarc/entities_test.jsonl"),
    ("twitter-v2", "twitter-api-tweepy"),
    ("mastodon", "mastodon-outbox"),
    ("mastodon", "mastodon-api"),
    ("bluesky", "bluesky-car"),
    ("bluesky", "bluesky-xrpc"),
    ("reddit", "reddit-api"),
    ("stackexchange", "stackexchange-french-meta"),
    ("wordpress", "wordpress-wxr/theme-unit-test-data.xml"),
    ("youtube", "youtube-api"),
    ("snap", "snap-collegemsg"),
    ("snap", "snap-bitcoinotc"),
    ("snap", "email-temporal"),
    ("snap", "twitter15-16"),
]

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from sway.events import Event
from sway.sources import get_source
fmt, path, repeat = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
best = None
for _ in range(repeat):
    start = time.perf_counter()
    events = records = 0
    for record in get_source(fmt).read(path):
        records += 1
        events += isinstance(record, Event)
    wall = time.perf_counter() - start
    best = wall if best is None else min(best, wall)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"events": events, "records": records, "wall": best, "peak_mib": peak}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of N reads")
    args = parser.parse_args()
    print(
        f"{date.today()}, {platform.machine()}, Python {platform.python_version()}; best of {args.repeat}"
    )
    print()
    print("| format | input | events | wall | events/s | peak RSS |")
    print("| --- | --- | --- | --- | --- | --- |")
    for fmt, rel in CASES:
        path = args.data / rel
        if not path.exists():
            print(f"| {fmt} | {rel} | missing | | | |")
            continue
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, fmt, str(path), str(args.repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout)
        rate = r["events"] / r["wall"] if r["wall"] else 0
        print(
            f"| {fmt} | {rel} | {r['events']:,} | {r['wall']:.2f} s | {rate:,.0f} | {r['peak_mib']:,.0f} MiB |"
        )


if __name__ == "__main__":
    main()
