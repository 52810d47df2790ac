"""Read-side queries over the store shared by the CLI (and later the API and dashboard)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from sway.events import EVENT_COLUMNS
from sway.store.db import Store
from sway.store.runs import NOT_WITHDRAWN

__all__ = [
    "Stats",
    "account_rows",
    "api_key_rows",
    "api_usage_on",
    "api_usage_rows",
    "data_version",
    "event_batches",
    "fold_handle",
    "influencees",
    "influencers",
    "key_hash",
    "keys_version",
    "klout_id",
    "reactor_sets",
    "reactor_total",
    "score_history",
    "serving_accounts",
    "serving_members",
    "serving_people",
    "serving_person_networks",
    "serving_topics",
    "stats",
]


@dataclass(frozen=True)
class Stats:
    events: int
    accounts: int
    people_linked: int
    first: datetime | None
    last: datetime | None
    per_network: list[dict[str, Any]]
    per_action: list[dict[str, Any]]
    ingests: int


def stats(store: Store) -> Stats:
    """Counts per network and action, and the time span of the events."""
    events, first, last = store.rows("SELECT count(*), min(ts), max(ts) FROM events")[0]
    return Stats(
        events=int(events),
        accounts=int(store.scalar("SELECT count(*) FROM accounts")),
        people_linked=int(store.scalar("SELECT count(*) FROM people")),
        first=first,
        last=last,
        per_network=store.dicts(
            """
            SELECT network, count(*) AS events,
                   count(DISTINCT actor) AS actors, min(ts) AS first, max(ts) AS last
            FROM events GROUP BY network ORDER BY events DESC, network
            """
        ),
        per_action=store.dicts(
            """
            SELECT network, action, count(*) AS events FROM events
            GROUP BY network, action ORDER BY network, events DESC, action
            """
        ),
        ingests=int(store.scalar("SELECT count(*) FROM ingests")),
    )


def account_rows(
    store: Store, *, network: str | None = None, search: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Accounts with their activity: events made and reactions received."""
    return store.dicts(
        """
        WITH made AS (SELECT network, actor AS account_id, count(*) AS made
                      FROM events WHERE actor IS NOT NULL GROUP BY ALL),
             got AS (SELECT network, target AS account_id, count(*) AS received
                     FROM events WHERE target IS NOT NULL AND action <> 'post' GROUP BY ALL)
        SELECT a.network, a.account_id, a.handle, a.display_name, a.followers,
               coalesce(made.made, 0) AS made, coalesce(got.received, 0) AS received
        FROM accounts a
        LEFT JOIN made USING (network, account_id)
        LEFT JOIN got USING (network, account_id)
        WHERE (? IS NULL OR a.network = ?)
          AND (? IS NULL OR a.handle ILIKE '%' || ? || '%' OR a.display_name ILIKE '%' || ? || '%'
               OR a.account_id = ?)
        ORDER BY received DESC, made DESC, a.network, a.account_id
        LIMIT ?
        """,
        [network, network, search, search, search, search, limit],
    )


def event_batches(
    store: Store, *, network: str | None = None, partition_columns: bool = False
) -> Iterator[pa.RecordBatch]:
    """Stored events in canonical columns, streamed in batches, ordered by network and time.

    ``partition_columns`` adds ``date`` (UTC day) for a partitioned Parquet export.
    """
    columns = ", ".join(EVENT_COLUMNS)
    if partition_columns:
        columns += ", strftime(ts, '%Y-%m-%d') AS date"
    reader = store.con.sql(
        f"SELECT {columns} FROM events WHERE ($network IS NULL OR network = $network) "
        "ORDER BY network, ts, event_id",
        params={"network": network},
    ).to_arrow_reader(65536)
    yield from reader


# -- the service (sway serve) and the dashboard -------------------------------------------
#
# The API serves hot lookups from an in-memory index of the latest run (sway.api.index), built
# from the tables below; colder reads (history, explanations, influence lists) query the store.

#: Lower-cases ASCII letters only (as Arrow's ``ascii_lower`` does): handles match
#: case-insensitively for A-Z; other letters must match exactly.
_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: Separates the parts of a hashed key (a byte that never occurs in a network name).
KEY_SEPARATOR = "\x1f"


