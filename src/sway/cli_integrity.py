"""Integrity commands of the ``sway`` CLI: ``attack`` and ``stability``.

Both work on copies: nothing is published and the store is opened read-only. Imported by
:mod:`sway.cli` after its groups exist, so that these commands can join them.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import orjson
import pyarrow as pa

from sway.cli import cli, fail, open_store, out_console
from sway.engines.duckdb import DuckDBEngine
from sway.errors import SwayError
from sway.events import ACCOUNT_SCHEMA, EVENT_SCHEMA, parse_ts
from sway.integrity.attacks import ATTACK_KINDS, inject_attack
from sway.scoring.scorer import InfluenceScorer

__all__ = ["AttackOutcome", "run_attack", "score_table", "volatility"]


def score_table(
    events: pa.Table,
    accounts: pa.Table | None,
    *,
    integrity: bool,
    as_of: datetime | None = None,
) -> dict[tuple[str, str], float]:
    """Scores of every account of an in-memory copy, ``(network, account) -> score``."""
    engine = DuckDBEngine.from_events(events)
    try:
        scorer = InfluenceScorer(integrity=int(integrity)).fit(
            engine, as_of=as_of, accounts=accounts
        )
    finally:
        engine.close()
    rows = scorer.accounts_.select(["network", "account_id", "score"]).to_pylist()
    return {(str(r["network"]), str(r["account_id"])): float(r["score"]) for r in rows}


@dataclass(frozen=True)
class AttackOutcome:
    """The target's score before and after one attack, and how far honest accounts moved."""

    kind: str
    size: int
    integrity: bool
    before: float
    after: float
    honest_mean_move: float
    honest_accounts: int
    #: The highest score among the attacking accounts after the attack (1.0 when none).
    attackers_max: float = 1.0

    @property
    def lift(self) -> float:
        return self.after - self.before


def run_attack(
    events: pa.Table,
    accounts: pa.Table | None,
    *,
    kind: str,
    size: int,
    network: str,
    target: str,
    seed: int = 0,
    integrity: bool = True,
    capture_start: datetime | None = None,
) -> AttackOutcome:
    """Score a copy of the data without and with the attack, at the same ``as_of``
    (``capture_start``: see :func:`inject_attack`)."""
    attack = inject_attack(
        events,
        accounts,
        kind=kind,
        size=size,
        network=network,
        target=target,
        seed=seed,
        capture_start=capture_start,
    )
    end = attack.events.column("ts").to_pylist()
    as_of = max(end).astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    before = score_table(events, accounts, integrity=integrity, as_of=as_of)
    after = score_table(attack.events, attack.accounts, integrity=integrity, as_of=as_of)
    key = (network, target)
    # Honest accounts are those that took no part in the attack: not the attackers, not the
    # target, and not the real accounts an attack has act (the fans of a fresh account).
    acting = attack.events.slice(events.num_rows)["actor"].drop_null().to_pylist()
    skip = {(network, str(a)) for a in (*attack.attackers, *acting)} | {key}
    moves = [abs(after.get(k, 1.0) - v) for k, v in before.items() if k not in skip]
    return AttackOutcome(
        kind=kind,
        size=size,
        integrity=integrity,
        before=before.get(key, 1.0),
        after=after.get(key, 1.0),
        honest_mean_move=statistics.fmean(moves) if moves else 0.0,
        honest_accounts=len(moves),
        attackers_max=max((after.get((network, a), 1.0) for a in attack.attackers), default=1.0),
    )


def volatility(
    events: pa.Table,
    accounts: pa.Table | None,
    *,
    start: datetime,
    end: datetime,
    integrity: bool = True,
) -> dict[str, Any]:
    """Median absolute day-over-day change of steady accounts, scored daily on ``[start, end]``.

    An account is steady when it is scored on every day of the period (active in every
    trailing window). Nothing is published.
    """
    days: list[dict[tuple[str, str], float]] = []
    day = start
    while day <= end:
        days.append(score_table(events, accounts, integrity=integrity, as_of=day))
        day += timedelta(days=1)
    steady = set.intersection(*(set(d) for d in days)) if days else set()
    changes = [abs(b[k] - a[k]) for a, b in itertools.pairwise(days) for k in steady]
    return {
        "days": len(days),
        "steady_accounts": len(steady),
        "median_change": statistics.median(changes) if changes else 0.0,
        "p90_change": statistics.quantiles(changes, n=10)[-1] if len(changes) > 1 else 0.0,
        "integrity": integrity,
    }


def _load(ctx: click.Context) -> tuple[pa.Table, pa.Table | None]:
    with open_store(ctx, read_only=True) as store:
        events = store.con.sql(
            f"SELECT {', '.join(EVENT_SCHEMA.names)} FROM events"
        ).to_arrow_table()
        accounts = store.con.sql(
            f"SELECT {', '.join(ACCOUNT_SCHEMA.names)} FROM accounts"
        ).to_arrow_table()
    return events.cast(EVENT_SCHEMA), accounts.cast(ACCOUNT_SCHEMA) if accounts.num_rows else None


@cli.command()
@click.option("--kind", required=True, type=click.Choice(ATTACK_KINDS))
@click.option("--size", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--target", required=True, metavar="NETWORK:ACCOUNT")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def attack(ctx: click.Context, kind: str, size: int, target: str, seed: int, as_json: bool) -> None:
    """Inject a reproducible synthetic attack into a copy of the data and report the target's
    score before and after (integrity on and off) and how far honest accounts moved."""
    network, sep, account = target.partition(":")
    if not sep or not account:
        fail(f"expected NETWORK:ACCOUNT, found {target!r}")
    events, accounts = _load(ctx)
    try:
        results = [
            run_attack(
                events,
                accounts,
                kind=kind,
                size=size,
                network=network,
                target=account,
                seed=seed,
                integrity=on,
            )
            for on in (True, False)
        ]
    except SwayError as exc:
        fail(str(exc))
    if as_json:
        rows = [{**r.__dict__, "lift": r.lift} for r in results]
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    for r in results:
        label = "integrity on " if r.integrity else "integrity off"
        out_console.print(
            f"{label}: {kind} x{size} on {target}: {r.before:.1f} -> {r.after:.1f} "
            f"({r.lift:+.1f}); honest accounts moved {r.honest_mean_move:.3f} on average "
            f"({r.honest_accounts:,} accounts)"
        )


@cli.command()
@click.option("--from", "start", required=True, help="First day scored (ISO 8601).")
@click.option("--to", "end", required=True, help="Last day scored (ISO 8601).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stability(ctx: click.Context, start: str, end: str, as_json: bool) -> None:
    """Volatility: median absolute day-over-day change of steady accounts scored daily
    (integrity on and off); nothing is published."""
    try:
        first, last = parse_ts(start), parse_ts(end)
    except ValueError as exc:
        fail(str(exc))
    if last < first:
        fail("--to is before --from")
    events, accounts = _load(ctx)
    try:
        results = [
            volatility(events, accounts, start=first, end=last, integrity=on)
            for on in (True, False)
        ]
    except SwayError as exc:
        fail(str(exc))
    if as_json:
        click.echo(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())
        return
    for r in results:
        label = "integrity on " if r["integrity"] else "integrity off"
        out_console.print(
            f"{label}: {r['days']} days, {r['steady_accounts']:,} steady accounts: median "
            f"day-over-day change {r['median_change']:.3f}, 90th percentile {r['p90_change']:.3f}"
        )
