"""Sentiment of the replies, comments, quotes and mentions an account receives, over time.

Every text is first given a language: the data's own (``lang``), else the one detected
(:func:`sway.topics.language.detect_language`). Then:

- **English** is scored with VADER [1]_, a lexicon and rule-based analyser tuned for social
  media; its compound score lies in [-1, 1];
- **French, Spanish, German, Italian and Portuguese** are scored by the same VADER rules
  (intensity, "!", capitals, contrast, negation within three words, emoji) over a lexicon of
  that language (``data/sentiment/LANG.tsv``, written for Sway and matched by Snowball stem so
  that inflected forms count), after each language's negations, boosters and "but" are read
  as VADER's English ones. No maintained, offline sentiment library covers these languages
  (see ``docs/topics.md``), so the lexicons are ours; their accuracy on labelled examples is
  measured there;
- **any other language**, or a text whose language is not known: only the language-neutral
  signals VADER knows count, emoji (😡, 😀) and emoticons (``:(``, ``<3``); a text without
  them has **unknown** sentiment (``None``): it is not neutral and is counted apart.

A text is positive at or above ``threshold`` (0.05, VADER's own convention), negative at or
below ``-threshold``, neutral between.

Per account, topic (``""``: all topics) and period, :func:`sentiment_rows` counts the texts by
polarity (and those of unknown sentiment), adds the negative votes received (down-votes,
negative ratings) to the negatives, and **flags a rise driven by negative reactions**: the
account received more reactions than in the period before, at least ``negative_rise_share``
of the added reactions were negative, and so were at least that share of the period's
reactions with a known sentiment. (The brand whose score rose during its own PR disaster would
be flagged.)

References
----------
.. [1] C. J. Hutto, E. Gilbert. "VADER: A Parsimonious Rule-based Model for Sentiment Analysis
   of Social Media Text." ICWSM 2014.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from sway.errors import ConfigError
from sway.topics.language import COVERED, detect_language
from sway.topics.text import stem_key

__all__ = [
    "LEXICON_LANGUAGES",
    "Polarity",
    "SentimentAnalyzer",
    "TextCounts",
    "period_start",
    "sentiment_rows",
]


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


#: Languages scored by VADER's rules over a lexicon of their own (English: VADER's).
LEXICON_LANGUAGES = tuple(lang for lang in COVERED if lang != "en")

# Each language's words for VADER's English negations, boosters and contrast ("but"): VADER
# looks for "not" in the three words before a sentiment word, "very" just before it, and
# weighs what follows "but" more.
_FUNCTION_WORDS: dict[str, dict[str, str]] = {
    "fr": {
        **dict.fromkeys(("pas", "aucun", "aucune", "ni", "sans", "non"), "not"),
        **dict.fromkeys(("jamais",), "never"),
        **dict.fromkeys(("très", "vraiment", "trop", "tellement", "extrêmement"), "very"),
        **dict.fromkeys(("mais", "cependant"), "but"),
    },
    "es": {
        **dict.fromkeys(("no", "ni", "sin", "tampoco", "ningún", "ninguna"), "not"),
        **dict.fromkeys(("nunca", "jamás"), "never"),
        **dict.fromkeys(("muy", "realmente", "súper", "tan", "extremadamente"), "very"),
        **dict.fromkeys(("pero", "sin embargo"), "but"),
    },
    "de": {
        **dict.fromkeys(("nicht", "kein", "keine", "keinen", "keinem", "keiner", "ohne"), "not"),
        **dict.fromkeys(("nie", "niemals"), "never"),
        **dict.fromkeys(("sehr", "wirklich", "total", "echt", "extrem", "so"), "very"),
        **dict.fromkeys(("aber", "jedoch"), "but"),
    },
    "it": {
        **dict.fromkeys(("non", "né", "senza", "nessun", "nessuna", "nessuno"), "not"),
        **dict.fromkeys(("mai",), "never"),
        **dict.fromkeys(("molto", "davvero", "veramente", "troppo", "estremamente"), "very"),
        **dict.fromkeys(("ma", "però"), "but"),
    },
    "pt": {
        **dict.fromkeys(("não", "nem", "sem", "nenhum", "nenhuma"), "not"),
        **dict.fromkeys(("nunca", "jamais"), "never"),
        **dict.fromkeys(("muito", "realmente", "demais", "super", "extremamente"), "very"),
        **dict.fromkeys(("mas", "porém", "contudo"), "but"),
    },
}
# Elisions and hyphens split ("n'est", "remboursez-moi"), keeping the rest of the text as is.
_SPLIT = re.compile(r"(?<=\b[a-zA-Z])['’](?=\w)|(?<=\w)-(?=\w)")
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class Polarity:
    """The sentiment of one text: ``compound`` in ``[-1, 1]``, or ``None`` when unknown.

    ``method`` is ``vader`` (English), ``lexicon`` (another covered language), ``emoji``
    (emoji and emoticons only) or ``unknown``; ``lang`` the language used (``None``: not
    known)."""

    compound: float | None
    method: str
    lang: str | None


@lru_cache(maxsize=1)
def _vader() -> Any:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:  # pragma: no cover - a declared dependency
        raise ConfigError(
            "sentiment needs the 'vaderSentiment' package: pip install vaderSentiment"
        ) from None
    return SentimentIntensityAnalyzer()


def _lexicon(lang: str) -> dict[str, float]:
    """A language's lexicon by Snowball stem: ``{stem: valence}``."""
    text = (
        resources.files("sway.topics")
        .joinpath("data", "sentiment", f"{lang}.tsv")
        .read_text(encoding="utf-8")
    )
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            word, value = line.split("\t")
            found[stem_key(word.casefold(), lang) or word.casefold()] = float(value)
    return found


