"""The relational steps of topics, written once as SQL that an engine runs.

Like :mod:`sway.scoring.steps`, each step is a ``SELECT`` an engine materialises under the
step's name. Inputs: the engine's ``input_events`` and ``input_links`` (see
:mod:`sway.scoring.steps`) and tables the topic model registers:

- ``topic_posts`` (``network, post_id, topic_id, weight, direct``): what each item is about,
  ancestors included (``direct`` false: a parent topic aggregating its children);
- ``topic_reactor_factors`` (``network, account_id, factor``): each reactor's selectivity x
  credibility from the score run;
- ``topic_boosts`` (``network, account_id, topic_id, boost, endorsements``): the capped effect
  of endorsements;
- ``topic_influence`` (``network, account_id, topic_id, raw``): raw influence on each topic's
  own reaction graph.

A reaction is *about* a topic when the post it reacts to is: the parent of a reply, comment or
quote; the post liked, voted on, reposted or endorsed; the post that mentions. Self-reactions,
follows and negative reactions (``value <= 0``: down-votes) add no expertise.
"""

from __future__ import annotations

from sway.scoring.steps import ACTION_WEIGHT_PARAMS, Step
from sway.topics.params import PERIODS

__all__ = [
    "ACCOUNT_TOPICS",
    "ACCOUNT_TOPIC_BASE",
    "ACCOUNT_VOLUME",
    "BASE_STEPS",
    "EVIDENCE_POSTS",
    "EVIDENCE_REACTORS",
    "MENTION_TEXTS",
    "PERSON_TOPICS",
    "REACTED_POST",
    "REACTION_PERIODS",
    "TOPIC_AUTHORED",
    "TOPIC_EVENTS",
    "TOPIC_VOLUME",
    "period_sql",
    "volume_steps",
]

_SCALE = "1099511627776.0"


def _exact_sum(expr: str) -> str:
    """An order-independent sum (fixed point, as in :mod:`sway.scoring.steps`)."""
    return f"CAST(sum(CAST(round(({expr}) * {_SCALE}) AS BIGINT)) AS DOUBLE) / {_SCALE}"


def _curve(raw: str) -> str:
    return (
        f"CASE WHEN {raw} > 0 THEN 1 + 99 * (1 - exp(-power({raw} / $curve_scale, $curve_shape)))"
        " ELSE 1.0 END"
    )


_ACTION_WEIGHT = (
    "CASE e.action "
    + " ".join(f"WHEN '{a}' THEN ${p}" for a, p in ACTION_WEIGHT_PARAMS.items())
    + " ELSE 0.0 END"
)

#: The post a reaction (an event aliased ``e``) is about; the campaign builder uses it too.
REACTED_POST = (
    "CASE WHEN e.action IN ('reply', 'comment', 'quote') THEN nullif(e.parent_id, '') "
    "WHEN e.action IN ('repost', 'like', 'vote', 'endorse', 'mention') "
    "THEN nullif(e.content_id, '') END"
)
_CREATED = "('post', 'reply', 'comment', 'quote')"

TOPIC_REACTIONS = Step(
    "topic_reactions",
    f"""
SELECT
    r.network,
    r.account_id,
    p.topic_id,
    p.direct,
    r.reactor,
    r.event_id,
    r.post_id,
    r.w * p.weight AS w,
    CASE WHEN r.reactor IS NULL THEN $anonymous_weight * r.mult
         ELSE coalesce(f.factor, $default_factor) END AS factor
FROM (
    SELECT
        e.network,
        e.target AS account_id,
        nullif(e.actor, '') AS reactor,
        e.event_id,
        {REACTED_POST} AS post_id,
        ({_ACTION_WEIGHT})
            * power(0.5, ($as_of_us - e.ts_us) / (86400000000.0 * $half_life_days)) AS w,
        CASE WHEN nullif(e.actor, '') IS NULL AND e.value > 0 THEN e.value ELSE 1.0 END AS mult
    FROM input_events AS e
    WHERE e.ts >= $start AND e.ts < $as_of
      AND e.action NOT IN ('post', 'follow')
      AND nullif(e.target, '') IS NOT NULL
      AND coalesce(e.actor <> e.target, TRUE)
      AND coalesce(e.value > 0, TRUE)
) AS r
JOIN topic_posts AS p ON p.network = r.network AND p.post_id = r.post_id
LEFT JOIN topic_reactor_factors AS f ON f.network = r.network AND f.account_id = r.reactor
""",
    "On-topic reactions received in the window: weight x decay x how much the post is about "
    "the topic, and the reactor's factor (anonymous reactions: the anonymous weight).",
)

