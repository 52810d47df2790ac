"""Find erased accounts' identifiers wherever they were written, in whatever form.

An id is written in many shapes: ``twitter:@Ada`` and ``tw:123`` as audit subjects,
``klout:4711``, ``screenName=%40Ada`` in a logged query string, a DID inside a post URI
(``at://did:plc:.../app.bsky.feed.post/...``), ``conlang-meta:user:142`` as a Stack Exchange id.
Rather than list the shapes, every text is cut into tokens at the characters no id contains
(after URL-decoding), and each token stands for itself and for each of its ``:``-suffixes
(``twitter:@ada`` is also ``@ada``), as written and folded as handles are (lower case, without
``@``). A candidate names an erased account when its salted digest under a tombstone's network
is a tombstone (:mod:`sway.privacy.tombstones`): the store needs no erased id in the clear to
find one.

Used three ways: an erasure scrubs what it can reach (:func:`scrub_audit`,
:func:`scrub_derived_ids`, :func:`scrub_withdrawals`); the audit entries that a server writes after an erasure are scrubbed
as they land; and ``sway check`` counts what is left in any text column (:func:`leftovers`).
Tokens shorter than 3 characters are not searched, as in :mod:`sway.privacy.scrub`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sway.privacy.tombstones import KLOUT, salt
from sway.store.db import Store

__all__ = ["leftovers", "scrub_audit", "scrub_derived_ids", "scrub_withdrawals"]

#: Characters that end a token: no id or handle contains them (``/`` splits URIs and routes).
_SEPARATORS = r"""[\s"'<>(){}\[\],;&=?#|/+\\]+"""
#: The same, as an SQL string literal.
_SEPARATORS_SQL = "'" + _SEPARATORS.replace("'", "''") + "'"

#: Tables that hold only our own values (digests, salts, names of runs), never an id.
_NOT_SEARCHED = frozenset({"tombstones", "settings", "schema_version", "reference_curves"})
#: Columns of every table that hold our own vocabulary (a network, an action, a language
#: code), never an id: not worth tokenising on every row of ``events``.
_VOCABULARY_COLUMNS = frozenset({"network", "action", "lang"})

#: Per-run tables whose rows name a post by an id that may contain its author's id (a DID in a
#: Bluesky URI, a user name in a Mastodon URL): a row naming an erased author goes.
_DERIVED_ID_COLUMNS: tuple[tuple[str, str], ...] = (
    ("score_top_posts", "post_id"),
    ("topic_evidence_posts", "post_id"),
    ("post_topics", "content_id"),
)


def _install(store: Store) -> None:
    """The token macro, on this connection (temporary macros live with the connection)."""
    store.con.execute(
        f"""
        CREATE OR REPLACE TEMP MACRO sway_id_candidates(x) AS (
            list_filter(list_distinct(flatten(list_transform(
                list_filter(regexp_split_to_array(url_decode(x), {_SEPARATORS_SQL}),
                            lambda t: length(t) >= 3),
                lambda t: flatten(list_transform(
                    range(len(string_split(t, ':'))),
                    lambda i: [array_to_string(string_split(t, ':')[i + 1:], ':'),
                               lower(ltrim(array_to_string(string_split(t, ':')[i + 1:], ':'),
                                           '@'))]))))),
                lambda c: length(c) >= 3)
        )
        """
    )


def _networks(store: Store) -> str:
    """SQL for the networks a candidate is hashed under (``$klout`` is :data:`KLOUT`): those of
    the tombstones, and every network the store knows when older tombstones do not say theirs."""
    return (
        "SELECT DISTINCT network FROM tombstones WHERE network IS NOT NULL "
        "UNION SELECT $klout "
        "UNION SELECT DISTINCT network FROM events "
        "WHERE EXISTS (SELECT 1 FROM tombstones WHERE network IS NULL) "
        "UNION SELECT DISTINCT network FROM accounts "
        "WHERE EXISTS (SELECT 1 FROM tombstones WHERE network IS NULL)"
    )


def _named_sql(store: Store, values: str, *, own_network: bool = False) -> str:
    """SQL selecting the keys of ``values`` (a query of ``key, text`` rows, and ``network``
    when ``own_network``) whose text names a tombstoned account, or one of the names in
    ``$names`` (``$salt`` is the store's salt). With ``own_network`` a row's candidates are
    hashed under its own network (and ``klout``) only: the same short id on two networks (SNAP
    data numbers its accounts from 1) names the erased account on one of them only.
    Candidates are hashed once each, however many rows share them."""
    if own_network:
        cands = "SELECT key, network, unnest(sway_id_candidates(text)) AS tok FROM v"
        pairs = (
            "SELECT DISTINCT network, tok FROM cands UNION SELECT DISTINCT $klout, tok FROM cands"
        )
    else:
        cands = "SELECT key, NULL AS network, unnest(sway_id_candidates(text)) AS tok FROM v"
        pairs = f"SELECT n.network, c.tok FROM (SELECT DISTINCT tok FROM cands) c, ({_networks(store)}) n"
    return f"""
        WITH v AS ({values}),
        cands AS ({cands}),
        named AS (
            SELECT network, tok FROM ({pairs}) p
            WHERE sha256($salt || '|' || p.network || '|' || p.tok)
                  IN (SELECT digest FROM tombstones)
        ),
        hits AS (
            SELECT DISTINCT c.key FROM cands c JOIN named n
                ON c.tok = n.tok AND (c.network IS NULL OR c.network = n.network
                                      OR n.network = $klout)
            UNION SELECT key FROM cands WHERE tok IN (SELECT unnest($names::VARCHAR[]))
        )
        SELECT DISTINCT key FROM hits
    """


def _hit_keys(
    store: Store, values: str, params: dict[str, object], *, own_network: bool = False
) -> str:
    """Create the temporary table ``_named(key)`` of the keys of ``values`` whose text names a
    tombstoned account (or one of ``params["names"]``); returns its name."""
    sql = _named_sql(store, values, own_network=own_network)
    store.con.execute(
        f"CREATE OR REPLACE TEMP TABLE _named AS {sql}",
        {"salt": salt(store), "names": [], "klout": KLOUT, **params},
    )
    return "_named"


def _has_tombstones(store: Store) -> bool:
    return bool(store.scalar("SELECT count(*) FROM tombstones"))


#: Tables of audit entries: the log, and journaled entries staged before they join it.
_AUDIT_TABLES = frozenset({"audit_log", "_staged_audit"})


def scrub_audit(store: Store, *, table: str = "audit_log", people: Iterable[str] = ()) -> int:
    """Scrub the audit entries of ``table`` naming an erased account, or one of the erased
    ``people`` (person ids, which have no tombstone): a subject that names one becomes
    ``erased:`` and a salted digest, a detail that names one is dropped. Inside the caller's
    transaction; returns how many subjects and details were scrubbed."""
    if table not in _AUDIT_TABLES:
        raise ValueError(f"not a table of audit entries: {table!r}")
    names = sorted(set(people))
    if not names and not _has_tombstones(store):
        return 0
    _install(store)
    changed = 0
    for column, new in (
        ("subject", "'erased:' || substr(sha256($salt || '|' || subject), 1, 32)"),
        ("detail", "NULL"),
    ):
        named = _hit_keys(
            store,
            f"SELECT audit_id AS key, CAST({column} AS VARCHAR) AS text FROM {table}",
            {"names": names},
        )
        changed += int(
            store.con.execute(
                f"UPDATE {table} SET {column} = {new} WHERE audit_id IN (SELECT key FROM {named})",
                {"salt": salt(store)} if column == "subject" else {},
            ).fetchall()[0][0]
        )
    store.con.execute("DROP TABLE IF EXISTS _named")
    return changed


def scrub_derived_ids(store: Store) -> dict[str, int]:
    """Delete the rows of per-run tables that name an erased author inside a post id (see
    ``_DERIVED_ID_COLUMNS``); inside the caller's transaction. Returns rows deleted per table."""
    if not _has_tombstones(store):
        return {}
    _install(store)
    counts: dict[str, int] = {}
    for table, column in _DERIVED_ID_COLUMNS:
        named = _hit_keys(
            store,
            f"SELECT DISTINCT {column} AS key, {column} AS text, network FROM {table}",
            {},
            own_network=True,
        )
        deleted = int(
            store.con.execute(
                f"DELETE FROM {table} WHERE {column} IN (SELECT key FROM {named})"
            ).fetchall()[0][0]
        )
        if deleted:
            counts[f"{table}.{column}"] = deleted
    store.con.execute("DROP TABLE IF EXISTS _named")
    return counts


def scrub_withdrawals(store: Store, *, people: Iterable[str] = ()) -> int:
    """Replace the reasons of run withdrawals that name an erased account, or one of the
    erased ``people``, by ``[erased]`` (an operator's free text may name whom a run wronged).
    Inside the caller's transaction; returns how many reasons were replaced."""
    names = sorted(set(people))
    if not names and not _has_tombstones(store):
        return 0
    _install(store)
    named = _hit_keys(
        store, "SELECT run_id AS key, reason AS text FROM run_withdrawals", {"names": names}
    )
    changed = int(
        store.con.execute(
            f"UPDATE run_withdrawals SET reason = '[erased]' "
            f"WHERE run_id IN (SELECT key FROM {named})"
        ).fetchall()[0][0]
    )
    store.con.execute("DROP TABLE IF EXISTS _named")
    return changed


def leftovers(store: Store) -> dict[str, int]:
    """For every text column of every table (ours excepted), how many distinct values still
    name an erased account (on the row's own network, where the table has one); only columns
    with some are listed. Reads only."""
    if not _has_tombstones(store):
        return {}
    columns = store.rows(
        "SELECT c.table_name, c.column_name, "
        "EXISTS (SELECT 1 FROM information_schema.columns n WHERE n.table_schema = 'main' "
        "AND n.table_name = c.table_name AND n.column_name = 'network') "
        "FROM information_schema.columns c "
        "WHERE c.table_schema = 'main' AND c.data_type IN ('VARCHAR', 'JSON') "
        "AND c.table_name IN (SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE') ORDER BY 1, 2"
    )
    _install(store)
    key = salt(store)
    found: dict[str, int] = {}
    for table, column, has_network in columns:
        if table in _NOT_SEARCHED or column in _VOCABULARY_COLUMNS:
            continue
        # Names come from the catalog, quoted.
        own = bool(has_network)
        network = ", network" if own else ""
        values = (
            f'SELECT DISTINCT CAST("{column}" AS VARCHAR) AS key, key AS text{network} '
            f'FROM "{table}"'
        )
        sql = _named_sql(store, values, own_network=own)
        count = int(
            store.scalar(
                f"SELECT count(*) FROM ({sql})", {"salt": key, "names": [], "klout": KLOUT}
            )
        )
        if count:
            found[f"{table}.{column}"] = count
    return found
