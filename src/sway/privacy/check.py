"""``sway check``: is a store whole and consistent?

Every table is read end to end (DuckDB verifies each block's checksum as it reads it), then
the schema version, the links between tables, the runs against their scores, and the
tombstones (no erased id or handle may be left in any form in any table:
:mod:`sway.privacy.leftovers`) are checked. Used
after a crash: a store that passes has lost nothing committed and holds nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sway.privacy.leftovers import leftovers
from sway.store.db import SCHEMA_VERSION, Store
from sway.store.spool import leftover_spools, remove_spools

__all__ = ["CheckReport", "check"]

#: (what must hold, SQL counting the rows that break it).
_RULES: tuple[tuple[str, str], ...] = (
    (
        "every event comes from a logged ingest",
        "SELECT count(*) FROM events e WHERE NOT EXISTS "
        "(SELECT 1 FROM ingests i WHERE i.ingest_id = e.ingest_id)",
    ),
    (
        "an event id is stored once per network",
        "SELECT count(*) FROM (SELECT network, event_id FROM events "
        "GROUP BY ALL HAVING count(*) > 1)",
    ),
    (
        "an ingest's new events are all there",
        "SELECT count(*) FROM ingests i WHERE i.new_events < "
        "(SELECT count(*) FROM events e WHERE e.ingest_id = i.ingest_id)",
    ),
    (
        "every person link names a person",
        "SELECT count(*) FROM person_accounts l WHERE NOT EXISTS "
        "(SELECT 1 FROM people p WHERE p.person_id = l.person_id)",
    ),
    (
        "every score belongs to a run",
        "SELECT count(*) FROM scores s WHERE NOT EXISTS "
        "(SELECT 1 FROM score_runs r WHERE r.run_id = s.run_id)",
    ),
    (
        "every person score belongs to a run",
        "SELECT count(*) FROM person_scores s WHERE NOT EXISTS "
        "(SELECT 1 FROM score_runs r WHERE r.run_id = s.run_id)",
    ),
    (
        "every score has its details, and the reverse",
        "SELECT count(*) FROM scores s FULL JOIN score_details d "
        "USING (run_id, network, account_id) WHERE s.score IS NULL OR d.raw IS NULL",
    ),
    (
        "a run holds as many scores as it published, less what erasures removed",
        "SELECT count(*) FROM score_runs r WHERE r.summary IS NOT NULL "
        "AND NOT list_contains((SELECT flatten(list(runs)) FROM erasures), r.run_id) "
        "AND CAST(r.summary ->> 'accounts' AS BIGINT) <> "
        "(SELECT count(*) FROM scores s WHERE s.run_id = r.run_id)",
    ),
    (
        "every withdrawal names a published run",
        "SELECT count(*) FROM run_withdrawals w WHERE NOT EXISTS "
        "(SELECT 1 FROM score_runs r WHERE r.run_id = w.run_id)",
    ),
    (
        "every topic row belongs to a topic run",
        "SELECT count(*) FROM account_topics t WHERE NOT EXISTS "
        "(SELECT 1 FROM topic_runs r WHERE r.topic_run_id = t.topic_run_id)",
    ),
    (
        "every item's topics belong to a topic run",
        "SELECT count(*) FROM post_topics t WHERE NOT EXISTS "
        "(SELECT 1 FROM topic_runs r WHERE r.topic_run_id = t.topic_run_id)",
    ),
)


@dataclass
class CheckReport:
    """What was checked, and every problem found (empty when the store is sound)."""

    path: str
    schema_version: int
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(store: Store) -> CheckReport:
    """Check ``store`` (opened read-only is enough) and report."""
    version = store.schema_version()
    report = CheckReport(str(store.path), version)
    report.checked.append("schema version")
    if version != SCHEMA_VERSION:
        report.problems.append(f"schema version {version}, expected {SCHEMA_VERSION}")
        return report
    tables = [
        str(t)
        for (t,) in store.rows(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
        )
    ]
    for table in tables:
        # Names come from the catalog, quoted: reading every column checks every block.
        store.rows(f'SELECT count(*), count(COLUMNS(*)) FROM "{table}"')
    report.checked.append(f"{len(tables)} tables read")
    for rule, sql in _RULES:
        broken = int(store.scalar(sql))
        report.checked.append(rule)
        if broken:
            report.problems.append(f"{rule}: {broken:,} rows break it")
    report.checked.append("no erased account named anywhere")
    for column, count in leftovers(store).items():
        report.problems.append(
            f"{column}: {count:,} values still name an erased account; run "
            "`sway forget` again for it"
        )
    report.checked.append("no erasure waiting for the file rewrite")
    if store.rewrite_pending():
        report.problems.append(
            "an erasure is committed but the file is not yet rewritten; open the store for "
            "writing (e.g. `sway check`) to finish it"
        )
    report.checked.append("no raw input left in spools by a killed ingest")
    if not store.read_only:
        store.spools_removed += remove_spools(store.path)
    if store.spools_removed:
        report.checked.append(f"removed {store.spools_removed:,} spools that killed ingests left")
    left = leftover_spools(store.path)
    if left:
        report.problems.append(
            f"{len(left):,} spool folders left by a killed ingest hold raw input "
            f"({', '.join(str(p) for p in left)}); open the store for writing "
            "(e.g. `sway check`) to remove them"
        )
    return report