def fold_handle(handle: str) -> str:
    """A handle as the index compares it: without a leading ``@``, ASCII letters lower-cased."""
    return handle.strip().removeprefix("@").translate(_ASCII_FOLD)


def key_hash(*parts: str) -> int:
    """Unsigned 64-bit hash of ``parts`` joined by :data:`KEY_SEPARATOR`; equals DuckDB's
    ``md5_number_upper`` of the same string."""
    import hashlib

    digest = hashlib.md5(KEY_SEPARATOR.join(parts).encode("utf-8"), usedforsecurity=False)
    return int.from_bytes(digest.digest()[:8], "little")


def klout_id(person_id: str) -> str:
    """The Klout-style id of a person: a decimal string of at most 17 digits derived from the
    person id (56 bits of its MD5), so it is stable across runs and restarts."""
    return str(key_hash(person_id) >> 8)


def data_version(store: Store) -> tuple[Any, ...]:
    """What the served data depends on; when it changes, the in-memory index is rebuilt.

    Cheap: aggregates over small tables and row counts DuckDB keeps anyway. Topic corrections
    are in it, so that a topic someone hid stops being served within seconds.
    """
    row = store.rows(
        """
        SELECT (SELECT coalesce(max(ingest_id), 0) FROM ingests),
               (SELECT count(*) FROM events),
               (SELECT count(*) FROM accounts),
               (SELECT count(*) FROM score_runs),
               (SELECT max(created_at) FROM score_runs),
               (SELECT count(*) FROM run_withdrawals),
               (SELECT count(*) FROM person_accounts),
               (SELECT max(linked_at) FROM person_accounts),
               (SELECT count(*) FROM tombstones),
               (SELECT count(*) FROM topic_runs),
               (SELECT max(created_at) FROM topic_runs),
               (SELECT count(*) FROM topic_corrections),
               (SELECT max(created_at) FROM topic_corrections)
        """
    )[0]
    return tuple(row)


def keys_version(store: Store) -> tuple[Any, ...]:
    """What the API key table looks like, in brief; when it changes, keys are reloaded."""
    row = store.rows(
        "SELECT count(*), max(created_at), count(revoked_at), max(revoked_at) FROM api_keys"
    )[0]
    return tuple(row)


