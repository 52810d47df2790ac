"""People and their accounts: a person owns many accounts; an account may be shared.

Every account is its own person until linked, with the implicit person id
``network:account_id``. Only explicit links are stored.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sway.errors import ConfigError, SourceError
from sway.ids import check_person_id
from sway.store.db import Store

__all__ = [
    "AccountRef",
    "LinkSuggestion",
    "account_known",
    "import_mapping",
    "link",
    "linked_people",
    "networks",
    "parse_account_ref",
    "person_accounts",
    "suggest_links",
    "unknown_account",
    "unlink",
]


@dataclass(frozen=True)
class AccountRef:
    network: str
    account_id: str

    def __str__(self) -> str:
        return f"{self.network}:{self.account_id}"


def parse_account_ref(text: str) -> AccountRef:
    """``network:account`` → :class:`AccountRef` (the account part may itself contain colons)."""
    network, sep, account = text.partition(":")
    if not sep or not network or not account:
        raise ConfigError(f"expected NETWORK:ACCOUNT (e.g. twitter:jack), found {text!r}")
    return AccountRef(network.strip().lower(), account.strip())


def networks(store: Store) -> list[str]:
    """Every network the store has accounts or events of, by name."""
    return [
        str(n)
        for (n,) in store.rows(
            "SELECT network FROM accounts UNION SELECT network FROM events ORDER BY 1"
        )
    ]


def account_known(store: Store, ref: AccountRef) -> bool:
    """Whether the store knows the account ``ref`` names by its account id: it has a profile,
    or some event names it as actor or target."""
    return bool(
        store.scalar(
            "SELECT (SELECT count(*) FROM accounts WHERE network = $n AND account_id = $a) "
            "+ (SELECT count(*) FROM events WHERE network = $n AND (actor = $a OR target = $a))",
            {"n": ref.network, "a": ref.account_id},
        )
    )


def unknown_account(store: Store, ref: AccountRef) -> str | None:
    """``None`` when the store knows ``ref``; else why not, in words: its network is not in
    the store (the networks it has are named), or no account of that network has this id."""
    if account_known(store, ref):
        return None
    known = networks(store)
    if ref.network not in known:
        return (
            f"no network {ref.network!r} in this store (it has "
            f"{', '.join(known) if known else 'none yet'}): NETWORK:ACCOUNT starts with one of them"
        )
    return f"no account {ref} in this store"


def link(store: Store, person_id: str, accounts: Iterable[AccountRef]) -> int:
    """Say that ``accounts`` belong to ``person_id`` (created if new). Returns links added."""
    check_person_id(person_id)
    refs = list(accounts)
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO people VALUES (?, NULL, now()) ON CONFLICT DO NOTHING", [person_id]
        )
        before = store.scalar(
            "SELECT count(*) FROM person_accounts WHERE person_id = ?", [person_id]
        )
        for ref in refs:
            con.execute(
                "INSERT INTO person_accounts VALUES (?, ?, ?, now()) ON CONFLICT DO NOTHING",
                [person_id, ref.network, ref.account_id],
            )
        after = store.scalar(
            "SELECT count(*) FROM person_accounts WHERE person_id = ?", [person_id]
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return int(after) - int(before)


def unlink(store: Store, person_id: str, accounts: Iterable[AccountRef]) -> int:
    """Remove links; a person left with no account is removed too. Returns links removed."""
    removed = 0
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        for ref in accounts:
            removed += int(
                store.scalar(
                    "SELECT count(*) FROM person_accounts "
                    "WHERE person_id = ? AND network = ? AND account_id = ?",
                    [person_id, ref.network, ref.account_id],
                )
            )
            con.execute(
                "DELETE FROM person_accounts WHERE person_id = ? AND network = ? AND account_id = ?",
                [person_id, ref.network, ref.account_id],
            )
        con.execute(
            "DELETE FROM people WHERE person_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM person_accounts WHERE person_id = ?)",
            [person_id, person_id],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return removed


def import_mapping(store: Store, path: Path) -> int:
    """Apply a ``person,network,account`` CSV in one transaction. Returns links added."""
    rows: list[tuple[str, AccountRef]] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = {"person", "network", "account"} - set(reader.fieldnames or [])
            if missing:
                raise SourceError(
                    f"missing column {sorted(missing)[0]!r}; expected person,network,account",
                    path=path,
                    line=1,
                    field="header",
                )
            for row in reader:
                for field in ("person", "network", "account"):
                    if not (row.get(field) or "").strip():
                        raise SourceError(
                            "expected a value, found nothing",
                            path=path,
                            line=reader.line_num,
                            field=field,
                        )
                try:
                    check_person_id(row["person"].strip())
                except ConfigError as exc:
                    raise SourceError(
                        str(exc), path=path, line=reader.line_num, field="person"
                    ) from None
                rows.append(
                    (
                        row["person"].strip(),
                        AccountRef(row["network"].strip().lower(), row["account"].strip()),
                    )
                )
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", path=path) from None
    con = store.con
    before = int(store.scalar("SELECT count(*) FROM person_accounts"))
    con.execute("BEGIN TRANSACTION")
    try:
        for person, ref in rows:
            con.execute(
                "INSERT INTO people VALUES (?, NULL, now()) ON CONFLICT DO NOTHING", [person]
            )
            con.execute(
                "INSERT INTO person_accounts VALUES (?, ?, ?, now()) ON CONFLICT DO NOTHING",
                [person, ref.network, ref.account_id],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return int(store.scalar("SELECT count(*) FROM person_accounts")) - before


def linked_people(store: Store) -> list[tuple[str, list[AccountRef]]]:
    """Every explicit person with their linked accounts, by person id."""
    people: dict[str, list[AccountRef]] = {}
    for person, network, account in store.rows(
        "SELECT person_id, network, account_id FROM person_accounts "
        "ORDER BY person_id, network, account_id"
    ):
        people.setdefault(str(person), []).append(AccountRef(str(network), str(account)))
    return list(people.items())


def person_accounts(store: Store) -> list[tuple[str, str, str]]:
    """``(person_id, network, account_id)`` for every account, linked or implicit."""
    return [
        (str(p), str(n), str(a))
        for p, n, a in store.rows(
            """
            SELECT person_id, network, account_id FROM person_accounts
            UNION ALL
            SELECT a.network || ':' || a.account_id, a.network, a.account_id FROM accounts a
            WHERE NOT EXISTS (SELECT 1 FROM person_accounts p
                              WHERE p.network = a.network AND p.account_id = a.account_id)
            ORDER BY 1, 2, 3
            """
        )
    ]


@dataclass(frozen=True)
class LinkSuggestion:
    """Accounts on different networks that look like one person; never applied by itself."""

    reason: str
    key: str
    accounts: tuple[AccountRef, ...]


def suggest_links(store: Store, *, limit: int = 100) -> list[LinkSuggestion]:
    """Accounts on two or more networks sharing a handle or a display name (case-insensitive)."""
    found: list[LinkSuggestion] = []
    for reason, column in (("same handle", "handle"), ("same display name", "display_name")):
        rows = store.rows(
            f"""
            SELECT lower(trim({column})) AS k,
                   list(DISTINCT network || ':' || account_id ORDER BY network || ':' || account_id)
            FROM accounts
            WHERE {column} IS NOT NULL AND length(trim({column})) >= 3
              AND NOT EXISTS (SELECT 1 FROM person_accounts p
                              WHERE p.network = accounts.network
                                AND p.account_id = accounts.account_id)
            GROUP BY k HAVING count(DISTINCT network) >= 2
            ORDER BY k LIMIT ?
            """,
            [limit],
        )
        for key, refs in rows:
            found.append(
                LinkSuggestion(reason, str(key), tuple(parse_account_ref(r) for r in refs))
            )
    return found[:limit]
