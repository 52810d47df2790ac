"""The integrity pass: credibility, collusion and bursts of one window, as input tables for the
scorer.

The scorer reads three relations (see :mod:`sway.scoring.steps`); an account, pair or day not
in them counts fully:

- ``input_credibility`` (``network, account_id, credibility, max_raw``): each reactor's factor
  and the cap on a ramping-in account's own raw influence (NULL: none);
- ``input_pair_discount`` (``network, src, dst, factor``): reactions inside a collusion group,
  towards a group's shared target, or in a boost pod;
- ``input_bursts`` (``network, account_id, event_day, factor``): days on which an account
  received a one-off spike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sway.integrity.bursts import burst_factors
from sway.integrity.collusion import CollusionResult, find_collusion
from sway.integrity.frame import EventFrame, split_key, unique_columns
from sway.integrity.params import IntegrityParams
from sway.integrity.signals import AccountSignals, account_signals

__all__ = [
    "BURST_SCHEMA",
    "CREDIBILITY_SCHEMA",
    "PAIR_SCHEMA",
    "IntegrityReport",
    "compute_integrity",
    "empty_inputs",
]

CREDIBILITY_SCHEMA = pa.schema(
    [
        ("network", pa.string()),
        ("account_id", pa.string()),
        ("credibility", pa.float64()),
        ("max_raw", pa.float64()),
    ]
)
PAIR_SCHEMA = pa.schema(
    [("network", pa.string()), ("src", pa.string()), ("dst", pa.string()), ("factor", pa.float64())]
)
BURST_SCHEMA = pa.schema(
    [
        ("network", pa.string()),
        ("account_id", pa.string()),
        ("event_day", pa.int64()),
        ("factor", pa.float64()),
    ]
)


@dataclass
class IntegrityReport:
    """What the integrity pass found, and the scorer's input tables.

    Attributes
    ----------
    credibility, pairs, bursts
        The input tables (schemas :data:`CREDIBILITY_SCHEMA`, :data:`PAIR_SCHEMA`,
        :data:`BURST_SCHEMA`); only rows that discount something.
    reasons
        ``network:account`` -> why its credibility is below 1.
    groups
        Collusion group name -> ``network:account`` members.
    notes
        ``network:account`` -> what was discounted among the reactions it received (reactors
        by reason, collusion groups by name, burst days), and why it counts less as an
        endorser itself: the lines explanations show.
    """

    credibility: pa.Table
    pairs: pa.Table
    bursts: pa.Table
    reasons: dict[str, list[str]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)

    def inputs(self) -> dict[str, pa.Table]:
        """The scorer's input tables by relation name."""
        return {
            "input_credibility": self.credibility,
            "input_pair_discount": self.pairs,
            "input_bursts": self.bursts,
        }

    def credibility_of(self, network: str, account: str) -> float:
        """Credibility of one account (1.0 when nothing discounts it)."""
        mask = pc.and_(
            pc.equal(self.credibility["network"], network),
            pc.equal(self.credibility["account_id"], account),
        )
        found = self.credibility.filter(mask)
        return float(found["credibility"][0].as_py()) if found.num_rows else 1.0


def empty_inputs() -> dict[str, pa.Table]:
    """The scorer's integrity inputs with no rows: every account counts fully."""
    return {
        "input_credibility": CREDIBILITY_SCHEMA.empty_table(),
        "input_pair_discount": PAIR_SCHEMA.empty_table(),
        "input_bursts": BURST_SCHEMA.empty_table(),
    }