def serving_accounts(
    store: Store, run_id: str | None, *, series: str | None, lookups_only: bool = False
) -> pa.Table:
    """One row per account the store knows or the run scored, for the in-memory index.

    Columns: ``network, account_id, handle, display_name, followers, score, reach,
    amplification, network_impact, day, week, month`` (score changes, NULL when there is no
    earlier run of the series long enough before), ``person_id`` (the account's person: the
    first explicit one, else ``network:account_id``), ``linked``, ``klout_key`` (the
    :func:`klout_id` of ``network:account_id``, as a number), ``overall_rank`` and
    ``network_rank`` (1 = highest score; NULL when not scored). Rows come in no set order.

    ``lookups_only`` leaves changes, ranks and Klout keys NULL (what CRM enrichment and triage
    need is found in a third of the time).
    """
    if lookups_only:
        series = None  # no earlier runs to compare with
    full = not lookups_only
    ranks = (
        """row_number() OVER (ORDER BY score DESC, network, account_id) AS overall_rank,
                   row_number() OVER (PARTITION BY network ORDER BY score DESC, account_id)
                       AS network_rank"""
        if full
        else "NULL::BIGINT AS overall_rank, NULL::BIGINT AS network_rank"
    )
    klout = "md5_number_upper(k.network || ':' || k.account_id) >> 8" if full else "NULL::UBIGINT"
    return store.con.sql(
        f"""
        WITH run AS (SELECT * FROM score_runs WHERE run_id = $run_id),
        scored AS (
            SELECT network, account_id, score, reach, amplification, network_impact,
                   {ranks}
            FROM scores WHERE run_id = $run_id
        ),
        members AS (
            SELECT person_id, network, account_id FROM run_person_accounts WHERE run_id = $run_id
            UNION ALL
            SELECT person_id, network, account_id FROM person_accounts
            WHERE person_id NOT IN (SELECT person_id FROM run_person_accounts
                                    WHERE run_id = $run_id)
        ),
        links AS (SELECT network, account_id, min(person_id) AS person_id
                  FROM members GROUP BY network, account_id),
        prev AS (
            SELECT s.network, s.account_id,
                   arg_max(s.score, (r.as_of, r.created_at))
                       FILTER (WHERE r.as_of <= (SELECT as_of FROM run) - INTERVAL 1 DAY) AS d,
                   arg_max(s.score, (r.as_of, r.created_at))
                       FILTER (WHERE r.as_of <= (SELECT as_of FROM run) - INTERVAL 7 DAY) AS w,
                   arg_max(s.score, (r.as_of, r.created_at))
                       FILTER (WHERE r.as_of <= (SELECT as_of FROM run) - INTERVAL 30 DAY) AS m
            FROM scores s JOIN score_runs r USING (run_id)
            WHERE r.series = $series AND r.as_of <= (SELECT as_of FROM run) - INTERVAL 1 DAY
              AND {NOT_WITHDRAWN}
            GROUP BY s.network, s.account_id
        ),
        known AS (
            SELECT coalesce(a.network, s.network) AS network,
                   coalesce(a.account_id, s.account_id) AS account_id,
                   a.handle, a.display_name, a.followers,
                   s.score, s.reach, s.amplification, s.network_impact,
                   s.overall_rank, s.network_rank
            FROM accounts a FULL OUTER JOIN scored s
              ON a.network = s.network AND a.account_id = s.account_id
        )
        SELECT k.network, k.account_id, k.handle, k.display_name, k.followers,
               k.score, k.reach, k.amplification, k.network_impact,
               k.score - p.d AS day, k.score - p.w AS week, k.score - p.m AS month,
               coalesce(l.person_id, k.network || ':' || k.account_id) AS person_id,
               l.person_id IS NOT NULL AS linked,
               {klout} AS klout_key,
               k.overall_rank, k.network_rank
        FROM known k
        LEFT JOIN prev p ON p.network = k.network AND p.account_id = k.account_id
        LEFT JOIN links l ON l.network = k.network AND l.account_id = k.account_id
        """,
        params={"run_id": run_id, "series": series},
    ).to_arrow_table()


def serving_people(store: Store, run_id: str | None, *, series: str | None) -> pa.Table:
    """One row per explicit person (linked accounts), for the in-memory index.

    Columns: ``person_id, display_name, score, reach, amplification, network_impact, accounts,
    networks, day, week, month, klout_key``. Persons linked after the run have NULL
    scores. Unlinked accounts are their own person and are not listed here.
    """
    return store.con.sql(
        f"""
        WITH run AS (SELECT * FROM score_runs WHERE run_id = $run_id),
        explicit AS (
            SELECT DISTINCT person_id FROM run_person_accounts WHERE run_id = $run_id
            UNION
            SELECT person_id FROM people
        ),
        prev AS (
            SELECT p.person_id,
                   arg_max(p.score, (r.as_of, r.created_at))
                       FILTER (WHERE r.as_of <= (SELECT as_of FROM run) - INTERVAL 1 DAY) AS d,
                   arg_max(p.score, (r.as_of, r.created_at))
                       FILTER (WHERE r.as_of <= (SELECT as_of FROM run) - INTERVAL 7 DAY) AS w,
                   arg_max(p.score, (r.as_of, r.created_at))
                       FILTER (WHERE r.as_of <= (SELECT as_of FROM run) - INTERVAL 30 DAY) AS m
            FROM person_scores p JOIN score_runs r USING (run_id)
            WHERE r.series = $series AND r.as_of <= (SELECT as_of FROM run) - INTERVAL 1 DAY
              AND {NOT_WITHDRAWN}
            GROUP BY p.person_id
        )
        SELECT e.person_id, pe.display_name, s.score, s.reach, s.amplification,
               s.network_impact, s.accounts, s.networks,
               s.score - p.d AS day, s.score - p.w AS week, s.score - p.m AS month,
               md5_number_upper(e.person_id) >> 8 AS klout_key
        FROM explicit e
        LEFT JOIN people pe USING (person_id)
        LEFT JOIN person_scores s ON s.person_id = e.person_id AND s.run_id = $run_id
        LEFT JOIN prev p ON p.person_id = e.person_id
        ORDER BY e.person_id
        """,
        params={"run_id": run_id, "series": series},
    ).to_arrow_table()


