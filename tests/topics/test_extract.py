"""What each post is about: tags, hashtags, parent topics, keyphrases, and unknown tags."""

from __future__ import annotations

from typing import Any

from sway.topics.extract import Annotator, KeyphraseExtractor
from sway.topics.match import TopicMatcher

from .helpers import NoKeyphrases, tiny_ontology


def item(post: str, actor: str = "a", *, action: str = "post", **fields: Any) -> dict[str, Any]:
    return {"network": "t", "content_id": post, "actor": actor, "action": action, **fields}


def annotate(
    items: list[dict[str, Any]], **options: Any
) -> tuple[dict[str, dict[str, Any]], Annotator]:
    annotator = Annotator(TopicMatcher(tiny_ontology()), **options)
    table = annotator.annotate(items)
    found: dict[str, dict[str, Any]] = {}
    for r in table.to_pylist():
        found.setdefault(r["post_id"], {})[r["topic_id"]] = (r["weight"], r["source"])
    return found, annotator


def test_tags_and_hashtags() -> None:
    found, _ = annotate(
        [
            item("p1", tags=["machine-learning"]),
            item("p2", text="New results in #DeepLearning today"),
            item("p3", text="nothing here", tags=None),
        ],
        extractor=NoKeyphrases(),
    )
    assert found["p1"] == {"ml": (1.0, "tag")}
    assert found["p2"] == {"dl": (1.0, "hashtag")}
    assert "p3" not in found


def test_replies_inherit_the_parent_topics_and_skip_keyphrases() -> None:
    extractor = NoKeyphrases()
    found, annotator = annotate(
        [
            item("q", tags=["linguistics"]),
            item("r", "b", action="reply", parent_id="q", text="a long answer with many words"),
            item("c", "c", action="comment", parent_id="r", text="and a comment on the answer"),
            item("s", "d", action="reply", parent_id="q", text="tagged #DeepLearning answer"),
        ],
        extractor=extractor,
    )
    assert found["r"] == {"ling": (0.5, "parent")}
    assert found["c"] == {"ling": (0.25, "parent")}
    # An item with its own tags does not inherit.
    assert found["s"] == {"dl": (1.0, "hashtag")}
    assert extractor.calls == []
    assert annotator.keyphrase_items == 0


def test_keyphrases_only_for_untagged_items_by_default() -> None:
    text = "We compared several deep learning models on speech"
    extractor = NoKeyphrases({text: ["deep learning models", "speech"]})
    found, _ = annotate(
        [item("p1", text=text), item("p2", text=text, tags=["linguistics"])], extractor=extractor
    )
    assert found["p1"] == {"dl": (0.5, "keyphrase")}
    assert found["p2"] == {"ling": (1.0, "tag")}
    assert extractor.calls == [text]
    none, _ = annotate([item("p1", text=text)], extractor=extractor, keyphrases="none")
    assert none == {}
    both, _ = annotate(
        [item("p2", text=text, tags=["linguistics"])], extractor=extractor, keyphrases="all"
    )
    assert both["p2"] == {"ling": (1.0, "tag"), "dl": (0.5, "keyphrase")}


def test_unknown_tags_become_topics_only_when_enough_accounts_use_them() -> None:
    found, annotator = annotate(
        [
            item("p1", "a", tags=["feature-request"]),
            item("p2", "b", tags=["Feature-Request"]),
            item("p3", "c", tags=["feature-request"]),
            item("p4", "a", tags=["my-private-tag"]),
            item("p5", "a", tags=["my-private-tag"]),
            item("c1", "d", action="comment", parent_id="p1", text="agreed"),
        ],
        extractor=NoKeyphrases(),
    )
    topic = "tag:feature request"
    assert set(annotator.free_topics) == {topic}
    assert annotator.free_topics[topic].name == "feature-request"  # the most common spelling
    assert annotator.free_topics[topic].authors == 3
    assert {p for p, t in found.items() if topic in t} == {"p1", "p2", "p3", "c1"}
    assert "p4" not in found
    assert annotator.tag_topics("FEATURE_REQUEST") == [topic]
    assert annotator.tag_topics("deep-learning") == ["dl"]
    assert annotator.tag_topics("my-private-tag") == []


def test_language_of_the_item_selects_the_names() -> None:
    found, _ = annotate(
        [
            item("fr", text="Un billet sur la #Linguistique", lang="fr"),
            item("en", text="A post on #Linguistique", lang="en"),
        ],
        extractor=NoKeyphrases(),
    )
    assert found == {"fr": {"ling": (1.0, "hashtag")}}


def test_yake_keyphrases() -> None:
    extractor = KeyphraseExtractor(top=3)
    phrases = extractor(
        "Deep learning models improve speech recognition. Deep learning needs data. "
        "See https://example.org and @someone.",
        "en",
    )
    assert phrases and any("deep learning" in p.lower() for p in phrases)
    assert not any("example" in p.lower() or "someone" in p.lower() for p in phrases)
    assert extractor("too short", "en") == []


def test_source_tags_are_matched_in_the_language_of_their_community() -> None:
    from sway.topics.extract import community_of, tag_languages
    from sway.topics.model import matcher_for
    from sway.topics.ontology import default_ontology

    # A French-language site whose tags are English (French Language Meta): the tag "chat"
    # is a chat room, not the French name of "Cats"; hashtags in the text stay French.
    english_tags = ["discussion", "feature-request", "support", "bug", "tags", "moderation"]
    items = [
        {
            "network": "stackexchange",
            "content_id": f"fr-meta:post:{i}",
            "actor": f"u{i}",
            "action": "post",
            "tags": [english_tags[i % len(english_tags)], "status-completed", "chat"],
            "text": "Bonjour à tous, je pense que la salle de discussion est très utile pour nous",
        }
        for i in range(12)
    ]
    assert community_of("stackexchange", "fr-meta:post:1") == "stackexchange:fr-meta"
    assert community_of("mastodon", "https://a.example/1") == "mastodon"
    languages = tag_languages(items)
    assert languages == {"stackexchange:fr-meta": "en"}
    tree = default_ontology()
    annotator = Annotator(matcher_for(tree), extractor=NoKeyphrases(), tag_language=languages)
    found = {
        (r["post_id"], r["term"]): r["topic_id"] for r in annotator.annotate(items).to_pylist()
    }
    assert found[("fr-meta:post:0", "chat")] == "tag:chat"
    cats = tree.resolve("Cats").id
    assert cats not in found.values()
    # Without the community's language, the French text would have made it "Chats" (Cats).
    plain = Annotator(matcher_for(tree), extractor=NoKeyphrases())
    assert cats in {r["topic_id"] for r in plain.annotate(items[:1]).to_pylist()}
