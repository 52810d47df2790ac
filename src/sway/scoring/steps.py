"""The relational steps of the score, written once as SQL (DuckDB's dialect, named parameters).

Each step is a plain ``SELECT`` that an engine materialises as a table named after the step;
later steps read earlier ones by name. Inputs are two relations the engine provides:

- ``input_events``: the canonical events (``network, event_id, ts, actor, action, target,
  content_id, parent_id, value``; ``ts`` a UTC timestamp) plus ``ts_us``, the same instant in
  microseconds since the Unix epoch (date arithmetic on time-zone-aware timestamps is slow or
  differs between engines; on integers it is fast and the same everywhere);
- ``input_links``: explicit person links (``person_id, network, account_id``);
- ``input_credibility``, ``input_pair_discount``, ``input_bursts``: the integrity layer's
  discounts (see :mod:`sway.integrity.model`), registered by the scorer; empty when it is off.

Between :data:`FEATURE_STEPS` and :data:`SCORE_STEPS` the scorer runs the graph step and
registers ``graph_impact`` (``node, network_impact``). The SQL avoids engine-only syntax so that
other engines can run the same text transpiled with sqlglot (parameters ``$name`` become
``:name`` in Spark SQL). Sums of floating-point terms are fixed-point integer sums (see
``_exact_sum``): integer addition is exact and so independent of the order a parallel engine
adds rows in, which keeps runs reproducible bit for bit.

Nothing here imports an engine: this module is text and the names of the parameters it uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ACTION_WEIGHT_PARAMS",
    "BOUNDS_STEP",
    "FEATURE_STEPS",
    "GRAPH_EDGES",
    "GRAPH_IMPACT",
    "SCORE_STEPS",
    "SUMMARY_STEP",
    "Step",
]

_PARAM_RE = re.compile(r"\$([a-z_][a-z0-9_]*)")


@dataclass(frozen=True)
class Step:
    """One relational step: materialise ``sql`` as the table ``name``."""

    name: str
    sql: str
    doc: str

    @property
    def params(self) -> tuple[str, ...]:
        """The named parameters the SQL uses, in order of first use."""
        return tuple(dict.fromkeys(_PARAM_RE.findall(self.sql)))


#: Parameter name of the weight of each reaction type.
ACTION_WEIGHT_PARAMS: dict[str, str] = {
    action: f"weight_{action}"
    for action in (
        "reply",
        "comment",
        "quote",
        "repost",
        "endorse",
        "mention",
        "like",
        "vote",
        "follow",
    )
}

_ACTION_WEIGHT = (
    "CASE e.action "
    + " ".join(f"WHEN '{a}' THEN ${p}" for a, p in ACTION_WEIGHT_PARAMS.items())
    + " ELSE 0.0 END"
)


#: Fixed-point scale of exact sums: 2 ** 40, so scaling is exact in binary floating point.
_SCALE = "1099511627776.0"


def _exact_sum(expr: str) -> str:
    """``sum`` of a floating-point expression, independent of the order rows are added in.

    Each term is rounded to a multiple of 2 ** -40 (about 1e-12) and summed as an integer:
    integer addition is associative, so a parallel engine gives the same bits every time.
    """
    return f"CAST(sum(CAST(round(({expr}) * {_SCALE}) AS BIGINT)) AS DOUBLE) / {_SCALE}"


def _curve(raw: str) -> str:
    """The reference curve (see :mod:`sway.scoring.calibration`) as SQL."""
    return (
        f"CASE WHEN {raw} > 0 THEN 1 + 99 * (1 - exp(-power({raw} / $curve_scale, $curve_shape)))"
        " ELSE 1.0 END"
    )


def _lp(column: str) -> str:
    """L^p norm of ``column`` over a group; the values are scaled by the group's maximum
    (``{column}_max``, a window column) so that powers neither overflow nor underflow."""
    ratio = f"CASE WHEN {column}_max > 0 THEN {column} / {column}_max ELSE 0.0 END"
    return (
        f"CASE WHEN max({column}_max) > 0 THEN max({column}_max) * power("
        f"{_exact_sum(f'power({ratio}, $person_norm)')}, 1 / $person_norm)"
        f" ELSE 0.0 END AS {column}"
    )


BOUNDS_STEP = Step(
    "data_bounds",
    "SELECT count(*) AS events, max(ts) AS last_ts FROM input_events",
    "How many events there are and the newest one (for the default as_of).",
)

WINDOW_EVENTS = Step(
    "window_events",
    f"""
