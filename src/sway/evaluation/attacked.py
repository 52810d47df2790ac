"""Evaluation under attack: the same protocol on a copy of the data with attacks injected.

``targets`` accounts, drawn (seeded) from the candidates whose future engagement is at or below
the median (accounts an attacker would want to lift: ones the future does not bear out), are
each attacked by ``size`` accounts of one family of :mod:`sway.integrity.attacks`, all of it
before the split. The copy is a store of its own; the protocol then runs on it unchanged, so
the scorer and every baseline see the attacked data, and the truth after the split is the
honest one (nothing is injected after it). A score that resists the attack keeps its ranking
quality; a count that does not ranks the targets (and the attackers that other attackers
react to) among the best.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from sway.errors import ConfigError
from sway.evaluation.baselines import candidates, truth_values
from sway.events import ACCOUNT_SCHEMA, EVENT_SCHEMA
from sway.integrity.attacks import inject_attack
from sway.store.db import Store

__all__ = ["attack_targets", "write_attacked_copy"]


def attack_targets(
    store: Store,
    *,
    network: str,
    start: datetime,
    split: datetime,
    horizon: timedelta,
    count: int,
    seed: int,
) -> list[str]:
    """``count`` candidates whose future distinct reactors are at or below the median, drawn
    with ``seed`` (sorted, so the same arguments give the same targets)."""
    keys = candidates(store, network=network, start=start, split=split)
    if not keys:
        raise ConfigError(f"{network}: no candidates to attack before {split.isoformat()}")
    truth = truth_values(
        store, keys, network=network, split=split, horizon=horizon, target="distinct-reactors"
    )
    pool = [k for k, t in zip(keys, truth, strict=True) if t <= float(np.median(truth))]
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(pool), size=min(count, len(pool)), replace=False)
    return sorted(pool[int(i)] for i in chosen)


def write_attacked_copy(
    store: Store,
    path: Path,
    *,
    network: str,
    split: datetime,
    family: str,
    size: int,
    targets: list[str],
    seed: int = 0,
) -> int:
    """Write into a new store at ``path`` the events and accounts of ``network`` with one
    ``family`` attack of ``size`` accounts for each of ``targets``, every attack ending just
    before ``split``. Returns the number of events added."""
    columns = ", ".join(EVENT_SCHEMA.names)
    params = {"network": network, "split": split}
    before = store.con.sql(
        f"SELECT {columns} FROM events WHERE network = $network AND ts < $split", params=params
    ).to_arrow_table()
    after = store.con.sql(
        f"SELECT {columns} FROM events WHERE network = $network AND ts >= $split", params=params
    ).to_arrow_table()
    accounts = store.con.sql(
        f"SELECT {', '.join(ACCOUNT_SCHEMA.names)} FROM accounts WHERE network = $network",
        params={"network": network},
    ).to_arrow_table()
    events = before.cast(EVENT_SCHEMA)
    known: pa.Table | None = accounts.cast(ACCOUNT_SCHEMA) if accounts.num_rows else None
    added = 0
    for n, target in enumerate(targets):
        attack = inject_attack(
            events, known, kind=family, size=size, network=network, target=target, seed=seed + n
        )
        events, known, added = attack.events, attack.accounts, added + attack.added
    with Store.open(path) as copy:
        con = copy.con
        con.register("attacked_events", pa.concat_tables([events, after.cast(EVENT_SCHEMA)]))
        con.execute(f"INSERT INTO events ({columns}, ingest_id) SELECT *, 0 FROM attacked_events")
        if known is not None and known.num_rows:
            # One row per account, the original's where an attack also named it.
            con.register("attacked_accounts", known)
            names = ", ".join(ACCOUNT_SCHEMA.names)
            con.execute(
                f"INSERT INTO accounts ({names}, updated_at) SELECT {names}, now() FROM "
                "(SELECT *, row_number() OVER (PARTITION BY network, account_id) AS n "
                "FROM attacked_accounts) WHERE n = 1"
            )
    return added
