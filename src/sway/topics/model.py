"""The topic model: what each account and person is influential about, with the evidence.

:class:`TopicModel` follows the estimator contract of the scorer (STYLE.md): ``__init__`` only
stores keyword parameters (:class:`~sway.topics.params.TopicParams`); :meth:`TopicModel.fit`
runs one pass and keeps the results in attributes ending in ``_``. One pass:

1. **annotate** every created item with its topics (:mod:`sway.topics.extract`) and add each
   topic's ancestors, so that parent topics aggregate their children;
2. **expertise** per account and topic (:mod:`sway.topics.steps`): the engagement received on
   posts about the topic, each reactor counted once with diminishing returns and weighted by
   its selectivity x credibility from the score run; evidence counts, top posts and reactors;
3. **endorsements** (:mod:`sway.topics.endorse`): limits, weights, collusion discount, cap;
4. **topic influence**: the influence score restricted to each topic with at least
   ``min_reactions`` on-topic reactions in all, by running
   :class:`~sway.scoring.InfluenceScorer` on that topic's own reaction graph (the reactions to
   posts about it and the posts about it); one pass scores every topic, each on a network of
   its own;
5. **people**: the L^p norm of their accounts' values, as the score combines accounts;
6. **volume** per topic and period, and **sentiment** of the texts received
   (:mod:`sway.topics.sentiment`).

A topic is *shown* for an account when its content evidence reaches the minimum
(``min_reactions`` reactions on ``min_posts`` posts); rows below it are kept (a proposed topic
may need them) but no output lists them as the account's topics.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

import pyarrow as pa
import pyarrow.compute as pc

from sway.errors import ConfigError
from sway.scoring.calibration import ReferenceCurve, reference_curve
from sway.scoring.params import ScoreParams
from sway.scoring.scorer import InfluenceScorer
from sway.topics.endorse import Decision, Endorsement, check_limits, endorsement_boosts
from sway.topics.extract import (
    _CREATED,
    FREE_PREFIX,
    Annotator,
    FreeTopic,
    Keyphrases,
    tag_languages,
)
from sway.topics.match import TopicMatcher
from sway.topics.ontology import Ontology
from sway.topics.params import TOPICS_VERSION, TopicParams
from sway.topics.sentiment import SentimentAnalyzer, TextCounts, period_start, sentiment_rows
from sway.topics.steps import (
    ACCOUNT_TOPICS,
    BASE_STEPS,
    EVIDENCE_POSTS,
    EVIDENCE_REACTORS,
    MENTION_TEXTS,
    PERSON_TOPICS,
    TOPIC_EVENTS,
    volume_steps,
)

if TYPE_CHECKING:
    from sway.engines.base import Engine

__all__ = ["CATALOG_SCHEMA", "TopicContext", "TopicModel", "matcher_for"]

#: Builds an engine over an Arrow table of events (``DuckDBEngine.from_events``).
EngineFactory = Callable[[pa.Table], "Engine"]

_SEP = "\x1f"
_TOPIC_POSTS_SCHEMA = pa.schema(
    [
        pa.field("network", pa.string()),
        pa.field("post_id", pa.string()),
        pa.field("topic_id", pa.string()),
        pa.field("weight", pa.float64()),
        pa.field("direct", pa.bool_()),
    ]
)
CATALOG_SCHEMA = pa.schema(
    [
        pa.field("topic_id", pa.string()),
        pa.field("name", pa.string()),
        pa.field("slug", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("parents", pa.list_(pa.string())),
        pa.field("wikidata", pa.string()),
        pa.field("names", pa.string()),
    ]
)

_MATCHERS: dict[str, TopicMatcher] = {}
#: The start of a topic window with no limit.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


def matcher_for(ontology: Ontology) -> TopicMatcher:
    """One matcher per ontology and process (building the name index takes a second)."""
    found = _MATCHERS.get(ontology.digest)
    if found is None or found.ontology is not ontology:
        found = _MATCHERS[ontology.digest] = TopicMatcher(ontology)
    return found


@dataclass(frozen=True)
class TopicContext:
    """What a topic pass is computed against: the window and parameters of a score run.

    Attributes
    ----------
    as_of
        End of the window (exclusive).
    score_params
        The score run's parameters (:class:`~sway.scoring.ScoreParams` fields): the window,
        decay, action weights and the person norm are taken from them.
    run_id
        The score run, when there is one.
    """

    as_of: datetime
    score_params: Mapping[str, Any]
    run_id: str | None = None

    @property
    def start(self) -> datetime:
        """Start of the score run's window."""
        return self.as_of - timedelta(days=float(ScoreParams(**self.score_params).window_days))

    def topic_start(self, params: TopicParams) -> datetime:
        """Start of the topic step's own window (``window_days``; ``0``: all history)."""
        if params.window_days > 0:
            return self.as_of - timedelta(days=float(params.window_days))
        return EARLIEST


