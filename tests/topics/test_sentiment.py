"""Sentiment of what an account receives, language fallbacks, and the negative-rise flag."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from sway.topics.sentiment import SentimentAnalyzer, TextCounts, period_start, sentiment_rows

from .helpers import ev, fit, likes, post


@pytest.fixture(scope="module")
def analyzer() -> SentimentAnalyzer:
    return SentimentAnalyzer()


def test_vader_for_english(analyzer: SentimentAnalyzer) -> None:
    good, method = analyzer.polarity("This is a great, really helpful answer!", "en")
    bad, _ = analyzer.polarity("This is terrible and wrong, what a disaster", "en")
    assert method == "vader" and good is not None and bad is not None
    assert good > 0.5 and bad < -0.5
    # Unknown language that reads as English is English.
    assert (
        analyzer.polarity("I think that this is a really great answer for you", None)[1] == "vader"
    )


def test_other_covered_languages_use_their_lexicon(analyzer: SentimentAnalyzer) -> None:
    bad, method = analyzer.polarity("C'est une réponse vraiment nulle", "fr")
    assert method == "lexicon" and bad is not None and bad < -0.3
    good, _ = analyzer.polarity("Respuesta muy útil, gracias", "es")
    assert good is not None and good > 0.3


def test_uncovered_languages_fall_back_to_emoji_or_unknown(analyzer: SentimentAnalyzer) -> None:
    assert analyzer.polarity("Dit is een heel slecht antwoord", "nl") == (None, "unknown")
    angry, method = analyzer.polarity("Dit is een heel slecht antwoord 😡 :(", "nl")
    assert method == "emoji" and angry is not None and angry < 0
    happy, _ = analyzer.polarity("Heel erg bedankt 😀", "nl")
    assert happy is not None and happy > 0
    assert analyzer.polarity("", "en") == (None, "unknown")


def test_periods() -> None:
    when = datetime(2024, 5, 15, 13, tzinfo=UTC)
    assert period_start(when, "day") == date(2024, 5, 15)
    assert period_start(when, "week") == date(2024, 5, 13)
    assert period_start(when, "month") == date(2024, 5, 1)


def _counts(texts: int, negative: int) -> TextCounts:
    tc = TextCounts()
    for i in range(texts):
        tc.add(-0.8 if i < negative else 0.6, 0.05)
    return tc


def _rows(months: list[tuple[int, int, int, int]]) -> list[dict[str, Any]]:
    """(month, reactions, texts, negative texts) -> rows of sentiment_rows."""
    reactions = [
        {
            "network": "t",
            "account_id": "a",
            "topic_id": "",
            "period_start": date(2024, m, 1),
            "reactions": n,
            "downvotes": 0,
        }
        for m, n, _, _ in months
    ]
    texts = {("t", "a", "", date(2024, m, 1)): _counts(t, neg) for m, _, t, neg in months}
    return sentiment_rows(reactions, texts, period="month", negative_rise_share=0.5)


def test_a_rise_driven_by_negative_reactions_is_flagged() -> None:
    out = _rows([(1, 10, 4, 0), (2, 40, 30, 27)])
    assert [r["negative_rise"] for r in out] == [False, True]
    assert out[1]["negative"] == 27 and out[1]["mean_compound"] < 0


def test_a_positive_rise_or_a_negative_fall_is_not() -> None:
    assert [r["negative_rise"] for r in _rows([(1, 10, 4, 0), (2, 40, 30, 2)])] == [False, False]
    assert [r["negative_rise"] for r in _rows([(1, 40, 30, 27), (2, 10, 8, 8)])] == [False, False]


def test_a_gap_compares_with_an_empty_period() -> None:
    # March follows an empty February: compared with zero, not with January's 50.
    out = _rows([(1, 50, 40, 0), (3, 30, 20, 18)])
    assert [r["negative_rise"] for r in out] == [False, True]


def test_down_votes_count_as_negative_reactions() -> None:
    reactions = [
        {
            "network": "t",
            "account_id": "a",
            "topic_id": "",
            "period_start": date(2024, m, 1),
            "reactions": n,
            "downvotes": d,
        }
        for m, n, d in ((1, 5, 0), (2, 30, 25))
    ]
    out = sentiment_rows(reactions, {}, period="month", negative_rise_share=0.5)
    assert [r["negative_rise"] for r in out] == [False, True]


def test_model_sentiment_per_account_and_topic() -> None:
    events = [
        post("brand", "p1", "linguistics", days_ago=40),
        post("brand", "p2", "linguistics", days_ago=5),
    ]
    events += likes("p1", "brand", "r1", days_ago=39)
    events += [
        ev(
            f"u{i}",
            "reply",
            "brand",
            parent_id="p2",
            content_id=f"c{i}",
            days_ago=4,
            text="This is awful, a total disaster and a scam",
            lang="en",
        )
        for i in range(6)
    ]
    events += [
        ev(
            "u9",
            "reply",
            "brand",
            parent_id="p2",
            content_id="c9",
            days_ago=4,
            text="Great work, thanks!",
            lang="en",
        )
    ]
    model = fit(events, min_posts=1)
    table = [r for r in model.sentiment_.to_pylist() if r["account_id"] == "brand"]
    for topic in ("", "ling", "sci"):
        series = [r for r in table if r["topic_id"] == topic]
        assert [r["reactions"] for r in series] == [1, 7]
        assert (series[1]["texts"], series[1]["negative"], series[1]["positive"]) == (7, 6, 1)
        assert [r["negative_rise"] for r in series] == [False, True]
