"""What the routes call: public models assembled from the in-memory index and the store.

Routes stay thin (parse, call one function here, return); everything that knows both the
index's views and the public models lives here. Raises :class:`~sway.api.errors.ApiError` for
"not found" and friends; store trouble comes up as :class:`~sway.errors.SwayError`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sway.api.errors import ApiError
from sway.api.index import AccountView, PersonView, ServingIndex, TopicRef, bucket
from sway.api.models import (
    AccountProfile,
    AccountSummary,
    CampaignMember,
    CampaignPlan,
    Change,
    ExplanationPublic,
    History,
    HistoryPoint,
    HistorySeries,
    InfluenceLink,
    LeaderboardAccount,
    LeaderboardPerson,
    NetworkScorePublic,
    Page,
    PersonProfile,
    PersonSummary,
    RunPublic,
    SubScores,
    Topic,
)
from sway.store.db import Store
from sway.store.queries import influencees, influencers, reactor_sets, score_history
from sway.store.runs import RunInfo

__all__ = [
    "AUDIENCE_NOTE",
    "CAMPAIGN_CANDIDATES",
    "account_profile",
    "account_summary",
    "campaign",
    "explain",
    "find_account",
    "find_person",
    "history",
    "influence_page",
    "leaderboard",
    "page",
    "people_leaderboard",
    "person_profile",
    "person_summary",
    "run_public",
    "search",
    "topic_leaderboard",
]

T = TypeVar("T")


def run_public(run: RunInfo | None) -> RunPublic | None:
    if run is None:
        return None
    return RunPublic(
        run_id=run.run_id,
        algorithm_version=run.algorithm_version,
        series=run.series,
        as_of=run.as_of,
        window_days=run.window_days,
        events_used=run.events_used,
        withdrawn=run.withdrawal is not None,
        withdrawn_at=None if run.withdrawal is None else run.withdrawal.withdrawn_at,
        withdrawal_reason=None if run.withdrawal is None else run.withdrawal.reason,
    )


def page(items: list[T], total: int, offset: int, limit: int) -> Page[T]:
    end = offset + len(items)
    return Page[T](
        items=items,
        total=total,
        offset=offset,
        limit=limit,
        next_offset=end if end < total and items else None,
    )


def _subscores(reach: float | None, amp: float | None, impact: float | None) -> SubScores | None:
    if reach is None or amp is None or impact is None:
        return None
    return SubScores(reach=reach, amplification=amp, network_impact=impact)


def _topics(refs: tuple[TopicRef, ...]) -> list[Topic]:
    return [Topic(id=t.topic_id, name=t.name, slug=t.slug or "", score=t.score) for t in refs]


# -- lookups ------------------------------------------------------------------------------


def find_account(
    index: ServingIndex, network: str, *, handle: str | None = None, account_id: str | None = None
) -> AccountView:
    """The account by handle or by id (one of them), or 404 naming the input."""
    if (handle is None) == (account_id is None):
        raise ApiError(400, "give exactly one of handle or id", field="query.handle")
    if handle is not None:
        found, what, field = (
            index.account_by_handle(network, handle),
            f"handle {handle!r}",
            "query.handle",
        )
    else:
        found, what, field = (
            index.account(network, account_id or ""),
            f"id {account_id!r}",
            "path.account_id",
        )
    if found is None:
        raise ApiError(404, f"no {network} account with {what}", field=field)
    return found


def find_person(index: ServingIndex, person_id: str) -> PersonView:
    found = index.person(person_id)
    if found is None:
        raise ApiError(404, f"no person {person_id!r}", field="path.person_id")
    return found


def account_summary(a: AccountView) -> AccountSummary:
    return AccountSummary(
        network=a.network,
        account_id=a.account_id,
        handle=a.handle,
        display_name=a.display_name,
        score=a.score,
        bucket=bucket(a.score),
    )


def _summary_of(index: ServingIndex, network: str, account_id: str) -> AccountSummary:
    """The account's summary, or a bare one (id only) for an account the index lacks."""
    found = index.account(network, account_id)
    if found is not None:
        return account_summary(found)
    return AccountSummary(
        network=network,
        account_id=account_id,
        handle=None,
        display_name=None,
        score=None,
        bucket=None,
    )


def person_summary(p: PersonView) -> PersonSummary:
    return PersonSummary(
        person_id=p.person_id,
        klout_id=p.klout_id,
        linked=p.explicit,
        score=p.score,
        bucket=bucket(p.score),
    )