class TopicModel:
    """Topics of influence of every account and person; see the module docstring.

    Parameters
    ----------
    **params
        Any field of :class:`~sway.topics.params.TopicParams`.

    Attributes
    ----------
    params_ : TopicParams
    post_topics_ : pyarrow.Table
        The most specific topics of each item (``network, post_id, topic_id, weight, source,
        term``).
    item_topics_ : pyarrow.Table
        Every topic of each item, ancestors included, as the expertise step counts them
        (``network, content_id, account_id`` (the author)``, topic_id, weight, direct``).
    catalog_ : pyarrow.Table
        Every topic the results name, with its name, parents and kind (``ontology`` or
        ``tag``).
    account_topics_, person_topics_ : pyarrow.Table
        Expertise, topic influence (``raw``, ``score``), evidence counts, ``shown``.
    evidence_posts_, evidence_reactors_ : pyarrow.Table
        The posts and reactors behind each account's topics.
    endorsements_ : list[Decision]
        Every endorsement with its decision and weight.
    volume_, account_volume_, sentiment_ : pyarrow.Table
        Topic volume per period, each account's part of it, sentiment received per period.
    tag_languages_ : dict
        The language each community's tags were matched in (``None``: each item's own).
    summary_ : dict
        Counts of the pass.
    """

    params_: TopicParams
    post_topics_: pa.Table
    item_topics_: pa.Table
    catalog_: pa.Table
    account_topics_: pa.Table
    person_topics_: pa.Table
    evidence_posts_: pa.Table
    evidence_reactors_: pa.Table
    endorsements_: list[Decision]
    volume_: pa.Table
    account_volume_: pa.Table
    sentiment_: pa.Table
    tag_languages_: dict[str, str | None]
    summary_: dict[str, Any]

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(TopicParams.names()))
        if unknown:
            raise ConfigError(
                f"unknown topic parameter {unknown[0]!r}; known: {', '.join(TopicParams.names())}"
            )
        defaults = TopicParams()
        for name in TopicParams.names():
            setattr(self, name, params.get(name, getattr(defaults, name)))

    def get_params(self) -> dict[str, Any]:
        """Every parameter by name: what a topic run records."""
        return {name: getattr(self, name) for name in TopicParams.names()}

    # -- fitting --------------------------------------------------------------------------

    def fit(
        self,
        engine: Engine,
        content: pa.Table,
        *,
        ontology: Ontology,
        context: TopicContext,
        topic_engine: EngineFactory,
        reactors: pa.Table | None = None,
        endorsements: Iterable[Endorsement] = (),
        extractor: Keyphrases | None = None,
    ) -> Self:
        """Compute topics for the window of ``context``.

        Parameters
        ----------
        engine
            Holds the events and person links (``input_events``, ``input_links``).
        content
            The created items to annotate and the texts received, with the event columns
            ``network, event_id, ts, actor, action, target, content_id, parent_id, text,
            tags, lang`` (items before the window too, where reactions in it point at them).
        ontology
            The topic tree.
        context
            The score run's ``as_of`` and parameters.
        topic_engine
            Makes an engine over an Arrow table of events, for the topic influence pass.
        reactors
            ``network, account_id, factor``: each account's selectivity x credibility from the
            score run (named reactors missing from it count ``default_factor``; endorsers
            missing from it count nothing).
        endorsements
            Topic endorsements (+K) to check, weigh and cap.
        extractor
            The keyphrase extractor (default: YAKE).
        """
        params = TopicParams(**self.get_params())
        score = ScoreParams(**context.score_params)
        start = context.topic_start(params)
        history_start = min(start, context.as_of - timedelta(days=params.history_days))
        content = content.sort_by([("ts", "ascending"), ("event_id", "ascending")])
        languages = tag_languages(
            _rows(content.select(["network", "action", "content_id", "tags"]))
        )
        annotator = Annotator(
            matcher_for(ontology),
            keyphrases=params.keyphrases,
            weight_tag=params.weight_tag,
            weight_keyphrase=params.weight_keyphrase,
            weight_inherited=params.weight_inherited,
            min_tag_authors=params.min_tag_authors,
            extractor=extractor,
            tag_language=languages,
        )
        post_topics = annotator.annotate(_rows(content))
        expanded = _expand(post_topics, ontology)
        factors = reactors if reactors is not None else _EMPTY_FACTORS
        values = self._sql_params(params, score, context, start, history_start, reference_curve())
        registered = ["topic_posts", "topic_reactor_factors"]
        engine.register("topic_posts", expanded)
        engine.register("topic_reactor_factors", factors)
        created: list[str] = []
        try:
            for step in BASE_STEPS:
                engine.materialize(step.name, step.sql, values)
                created.append(step.name)
            base = engine.fetch("account_topic_base")
            decisions, boosts = self._endorsements(params, base, factors, endorsements)
            engine.register("topic_boosts", boosts)
            registered.append("topic_boosts")
            influence, curve, influence_events = self._influence(
                engine, base, params, score, context, values, topic_engine
            )
            values.update(curve_scale=float(curve.scale), curve_shape=float(curve.shape))
            engine.register("topic_influence", influence)
            registered.append("topic_influence")
            steps = [ACCOUNT_TOPICS, PERSON_TOPICS, EVIDENCE_POSTS, EVIDENCE_REACTORS]
            steps += [*volume_steps(params.period), MENTION_TEXTS]
            for step in steps:
                engine.materialize(step.name, step.sql, values)
                created.append(step.name)
            self.account_topics_ = _sorted(
                engine.fetch("account_topics"), "network", "account_id", "topic_id"
            )
            self.person_topics_ = _sorted(engine.fetch("person_topics"), "person_id", "topic_id")
            self.evidence_posts_ = _sorted(
                engine.fetch("topic_evidence_posts"),
                "network",
                "account_id",
                "topic_id",
                "top_rank",
            )
            self.evidence_reactors_ = _sorted(
                engine.fetch("topic_evidence_reactors"),
                "network",
                "account_id",
                "topic_id",
                "top_rank",
            )
            self.volume_ = _sorted(engine.fetch("topic_volume"), "topic_id", "period_start")
            self.account_volume_ = _sorted(
                engine.fetch("account_volume"), "network", "account_id", "topic_id", "period_start"
            )
            self.sentiment_ = self._sentiment(
                params,
                content,
                expanded,
                engine.fetch("reaction_periods"),
                engine.fetch("mention_texts"),
                history_start,
                context.as_of,
            )
        finally:
            for name in reversed(created):
                engine.drop(name)
            for name in registered:
                engine.drop(name)
        self.params_ = params
        self.tag_languages_ = languages
        self.post_topics_ = post_topics
        self.item_topics_ = _with_authors(expanded, content)
        self.endorsements_ = decisions
        self.catalog_ = _catalog(ontology, annotator.free_topics, self.account_topics_)
        shown = self.account_topics_.filter(self.account_topics_["shown"])
        self.summary_ = {
            "version": TOPICS_VERSION,
            "ontology": ontology.name,
            "ontology_digest": ontology.digest,
            "items": annotator.items_seen,
            "keyphrase_items": annotator.keyphrase_items,
            "item_topics": post_topics.num_rows,
            "free_topics": len(annotator.free_topics),
            "account_topics": self.account_topics_.num_rows,
            "shown": shown.num_rows,
            "topics_shown": len(set(shown["topic_id"].to_pylist())),
            "influence_events": influence_events,
            "endorsements": len(decisions),
            "endorsements_accepted": sum(1 for d in decisions if d.accepted),
            "tag_languages": dict(sorted(languages.items())),
        }
        return self

    @staticmethod
    def _sql_params(
        params: TopicParams,
        score: ScoreParams,
        context: TopicContext,
        start: datetime,
        history_start: datetime,
        curve: ReferenceCurve,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            name: float(value)
            for name, value in score.as_dict().items()
            if name.startswith("weight_")
        }
        as_of = context.as_of
        values.update(
            start=start,
            as_of=as_of,
            as_of_us=(as_of - datetime(1970, 1, 1, tzinfo=as_of.tzinfo))
            // timedelta(microseconds=1),
            history_start=history_start,
            half_life_days=float(params.half_life_days),
            anonymous_weight=float(score.anonymous_weight),
            person_norm=float(score.person_norm),
            default_factor=float(params.default_factor),
            top_evidence=int(params.top_evidence),
            min_reactions=int(params.min_reactions),
            min_posts=int(params.min_posts),
            curve_scale=float(curve.scale),
            curve_shape=float(curve.shape),
        )
        return values

    @staticmethod
    def _endorsements(
        params: TopicParams,
        base: pa.Table,
        factors: pa.Table,
        endorsements: Iterable[Endorsement],
    ) -> tuple[list[Decision], pa.Table]:
        decisions = check_limits(
            endorsements,
            daily_limit=int(params.endorse_daily_limit),
            repeat_days=params.endorse_repeat_days,
        )
        credibility = {
            (str(r["network"]), str(r["account_id"])): float(r["factor"])
            for r in factors.to_pylist()
        }
        expertise = {
            (str(r["network"]), str(r["account_id"]), str(r["topic_id"])): float(r["expertise"])
            for r in base.select(["network", "account_id", "topic_id", "expertise"]).to_pylist()
        }
        weighed, boosts, _ = endorsement_boosts(
            decisions,
            credibility=lambda network, account: credibility.get((network, account), 0.0),
            expertise=expertise,
            params=params,
        )
        table = pa.table(
            {
                "network": pa.array([k[0] for k in boosts], pa.string()),
                "account_id": pa.array([k[1] for k in boosts], pa.string()),
                "topic_id": pa.array([k[2] for k in boosts], pa.string()),
                "boost": pa.array([b.boost for b in boosts.values()], pa.float64()),
                "endorsements": pa.array([b.endorsements for b in boosts.values()], pa.int64()),
            }
        )
        return weighed, table

    @staticmethod
    def _influence(
        engine: Engine,
        base: pa.Table,
        params: TopicParams,
        score: ScoreParams,
        context: TopicContext,
        values: dict[str, Any],
        topic_engine: EngineFactory,
    ) -> tuple[pa.Table, ReferenceCurve, int]:
        # Every topic with enough reactions in all (not only those where one account has
        # enough): a topic's ranking needs the accounts below the minimum too.
        totals: dict[str, int] = {}
        for r in base.select(["topic_id", "reactions"]).to_pylist():
            totals[r["topic_id"]] = totals.get(r["topic_id"], 0) + int(r["reactions"])
        shown = [t for t, n in totals.items() if n >= params.min_reactions]
        engine.register(
            "influence_topics", pa.table({"topic_id": pa.array(sorted(set(shown)), pa.string())})
        )
        try:
            engine.materialize(TOPIC_EVENTS.name, TOPIC_EVENTS.sql, values)
            try:
                events = engine.fetch(TOPIC_EVENTS.name)
            finally:
                engine.drop(TOPIC_EVENTS.name)
        finally:
            engine.drop("influence_topics")
        empty = pa.table(
            {
                "network": pa.array([], pa.string()),
                "account_id": pa.array([], pa.string()),
                "topic_id": pa.array([], pa.string()),
                "raw": pa.array([], pa.float64()),
            }
        )
        if events.num_rows == 0:
            return empty, reference_curve(), 0
        # The topic step's own time scale: its window (no older than its first event) and decay.
        first = pc.min(events["ts"]).as_py()
        span = (context.as_of - first).total_seconds() / 86400 + 1
        if params.window_days > 0:
            span = min(span, float(params.window_days))
        own = {**score.as_dict(), "window_days": span, "half_life_days": params.half_life_days}
        sub = topic_engine(events)
        try:
            scorer = InfluenceScorer(**own).fit(sub, as_of=context.as_of)
        finally:
            sub.close()
        rows = scorer.accounts_.select(["network", "account_id", "raw"]).to_pylist()
        split = [r["network"].split(_SEP, 1) for r in rows]
        table = pa.table(
            {
                "network": pa.array([s[0] for s in split], pa.string()),
                "account_id": pa.array([r["account_id"] for r in rows], pa.string()),
                "topic_id": pa.array([s[1] for s in split], pa.string()),
                "raw": pa.array([float(r["raw"]) for r in rows], pa.float64()),
            }
        )
        return table, scorer.curve_, events.num_rows

    @staticmethod
    def _sentiment(
        params: TopicParams,
        content: pa.Table,
        topic_posts: pa.Table,
        reaction_periods: pa.Table,
        mentions: pa.Table,
        history_start: datetime,
        as_of: datetime,
    ) -> pa.Table:
        counted = {
            (r["network"], r["account_id"], r["topic_id"])
            for r in reaction_periods.select(["network", "account_id", "topic_id"]).to_pylist()
        }
        topics_of: dict[tuple[str, str], list[str]] = {}
        for r in topic_posts.select(["network", "post_id", "topic_id"]).to_pylist():
            topics_of.setdefault((r["network"], r["post_id"]), []).append(r["topic_id"])
        mention_posts = {(r["network"], r["post_id"]) for r in mentions.to_pylist()}
        analyzer = SentimentAnalyzer()
        texts: dict[tuple[str, str, str, Any], TextCounts] = {}
        post_texts: dict[tuple[str, str], tuple[str, str | None]] = {}

        def add(
            network: str,
            account: str,
            post: str | None,
            when: datetime,
            text: str,
            lang: str | None,
        ) -> None:
            compound, _ = analyzer.polarity(text, lang)
            if compound is None:
                return
            start = period_start(when, params.period)
            for topic in ["", *(topics_of.get((network, post), []) if post else [])]:
                if (network, account, topic) in counted:
                    tc = texts.setdefault((network, account, topic, start), TextCounts())
                    tc.add(compound, params.sentiment_threshold)

        for r in _rows(content):
            if (r["network"], r.get("content_id")) in mention_posts and r.get("text"):
                post_texts[(r["network"], r["content_id"])] = (r["text"], r.get("lang"))
            if r["action"] not in ("reply", "comment", "quote") or not r.get("text"):
                continue
            target, actor = r.get("target"), r.get("actor")
            if not target or target == actor or not history_start <= r["ts"] < as_of:
                continue
            add(r["network"], target, r.get("parent_id"), r["ts"], r["text"], r.get("lang"))
        for m in mentions.to_pylist():
            found = post_texts.get((m["network"], m["post_id"]))
            if found:
                add(m["network"], m["account_id"], m["post_id"], m["ts"], *found)
        rows = sentiment_rows(
            reaction_periods.to_pylist(),
            texts,
            period=params.period,
            negative_rise_share=params.negative_rise_share,
        )
        return pa.Table.from_pylist(rows, schema=SENTIMENT_SCHEMA)


