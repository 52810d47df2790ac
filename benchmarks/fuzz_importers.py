"""Fuzzing benchmark: every importer meets damaged copies of its real fixtures.

Each importer runs in its own process (its peak RSS is its own) and is fed ``--examples``
inputs built by the ``tests/mangle.py`` strategies through Hypothesis (``tests/fuzz.py``).
The only acceptable outcomes are records read or a clean ``SourceError``; every other
exception, or an input taking over 20 s, is listed with the input kept under
``$TMPDIR/sway-fuzz-failures/``. Prints a Markdown table for docs/security.md and exits 1 on
any failure.

    python benchmarks/fuzz_importers.py --examples 100000 --jobs 4 [--only NAME ...]

CI runs the same code with 150 inputs per importer (``tests/privacy/test_fuzz_smoke.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1] / "tests"


def _run(name: str, examples: int) -> dict[str, Any]:
    sys.path.insert(0, str(TESTS))
    from fuzz import fuzz_importer

    result: dict[str, Any] = fuzz_importer(name, examples=examples).as_dict()
    return result


def main() -> int:
    sys.path.insert(0, str(TESTS))
    from fuzz import IMPORTERS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000, help="Inputs per importer.")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="Processes.")
    parser.add_argument("--only", nargs="*", default=sorted(IMPORTERS), help="Importers.")
    parser.add_argument("--json", type=Path, default=None, help="Also write results here.")
    args = parser.parse_args()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {name: pool.submit(_run, name, args.examples) for name in args.only}
        results = [futures[name].result() for name in args.only]
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {date.today()}")
    print()
    print("| importer | inputs | read | SourceError | other exceptions | inputs/s | peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['importer']} | {r['examples']:,} | {r['read_cleanly']:,} | "
            f"{r['source_errors']:,} | {len(r['failures'])} | {r['examples_per_second']:,} | "
            f"{r['peak_rss_mb']:.0f} MB |"
        )
    for r in results:
        for failure in r["failures"]:
            print(f"\n{r['importer']}: {failure['input']}\n{failure['error']}", file=sys.stderr)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 1 if any(r["failures"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