def serving_topics(store: Store, *, per_subject: int = 5) -> tuple[pa.Table, pa.Table] | None:
    """The topics shown in the latest topic run (corrections applied, as ``sway topics`` shows
    them), at most ``per_subject`` each, highest topic score first: ``(accounts, people)``.

    ``accounts``: ``network, account_id, topic_id, topic, slug, score``; ``people`` (explicit
    persons): ``person_id, topic_id, topic, slug, score``. ``None`` when no topic run is served
    (none yet, or only runs of withdrawn score runs).
    """
    from sway.store.topics import export_batches, influential_about, latest_topic_run

    run = latest_topic_run(store)
    if run is None:
        return None
    batches = list(export_batches(store, run.topic_run_id))
    shown = pa.Table.from_batches(batches) if batches else None
    catalog = store.con.sql(
        "SELECT topic_id, slug FROM topic_catalog WHERE topic_run_id = $run",
        params={"run": run.topic_run_id},
    ).to_arrow_table()
    if shown is None or shown.num_rows == 0:
        accounts = pa.table(
            {
                name: pa.array([], pa.string())
                for name in ("network", "account_id", "topic_id", "topic", "slug")
            }
            | {"score": pa.array([], pa.float64())}
        )
    else:
        con = store.con
        con.register("_shown_topics", shown)
        con.register("_topic_slugs", catalog)
        try:
            accounts = con.sql(
                f"""
                SELECT s.network, s.account AS account_id, s.topic_id, s.topic, c.slug, s.score
                FROM _shown_topics s LEFT JOIN _topic_slugs c USING (topic_id)
                QUALIFY row_number() OVER (
                    PARTITION BY s.network, s.account ORDER BY s.score DESC, s.topic_id
                ) <= {int(per_subject)}
                ORDER BY s.network, s.account, s.score DESC, s.topic_id
                """
            ).to_arrow_table()
        finally:
            con.unregister("_shown_topics")
            con.unregister("_topic_slugs")
    slugs = dict(
        zip(catalog.column("topic_id").to_pylist(), catalog.column("slug").to_pylist(), strict=True)
    )
    people: dict[str, list[Any]] = {k: [] for k in ("person_id", "topic_id", "topic", "slug")}
    scores: list[float] = []
    # A person's topics are their own computation (person_topics); there are few explicit
    # persons, so each is read through the topics module's own, correction-aware query.
    for (person_id,) in store.rows(
        "SELECT DISTINCT person_id FROM person_topics WHERE topic_run_id = ? ORDER BY person_id",
        [run.topic_run_id],
    ):
        for t in influential_about(store, str(person_id), limit=per_subject):
            people["person_id"].append(person_id)
            people["topic_id"].append(t["topic_id"])
            people["topic"].append(t["topic"])
            people["slug"].append(slugs.get(t["topic_id"]))
            scores.append(float(t["score"]))
    person_table = pa.table(
        {k: pa.array(v, pa.string()) for k, v in people.items()}
        | {"score": pa.array(scores, pa.float64())}
    )
    return accounts, person_table


def serving_person_networks(store: Store, run_id: str | None) -> pa.Table:
    """Explicit persons' score on each of their networks in the run."""
    return store.con.sql(
        "SELECT person_id, network, score, accounts FROM person_network_scores "
        "WHERE run_id = $run_id ORDER BY person_id, score DESC, network",
        params={"run_id": run_id},
    ).to_arrow_table()