def _networks(p: PersonView) -> list[NetworkScorePublic]:
    return [
        NetworkScorePublic(network=n.network, score=n.score, accounts=n.accounts)
        for n in p.networks
    ]


def account_profile(index: ServingIndex, a: AccountView) -> AccountProfile:
    person = index.person_of(a)
    return AccountProfile(
        network=a.network,
        account_id=a.account_id,
        handle=a.handle,
        display_name=a.display_name,
        score=a.score,
        bucket=bucket(a.score),
        followers=a.followers,
        sub_scores=_subscores(a.reach, a.amplification, a.network_impact),
        change=Change(day=a.changes.day, week=a.changes.week, month=a.changes.month),
        rank=a.rank,
        network_rank=a.network_rank,
        topics=_topics(index.account_topics(a)),
        networks=_networks(person),
        person=person_summary(person),
        run=run_public(index.run),
    )


def person_profile(index: ServingIndex, p: PersonView) -> PersonProfile:
    return PersonProfile(
        person_id=p.person_id,
        klout_id=p.klout_id,
        linked=p.explicit,
        display_name=p.display_name,
        score=p.score,
        bucket=bucket(p.score),
        sub_scores=_subscores(p.reach, p.amplification, p.network_impact),
        change=Change(day=p.changes.day, week=p.changes.week, month=p.changes.month),
        networks=_networks(p),
        accounts=[account_summary(a) for a in p.accounts],
        topics=_topics(index.person_topics(p)),
        run=run_public(index.run),
    )


# -- lists --------------------------------------------------------------------------------


#: Topic leaderboards are read from the store, at most this many entries.
TOPIC_BOARD_CAP = 10_000


def topic_leaderboard(
    store: Store,
    index: ServingIndex,
    topic: str,
    *,
    network: str | None,
    people: bool,
    offset: int,
    limit: int,
) -> Page[LeaderboardAccount] | Page[LeaderboardPerson]:
    """Accounts (or people) by their influence on ``topic`` (an id, name or slug) in the latest
    topic run, as ``sway topics top`` ranks them; capped at :data:`TOPIC_BOARD_CAP` entries.
    With ``network``: accounts on it, or people with an account on it."""
    from sway.errors import ConfigError, ScoringError
    from sway.store.topics import topic_leaderboard as board
    from sway.topics.ontology import AmbiguousTopic

    try:
        _, rows = board(
            store, topic, network=None if people else network, people=people, limit=TOPIC_BOARD_CAP
        )
    except AmbiguousTopic as exc:
        raise ApiError(409, str(exc), code="ambiguous_topic", field="query.topic") from None
    except (ConfigError, ScoringError) as exc:
        raise ApiError(404, str(exc), field="query.topic") from None
    if people:
        if network is not None:
            # Only people with an account on the network (each looked up: the filter needs it).
            rows = [r for r in rows if _has_account_on(index, str(r["subject"]), network)]
        persons = []
        for i, r in enumerate(rows[offset : offset + limit]):
            p = index.person(str(r["subject"]))
            if p is None:
                continue
            persons.append(
                LeaderboardPerson(
                    rank=offset + i + 1,
                    person=person_summary(p),
                    display_name=p.display_name,
                    networks=_networks(p),
                    topic_score=r["score"],
                )
            )
        return page(persons, len(rows), offset, limit)
    chosen = rows[offset : offset + limit]
    accounts = []
    for i, r in enumerate(chosen):
        a = index.account(str(r["network"]), str(r["account_id"]))
        if a is None:
            continue
        accounts.append(
            LeaderboardAccount(
                rank=offset + i + 1,
                account=account_summary(a),
                sub_scores=_subscores(a.reach, a.amplification, a.network_impact),
                topic_score=r["score"],
            )
        )
    return page(accounts, len(rows), offset, limit)


def _has_account_on(index: ServingIndex, person_id: str, network: str) -> bool:
    person = index.person(person_id)
    return person is not None and any(a.network == network for a in person.accounts)


def leaderboard(
    index: ServingIndex, *, network: str | None, offset: int, limit: int
) -> Page[LeaderboardAccount]:
    accounts, total = index.leaderboard(network=network, offset=offset, limit=limit)
    items = [
        LeaderboardAccount(
            rank=(a.rank if network is None else a.network_rank) or offset + i + 1,
            account=account_summary(a),
            sub_scores=_subscores(a.reach, a.amplification, a.network_impact),
            topic_score=None,
        )
        for i, a in enumerate(accounts)
    ]
    return page(items, total, offset, limit)


