"""What a profile page shows, gathered through the API's own service functions.

One function per subject kind; both give the same shape of context to ``profile.html``. The
index answers the hot part (score, band, changes, networks); one short read of the store
answers the rest (history, explanation, influence, topics), as the API's routes do.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from sway.api import service
from sway.api.errors import ApiError
from sway.api.index import AccountView, PersonView
from sway.api.models import (
    AccountProfile,
    ExplanationPublic,
    History,
    InfluenceLink,
    PersonProfile,
)
from sway.api.state import ServiceState
from sway.privacy import visibility
from sway.store.db import Store
from sway.web import charts
from sway.web.posts import post_url, preview
from sway.web.privacy import PrivacyLink, privacy_links, public_href, score_viewers

__all__ = ["ProfilePage", "account_page", "person_page"]

#: Influencers and influencees listed (and drawn) on a profile.
INFLUENCE_SHOWN = 8
#: Topics listed on a profile.
TOPICS_SHOWN = 10
_FACTOR_NAMES = {
    "reach": "Reach",
    "amplification": "Amplification",
    "network_impact": "Network impact",
}


@dataclass
class ProfilePage:
    kind: str  # "account" or "person"
    subject: str
    title: str
    profile: AccountProfile | PersonProfile
    history: History
    explanation: ExplanationPublic | None
    influencers: list[InfluenceLink]
    influencees: list[InfluenceLink]
    topics: list[dict[str, Any]]
    broader: list[dict[str, Any]]
    sentiment: dict[str, Any] | None
    #: The person the page belongs to (an account stands for its own implicit person).
    person_id: str
    privacy: list[PrivacyLink]
    #: Where the score is served without a key, when the person (or the store's default)
    #: published it; ``None`` while it is private.
    public_href: str | None
    viewers: list[dict[str, Any]]
    charts: dict[str, str] = field(default_factory=dict)
    version_changes: list[dict[str, Any]] = field(default_factory=list)
    #: Top posts and topic evidence by post id: ``{"text": first line, "url": link}``.
    posts: dict[str, dict[str, str | None]] = field(default_factory=dict)


def _label(link: InfluenceLink) -> str:
    a = link.account
    return a.display_name or a.handle or a.account_id


def _topics(store: Store, subject: str, *, account: bool) -> tuple[list[Any], list[Any], Any]:
    """Topics with evidence (and, for an account, the sentiment of the reactions it got,
    overall and per topic), corrections applied; empty before the first topic run."""
    from sway.store.topics import latest_topic_run, profile_topics, topic_sentiment

    if latest_topic_run(store) is None:
        return [], [], None
    found = profile_topics(store, subject, evidence=account, limit=TOPICS_SHOWN)
    sentiment = None
    if account:
        for t in found.topics:
            _, rows = topic_sentiment(store, subject, topic=str(t["topic_id"]))
            t["sentiment"] = _sentiment_summary(rows)
        _, rows = topic_sentiment(store, subject)
        sentiment = _sentiment_summary(rows)
    return found.topics, found.broader, sentiment


def _posts(
    store: Store,
    account: AccountView | None,
    explanation: ExplanationPublic | None,
    topics: list[dict[str, Any]],
) -> dict[str, dict[str, str | None]]:
    """The text and link of an account's top posts and topic evidence (empty for people)."""
    from sway.store.topics import post_texts

    if account is None:
        return {}
    ids = [str(r["post_id"]) for r in (explanation.top_posts if explanation else [])]
    for t in topics:
        ids += [str(p["post_id"]) for p in (t.get("evidence") or {}).get("posts", [])]
    found = post_texts(store, account.network, ids)
    return {
        post_id: {
            "text": preview(found.get(post_id, (None, ""))[0]),
            "url": post_url(account.network, post_id, found.get(post_id, (None, None))[1]),
        }
        for post_id in ids
    }