SELECT
    e.network,
    nullif(e.actor, '') AS actor,
    CASE WHEN e.action <> 'post' THEN nullif(e.target, '') END AS target,
    e.action <> 'post' AS is_reaction,
    CASE WHEN e.action <> 'post' AND nullif(e.actor, '') IS NULL THEN e.event_id END
        AS anonymous_id,
    CAST(floor(e.ts_us / 86400000000.0) AS BIGINT) AS event_day,
    CASE
        WHEN e.action IN ('reply', 'comment', 'quote') THEN nullif(e.parent_id, '')
        WHEN e.action IN ('repost', 'like', 'vote', 'endorse') THEN nullif(e.content_id, '')
    END AS post_id,
    CASE WHEN e.action IN ('post', 'reply', 'comment', 'quote') THEN nullif(e.content_id, '')
    END AS own_post,
    ({_ACTION_WEIGHT})
        * power(0.5, ($as_of_us - e.ts_us) / (86400000000.0 * $half_life_days)) AS w,
    CASE WHEN nullif(e.actor, '') IS NULL AND e.value > 0 THEN e.value ELSE 1.0 END AS mult,
    coalesce(e.value <= 0, FALSE) AS is_negative,
    coalesce(e.actor = e.target, FALSE) AS is_self
FROM input_events AS e
WHERE e.ts >= $start AND e.ts < $as_of
""",
    "Events in the window: the post reacted to or created, weight x decay (a reaction one "
    "half-life old weighs half), the UTC day, and flags (anonymous, negative, self).",
)

SUMMARY_STEP = Step(
    "window_summary",
    """
SELECT
    count(*) AS events,
    count(DISTINCT network) AS networks,
    CAST(sum(CASE WHEN is_reaction AND target IS NULL THEN 1 ELSE 0 END) AS BIGINT)
        AS unknown_targets,
    CAST(sum(CASE WHEN is_reaction AND actor IS NULL THEN 1 ELSE 0 END) AS BIGINT)
        AS anonymous_reactions,
    CAST(sum(CASE WHEN is_reaction AND is_self THEN 1 ELSE 0 END) AS BIGINT) AS self_reactions,
    CAST(sum(CASE WHEN is_reaction AND is_negative THEN 1 ELSE 0 END) AS BIGINT)
        AS negative_reactions
FROM window_events
""",
    "Counts over the whole window: events used and what was skipped.",
)

ACCOUNT_NODES = Step(
    "account_nodes",
    """
SELECT network, account_id, row_number() OVER (ORDER BY network, account_id) - 1 AS node
FROM (
    SELECT network, actor AS account_id FROM window_events WHERE actor IS NOT NULL
    UNION
    SELECT network, target FROM window_events WHERE target IS NOT NULL
) AS a
""",
    "Every account active in the window (acting or acted upon), numbered in (network, "
    "account) order: later steps join and group on these integers, not on strings.",
)

CODED_EVENTS = Step(
    "coded_events",
    """
SELECT
    s.node AS src,
    t.node AS dst,
    e.is_reaction,
    e.anonymous_id,
    e.event_day,
    e.post_id,
    e.own_post,
    e.w,
    e.mult,
    e.is_negative,
    e.is_self
FROM window_events AS e
LEFT JOIN account_nodes AS s ON s.network = e.network AND s.account_id = e.actor
LEFT JOIN account_nodes AS t ON t.network = e.network AND t.account_id = e.target
""",
    "The window's events with actor and target as node ids (NULL: anonymous or unknown).",
)

ACCOUNT_ACTIVITY = Step(
    "account_activity",
    """