def people_leaderboard(
    index: ServingIndex, *, network: str | None = None, offset: int, limit: int
) -> Page[LeaderboardPerson]:
    """Scored people, highest first: all, or those with an account on ``network``."""
    people, total = index.people_leaderboard(network=network, offset=offset, limit=limit)
    items = [
        LeaderboardPerson(
            rank=offset + i + 1,
            person=person_summary(p),
            display_name=p.display_name,
            networks=_networks(p),
            topic_score=None,
        )
        for i, p in enumerate(people)
    ]
    return page(items, total, offset, limit)


def search(
    index: ServingIndex, q: str, *, network: str | None, offset: int, limit: int
) -> Page[AccountSummary]:
    found, total = index.search(q, network=network, offset=offset, limit=limit)
    return page([account_summary(a) for a in found], total, offset, limit)


# -- from the store -----------------------------------------------------------------------


def history(
    store: Store,
    subject: str,
    *,
    account: AccountView | None = None,
    person: PersonView | None = None,
    algorithm_version: str | None = None,
) -> History:
    """Scores of an account or a person in every run, one series per algorithm version and
    parameters (a new algorithm starts a new series; scores of two series are not compared)."""
    if account is not None:
        rows = score_history(
            store,
            network=account.network,
            account_id=account.account_id,
            algorithm_version=algorithm_version,
        )
    elif person is not None and person.explicit:
        rows = score_history(store, person_id=person.person_id, algorithm_version=algorithm_version)
    elif person is not None and person.accounts:
        a = person.accounts[0]
        rows = score_history(
            store, network=a.network, account_id=a.account_id, algorithm_version=algorithm_version
        )
    else:
        rows = []
    series: dict[str, HistorySeries] = {}
    for r in rows:
        s = series.setdefault(
            r["series"],
            HistorySeries(series=r["series"], algorithm_version=r["algorithm_version"], points=[]),
        )
        s.points.append(
            HistoryPoint(
                run_id=r["run_id"],
                as_of=r["as_of"],
                score=r["score"],
                reach=r["reach"],
                amplification=r["amplification"],
                network_impact=r["network_impact"],
            )
        )
    return History(subject=subject, series=list(series.values()))


def _require_run(index: ServingIndex) -> RunInfo:
    if index.run is None:
        raise ApiError(404, "no scores yet; run `sway score` first", code="no_scores")
    return index.run


def explain(
    store: Store,
    index: ServingIndex,
    *,
    account: AccountView | None = None,
    person: PersonView | None = None,
) -> ExplanationPublic:
    """The explanation of an account's or a person's score in the served run."""
    from sway.scoring.explain import explain_account, explain_person, integrity_lines
    from sway.store.runs import (
        account_result,
        person_network_results,
        person_result,
        reference_curve_of,
        top_posts,
        top_reactors,
    )

    run = _require_run(index)
    curve = reference_curve_of(store, run)
    if person is not None and not person.explicit and person.accounts:
        account, person = person.accounts[0], None
    if account is not None:
        row = account_result(store, run.run_id, account.network, account.account_id)
        if row is None:
            raise ApiError(
                404,
                f"{account.network}:{account.account_id} was not scored in run {run.run_id}",
                code="not_scored",
            )
        result = explain_account(
            row,
            run_id=run.run_id,
            params=run.params,
            curve=curve,
            top_reactors=top_reactors(store, run.run_id, account.network, account.account_id),
            top_posts=top_posts(store, run.run_id, account.network, account.account_id),
            integrity=integrity_lines(run.summary, account.network, account.account_id),
        )
    else:
        assert person is not None
        prow = person_result(store, run.run_id, person.person_id)
        if prow is None:
            raise ApiError(
                404,
                f"person {person.person_id} was not scored in run {run.run_id}",
                code="not_scored",
            )
        rows = [
            r
            for a in person.accounts
            if (r := account_result(store, run.run_id, a.network, a.account_id)) is not None
        ]
        result = explain_person(
            {"person_id": person.person_id, **prow},
            rows,
            run_id=run.run_id,
            params=run.params,
            curve=curve,
            networks=person_network_results(store, run.run_id, person.person_id),
        )
    data: dict[str, Any] = result.as_dict()
    data.pop("extra", None)
    return ExplanationPublic.model_validate(data)


