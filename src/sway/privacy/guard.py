"""Keep tombstoned accounts and minors out of an ingest, before anything is stored.

Called by the ingest inside its transaction, on the spooled Parquet files. When the store has
no tombstone and the input declares no minor, it does nothing and the ingest reads the spool
files directly (the common, fast case). Otherwise the input is staged in temporary tables,
minors are tombstoned (and erased, if already stored), and every tombstoned account is
scrubbed from the staged events and accounts by the same rules as an erasure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sway.privacy.forget import _party, erase_parties
from sway.privacy.minors import minor_age
from sway.privacy.scrub import ScrubCounts, scrub_events
from sway.privacy.tombstones import Party, add_tombstones, salt, tombstone_count
from sway.store.db import Store
from sway.store.people import AccountRef

__all__ = ["GuardedInput", "guard_ingest"]

#: Tokens in texts that may be a handle: ``@name``, ``@name@host`` (Mastodon), ``u/name``.
_HANDLE_TOKENS = (
    r"(?:^|[^A-Za-z0-9_])[@]([A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+)",
    r"(?:^|[^A-Za-z0-9_])(?:@|u/)([A-Za-z0-9_.-]+)",
)
#: Whether ``value`` of ``network`` is tombstoned (the digest of :mod:`tombstones`, in SQL).
_TOMBSTONED = "sha256($salt || '|' || network || '|' || value) IN (SELECT digest FROM tombstones)"


@dataclass(frozen=True)
class GuardedInput:
    """Where the ingest reads the events and accounts to merge from (a relation of the
    ingest's statement: the spool files, bound as ``$events`` and ``$accounts``, or the staged
    tables), and what was kept out."""

    events: str
    accounts: str
    minors: int = 0
    scrubbed: ScrubCounts = field(default_factory=ScrubCounts)


def guard_ingest(store: Store, *, events: Path, accounts: Path) -> GuardedInput:
    """Stage and scrub the spooled input if needed (inside the caller's transaction)."""
    direct = GuardedInput(events="read_parquet($events)", accounts="read_parquet($accounts)")
    minors = _minors(store, accounts)
    if not minors and not tombstone_count(store):
        return direct
    key = salt(store)
    if minors:
        found = (_party(store, AccountRef(m.network, m.account_id)) for m in minors)
        already = [p for p in found if p is not None]
        if already:
            erase_parties(store, already, requested_by="ingest", reason="minor")
        add_tombstones(store, minors, reason="minor")
    con = store.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _staged_events AS SELECT * FROM read_parquet(?)",
        [str(events)],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _staged_accounts AS SELECT * FROM read_parquet(?)",
        [str(accounts)],
    )
    params = {"salt": key}
    ids = {
        (str(n), str(v))
        for n, v in store.rows(
            f"""
            SELECT DISTINCT network, value FROM (
                SELECT network, actor AS value FROM _staged_events
                UNION SELECT network, target FROM _staged_events
                UNION SELECT network, account_id FROM _staged_accounts
            ) WHERE value IS NOT NULL AND {_TOMBSTONED}
            """,
            params,
        )
    }
    token_sql = " UNION ".join(
        "SELECT network, lower(unnest(regexp_extract_all(text, "
        f"$pattern{i}, 1))) AS value FROM _staged_events WHERE text IS NOT NULL"
        for i in range(len(_HANDLE_TOKENS))
    )
    handles = {
        (str(n), str(v))
        for n, v in store.rows(
            f"""
            SELECT DISTINCT network, value FROM (
                SELECT network, lower(ltrim(handle, '@')) AS value FROM _staged_accounts
                UNION {token_sql}
            ) WHERE value IS NOT NULL AND {_TOMBSTONED}
            """,
            {**params, **{f"pattern{i}": p for i, p in enumerate(_HANDLE_TOKENS)}},
        )
    }
    # An account known here by a tombstoned handle is that account; an account tombstoned by
    # id takes its handles along.
    for n, a, h in store.rows(
        "SELECT network, account_id, lower(ltrim(handle, '@')) FROM _staged_accounts"
    ):
        if (str(n), str(h)) in handles:
            ids.add((str(n), str(a)))
        if (str(n), str(a)) in ids and h:
            handles.add((str(n), str(h)))
    if ids:
        con.execute("CREATE OR REPLACE TEMP TABLE _kept_out (network VARCHAR, account_id VARCHAR)")
        con.executemany("INSERT INTO _kept_out VALUES (?, ?)", [list(i) for i in sorted(ids)])
        con.execute(
            "DELETE FROM _staged_accounts s USING _kept_out k "
            "WHERE s.network = k.network AND s.account_id = k.account_id"
        )
        con.execute("DROP TABLE _kept_out")
    scrubbed = scrub_events(store, "_staged_events", salt=key, ids=ids, handles=handles)
    return GuardedInput(
        events="_staged_events", accounts="_staged_accounts", minors=len(minors), scrubbed=scrubbed
    )


def _minors(store: Store, accounts: Path) -> list[Party]:
    rows = store.rows(
        """
        SELECT network, account_id,
               list(DISTINCT lower(ltrim(handle, '@'))) FILTER (WHERE handle IS NOT NULL)
        FROM read_parquet(?)
        WHERE coalesce(is_minor, FALSE)
           OR birth_date > current_date - to_years(CAST(? AS INTEGER))
        GROUP BY network, account_id
        """,
        [str(accounts), minor_age(store)],
    )
    return [Party(str(n), str(a), frozenset(str(h) for h in (hs or []))) for n, a, hs in rows]
