"""Take erased (or under-age) accounts out of a table of events, keeping what others need.

The rules, for an erased account E (applied the same way to the stored ``events`` table when
E is forgotten and to a staged ingest when E's data comes in again):

- E's own posts, and E's reactions to E, are deleted;
- the text a like or repost of E's post carries (E's words) is dropped;
- E's reactions to others stay as anonymous reactions (``actor`` NULL, ``text`` NULL): the
  reactor is unknown, as for a Stack Exchange vote, so others keep that part of their score;
- reactions to E stay with ``target`` NULL (an unknown target: no one is credited), so the
  reactors' own activity (how selective they are) does not change;
- the ids of such events, and the ids of E's posts where they appear, are replaced by a salted
  digest (``anon:`` and 32 hex digits): derived ids such as ``like:{actor}:{post}`` contain E's
  id, and the same digest on a re-ingest keeps the ingest idempotent;
- E's handles and ids are replaced by ``[erased]`` in every text that names them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sway.store.db import Store

__all__ = ["ScrubCounts", "scrub_events"]

#: The tables this module rewrites; the name is interpolated, so only these are accepted.
_TABLES = frozenset({"events", "_staged_events"})
#: Shorter ids and handles are not searched for inside other strings: too many false hits.
_MIN_SEARCH = 3


def _anon(column: str) -> str:
    """SQL for the salted digest standing in for ``column`` (an expression of the statement's
    own columns; the salt is the ``$salt`` parameter)."""
    return f"'anon:' || substr(sha256($salt || '|' || e.network || '|' || {column}), 1, 32)"


@dataclass(frozen=True)
class ScrubCounts:
    """How many events one scrub deleted, anonymised and redacted."""

    deleted: int = 0
    anonymised: int = 0
    redacted: int = 0

    def __add__(self, other: ScrubCounts) -> ScrubCounts:
        return ScrubCounts(
            self.deleted + other.deleted,
            self.anonymised + other.anonymised,
            self.redacted + other.redacted,
        )


def _load(store: Store, name: str, rows: Iterable[tuple[str, str]]) -> int:
    con = store.con
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (network VARCHAR, value VARCHAR)")
    unique = sorted(set(rows))
    if unique:
        con.executemany(f"INSERT INTO {name} VALUES (?, ?)", [list(r) for r in unique])
    return len(unique)


def scrub_events(
    store: Store,
    table: str,
    *,
    salt: str,
    ids: Iterable[tuple[str, str]],
    handles: Iterable[tuple[str, str]] = (),
) -> ScrubCounts:
    """Apply the rules above to ``table`` for the accounts ``ids`` (``(network, account_id)``)
    known by ``handles`` (``(network, folded handle)``), inside the caller's transaction."""
    if table not in _TABLES:
        raise ValueError(f"not a table of events: {table!r}")
    con = store.con
    n_ids = _load(store, "_erased_ids", ids)
    n_handles = _load(store, "_erased_handles", handles)
    if not n_ids and not n_handles:
        return ScrubCounts()
    params = {"salt": salt}
    hit = "EXISTS (SELECT 1 FROM _erased_ids x WHERE x.network = e.network AND x.value = e.{col})"
    contains = (
        "EXISTS (SELECT 1 FROM _erased_ids x WHERE x.network = e.network "
        f"AND length(x.value) >= {_MIN_SEARCH} AND strpos(e.{{col}}, x.value) > 0)"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _touched AS
        SELECT network, event_id, any_value(action) AS action,
               bool_or(a_hit) AS a_hit, bool_or(t_hit) AS t_hit,
               bool_or({contains.format(col="content_id")}) AS c_hit,
               bool_or({contains.format(col="parent_id")}) AS p_hit
        FROM (SELECT e.*, {hit.format(col="actor")} AS a_hit, {hit.format(col="target")} AS t_hit
              FROM {table} e) e
        WHERE a_hit OR t_hit
        -- A staged input may hold one event twice: one row per id, or UPDATE ... FROM fails.
        GROUP BY network, event_id
        """
    )
    deleted = int(
        store.scalar("SELECT count(*) FROM _touched WHERE a_hit AND (action = 'post' OR t_hit)")
    )
    con.execute(
        f"""
        DELETE FROM {table} e USING _touched m
        WHERE e.network = m.network AND e.event_id = m.event_id
          AND m.a_hit AND (m.action = 'post' OR m.t_hit)
        """
    )
    anonymised = int(store.scalar("SELECT count(*) FROM _touched") or 0) - deleted
    con.execute(
        f"""
        UPDATE {table} e SET
            event_id = {_anon("e.event_id")},
            content_id = CASE
                WHEN (m.a_hit AND e.action IN ('reply', 'comment', 'quote'))
                  OR (m.t_hit AND e.action IN ('repost', 'like', 'vote', 'endorse'))
                  OR m.c_hit
                THEN {_anon("e.content_id")}
                ELSE e.content_id END,
            parent_id = CASE WHEN m.t_hit OR m.p_hit
                THEN {_anon("e.parent_id")}
                ELSE e.parent_id END,
            actor = CASE WHEN m.a_hit THEN NULL ELSE e.actor END,
            target = CASE WHEN m.t_hit THEN NULL ELSE e.target END,
            -- A like or repost of E's post carries E's text (some sources copy it in).
            text = CASE
                WHEN m.a_hit OR (m.t_hit AND e.action IN ('repost', 'like', 'vote', 'endorse'))
                THEN NULL ELSE e.text END
        FROM _touched m
        WHERE e.network = m.network AND e.event_id = m.event_id
        """,
        params,
    )
    redacted = _redact(store, table)
    for name in ("_touched", "_erased_ids", "_erased_handles"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return ScrubCounts(deleted=deleted, anonymised=anonymised, redacted=redacted)


def _redact(store: Store, table: str) -> int:
    """Replace every erased handle and id in texts with ``[erased]``; returns texts changed."""
    words = store.rows(
        "SELECT network, value FROM _erased_handles WHERE length(value) >= ? "
        "UNION SELECT network, value FROM _erased_ids WHERE length(value) >= ?",
        [_MIN_SEARCH, _MIN_SEARCH],
    )
    changed = 0
    for network, word in words:
        needle = str(word).lower()
        where = "network = ? AND text IS NOT NULL AND contains(lower(text), ?)"
        changed += int(
            store.scalar(f"SELECT count(*) FROM {table} WHERE {where}", [network, needle])
        )
        # RE2 with the `i` option; the word itself is escaped, and travels as a parameter.
        store.con.execute(
            f"UPDATE {table} SET text = regexp_replace(text, ?, '[erased]', 'gi') WHERE {where}",
            ["@?" + re.escape(str(word)), network, needle],
        )
    return changed