SELECT
    n.network,
    n.account_id,
    n.node,
    d.acted_days,
    d.reactions_given,
    coalesce(p.posts, 0) AS posts,
    d.present_days,
    CASE WHEN d.acted_days > 0
        THEN power(
            1 + d.reactions_given / d.acted_days / $selectivity_rate, -$selectivity_strength
        )
        ELSE 1.0 END AS selectivity,
    coalesce(ic.credibility, 1.0) AS credibility,
    ic.max_raw
FROM account_nodes AS n
LEFT JOIN input_credibility AS ic ON ic.network = n.network AND ic.account_id = n.account_id
JOIN (
    SELECT
        node,
        sum(acted) AS acted_days,
        CAST(sum(given) AS DOUBLE) AS reactions_given,
        count(*) AS present_days
    FROM (
        SELECT node, event_day, max(acted) AS acted, sum(given) AS given
        FROM (
            SELECT
                src AS node,
                event_day,
                1 AS acted,
                CASE WHEN is_reaction AND NOT is_self THEN 1 ELSE 0 END AS given
            FROM coded_events
            WHERE src IS NOT NULL
            UNION ALL
            SELECT dst, event_day, 0, 0
            FROM coded_events
            WHERE dst IS NOT NULL
        ) AS e
        GROUP BY node, event_day
    ) AS days
    GROUP BY node
) AS d ON d.node = n.node
LEFT JOIN (
    SELECT node, count(*) AS posts
    FROM (
        SELECT src AS node, own_post AS post
        FROM coded_events
        WHERE src IS NOT NULL AND own_post IS NOT NULL
        UNION
        SELECT dst, post_id
        FROM coded_events
        WHERE dst IS NOT NULL AND post_id IS NOT NULL
    ) AS q
    GROUP BY node
) AS p ON p.node = n.node
""",
    "Per account: days acting, reactions given, known posts, days present (each account-day "
    "and account-post counted once); selectivity (1 + reactions per active day / rate) ** "
    "-strength, credibility and the ramp-in cap on raw influence (``input_credibility`` from "
    "sway.integrity; 1.0 and none where it has no row).",
)

REACTIONS = Step(
    "reactions",
    """
SELECT
    r.dst,
    r.src,
    r.anonymous_id,
    t.posts > 0 AS has_posts,
    CASE WHEN t.posts > 0 THEN r.post_id END AS post_unit,
    CASE WHEN t.posts > 0 THEN NULL ELSE r.event_day END AS day_unit,
    r.w,
    r.mult,
    r.is_negative,
    r.is_self,
    coalesce(s.selectivity * s.credibility * coalesce(k.factor, 1.0), $anonymous_weight * r.mult)
        * coalesce(b.factor, 1.0) AS factor,
    coalesce(s.selectivity, $anonymous_weight * r.mult) AS plain_factor
FROM coded_events AS r
JOIN account_activity AS t ON t.node = r.dst
LEFT JOIN account_activity AS s ON s.node = r.src
LEFT JOIN input_pair_discount AS k
    ON k.network = t.network AND k.src = s.account_id AND k.dst = t.account_id
LEFT JOIN input_bursts AS b
    ON b.network = t.network AND b.account_id = t.account_id AND b.event_day = r.event_day
""",
    "Reactions with a known target: the unit reacted to (a post, or a day for an account "
    "without post ids) and the reactor's factor (selectivity x credibility x collusion pair "
    "factor x burst factor, or the anonymous weight x the number of anonymous reactions the "
    "event stands for), and the same without the integrity layer's discounts.",
)

PAIR_STRENGTH = Step(
    "pair_strength",
    """
SELECT
    dst,
    src,
    reactions,
    engagement,
    ln(1 + engagement) AS strength,
    passes,
    plain,
    passes * ln(1 + engagement) AS reach_part,
    (plain - passes) * ln(1 + engagement) AS integrity_part
FROM (
    SELECT
        dst, src, count(*) AS reactions, {w_sum} AS engagement, max(factor) AS passes,
        max(plain_factor) AS plain
    FROM reactions
    WHERE src IS NOT NULL AND NOT is_self AND NOT is_negative
    GROUP BY dst, src
) AS p
""".replace("{w_sum}", _exact_sum("w")),
    "Named reactor -> target: reactions, decayed weighted engagement e, strength log(1 + e) "
    "(repeats diminish), the reach it adds (selectivity x credibility x strength) and the "
    "reach the integrity layer took away (credibility, collusion, bursts).",
)

UNIT_STRENGTH = Step(
    "unit_strength",
    """