def influence_page(
    store: Store,
    index: ServingIndex,
    accounts: list[AccountView],
    *,
    direction: str,
    offset: int,
    limit: int,
) -> Page[InfluenceLink]:
    """Influencers (``direction="in"``: who drives these accounts) or influencees (``"out"``:
    whom they drive) in the served run."""
    run = _require_run(index)
    refs = [(a.network, a.account_id) for a in accounts]
    query = influencers if direction == "in" else influencees
    rows, total = query(store, run.run_id, refs, offset=offset, limit=limit)
    items = []
    for r in rows:
        items.append(
            InfluenceLink(
                account=_summary_of(index, r["network"], r["account_id"]),
                reactions=int(r["reactions"]),
                contribution=float(r["contribution"]),
            )
        )
    return page(items, max(total, offset + len(items)), offset, limit)


# -- campaigns ----------------------------------------------------------------------------


#: How many of a topic's most influential accounts the campaign builder chooses from.
CAMPAIGN_CANDIDATES = 200

#: What the campaign builder calls a candidate's audience (shown with every plan).
AUDIENCE_NOTE = (
    "A candidate's audience is everyone who reacted (replied, commented, quoted, reposted, "
    "liked, up-voted or mentioned them; not follows, down-votes or their own reactions) to "
    "their items on the topic (or on a topic under it) in the topic run's window: reactions to "
    "their other items do not count."
)


def campaign(
    store: Store,
    index: ServingIndex,
    topic: str,
    *,
    network: str | None,
    k: int,
    candidates: int = CAMPAIGN_CANDIDATES,
) -> CampaignPlan:
    """Propose ``k`` accounts influential on ``topic`` (an id, name or slug) who together reach
    the largest distinct engaged audience *on that topic*: greedy maximum coverage
    (:func:`sway.campaign.greedy_cover`) over the topic audiences (the reactors of their items
    on the topic, :func:`sway.store.queries.reactor_sets`) of the topic's ``candidates`` most
    influential accounts, in the latest topic run's window. Among candidates adding as many
    new people, the higher topic score wins."""
    from sway.campaign import greedy_cover, overlap_matrix
    from sway.errors import ConfigError, ScoringError
    from sway.store.topics import get_topic_run, resolve_topic
    from sway.store.topics import topic_leaderboard as board
    from sway.topics.ontology import AmbiguousTopic

    try:
        run = get_topic_run(store)
        topic_id, _ = resolve_topic(store, topic, topic_run=run)
        name, rows = board(store, topic, network=network, limit=candidates)
    except AmbiguousTopic as exc:
        raise ApiError(409, str(exc), code="ambiguous_topic", field="query.topic") from None
    except (ConfigError, ScoringError) as exc:
        raise ApiError(404, str(exc), field="query.topic") from None
    if int(run.summary.get("item_topics", 0)) and not store.scalar(
        "SELECT EXISTS (SELECT 1 FROM post_topics WHERE topic_run_id = ?)", [run.topic_run_id]
    ):
        raise ApiError(
            409,
            f"topic run {run.topic_run_id} (topics version {run.version}) keeps no topics per "
            "item, which the campaign builder needs; run `sway topics compute` again",
            code="stale_topic_run",
        )
    refs = [(str(r["network"]), str(r["account_id"])) for r in rows]
    topic_scores = {ref: float(r["score"]) for ref, r in zip(refs, rows, strict=True)}
    sets = reactor_sets(
        store, refs, start=run.window_start, end=run.as_of, topic=(run.topic_run_id, topic_id)
    )
    picks = greedy_cover(sets, k, order=refs)
    members = []
    for pick in picks:
        members.append(
            CampaignMember(
                account=_summary_of(index, *pick.key),
                topic_score=topic_scores[pick.key],
                audience=pick.audience,
                new=pick.new,
                overlap=pick.overlap,
                reach=pick.reach,
            )
        )
    return CampaignPlan(
        topic=name,
        topic_id=topic_id,
        network=network,
        k=k,
        candidates=len(refs),
        topic_run_id=run.topic_run_id,
        start=run.window_start,
        end=run.as_of,
        audience=AUDIENCE_NOTE,
        reach=picks[-1].reach if picks else 0,
        audience_sum=sum(p.audience for p in picks),
        members=members,
        overlaps=overlap_matrix(sets, [p.key for p in picks]),
    )
