"""Public response and request models of our REST API (``/v1``).

These are the API's contract, kept apart from storage rows and from the in-memory index: a
column can be renamed in the store without changing a response, and a response can gain a field
(as topics did) without touching the store. Field names are ``snake_case``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sway.errors import ConfigError
from sway.ids import check_person_id

__all__ = [
    "AccountProfile",
    "AccountSummary",
    "CampaignMember",
    "CampaignPlan",
    "Change",
    "ContributionPublic",
    "CustomerIn",
    "ErrorBody",
    "ErrorDetail",
    "ExplanationPublic",
    "Health",
    "History",
    "HistoryPoint",
    "HistorySeries",
    "InfluenceLink",
    "IngestResult",
    "KeyCreateIn",
    "KeyCreated",
    "KeyPublic",
    "LeaderboardAccount",
    "LeaderboardPerson",
    "MessageIn",
    "NetworkScorePublic",
    "Page",
    "PersonProfile",
    "PersonSummary",
    "RunPublic",
    "ShareOfScorePublic",
    "SubScores",
    "Topic",
    "UsageRow",
]

T = TypeVar("T")


class ErrorDetail(BaseModel):
    status: int = Field(description="The HTTP status, repeated.")
    code: str = Field(description="A stable machine-readable code, e.g. `not_found`.")
    message: str
    field: str | None = Field(None, description="The input at fault, e.g. `query.limit`.")


class ErrorBody(BaseModel):
    """Every error of our routes has this shape."""

    error: ErrorDetail


class RunPublic(BaseModel):
    run_id: str
    algorithm_version: str
    series: str
    as_of: datetime
    window_days: float
    events_used: int
    withdrawn: bool = Field(
        False,
        description="A withdrawn run stays listed but is never served, nor compared against "
        "for changes (`sway runs withdraw`).",
    )
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None


class SubScores(BaseModel):
    reach: float
    amplification: float
    network_impact: float


class Change(BaseModel):
    """Score change since the latest run at least a day, a week or 30 days earlier (same
    series); ``null`` when there is none."""

    day: float | None = None
    week: float | None = None
    month: float | None = None


class Topic(BaseModel):
    """A topic the account or person is influential about; ``score`` is the topic influence
    (1-100) of the latest topic run (``sway topics``)."""

    id: str
    name: str
    slug: str
    score: float | None = None


class NetworkScorePublic(BaseModel):
    network: str
    score: float | None
    accounts: int


class AccountSummary(BaseModel):
    network: str
    account_id: str
    handle: str | None
    display_name: str | None
    score: float | None
    bucket: str | None = Field(None, description="Klout's band of ten: `0-9` ... `90-100`.")


class PersonSummary(BaseModel):
    person_id: str
    klout_id: str
    linked: bool = Field(description="Whether this is a person of linked accounts.")
    score: float | None
    bucket: str | None


class AccountProfile(AccountSummary):
    followers: int | None
    sub_scores: SubScores | None
    change: Change
    rank: int | None = Field(description="Rank among all scored accounts (1 = highest).")
    network_rank: int | None = Field(description="Rank among scored accounts of its network.")
    topics: list[Topic]
    networks: list[NetworkScorePublic] = Field(description="The networks of its person.")
    person: PersonSummary
    run: RunPublic | None


class PersonProfile(BaseModel):
    person_id: str
    klout_id: str
    linked: bool
    display_name: str | None
    score: float | None
    bucket: str | None
    sub_scores: SubScores | None
    change: Change
    networks: list[NetworkScorePublic]
    accounts: list[AccountSummary]
    topics: list[Topic]
    run: RunPublic | None


class HistoryPoint(BaseModel):
    run_id: str
    as_of: datetime
    score: float
    reach: float
    amplification: float
    network_impact: float


class HistorySeries(BaseModel):
    series: str
    algorithm_version: str
    points: list[HistoryPoint]


class History(BaseModel):
    subject: str
    series: list[HistorySeries]


class ContributionPublic(BaseModel):
    factor: str
    value: float
    part: float
    points: float


class ShareOfScorePublic(BaseModel):
    name: str
    score: float
    points: float


class ExplanationPublic(BaseModel):
    """Why a score is what it is: ``score = base + sum(contributions.points)``."""

    subject: str
    run_id: str
    score: float
    raw: float
    base: float
    contributions: list[ContributionPublic]
    networks: list[ShareOfScorePublic]
    accounts: list[ShareOfScorePublic]
    top_reactors: list[dict[str, Any]]
    top_posts: list[dict[str, Any]]
    discounts: list[str]
    notes: list[str]
    suggestions: list[str]


class InfluenceLink(BaseModel):
    account: AccountSummary
    reactions: int
    contribution: float = Field(description="Reach this link adds in the run.")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int
    next_offset: int | None


class LeaderboardAccount(BaseModel):
    rank: int
    account: AccountSummary
    sub_scores: SubScores | None
    topic_score: float | None = Field(None, description="Influence on the topic asked for.")


class LeaderboardPerson(BaseModel):
    rank: int
    person: PersonSummary
    display_name: str | None
    networks: list[NetworkScorePublic]
    topic_score: float | None = Field(None, description="Influence on the topic asked for.")


class CampaignMember(BaseModel):
    """One proposed account: its own engaged audience on the topic, what it adds, what it
    shares."""

    account: AccountSummary
    topic_score: float = Field(description="Its influence on the topic.")
    audience: int = Field(description="People in its own audience on the topic.")
    new: int = Field(description="Of them, people the earlier picks do not reach.")
    overlap: int = Field(description="Of them, people the earlier picks already reach.")
    reach: int = Field(description="Distinct people the picks so far reach, this one included.")


class CampaignPlan(BaseModel):
    """The accounts proposed for a topic, in the order picked (greedy maximum coverage)."""

    topic: str
    topic_id: str
    network: str | None
    k: int
    candidates: int = Field(description="The topic's most influential accounts chosen among.")
    topic_run_id: str
    start: datetime = Field(description="Start of the topic run's window.")
    end: datetime = Field(description="End of the window (exclusive).")
    audience: str = Field(description="What an audience is: the people counted.")
    reach: int = Field(description="Expected reach: the distinct audience of the picks.")
    audience_sum: int = Field(
        description="Their audiences counted separately (minus `reach`: the overlap)."
    )
    members: list[CampaignMember]
    overlaps: list[list[int]] = Field(
        description="People picks i and j share; the diagonal is each one's own audience."
    )


class IngestResult(BaseModel):
    source: str
    format: str
    read: int
    new: int
    duplicates: int
    rejected: int
    accounts: int
    rejects: list[str] = Field(default_factory=list, description="With `skip_bad=true`.")


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    accounts: int
    run: RunPublic | None


class CustomerIn(BaseModel):
    """A customer record for CRM enrichment; other fields are passed through untouched."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    email: str | None = None
    handles: dict[str, str] | None = Field(
        None, description='Network name to handle or account id, e.g. `{"twitter": "jack"}`.'
    )
    lifetime_value: float | None = Field(None, ge=0)
    orders: int | None = Field(None, ge=0)
    customer_since: str | None = Field(None, description="ISO date, e.g. `2019-05-01`.")
    open_tickets: int | None = Field(None, ge=0)


