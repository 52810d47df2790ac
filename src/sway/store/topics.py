"""Topics in the store: computing and publishing topic runs, reading them with corrections.

A *topic run* is computed against a published score run (its window, ``as_of``, parameters
and the credibility of every reactor) by :func:`compute_topics`, and written once, in one
transaction, by :func:`save_topic_run`. Its id is a function of the score run, the topic
version and parameters, the ontology, the endorsements and the newest ingest, so computing
again on the same data finds the published run.

Corrections (:func:`hide_topic`, :func:`propose_topic`) and endorsements
(:func:`add_endorsement`) are not part of a run: they are kept across runs, corrections are
applied by every read here (a hidden topic is never returned; a proposed one is returned with
``status = 'proposed'`` as soon as it has any content evidence), and endorsements are weighed
by the next topic run.

The functions an API calls: :func:`profile_topics` (what an account or person is influential
about, with evidence), :func:`topic_leaderboard`, :func:`topic_sentiment`,
:func:`topic_volume`, :func:`resolve_topic`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from sway.errors import ConfigError, ScoringError, StoreError
from sway.events import EVENT_COLUMNS
from sway.store.db import Store
from sway.store.people import AccountRef, parse_account_ref
from sway.store.runs import NOT_WITHDRAWN
from sway.topics.endorse import Endorsement, check_new
from sway.topics.extract import FREE_PREFIX
from sway.topics.model import TopicContext, TopicModel
from sway.topics.ontology import AmbiguousTopic, Ontology, load_ontology
from sway.topics.params import TOPICS_VERSION, TopicParams
from sway.topics.text import key

__all__ = [
    "TopicProfile",
    "TopicRunInfo",
    "add_endorsement",
    "catalog_rows",
    "compute_topics",
    "export_batches",
    "get_topic_run",
    "hide_topic",
    "influential_about",
    "latest_topic_run",
    "list_corrections",
    "list_endorsements",
    "list_topic_runs",
    "network_events",
    "post_texts",
    "profile_topics",
    "propose_topic",
    "remove_correction",
    "resolve_topic",
    "save_topic_run",
    "topic_evidence",
    "topic_leaderboard",
    "topic_sentiment",
    "topic_volume",
]


@dataclass(frozen=True)
class TopicRunInfo:
    """One published topic run."""

    topic_run_id: str
    run_id: str | None
    version: str
    ontology: str
    ontology_digest: str
    params: dict[str, Any]
    as_of: datetime
    window_start: datetime
    created_at: datetime
    summary: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in vars(self).items()}


# -- computing ----------------------------------------------------------------------------


def _content(store: Store, start: datetime, history_start: datetime, as_of: datetime) -> pa.Table:
    """Items to annotate: those written in the history span, and older ones that reactions
    in the window point at."""
    return store.con.sql(
        """
        SELECT network, event_id, ts, actor, action, target, content_id, parent_id, text, tags,
               lang
        FROM events AS e
        WHERE e.ts < $as_of AND e.action IN ('post', 'reply', 'comment', 'quote')
          AND (e.ts >= $history_start OR EXISTS (
              SELECT 1 FROM events AS r
              WHERE r.network = e.network AND r.ts >= $start AND r.ts < $as_of
                AND CASE WHEN r.action IN ('reply', 'comment', 'quote') THEN r.parent_id
                         ELSE r.content_id END = e.content_id
          ))
        """,
        params={"start": start, "history_start": history_start, "as_of": as_of},
    ).to_arrow_table()


def _endorsements(
    store: Store, ontology: Ontology, start: datetime, as_of: datetime
) -> list[Endorsement]:
    """Endorsements in the window: made through Sway, and imported ``endorse`` events that
    carry topics in ``tags`` and point at no post (an accepted answer is a reaction, not +K)."""
    found = [
        Endorsement(str(i), str(n), str(g), str(t), str(topic), ts, str(src))
        for i, n, g, t, topic, ts, src in store.rows(
            "SELECT endorsement_id, network, giver, target, topic_id, ts, source "
            "FROM topic_endorsements WHERE ts >= ? AND ts < ? "
            "ORDER BY ts, created_at, endorsement_id",
            [start, as_of],
        )
    ]
    for event_id, network, giver, target, ts, tags in store.rows(
        "SELECT event_id, network, actor, target, ts, tags FROM events WHERE action = 'endorse' "
        "AND len(tags) > 0 AND content_id IS NULL AND parent_id IS NULL AND actor IS NOT NULL "
        "AND target IS NOT NULL AND ts >= ? AND ts < ? ORDER BY ts, event_id",
        [start, as_of],
    ):
        for tag in tags:
            topic = ontology.find(tag)
            topic_id = topic.id if topic is not None else FREE_PREFIX + key(tag)
            found.append(
                Endorsement(
                    f"{event_id}#{topic_id}", network, giver, target, topic_id, ts, "import"
                )
            )
    return found


def compute_topics(
    store: Store,
    *,
    run_id: str | None = None,
    ontology: Ontology | str | Path | None = None,
    params: Mapping[str, Any] | None = None,
) -> tuple[TopicRunInfo, bool]:
    """Compute the topics of a score run (default: the latest) and publish them.

    Returns the topic run and whether it was new (``False``: the same run was already
    published and nothing was written).
    """
    from sway.engines.duckdb import DuckDBEngine
    from sway.store.runs import get_run

    run = get_run(store, run_id)
    tree = ontology if isinstance(ontology, Ontology) else load_ontology(ontology)
    model = TopicModel(**dict(params or {}))
    topic_params = TopicParams(**model.get_params())
    context = TopicContext(as_of=run.as_of, score_params=run.params, run_id=run.run_id)
    start = context.topic_start(topic_params)
    endorsements = _endorsements(store, tree, start, run.as_of)
    max_ingest = store.scalar("SELECT max(ingest_id) FROM events")
    topic_run_id = _topic_run_id(run.run_id, tree, topic_params, endorsements, max_ingest)
    existing = _topic_runs(store, "WHERE topic_run_id = ?", [topic_run_id])
    if existing:
        return existing[0], False
    history_start = min(start, run.as_of - timedelta(days=topic_params.history_days))
    content = _content(store, start, history_start, run.as_of)
    reactors = store.con.sql(
        "SELECT network, account_id, selectivity * credibility AS factor FROM score_details "
        "WHERE run_id = $run_id",
        params={"run_id": run.run_id},
    ).to_arrow_table()
    engine = DuckDBEngine.for_store(store)
    try:
        model.fit(
            engine,
            content,
            ontology=tree,
            context=context,
            topic_engine=DuckDBEngine.from_events,
            reactors=reactors,
            endorsements=endorsements,
        )
    finally:
        engine.close()
    info = TopicRunInfo(
        topic_run_id=topic_run_id,
        run_id=run.run_id,
        version=TOPICS_VERSION,
        ontology=tree.name,
        ontology_digest=tree.digest,
        params=topic_params.as_dict(),
        as_of=run.as_of,
        window_start=start,
        created_at=datetime.now(UTC),
        summary=model.summary_,
    )
    return info, save_topic_run(store, model, info)


def _topic_run_id(
    run_id: str,
    ontology: Ontology,
    params: TopicParams,
    endorsements: list[Endorsement],
    max_ingest: int | None,
) -> str:
    digest = hashlib.sha256()
    for e in sorted(endorsements, key=lambda e: e.endorsement_id):
        digest.update(f"{e.endorsement_id}|{e.giver}|{e.target}|{e.topic_id}|{e.ts}".encode())
    payload = json.dumps(
        {
            "run": run_id,
            "version": TOPICS_VERSION,
            "ontology": ontology.digest,
            "params": params.as_dict(),
            "endorsements": digest.hexdigest(),
            "max_ingest": max_ingest,
        },
        sort_keys=True,
    )
    return f"t{TOPICS_VERSION}-{hashlib.sha256(payload.encode()).hexdigest()[:16]}"


_TABLES: dict[str, tuple[str, str]] = {
    # table: (model attribute, columns)
    "topic_catalog": ("catalog_", "topic_id, name, slug, kind, parents, wikidata, names"),
    "account_topics": (
        "account_topics_",
        "network, account_id, topic_id, direct, shown, expertise, content_expertise, "
        "endorsement_boost, endorsements, raw, score, evidence_count, reactors, posts, authored",
    ),
    "person_topics": (
        "person_topics_",
        "person_id, topic_id, accounts, direct, shown, expertise, raw, score, evidence_count, "
        "reactors, posts, endorsements",
    ),
    "topic_evidence_posts": (
        "evidence_posts_",
        "network, account_id, topic_id, top_rank, post_id, reactions, reactors, contribution",
    ),
    "topic_evidence_reactors": (
        "evidence_reactors_",
        "network, account_id, topic_id, top_rank, reactor, reactions, contribution",
    ),
    "topic_volume": ("volume_", "topic_id, period_start, items, authors, reactions"),
    "account_topic_volume": (
        "account_volume_",
        "network, account_id, topic_id, period_start, items, reactions",
    ),
    "post_topics": (
        "item_topics_",
        "network, content_id, account_id, topic_id, weight, direct",
    ),
    "topic_sentiment": (
        "sentiment_",
        "network, account_id, topic_id, period_start, reactions, texts, positive, negative, "
        "neutral, downvotes, mean_compound, negative_rise",
    ),
}


def save_topic_run(store: Store, model: TopicModel, info: TopicRunInfo) -> bool:
    """Publish a fitted model as one topic run, in one transaction (``False`` if it exists)."""
    con = store.con
    decisions = pa.table(
        {
            "endorsement_id": pa.array(
                [d.endorsement.endorsement_id for d in model.endorsements_], pa.string()
            ),
            "accepted": pa.array([d.accepted for d in model.endorsements_], pa.bool_()),
            "reason": pa.array([d.reason for d in model.endorsements_], pa.string()),
            "weight": pa.array([d.weight for d in model.endorsements_], pa.float64()),
            "colluding": pa.array([d.colluding for d in model.endorsements_], pa.bool_()),
        }
    )
    registered = {f"_topics_{t}": getattr(model, attr) for t, (attr, _) in _TABLES.items()}
    registered["_topics_decisions"] = decisions
    try:
        con.execute("BEGIN TRANSACTION")
        if store.scalar(
            "SELECT count(*) FROM topic_runs WHERE topic_run_id = ?", [info.topic_run_id]
        ):
            con.execute("ROLLBACK")
            return False
        for name, table in registered.items():
            con.register(name, table)
        con.execute(
            "INSERT INTO topic_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), ?)",
            [
                info.topic_run_id,
                info.run_id,
                info.version,
                info.ontology,
                info.ontology_digest,
                json.dumps(info.params, sort_keys=True),
                info.as_of,
                info.window_start,
                json.dumps(info.summary, sort_keys=True, default=str),
            ],
        )
        for table, (_, columns) in _TABLES.items():
            con.execute(
                f"INSERT INTO {table} (topic_run_id, {columns}) "
                f"SELECT ?, {columns} FROM _topics_{table}",
                [info.topic_run_id],
            )
        con.execute(
            "INSERT INTO topic_endorsement_decisions SELECT ?, endorsement_id, accepted, reason, "
            "weight, colluding FROM _topics_decisions",
            [info.topic_run_id],
        )
        con.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise StoreError(f"could not publish topic run {info.topic_run_id}: {exc}") from None
        raise
    finally:
        for name in registered:
            with contextlib.suppress(duckdb.Error):
                con.unregister(name)
    return True


# -- topic runs ---------------------------------------------------------------------------


def _topic_runs(store: Store, where: str, params: list[Any]) -> list[TopicRunInfo]:
    return [
        TopicRunInfo(
            topic_run_id=r["topic_run_id"],
            run_id=r["run_id"],
            version=r["version"],
            ontology=r["ontology"],
            ontology_digest=r["ontology_digest"],
            params=json.loads(r["params"]),
            as_of=r["as_of"],
            window_start=r["window_start"],
            created_at=r["created_at"],
            summary=json.loads(r["summary"]) if r["summary"] else {},
        )
        for r in store.dicts(
            f"SELECT * FROM topic_runs AS r {where} ORDER BY as_of DESC, created_at DESC", params
        )
    ]


def list_topic_runs(store: Store, *, limit: int = 50) -> list[TopicRunInfo]:
    """Published topic runs, newest first."""
    return _topic_runs(store, "", [])[:limit]


def latest_topic_run(store: Store) -> TopicRunInfo | None:
    """The topic run served: the latest one whose score run is not withdrawn (a topic run
    stands on its score run's window and reactor credibility, so it goes with it); ``None``
    when there is none."""
    runs = _topic_runs(store, f"WHERE {NOT_WITHDRAWN}", [])
    return runs[0] if runs else None


def get_topic_run(
    store: Store, topic_run_id: str | None = None, *, run_id: str | None = None
) -> TopicRunInfo:
    """A topic run by id (or unique prefix), the latest one of a score run, or the latest
    served (:func:`latest_topic_run`)."""
    if topic_run_id is not None:
        runs = _topic_runs(store, "WHERE starts_with(topic_run_id, ?)", [topic_run_id])
        exact = [r for r in runs if r.topic_run_id == topic_run_id]
        if exact:
            return exact[0]
        if len(runs) > 1:
            raise ScoringError(f"topic run id {topic_run_id!r} is ambiguous")
        if not runs:
            raise ScoringError(f"no topic run {topic_run_id!r}; see `sway topics runs`")
        return runs[0]
    if run_id is not None:
        runs = _topic_runs(store, "WHERE starts_with(run_id, ?)", [run_id])
        if not runs:
            raise ScoringError(f"no topics for score run {run_id!r}; run `sway topics compute`")
        return runs[0]
    latest = latest_topic_run(store)
    if latest is None:
        if store.scalar("SELECT count(*) FROM topic_runs"):
            raise ScoringError(
                "every topic run is of a withdrawn score run (see `sway runs`); run "
                "`sway topics compute` for the run now served"
            )
        raise ScoringError("no topics yet; run `sway score` then `sway topics compute`")
    return latest


# -- topics by name -----------------------------------------------------------------------


def resolve_topic(
    store: Store, text: str, *, topic_run: TopicRunInfo | None = None
) -> tuple[str, str]:
    """``(topic_id, name)`` for a topic given by id, slug, or name (case- and accent-insensitive):
    first among the topics of the run, then in the bundled ontology, then as a tag topic. A name
    several topics share (the Klout super-topic "Entertainment" and the topic "Entertainment")
    raises :class:`~sway.topics.ontology.AmbiguousTopic` listing them; slugs and ids never do."""
    wanted = key(text)
    if topic_run is not None:
        rows = store.rows(
            "SELECT topic_id, name, slug, names FROM topic_catalog WHERE topic_run_id = ? "
            "ORDER BY kind, length(topic_id), topic_id",
            [topic_run.topic_run_id],
        )
        for topic_id, name, _slug, _names in rows:
            if text.strip() == topic_id:
                return topic_id, name
        for topic_id, name, slug, _names in rows:
            if slug and text.strip() == slug:
                return topic_id, name
        named = []
        for topic_id, name, slug, names in rows:
            localized = json.loads(names).values() if names else ()
            if wanted in {key(name), *(key(n) for n in localized)}:
                named.append((topic_id, name, slug))
        if len(named) > 1:
            raise AmbiguousTopic(text, named)
        if named:
            return named[0][0], named[0][1]
    if text.strip().startswith(FREE_PREFIX):
        return text.strip(), text.strip()[len(FREE_PREFIX) :]
    if topic_run is None or topic_run.ontology == "klout-2018":
        found = load_ontology().candidates(text)
        if len(found) > 1:
            raise AmbiguousTopic(text, [(t.id, t.name, t.slug) for t in found])
        if found:
            return found[0].id, found[0].name
    raise ConfigError(
        f"no topic {text!r}"
        + (" in this topic run or the ontology" if topic_run else " in the ontology")
        + "; `sway topics list` shows the topics of a run"
    )


# -- corrections --------------------------------------------------------------------------


def _subject(text: str) -> str:
    """``NETWORK:ACCOUNT`` (normalised) or a person id."""
    text = text.strip()
    if not text:
        raise ConfigError("expected NETWORK:ACCOUNT or a person id, found nothing")
    if ":" in text:
        return str(parse_account_ref(text))
    return text


def _correct(store: Store, subject: str, topic: str, action: str, note: str | None) -> str:
    topic_id, name = resolve_topic(store, topic, topic_run=latest_topic_run(store))
    store.con.execute(
        "INSERT OR REPLACE INTO topic_corrections VALUES (?, ?, ?, ?, ?, now())",
        [_subject(subject), topic_id, action, name, note],
    )
    return name


def hide_topic(store: Store, subject: str, topic: str, *, note: str | None = None) -> str:
    """Hide ``topic`` for an account (``NETWORK:ACCOUNT``) or person; returns the topic name."""
    return _correct(store, subject, topic, "hide", note)


def propose_topic(store: Store, subject: str, topic: str, *, note: str | None = None) -> str:
    """Propose ``topic`` for an account or person; shown once it has any content evidence."""
    return _correct(store, subject, topic, "propose", note)


def remove_correction(store: Store, subject: str, topic: str) -> int:
    """Forget a hide or propose; returns how many were removed (0 or 1)."""
    topic_id, _ = resolve_topic(store, topic, topic_run=latest_topic_run(store))
    before = store.scalar("SELECT count(*) FROM topic_corrections")
    store.con.execute(
        "DELETE FROM topic_corrections WHERE subject = ? AND topic_id = ?",
        [_subject(subject), topic_id],
    )
    return int(before) - int(store.scalar("SELECT count(*) FROM topic_corrections"))


def list_corrections(store: Store, subject: str | None = None) -> list[dict[str, Any]]:
    """Corrections, of one subject or all."""
    return store.dicts(
        "SELECT subject, topic_id, topic_name, action, note, created_at FROM topic_corrections "
        "WHERE ? IS NULL OR subject = ? ORDER BY subject, action, topic_name",
        [None if subject is None else _subject(subject)] * 2,
    )


# -- endorsements -------------------------------------------------------------------------


def add_endorsement(
    store: Store,
    giver: str | AccountRef,
    target: str | AccountRef,
    topic: str,
    *,
    at: datetime | None = None,
    source: str = "cli",
    params: Mapping[str, Any] | None = None,
) -> Endorsement:
    """Record that ``giver`` endorses ``target`` on ``topic`` (both ``NETWORK:ACCOUNT``).

    The limits are checked first (at most ``endorse_daily_limit`` per giver per day, once per
    giver, target and topic per ``endorse_repeat_days``): an endorsement over them raises
    :class:`ConfigError` with the rule and nothing is stored. Its weight is decided by the
    next topic run.
    """
    g = giver if isinstance(giver, AccountRef) else parse_account_ref(giver)
    t = target if isinstance(target, AccountRef) else parse_account_ref(target)
    if g.network != t.network:
        raise ConfigError(f"{g} and {t} are on different networks; endorse within one network")
    topic_id, name = resolve_topic(store, topic, topic_run=latest_topic_run(store))
    p = TopicParams(**dict(params or {}))
    when = (at or datetime.now(UTC)).astimezone(UTC)
    digest = hashlib.sha256(f"{g}|{t}|{topic_id}|{when.isoformat()}".encode()).hexdigest()[:16]
    new = Endorsement(f"e-{digest}", g.network, g.account_id, t.account_id, topic_id, when, source)
    existing = [
        Endorsement(str(i), str(n), str(gv), str(tg), str(tp), ts, str(src))
        for i, n, gv, tg, tp, ts, src in store.rows(
            "SELECT endorsement_id, network, giver, target, topic_id, ts, source "
            "FROM topic_endorsements WHERE network = ? AND giver = ? "
            "ORDER BY ts, created_at, endorsement_id",
            [g.network, g.account_id],
        )
    ]
    decision = check_new(
        existing, new, daily_limit=int(p.endorse_daily_limit), repeat_days=p.endorse_repeat_days
    )
    if not decision.accepted:
        raise ConfigError(f"{g} cannot endorse {t} on {name!r} now: {decision.reason}")
    store.con.execute(
        "INSERT INTO topic_endorsements VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())",
        [new.endorsement_id, g.network, g.account_id, t.account_id, topic_id, name, when, source],
    )
    return new


def list_endorsements(store: Store, target: str | None = None) -> list[dict[str, Any]]:
    """Endorsements made through Sway (of one target ``NETWORK:ACCOUNT``, or all)."""
    ref = parse_account_ref(target) if target else None
    return store.dicts(
        "SELECT endorsement_id, network, giver, target, topic_id, topic_name, ts, source "
        "FROM topic_endorsements WHERE ? IS NULL OR (network = ? AND target = ?) ORDER BY ts",
        [None if ref is None else str(ref), ref and ref.network, ref and ref.account_id],
    )


# -- reading topics (with corrections) ----------------------------------------------------

#: Account rows with their corrections: a correction names the account or a person it is
#: linked to now.
_ACCOUNT_ROWS = """
SELECT t.*, c.name AS topic, c.kind, c.parents,
       p.person_id,
       coalesce(h.hidden, FALSE) AS hidden,
       coalesce(h.proposed, FALSE) AS proposed
FROM account_topics AS t
JOIN topic_catalog AS c ON c.topic_run_id = t.topic_run_id AND c.topic_id = t.topic_id
LEFT JOIN (
    SELECT network, account_id, min(person_id) AS person_id FROM person_accounts
    GROUP BY network, account_id
) AS p ON p.network = t.network AND p.account_id = t.account_id
LEFT JOIN (
    SELECT s.network, s.account_id, k.topic_id,
           bool_or(k.action = 'hide') AS hidden, bool_or(k.action = 'propose') AS proposed
    FROM topic_corrections AS k
    JOIN (
        SELECT network, account_id, network || ':' || account_id AS subject
        FROM account_topics WHERE topic_run_id = $topic_run_id
        UNION
        SELECT network, account_id, person_id FROM person_accounts
    ) AS s ON s.subject = k.subject
    GROUP BY s.network, s.account_id, k.topic_id
) AS h ON h.network = t.network AND h.account_id = t.account_id AND h.topic_id = t.topic_id
WHERE t.topic_run_id = $topic_run_id
"""

_PERSON_ROWS = """
SELECT t.*, c.name AS topic, c.kind, c.parents,
       coalesce(bool_or(k.action = 'hide'), FALSE) AS hidden,
       coalesce(bool_or(k.action = 'propose'), FALSE) AS proposed
FROM person_topics AS t
JOIN topic_catalog AS c ON c.topic_run_id = t.topic_run_id AND c.topic_id = t.topic_id
LEFT JOIN topic_corrections AS k ON k.subject = t.person_id AND k.topic_id = t.topic_id
WHERE t.topic_run_id = $topic_run_id
GROUP BY ALL
"""

#: What every output shows: not hidden, and either enough evidence or proposed (with some).
_VISIBLE = "NOT hidden AND (shown OR proposed)"


def _status(row: dict[str, Any]) -> str:
    return "proposed" if row["proposed"] and not row["shown"] else "shown"


@dataclass
class TopicProfile:
    """What an account or person is influential about.

    Attributes
    ----------
    subject
        ``NETWORK:ACCOUNT`` or the person id.
    topic_run_id, as_of
        The topic run read.
    topics
        The topics shown, most specific first and by expertise: ``topic_id, topic, score
        (1-100 topic influence), expertise, evidence_count, reactors, posts, endorsements,
        status ('shown' or 'proposed'), direct`` and, for accounts, ``evidence`` (top posts
        and reactors).
    broader
        Parent topics reached only through the topics above (the hierarchy).
    proposed_without_evidence
        Topics the person proposed that have no content evidence yet.
    hidden
        Topics the person hid (never shown elsewhere).
    """

    subject: str
    topic_run_id: str
    as_of: datetime
    topics: list[dict[str, Any]] = field(default_factory=list)
    broader: list[dict[str, Any]] = field(default_factory=list)
    proposed_without_evidence: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "topic_run_id": self.topic_run_id,
            "as_of": self.as_of.isoformat(),
            "topics": self.topics,
            "broader": self.broader,
            "proposed_without_evidence": self.proposed_without_evidence,
            "hidden": self.hidden,
        }


_PUBLIC = (
    "topic_id",
    "topic",
    "kind",
    "score",
    "expertise",
    "evidence_count",
    "reactors",
    "posts",
    "authored",
    "endorsements",
    "direct",
)


def profile_topics(
    store: Store,
    subject: str,
    *,
    topic_run_id: str | None = None,
    evidence: bool = True,
    limit: int = 20,
) -> TopicProfile:
    """The topics of ``NETWORK:ACCOUNT`` or of a person id, with evidence, corrections applied."""
    run = get_topic_run(store, topic_run_id)
    subject = _subject(subject)
    params = {"topic_run_id": run.topic_run_id}
    is_account = ":" in subject and not store.scalar(
        "SELECT count(*) FROM person_topics WHERE topic_run_id = ? AND person_id = ?",
        [run.topic_run_id, subject],
    )
    if is_account:
        ref = parse_account_ref(subject)
        rows = store.con.sql(
            f"SELECT * FROM ({_ACCOUNT_ROWS}) WHERE network = $network AND account_id = $account",
            params={**params, "network": ref.network, "account": ref.account_id},
        )
    else:
        rows = store.con.sql(
            f"SELECT * FROM ({_PERSON_ROWS}) WHERE person_id = $person",
            params={**params, "person": subject},
        )
    names = [d[0] for d in rows.description]
    found = [dict(zip(names, r, strict=True)) for r in rows.fetchall()]
    profile = TopicProfile(subject=subject, topic_run_id=run.topic_run_id, as_of=run.as_of)
    visible = [r for r in found if not r["hidden"] and (r["shown"] or r["proposed"])]
    visible.sort(key=lambda r: (not r["direct"], -r["expertise"], r["topic"]))
    for r in visible:
        item = {k: r.get(k) for k in _PUBLIC if k in r} | {"status": _status(r)}
        if evidence and is_account:
            item["evidence"] = topic_evidence(
                store, run.topic_run_id, r["network"], r["account_id"], r["topic_id"]
            )
        (profile.topics if r["direct"] else profile.broader).append(item)
    profile.topics = profile.topics[:limit]
    profile.hidden = sorted(r["topic"] for r in found if r["hidden"])
    corrections = list_corrections(store, subject)
    with_rows = {r["topic_id"] for r in found}
    profile.proposed_without_evidence = sorted(
        str(c["topic_name"])
        for c in corrections
        if c["action"] == "propose" and c["topic_id"] not in with_rows
    )
    profile.hidden = sorted(
        set(profile.hidden) | {str(c["topic_name"]) for c in corrections if c["action"] == "hide"}
    )
    return profile


def influential_about(store: Store, subject: str, *, limit: int = 5) -> list[dict[str, Any]]:
    """The top topics of ``NETWORK:ACCOUNT`` or a person in the latest topic run, as
    ``{"topic_id", "topic", "score", "expertise", "evidence_count", "status"}``; empty when no
    topic run is served (for ``sway show`` and API profiles: never an error)."""
    if latest_topic_run(store) is None:
        return []
    profile = profile_topics(store, subject, evidence=False, limit=limit)
    keys = ("topic_id", "topic", "score", "expertise", "evidence_count", "status")
    return [{k: t[k] for k in keys} for t in profile.topics]


def topic_evidence(
    store: Store, topic_run_id: str, network: str, account_id: str, topic_id: str
) -> dict[str, list[dict[str, Any]]]:
    """The posts and reactors behind one account's topic."""
    where = "topic_run_id = ? AND network = ? AND account_id = ? AND topic_id = ? ORDER BY top_rank"
    args = [topic_run_id, network, account_id, topic_id]
    return {
        "posts": store.dicts(
            f"SELECT post_id, reactions, reactors, contribution FROM topic_evidence_posts WHERE {where}",
            args,
        ),
        "reactors": store.dicts(
            f"SELECT reactor, reactions, contribution FROM topic_evidence_reactors WHERE {where}",
            args,
        ),
    }


def topic_leaderboard(
    store: Store,
    topic: str,
    *,
    network: str | None = None,
    people: bool = False,
    limit: int = 50,
    topic_run_id: str | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """The most influential accounts (or people) on a topic: ``(topic name, rows)`` by topic
    score, hidden topics left out."""
    run = get_topic_run(store, topic_run_id)
    topic_id, name = resolve_topic(store, topic, topic_run=run)
    params: dict[str, Any] = {"topic_run_id": run.topic_run_id, "topic": topic_id, "limit": limit}
    if people:
        if network is not None:
            raise ConfigError("--network ranks accounts; drop it with --people")
        sql = f"""
            SELECT person_id AS subject, person_id, NULL AS network, NULL AS account_id, score,
                   raw, expertise, evidence_count, accounts, shown, proposed
            FROM ({_PERSON_ROWS}) WHERE topic_id = $topic AND {_VISIBLE}
            UNION ALL
            SELECT network || ':' || account_id, network || ':' || account_id, network,
                   account_id, score, raw, expertise, evidence_count, 1, shown, proposed
            FROM ({_ACCOUNT_ROWS}) WHERE topic_id = $topic AND person_id IS NULL AND {_VISIBLE}
            ORDER BY score DESC, expertise DESC, subject LIMIT $limit
        """
    else:
        params["network"] = network
        sql = f"""
            SELECT network || ':' || account_id AS subject, person_id, network, account_id,
                   score, raw, expertise, evidence_count, 1 AS accounts, shown, proposed
            FROM ({_ACCOUNT_ROWS})
            WHERE topic_id = $topic AND {_VISIBLE} AND ($network IS NULL OR network = $network)
            ORDER BY score DESC, expertise DESC, subject LIMIT $limit
        """
    result = store.con.sql(sql, params=params)
    names = [d[0] for d in result.description]
    rows = [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    for r in rows:
        r["status"] = _status(r)
    return name, rows


def export_batches(store: Store, topic_run_id: str) -> Iterator[pa.RecordBatch]:
    """One row per account and topic shown (corrections applied): ``network, account, person,
    topic, score, evidence_count`` then ``topic_id, expertise, raw, reactors, posts,
    endorsements, status, direct, topic_run_id, run_id, as_of``."""
    result = store.con.sql(
        f"""
        SELECT r.network, r.account_id AS account,
               coalesce(r.person_id, r.network || ':' || r.account_id) AS person,
               r.topic, r.score, r.evidence_count, r.topic_id, r.expertise, r.raw, r.reactors,
               r.posts, r.endorsements,
               CASE WHEN r.proposed AND NOT r.shown THEN 'proposed' ELSE 'shown' END AS status,
               r.direct, r.topic_run_id, tr.run_id, tr.as_of
        FROM ({_ACCOUNT_ROWS}) AS r
        JOIN topic_runs AS tr ON tr.topic_run_id = r.topic_run_id
        WHERE {_VISIBLE}
        ORDER BY r.network, r.account_id, r.score DESC, r.topic_id
        """,
        params={"topic_run_id": topic_run_id},
    )
    yield from result.to_arrow_table().to_batches(max_chunksize=65_536)


def topic_sentiment(
    store: Store,
    subject: str,
    *,
    topic: str | None = None,
    topic_run_id: str | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """Sentiment received by an account per period (all topics, or one): ``(topic name, rows)``
    with ``negative_rise`` flags. A hidden topic gives no rows."""
    run = get_topic_run(store, topic_run_id)
    ref = parse_account_ref(subject)
    topic_id, name = ("", "all topics")
    if topic is not None:
        topic_id, name = resolve_topic(store, topic, topic_run=run)
        if _hidden(store, ref, topic_id):
            return name, []
    rows = store.dicts(
        "SELECT period_start, reactions, texts, positive, negative, neutral, downvotes, "
        "mean_compound, negative_rise FROM topic_sentiment WHERE topic_run_id = ? "
        "AND network = ? AND account_id = ? AND topic_id = ? ORDER BY period_start",
        [run.topic_run_id, ref.network, ref.account_id, topic_id],
    )
    return name, rows


def _hidden(store: Store, ref: AccountRef, topic_id: str) -> bool:
    subjects = [str(ref)] + [
        str(p)
        for (p,) in store.rows(
            "SELECT person_id FROM person_accounts WHERE network = ? AND account_id = ?",
            [ref.network, ref.account_id],
        )
    ]
    marks = ",".join("?" for _ in subjects)
    return bool(
        store.scalar(
            f"SELECT count(*) FROM topic_corrections WHERE action = 'hide' AND topic_id = ? "
            f"AND subject IN ({marks})",
            [topic_id, *subjects],
        )
    )


def topic_volume(
    store: Store,
    topic: str,
    *,
    account: str | None = None,
    topic_run_id: str | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """How much is said about a topic per period (items, authors, reactions) and, with
    ``account``, that account's items and reactions on it and its share of the items."""
    run = get_topic_run(store, topic_run_id)
    topic_id, name = resolve_topic(store, topic, topic_run=run)
    if account is None:
        return name, store.dicts(
            "SELECT period_start, items, authors, reactions FROM topic_volume "
            "WHERE topic_run_id = ? AND topic_id = ? ORDER BY period_start",
            [run.topic_run_id, topic_id],
        )
    ref = parse_account_ref(account)
    if _hidden(store, ref, topic_id):
        return name, []
    return name, store.dicts(
        """
        SELECT v.period_start, v.items, v.authors, v.reactions,
               coalesce(a.items, 0) AS account_items,
               coalesce(a.reactions, 0) AS account_reactions,
               CASE WHEN v.items > 0 THEN coalesce(a.items, 0) / v.items ELSE 0.0 END AS share
        FROM topic_volume AS v
        LEFT JOIN account_topic_volume AS a
            ON a.topic_run_id = v.topic_run_id AND a.topic_id = v.topic_id
           AND a.period_start = v.period_start AND a.network = ? AND a.account_id = ?
        WHERE v.topic_run_id = ? AND v.topic_id = ?
        ORDER BY v.period_start
        """,
        [ref.network, ref.account_id, run.topic_run_id, topic_id],
    )


def catalog_rows(store: Store, topic_run_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """The topics of a run with how many accounts show each (corrections applied)."""
    result = store.con.sql(
        f"""
        SELECT topic_id, topic, kind, count(*) AS accounts, max(score) AS best_score,
               CAST(sum(evidence_count) AS BIGINT) AS evidence
        FROM ({_ACCOUNT_ROWS}) WHERE {_VISIBLE}
        GROUP BY topic_id, topic, kind
        ORDER BY accounts DESC, evidence DESC, topic LIMIT $limit
        """,
        params={"topic_run_id": topic_run_id, "limit": limit},
    )
    names = [d[0] for d in result.description]
    return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


def network_events(store: Store, network: str) -> pa.Table:
    """Every event of one network, in ``EVENT_SCHEMA`` (for the topic evaluation)."""
    return store.con.sql(
        f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE network = $network ORDER BY ts",
        params={"network": network},
    ).to_arrow_table()


def post_texts(
    store: Store, network: str, post_ids: list[str]
) -> dict[str, tuple[str | None, str]]:
    """The text and action (``post``, ``reply``...) of the items that created ``post_ids`` on
    ``network``, for showing posts by more than their ids."""
    if not post_ids:
        return {}
    rows = store.rows(
        "SELECT content_id, any_value(text), any_value(action) FROM events "
        "WHERE network = ? AND content_id IN (SELECT unnest(?)) "
        "AND action IN ('post', 'reply', 'comment', 'quote') GROUP BY content_id",
        [network, sorted(set(post_ids))],
    )
    return {str(c): (t, str(a)) for c, t, a in rows}