@lru_cache(maxsize=8)
def _analyzer(lang: str) -> tuple[Any, dict[str, float]]:
    """VADER's rules over ``lang``'s lexicon (emoji and emoticons kept), and that lexicon."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    english = _vader()
    analyzer = SentimentIntensityAnalyzer.__new__(SentimentIntensityAnalyzer)
    own = _lexicon(lang)
    # Emoji are read as their English descriptions ("angry face"), and emoticons are not
    # words: both keep VADER's values; every other entry is the language's own.
    analyzer.lexicon = {**english.lexicon, **own}
    analyzer.emojis = english.emojis
    return analyzer, own


class SentimentAnalyzer:
    """VADER for English, VADER's rules over a lexicon of their own for the other covered
    languages, emoji and emoticons alone for the rest (module docstring)."""

    def __init__(self) -> None:
        vader = _vader()
        self._emoji: frozenset[str] = frozenset(vader.emojis)
        self._emoticons: frozenset[str] = frozenset(
            token for token in vader.lexicon if not any(c.isalpha() for c in token)
        )

    def language(self, text: str, lang: str | None = None) -> str | None:
        """The language a text is scored in: the data's, else the detected one."""
        if lang:
            return lang.lower()[:2]
        found = detect_language(text)
        return None if found is None else found.lang

    def score(self, text: str | None, lang: str | None = None) -> Polarity:
        """The :class:`Polarity` of ``text`` (``lang``: the language the data says, if any)."""
        if not text or not text.strip():
            return Polarity(None, "unknown", None)
        lang = self.language(text, lang)
        if lang == "en":
            return Polarity(float(_vader().polarity_scores(text)["compound"]), "vader", lang)
        if lang in LEXICON_LANGUAGES:
            return Polarity(self._lexicon_score(text, lang), "lexicon", lang)
        symbols = [ch for ch in text if ch in self._emoji]
        symbols += [tok for tok in text.split() if tok in self._emoticons]
        if not symbols:
            return Polarity(None, "unknown", lang)
        compound = float(_vader().polarity_scores(" ".join(symbols))["compound"])
        return Polarity(compound, "emoji", lang)

    def polarity(self, text: str | None, lang: str | None = None) -> tuple[float | None, str]:
        """``(compound, method)`` of :meth:`score` (``None``: unknown sentiment)."""
        found = self.score(text, lang)
        return found.compound, found.method

    @staticmethod
    def _lexicon_score(text: str, lang: str) -> float:
        analyzer, own = _analyzer(lang)
        words = _FUNCTION_WORDS.get(lang, {})
        out = []
        for token in _TOKEN.findall(_SPLIT.sub(" ", text)):
            bare = token.strip(".,;:!?¡¿\"'«»()…").casefold()
            if bare in words:
                out.append(token.replace(token.strip(".,;:!?¡¿\"'«»()…"), words[bare]))
                continue
            stem = stem_key(bare, lang) if bare.isalpha() else None
            if stem and stem in own:
                stem = stem.upper() if token.isupper() and len(token) > 1 else stem
                out.append(token.replace(token.strip(".,;:!?¡¿\"'«»()…"), stem))
            else:
                out.append(token)
        return float(analyzer.polarity_scores(" ".join(out))["compound"])


@dataclass
class TextCounts:
    """Texts received in one (account, topic, period), by polarity."""

    texts: int = 0
    positive: int = 0
    negative: int = 0
    neutral: int = 0
    compound_sum: float = 0.0
    #: Texts whose sentiment is not known (a language Sway does not cover): not in ``texts``.
    unknown: int = 0

    def add(self, compound: float | None, threshold: float) -> None:
        if compound is None:
            self.unknown += 1
            return
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
                    "unknown": tc.unknown,
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
