"""Measuring the topic aims on Stack Exchange data, where tags are the ground truth.

Each site of a dump (the prefix of every Stack Exchange id: ``french-meta:post:7``) is
evaluated on its own:

**Aim 1, topics.** Topics are computed on all of the site's events (window: the whole span,
half-life one year). For every user with at least ``min_answers`` answers, the *most-answered
tag* is the tag on most of the questions they answered (ties: any of the tied tags). A hit is
when the topic that tag stands for (matched as any tag is: an ontology topic, or the tag's own
topic) is among the user's top 3 topics as Sway shows them (the topics with enough evidence,
most specific first, by expertise). Target: at least 90% hits.

**Aim 2, prediction.** The split is when ``split_quantile`` (70%) of the site's events had
happened, as in ``sway evaluate``. Sway scores and computes topics on the events strictly
before the split only (a window of ``window_days`` before it); for each tag, the candidates
are the accounts that answered it or received reactions on it in that window, and the truth is
the on-tag engagement each receives in ``[split, split + horizon)``: reactions (votes up,
favourites, acceptances, answers, comments; no self-reactions, no down-votes) to posts carrying
the tag. A tag has *enough activity* with at least ``min_candidates`` candidates of whom at
least ``min_engaged`` receive some engagement after the split. Sway's ranking (the topic
score: influence on the tag's own reaction graph) is compared with counting each candidate's
answers on the tag, on Spearman correlation and NDCG@10 with bootstrap 95% intervals
(:mod:`sway.evaluation.metrics`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sway.evaluation.metrics import bootstrap, ndcg_at_k, spearman
from sway.scoring.scorer import InfluenceScorer, default_as_of
from sway.topics.extract import FREE_PREFIX, Annotator, FreeTopic, community_of
from sway.topics.model import TopicContext, TopicModel, matcher_for
from sway.topics.ontology import Ontology, default_ontology

if TYPE_CHECKING:
    from sway.engines.base import Engine

__all__ = ["evaluate_events", "report_markdown", "site_of", "topics_hits"]

EngineFactory = Callable[[pa.Table], "Engine"]

_CREATED = {"post", "reply", "comment", "quote"}


def site_of(event_id: str) -> str:
    """The site key of a Stack Exchange id (``french-meta:post:7`` → ``french-meta``)."""
    return event_id.split(":", 1)[0]


def _fit(
    events: pa.Table,
    engine_factory: EngineFactory,
    ontology: Ontology,
    *,
    as_of: datetime,
    score_params: dict[str, Any],
    topic_params: dict[str, Any],
) -> TopicModel:
    """Score, then compute topics, on ``events`` (nothing at or after ``as_of`` is read)."""
    before = events.filter(pc.less(events["ts"], pa.scalar(as_of, events.schema.field("ts").type)))
    engine = engine_factory(before)
    try:
        scorer = InfluenceScorer(**score_params).fit(engine, as_of=as_of)
        accounts = scorer.accounts_
        reactors = pa.table(
            {
                "network": accounts["network"],
                "account_id": accounts["account_id"],
                "factor": pc.multiply(accounts["selectivity"], accounts["credibility"]),
            }
        )
        content = before.filter(pc.is_in(before["action"], pa.array(sorted(_CREATED))))
        model = TopicModel(**topic_params).fit(
            engine,
            content,
            ontology=ontology,
            context=TopicContext(as_of=as_of, score_params=scorer.params_.as_dict()),
            topic_engine=engine_factory,
            reactors=reactors,
        )
    finally:
        engine.close()
    return model


def _answers(rows: Iterable[dict[str, Any]]) -> dict[str, Counter[str]]:
    """Per answerer, how many of their answers carry each tag."""
    out: dict[str, Counter[str]] = {}
    for r in rows:
        if r["action"] == "reply" and r["actor"]:
            out.setdefault(r["actor"], Counter()).update(r["tags"] or ())
    return out


class _Tags:
    """Maps a site's tags to topics as the fitted model did (its free topics, its site's tag
    language)."""

    def __init__(self, annotator: Annotator, community: str | None) -> None:
        self.annotator = annotator
        self.community = community

    def topics(self, tag: str) -> list[str]:
        return self.annotator.tag_topics(tag, community=self.community)


def _community(events: pa.Table) -> str | None:
    ids = [c for c in events["content_id"].to_pylist() if c]
    return community_of("stackexchange", ids[0]) if ids else None


def _tag_topics(tags: _Tags, tag: str) -> set[str]:
    return set(tags.topics(tag))


def _annotator(
    catalog: pa.Table,
    tag_language: Mapping[str, str | None],
    ontology: Ontology,
    events: pa.Table,
) -> _Tags:
    """Maps tags to topics as a topic run did (its free topics and tag languages)."""
    annotator = Annotator(matcher_for(ontology), tag_language=tag_language)
    names = catalog.filter(pc.equal(catalog["kind"], "tag")).to_pylist()
    annotator.free_topics = {
        r["topic_id"]: FreeTopic(r["topic_id"], r["name"], 0)
        for r in names
        if r["topic_id"].startswith(FREE_PREFIX)
    }
    return _Tags(annotator, _community(events))


def aim_topics(
    events: pa.Table,
    engine_factory: EngineFactory,
    *,
    ontology: Ontology,
    min_answers: int = 5,
    top: int = 3,
    topic_params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Aim 1 on one site's events (see the module docstring)."""
    rows = events.select(["ts", "actor", "action", "tags"]).to_pylist()
    first = min(r["ts"] for r in rows)
    as_of = default_as_of(max(r["ts"] for r in rows))
    span = (as_of - first).total_seconds() / 86400 + 1
    model = _fit(
        events,
        engine_factory,
        ontology,
        as_of=as_of,
        score_params={"window_days": span, "half_life_days": 365.0},
        topic_params=dict(topic_params or {}),
    )
    return topics_hits(
        events,
        model.account_topics_,
        model.catalog_,
        model.tag_languages_,
        ontology=ontology,
        min_answers=min_answers,
        top=top,
    )