def serving_members(store: Store, run_id: str | None) -> pa.Table:
    """``person_id, network, account_id`` of explicit persons: the run's links, and the current
    links of persons the run did not see."""
    return store.con.sql(
        """
        SELECT person_id, network, account_id FROM run_person_accounts WHERE run_id = $run_id
        UNION ALL
        SELECT person_id, network, account_id FROM person_accounts
        WHERE person_id NOT IN (SELECT person_id FROM run_person_accounts WHERE run_id = $run_id)
        ORDER BY person_id, network, account_id
        """,
        params={"run_id": run_id},
    ).to_arrow_table()


def score_history(
    store: Store,
    *,
    network: str | None = None,
    account_id: str | None = None,
    person_id: str | None = None,
    algorithm_version: str | None = None,
) -> list[dict[str, Any]]:
    """Scores of one account (``network`` + ``account_id``) or one explicit person in every
    run that is not withdrawn, grouped by series: ``series, algorithm_version, run_id, as_of,
    score, reach, amplification, network_impact``, oldest first within a series."""
    params: list[str | None]
    if person_id is not None:
        table, where, params = "person_scores", "s.person_id = ?", [person_id]
    else:
        table, where, params = "scores", "s.network = ? AND s.account_id = ?", [network, account_id]
    return store.dicts(
        f"""
        SELECT coalesce(r.series, r.algorithm_version) AS series, r.algorithm_version,
               r.run_id, r.as_of, s.score, s.reach, s.amplification, s.network_impact
        FROM {table} s JOIN score_runs r USING (run_id)
        WHERE {where} AND (? IS NULL OR r.algorithm_version = ?) AND {NOT_WITHDRAWN}
        ORDER BY r.algorithm_version, series, r.as_of, r.created_at
        """,
        [*params, algorithm_version, algorithm_version],
    )


def influencers(
    store: Store,
    run_id: str,
    accounts: list[tuple[str, str]],
    *,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[dict[str, Any]], int]:
    """Who drives these accounts: their top reactors in the run (merged over the accounts, by
    summed contribution to reach), as ``network, account_id, reactions, contribution``; and
    how many such reactors the run kept (see :func:`reactor_total` for all reactors)."""
    return _links(
        store, run_id, accounts, mine="account_id", other="reactor", offset=offset, limit=limit
    )


def reactor_total(store: Store, run_id: str, accounts: list[tuple[str, str]]) -> int:
    """How many distinct named reactors these accounts had in the run, in all (summed over the
    accounts: ``score_details.reactors``)."""
    if not accounts:
        return 0
    refs = _refs(accounts)
    total = store.scalar(
        f"""
        WITH refs(network, account_id) AS (VALUES {refs.sql})
        SELECT coalesce(sum(d.reactors), 0) FROM score_details d
        JOIN refs USING (network, account_id) WHERE d.run_id = ?
        """,
        [*refs.params, run_id],
    )
    return int(total)


def influencees(
    store: Store,
    run_id: str,
    accounts: list[tuple[str, str]],
    *,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[dict[str, Any]], int]:
    """Whom these accounts drive: the accounts they are a top reactor of in the run, by their
    contribution, as ``network, account_id, reactions, contribution``; and how many there are."""
    return _links(
        store, run_id, accounts, mine="reactor", other="account_id", offset=offset, limit=limit
    )


