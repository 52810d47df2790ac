"""Matching terms (tags, hashtags, keyphrases) to the topics of an ontology.

A term matches a topic when its key (see :func:`sway.topics.text.key`) equals the key of the
topic's display name, slug or an alias, or the key of one of those with the last word's plural
folded, or the same with the spaces removed (so ``#MachineLearning``, ``machine-learning`` and
``machinelearning`` all find "Machine Learning").

**Language-aware.** When the language of the text is known, names in that language are tried
first, then English names, slugs and aliases; when it is not known, it is matched as English
(trying every language would read the tag ``chat`` as the French name of "Cats"). A term never
matches a name in a language the text is not in (the French "Langues" is not tried for an
English text).

**Ambiguity.** When one key names several topics, the topic that is not a Klout super-topic and
has the smallest id wins (a name is one thing); an alias that names several topics keeps them
all (the entity MSNBC belongs to both "Talk Shows" and "News").

**Hierarchy.** A match names the most specific topic; :meth:`TopicMatcher.expand` adds its
ancestors so that parent topics aggregate the evidence of their children.
"""

from __future__ import annotations

from dataclasses import dataclass

from sway.topics.ontology import Ontology
from sway.topics.text import PLURAL_LANGUAGES, key, plural_forms, split_camel

__all__ = ["Match", "TopicMatcher"]

#: How much a match of each kind is trusted: a display name or slug fully, an alias (an entity
#: that belongs to the topic) a little less.
_KIND_WEIGHT = {"name": 1.0, "slug": 1.0, "alias": 0.8}


@dataclass(frozen=True)
class Match:
    """A term found to mean a topic."""

    topic_id: str
    weight: float
    kind: str


class TopicMatcher:
    """Finds the topics a term means in one ontology.

    Parameters
    ----------
    ontology
        The topic tree.
    aliases
        Also match aliases (for Klout: the labelled Wikidata entities of each topic).
    """

    def __init__(self, ontology: Ontology, *, aliases: bool = True) -> None:
        self.ontology = ontology
        # key -> lang ("" for slugs and aliases, which are language-neutral) -> [(id, kind)]
        self._index: dict[str, dict[str, list[tuple[str, str]]]] = {}
        for topic in ontology:
            entries: list[tuple[str, str, str]] = [(topic.name, "en", "name")]
            entries += [(name, lang, "name") for lang, name in topic.names.items()]
            if topic.slug:
                entries.append((topic.slug, "", "slug"))
            if aliases:
                entries += [(alias, "", "alias") for alias in topic.aliases]
            for text, lang, kind in entries:
                for form in self._forms(key(text), lang or "en"):
                    self._index.setdefault(form, {}).setdefault(lang, []).append((topic.id, kind))
        self._cache: dict[tuple[str, str | None], tuple[Match, ...]] = {}

    @staticmethod
    def _forms(term_key: str, lang: str) -> list[str]:
        if not term_key:
            return []
        forms = list(plural_forms(term_key)) if lang in PLURAL_LANGUAGES else [term_key]
        forms += [f.replace(" ", "") for f in forms if " " in f]
        return forms

    def match(self, term: str, lang: str | None = None) -> tuple[Match, ...]:
        """The topics ``term`` means (empty when none), for a text in ``lang`` if known."""
        lang = (lang or "").lower()[:2] or None
        cache_key = (term, lang)
        found = self._cache.get(cache_key)
        if found is None:
            found = self._match(term, lang)
            if len(self._cache) < 500_000:
                self._cache[cache_key] = found
        return found

    def _match(self, term: str, lang: str | None) -> tuple[Match, ...]:
        raw = split_camel(term) if " " not in term and any(c.isupper() for c in term[1:]) else term
        forms = [
            *self._forms(key(raw), lang or "en"),
            *([f for f in self._forms(key(term), lang or "en")] if raw != term else []),
        ]
        if not forms:
            return ()
        # An unknown language is matched as English: trying every language would read the
        # tag "chat" as the French name of "Cats".
        tiers: list[tuple[str, ...]] = (
            [("en", "")] if lang in (None, "en") else [(lang,), ("en", "")]
        )
        for tier in tiers:
            hits: dict[str, tuple[str, str]] = {}
            for form in dict.fromkeys(forms):
                for entry_lang, entries in self._index.get(form, {}).items():
                    if entry_lang not in tier:
                        continue
                    for topic_id, kind in entries:
                        hits.setdefault(topic_id, (kind, entry_lang))
            if hits:
                return self._resolve(hits)
        return ()

    def _resolve(self, hits: dict[str, tuple[str, str]]) -> tuple[Match, ...]:
        named = sorted(
            (t for t, (kind, _) in hits.items() if kind != "alias"), key=self._preference
        )
        if named:
            # A name is one thing: the preferred topic only.
            return (Match(named[0], _KIND_WEIGHT[hits[named[0]][0]], hits[named[0]][0]),)
        return tuple(
            Match(t, _KIND_WEIGHT["alias"], "alias") for t in sorted(hits, key=self._preference)
        )

    def _preference(self, topic_id: str) -> tuple[bool, int, str]:
        slug = self.ontology[topic_id].slug or ""
        return (slug.endswith("-super"), len(topic_id), topic_id)

    def match_phrase(self, phrase: str, lang: str | None = None) -> tuple[Match, ...]:
        """Topics of a keyphrase: the whole phrase, else its longest word n-grams of two words
        or more that match (single words only when the phrase is one word: a lone common word
        inside a phrase is too weak a signal)."""
        whole = self.match(phrase, lang)
        if whole:
            return whole
        words = phrase.split()
        for size in range(len(words) - 1, 1, -1):
            found: dict[str, Match] = {}
            for start in range(len(words) - size + 1):
                for m in self.match(" ".join(words[start : start + size]), lang):
                    found.setdefault(m.topic_id, m)
            if found:
                return tuple(found.values())
        return ()

    def expand(self, topic_id: str) -> frozenset[str]:
        """``topic_id`` and all its ancestors."""
        return self.ontology.ancestors(topic_id) | {topic_id}
