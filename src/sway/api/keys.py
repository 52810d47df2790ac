"""API keys: created, listed and revoked in the store; checked by the server.

A key looks like ``sway_<key_id>_<secret>``: ``key_id`` (8 lower-case letters and digits) is
public and names the row; the whole key is a 256-bit random secret of which only the SHA-256
is stored (:func:`hash_key`). A key is shown once, when created.

Scopes say what a key may do (see ``docs/api.md`` for the route table):

- ``read``: look up scores, profiles, history, explanations, leaderboards, search; the Klout
  routes;
- ``crm``: CRM enrichment and triage (they read scores too);
- ``write``: ingest events;
- ``admin``: everything, and managing keys, reading usage and the audit log over the API;
- ``self``: a key made for one person (``person_id``): their own scores, visibility, export
  and erasure (``/v1/privacy/people/{person_id}``), for that person only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sway.errors import ConfigError
from sway.ids import check_person_id
from sway.privacy.audit import record as audit
from sway.store.db import Store
from sway.store.queries import api_key_rows

__all__ = [
    "SCOPES",
    "ApiKey",
    "NewKey",
    "audit",
    "check_secret",
    "create_key",
    "hash_key",
    "list_keys",
    "parse_key",
    "revoke_key",
]

SCOPES: tuple[str, ...] = ("read", "crm", "write", "admin", "self")
_KEY_RE = re.compile(r"^sway_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$")
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class ApiKey:
    """A stored key (without its secret)."""

    key_id: str
    name: str
    secret_sha256: str
    scopes: frozenset[str]
    rate_per_second: float | None
    rate_per_day: int | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    #: The person a ``self`` key belongs to.
    person_id: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "scopes": sorted(self.scopes),
            "rate_per_second": self.rate_per_second,
            "rate_per_day": self.rate_per_day,
            "created_at": self.created_at.isoformat(),
            "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat(),
            "last_used_at": None if self.last_used_at is None else self.last_used_at.isoformat(),
            "person_id": self.person_id,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ApiKey:
        return cls(
            key_id=row["key_id"],
            name=row["name"],
            secret_sha256=row["secret_sha256"],
            scopes=frozenset(row["scopes"]),
            rate_per_second=row["rate_per_second"],
            rate_per_day=row["rate_per_day"],
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
            last_used_at=row["last_used_at"],
            person_id=row.get("person_id"),
        )


@dataclass(frozen=True)
class NewKey:
    """A key just created: ``secret`` is the full key, shown this once."""

    key: ApiKey
    secret: str


def hash_key(secret: str) -> str:
    """SHA-256 of the whole key, hex. Keys are 256-bit random, so no stretching is needed."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_key(secret: str) -> str | None:
    """The key id of a well-formed key, else ``None``."""
    match = _KEY_RE.match(secret)
    return match.group(1) if match else None


def check_secret(key: ApiKey, secret: str) -> bool:
    """Whether ``secret`` is this key (constant-time comparison of the hashes)."""
    return hmac.compare_digest(key.secret_sha256, hash_key(secret))


def _scopes(scopes: Iterable[str]) -> list[str]:
    chosen = sorted(set(scopes))
    if not chosen:
        raise ConfigError(f"give at least one scope ({', '.join(SCOPES)})")
    bad = [s for s in chosen if s not in SCOPES]
    if bad:
        raise ConfigError(f"unknown scope {bad[0]!r} (scopes: {', '.join(SCOPES)})")
    return chosen


def create_key(
    store: Store,
    *,
    name: str,
    scopes: Iterable[str],
    rate_per_second: float | None = None,
    rate_per_day: int | None = None,
    person_id: str | None = None,
    actor: str = "cli",
) -> NewKey:
    """Create a key in one transaction (with its audit entry) and return it with its secret.

    A key with ``person_id`` is that person's own key: its only scope is ``self``; the id
    must be a valid person id (:func:`sway.ids.check_person_id`), else a
    :class:`~sway.errors.ConfigError` and nothing is created.
    """
    if not name.strip():
        raise ConfigError("give the key a --name")
    chosen = _scopes(scopes)
    if person_id is not None:
        check_person_id(person_id)  # before anything is written: a bad id creates nothing
    if (person_id is not None) != ("self" in chosen) or (person_id and chosen != ["self"]):
        raise ConfigError("a person's own key has the scope 'self' alone, and only it has")
    if rate_per_second is not None and not rate_per_second > 0:
        raise ConfigError(f"rate per second: expected > 0, found {rate_per_second!r}")
    if rate_per_day is not None and rate_per_day <= 0:
        raise ConfigError(f"rate per day: expected > 0, found {rate_per_day!r}")
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        while True:
            key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))
            if not store.scalar("SELECT count(*) FROM api_keys WHERE key_id = ?", [key_id]):
                break
        secret = f"sway_{key_id}_{secrets.token_urlsafe(32)}"
        con.execute(
            "INSERT INTO api_keys (key_id, name, secret_sha256, scopes, rate_per_second, "
            "rate_per_day, created_at, person_id) VALUES (?, ?, ?, ?, ?, ?, now(), ?)",
            [
                key_id,
                name.strip(),
                hash_key(secret),
                chosen,
                rate_per_second,
                rate_per_day,
                person_id,
            ],
        )
        detail = {"name": name, **({"person": person_id} if person_id else {})}
        audit(store, actor=actor, action="apikey.create", subject=key_id, detail=detail)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    key = next(k for k in list_keys(store) if k.key_id == key_id)
    return NewKey(key=key, secret=secret)


def list_keys(store: Store, *, include_revoked: bool = True) -> list[ApiKey]:
    """Keys, newest first."""
    return [ApiKey.from_row(r) for r in api_key_rows(store, include_revoked=include_revoked)]


def revoke_key(store: Store, key_id: str, *, actor: str = "cli") -> ApiKey:
    """Revoke a key (it stops working at the server's next refresh); an error if unknown."""
    found = [k for k in list_keys(store) if k.key_id == key_id]
    if not found:
        raise ConfigError(f"no API key {key_id!r}; see `sway apikey list`")
    if found[0].revoked_at is not None:
        return found[0]
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("UPDATE api_keys SET revoked_at = now() WHERE key_id = ?", [key_id])
        audit(store, actor=actor, action="apikey.revoke", subject=key_id)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return next(k for k in list_keys(store) if k.key_id == key_id)
