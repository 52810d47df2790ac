"""Term keys, hashtags, language guess, and matching terms to topics."""

from __future__ import annotations

import pytest

from sway.topics.match import TopicMatcher
from sway.topics.model import matcher_for
from sway.topics.ontology import default_ontology
from sway.topics.text import guess_language, hashtags, key, split_camel, stem_key

from .helpers import tiny_ontology


def test_keys_fold_case_accents_and_separators() -> None:
    assert key("Machine-Learning ") == "machine learning"
    assert key("#Économie") == "economie"
    assert key("c++") == "c++" and key("C#") == "c#"
    assert key("“quoted!”") == "quoted"
    # Snowball stems per language, every word of the key.
    assert stem_key("languages", "en") == stem_key("language", "en")
    assert stem_key("stories", "en") == stem_key("story", "en")
    assert stem_key("talk shows", "en") == "talk show"
    assert stem_key("langues", "fr") == stem_key("langue", "fr")
    assert stem_key("chat", "fr") == stem_key("chats", "fr")  # hence the tag's language matters
    assert stem_key("words", "xx") is None


def test_hashtags_and_camel_case() -> None:
    assert hashtags("Hi #MachineLearning and #ai, not a#b, &#39; or #1") == [
        "MachineLearning",
        "ai",
    ]
    assert hashtags(None) == [] and hashtags("no tags") == []
    assert split_camel("MachineLearning") == "Machine Learning"
    assert split_camel("AI4Good") == "AI 4 Good"


def test_language_guess_only_when_clear() -> None:
    assert (
        guess_language("Je pense que la grammaire est difficile pour les gens et pour nous") == "fr"
    )
    assert guess_language("I think that the grammar of this is hard for you and them") == "en"
    assert guess_language("Спасибо, это очень полезный ответ") == "ru"
    assert guess_language("ok") is None and guess_language(None) is None
    assert guess_language("👍 123") is None


@pytest.mark.parametrize(
    "term", ["machine-learning", "Machine Learning", "MachineLearning", "machinelearning", "ML"]
)
def test_names_slugs_camel_case_compact_and_aliases(term: str) -> None:
    matcher = TopicMatcher(tiny_ontology())
    assert [m.topic_id for m in matcher.match(term)] == ["ml"]


def test_alias_weighs_less_than_a_name() -> None:
    matcher = TopicMatcher(tiny_ontology())
    assert matcher.match("ML")[0].weight < matcher.match("machine learning")[0].weight


def test_language_aware_matching() -> None:
    matcher = TopicMatcher(tiny_ontology())
    assert [m.topic_id for m in matcher.match("Linguistique", "fr")] == ["ling"]
    # A French name is not matched in an English (or unknown-language) text.
    assert matcher.match("Linguistique", "en") == ()
    assert matcher.match("Linguistique") == ()
    # English names, slugs and aliases still match in a French text.
    assert [m.topic_id for m in matcher.match("deep-learning", "fr")] == ["dl"]


def test_klout_matching() -> None:
    tree = default_ontology()
    matcher = matcher_for(tree)
    assert matcher_for(tree) is matcher  # built once per process

    def names(term: str, lang: str | None = None) -> list[str]:
        return [tree[m.topic_id].name for m in matcher.match(term, lang)]

    assert names("language") == ["Languages"]  # stem
    assert names("Langues", "fr") == ["Languages"]
    assert names("chat") == []  # not the French name of "Cats" in a text of unknown language
    assert names("fashion") == ["Fashion"]
    assert not (tree.resolve("fashion").slug or "").endswith("super")
    # An entity that is not a topic itself stands for every topic it is labelled with.
    entity = {tree[m.topic_id].name: m.kind for m in matcher.match("Carmen Electra")}
    assert entity["Talk Shows"] == "alias" and "Actors" in entity
    phrase = [tree[m.topic_id].name for m in matcher.match_phrase("new deep learning model")]
    assert phrase == ["Deep Learning"]
    # A lone common word inside a longer phrase is not a topic.
    assert matcher.match_phrase("the design of this page") == ()


def test_expand_adds_ancestors() -> None:
    matcher = TopicMatcher(tiny_ontology())
    assert matcher.expand("dl") == {"dl", "ml", "sci"}


def test_exact_names_beat_stems_and_stems_beat_aliases() -> None:
    tree = default_ontology()
    matcher = matcher_for(tree)

    def names(term: str, lang: str | None = None) -> list[str]:
        return [tree[m.topic_id].name for m in matcher.match(term, lang)]

    assert names("election") == ["Elections"]  # English stem
    assert names("langue", "fr") == ["Languages"]  # French stem of "Langues"
    assert names("Sprachen", "de") == ["Languages"]  # German name, exact
    # "language" is also an alias of a few entities: the stem of a name wins over them.
    assert names("language") == ["Languages"]
    assert names("chat", "fr") == ["Cats"]  # in French, a tag "chat" is a cat
