"""The parameters of the integrity layer, with their documented defaults."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from sway.errors import ConfigError

__all__ = ["IntegrityParams"]


@dataclass(frozen=True)
class IntegrityParams:
    """Thresholds of the credibility signals, collusion, bursts and the new-account ramp.

    Attributes
    ----------
    probation_days, ramp_days
        A newcomer (an account created, or first interacting with anyone, less than
        ``ramp_days`` ago, where the data shows it) counts nothing as an endorser for
        ``probation_days``, then linearly more up to full weight at ``ramp_days``. An account
        first seen within ``probation_days`` of the start of the data may be of any age and
        is not a newcomer.
    crowd_ratio
        A newcomer nobody answered counts, on each post it reacts to, as far as established
        accounts reacted to the same post: a post's newcomers together count at most
        ``crowd_ratio`` times its established reactors.
    fresh_max_score, fresh_age_days
        Score a ``fresh_age_days``-old account stays under: its raw influence is capped at the
        curve's raw value for ``fresh_max_score`` times ``(age / fresh_age_days) ** 2`` until
        it is ``ramp_days`` old.
    busy_rate
        Reactions per calendar day (over the days the account is seen) above which each extra
        one lowers credibility: ``busy_rate / rate`` past it.
    regular_min_events, regular_cv
        An account with at least ``regular_min_events`` actions whose gaps between actions
        have a coefficient of variation under ``regular_cv`` acts like a timer (a bot).
    duplicate_share
        Share of an account's texts that repeat another of its texts (after normalising
        case, links, mentions and digits) above which credibility falls.
    spam_min_targets, spam_share
        An account addressing (replies, mentions, quotes) at least ``spam_min_targets``
        distinct high-profile accounts, more than ``spam_share`` of which never react to it,
        is reply-spamming.
    high_profile_reactors
        Distinct reactors that make an account high-profile for the reply-spam rule.
    follow_ratio, farm_min_follows
        Following / followers above which (with over 500 followed in the accounts table, or
        ``farm_min_follows`` follows given in the window) an account is a follow farmer.
    bot_credibility
        Credibility of an account the source declares a bot.
    collusion_share, collusion_min_size, collusion_discount
        Accounts giving more than ``collusion_share`` of their reactions to reciprocal partners
        form groups (connected parts of the reciprocal graph, at least ``collusion_min_size``,
        with at least ``collusion_density`` of the possible edges among them: reciprocal
        conversation spread over a whole community is not a ring); reactions inside a group
        count ``collusion_discount``.
    lockstep_seconds, lockstep_share
        A reaction is in lockstep when at least 3 other accounts react to the same post within
        ``lockstep_seconds``; an account with more than ``lockstep_share`` of its reactions in
        lockstep and most of them on one account is a boost-pod member.
    burst_ratio
        A day on which an account receives more than ``burst_ratio`` times its baseline (mean
        of its other window days, at least one) is a burst; its reactions count
        ``sqrt(limit / received)``.
    """

    probation_days: float = 14.0
    ramp_days: float = 30.0
    crowd_ratio: float = 5.0
    fresh_max_score: float = 29.0
    fresh_age_days: float = 14.0
    busy_rate: float = 50.0
    regular_min_events: int = 30
    regular_cv: float = 0.2
    duplicate_share: float = 0.3
    spam_min_targets: int = 10
    spam_share: float = 0.8
    high_profile_reactors: int = 20
    follow_ratio: float = 20.0
    farm_min_follows: int = 100
    bot_credibility: float = 0.05
    collusion_share: float = 0.5
    collusion_min_size: int = 5
    collusion_density: float = 0.15
    collusion_discount: float = 0.1
    lockstep_seconds: float = 600.0
    lockstep_share: float = 0.5
    burst_ratio: float = 10.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"integrity parameter {f.name} must be a number, not {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ConfigError(f"integrity parameter {f.name} must be > 0, found {value!r}")
        for name in (
            "bot_credibility",
            "collusion_discount",
            "collusion_density",
            "spam_share",
            "lockstep_share",
        ):
            if getattr(self, name) > 1:
                raise ConfigError(f"integrity parameter {name} must be <= 1")

    def as_dict(self) -> dict[str, Any]:
        """Every parameter by name."""
        return asdict(self)