TOPIC_PAIRS = Step(
    "topic_pairs",
    f"""
SELECT
    network, account_id, topic_id, reactor,
    count(*) AS reactions,
    bool_or(direct) AS direct,
    max(factor) * ln(1 + {_exact_sum("w")}) AS contribution
FROM topic_reactions
GROUP BY network, account_id, topic_id, reactor, coalesce(reactor, event_id)
""",
    "Reactor (or one anonymous reaction) -> account and topic: repeats diminish (log).",
)

ACCOUNT_TOPIC_BASE = Step(
    "account_topic_base",
    f"""
SELECT
    p.network, p.account_id, p.topic_id,
    bool_or(p.direct) AS direct,
    {_exact_sum("p.contribution")} AS expertise,
    CAST(sum(p.reactions) AS BIGINT) AS reactions,
    count(p.reactor) AS reactors,
    max(q.posts) AS posts
FROM topic_pairs AS p
JOIN (
    SELECT network, account_id, topic_id, count(DISTINCT post_id) AS posts
    FROM topic_reactions
    GROUP BY network, account_id, topic_id
) AS q USING (network, account_id, topic_id)
GROUP BY p.network, p.account_id, p.topic_id
""",
    "Content expertise per account and topic: the sum of credible on-topic engagement, with "
    "the evidence counts (reactions, named reactors, posts reacted to).",
)

TOPIC_AUTHORED = Step(
    "topic_authored",
    f"""
SELECT e.network, e.actor AS account_id, p.topic_id, count(DISTINCT e.content_id) AS authored
FROM input_events AS e
JOIN topic_posts AS p ON p.network = e.network AND p.post_id = e.content_id
WHERE e.ts >= $start AND e.ts < $as_of AND e.action IN {_CREATED}
  AND nullif(e.actor, '') IS NOT NULL
GROUP BY e.network, e.actor, p.topic_id
""",
    "Items each account wrote about each topic in the window (shown, never scored).",
)

BASE_STEPS: tuple[Step, ...] = (TOPIC_REACTIONS, TOPIC_PAIRS, ACCOUNT_TOPIC_BASE, TOPIC_AUTHORED)

EVIDENCE_POSTS = Step(
    "topic_evidence_posts",
    f"""
SELECT network, account_id, topic_id, top_rank, post_id, reactions, reactors, contribution
FROM (
    SELECT
        network, account_id, topic_id, post_id,
        count(*) AS reactions,
        count(DISTINCT reactor) AS reactors,
        {_exact_sum("factor * w")} AS contribution,
        row_number() OVER (
            PARTITION BY network, account_id, topic_id
            ORDER BY {_exact_sum("factor * w")} DESC, post_id
        ) AS top_rank
    FROM topic_reactions
    GROUP BY network, account_id, topic_id, post_id
) AS x
WHERE top_rank <= $top_evidence
""",
    "The posts behind each account's topic: reactions, reactors, weighted engagement.",
)

EVIDENCE_REACTORS = Step(
    "topic_evidence_reactors",
    """
SELECT network, account_id, topic_id, top_rank, reactor, reactions, contribution
FROM (
    SELECT
        network, account_id, topic_id, reactor, reactions, contribution,
        row_number() OVER (
            PARTITION BY network, account_id, topic_id ORDER BY contribution DESC, reactor
        ) AS top_rank
    FROM topic_pairs
    WHERE reactor IS NOT NULL
) AS x
WHERE top_rank <= $top_evidence
""",
    "The named reactors adding most to each account's topic.",
)

