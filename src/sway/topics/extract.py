"""What each post is about: topics from source tags, hashtags, keyphrases, or the parent post.

For every created item (``post``, ``reply``, ``comment``, ``quote``) the :class:`Annotator`
collects *terms* and matches them to the ontology (:mod:`sway.topics.match`):

1. **source tags** (the ``tags`` column: Stack Exchange tags, Mastodon/Bluesky tags);
2. **hashtags** in the text (``#MachineLearning``);
3. when an item has neither and it answers a post whose topics are known (a reply, comment or
   quote), it **inherits** the parent's topics: a reply is about what it replies to;
4. otherwise **keyphrases** of the text from YAKE [1]_ (``keyphrases="untagged"``, the
   default; ``"all"`` runs YAKE on every text, ``"none"`` never).

Each topic of an item carries a weight: a tag or hashtag ``weight_tag``; an inherited topic
``weight_inherited`` times the parent's; a keyphrase ``weight_keyphrase``.

**Languages.** Hashtags and keyphrases are matched in the language of their text (the event's
``lang``, else detected: :mod:`sway.topics.language`). Source tags are a community's shared
vocabulary, so they are matched in the language of that vocabulary (:func:`tag_languages`: the
detected language of each community's most used tags; a Stack Exchange site is a community, any
other network is one): French Language Meta writes in French but tags in English, so its tag
``chat`` is a chat room, not the French "Chats" (Cats). Where a community's tags do not tell,
the item's own language is used.

**Tags the ontology does not know.** A tag or hashtag that matches no topic becomes a topic of
its own (id ``tag:KEY``, named as most authors spell it) when at least ``min_tag_authors``
distinct accounts used it: a community's own vocabulary (Stack Exchange's ``feature-request``)
is kept, one account's private hashtags are not. Unmatched keyphrases are dropped: a phrase is
not a topic until the ontology says so (this is what gave Klout its "casinos" and "jeopardy").

References
----------
.. [1] R. Campos, V. Mangaravite, A. Pasquali, A. Jorge, C. Nunes, A. Jatowt. "YAKE! Keyword
   extraction from single documents using multiple local features." Information Sciences
   509:257-289, 2020.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from sway.errors import ConfigError
from sway.topics.language import vocabulary_language
from sway.topics.match import TopicMatcher
from sway.topics.text import guess_language, hashtags, key

__all__ = [
    "FREE_PREFIX",
    "POST_TOPIC_SCHEMA",
    "Annotator",
    "FreeTopic",
    "KeyphraseExtractor",
    "Keyphrases",
    "community_of",
    "tag_languages",
]

#: Anything that gives the keyphrases of a text in a language (:class:`KeyphraseExtractor`).
Keyphrases = Callable[[str, str | None], list[str]]

#: Id prefix of the topics made from tags the ontology does not know (reserved).
FREE_PREFIX = "tag:"

#: One row per item and topic (the most specific topics: ancestors are added later).
POST_TOPIC_SCHEMA = pa.schema(
    [
        pa.field("network", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("topic_id", pa.string(), nullable=False),
        pa.field("weight", pa.float64(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("term", pa.string()),
    ]
)

_CREATED = ("post", "reply", "comment", "quote")
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<!\w)@[\w.@-]+")
#: Languages YAKE ships stop words for (two-letter codes); others run language-neutral.
_YAKE_LANGUAGES = frozenset(
    [
        "ar",
        "bg",
        "br",
        "cz",
        "da",
        "de",
        "el",
        "en",
        "es",
        "et",
        "fa",
        "fi",
        "fr",
        "hi",
        "hr",
        "hu",
        "hy",
        "id",
        "it",
        "ja",
        "lt",
        "lv",
        "nl",
        "no",
        "pl",
        "pt",
        "ro",
        "ru",
        "sk",
        "sl",
        "sv",
        "tr",
        "uk",
        "zh",
    ]
)


def community_of(network: str, content_id: str | None) -> str:
    """The community whose tag vocabulary an item shares: a Stack Exchange site (the prefix of
    its ids, ``french-meta:post:7`` → ``stackexchange:french-meta``), else the network."""
    if network == "stackexchange" and content_id and ":" in content_id:
        return f"{network}:{content_id.split(':', 1)[0]}"
    return network


def tag_languages(items: Iterable[Mapping[str, Any]]) -> dict[str, str | None]:
    """The language of each community's tags (``None`` when unsure), from the created items
    among ``items`` (``network, action, content_id, tags``)."""
    vocab: dict[str, list[str]] = {}
    for item in items:
        tags = item.get("tags")
        if tags and item.get("action") in _CREATED:
            network = str(item["network"])
            vocab.setdefault(community_of(network, item.get("content_id")), []).extend(tags)
    found = {c: vocabulary_language(words) for c, words in vocab.items()}
    return {c: d.lang if d is not None else None for c, d in found.items()}


@dataclass(frozen=True)
class FreeTopic:
    """A tag used as a topic of its own (not in the ontology)."""

    topic_id: str
    name: str
    authors: int


class KeyphraseExtractor:
    """Keyphrases of a text with YAKE, one extractor per language, texts cut to ``max_chars``."""

    def __init__(self, *, top: int = 5, max_ngram: int = 3, max_chars: int = 2000) -> None:
        self.top = top
        self.max_ngram = max_ngram
        self.max_chars = max_chars
        self._extractors: dict[str, Any] = {}

    def _extractor(self, lang: str) -> Any:
        found = self._extractors.get(lang)
        if found is None:
            try:
                import yake
            except ImportError:  # pragma: no cover - a declared dependency
                raise ConfigError("keyphrases need the 'yake' package: pip install yake") from None
            found = yake.KeywordExtractor(
                lan=lang if lang in _YAKE_LANGUAGES else "en",
                n=self.max_ngram,
                top=self.top,
                dedup_lim=0.7,
            )
            self._extractors[lang] = found
        return found

    def __call__(self, text: str, lang: str | None) -> list[str]:
        clean = _HANDLE.sub(" ", _URL.sub(" ", text[: self.max_chars]))
        if len(clean.split()) < 3:
            return []
        pairs = self._extractor(lang or "en").extract_keywords(clean)
        return [str(phrase) for phrase, _ in pairs]


class Annotator:
    """Topics of every created item of a batch of events.

    Parameters
    ----------
    matcher
        Matches terms to the ontology.
    keyphrases
        ``"untagged"`` (default), ``"all"`` or ``"none"``; see the module docstring.
    weight_tag, weight_keyphrase, weight_inherited
        Weight of a topic from a tag or hashtag, from a keyphrase, inherited from the parent.
    min_tag_authors
        Distinct accounts that must use an unknown tag before it becomes a topic.
    tag_language
        The language of each community's tags (:func:`tag_languages`); a community missing
        from it has its tags matched in each item's own language.
    """

    def __init__(
        self,
        matcher: TopicMatcher,
        *,
        keyphrases: str = "untagged",
        weight_tag: float = 1.0,
        weight_keyphrase: float = 0.5,
        weight_inherited: float = 0.5,
        min_tag_authors: int = 3,
        extractor: Keyphrases | None = None,
        tag_language: Mapping[str, str | None] | None = None,
    ) -> None:
        if keyphrases not in ("untagged", "all", "none"):
            raise ConfigError(f"keyphrases must be untagged, all or none, found {keyphrases!r}")
        self.matcher = matcher
        self.keyphrases = keyphrases
        self.weight_tag = weight_tag
        self.weight_keyphrase = weight_keyphrase
        self.weight_inherited = weight_inherited
        self.min_tag_authors = min_tag_authors
        self.extractor = extractor or KeyphraseExtractor()
        self.tag_language = dict(tag_language or {})
        #: Unknown tags that became topics, by topic id (after :meth:`annotate`).
        self.free_topics: dict[str, FreeTopic] = {}
        #: Items annotated, and those that needed keyphrases (after :meth:`annotate`).
        self.items_seen = 0
        self.keyphrase_items = 0

    def tag_topics(
        self, tag: str, lang: str | None = None, *, community: str | None = None
    ) -> list[str]:
        """The topic ids a tag stands for: its ontology matches, else its free topic (in the
        language of ``community``'s tags when known, else ``lang``)."""
        lang = self.tag_language.get(community or "") or lang
        matches = [m.topic_id for m in self.matcher.match(tag, lang)]
        if matches:
            return matches
        free = FREE_PREFIX + key(tag)
        return [free] if free in self.free_topics else []

    def annotate(self, items: Iterable[Mapping[str, Any]]) -> pa.Table:
        """Topics of the created items among ``items`` (dicts with the event columns
        ``network, actor, action, content_id, parent_id, text, tags, lang``), taken in time
        order so that parents come before their replies. Returns ``POST_TOPIC_SCHEMA`` rows."""
        rows: list[tuple[str, str, str, float, str, str | None]] = []
        known: dict[tuple[str, str], list[tuple[str, float]]] = {}
        tag_authors: dict[str, set[tuple[str, str]]] = {}
        spellings: dict[str, Counter[str]] = {}
        for item in items:
            if item.get("action") not in _CREATED or not item.get("content_id"):
                continue
            self.items_seen += 1
            network = str(item["network"])
            post = str(item["content_id"])
            found = list(self._item_topics(item, known, network, tag_authors, spellings))
            merged: dict[str, tuple[float, str, str | None]] = {}
            for topic_id, weight, source, term in found:
                if topic_id not in merged or weight > merged[topic_id][0]:
                    merged[topic_id] = (weight, source, term)
            known[(network, post)] = [(t, w) for t, (w, _, _) in merged.items()]
            rows.extend((network, post, t, w, s, term) for t, (w, s, term) in merged.items())
        self._admit_free_tags(tag_authors, spellings)
        # Unknown tags are provisional topics until the whole batch has been seen.
        rows = [r for r in rows if not r[2].startswith(FREE_PREFIX) or r[2] in self.free_topics]
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in POST_TOPIC_SCHEMA]
        return pa.Table.from_arrays(
            [pa.array(c, type=f.type) for c, f in zip(columns, POST_TOPIC_SCHEMA, strict=True)],
            schema=POST_TOPIC_SCHEMA,
        )

    def _item_topics(
        self,
        item: Mapping[str, Any],
        known: dict[tuple[str, str], list[tuple[str, float]]],
        network: str,
        tag_authors: dict[str, set[tuple[str, str]]],
        spellings: dict[str, Counter[str]],
    ) -> Iterator[tuple[str, float, str, str | None]]:
        text = item.get("text")
        # Where the data does not say the language, a guess from the text (or English).
        lang = item.get("lang") or guess_language(text)
        community = community_of(network, item.get("content_id"))
        tags_lang = item.get("lang") or self.tag_language.get(community) or lang
        terms = [(t, "tag", tags_lang) for t in (item.get("tags") or ())]
        terms += [(h, "hashtag", lang) for h in hashtags(text)]
        author = (network, str(item.get("actor") or ""))
        for term, source, term_lang in terms:
            matches = self.matcher.match(term, term_lang)
            for m in matches:
                yield m.topic_id, self.weight_tag * m.weight, source, term
            if not matches:
                tag_key = key(term)
                if tag_key:
                    free = FREE_PREFIX + tag_key
                    tag_authors.setdefault(free, set()).add(author)
                    spellings.setdefault(free, Counter())[term] += 1
                    yield free, self.weight_tag, source, term
        tagged = bool(terms)
        parent = item.get("parent_id")
        inherited = known.get((network, str(parent))) if parent and not tagged else None
        if inherited:
            for topic_id, weight in inherited:
                yield topic_id, self.weight_inherited * weight, "parent", None
        if text and (
            self.keyphrases == "all"
            or (self.keyphrases == "untagged" and not tagged and not inherited)
        ):
            self.keyphrase_items += 1
            for phrase in self.extractor(text, lang):
                for m in self.matcher.match_phrase(phrase, lang):
                    yield m.topic_id, self.weight_keyphrase * m.weight, "keyphrase", phrase

    def _admit_free_tags(
        self, tag_authors: dict[str, set[tuple[str, str]]], spellings: dict[str, Counter[str]]
    ) -> None:
        for free, authors in tag_authors.items():
            if len(authors) >= self.min_tag_authors:
                # The most common spelling; ties to the alphabetically first, for stable names.
                name = min(spellings[free].items(), key=lambda kv: (-kv[1], kv[0]))[0]
                self.free_topics[free] = FreeTopic(free, name, len(authors))
