"""The parameters of topics, with their documented defaults (recorded with every topic run)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from sway.errors import ConfigError

__all__ = ["PERIODS", "TOPICS_VERSION", "TopicParams"]

#: Version of the topic formulas and of what a topic run keeps; recorded with each topic run.
#: 1.1: a run also keeps every item's topics (``post_topics``), which the campaign builder reads.
#: 1.2: the topic step's own time scale (``window_days``, ``half_life_days``) instead of the
#: score run's; Snowball stems and tags matched in their community's language.
TOPICS_VERSION = "1.2"

#: Periods that sentiment and volume are counted over.
PERIODS = ("day", "week", "month")


@dataclass(frozen=True)
class TopicParams:
    """Parameters of one topic run.

    Attributes
    ----------
    window_days
        Expertise and topic influence count the engagement of this many days before the score
        run's ``as_of`` (``0``, the default: all of it). Expertise changes slowly: the topic
        step has its own time scale, not the score run's window.
    half_life_days
        Engagement on topic counts half after this many days (the score run's decay is for
        influence now, two weeks by default; expertise fades over a year).
    keyphrases
        ``"untagged"``: YAKE keyphrases only for items with no tag, hashtag or parent topic;
        ``"all"``; or ``"none"``.
    weight_tag, weight_keyphrase, weight_inherited
        How much an item is about a topic found from a tag or hashtag, a keyphrase, or its
        parent post.
    min_tag_authors
        Distinct accounts that must use a tag the ontology does not know before it becomes a
        topic of its own.
    min_reactions, min_posts
        The minimum evidence before a topic is shown for an account: on-topic reactions
        received, on at least this many distinct posts.
    top_evidence
        Posts and reactors kept as evidence per account and topic.
    default_factor
        What a named reactor counts for when no score run gives its selectivity x credibility.
    endorse_daily_limit
        Endorsements one giver may make per UTC day; later ones that day are refused.
    endorse_repeat_days
        Days before the same giver may endorse the same target on the same topic again.
    endorse_unit
        What one full-weight endorsement adds to a topic score, as a share of it.
    endorse_cap
        The most all endorsements together may add to a topic score, as a share of it (so an
        account with no content evidence on a topic gets nothing from endorsements).
    endorse_expertise_scale
        A giver with topic expertise ``X`` weighs ``1/2 + 1/2 (1 - exp(-X / scale))`` of their
        credibility: experts' endorsements count fully, others' half.
    collusion_discount
        Factor applied to an endorsement between members of one collusion group.
    collusion_min_group, collusion_density
        A dense group is at least ``collusion_min_group`` accounts whose endorsements among
        themselves fill at least ``collusion_density`` of the possible ordered pairs.
    history_days
        Sentiment and volume are counted over this many days before ``as_of``.
    period
        ``day``, ``week`` or ``month``: the buckets of sentiment and volume over time.
    sentiment_threshold
        VADER compound score at or beyond which a text is positive (or, negated, negative).
    negative_rise_share
        A rise in engagement from one period to the next is flagged as driven by negative
        reactions when negative reactions make up at least this share of the added reactions
        (and of the period's reactions with a known sentiment).
    """

    window_days: float = 0.0
    half_life_days: float = 365.0
    keyphrases: str = "untagged"
    weight_tag: float = 1.0
    weight_keyphrase: float = 0.5
    weight_inherited: float = 0.5
    min_tag_authors: int = 3
    min_reactions: int = 3
    min_posts: int = 2
    top_evidence: int = 5
    default_factor: float = 1.0
    endorse_daily_limit: int = 5
    endorse_repeat_days: float = 7.0
    endorse_unit: float = 0.02
    endorse_cap: float = 0.10
    endorse_expertise_scale: float = 2.0
    collusion_discount: float = 0.1
    collusion_min_group: int = 3
    collusion_density: float = 0.6
    history_days: float = 365.0
    period: str = "month"
    sentiment_threshold: float = 0.05
    negative_rise_share: float = 0.5

    def __post_init__(self) -> None:
        if self.keyphrases not in ("untagged", "all", "none"):
            raise ConfigError(
                f"keyphrases must be untagged, all or none, found {self.keyphrases!r}"
            )
        if self.period not in PERIODS:
            raise ConfigError(f"period must be one of {', '.join(PERIODS)}, found {self.period!r}")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in ("str",) or isinstance(value, str):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"topic parameter {f.name} must be a number, found {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"topic parameter {f.name} must be >= 0, found {value!r}")
        for name in (
            "min_tag_authors",
            "min_reactions",
            "min_posts",
            "top_evidence",
            "endorse_daily_limit",
            "collusion_min_group",
        ):
            value = getattr(self, name)
            if int(value) != value or value < 1:
                raise ConfigError(f"topic parameter {name} must be a positive integer")
        for name in ("collusion_discount", "collusion_density", "negative_rise_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"topic parameter {name} must be in [0, 1]")
        for name in (
            "endorse_expertise_scale",
            "history_days",
            "endorse_repeat_days",
            "half_life_days",
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(f"topic parameter {name} must be > 0")

    def as_dict(self) -> dict[str, Any]:
        """Every parameter by name (what a topic run records)."""
        return asdict(self)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))
