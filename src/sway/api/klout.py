"""The Klout API v2 shapes, so that old Klout clients work against Sway unchanged.

Field names, types and quirks follow the compatibility spec (``docs/api.md``, "Klout API v2"):
ids are JSON strings; the user object has ``scoreDeltas`` (plural) and a nested ``score``
object, while the score resource has ``scoreDelta`` (singular) and a bare float; topics are a
bare array; deltas are numbers (0 when there is no earlier score, as Klout never sent null).

A Klout id names a person: :func:`sway.store.queries.klout_id` of the person id. An account's
own id (``network:account_id``) keeps resolving to its person after it is linked.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from sway.api.errors import ApiError
from sway.api.index import AccountView, PersonView, ServingIndex, bucket
from sway.store.db import Store
from sway.store.queries import influencees, influencers, reactor_total

__all__ = [
    "NETWORK_CODES",
    "KloutDeltas",
    "KloutError",
    "KloutIdentity",
    "KloutInfluence",
    "KloutScore",
    "KloutTopic",
    "KloutUser",
    "identity",
    "influence",
    "person_for",
    "reverse_identity",
    "score",
    "topics",
    "user",
]

#: Klout's network codes in identity paths -> Sway network names.
NETWORK_CODES: dict[str, str] = {
    "tw": "twitter",
    "gp": "googleplus",
    "ig": "instagram",
    "fb": "facebook",
}
#: How many influencers and influencees the influence resource lists (Klout: 5).
INFLUENCE_LIMIT = 5


class KloutError(BaseModel):
    error: int
    description: str


class KloutIdentity(BaseModel):
    id: str
    network: str


class KloutBand(BaseModel):
    score: float
    bucket: str


class KloutDeltas(BaseModel):
    dayChange: float
    weekChange: float
    monthChange: float


class KloutUser(BaseModel):
    kloutId: str
    nick: str
    score: KloutBand
    scoreDeltas: KloutDeltas


class KloutScore(BaseModel):
    score: float
    scoreDelta: KloutDeltas
    bucket: str


class KloutTopic(BaseModel):
    id: str
    displayName: str
    name: str
    slug: str
    imageUrl: str
    displayType: str = "visible"
    topicType: str = Field("sub", description="`sub` or `entity`.")


class KloutEntity(BaseModel):
    id: str
    payload: KloutUser


class KloutEntityWrap(BaseModel):
    entity: KloutEntity


class KloutInfluence(BaseModel):
    myInfluencers: list[KloutEntityWrap]
    myInfluencees: list[KloutEntityWrap]
    myInfluencersCount: int
    myInfluenceesCount: int


def _not_found(description: str) -> ApiError:
    return ApiError(404, description)


def _network(code: str) -> str:
    return NETWORK_CODES.get(code, code)


def identity(
    index: ServingIndex, code: str, value: str, *, by_handle: bool = False
) -> KloutIdentity:
    """kloutId of the account ``value`` (a screen name when ``by_handle``, else an id) on the
    network ``code`` (``tw``, ``gp``, ``ig``, ``fb``, or a Sway network name); ``ks``: echo a
    known kloutId."""
    if code == "ks":
        person = index.person_by_klout_id(value)
        if person is None:
            raise _not_found(f"No user with kloutId {value}")
        return KloutIdentity(id=person.klout_id, network="ks")
    network = _network(code)
    account = (
        index.account_by_handle(network, value) if by_handle else index.account(network, value)
    )
    if account is None:
        raise _not_found(f"No user found for {code} {value}")
    return KloutIdentity(id=index.person_of(account).klout_id, network="ks")


def reverse_identity(index: ServingIndex, klout_id: str, code: str) -> KloutIdentity:
    """The person's account id on the network ``code`` (its highest-scored one there)."""
    person = person_for(index, klout_id)
    network = _network(code)
    accounts = [a for a in person.accounts if a.network == network]
    if not accounts:
        raise _not_found(f"No {code} identity for kloutId {klout_id}")
    best = max(accounts, key=lambda a: -1.0 if a.score is None else a.score)
    return KloutIdentity(id=best.account_id, network=code)


def person_for(index: ServingIndex, klout_id: str) -> PersonView:
    person = index.person_by_klout_id(klout_id)
    if person is None:
        raise _not_found(f"No user with kloutId {klout_id}")
    return person


def _deltas(p: PersonView) -> KloutDeltas:
    c = p.changes
    return KloutDeltas(dayChange=c.day or 0.0, weekChange=c.week or 0.0, monthChange=c.month or 0.0)


def _score_of(p: PersonView) -> float:
    # Klout scored everyone it knew; an account with nothing in the run's window gets the floor.
    return 1.0 if p.score is None else p.score


def user(p: PersonView) -> KloutUser:
    main = p.main_account
    nick = (main.handle if main is not None and main.handle else None) or p.person_id
    value = _score_of(p)
    return KloutUser(
        kloutId=p.klout_id,
        nick=nick,
        score=KloutBand(score=value, bucket=bucket(value) or "0-9"),
        scoreDeltas=_deltas(p),
    )


def score(p: PersonView) -> KloutScore:
    value = _score_of(p)
    return KloutScore(score=value, scoreDelta=_deltas(p), bucket=bucket(value) or "0-9")


#: Klout's generic topic image (Klout sent one per topic; clients only display it).
TOPIC_IMAGE = "http://kcdn3.klout.com/static/images/icons/generic-topic.png"


def topics(index: ServingIndex, p: PersonView) -> list[KloutTopic]:
    """The person's topics of influence, as Klout's bare array (``topicType``: ``entity`` for a
    community's own tag topic, ``sub`` for a topic of the ontology)."""
    return [
        KloutTopic(
            id=t.topic_id,
            displayName=t.name,
            name=t.name,
            slug=t.slug or t.topic_id,
            imageUrl=TOPIC_IMAGE,
            topicType="entity" if t.topic_id.startswith("tag:") else "sub",
        )
        for t in index.person_topics(p)
    ]


def influence(store: Store | None, index: ServingIndex, p: PersonView) -> KloutInfluence:
    """Up to five people who drive this person and five it drives, with the full totals."""
    if index.run is None or store is None or not p.accounts:
        return KloutInfluence(
            myInfluencers=[], myInfluencees=[], myInfluencersCount=0, myInfluenceesCount=0
        )
    refs = [(a.network, a.account_id) for a in p.accounts]
    run_id = index.run.run_id
    ins, _ = influencers(store, run_id, refs, limit=50)
    outs, out_total = influencees(store, run_id, refs, limit=50)
    return KloutInfluence(
        myInfluencers=_wrap(index, p, ins),
        myInfluencees=_wrap(index, p, outs),
        myInfluencersCount=reactor_total(store, run_id, refs),
        myInfluenceesCount=out_total,
    )


def _wrap(
    index: ServingIndex, me: PersonView, rows: list[dict[str, object]]
) -> list[KloutEntityWrap]:
    """Distinct other people behind the linked accounts, best first, at most five."""
    seen: set[str] = {me.person_id}
    out: list[KloutEntityWrap] = []
    for r in rows:
        account: AccountView | None = index.account(str(r["network"]), str(r["account_id"]))
        if account is None:
            continue
        person = index.person_of(account)
        if person.person_id in seen:
            continue
        seen.add(person.person_id)
        payload = user(person)
        out.append(KloutEntityWrap(entity=KloutEntity(id=payload.kloutId, payload=payload)))
        if len(out) == INFLUENCE_LIMIT:
            break
    return out
