"""Topics of influence: what each person is influential about, with the evidence.

The pure core of Sway's topics, free of any store, CLI or API (STYLE.md "pure core"); the
store side is :mod:`sway.store.topics`, the commands :mod:`sway.cli_topics`.

- :mod:`~sway.topics.ontology`: the bundled Klout Topic Ontology (CC BY 3.0) and custom
  ontologies from a CSV file;
- :mod:`~sway.topics.text`, :mod:`~sway.topics.match`: term keys, hashtags, and matching terms
  to topics by name, slug, alias and language;
- :mod:`~sway.topics.extract`: the topics of each post from tags, hashtags, the parent post and
  YAKE keyphrases;
- :mod:`~sway.topics.steps`, :mod:`~sway.topics.model`: expertise from credible on-topic
  engagement, topic influence on each topic's own reaction graph, evidence, people, volume;
- :mod:`~sway.topics.endorse`, :mod:`~sway.topics.collusion`: endorsements (+K) with limits,
  weights, a collusion discount and a cap;
- :mod:`~sway.topics.sentiment`: VADER sentiment of what an account receives, over time;
- :mod:`~sway.topics.evaluate`: the aims measured on Stack Exchange data.

The model and its rules are documented in ``docs/topics.md``.
"""

from __future__ import annotations

from sway.topics.endorse import Boost, Decision, Endorsement, check_limits, endorsement_boosts
from sway.topics.extract import Annotator, KeyphraseExtractor
from sway.topics.match import Match, TopicMatcher
from sway.topics.model import TopicContext, TopicModel
from sway.topics.ontology import Ontology, Topic, default_ontology, load_custom, load_klout
from sway.topics.params import TOPICS_VERSION, TopicParams

__all__ = [
    "TOPICS_VERSION",
    "Annotator",
    "Boost",
    "Decision",
    "Endorsement",
    "KeyphraseExtractor",
    "Match",
    "Ontology",
    "Topic",
    "TopicContext",
    "TopicMatcher",
    "TopicModel",
    "TopicParams",
    "check_limits",
    "default_ontology",
    "endorsement_boosts",
    "load_custom",
    "load_klout",
]