def topics_hits(
    events: pa.Table,
    account_topics: pa.Table,
    catalog: pa.Table,
    tag_language: Mapping[str, str | None],
    *,
    ontology: Ontology,
    min_answers: int = 5,
    top: int = 3,
) -> dict[str, Any]:
    """Aim 1's count on the topics of one site (a fitted model's or a published run's:
    ``account_topics`` with ``account_id, topic_id, expertise, shown, direct``; ``catalog``
    with ``topic_id, name, kind``; the run's tag languages)."""
    rows = events.select(["ts", "actor", "action", "tags"]).to_pylist()
    annotator = _annotator(catalog, tag_language, ontology, events)
    shown = [r for r in account_topics.to_pylist() if r["shown"] and r["direct"]]
    by_account: dict[str, list[dict[str, Any]]] = {}
    for r in shown:
        by_account.setdefault(r["account_id"], []).append(r)
    site_tags: Counter[str] = Counter()
    for counts in _answers(rows).values():
        site_tags.update(counts)
    # The harder check leaves out the site's commonest tag ("discussion" on a meta site).
    commonest = site_tags.most_common(1)[0][0] if site_tags else None
    users: list[dict[str, Any]] = []
    for actor, tags in sorted(_answers(rows).items()):
        answers = sum(1 for r in rows if r["action"] == "reply" and r["actor"] == actor)
        if answers < min_answers or not tags:
            continue
        best = max(tags.values())
        most = sorted(t for t, n in tags.items() if n == best)
        ranked = sorted(by_account.get(actor, []), key=lambda r: (-r["expertise"], r["topic_id"]))
        top_ids = [r["topic_id"] for r in ranked[:top]]
        wanted = set().union(*(_tag_topics(annotator, t) for t in most))
        others = {t: n for t, n in tags.items() if t != commonest}
        other_most = [t for t, n in others.items() if n == max(others.values())] if others else []
        other_wanted = set().union(*(_tag_topics(annotator, t) for t in other_most))
        users.append(
            {
                "account": actor,
                "answers": answers,
                "most_answered": most,
                "top_topics": top_ids,
                "hit": bool(wanted & set(top_ids)),
                "most_answered_other": sorted(other_most),
                "hit_other": bool(other_wanted & set(top_ids)) if other_most else None,
            }
        )
    hits = sum(1 for u in users if u["hit"])
    harder = [u for u in users if u["hit_other"] is not None]
    return {
        "users": len(users),
        "hits": hits,
        "rate": hits / len(users) if users else None,
        "commonest_tag": commonest,
        "users_other": len(harder),
        "hits_other": sum(1 for u in harder if u["hit_other"]),
        "detail": users,
    }


