"""Text helpers for topics: term keys, stems, hashtags, and the language of a text.

Matching compares *keys*, not raw strings: a key is case-folded, accent-free (people drop
accents in hashtags: ``#economie`` for "économie"), with ``-``, ``_``, ``/`` and ``.`` read as
spaces. :func:`stem_key` reduces every word of a key to its Snowball stem [1]_ in a given
language, so that the tag ``language`` finds the topic "Languages" and ``langue`` the French
"Langues" (a real stemmer per language, not a trailing ``s`` cut off).

:func:`guess_language` is used only where the data does not say the language of a text; it is
:func:`sway.topics.language.detect_language` (py3langid), ``None`` when unsure.

References
----------
.. [1] M. F. Porter. "Snowball: A language for stemming algorithms." 2001.
   https://snowballstem.org/
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from sway.errors import ConfigError
from sway.topics.language import detect_language

__all__ = [
    "STEMMERS",
    "guess_language",
    "hashtags",
    "key",
    "split_camel",
    "stem_key",
]

_SEPARATORS = re.compile(r"[\s\-_/.·]+")
# Quotes, brackets and sentence punctuation around a term; ``+`` and ``#`` stay (``c++``, ``c#``).
_EDGE_PUNCT = re.compile(r"^[\"'“”‘’«»()\[\]{}<>,;:!?¡¿*…]+|[\"'“”‘’«»()\[\]{}<>,;:!?¡¿*…]+$")
_HASHTAG = re.compile(r"(?<![\w&#/])#(\w{2,100})")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")


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


#: Snowball stemmers by ISO 639-1 code (those of the ``snowballstemmer`` package).
STEMMERS = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fa": "persian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
}


@lru_cache(maxsize=64)
def _stemmer(lang: str) -> Any:
    try:
        import snowballstemmer
    except ImportError:  # pragma: no cover - a declared dependency
        raise ConfigError(
            "topic matching needs the 'snowballstemmer' package: pip install snowballstemmer"
        ) from None
    return snowballstemmer.stemmer(STEMMERS[lang])


@lru_cache(maxsize=500_000)
def stem_key(term_key: str, lang: str) -> str | None:
    """Every word of ``term_key`` as its Snowball stem in ``lang`` (``None`` when Sway has no
    stemmer for it): ``stem_key("talk shows", "en") == "talk show"``."""
    if lang not in STEMMERS or not term_key:
        return None
    return " ".join(_stemmer(lang).stemWords(term_key.split(" ")))


def split_camel(tag: str) -> str:
    """``MachineLearning`` → ``Machine Learning``; ``AI4Good`` → ``AI 4 Good``."""
    return _CAMEL.sub(" ", tag)


def hashtags(text: str | None) -> list[str]:
    """The hashtags of a text, without ``#``, in order of appearance, without repeats."""
    if not text or "#" not in text:
        return []
    return list(dict.fromkeys(_HASHTAG.findall(text)))


def guess_language(text: str | None) -> str | None:
    """The language of ``text`` (ISO 639-1), or ``None`` when unsure or there is no text."""
    found = detect_language(text)
    return None if found is None else found.lang
