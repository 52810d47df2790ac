"""Text helpers for topics: term keys, hashtags, and a small language guess.

Matching compares *keys*, not raw strings: a key is case-folded, accent-free (people drop
accents in hashtags: ``#economie`` for "économie"), with ``-``, ``_``, ``/`` and ``.`` read as
spaces. :func:`plural_forms` adds the naive singular of the last word for the languages where a
trailing ``s`` (or ``ies``, ``x``) marks the plural, so that the tag ``language`` finds the
topic "Languages".

:func:`guess_language` is used only where the data does not say the language of a text: it
counts very frequent function words of a few languages and answers only when the text clearly
leans one way (else ``None``). It is a documented fallback, not a language identifier.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "PLURAL_LANGUAGES",
    "guess_language",
    "hashtags",
    "key",
    "plural_forms",
    "split_camel",
]

_SEPARATORS = re.compile(r"[\s\-_/.·]+")
# Quotes, brackets and sentence punctuation around a term; ``+`` and ``#`` stay (``c++``, ``c#``).
_EDGE_PUNCT = re.compile(r"^[\"'“”‘’«»()\[\]{}<>,;:!?¡¿*…]+|[\"'“”‘’«»()\[\]{}<>,;:!?¡¿*…]+$")
_HASHTAG = re.compile(r"(?<![\w&#/])#(\w{2,100})")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

#: Languages where :func:`plural_forms` folds a trailing plural mark on the last word.
PLURAL_LANGUAGES = frozenset({"en", "fr", "es", "it", "pt", "nl"})


@lru_cache(maxsize=200_000)
def key(term: str) -> str:
    """The matching key of a term: case-folded, accents removed, separators as one space.

    >>> key("Machine-Learning ")
    'machine learning'
    >>> key("Économie")
    'economie'
    """
    text = unicodedata.normalize("NFKD", term.strip().lstrip("#"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = _SEPARATORS.sub(" ", text).strip()
    return _EDGE_PUNCT.sub("", text)


def plural_forms(term_key: str) -> tuple[str, ...]:
    """``term_key`` and the singular of its last word (``stories`` → ``story``,
    ``languages`` → ``language``, ``classes`` → ``class``), without duplicates."""
    head, _, last = term_key.rpartition(" ")
    forms = [term_key]
    if len(last) > 3 and not last.endswith(("ss", "us", "is")):
        if last.endswith("ies"):
            forms.append(last[:-3] + "y")
        elif last.endswith(("sses", "ches", "shes", "xes")):
            forms.append(last[:-2])
        elif last.endswith(("s", "x")):
            forms.append(last[:-1])
    return tuple(dict.fromkeys([forms[0], *((f"{head} {f}" if head else f) for f in forms[1:])]))


def split_camel(tag: str) -> str:
    """``MachineLearning`` → ``Machine Learning``; ``AI4Good`` → ``AI 4 Good``."""
    return _CAMEL.sub(" ", tag)


def hashtags(text: str | None) -> list[str]:
    """The hashtags of a text, without ``#``, in order of appearance, without repeats."""
    if not text or "#" not in text:
        return []
    return list(dict.fromkeys(_HASHTAG.findall(text)))


# The most frequent function words of each language (short, common, and rarely shared).
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "of",
            "to",
            "is",
            "in",
            "that",
            "it",
            "for",
            "you",
            "was",
            "with",
            "on",
            "are",
            "this",
            "have",
            "be",
            "not",
            "but",
            "they",
            "what",
            "there",
            "would",
            "which",
            "their",
            "will",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "des",
            "est",
            "et",
            "une",
            "que",
            "qui",
            "dans",
            "pour",
            "pas",
            "sur",
            "avec",
            "sont",
            "ce",
            "cette",
            "mais",
            "nous",
            "vous",
            "ils",
            "du",
            "au",
            "aux",
            "je",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "ein",
            "eine",
            "ich",
            "zu",
            "mit",
            "sich",
            "auf",
            "dem",
            "den",
            "auch",
            "es",
            "wir",
            "sie",
            "für",
            "von",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "los",
            "las",
            "del",
            "que",
            "y",
            "en",
            "un",
            "una",
            "es",
            "por",
            "con",
            "para",
            "no",
            "se",
            "lo",
            "como",
            "pero",
            "más",
            "su",
            "al",
        ]
    ),
    "it": frozenset(
        [
            "il",
            "lo",
            "gli",
            "della",
            "che",
            "e",
            "di",
            "un",
            "una",
            "è",
            "per",
            "con",
            "non",
            "sono",
            "come",
            "ma",
            "più",
            "del",
            "nel",
            "alla",
        ]
    ),
    "pt": frozenset(
        [
            "o",
            "os",
            "as",
            "do",
            "da",
            "que",
            "e",
            "em",
            "um",
            "uma",
            "é",
            "para",
            "com",
            "não",
            "se",
            "por",
            "mais",
            "mas",
            "como",
            "ao",
            "dos",
        ]
    ),
    "nl": frozenset(
        [
            "de",
            "het",
            "een",
            "en",
            "van",
            "is",
            "dat",
            "niet",
            "op",
            "te",
            "zijn",
            "met",
            "voor",
            "ik",
            "je",
            "er",
            "maar",
            "ook",
            "om",
        ]
    ),
}


def guess_language(text: str | None, *, min_hits: int = 3) -> str | None:
    """A guess at the language of ``text`` from its function words, or ``None`` if unsure.

    The best language must have at least ``min_hits`` function words and half again as many
    as the runner-up; short or mixed texts get ``None``.
    """
    if not text:
        return None
    words = [w.casefold() for w in _WORD.findall(text[:2000])]
    if not words:
        return None
    counts = sorted(
        ((sum(1 for w in words if w in vocab), lang) for lang, vocab in _FUNCTION_WORDS.items()),
        reverse=True,
    )
    (best, lang), (second, _) = counts[0], counts[1]
    if best >= min_hits and best >= 1.5 * second:
        return lang
    return None