def _tagged_posts(rows: Iterable[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    return {r["content_id"]: tuple(r["tags"]) for r in rows if r["content_id"] and r["tags"]}


def aim_prediction(
    events: pa.Table,
    engine_factory: EngineFactory,
    *,
    ontology: Ontology,
    split_quantile: float = 0.7,
    horizon: timedelta = timedelta(days=365),
    window_days: float = 365.0,
    min_candidates: int = 8,
    min_engaged: int = 3,
    k: int = 10,
    resamples: int = 200,
    topic_params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Aim 2 on one site's events (see the module docstring)."""
    rows = events.select(
        ["event_id", "ts", "actor", "action", "target", "content_id", "parent_id", "tags", "value"]
    ).to_pylist()
    times = sorted(r["ts"] for r in rows)
    split = times[min(len(times) - 1, int(split_quantile * len(times)))]
    start, end = split - timedelta(days=window_days), split + horizon
    model = _fit(
        events,
        engine_factory,
        ontology,
        as_of=split,
        score_params={"window_days": window_days},
        topic_params={"window_days": window_days, **(topic_params or {})},
    )
    annotator = _annotator(model.catalog_, model.tag_languages_, ontology, events)
    post_tags = _tagged_posts(rows)
    answered: dict[str, Counter[str]] = {}
    engaged_before: dict[str, set[str]] = {}
    truth: dict[str, Counter[str]] = {}
    for r in rows:
        if r["action"] == "reply" and r["actor"] and start <= r["ts"] < split:
            answered.setdefault(r["actor"], Counter()).update(r["tags"] or ())
        if r["action"] in ("post", "follow") or not r["target"] or r["actor"] == r["target"]:
            continue
        if r["value"] is not None and r["value"] <= 0:
            continue
        post = r["parent_id"] if r["action"] in ("reply", "comment", "quote") else r["content_id"]
        for tag in post_tags.get(post, ()):
            if start <= r["ts"] < split:
                engaged_before.setdefault(tag, set()).add(r["target"])
            elif split <= r["ts"] < end:
                truth.setdefault(tag, Counter())[r["target"]] += 1
    scores: dict[str, dict[str, float]] = {}
    expertise: dict[str, dict[str, float]] = {}
    for r in model.account_topics_.to_pylist():
        scores.setdefault(r["topic_id"], {})[r["account_id"]] = float(r["raw"])
        expertise.setdefault(r["topic_id"], {})[r["account_id"]] = float(r["expertise"])
    tags_out: list[dict[str, Any]] = []
    all_tags = sorted({t for c in answered.values() for t in c} | set(engaged_before))
    for tag in all_tags:
        candidates = sorted(
            {a for a, c in answered.items() if c[tag] > 0} | engaged_before.get(tag, set())
        )
        y = np.array([float(truth.get(tag, Counter())[a]) for a in candidates])
        if len(candidates) < min_candidates or int((y > 0).sum()) < min_engaged:
            continue
        topics = sorted(annotator.topics(tag))
        methods = {
            "sway-topic-score": np.array([_best(scores, topics, a) for a in candidates]),
            "sway-expertise": np.array([_best(expertise, topics, a) for a in candidates]),
            "answers": np.array([float(answered.get(a, Counter())[tag]) for a in candidates]),
        }
        tags_out.append(
            {
                "tag": tag,
                "topics": topics,
                "candidates": len(candidates),
                "engaged_after": int((y > 0).sum()),
                "metrics": {
                    m: {
                        "spearman": _interval(spearman, pred, y, k, resamples),
                        f"ndcg@{k}": _interval(ndcg_at_k, pred, y, k, resamples),
                    }
                    for m, pred in methods.items()
                },
            }
        )
    summary: dict[str, Any] = {}
    for m in ("sway-topic-score", "sway-expertise", "answers"):
        for metric in ("spearman", f"ndcg@{k}"):
            values = [t["metrics"][m][metric][0] for t in tags_out]
            summary.setdefault(m, {})[metric] = float(np.mean(values)) if values else None
    wins = {
        metric: sum(
            1
            for t in tags_out
            if t["metrics"]["sway-topic-score"][metric][0] > t["metrics"]["answers"][metric][0]
        )
        for metric in ("spearman", f"ndcg@{k}")
    }
    return {
        "split": split,
        "horizon_days": horizon.total_seconds() / 86400,
        "window_days": window_days,
        "tags": tags_out,
        "mean": summary,
        "wins": wins,
        "k": k,
    }


def _best(table: dict[str, dict[str, float]], topics: list[str], account: str) -> float:
    """An account's value on the topic a tag stands for (the best, if it stands for several)."""
    return max((table.get(t, {}).get(account, 0.0) for t in topics), default=0.0)


def _interval(
    metric: Callable[[Any, Any, int], float], pred: Any, truth: Any, k: int, resamples: int
) -> list[float]:
    iv = bootstrap(metric, pred.astype(float), truth.astype(float), k, resamples=resamples)
    return [iv.value, iv.low, iv.high]


def evaluate_events(
    events: pa.Table,
    engine_factory: EngineFactory,
    *,
    ontology: Ontology | None = None,
    min_answers: int = 5,
    split_quantile: float = 0.7,
    horizon: timedelta = timedelta(days=365),
    window_days: float = 365.0,
    topic_params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Both aims on every site of a Stack Exchange network's events (``EVENT_SCHEMA``)."""
    tree = ontology or default_ontology()
    keys = [site_of(e) for e in events["event_id"].to_pylist()]
    result: dict[str, Any] = {"sites": {}}
    for site in sorted(set(keys)):
        mask = pa.array([k == site for k in keys])
        part = events.filter(mask)
        result["sites"][site] = {
            "events": part.num_rows,
            "topics": aim_topics(
                part,
                engine_factory,
                ontology=tree,
                min_answers=min_answers,
                topic_params=topic_params,
            ),
            "prediction": aim_prediction(
                part,
                engine_factory,
                ontology=tree,
                split_quantile=split_quantile,
                horizon=horizon,
                window_days=window_days,
                topic_params=topic_params,
            ),
        }

    def total(name: str) -> int:
        return sum(int(s["topics"][name]) for s in result["sites"].values())

    users, hits = total("users"), total("hits")
    result["topics"] = {
        "users": users,
        "hits": hits,
        "rate": hits / users if users else None,
        "users_other": total("users_other"),
        "hits_other": total("hits_other"),
    }
    return result


def report_markdown(result: dict[str, Any]) -> str:
    """The results as the Markdown tables of ``docs/topics.md``."""
    lines = ["### Aim 1: top-3 topics contain the most-answered tag", ""]
    lines += [
        "| site | users (≥ min answers) | hits | rate | harder: most-answered tag other than "
        "the site's commonest | hits | rate |",
        "|---|---|---|---|---|---|---|",
    ]

    def pct(hits: int, n: int) -> str:
        return f"{hits / n:.1%}" if n else "n/a"

    for site, s in result["sites"].items():
        t = s["topics"]
        lines.append(
            f"| {site} | {t['users']} | {t['hits']} | {pct(t['hits'], t['users'])} | "
            f"{t['users_other']} (not `{t['commonest_tag']}`) | {t['hits_other']} | "
            f"{pct(t['hits_other'], t['users_other'])} |"
        )
    total = result["topics"]
    lines += [
        f"| **all** | {total['users']} | {total['hits']} | "
        f"**{pct(total['hits'], total['users'])}** | {total['users_other']} | "
        f"{total['hits_other']} | {pct(total['hits_other'], total['users_other'])} |",
        "",
    ]
    lines += ["### Aim 2: per-tag ranking before the split vs. engagement after it", ""]
    for site, s in result["sites"].items():
        p = s["prediction"]
        k = p["k"]
        lines.append(
            f"**{site}**: split {str(p['split'])[:10]}, window {p['window_days']:g} days before, "
            f"horizon {p['horizon_days']:g} days after; {len(p['tags'])} tag(s) with enough "
            "activity."
        )
        lines.append("")
        if not p["tags"]:
            continue
        lines.append(
            f"| tag | candidates | engaged after | Spearman: Sway | Spearman: answers | "
            f"NDCG@{k}: Sway | NDCG@{k}: answers |"
        )
        lines.append("|---|---|---|---|---|---|---|")
        for t in p["tags"]:
            m = t["metrics"]

            def cell(method: str, metric: str, m: dict[str, Any] = m) -> str:
                v, lo, hi = m[method][metric]
                return f"{v:.3f} [{lo:.2f}, {hi:.2f}]"

            lines.append(
                f"| {t['tag']} | {t['candidates']} | {t['engaged_after']} | "
                f"{cell('sway-topic-score', 'spearman')} | {cell('answers', 'spearman')} | "
                f"{cell('sway-topic-score', f'ndcg@{k}')} | {cell('answers', f'ndcg@{k}')} |"
            )
        mean = p["mean"]

        def fmt(v: float | None) -> str:
            return "n/a" if v is None else f"{v:.3f}"

        lines.append(
            f"| **mean** | | | {fmt(mean['sway-topic-score']['spearman'])} | "
            f"{fmt(mean['answers']['spearman'])} | {fmt(mean['sway-topic-score'][f'ndcg@{k}'])} | "
            f"{fmt(mean['answers'][f'ndcg@{k}'])} |"
        )
        lines.append("")
        lines.append(
            f"Sway beats answer counts on {p['wins']['spearman']}/{len(p['tags'])} tags on "
            f"Spearman and {p['wins'][f'ndcg@{k}']}/{len(p['tags'])} on NDCG@{k}; the "
            f"expertise ranking averages Spearman {fmt(mean['sway-expertise']['spearman'])}, "
            f"NDCG@{k} {fmt(mean['sway-expertise'][f'ndcg@{k}'])}."
        )
        lines.append("")
    return "\n".join(lines)
