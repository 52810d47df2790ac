"""Small hand-built events and a helper that runs the topic model on them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from click.testing import CliRunner, Result

from sway.cli import cli
from sway.engines.duckdb import DuckDBEngine
from sway.events import Event, events_to_arrow, make_event
from sway.sources.canonical import write_events
from sway.topics.endorse import Endorsement
from sway.topics.model import TopicContext, TopicModel
from sway.topics.ontology import Ontology, Topic

#: The end of every toy window.
AS_OF = datetime(2024, 6, 1, tzinfo=UTC)
#: A window of 90 days and no meaningful decay, so expected values are easy to write down.
SCORE = {"window_days": 90.0, "half_life_days": 1e9}

_ids = iter(range(1, 10**9))


def ev(
    actor: str | None,
    action: str,
    target: str | None = None,
    *,
    days_ago: float = 1.0,
    content_id: str | None = None,
    parent_id: str | None = None,
    text: str | None = None,
    tags: Iterable[str] | None = None,
    value: float | None = None,
    lang: str | None = None,
    network: str = "t",
) -> Event:
    return make_event(
        {
            "network": network,
            "event_id": f"e{next(_ids)}",
            "ts": AS_OF - timedelta(days=days_ago),
            "actor": actor,
            "action": action,
            "target": target,
            "content_id": content_id,
            "parent_id": parent_id,
            "text": text,
            "tags": list(tags) if tags is not None else None,
            "value": value,
            "lang": lang,
        }
    )


def run(db: Path, *args: str, code: int = 0) -> Result:
    """``sway --db DB ARGS...``, expecting exit status ``code``."""
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    assert result.exit_code == code, result.output
    return result


def scored_store(folder: Path, events: list[Event]) -> Path:
    """A store in ``folder`` holding ``events``, ingested and scored as of :data:`AS_OF`
    through the CLI."""
    path = folder / "s.duckdb"
    csv = folder / "events.csv"
    write_events(events_to_arrow(events).to_batches(), csv)
    run(path, "ingest", str(csv), "-q")
    run(path, "score", "--as-of", AS_OF.isoformat(), "-q")
    return path


def post(
    author: str, post_id: str, *tags: str, days_ago: float = 5.0, text: str | None = None
) -> Event:
    return ev(author, "post", content_id=post_id, tags=tags or None, days_ago=days_ago, text=text)


def likes(post_id: str, author: str, *reactors: str, days_ago: float = 2.0) -> list[Event]:
    return [ev(r, "like", author, content_id=post_id, days_ago=days_ago) for r in reactors]


def tiny_ontology() -> Ontology:
    """Science > {Machine Learning, Linguistics}; Machine Learning > Deep Learning."""
    topics = [
        Topic("sci", "Science", slug="science", names={"fr": "Sciences"}),
        Topic("ml", "Machine Learning", slug="machine-learning", aliases=("ML",)),
        Topic("dl", "Deep Learning", slug="deep-learning"),
        Topic("ling", "Linguistics", slug="linguistics", names={"fr": "Linguistique"}),
    ]
    return Ontology("tiny", topics, [("sci", "ml"), ("ml", "dl"), ("sci", "ling")])


class NoKeyphrases:
    """A keyphrase extractor that counts its calls and finds nothing (fast, deterministic)."""

    def __init__(self, phrases: dict[str, list[str]] | None = None) -> None:
        self.calls: list[str] = []
        self.phrases = phrases or {}

    def __call__(self, text: str, lang: str | None) -> list[str]:
        self.calls.append(text)
        return self.phrases.get(text, [])


def fit(
    events: list[Event],
    *,
    ontology: Ontology | None = None,
    links: Iterable[tuple[str, str, str]] = (),
    reactors: dict[tuple[str, str], float] | None = None,
    endorsements: Iterable[Endorsement] = (),
    score: dict[str, Any] | None = None,
    **params: Any,
) -> TopicModel:
    """Run the topic model on ``events`` (content: every event) through DuckDB; the topic step's
    own window and decay follow the score's unless given (``window_days``, ``half_life_days``)."""
    for name in ("window_days", "half_life_days"):
        params.setdefault(name, (score or SCORE).get(name, SCORE[name]))
    table = events_to_arrow(events)
    engine = DuckDBEngine.from_events(table, links=links)
    factors = None
    if reactors is not None:
        factors = pa.table(
            {
                "network": [k[0] for k in reactors],
                "account_id": [k[1] for k in reactors],
                "factor": list(reactors.values()),
            }
        )
    try:
        return TopicModel(**params).fit(
            engine,
            table,
            ontology=ontology or tiny_ontology(),
            context=TopicContext(as_of=AS_OF, score_params=score or SCORE),
            topic_engine=DuckDBEngine.from_events,
            reactors=factors,
            endorsements=endorsements,
            extractor=NoKeyphrases(),
        )
    finally:
        engine.close()


def rows(model: TopicModel, **where: Any) -> list[dict[str, Any]]:
    """Account-topic rows matching ``where`` (e.g. ``account_id="a"``)."""
    return [
        r for r in model.account_topics_.to_pylist() if all(r[k] == v for k, v in where.items())
    ]


def one(model: TopicModel, account: str, topic: str) -> dict[str, Any]:
    found = rows(model, account_id=account, topic_id=topic)
    assert len(found) == 1, found
    return found[0]