def _sentiment_summary(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Periods summed: counts of positive, negative and neutral texts, down-votes, and the
    mean compound score weighted by texts."""
    if not rows:
        return None
    texts = sum(int(r["texts"]) for r in rows)
    weighted = sum(
        float(r["mean_compound"]) * int(r["texts"]) for r in rows if r["mean_compound"] is not None
    )
    return {
        "reactions": sum(int(r["reactions"]) for r in rows),
        "texts": texts,
        "positive": sum(int(r["positive"]) for r in rows),
        "negative": sum(int(r["negative"]) for r in rows),
        "neutral": sum(int(r["neutral"]) for r in rows),
        "downvotes": sum(int(r["downvotes"]) for r in rows),
        "mean": weighted / texts if texts else None,
        "negative_rise": any(bool(r["negative_rise"]) for r in rows),
    }


def _gather(
    state: ServiceState,
    *,
    kind: str,
    subject: str,
    title: str,
    profile: AccountProfile | PersonProfile,
    accounts: list[AccountView],
    account: AccountView | None,
    person: PersonView,
) -> ProfilePage:
    index = state.index
    with state.gate.read() as store:
        history = service.history(
            store, subject, account=account, person=None if account else person
        )
        try:
            explanation = service.explain(
                store, index, account=account, person=None if account else person
            )
        except ApiError as exc:
            if exc.status != 404:
                raise
            explanation = None  # not scored in the served run (no activity in its window)
        pages = {
            d: service.influence_page(
                store, index, accounts, direction=d, offset=0, limit=INFLUENCE_SHOWN
            ).items
            for d in ("in", "out")
        }
        topics, broader, sentiment = _topics(store, subject, account=account is not None)
        posts = _posts(store, account, explanation, topics)
        published = visibility(store, person.person_id).public
    keys = score_viewers(state.api_keys(), person.person_id)
    page = ProfilePage(
        kind=kind,
        subject=subject,
        title=title,
        profile=profile,
        history=history,
        explanation=explanation,
        influencers=pages["in"],
        influencees=pages["out"],
        topics=topics,
        broader=broader,
        sentiment=sentiment,
        person_id=person.person_id,
        privacy=privacy_links(person.person_id),
        public_href=public_href(person.person_id) if published else None,
        viewers=[{"name": k.name, "key_id": k.key_id, "scopes": sorted(k.scopes)} for k in keys],
        posts=posts,
    )
    _draw(page)
    return page


def _draw(page: ProfilePage) -> None:
    series = page.history.series
    if any(s.points for s in series):
        page.charts["history"] = charts.history_svg(
            tuple(
                charts.Series(
                    name=f"{s.algorithm_version} ({s.series})"
                    if s.series != s.algorithm_version
                    else s.algorithm_version,
                    points=tuple(charts.Point(p.as_of, p.score, p.run_id) for p in s.points),
                )
                for s in series
            ),
            label=f"Score history of {page.title}",
        )
        ordered = sorted(
            (s for s in series if s.points), key=lambda s: min(p.as_of for p in s.points)
        )
        for before, after in itertools.pairwise(ordered):
            page.version_changes.append(
                {
                    "from": before.series,
                    "to": after.series,
                    "at": min(p.as_of for p in after.points),
                }
            )
    if page.explanation is not None and page.explanation.contributions:
        page.charts["contributions"] = charts.bars_svg(
            tuple(
                charts.Bar(_FACTOR_NAMES.get(c.factor, c.factor.replace("_", " ")), c.points)
                for c in page.explanation.contributions
            ),
            label=f"How much each factor adds to the score of {page.title}",
        )
    if page.influencers or page.influencees:
        page.charts["network"] = charts.network_svg(
            page.title,
            tuple(charts.Node(_label(i), i.contribution) for i in page.influencers),
            tuple(charts.Node(_label(i), i.contribution) for i in page.influencees),
            label=f"Who drives {page.title} and whom it drives",
        )


def account_page(state: ServiceState, network: str, account_id: str) -> ProfilePage:
    index = state.index
    account = service.find_account(index, network, account_id=account_id)
    profile = service.account_profile(index, account)
    return _gather(
        state,
        kind="account",
        subject=f"{network}:{account_id}",
        title=account.display_name or account.handle or account.account_id,
        profile=profile,
        accounts=[account],
        account=account,
        person=index.person_of(account),
    )


def person_page(state: ServiceState, person_id: str) -> ProfilePage:
    index = state.index
    person = service.find_person(index, person_id)
    profile = service.person_profile(index, person)
    main = person.main_account
    title = person.display_name or (
        (main.display_name or main.handle or main.account_id) if main is not None else person_id
    )
    return _gather(
        state,
        kind="person",
        subject=person.person_id,
        title=title,
        profile=profile,
        accounts=list(person.accounts),
        account=None,
        person=person,
    )
