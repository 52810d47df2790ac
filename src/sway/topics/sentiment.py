"""Sentiment of the replies, comments, quotes and mentions an account receives, over time.

**English** texts (the data says ``en``, or says nothing and the text does not read as another
language) are scored with VADER [1]_, a lexicon and rule-based analyser tuned for social
media; its compound score lies in [-1, 1]. **Other languages** have no VADER lexicon, so the
documented fallback scores only the language-neutral signals VADER knows: emoji (😡, 😀) and
emoticons (``:(``, ``<3``); a text without them has no sentiment (it is not counted as
neutral). A text is positive at or above ``threshold`` (0.05, VADER's own convention),
negative at or below ``-threshold``, neutral between.

Per account, topic (``""``: all topics) and period, :func:`sentiment_rows` counts the texts by
polarity, adds the negative votes received (down-votes, negative ratings) to the negatives,
and **flags a rise driven by negative reactions**: the account received more reactions than in
the period before, at least ``negative_rise_share`` of the added reactions were negative, and
so were at least that share of the period's reactions with a known sentiment. (The brand whose
score rose during its own PR disaster would be flagged.)

References
----------
.. [1] C. J. Hutto, E. Gilbert. "VADER: A Parsimonious Rule-based Model for Sentiment Analysis
   of Social Media Text." ICWSM 2014.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sway.errors import ConfigError
from sway.topics.text import guess_language

__all__ = ["SentimentAnalyzer", "TextCounts", "period_start", "sentiment_rows"]


def period_start(ts: datetime | date, period: str) -> date:
    """The first day of the ``day``, ``week`` (ISO, Monday) or ``month`` holding ``ts`` (UTC)."""
    day = ts.date() if isinstance(ts, datetime) else ts
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ConfigError(f"unknown period {period!r}")


def _next_period(start: date, period: str) -> date:
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


class SentimentAnalyzer:
    """VADER for English, emoji and emoticons for other languages (module docstring)."""

    def __init__(self) -> None:
        try:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        except ImportError:  # pragma: no cover - a declared dependency
            raise ConfigError(
                "sentiment needs the 'vaderSentiment' package: pip install vaderSentiment"
            ) from None
        self._vader = SentimentIntensityAnalyzer()
        self._emoji: frozenset[str] = frozenset(self._vader.emojis)
        self._emoticons: frozenset[str] = frozenset(
            token for token in self._vader.lexicon if not any(c.isalpha() for c in token)
        )

    def polarity(self, text: str | None, lang: str | None = None) -> tuple[float | None, str]:
        """``(compound, method)``: method ``vader``, ``emoji`` or ``none`` (no sentiment)."""
        if not text or not text.strip():
            return None, "none"
        lang = (lang or guess_language(text) or "en").lower()[:2]
        if lang == "en":
            return float(self._vader.polarity_scores(text)["compound"]), "vader"
        symbols = [ch for ch in text if ch in self._emoji]
        symbols += [tok for tok in text.split() if tok in self._emoticons]
        if not symbols:
            return None, "none"
        return float(self._vader.polarity_scores(" ".join(symbols))["compound"]), "emoji"


@dataclass
class TextCounts:
    """Texts received in one (account, topic, period), by polarity."""

    texts: int = 0
    positive: int = 0
    negative: int = 0
    neutral: int = 0
    compound_sum: float = 0.0

    def add(self, compound: float, threshold: float) -> None:
        self.texts += 1
        self.compound_sum += compound
        if compound >= threshold:
            self.positive += 1
        elif compound <= -threshold:
            self.negative += 1
        else:
            self.neutral += 1


Key = tuple[str, str, str, date]


def sentiment_rows(
    reactions: Iterable[Mapping[str, Any]],
    texts: Mapping[Key, TextCounts],
    *,
    period: str,
    negative_rise_share: float,
) -> list[dict[str, Any]]:
    """One row per account, topic and period, with the flag of the module docstring.

    ``reactions`` has ``network, account_id, topic_id, period_start, reactions, downvotes``
    (every reaction received, counted by the engine); ``texts`` the sentiment of the texts
    among them. Periods with no reaction between two that have some count as zero.
    """
    counts: dict[Key, tuple[int, int]] = {}
    for r in reactions:
        k = (
            str(r["network"]),
            str(r["account_id"]),
            str(r["topic_id"]),
            _as_date(r["period_start"]),
        )
        counts[k] = (int(r["reactions"]), int(r["downvotes"]))
    series: dict[tuple[str, str, str], list[date]] = {}
    for k in set(counts) | set(texts):
        series.setdefault(k[:3], []).append(k[3])
    rows: list[dict[str, Any]] = []
    for subject, starts in sorted(series.items()):
        previous: tuple[int, int] | None = None
        for start in sorted(starts):
            reactions_n, downvotes = counts.get((*subject, start), (0, 0))
            tc = texts.get((*subject, start), TextCounts())
            negative = tc.negative + downvotes
            known = tc.texts + downvotes
            flag = False
            if previous is not None:
                prev_reactions, prev_negative = previous
                added = reactions_n - prev_reactions
                flag = (
                    added > 0
                    and negative - prev_negative >= negative_rise_share * added
                    and known > 0
                    and negative >= negative_rise_share * known
                )
            rows.append(
                {
                    "network": subject[0],
                    "account_id": subject[1],
                    "topic_id": subject[2],
                    "period_start": start,
                    "reactions": reactions_n,
                    "texts": tc.texts,
                    "positive": tc.positive,
                    "negative": tc.negative,
                    "neutral": tc.neutral,
                    "downvotes": downvotes,
                    "mean_compound": tc.compound_sum / tc.texts if tc.texts else None,
                    "negative_rise": flag,
                }
            )
            previous = (reactions_n, negative)
            # A gap of empty periods resets the comparison to zero, not to the last busy one.
            if _next_period(start, period) not in starts:
                previous = (0, 0)
    return rows


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