class MessageIn(BaseModel):
    """An incoming message to triage; customer fields are optional."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    network: str = Field(min_length=1)
    author: str = Field(min_length=1, description="Handle or account id of the author.")
    text: str
    received_at: datetime | None = None
    customer_id: str | None = None
    lifetime_value: float | None = Field(None, ge=0)
    orders: int | None = Field(None, ge=0)
    customer_since: str | None = None
    open_tickets: int | None = Field(None, ge=0)


class KeyPublic(BaseModel):
    key_id: str
    name: str
    scopes: list[str]
    rate_per_second: float | None
    rate_per_day: int | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    person_id: str | None = None


class KeyCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    scopes: list[Literal["read", "crm", "write", "admin", "self"]] = Field(min_length=1)
    rate_per_second: float | None = Field(None, gt=0, le=1e9)
    rate_per_day: int | None = Field(None, gt=0, le=10**15)
    person_id: str | None = Field(
        None, min_length=1, max_length=1000, description="For a person's own key (scope self)."
    )

    @field_validator("person_id")
    @classmethod
    def _person_id(cls, value: str | None) -> str | None:
        # The one rule of sway.ids, as a 422 naming body.person_id.
        if value is not None:
            try:
                check_person_id(value)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return value


class KeyCreated(KeyPublic):
    secret: str = Field(description="The key. Shown this once; only its hash is stored.")


class UsageRow(BaseModel):
    key_id: str
    day: str
    calls: int
    limited: int


class VisibilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public: bool | None = Field(
        description="true: published; false: private; null: the server's default."
    )


class VisibilityPublic(BaseModel):
    subject: str
    public: bool = Field(description="Whether the scores are served without a key.")
    chosen: bool = Field(description="Whether the person chose (else the server's default).")


class ForgetResult(BaseModel):
    erasure_id: int | None
    accounts: int = Field(description="Accounts erased.")
    people: int = Field(description="Person records erased.")
    runs: list[str] = Field(description="Published runs the erasure changed (recorded).")
    counts: dict[str, int] = Field(description="Rows removed or anonymised, per table.")


class AuditRow(BaseModel):
    audit_id: int
    logged_at: datetime
    actor: str
    action: str
    subject: str | None
    detail: dict[str, Any] | None
