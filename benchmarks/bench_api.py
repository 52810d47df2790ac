"""Service benchmarks: score lookups under load, streaming triage, CRM enrichment.

1. **Lookups**: a synthetic store of N accounts (default 1,000,000) with two score runs a day
   apart (scores are written directly: this measures serving, not scoring); ``sway serve`` on
   loopback; ``wrk`` (``apt-get install wrk``) requesting random handles for a fixed time with
   a fixed number of connections. Reports requests/s and p50/p99 latency from wrk, the server's
   start-up time (index build) and resident memory.
2. **Triage**: M synthetic messages (default 100,000) piped through ``sway triage --follow -``;
   messages per second, with and without the process start (index load, VADER lexicon).
3. **CRM**: R synthetic customer records (default 100,000) through ``sway crm enrich``.

Prints Markdown rows for ``docs/benchmarks.md``; writes nothing into ``docs/`` itself.

    python benchmarks/bench_api.py --accounts 1000000 --seconds 20 --connections 16
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import duckdb

SWAY = [sys.executable, "-c", "from sway.cli import main; main()"]


def build_store(db: Path, accounts: int) -> float:
    """Accounts ``user0`` .. ``userN-1`` on twitter, scored in two runs a day apart."""
    from sway.store import Store

    started = time.perf_counter()
    with Store.open(db) as store:
        con = store.con
        con.execute(
            f"""
            INSERT INTO accounts
            SELECT 'twitter', (1000000000 + i)::VARCHAR, 'user' || i, 'User ' || i,
                   TIMESTAMPTZ '2015-01-01', (i * 7919) % 100000, 100, NULL, NULL, NULL, NULL, now()
            FROM range({accounts}) t(i)
            """
        )
        for n, as_of in enumerate(("2024-05-01", "2024-05-02")):
            run = f"bench-{n}"
            con.execute(
                "INSERT INTO score_runs (run_id, algorithm_version, params, window_days, as_of, "
                "watermark, events_used, engine, created_at, series) VALUES "
                "(?, '1.0', '{}', 90, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, 0, 'synthetic', now(), 'bench')",
                [run, as_of, as_of],
            )
            con.execute(
                f"""
                INSERT INTO scores
                SELECT '{run}', 'twitter', (1000000000 + i)::VARCHAR,
                       1 + 99 * pow(((hash(i) % 1000000) / 1000000.0), 3) + {n} * 0.5,
                       (hash(i * 3) % 1000) / 100.0, (hash(i * 5) % 1000) / 300.0,
                       (hash(i * 7) % 1000) / 200.0
                FROM range({accounts}) t(i)
                """
            )
    return time.perf_counter() - started


def make_key(db: Path) -> str:
    out = subprocess.run(
        [
            *SWAY,
            "--db",
            str(db),
            "apikey",
            "create",
            "--name",
            "bench",
            "--scope",
            "admin",
            "--per-second",
            "1000000000",
            "--per-day",
            "1000000000000",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    def __init__(self, db: Path) -> None:
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [*SWAY, "--db", str(db), "serve", "--port", "0", "--no-access-log"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            match = re.match(r"sway: serving http://127\.0\.0\.1:(\d+) ", line)
            if match:
                self.port = int(match.group(1))
                break
        else:
            raise SystemExit("the server did not start")
        self.startup = time.perf_counter() - started
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for _ in self.proc.stdout:
            pass

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


LUA = """
local key = "%KEY%"
local n = %N%
math.randomseed(%SEED%)
request = function()
  local i = math.random(0, n - 1)
  return wrk.format("GET", "%PATH%" .. i %SUFFIX%, {["X-API-Key"] = key})