SENTIMENT_SCHEMA = pa.schema(
    [
        pa.field("network", pa.string()),
        pa.field("account_id", pa.string()),
        pa.field("topic_id", pa.string()),
        pa.field("period_start", pa.date32()),
        pa.field("reactions", pa.int64()),
        pa.field("texts", pa.int64()),
        pa.field("positive", pa.int64()),
        pa.field("negative", pa.int64()),
        pa.field("neutral", pa.int64()),
        pa.field("downvotes", pa.int64()),
        pa.field("mean_compound", pa.float64()),
        pa.field("negative_rise", pa.bool_()),
    ]
)

_EMPTY_FACTORS = pa.table(
    {
        "network": pa.array([], pa.string()),
        "account_id": pa.array([], pa.string()),
        "factor": pa.array([], pa.float64()),
    }
)


def _rows(table: pa.Table) -> Iterator[dict[str, Any]]:
    for batch in table.to_batches(max_chunksize=10_000):
        yield from batch.to_pylist()


def _sorted(table: pa.Table, *keys: str) -> pa.Table:
    return table.sort_by([(k, "ascending") for k in keys]).combine_chunks()


def _expand(post_topics: pa.Table, ontology: Ontology) -> pa.Table:
    """Each item's topics and their ancestors (``direct`` false), one row per item and topic
    with the largest weight."""
    merged: dict[tuple[str, str, str], tuple[float, bool]] = {}
    for r in post_topics.select(["network", "post_id", "topic_id", "weight"]).to_pylist():
        topic = r["topic_id"]
        ancestors = ontology.ancestors(topic) if topic in ontology else frozenset()
        for t, direct in ((topic, True), *((a, False) for a in ancestors)):
            k = (r["network"], r["post_id"], t)
            weight, was_direct = merged.get(k, (0.0, False))
            merged[k] = (max(weight, r["weight"]), was_direct or direct)
    return pa.table(
        {
            "network": pa.array([k[0] for k in merged], pa.string()),
            "post_id": pa.array([k[1] for k in merged], pa.string()),
            "topic_id": pa.array([k[2] for k in merged], pa.string()),
            "weight": pa.array([v[0] for v in merged.values()], pa.float64()),
            "direct": pa.array([v[1] for v in merged.values()], pa.bool_()),
        },
        schema=_TOPIC_POSTS_SCHEMA,
    )


