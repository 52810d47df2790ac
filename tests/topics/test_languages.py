"""Languages: detection, sentiment per language on labelled examples, "unknown" for languages
Sway does not cover, and triage cues beyond English."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from sway.topics.language import COVERED, detect_language, vocabulary_language
from sway.topics.sentiment import SentimentAnalyzer, TextCounts
from sway.triage import Message, Triager, detect, sentiment

LABELLED = Path(__file__).resolve().parents[1] / "fixtures" / "sentiment" / "labelled.tsv"


def _label(compound: float | None) -> str:
    if compound is None:
        return "unknown"
    return "pos" if compound >= 0.05 else "neg" if compound <= -0.05 else "neu"


def accuracy() -> dict[str, tuple[int, int]]:
    """Per language: (correct, examples) on the labelled set (the table of docs/topics.md)."""
    analyzer = SentimentAnalyzer()
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with LABELLED.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            got = _label(analyzer.score(row["text"]).compound)
            found[row["lang"]][0] += got == row["label"]
            found[row["lang"]][1] += 1
    return {lang: (ok, n) for lang, (ok, n) in found.items()}


def test_languages_are_detected_offline_and_unsure_is_none() -> None:
    for text, lang in [
        ("Votre produit est nul, remboursez-moi immédiatement !", "fr"),
        ("Mi pedido nunca llegó, quiero un reembolso", "es"),
        ("Meine Bestellung ist nie angekommen", "de"),
        ("Il mio ordine non è mai arrivato", "it"),
        ("Meu pedido nunca chegou, quero um reembolso", "pt"),
        ("My order never arrived, I need a refund", "en"),
        ("Мой заказ так и не пришёл, верните деньги.", "ru"),
    ]:
        found = detect_language(text)
        assert found is not None and found.lang == lang, text
    assert detect_language("ok") is None and detect_language("👍👍") is None
    tags = ["discussion", "feature-request", "support", "bug", "status-completed", "tags"]
    found = vocabulary_language(tags)
    assert found is not None and found.lang == "en"


def test_sentiment_per_language_on_labelled_examples() -> None:
    table = accuracy()
    assert set(COVERED) <= set(table)
    for lang in COVERED:
        ok, n = table[lang]
        assert n == 15 and ok / n >= 0.9, (lang, ok, n)
    # Languages Sway does not cover are "unknown", every time.
    for lang, (ok, n) in table.items():
        if lang not in COVERED:
            assert ok == n, lang


def test_unknown_is_not_neutral() -> None:
    analyzer = SentimentAnalyzer()
    unknown = analyzer.score("Спасибо большое, всё отлично работает")
    assert unknown.compound is None and unknown.method == "unknown"
    assert unknown.lang == "ru"
    emoji = analyzer.score("Спасибо 😀")
    assert emoji.method == "emoji" and emoji.compound is not None and emoji.compound > 0
    counts = TextCounts()
    counts.add(None, 0.05)
    counts.add(0.0, 0.05)
    assert (counts.texts, counts.neutral, counts.unknown) == (1, 1, 1)
    # The data's own language wins over detection.
    assert analyzer.score("nul", "fr").compound is not None
    assert (
        analyzer.score("C'est vraiment nul", "fr").compound
        < analyzer.score("C'est nul", "fr").compound
    )  # a booster ("vraiment" as VADER's "very")
    good = analyzer.score("Ce n'est pas bon", "fr").compound
    assert good is not None and good < 0  # negation ("pas" as VADER's "not")


@pytest.mark.parametrize(
    ("text", "tier", "kinds"),
    [
        ("Votre produit est nul, remboursez-moi immédiatement !", 2, {"complaint", "urgency"}),
        ("Mi pedido nunca llegó, quiero un reembolso urgente", 2, {"complaint", "urgency"}),
        ("Meine Bestellung ist nie angekommen, bitte sofort erstatten!", 2, {"complaint"}),
        ("Il mio ordine non è mai arrivato, rivoglio i miei soldi subito", 2, {"complaint"}),
        ("Meu pedido nunca chegou, quero meu dinheiro de volta imediatamente", 2, {"complaint"}),
        ("Quanto costa la versione pro?", 1, {"purchase_intent", "question"}),
        ("Pourquoi l'application ne marche pas", 1, {"complaint", "question"}),
        ("Merci pour la belle journée", 0, set()),
    ],
)
def test_triage_cues_beyond_english(text: str, tier: int, kinds: set[str]) -> None:
    act = detect(text, sentiment(text))
    assert act.tier == tier, act
    assert kinds <= set(act.kinds)


def test_triage_shows_unknown_sentiment_as_unknown() -> None:
    triager = Triager(None)
    french = triager.triage(
        Message(1, "twitter", "x", "Votre produit est nul, remboursez-moi immédiatement !")
    )
    assert french.tier == 2 and french.language == "fr"
    assert french.sentiment is not None and french.sentiment < 0
    assert any("negative sentiment" in r for r in french.reasons)
    russian = triager.triage(
        Message(2, "twitter", "x", "Спасибо большое, всё отлично работает, хорошего дня")
    )
    out = russian.as_dict()
    assert out["sentiment"] is None and out["sentiment_known"] is False
    assert out["language"] == "ru"
    assert any("sentiment unknown (language ru" in r for r in russian.reasons)
