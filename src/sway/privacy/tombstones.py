"""Tombstones: salted digests of erased (or under-age) accounts, so no ingest brings them back.

A tombstone is ``sha256(salt | network | value)`` in hex, where ``value`` is
an account id (``kind = 'id'``; ``|`` is a literal bar, which no network name contains) or a folded handle (``kind = 'handle'``: lower case, without a
leading ``@``). The salt is a 256-bit random secret made once per store, on the first write that
needs it, and kept in the store's ``settings`` table under ``privacy.salt``: a digest copied out
of one store cannot be matched against another store or against a list of known handles
without that store's salt.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sway.store.db import Store

__all__ = [
    "KLOUT",
    "SALT_KEY",
    "Party",
    "add_tombstones",
    "digest",
    "fold_handle",
    "salt",
    "tombstone_count",
]

SALT_KEY = "privacy.salt"
#: The tombstone network of Klout-style ids (``/v2/user.json/{klout_id}``), which name an
#: account or a person without naming its network.
KLOUT = "klout"


def fold_handle(handle: str) -> str:
    """A handle as tombstones and matching see it: trimmed, without ``@``, lower case."""
    return handle.strip().lstrip("@").lower()


def salt(store: Store) -> str:
    """The store's tombstone salt, created on first use (inside the caller's transaction)."""
    found = store.scalar("SELECT value FROM settings WHERE key = ?", [SALT_KEY])
    if found is not None:
        return str(found)
    if store.read_only:
        # A read-only store without a salt has no tombstones either; nothing can match.
        return ""
    store.con.execute(
        "INSERT INTO settings VALUES (?, ?) ON CONFLICT DO NOTHING",
        [SALT_KEY, secrets.token_hex(32)],
    )
    return str(store.scalar("SELECT value FROM settings WHERE key = ?", [SALT_KEY]))


def digest(store_salt: str, network: str, value: str) -> str:
    """The tombstone digest of one id or folded handle (the same as the SQL in :mod:`scrub`)."""
    return hashlib.sha256(f"{store_salt}|{network}|{value}".encode()).hexdigest()


@dataclass(frozen=True)
class Party:
    """One account being erased or kept out: its id and the handles it is known by."""

    network: str
    account_id: str
    handles: frozenset[str] = frozenset()

    @property
    def ref(self) -> str:
        return f"{self.network}:{self.account_id}"


def add_tombstones(
    store: Store, parties: Iterable[Party], *, reason: str, klout_ids: Iterable[str] = ()
) -> int:
    """Tombstone each party's id and handles, and the Klout-style ids ``klout_ids`` (network
    ``klout``), inside the caller's transaction. Returns how many digests were new."""
    key = salt(store)
    rows = []
    for party in parties:
        rows.append((party.network, party.account_id, "id"))
        rows.extend((party.network, h, "handle") for h in party.handles if h)
    rows.extend((KLOUT, k, "klout") for k in klout_ids)
    before = tombstone_count(store)
    for network, value, kind in rows:
        store.con.execute(
            "INSERT INTO tombstones (digest, erased_at, reason, kind, network) "
            "VALUES (?, now(), ?, ?, ?) ON CONFLICT DO NOTHING",
            [digest(key, network, value), reason, kind, network],
        )
    return tombstone_count(store) - before


def tombstone_count(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM tombstones"))
