"""Access requests: everything the store holds about a person, as JSON-ready data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sway.privacy.audit import entries
from sway.privacy.forget import resolve_person
from sway.privacy.visibility import visibility
from sway.store.db import Store

__all__ = ["EXPORT_VERSION", "export_person"]

EXPORT_VERSION = 1

#: (section, SELECT over the table aliased ``t``) read for the person's accounts, joined to
#: ``_export_accounts x`` on ``t.network`` and the column named last.
_BY_ACCOUNT = (
    ("accounts", "SELECT t.* FROM accounts t", "account_id"),
    (
        "scores",
        "SELECT r.as_of, r.algorithm_version, t.*, d.* EXCLUDE (run_id, network, account_id) "
        "FROM scores t JOIN score_runs r USING (run_id) "
        "LEFT JOIN score_details d USING (run_id, network, account_id)",
        "account_id",
    ),
    ("top_reactors", "SELECT t.* FROM score_top_reactors t", "account_id"),
    ("top_posts", "SELECT t.* FROM score_top_posts t", "account_id"),
    ("topics", "SELECT t.* FROM account_topics t", "account_id"),
    ("topic_evidence_posts", "SELECT t.* FROM topic_evidence_posts t", "account_id"),
    ("topic_sentiment", "SELECT t.* FROM topic_sentiment t", "account_id"),
    ("post_topics", "SELECT t.* FROM post_topics t", "account_id"),
    ("events_acted", "SELECT t.* EXCLUDE (ingest_id) FROM events t", "actor"),
    ("events_received", "SELECT t.* EXCLUDE (ingest_id) FROM events t", "target"),
)
#: The join columns above, checked before use (they are spliced into the statement).
_JOIN_COLUMNS = frozenset({"account_id", "actor", "target"})


def export_person(store: Store, subject: str) -> dict[str, Any]:
    """Everything held about ``subject`` (a person id or ``NETWORK:ACCOUNT``): their person
    record and links, accounts, every score and explanation row of every run, topics,
    endorsements, corrections, visibility, the events they acted in and those acting on them,
    their API keys (without secrets) and the audit entries about them."""
    accounts = resolve_person(store, subject)
    con = store.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _export_accounts (network VARCHAR, account_id VARCHAR)"
    )
    if accounts:
        con.executemany(
            "INSERT INTO _export_accounts VALUES (?, ?)",
            [[a.network, a.account_id] for a in accounts],
        )
    try:
        data: dict[str, Any] = {
            "export_version": EXPORT_VERSION,
            "subject": subject,
            "generated_at": datetime.now(UTC).isoformat(),
            "person": store.dicts("SELECT * FROM people WHERE person_id = ?", [subject]),
            "links": store.dicts(
                "SELECT * FROM person_accounts WHERE person_id = ? ORDER BY network, account_id",
                [subject],
            ),
            "visibility": visibility(store, subject).as_dict(),
        }
        for section, select, column in _BY_ACCOUNT:
            assert column in _JOIN_COLUMNS
            data[section] = store.dicts(
                f"{select} JOIN _export_accounts x "
                f"ON t.network = x.network AND t.{column} = x.account_id"
            )
        data["person_scores"] = store.dicts(
            "SELECT r.as_of, p.* FROM person_scores p JOIN score_runs r USING (run_id) "
            "WHERE p.person_id = ? ORDER BY r.as_of",
            [subject],
        )
        data["person_topics"] = store.dicts(
            "SELECT * FROM person_topics WHERE person_id = ?", [subject]
        )
        data["endorsements"] = store.dicts(
            "SELECT t.* FROM topic_endorsements t JOIN _export_accounts x "
            "ON t.network = x.network AND (t.giver = x.account_id OR t.target = x.account_id)"
        )
        data["corrections"] = store.dicts(
            "SELECT * FROM topic_corrections WHERE subject = ? OR subject IN "
            "(SELECT network || ':' || account_id FROM _export_accounts)",
            [subject],
        )
        data["api_keys"] = store.dicts(
            "SELECT key_id, name, scopes, created_at, revoked_at, last_used_at FROM api_keys "
            "WHERE person_id = ?",
            [subject],
        )
        refs = [subject] + [str(a) for a in accounts if str(a) != subject]
        data["audit"] = [e for ref in refs for e in entries(store, subject=ref, limit=100_000)]
    finally:
        con.execute("DROP TABLE IF EXISTS _export_accounts")
    # One pass through JSON makes every value plain (instants as ISO 8601, decimals as floats).
    result: dict[str, Any] = json.loads(json.dumps(data, default=_plain))
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