TOPIC_EVENTS = Step(
    "topic_events",
    f"""
SELECT
    x.network || chr(31) || x.topic_id AS network,
    e.event_id, e.ts, e.actor, e.action, e.target, e.content_id, e.parent_id,
    CAST(NULL AS VARCHAR) AS text,
    CAST(NULL AS VARCHAR[]) AS tags,
    CAST(NULL AS VARCHAR) AS lang,
    e.value
FROM (
    SELECT e.network, e.event_id, p.topic_id
    FROM input_events AS e
    JOIN topic_posts AS p ON p.network = e.network AND p.post_id = {REACTED_POST}
    WHERE e.ts >= $start AND e.ts < $as_of
    UNION
    SELECT e.network, e.event_id, p.topic_id
    FROM input_events AS e
    JOIN topic_posts AS p ON p.network = e.network AND p.post_id = e.content_id
    WHERE e.ts >= $start AND e.ts < $as_of AND e.action IN {_CREATED}
) AS x
JOIN influence_topics AS t ON t.topic_id = x.topic_id
JOIN input_events AS e ON e.network = x.network AND e.event_id = x.event_id
""",
    "Each topic's events, on a network of its own (network + U+001F + topic): the reactions "
    "to posts about the topic and the posts about it. One scoring pass over all of them scores "
    "every topic's reaction graph separately: no edge crosses two networks.",
)

ACCOUNT_TOPICS = Step(
    "account_topics",
    f"""
SELECT
    x.*,
    {_curve("x.raw")} AS score
FROM (
    SELECT
        b.network,
        b.account_id,
        b.topic_id,
        b.direct,
        b.expertise AS content_expertise,
        coalesce(k.boost, 0.0) AS endorsement_boost,
        coalesce(k.endorsements, 0) AS endorsements,
        b.expertise * (1 + coalesce(k.boost, 0.0)) AS expertise,
        coalesce(i.raw, 0.0) * (1 + coalesce(k.boost, 0.0)) AS raw,
        b.reactions AS evidence_count,
        b.reactors,
        b.posts,
        coalesce(a.authored, 0) AS authored,
        b.reactions >= $min_reactions AND b.posts >= $min_posts AS shown
    FROM account_topic_base AS b
    LEFT JOIN topic_boosts AS k USING (network, account_id, topic_id)
    LEFT JOIN topic_influence AS i USING (network, account_id, topic_id)
    LEFT JOIN topic_authored AS a USING (network, account_id, topic_id)
) AS x
""",
    "Per account and topic: expertise and topic influence (raw and 1-100), each multiplied by "
    "the capped endorsement boost, the evidence counts, and whether the evidence is enough.",
)

PERSON_TOPICS = Step(
    "person_topics",
    f"""
SELECT
    g.*,
    g.evidence_count >= $min_reactions AND g.posts >= $min_posts AS shown,
    {_curve("g.raw")} AS score
FROM (
    SELECT
        l.person_id,
        t.topic_id,
        count(*) AS accounts,
        bool_or(t.direct) AS direct,
        power({_exact_sum("power(t.expertise, $person_norm)")}, 1 / $person_norm) AS expertise,
        power({_exact_sum("power(t.raw, $person_norm)")}, 1 / $person_norm) AS raw,
        CAST(sum(t.evidence_count) AS BIGINT) AS evidence_count,
        CAST(sum(t.reactors) AS BIGINT) AS reactors,
        CAST(sum(t.posts) AS BIGINT) AS posts,
        CAST(sum(t.endorsements) AS BIGINT) AS endorsements
    FROM account_topics AS t
    JOIN input_links AS l ON l.network = t.network AND l.account_id = t.account_id
    GROUP BY l.person_id, t.topic_id
) AS g
""",
    "Per linked person and topic: the L^p norm of their accounts' expertise and raw topic "
    "influence (as the score combines accounts: no breadth bias), evidence summed.",
)


def period_sql(period: str) -> str:
    """The SQL of the first day of the period holding ``e.ts``."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    return f"CAST(date_trunc('{period}', e.ts) AS DATE)"


def _volume(period: str) -> Step:
    start = period_sql(period)
    return Step(
        "topic_volume",
        f"""
SELECT
    topic_id,
    period_start,
    CAST(sum(items) AS BIGINT) AS items,
    CAST(sum(authors) AS BIGINT) AS authors,
    CAST(sum(reactions) AS BIGINT) AS reactions
FROM (
    SELECT p.topic_id, {start} AS period_start,
           count(DISTINCT e.content_id) AS items, count(DISTINCT e.actor) AS authors,
           0 AS reactions
    FROM input_events AS e
    JOIN topic_posts AS p ON p.network = e.network AND p.post_id = e.content_id
    WHERE e.ts >= $history_start AND e.ts < $as_of AND e.action IN {_CREATED}
    GROUP BY p.topic_id, period_start
    UNION ALL
    SELECT p.topic_id, {start} AS period_start, 0, 0, count(*)
    FROM input_events AS e
    JOIN topic_posts AS p ON p.network = e.network AND p.post_id = {REACTED_POST}
    WHERE e.ts >= $history_start AND e.ts < $as_of AND e.action NOT IN ('post', 'follow')
    GROUP BY p.topic_id, period_start
) AS v
GROUP BY topic_id, period_start
""",
        "How much is said about each topic per period: items written, their authors, and "
        "the reactions to them.",
    )


def _account_volume(period: str) -> Step:
    start = period_sql(period)
    return Step(
        "account_volume",
        f"""
