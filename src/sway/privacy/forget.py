"""Erasure: remove a person or an account from every table, in one transaction, for good.

What goes (see ``docs/privacy.md``): the accounts and their profile data, person links, every
score, sub-score, explanation row and history entry of every run (published runs are otherwise
never changed; each erasure is recorded in ``erasures`` with the runs it touched), topics and
the topics of every item they wrote, endorsements given and received, corrections, visibility
settings, the person's own API keys (revoked), and their identity in every event
(:mod:`sway.privacy.scrub`). Audit entries naming them in any form (:mod:`sway.privacy.leftovers`)
keep only a salted digest of their subject and lose their detail. Then the file is rewritten (:meth:`Store.rewrite`) so no
erased byte is left in the DuckDB file or its WAL, and tombstones keep any later ingest from
bringing them back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sway.errors import ConfigError
from sway.privacy.audit import drain_journal, record
from sway.privacy.leftovers import scrub_audit, scrub_derived_ids, scrub_withdrawals
from sway.privacy.scrub import ScrubCounts, scrub_events
from sway.privacy.tombstones import Party, add_tombstones, digest, fold_handle, salt
from sway.store.db import REWRITE_KEY, Store
from sway.store.people import AccountRef, account_known, parse_account_ref
from sway.store.queries import klout_id
from sway.store.spool import remove_spools
from sway.words import plural

__all__ = [
    "ERASED",
    "ForgetReport",
    "erase_parties",
    "forget",
    "plan_forget",
    "resolve_person",
]

#: What an erased reactor is shown as in other accounts' explanations.
ERASED = "[erased]"

#: Tables keyed by (network, account_id) whose rows about an erased account are deleted.
_ACCOUNT_TABLES = (
    "accounts",
    "person_accounts",
    "scores",
    "score_details",
    "run_person_accounts",
    "score_top_reactors",
    "score_top_posts",
    "account_topics",
    "topic_evidence_posts",
    "topic_evidence_reactors",
    "account_topic_volume",
    "topic_sentiment",
    # By author: the topics of every item the account wrote.
    "post_topics",
)
#: Tables keyed by person_id whose rows about an erased person are deleted.
_PERSON_TABLES = (
    "people",
    "person_accounts",
    "person_scores",
    "person_network_scores",
    "run_person_accounts",
    "person_topics",
)
#: Tables naming an erased account as someone else's reactor: the name is replaced.
_REACTOR_TABLES = ("score_top_reactors", "topic_evidence_reactors")


@dataclass(frozen=True)
class ForgetReport:
    """What one erasure did (counts only: the report itself names no one)."""

    accounts: int
    people: int
    runs: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)
    erasure_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "erasure_id": self.erasure_id,
            "accounts": self.accounts,
            "people": self.people,
            "runs": list(self.runs),
            "counts": dict(self.counts),
        }

    def line(self) -> str:
        changed = sum(self.counts.values())
        return (
            f"erased {plural(self.accounts, 'account')} and "
            f"{plural(self.people, 'person record')}: {plural(changed, 'row')} removed or "
            f"anonymised across {plural(len(self.runs), 'run')}"
        )


def resolve_person(store: Store, person_id: str) -> list[AccountRef]:
    """The accounts of ``person_id``: its explicit links, or the account of an implicit
    ``network:account`` person. A :class:`ConfigError` when there is no such person."""
    linked = store.rows(
        "SELECT network, account_id FROM person_accounts WHERE person_id = ? ORDER BY 1, 2",
        [person_id],
    )
    if linked:
        return [AccountRef(str(n), str(a)) for n, a in linked]
    exists = store.scalar("SELECT count(*) FROM people WHERE person_id = ?", [person_id])
    if exists:
        return []
    if ":" in person_id:
        ref = parse_account_ref(person_id)
        if account_known(store, ref):
            return [ref]
    raise ConfigError(f"no person {person_id!r}; see `sway people list`")


def _party(store: Store, ref: AccountRef) -> Party | None:
    """The stored account ``ref`` names (by id, or by handle), with every handle it has had."""
    rows = store.rows(
        "SELECT account_id, handle FROM accounts WHERE network = ? "
        "AND (account_id = ? OR lower(ltrim(handle, '@')) = ?)",
        [ref.network, ref.account_id, fold_handle(ref.account_id)],
    )
    if rows:
        account_id = str(rows[0][0])
        handles = {fold_handle(str(h)) for a, h in rows if h and str(a) == account_id}
        return Party(ref.network, account_id, frozenset(handles))
    if account_known(store, ref):
        return Party(ref.network, ref.account_id)
    return None


def _implicit(party: Party) -> str:
    return f"{party.network}:{party.account_id}"


def plan_forget(
    store: Store, *, accounts: Iterable[str | AccountRef] = (), person: str | None = None
) -> tuple[list[Party], list[str]]:
    """What :func:`forget` would erase: ``(parties, people)``. Reads only, so that a caller
    can check what it was asked before it asks for confirmation.

    Raises
    ------
    ConfigError
        Nothing to forget, a malformed account, an account or person never stored (an
        account already erased is not an error: forgetting it again scrubs what is left).
    """
    refs = [a if isinstance(a, AccountRef) else parse_account_ref(a) for a in accounts]
    people: list[str] = []
    if person is not None:
        if not person.strip():
            raise ConfigError("expected a person id, found nothing")
        people.append(person)
        refs.extend(resolve_person(store, person))
    if not refs and not people:
        raise ConfigError("say what to forget: NETWORK:ACCOUNT or --person ID")
    parties: list[Party] = []
    for ref in refs:
        found = _party(store, ref)
        if found is not None:
            parties.append(found)
        elif not _tombstoned(store, ref):
            raise ConfigError(f"no account {ref} in this store")
    return parties, people


def forget(
    store: Store,
    *,
    accounts: Iterable[str | AccountRef] = (),
    person: str | None = None,
    requested_by: str = "cli",
    rewrite: bool = True,
) -> ForgetReport:
    """Erase ``accounts`` (``NETWORK:ACCOUNT``, by id or handle) and/or ``person`` with all
    their accounts, in one transaction, then rewrite the store file.

    Forgetting an account that is already erased scrubs again any form of its id left in the
    audit log and per-run tables (see :mod:`sway.privacy.leftovers`), finishes a rewrite left
    pending, and changes nothing else. An account or person that was never stored is a :class:`ConfigError`.
    """
    parties, people = plan_forget(store, accounts=accounts, person=person)
    # A server's journaled audit entries first, so that the erasure reaches them (those it
    # journals later are scrubbed as they land: the tombstones name them).
    drain_journal(store)
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        report = erase_parties(
            store, parties, people=people, requested_by=requested_by, reason="erased"
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    # Raw input that killed ingests left may name the erased: it goes before the file is rewritten.
    remove_spools(store.path)
    if rewrite and store.rewrite_pending():
        store.rewrite()
    return report


def _tombstoned(store: Store, ref: AccountRef) -> bool:
    key = salt(store)
    return bool(
        store.scalar(
            "SELECT count(*) FROM tombstones WHERE digest IN (?, ?)",
            [
                digest(key, ref.network, ref.account_id),
                digest(key, ref.network, fold_handle(ref.account_id)),
            ],
        )
    )


def erase_parties(
    store: Store,
    parties: list[Party],
    *,
    people: Iterable[str] = (),
    requested_by: str,
    reason: str,
) -> ForgetReport:
    """Erase ``parties`` and ``people`` inside the caller's transaction; marks the store for
    :meth:`Store.rewrite` (the caller runs it after committing)."""
    key = salt(store)
    person_ids = sorted(set(people) | {_implicit(p) for p in parties})
    if not parties and not person_ids:
        # Already erased: scrub again whatever still names it (``sway check`` lists that).
        return ForgetReport(0, 0, (), counts=_scrub_other_forms(store, people=()))
    con = store.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _forget_accounts (network VARCHAR, account_id VARCHAR)"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE _forget_people (person_id VARCHAR)")
    if parties:
        con.executemany(
            "INSERT INTO _forget_accounts VALUES (?, ?)",
            [[p.network, p.account_id] for p in parties],
        )
    con.executemany("INSERT INTO _forget_people VALUES (?)", [[p] for p in person_ids])
    acct = (
        "EXISTS (SELECT 1 FROM _forget_accounts f WHERE f.network = t.network "
        "AND f.account_id = t.{col})"
    )
    pers = "t.{col} IN (SELECT person_id FROM _forget_people)"
    runs = sorted(
        str(r)
        for (r,) in store.rows(
            f"SELECT run_id FROM scores t WHERE {acct.format(col='account_id')} UNION "
            f"SELECT run_id FROM person_scores t WHERE {pers.format(col='person_id')}"
        )
    )
    counts: dict[str, int] = {}

    def run(name: str, sql: str, params: list[Any] | None = None) -> None:
        # DuckDB answers DELETE and UPDATE with the number of rows changed.
        changed = int(con.execute(sql, params or []).fetchall()[0][0])
        if changed:
            counts[name] = counts.get(name, 0) + changed

    # Others' explanations keep the reaction, not the name: done before the account rows go.
    for table in _REACTOR_TABLES:
        run(
            f"{table}.reactor",
            f"UPDATE {table} t SET reactor = ? WHERE {acct.format(col='reactor')}",
            [ERASED],
        )
    for table in _ACCOUNT_TABLES:
        run(table, f"DELETE FROM {table} t WHERE {acct.format(col='account_id')}")
    for table in _PERSON_TABLES:
        run(table, f"DELETE FROM {table} t WHERE {pers.format(col='person_id')}")
    endorsements = f"{acct.format(col='giver')} OR {acct.format(col='target')}"
    run(
        "topic_endorsement_decisions",
        "DELETE FROM topic_endorsement_decisions WHERE endorsement_id IN "
        f"(SELECT endorsement_id FROM topic_endorsements t WHERE {endorsements}) "
        "OR EXISTS (SELECT 1 FROM _forget_accounts f WHERE length(f.account_id) >= 3 "
        "AND strpos(endorsement_id, f.account_id) > 0)",
    )
    run("topic_endorsements", f"DELETE FROM topic_endorsements t WHERE {endorsements}")
    subjects = (
        "subject IN (SELECT person_id FROM _forget_people) OR subject IN "
        "(SELECT network || ':' || account_id FROM _forget_accounts)"
    )
    run("topic_corrections", f"DELETE FROM topic_corrections WHERE {subjects}")
    run("score_visibility", f"DELETE FROM score_visibility WHERE {subjects}")
    run(
        "api_keys",
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()), person_id = NULL "
        "WHERE person_id IN (SELECT person_id FROM _forget_people)",
    )
    run(
        "audit_log",
        "UPDATE audit_log SET subject = 'erased:' || substr(sha256(? || '|' || subject), 1, 32) "
        f"WHERE {subjects}",
        [key],
    )
    summaries = _scrub_run_summaries(store, {f"{p.network}:{p.account_id}" for p in parties})
    if summaries:
        counts["score_runs.summary"] = summaries
    scrubbed = scrub_events(
        store,
        "events",
        salt=key,
        ids=[(p.network, p.account_id) for p in parties],
        handles=[(p.network, h) for p in parties for h in p.handles],
    )
    _add_scrub_counts(counts, scrubbed)
    # Klout-style ids name an account or a person without its network (``klout:4711``).
    add_tombstones(store, parties, reason=reason, klout_ids=map(klout_id, person_ids))
    counts.update(_scrub_other_forms(store, people=people))
    con.execute("DROP TABLE IF EXISTS _forget_accounts")
    con.execute("DROP TABLE IF EXISTS _forget_people")
    erasure_id = int(
        con.execute(
            "INSERT INTO erasures (erased_at, requested_by, reason, accounts, runs, counts) "
            "VALUES (now(), ?, ?, ?, ?, ?) RETURNING erasure_id",
            [requested_by, reason, len(parties), runs, json.dumps(counts, sort_keys=True)],
        ).fetchall()[0][0]
    )
    record(
        store,
        actor=requested_by,
        action="privacy.forget" if reason == "erased" else "privacy.minor",
        subject=f"erasure:{erasure_id}",
        detail={"accounts": len(parties), "runs": len(runs), "rows": sum(counts.values())},
    )
    con.execute(
        "INSERT INTO settings VALUES (?, '1') ON CONFLICT DO UPDATE SET value = '1'",
        [REWRITE_KEY],
    )
    return ForgetReport(
        accounts=len(parties),
        people=len(set(people)),
        runs=tuple(runs),
        counts=counts,
        erasure_id=erasure_id,
    )


def _scrub_other_forms(store: Store, *, people: Iterable[str]) -> dict[str, int]:
    """Every other form of the erased ids (handles with or without ``@``, ``tw:ID``, Klout
    ids, DIDs inside post URIs, query strings of logged reads, reasons of run withdrawals),
    found through the tombstones."""
    counts = scrub_derived_ids(store)
    audited = scrub_audit(store, people=people)
    if audited:
        counts["audit_log.named"] = audited
    reasons = scrub_withdrawals(store, people=people)
    if reasons:
        counts["run_withdrawals.reason"] = reasons
    return counts


def _scrub_run_summaries(store: Store, labels: set[str]) -> int:
    """Take ``labels`` (``network:account``) out of the runs' summaries, where the integrity
    layer names the members of collusion groups and keeps per-account explanation lines."""
    if not labels:
        return 0
    changed = 0
    for run_id, text in store.rows(
        "SELECT run_id, CAST(summary AS VARCHAR) FROM score_runs WHERE summary IS NOT NULL"
    ):
        if any(label in str(text) for label in labels):
            cleaned = _without(json.loads(str(text)), labels)
            store.con.execute(
                "UPDATE score_runs SET summary = ? WHERE run_id = ?",
                [json.dumps(cleaned, sort_keys=True), run_id],
            )
            changed += 1
    return changed


def _without(value: Any, labels: set[str]) -> Any:
    """``value`` (parsed JSON) with ``labels`` gone: as keys and list items they are dropped,
    inside other strings replaced by ``[erased]``."""
    if isinstance(value, dict):
        return {k: _without(v, labels) for k, v in value.items() if k not in labels}
    if isinstance(value, list):
        return [_without(v, labels) for v in value if not (isinstance(v, str) and v in labels)]
    if isinstance(value, str):
        for label in labels:
            value = value.replace(label, ERASED)
    return value


def _add_scrub_counts(counts: dict[str, int], scrubbed: ScrubCounts) -> None:
    for name, value in (
        ("events.deleted", scrubbed.deleted),
        ("events.anonymised", scrubbed.anonymised),
        ("events.redacted", scrubbed.redacted),
    ):
        if value:
            counts[name] = value
