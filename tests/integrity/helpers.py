"""Tiny hand-built and seeded data sets for the integrity tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from sway.events import EVENT_SCHEMA

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def table(rows: list[dict[str, object]]) -> pa.Table:
    """Events in ``EVENT_SCHEMA`` (network defaults to ``x``)."""
    full = [
        {"network": "x", **r, "event_id": r.get("event_id", f"e{i}")} for i, r in enumerate(rows)
    ]
    return pa.Table.from_pylist(full, schema=EVENT_SCHEMA)


def community(seed: int = 1, accounts: int = 40, days: int = 60) -> pa.Table:
    """A seeded honest community: everyone posts now and then, and likes or replies to a few
    posts of others each day, with a skew towards a few popular accounts."""
    rng = np.random.default_rng(seed)
    names = [f"u{i}" for i in range(accounts)]
    popularity = 1.0 / np.arange(1, accounts + 1)
    popularity /= popularity.sum()
    rows: list[dict[str, object]] = []
    posts: list[tuple[str, str]] = []
    for d in range(days):
        for name in names:
            if rng.random() < 0.3:
                pid = f"{name}-{d}"
                at = T0 + timedelta(days=d, hours=float(rng.uniform(0, 23)))
                rows.append({"ts": at, "actor": name, "action": "post", "content_id": pid})
                posts.append((name, pid))
        for name in names:
            for _ in range(int(rng.integers(0, 3))):
                author = names[int(rng.choice(accounts, p=popularity))]
                own = [p for a, p in posts[-200:] if a == author]
                if author == name or not own:
                    continue
                pid = own[-1]
                at = T0 + timedelta(days=d, hours=float(rng.uniform(0, 23.9)))
                action = "like" if rng.random() < 0.7 else "reply"
                row: dict[str, object] = {
                    "ts": at,
                    "actor": name,
                    "action": action,
                    "target": author,
                }
                if action == "like":
                    row["content_id"] = pid
                else:
                    row["parent_id"] = pid
                    row["content_id"] = f"{name}-re-{len(rows)}"
                rows.append(row)
    return table(rows)
