"""Matching terms (tags, hashtags, keyphrases) to the topics of an ontology.

A term matches a topic when its key (see :func:`sway.topics.text.key`) equals the key of the
topic's display name, slug or an alias, or the same with the spaces removed (so
``#MachineLearning``, ``machine-learning`` and ``machinelearning`` all find "Machine
Learning"); failing that, when its Snowball stem in a language equals the stem of a name in
that language (``language`` finds "Languages", ``langue`` the French "Langues").

**Language-aware.** A term is matched in the language of its text (for source tags, the
language of the site's tag vocabulary: see :mod:`sway.topics.extract`), then in English
(English names, slugs and aliases). The order of the tries: exact names in the term's language,
exact English names, slugs and aliases, then stems in the term's language, then English stems.
So an exact name always beats a stem, and a term never matches a name in a language it is not
in: the English tag ``chat`` is not the French "Chats" (Cats). An unknown language is matched
as English.

**Ambiguity.** When one key names several topics, the topic that is not a Klout super-topic and
has the smallest id wins (a name is one thing); an alias that names several topics keeps them
all (the entity MSNBC belongs to both "Talk Shows" and "News").

**Hierarchy.** A match names the most specific topic; :meth:`TopicMatcher.expand` adds its
ancestors so that parent topics aggregate the evidence of their children.
"""

from __future__ import annotations

from dataclasses import dataclass

from sway.topics.ontology import Ontology
from sway.topics.text import key, split_camel, stem_key

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
        # (lang, stemmed key) -> [(id, kind)]: names in their language, slugs in English
        self._stems: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for topic in ontology:
            entries: list[tuple[str, str, str]] = [(topic.name, "en", "name")]
            entries += [(name, lang, "name") for lang, name in topic.names.items()]
            if topic.slug:
                entries.append((topic.slug, "", "slug"))
            if aliases:
                entries += [(alias, "", "alias") for alias in topic.aliases]
            for text, lang, kind in entries:
                term_key = key(text)
                for form in self._forms(term_key):
                    self._index.setdefault(form, {}).setdefault(lang, []).append((topic.id, kind))
                # Aliases are names of entities (people, brands): matched exactly only.
                stem = stem_key(term_key, lang or "en") if kind != "alias" else None
                if stem:
                    self._stems.setdefault((lang or "en", stem), []).append((topic.id, kind))
        self._cache: dict[tuple[str, str | None], tuple[Match, ...]] = {}

    @staticmethod
    def _forms(term_key: str) -> list[str]:
        if not term_key:
            return []
        return [term_key, term_key.replace(" ", "")] if " " in term_key else [term_key]

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
        keys = list(dict.fromkeys(k for k in (key(raw), key(term)) if k))
        if not keys:
            return ()
        forms = list(dict.fromkeys(f for k in keys for f in self._forms(k)))
        # An unknown language is matched as English: trying every language would read the
        # tag "chat" as the French name of "Cats".
        own = lang if lang not in (None, "en") else None
        langs = [own, "en"] if own else ["en"]
        exact: list[tuple[str, ...]] = [(own,)] if own else []
        exact.append(("en", ""))
        for tier in exact:
            hits = self._exact(forms, tier, named=True)
            if hits:
                return self._resolve(hits)
        for stem_lang in langs:
            hits = {}
            for k in keys:
                stem = stem_key(k, stem_lang)
                for topic_id, kind in self._stems.get((stem_lang, stem), []) if stem else []:
                    hits.setdefault(topic_id, (kind, stem_lang))
            if hits:
                return self._resolve(hits)
        # Last, the entities labelled with a topic (weaker than any of its names).
        return self._resolve(self._exact(forms, ("",), named=False))

    def _exact(
        self, forms: list[str], tier: tuple[str, ...], *, named: bool
    ) -> dict[str, tuple[str, str]]:
        hits: dict[str, tuple[str, str]] = {}
        for form in forms:
            for entry_lang, entries in self._index.get(form, {}).items():
                if entry_lang in tier:
                    for topic_id, kind in entries:
                        if (kind != "alias") == named:
                            hits.setdefault(topic_id, (kind, entry_lang))
        return hits

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
