"""Which language a text is in, with py3langid [1]_ (a naive Bayes classifier over byte n-grams,
97 languages, the model shipped in the package: offline, 4.5 MB, about 30 µs a text).

Why py3langid and not lingua: lingua is more accurate on very short texts, but its wheel
carries models for 75 languages (hundreds of MB once loaded with high accuracy) and loads them
lazily per language; langid's single small model is loaded in well under a second and is
good on the sentence-length texts that sentiment and triage see. Short texts are where both
are weak, so the answer carries the classifier's probability and :data:`MIN_CONFIDENCE` turns
an unsure guess into ``None`` ("not known"), never into English by default.

:func:`detect_language` answers for one text; :func:`vocabulary_language` for a bag of words
(a site's tags: French Language Meta's tags are English words even though its posts are in
French, so its tag ``chat`` is a chat room, not a cat).

References
----------
.. [1] M. Lui, T. Baldwin. "langid.py: An Off-the-shelf Language Identification Tool."
   ACL 2012 System Demonstrations.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sway.errors import ConfigError

__all__ = [
    "COVERED",
    "MIN_CONFIDENCE",
    "Detected",
    "detect_language",
    "vocabulary_language",
]

#: Languages whose sentiment and triage cues Sway knows (ISO 639-1).
COVERED = ("en", "fr", "es", "de", "it", "pt")
#: Below this probability a detection is "not known".
MIN_CONFIDENCE = 0.5
#: A short Latin-script text too unsure for the full model is tried among :data:`COVERED`
#: only, and must then reach this probability.
MIN_COVERED_CONFIDENCE = 0.7

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_URL = re.compile(r"https?://\S+|www\.\S+|(?<!\w)[@#][\w.@-]+")


@dataclass(frozen=True)
class Detected:
    """A detected language and the classifier's probability for it."""

    lang: str
    confidence: float


@lru_cache(maxsize=2)
def _identifier(restricted: bool) -> Any:
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError:  # pragma: no cover - a declared dependency
        raise ConfigError(
            "language detection needs the 'py3langid' package: pip install py3langid"
        ) from None
    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if restricted:
        ident.set_languages(list(COVERED))
    return ident


def _latin(text: str) -> bool:
    letters = _LETTER.findall(text)
    return bool(letters) and sum(1 for c in letters if c < "\u0250") >= 0.9 * len(letters)


@lru_cache(maxsize=100_000)
def detect_language(text: str | None) -> Detected | None:
    """The language of ``text``, or ``None`` when it has no letters or the guess is unsure.

    A confident answer of the full model stands (any of its 97 languages: Russian is
    Russian, not "unknown English"). An unsure one on a Latin-script text is tried again
    among the covered languages only, where short texts ("great product") are easier.
    """
    if not text:
        return None
    clean = _URL.sub(" ", text[:2000])
    if not _LETTER.search(clean):
        return None
    lang, confidence = _identifier(False).classify(clean)
    if confidence >= MIN_CONFIDENCE:
        return Detected(str(lang), float(confidence))
    if _latin(clean):
        lang, confidence = _identifier(True).classify(clean)
        if confidence >= MIN_COVERED_CONFIDENCE:
            return Detected(str(lang), float(confidence))
    return None


def vocabulary_language(words: Iterable[str], *, top: int = 200) -> Detected | None:
    """The language of a vocabulary (tags, as ``feature-request``): its ``top`` most frequent
    distinct words joined as one text, or ``None`` when unsure."""
    counts = Counter(w.replace("-", " ").replace("_", " ") for w in words if w)
    if not counts:
        return None
    return detect_language(" ".join(w for w, _ in counts.most_common(top)))