SELECT
    dst,
    has_posts,
    post_unit,
    day_unit,
    src,
    anonymous_id,
    reactions,
    engagement,
    factor * ln(1 + engagement) AS amp_part
FROM (
    SELECT
        dst, has_posts, post_unit, day_unit, src, anonymous_id,
        count(*) AS reactions,
        {w_sum} AS engagement,
        max(factor) AS factor
    FROM reactions
    WHERE NOT is_self AND NOT is_negative AND (post_unit IS NOT NULL OR day_unit IS NOT NULL)
    GROUP BY dst, has_posts, post_unit, day_unit, src, anonymous_id
) AS u
""".replace("{w_sum}", _exact_sum("w")),
    "Reactor -> one of the target's posts (or one day, for an account without post ids): "
    "the amplification each adds, with diminishing returns for repeats.",
)

ACCOUNT_FEATURES = Step(
    "account_features",
    f"""
SELECT
    a.network,
    a.account_id,
    a.node,
    coalesce(p.reach_named, 0.0) + coalesce(n.reach_anonymous, 0.0) AS reach,
    coalesce(u.amp_sum, 0.0)
        / (CASE WHEN a.posts > 0 THEN a.posts ELSE a.present_days END + $amplification_prior)
        AS amplification,
    CASE WHEN a.posts > 0 THEN 'posts' ELSE 'days' END AS amplification_basis,
    a.posts,
    a.present_days,
    a.acted_days,
    a.reactions_given,
    a.selectivity,
    a.credibility,
    a.max_raw,
    coalesce(p.reactors, 0) AS reactors,
    coalesce(p.reactions, 0) AS reactions,
    coalesce(p.repeat_reactions, 0) AS repeat_reactions,
    coalesce(p.unselective_reactors, 0) AS unselective_reactors,
    coalesce(p.selectivity_discount, 0.0) AS selectivity_discount,
    coalesce(p.integrity_discount, 0.0) AS integrity_discount,
    coalesce(p.discredited_reactors, 0) AS discredited_reactors,
    coalesce(n.anonymous_reactions, 0.0) AS anonymous_reactions,
    coalesce(n.reach_anonymous, 0.0) AS reach_anonymous,
    coalesce(d.self_reactions, 0) AS self_reactions,
    coalesce(d.negative_reactions, 0) AS negative_reactions
FROM account_activity AS a
LEFT JOIN (
    SELECT
        dst,
        {_exact_sum("reach_part")} AS reach_named,
        count(*) AS reactors,
        CAST(sum(reactions) AS BIGINT) AS reactions,
        CAST(sum(reactions - 1) AS BIGINT) AS repeat_reactions,
        CAST(sum(CASE WHEN passes < 0.5 THEN 1 ELSE 0 END) AS BIGINT) AS unselective_reactors,
        {_exact_sum("(1 - plain) * strength")} AS selectivity_discount,
        {_exact_sum("integrity_part")} AS integrity_discount,
        CAST(sum(CASE WHEN passes < 0.5 * plain THEN 1 ELSE 0 END) AS BIGINT)
            AS discredited_reactors
    FROM pair_strength
    GROUP BY dst
) AS p ON p.dst = a.node
LEFT JOIN (
    SELECT
        dst,
        {_exact_sum("mult")} AS anonymous_reactions,
        {_exact_sum("factor * ln(1 + w)")} AS reach_anonymous
    FROM reactions
    WHERE src IS NULL AND NOT is_negative
    GROUP BY dst
) AS n ON n.dst = a.node
LEFT JOIN (
    SELECT
        dst,
        {_exact_sum("amp_part")} AS amp_sum
    FROM unit_strength
    GROUP BY dst
) AS u ON u.dst = a.node
LEFT JOIN (
    SELECT
        dst,
        CAST(sum(CASE WHEN is_self THEN 1 ELSE 0 END) AS BIGINT) AS self_reactions,
        CAST(sum(CASE WHEN is_negative AND NOT is_self THEN 1 ELSE 0 END) AS BIGINT)
            AS negative_reactions
    FROM reactions
    WHERE is_self OR is_negative
    GROUP BY dst
) AS d ON d.dst = a.node
""",
    "Per account: reach, amplification (per post, or per active day without post ids) and what "
    "was discounted (repeats, unselective reactors, anonymous, self-reactions, negative ones, "
    "and the reach the integrity layer took away from reactors it discredited).",
)

#: The graph step reads this step: one row per edge reactor -> target.
GRAPH_EDGES = Step(
    "graph_edges",
    """