SELECT network, account_id, topic_id, period_start,
       CAST(sum(items) AS BIGINT) AS items, CAST(sum(reactions) AS BIGINT) AS reactions
FROM (
    SELECT e.network, e.actor AS account_id, p.topic_id, {start} AS period_start,
           count(DISTINCT e.content_id) AS items, 0 AS reactions
    FROM input_events AS e
    JOIN topic_posts AS p ON p.network = e.network AND p.post_id = e.content_id
    WHERE e.ts >= $history_start AND e.ts < $as_of AND e.action IN {_CREATED}
      AND nullif(e.actor, '') IS NOT NULL
    GROUP BY e.network, e.actor, p.topic_id, period_start
    UNION ALL
    SELECT e.network, e.target, p.topic_id, {start} AS period_start, 0, count(*)
    FROM input_events AS e
    JOIN topic_posts AS p ON p.network = e.network AND p.post_id = {REACTED_POST}
    WHERE e.ts >= $history_start AND e.ts < $as_of AND e.action NOT IN ('post', 'follow')
      AND nullif(e.target, '') IS NOT NULL AND coalesce(e.actor <> e.target, TRUE)
    GROUP BY e.network, e.target, p.topic_id, period_start
) AS v
SEMI JOIN account_topics AS t USING (network, account_id, topic_id)
GROUP BY network, account_id, topic_id, period_start
""",
        "Per account, topic and period: items written about it and reactions received on it "
        "(for the account's share of the conversation).",
    )


def _reaction_periods(period: str) -> Step:
    start = period_sql(period)
    return Step(
        "reaction_periods",
        f"""
WITH r AS (
    SELECT e.network, e.target AS account_id, {REACTED_POST} AS post_id,
           {start} AS period_start, coalesce(e.value < 0, FALSE) AS down
    FROM input_events AS e
    WHERE e.ts >= $history_start AND e.ts < $as_of AND e.action NOT IN ('post', 'follow')
      AND nullif(e.target, '') IS NOT NULL AND coalesce(e.actor <> e.target, TRUE)
)
SELECT network, account_id, '' AS topic_id, period_start,
       count(*) AS reactions, CAST(sum(CASE WHEN down THEN 1 ELSE 0 END) AS BIGINT) AS downvotes
FROM r
GROUP BY network, account_id, period_start
UNION ALL
SELECT r.network, r.account_id, p.topic_id, r.period_start,
       count(*), CAST(sum(CASE WHEN r.down THEN 1 ELSE 0 END) AS BIGINT)
FROM r
JOIN topic_posts AS p ON p.network = r.network AND p.post_id = r.post_id
SEMI JOIN account_topics AS t
    ON t.network = r.network AND t.account_id = r.account_id AND t.topic_id = p.topic_id
GROUP BY r.network, r.account_id, p.topic_id, r.period_start
""",
        "Reactions and negative votes received per account, topic ('' for all) and period.",
    )


def volume_steps(period: str) -> tuple[Step, Step, Step]:
    """The volume and reaction-count steps for ``period`` (``day``, ``week``, ``month``)."""
    return _volume(period), _account_volume(period), _reaction_periods(period)


TOPIC_VOLUME = _volume("month")
ACCOUNT_VOLUME = _account_volume("month")
REACTION_PERIODS = _reaction_periods("month")

MENTION_TEXTS = Step(
    "mention_texts",
    """
SELECT e.network, e.target AS account_id, e.content_id AS post_id, e.ts
FROM input_events AS e
WHERE e.ts >= $history_start AND e.ts < $as_of AND e.action = 'mention'
  AND nullif(e.target, '') IS NOT NULL AND nullif(e.content_id, '') IS NOT NULL
  AND coalesce(e.actor <> e.target, TRUE)
""",
    "Mentions received, whose text is the text of the mentioning post.",
)
