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

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sway.integrity.bursts import burst_factors
from sway.integrity.collusion import find_collusion
from sway.integrity.frame import EventFrame, split_key
from sway.integrity.params import IntegrityParams
from sway.integrity.signals import account_signals

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
    """

    credibility: pa.Table
    pairs: pa.Table
    bursts: pa.Table
    reasons: dict[str, list[str]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)

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


def _label(key: str) -> str:
    network, account = split_key(key)
    return f"{network}:{account}"


def compute_integrity(
    events: pa.Table,
    *,
    as_of: datetime,
    window_days: float,
    accounts: pa.Table | None = None,
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
    as_of_us = (as_of - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    frame = EventFrame.from_arrow(events)
    signals = account_signals(frame, as_of_us=as_of_us, accounts=accounts, params=p)
    collusion = find_collusion(frame, signals, p)
    bursts = burst_factors(frame, window_days=window_days, params=p)

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
        groups={
            name: [_label(frame.keys[m]) for m in members]
            for name, members in collusion.groups.items()
        },
    )