SELECT src, dst, strength, passes
FROM pair_strength
WHERE strength > 0
""",
    "Edges of the reaction graph: strength (the reactor's share of endorsement is proportional "
    "to it) and the part of the reactor's standing it passes on (selectivity x credibility).",
)

#: The table the scorer registers after the graph step.
GRAPH_IMPACT = "graph_impact"

# A ramping-in account's raw influence is capped at its ``max_raw`` (integrity: a days-old
# account cannot score high); every part is scaled alike so the explanation still adds up.
_RAW_UNCAPPED = (
    "($mix_reach * ln(1 + f.reach) + $mix_amplification * ln(1 + f.amplification)"
    " + $mix_network_impact * ln(1 + coalesce(i.network_impact, 0.0)))"
)
_RAMP = f"coalesce(least(1.0, f.max_raw / nullif({_RAW_UNCAPPED}, 0.0)), 1.0)"

ACCOUNT_SCORES = Step(
    "account_scores",
    f"""
SELECT
    x.*,
    x.part_reach + x.part_amplification + x.part_network_impact AS raw,
    {_curve("(x.part_reach + x.part_amplification + x.part_network_impact)")} AS score
FROM (
    SELECT
        f.*,
        coalesce(i.network_impact, 0.0) AS network_impact,
        $mix_reach * ln(1 + f.reach) * {_RAMP} AS part_reach,
        $mix_amplification * ln(1 + f.amplification) * {_RAMP} AS part_amplification,
        $mix_network_impact * ln(1 + coalesce(i.network_impact, 0.0)) * {_RAMP}
            AS part_network_impact
    FROM account_features AS f
    LEFT JOIN graph_impact AS i ON i.node = f.node
) AS x
""",
    "Raw influence = sum of mix x log(1 + sub-score); the score through the reference curve.",
)

ACCOUNT_PEOPLE = Step(
    "account_people",
    """
SELECT
    coalesce(l.person_id, s.network || ':' || s.account_id) AS person_id,
    l.person_id IS NOT NULL AS linked,
    s.network,
    s.account_id,
    s.raw,
    s.reach,
    s.amplification,
    s.network_impact,
    s.score
FROM account_scores AS s
LEFT JOIN input_links AS l ON l.network = s.network AND l.account_id = s.account_id
""",
    "Each scored account with its person: linked, or the account itself (network:account).",
)


def _people_step(name: str, keys: tuple[str, ...], doc: str) -> Step:
    group = ", ".join(keys)
    columns = ("raw", "reach", "amplification", "network_impact")
    inner_keys = ", ".join((*keys, "network") if "network" not in keys else keys)
    windows = ",\n            ".join(
        f"max({c}) OVER (PARTITION BY {group}) AS {c}_max" for c in columns
    )
    norms = ",\n        ".join(_lp(c) for c in columns)
    return Step(
        name,
        f"""
SELECT
    g.*,
    {_curve("g.raw")} AS score
FROM (
    SELECT
        {group},
        count(*) AS accounts,
        count(DISTINCT network) AS networks,
        {norms}
    FROM (
        SELECT
            {inner_keys},
            raw,
            reach,
            amplification,
            network_impact,
            {windows}
        FROM account_people
        WHERE linked
    ) AS w
    GROUP BY {group}
) AS g
UNION ALL
SELECT
    {group},
    1 AS accounts,
    1 AS networks,
    raw,
    reach,
    amplification,
    network_impact,
    score
