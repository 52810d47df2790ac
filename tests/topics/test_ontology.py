"""Loading the Klout Topic Ontology (bundled and from CSV files) and custom ontologies."""

from __future__ import annotations

from pathlib import Path

import pytest

from sway.errors import ConfigError, SourceError
from sway.topics.ontology import default_ontology, load_custom, load_klout, load_ontology

KLOUT = Path(__file__).resolve().parents[1] / "fixtures" / "klout-topics"


def test_bundled_klout_ontology_has_every_topic_and_the_16_super_topics() -> None:
    tree = default_ontology()
    assert len(tree) == 8033  # every topic of the 2018-06-01 file; the root 0 is not a topic
    supers = [t for t in tree.roots if (tree[t].slug or "").endswith("-super")]
    assert len(supers) == 16
    # Ids above the signed 64-bit range are kept exactly, as strings.
    assert "10000000000000020305" in tree or any(int(t) >= 2**63 for t in tree.topics)
    assert all(int(t) < 2**64 for t in tree.topics)


def test_multilingual_names_aliases_and_a_dag() -> None:
    tree = default_ontology()
    languages = tree.resolve("Languages")
    assert languages.slug == "human-language"
    assert languages.names["fr"] == "Langues" and languages.names["de"] == "Sprachen"
    assert languages.display("it") == "Lingue" and languages.display("xx") == "Languages"
    assert sum(1 for t in tree if len(tree.parents.get(t.id, ())) > 1) > 1000
    ml = tree.resolve("machine learning")
    names = {tree[a].name for a in tree.ancestors(ml.id)}
    assert {"Artificial Intelligence", "Computer Science", "Technology"} <= names
    assert ml.id in tree.descendants(tree.resolve("Computer Science").id)
    # Positive entity labels are aliases: MSNBC belongs to "Talk Shows".
    assert "MSNBC" in tree.resolve("Talk Shows").aliases


def test_find_prefers_a_topic_over_a_super_topic_of_the_same_name() -> None:
    tree = default_ontology()
    fashion = tree.find("Fashion")
    assert fashion is not None and not (fashion.slug or "").endswith("-super")
    assert tree.find("no such topic at all") is None
    with pytest.raises(ConfigError, match="no topic"):
        tree.resolve("no such topic at all")


def test_load_klout_reads_the_upstream_csv_format() -> None:
    tree = load_klout(KLOUT)
    assert len(tree) == 19
    ml = tree.resolve("Machine Learning")
    assert ml.names["es"]
    assert {tree[p].name for p in tree.parents[ml.id]} >= {"Artificial Intelligence"}
    assert load_ontology(KLOUT).digest == tree.digest
    assert load_ontology("klout") is default_ontology()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topics.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_custom_ontology(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "id,name,parents,aliases,name:fr,wikidata\n"
        "ml,Machine Learning,ai,ML|statistical learning,Apprentissage automatique,Q2539\n"
        "ai,Artificial Intelligence,,AI,Intelligence artificielle,Q11660\n"
        "nlp,NLP,ai|ling,natural language processing,,\n"
        "ling,Linguistics,,,Linguistique,\n",
    )
    tree = load_ontology(path)
    assert tree.name == "topics.csv" and len(tree) == 4
    assert tree.roots == ("ai", "ling")
    assert tree.ancestors("nlp") == {"ai", "ling"}
    assert tree["ml"].aliases == ("ML", "statistical learning")
    assert tree["ml"].names == {"fr": "Apprentissage automatique"}
    assert tree["ml"].wikidata == "Q2539"
    assert tree.resolve("intelligence artificielle").id == "ai"


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("id,title\nx,X\n", "missing column 'name'", 1),
        ("id,name,colour\nx,X,red\n", "unknown column 'colour'", 1),
        ("id,name,parents\nx,X,nope\n", "unknown parent topic 'nope'", 2),
        ("id,name\nx,X\nx,Y\n", "already defined on line 2", 3),
        ("id,name\nx,\n", "expected a name", 2),
        ("id,name,parents\na,A,b\nb,B,a\n", "its own ancestor", 2),
    ],
)
def test_custom_ontology_errors_name_file_and_line(
    tmp_path: Path, text: str, message: str, line: int
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SourceError, match=message) as caught:
        load_custom(path)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{line}:")


def test_missing_ontology_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such ontology"):
        load_ontology(tmp_path / "absent.csv")


def test_a_shared_name_is_ambiguous_and_lists_the_candidates() -> None:
    from sway.topics.ontology import AmbiguousTopic

    tree = default_ontology()
    # Six Klout super-topics share their name with a topic below them.
    with pytest.raises(AmbiguousTopic) as caught:
        tree.resolve("Entertainment")
    assert sorted(slug or "" for _, _, slug in caught.value.candidates) == [
        "entertainment",
        "entertainment-super",
    ]
    assert "entertainment-super" in str(caught.value) and "give the slug" in str(caught.value)
    assert [t.slug for t in tree.candidates("entertainment-super")] == ["entertainment-super"]
    assert tree.resolve("news-and-media").slug == "news-and-media"
    assert len(tree.candidates("News and Media")) == 2