end
"""


def wrk(
    port: int, key: str, accounts: int, *, seconds: int, connections: int, klout: bool
) -> dict[str, float]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")
    if klout:
        path, suffix = "/v2/identity.json/twitter?key=" + key + "&screenName=user", ""
    else:
        path, suffix = "/v1/accounts/lookup?network=twitter&handle=user", ""
    script = LUA.replace("%KEY%", key).replace("%N%", str(accounts)).replace("%SEED%", "42")
    script = script.replace("%PATH%", path).replace("%SUFFIX%", suffix)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            fh.name,
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(fh.name)

    def ms(label: str) -> float:
        match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": ms("50%"),
        "p90": ms("90%"),
        "p99": ms("99%"),
        "non2xx": float(errors.group(1)) if errors else 0.0,
    }


# -- triage and CRM -------------------------------------------------------------------------

TEXTS = [
    "my order never arrived and nobody answers, this is unacceptable",
    "how do I reset my password?",
    "Great keynote by @acme this morning",
    "please DM me the tracking number asap",
    "thinking of buying the pro plan, how much is it",
    "just had lunch with the team",
    "the app keeps crashing since the update!!!",
    "Thanks @acme for the event, lovely crew",
]


def make_messages(path: Path, n: int, accounts: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            message: dict[str, str | int] = {
                "id": str(i),
                "network": "twitter",
                "author": f"user{rng.randrange(accounts * 2)}",  # half of them unknown
                "text": f"{rng.choice(TEXTS)} #{i}",
            }
            if i % 3 == 0:
                message["lifetime_value"] = rng.randrange(10_000)
                message["orders"] = rng.randrange(30)
            fh.write(json.dumps(message) + "\n")


def make_customers(path: Path, n: int, accounts: int) -> None:
    rng = random.Random(11)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id,email,handle_twitter,lifetime_value,orders,customer_since,open_tickets\n")
        for i in range(n):
            handle = f"user{rng.randrange(accounts * 2)}"
            since = date(2010 + rng.randrange(14), 1 + rng.randrange(12), 1).isoformat()
            fh.write(
                f"c{i},c{i}@example.com,{handle},{rng.randrange(20_000)},{rng.randrange(40)},"
                f"{since},{rng.randrange(4)}\n"
            )


def timed(cmd: list[str], *, stdin: Path | None = None, stdout: Path | None = None) -> float:
    started = time.perf_counter()
    with (
        stdin.open("rb") if stdin else open(os.devnull, "rb") as src,
        stdout.open("wb") if stdout else open(os.devnull, "wb") as dst,
    ):
        subprocess.run(cmd, stdin=src, stdout=dst, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, nargs="+", default=[16])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--only", choices=["lookup", "triage", "crm"], default=None)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="sway-bench-api-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / f"bench-{args.accounts}.duckdb"
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    print(f"machine: {machine}; date: {date.today().isoformat()}")
    if not db.exists():
        print(
            f"building a store of {args.accounts:,} accounts: {build_store(db, args.accounts):.1f} s"
        )
    key = make_key(db)

    if args.only in (None, "lookup"):
        server = Server(db)
        print(
            f"server start (index of {args.accounts:,} accounts): {server.startup:.1f} s, "
            f"RSS {rss_mib(server.proc.pid):.0f} MiB"
        )
        try:
            wrk(server.port, key, args.accounts, seconds=3, connections=8, klout=False)  # warm-up
            print("| route | connections | requests/s | p50 ms | p90 ms | p99 ms | non-2xx |")
            print("|---|---|---|---|---|---|---|")
            for klout in (False, True):
                for c in args.connections:
                    r = wrk(
                        server.port,
                        key,
                        args.accounts,
                        seconds=args.seconds,
                        connections=c,
                        klout=klout,
                    )
                    route = (
                        "GET /v2/identity.json/twitter?screenName="
                        if klout
                        else "GET /v1/accounts/lookup?handle="
                    )
                    print(
                        f"| `{route}` | {c} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p90']:.2f} | "
                        f"{r['p99']:.2f} | {r['non2xx']:.0f} |"
                    )
            print(f"server RSS after the load: {rss_mib(server.proc.pid):.0f} MiB")
        finally:
            server.stop()

    if args.only in (None, "triage"):
        messages = work / "messages.jsonl"
        make_messages(messages, args.messages, args.accounts)
        empty = work / "empty.jsonl"
        empty.write_text("")
        for workers in (1, os.cpu_count() or 1):
            cmd = [*SWAY, "--db", str(db), "triage", "--follow", "-", "--workers", str(workers)]
            base = timed(cmd, stdin=empty)
            total = timed(cmd, stdin=messages)
            print(
                f"triage --follow - --workers {workers}: {args.messages:,} messages in "
                f"{total:.1f} s end to end ({args.messages / total:,.0f}/s); start-up "
                f"{base:.1f} s; {args.messages / max(total - base, 1e-9):,.0f} messages/s after it"
            )

    if args.only in (None, "crm"):
        customers = work / "customers.csv"
        make_customers(customers, args.customers, args.accounts)
        out = work / "enriched.csv"
        tiny = work / "tiny.csv"
        tiny.write_text(customers.read_text().splitlines()[0] + "\n")
        base = timed(
            [*SWAY, "--db", str(db), "crm", "enrich", str(tiny), "-o", str(work / "tiny-out.csv")]
        )
        total = timed([*SWAY, "--db", str(db), "crm", "enrich", str(customers), "-o", str(out)])
        print(
            f"crm enrich: {args.customers:,} records in {total:.1f} s end to end; start-up "
            f"(index load) {base:.1f} s; {total - base:.1f} s for the records"
        )


if __name__ == "__main__":
    main()