def _links(
    store: Store,
    run_id: str,
    accounts: list[tuple[str, str]],
    *,
    mine: str,
    other: str,
    offset: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """Top-reactor links of ``accounts`` (matched on column ``mine``), grouped by ``other``;
    links between the accounts themselves are left out."""
    if not accounts:
        return [], 0
    refs = _refs(accounts)
    links = f"""
        WITH refs(network, ref) AS (VALUES {refs.sql})
        SELECT t.network, t.{other} AS account_id, sum(t.reactions) AS reactions,
               sum(t.contribution) AS contribution
        FROM score_top_reactors t JOIN refs r ON r.network = t.network AND r.ref = t.{mine}
        WHERE t.run_id = ? AND NOT EXISTS (
            SELECT 1 FROM refs x WHERE x.network = t.network AND x.ref = t.{other})
        GROUP BY t.network, t.{other}
    """
    rows = store.dicts(
        f"SELECT *, count(*) OVER () AS total FROM ({links}) "
        "ORDER BY contribution DESC, network, account_id LIMIT ? OFFSET ?",
        [*refs.params, run_id, limit, offset],
    )
    if rows:
        total = int(rows[0]["total"])
        for r in rows:
            r.pop("total")
        return rows, total
    if offset == 0:
        return [], 0
    return [], int(store.scalar(f"SELECT count(*) FROM ({links})", [*refs.params, run_id]))


@dataclass(frozen=True)
class _Refs:
    sql: str
    params: list[str]


def _refs(accounts: list[tuple[str, str]]) -> _Refs:
    params: list[str] = []
    for network, account_id in accounts:
        params.extend([network, account_id])
    return _Refs(", ".join(["(?::VARCHAR, ?::VARCHAR)"] * len(accounts)), params)


def reactor_sets(
    store: Store,
    accounts: list[tuple[str, str]],
    *,
    start: datetime,
    end: datetime,
    topic: tuple[str, str] | None = None,
) -> dict[tuple[str, str], set[str]]:
    """Everyone who reacted to each of these accounts in ``[start, end)``: their engaged
    audience, as sets of reactor ids (a reactor is named within its network, so the sets of
    accounts on two networks never share anyone).

    Self-reactions, follows and negative reactions (down-votes, ``value <= 0``) are left out,
    as the scorer and the topics leave them out; anonymous reactions have no one to count.

    Parameters
    ----------
    topic
        ``(topic_run_id, topic_id)``: only the reactions to items on that topic in that topic
        run (``post_topics``; a parent topic counts its children's items), the reaction's item
        found as the topics find it (:data:`sway.topics.steps.REACTED_POST`). The set is then
        the account's *topic audience*: its size is the ``reactors`` of its
        ``account_topics`` row.
    """
    # Imported here: importing sway.topics loads the topic model (most commands never need it).
    from sway.topics.steps import REACTED_POST

    found: dict[tuple[str, str], set[str]] = {ref: set() for ref in accounts}
    if not accounts:
        return found
    refs = _refs(accounts)
    on_topic = ""
    params: list[Any] = [*refs.params, start, end]
    if topic is not None:
        on_topic = f"""
          AND EXISTS (
              SELECT 1 FROM post_topics p
              WHERE p.topic_run_id = ? AND p.topic_id = ? AND p.network = e.network
                AND p.content_id = {REACTED_POST})"""
        params.extend(topic)
    rows = store.rows(
        f"""
        WITH refs(network, account_id) AS (VALUES {refs.sql})
        SELECT DISTINCT e.network, e.target, e.actor
        FROM events e JOIN refs r ON r.network = e.network AND r.account_id = e.target
        WHERE e.ts >= ? AND e.ts < ? AND e.actor IS NOT NULL AND e.actor <> e.target
          AND e.action NOT IN ('post', 'follow') AND coalesce(e.value, 1) > 0{on_topic}
        """,
        params,
    )
    for network, target, actor in rows:
        found[(str(network), str(target))].add(str(actor))
    return found


# -- API keys -----------------------------------------------------------------------------


def api_key_rows(store: Store, *, include_revoked: bool = True) -> list[dict[str, Any]]:
    """Every API key (never the secret: only its hash), newest first."""
    return store.dicts(
        "SELECT key_id, name, secret_sha256, scopes, rate_per_second, rate_per_day, created_at, "
        "revoked_at, last_used_at, person_id FROM api_keys WHERE ? OR revoked_at IS NULL "
        "ORDER BY created_at DESC, key_id",
        [include_revoked],
    )


def api_usage_on(store: Store, day: Any) -> dict[str, int]:
    """Calls per key on one UTC day."""
    return {
        str(k): int(c)
        for k, c in store.rows("SELECT key_id, calls FROM api_usage WHERE day = ?", [day])
    }


def api_usage_rows(store: Store, *, days: int = 30) -> list[dict[str, Any]]:
    """Calls and refusals per key and day, the last ``days`` days, newest first."""
    return store.dicts(
        "SELECT key_id, day, calls, limited FROM api_usage "
        "WHERE day > current_date - CAST(? AS INTEGER) ORDER BY day DESC, key_id",
        [days],
    )