FROM account_people
WHERE NOT linked
""",
        doc + " An unlinked account is its own person, with its own values.",
    )


PERSON_NETWORK_SCORES = _people_step(
    "person_network_scores",
    ("person_id", "network"),
    "A person's score on one network: the L^p norm of their accounts' raw influence there.",
)

PERSON_SCORES = _people_step(
    "person_results",
    ("person_id",),
    "A person's score: the L^p norm of all their accounts' raw influence (diminishing returns).",
)


def _top_n_floor(table: str, value: str, key: str) -> str:
    """Per ``dst``, a value at or below its ``$top_n``-th largest ``value``: the smallest of the
    maxima of ``$top_n`` buckets of rows (split by ``key``), each the maximum of a different
    row, hence at most the ``$top_n``-th largest. Rows below it cannot be in the top, which
    spares ranking the whole audience of very popular accounts (one huge partition)."""
    return f"""
    SELECT dst, CASE WHEN count(*) >= $top_n THEN min(top_value) END AS floor_value
    FROM (
        SELECT dst, max({value}) AS top_value
        FROM {table}
        GROUP BY dst, {key} % $top_n
    ) AS b
    GROUP BY dst"""


TOP_REACTORS = Step(
    "top_reactors",
    f"""
SELECT
    t.network,
    t.account_id,
    r.top_rank,
    s.account_id AS reactor,
    r.reactions,
    r.engagement,
    r.passes AS selectivity,
    r.reach_part AS contribution
FROM (
    SELECT
        p.dst, p.src, p.reactions, p.engagement, p.passes, p.reach_part,
        row_number() OVER (PARTITION BY p.dst ORDER BY p.reach_part DESC, p.src) AS top_rank
    FROM pair_strength AS p
    JOIN ({_top_n_floor("pair_strength", "reach_part", "src")}
    ) AS f ON f.dst = p.dst
    WHERE f.floor_value IS NULL OR p.reach_part >= f.floor_value
) AS r
JOIN account_activity AS t ON t.node = r.dst
JOIN account_activity AS s ON s.node = r.src
WHERE r.top_rank <= $top_n
""",
    "The reactors adding most to each account's reach.",
)

POST_TOTALS = Step(
    "post_totals",
    """
SELECT
    dst,
    post_unit AS post_id,
    CAST(sum(reactions) AS BIGINT) AS reactions,
    count(*) AS reactors,
    {amp_sum} AS contribution
FROM unit_strength
WHERE has_posts
GROUP BY dst, post_unit
""".replace("{amp_sum}", _exact_sum("amp_part")),
    "Per post: reactions, reactors and the amplification they add.",
)

TOP_POSTS = Step(
    "top_posts",
    """
SELECT t.network, t.account_id, r.top_rank, r.post_id, r.reactions, r.reactors, r.contribution
FROM (
    SELECT
        dst,
        post_id,
        reactions,
        reactors,
        contribution,
        row_number() OVER (PARTITION BY dst ORDER BY contribution DESC, post_id) AS top_rank
    FROM post_totals
) AS r
JOIN account_activity AS t ON t.node = r.dst
WHERE r.top_rank <= $top_n
""",
    "The posts adding most to each account's amplification.",
)

#: Steps before the graph step, in order.
FEATURE_STEPS: tuple[Step, ...] = (
    WINDOW_EVENTS,
    SUMMARY_STEP,
    ACCOUNT_NODES,
    CODED_EVENTS,
    ACCOUNT_ACTIVITY,
    REACTIONS,
    PAIR_STRENGTH,
    UNIT_STRENGTH,
    ACCOUNT_FEATURES,
    GRAPH_EDGES,
)

#: Steps after the graph step (which registers ``graph_impact``), in order.
SCORE_STEPS: tuple[Step, ...] = (
    ACCOUNT_SCORES,
    ACCOUNT_PEOPLE,
    PERSON_NETWORK_SCORES,
    PERSON_SCORES,
    TOP_REACTORS,
    POST_TOTALS,
    TOP_POSTS,
)
