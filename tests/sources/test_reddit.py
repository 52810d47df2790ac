"""The Reddit importer, on PRAW's recorded API responses (bodies and betamax cassettes)."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mangle import mangled_bytes, mangled_json, read_all_cleanly
from sway.errors import SourceError
from sway.events import Account, Event
from sway.sources import detect
from sway.sources.base import Rejected
from sway.sources.reddit import RedditSource
from sway.store.ingest import ingest_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reddit-api"
BODIES = FIXTURES / "bodies"
PAIR = BODIES / "TestSubmission.test_comments__01.json"

# Counted with a plain json walk over bodies/ (not with the importer), each thing once: 4
# submissions (t3) with a live author; 27 comments (t1), 2 with a t3_ parent_id and 25 with a
# t1_ one; a score on all 31 things (none score_hidden); 16 distinct authors, none deleted.
EXPECTED = {"post": 4, "comment": 2, "reply": 25, "vote": 31}
AUTHORS = 16


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _first_copies(records: list[Any]) -> dict[str, Event]:
    """Events by id, first copy kept (as the store does): responses repeat things."""
    events: dict[str, Event] = {}
    for record in records:
        if isinstance(record, Event):
            events.setdefault(record.event_id, record)
    return events


@pytest.fixture(scope="module")
def records() -> list[Any]:
    return list(RedditSource().read(FIXTURES))


@pytest.fixture(scope="module")
def events(records: list[Any]) -> dict[str, Event]:
    return _first_copies(records)


def test_counts_per_action(records: list[Any], events: dict[str, Event]) -> None:
    assert not [r for r in records if isinstance(r, Rejected)]
    assert Counter(e.action for e in events.values()) == EXPECTED
    assert len({r.account_id for r in records if isinstance(r, Account)}) == AUTHORS


def test_bodies_and_cassettes_agree() -> None:
    bodies = _first_copies(list(RedditSource().read(BODIES)))
    cassettes = _first_copies(list(RedditSource().read(FIXTURES / "raw")))
    assert Counter(e.action for e in bodies.values()) == EXPECTED
    # The two cassettes hold the same responses as their bodies: 2 submissions (t3_54hhwl,
    # t3_2gmzqe), a comment on each and a reply to each comment.
    assert Counter(e.action for e in cassettes.values()) == {
        "post": 2,
        "comment": 2,
        "reply": 2,
        "vote": 6,
    }
    for event_id, event in cassettes.items():
        assert bodies[event_id] == event


def test_submission(events: dict[str, Event]) -> None:
    post = events["t3_2gmzqe"]
    assert (post.action, post.actor, post.target) == ("post", "bboe", None)
    assert post.ts == _at(1410935671)
    assert post.tags == ("redditdev",)
    assert post.text is not None
    assert post.text.startswith("[PRAW] HTTPS enabled PRAW testing needed\n\nPRAW client")
    vote = events["vote:t3_2gmzqe"]
    assert (vote.action, vote.actor, vote.target, vote.value) == ("vote", None, "bboe", 11.0)
    assert vote.content_id == "t3_2gmzqe"


def test_comment_and_reply_targets(events: dict[str, Event]) -> None:
    comment = events["t1_cklfmye"]
    assert (comment.action, comment.actor, comment.target) == ("comment", "paneer_burrito", "bboe")
    assert comment.parent_id == "t3_2gmzqe"
    assert comment.ts == _at(1411005112)
    reply = events["t1_cklhv0f"]
    assert (reply.action, reply.actor, reply.target) == ("reply", "bboe", "paneer_burrito")
    assert reply.parent_id == "t1_cklfmye"
    assert reply.text is not None and reply.text.startswith("Yes it does.")


def test_targets_resolved_across_files(events: dict[str, Event]) -> None:
    # /api/info returns t1_dkk4qjd (in __01) before the thread that holds its parent (__02):
    # the first copy already knows whom it replies to.
    assert events["t1_dkk4qjd"].target == "<USERNAME>"
    # A morechildren batch whose parent is not in the input: no target, parent kept.
    orphan = events["t1_cu5pg2h"]
    assert (orphan.actor, orphan.target, orphan.parent_id) == ("Nak4000", None, "t1_cu5p1hh")
    assert events["vote:t1_cu5pg2h"].value == -142.0


def test_accounts(records: list[Any]) -> None:
    accounts = {r.account_id: r for r in records if isinstance(r, Account)}
    assert accounts["bboe"] == Account(network="reddit", account_id="bboe", handle="bboe")


def _things(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("kind") in ("t1", "t3") and isinstance(node.get("data"), dict):
                data = dict(node["data"])
                data.pop("replies", None)
                out.append(data)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(path.read_text()))
    return out


def test_pushshift_lines(tmp_path: Path) -> None:
    # Pushshift dumps carry a thing's fields one object per line, in time order, without
    # "name": rebuilt here from the /comments/ID pair, plus one wrapped line and a deleted one.
    things = sorted(_things(PAIR), key=lambda d: d["created_utc"])
    lines = [orjson.dumps({k: v for k, v in d.items() if k != "name"}) for d in things]
    lines.append(
        orjson.dumps(
            {
                "kind": "t1",
                "data": {
                    "id": "zzz1",
                    "author": "[deleted]",
                    "body": "[removed]",
                    "parent_id": "t1_cklhv0f",
                    "created_utc": "1411020000",
                    "score": 0,
                    "subreddit": "redditdev",
                },
            }
        )
    )
    lines.insert(1, b"{not json")
    path = tmp_path / "RC_2014-09.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert detect(path).name == "reddit"
    records = list(RedditSource().read(path))
    rejected = [r for r in records if isinstance(r, Rejected)]
    assert [(r.error.line, r.error.field) for r in rejected] == [(2, None)]
    assert str(rejected[0].error).startswith(f"{path}:2: not valid JSON")
    events = _first_copies(records)
    assert events["t1_cklhv0f"].target == "paneer_burrito"
    deleted = events["t1_zzz1"]
    assert (deleted.actor, deleted.target, deleted.text) == (None, "bboe", None)
    assert deleted.ts == _at(1411020000)
    assert Counter(e.action for e in events.values()) == {
        "post": 1,
        "comment": 1,
        "reply": 2,
        "vote": 4,
    }


def test_detect_picks_reddit() -> None:
    assert detect(FIXTURES).name == "reddit"
    assert detect(BODIES).name == "reddit"
    assert detect(FIXTURES / "raw").name == "reddit"
    assert detect(PAIR).name == "reddit"
    assert detect(BODIES / "TestCommentForest.test_replace__all__02.json").name == "reddit"


def test_sniff_says_no_to_other_inputs(tmp_path: Path) -> None:
    source = RedditSource()
    (tmp_path / "token.json").write_bytes(
        (BODIES / "TestComment.test_refresh__00.json").read_bytes()
    )
    (tmp_path / "tweets.json").write_text('{"data": [{"id": "1", "text": "hi"}]}')
    cassette = {"interactions": [{"request": {"uri": "https://api.twitter.com/2/tweets"}}]}
    (tmp_path / "cassette.json").write_text(json.dumps(cassette))
    for name in ("token.json", "tweets.json", "cassette.json", "missing"):
        assert source.sniff(tmp_path / name) == 0.0
    # A folder with anything but Reddit data is not claimed.
    assert source.sniff(tmp_path) == 0.0


def test_ingest_is_idempotent(store: Any) -> None:
    read = sum(1 for r in RedditSource().read(FIXTURES) if isinstance(r, Event))
    first = ingest_path(store, FIXTURES)
    new = sum(EXPECTED.values())
    assert (first.format, first.new, first.duplicates, first.rejected, first.accounts) == (
        "reddit",
        new,
        read - new,
        0,
        AUTHORS,
    )
    again = ingest_path(store, FIXTURES)
    assert (again.new, again.duplicates) == (0, read)


# -- bad input ------------------------------------------------------------------------------


def test_invalid_json_document(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(PAIR.read_bytes()[:2000])
    with pytest.raises(SourceError, match=r"broken\.json:\d+: not valid JSON"):
        list(RedditSource().read(path))


def test_wrong_shape(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{\n  "statuses": []\n}\n')
    with pytest.raises(SourceError) as caught:
        list(RedditSource().read(path))
    assert str(caught.value).startswith(f"{path}: record document: kind: expected a Reddit Listing")


def test_bad_things_are_rejected_with_their_place(tmp_path: Path) -> None:
    doc = json.loads(PAIR.read_text())
    comments = doc[1]["data"]["children"]
    del comments[0]["data"]["created_utc"]
    comments[0]["data"]["replies"]["data"]["children"][0]["data"]["parent_id"] = "u_1"
    path = tmp_path / "pair.json"
    path.write_text(json.dumps(doc, indent=1))
    records = list(RedditSource().read(path))
    errors = [r.error for r in records if isinstance(r, Rejected)]
    assert [(e.record, e.field) for e in errors] == [
        ("[1].data.children[0].data", "created_utc"),
        ("[1].data.children[0].data.replies.data.children[0].data", "parent_id"),
    ]
    assert str(errors[0]).startswith(
        f"{path}: record [1].data.children[0].data: created_utc: expected Unix seconds"
    )
    assert [e.action for e in records if isinstance(e, Event)] == ["post", "vote"]


# -- damaged input never escapes as anything but SourceError ---------------------------------

PROPERTY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PAIR_DOC = json.loads(PAIR.read_text())
PAIR_BYTES = PAIR.read_bytes()
NDJSON = b"\n".join(orjson.dumps(d) for d in _things(PAIR)) + b"\n"
CASSETTE_DOC = json.loads((FIXTURES / "raw" / "TestSubmission.test_comments.json").read_text())


@pytest.fixture(scope="module")
def workdir() -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


@PROPERTY
@given(doc=mangled_json(PAIR_DOC))
def test_mangled_structure(workdir: Path, doc: Any) -> None:
    path = workdir / "structure.json"
    # The standard library writes what orjson refuses (integers beyond 64 bits, NaN).
    path.write_text(json.dumps(doc, indent=1))
    read_all_cleanly(RedditSource(), path)


@PROPERTY
@given(kind=st.sampled_from(["pair", "ndjson"]), data=st.data())
def test_mangled_bytes(workdir: Path, kind: str, data: st.DataObject) -> None:
    path = workdir / f"bytes.{kind}"
    path.write_bytes(data.draw(mangled_bytes(PAIR_BYTES if kind == "pair" else NDJSON)))
    source = RedditSource()
    assert 0.0 <= source.sniff(path) <= 1.0
    read_all_cleanly(source, path)


@PROPERTY
@given(doc=mangled_json(CASSETTE_DOC))
def test_mangled_cassette_in_a_folder(workdir: Path, doc: Any) -> None:
    folder = workdir / "folder"
    folder.mkdir(exist_ok=True)
    (folder / "cassette.json").write_text(json.dumps(doc))
    read_all_cleanly(RedditSource(), folder)