def _with_authors(expanded: pa.Table, content: pa.Table) -> pa.Table:
    """``expanded`` with each item's author (``account_id``) and ``content_id`` for ``post_id``,
    sorted: what a topic run keeps of what every item is about."""
    created = content.filter(pc.is_in(content["action"], pa.array(_CREATED)))
    authors = (
        created.select(["network", "content_id", "actor"])
        .group_by(["network", "content_id"])
        .aggregate([("actor", "min")])
        .rename_columns(["network", "content_id", "account_id"])
    )
    items = expanded.rename_columns(
        ["content_id" if c == "post_id" else c for c in expanded.column_names]
    ).join(authors, ["network", "content_id"], join_type="left outer")
    columns = ["network", "content_id", "account_id", "topic_id", "weight", "direct"]
    return _sorted(items.select(columns), "network", "content_id", "topic_id")


def _catalog(
    ontology: Ontology, free: Mapping[str, FreeTopic], account_topics: pa.Table
) -> pa.Table:
    """The topics the results name, and every ancestor of them (for the hierarchy)."""
    used = set(account_topics["topic_id"].to_pylist())
    wanted = set(used)
    for t in used:
        if t in ontology:
            wanted |= ontology.ancestors(t)
    rows = []
    for t in sorted(wanted):
        if t in ontology:
            topic = ontology[t]
            rows.append(
                {
                    "topic_id": t,
                    "name": topic.name,
                    "slug": topic.slug,
                    "kind": "ontology",
                    "parents": list(ontology.parents.get(t, ())),
                    "wikidata": topic.wikidata,
                    "names": json.dumps(dict(topic.names), ensure_ascii=False, sort_keys=True),
                }
            )
        elif t.startswith(FREE_PREFIX) and t in free:
            rows.append(
                {
                    "topic_id": t,
                    "name": free[t].name,
                    "slug": t[len(FREE_PREFIX) :].replace(" ", "-"),
                    "kind": "tag",
                    "parents": [],
                    "wikidata": None,
                    "names": "{}",
                }
            )
    return pa.Table.from_pylist(rows, schema=CATALOG_SCHEMA)