def _epoch_us(value: datetime) -> int:
    return (value.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _label(key: str) -> str:
    network, account = split_key(key)
    return f"{network}:{account}"


def _notes(
    frame: EventFrame,
    signals: AccountSignals,
    collusion: CollusionResult,
    bursts: dict[tuple[int, int], float],
    p: IntegrityParams,
) -> dict[str, list[str]]:
    """Explanation lines per account: its discounted reactors grouped by reason, the collusion
    groups among them, its damped burst days, and its own credibility as an endorser."""
    pairs = unique_columns(frame.actor[frame.named], frame.target[frame.named])
    by_kind: dict[int, Counter[str]] = defaultdict(Counter)
    for src, dst in pairs.T.tolist():
        for kind in dict.fromkeys(signals.kinds.get(src, ())):
            by_kind[dst][kind] += 1
        if (src, dst) in collusion.pair_factor and src in collusion.group_of:
            by_kind[dst][f"inside {collusion.group_of[src]}"] += 1
    burst_days = Counter(target for target, _ in bursts)
    notes: dict[str, list[str]] = {}
    for code in sorted(set(by_kind) | set(burst_days) | set(signals.reasons)):
        lines = []
        for kind, count in sorted(by_kind.get(code, Counter()).items()):
            if kind.startswith("inside "):
                group = kind.removeprefix("inside ")
                size = len(collusion.groups.get(group, ()))
                lines.append(
                    f"{count:,} reactors from collusion group {group} ({size} accounts that "
                    f"mostly react to each other): their reactions here count "
                    f"{p.collusion_discount:g}"
                )
            else:
                lines.append(f"{count:,} reactors discounted for credibility ({kind})")
        if burst_days.get(code):
            lines.append(
                f"{burst_days[code]} burst day(s) (over {p.burst_ratio:g}x the usual reactions) "
                "damped"
            )
        if code in signals.reasons:
            lines.append(
                f"as an endorser this account counts {signals.credibility[code]:.2f}: "
                + "; ".join(signals.reasons[code])
            )
        notes[_label(frame.keys[code])] = lines
    return notes


def compute_integrity(
    events: pa.Table,
    *,
    as_of: datetime,
    window_days: float,
    accounts: pa.Table | None = None,
    history: pa.Table | None = None,
    data_start: datetime | None = None,
    fresh_raw_cap: float | None = None,
    params: IntegrityParams | None = None,
) -> IntegrityReport:
    """Run every integrity signal over the events of one window.

    Parameters
    ----------
    events
        Canonical events of the window ``[as_of - window_days, as_of)`` (``ts`` or ``ts_us``;
        ``text`` and ``value`` used when present). Events outside it are dropped.
    as_of
        End of the window.
    window_days
        Its length (the burst baseline is a mean over it).
    accounts
        The accounts table (``created_at``, ``followers``, ``following``, ``is_bot``), if any.
    history
        First named interaction (reaction given or received) of each account before ``as_of``
        (``network, account_id, first_us``), if known; else the window's own is used.
    data_start
        The first event of the data (default: the first of the window). Accounts first seen
        within ``probation_days`` of it may be any age and are not newcomers.
    fresh_raw_cap
        Raw influence a ``fresh_age_days``-old account may reach (the reference curve's raw
        value for ``fresh_max_score``); None: new accounts are not capped.
    params
        Thresholds (defaults: :class:`IntegrityParams`).
    """
    p = params or IntegrityParams()
    as_of = as_of.astimezone(UTC)
    start = as_of - timedelta(days=window_days)
    if "ts" in events.column_names:
        ts = events["ts"]
        events = events.filter(
            pc.and_(
                pc.greater_equal(ts, pa.scalar(start, ts.type)),
                pc.less(ts, pa.scalar(as_of, ts.type)),
            )
        )
    as_of_us = _epoch_us(as_of)
    frame = EventFrame.from_arrow(events)
    start_us = None if data_start is None else _epoch_us(data_start)
    signals = account_signals(
        frame,
        as_of_us=as_of_us,
        accounts=accounts,
        history=history,
        data_start_us=start_us,
        fresh_raw_cap=fresh_raw_cap,
        params=p,
    )
    collusion = find_collusion(frame, signals, p)
    for pair, factor in signals.pair_factor.items():
        collusion.pair_factor[pair] = min(factor, collusion.pair_factor.get(pair, 1.0))
    bursts = burst_factors(
        frame,
        window_days=window_days,
        credibility=signals.credibility,
        pair_factor=collusion.pair_factor,
        params=p,
    )

    parts = [split_key(k) for k in frame.keys]
    changed = np.flatnonzero((signals.credibility < 1.0) | ~np.isnan(signals.max_raw))
    credibility = pa.table(
        {
            "network": [parts[c][0] for c in changed],
            "account_id": [parts[c][1] for c in changed],
            "credibility": signals.credibility[changed],
            "max_raw": pa.array(signals.max_raw[changed], from_pandas=True),
        },
        schema=CREDIBILITY_SCHEMA,
    )
    pair_items = sorted(collusion.pair_factor.items())
    pairs = pa.table(
        {
            "network": [parts[s][0] for (s, _), _ in pair_items],
            "src": [parts[s][1] for (s, _), _ in pair_items],
            "dst": [parts[d][1] for (_, d), _ in pair_items],
            "factor": [f for _, f in pair_items],
        },
        schema=PAIR_SCHEMA,
    )
    burst_items = sorted(bursts.items())
    burst_table = pa.table(
        {
            "network": [parts[t][0] for (t, _), _ in burst_items],
            "account_id": [parts[t][1] for (t, _), _ in burst_items],
            "event_day": [d for (_, d), _ in burst_items],
            "factor": [f for _, f in burst_items],
        },
        schema=BURST_SCHEMA,
    )
    return IntegrityReport(
        credibility=credibility,
        pairs=pairs,
        bursts=burst_table,
        reasons={_label(frame.keys[c]): r for c, r in sorted(signals.reasons.items())},
        notes=_notes(frame, signals, collusion, bursts, p),
        groups={
            name: [_label(frame.keys[m]) for m in members]
            for name, members in collusion.groups.items()
        },
    )
