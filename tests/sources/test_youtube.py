"""The YouTube Data API v3 importer, on python-youtube's recorded API responses."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
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
from sway.sources.youtube import YouTubeSource
from sway.store.ingest import ingest_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "youtube-api"
GOOGLE_DEVELOPERS = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
KUN_LIU = "UCNvMBmCASzTNNX8lW3JRMbw"
IKAROS = "UCa-vrCLQHviTOVnEKDOdetQ"

# Read off the files by hand (see NOTE.md there). Events read, per action: 16 top-level
# comments (threads: all_to_me 4, by_channel 2, by_video_paged_1 5, multi 2, insert 1; plus
# comments_multi 2), 4 replies (by_parent 2 + 1, comments/insert 1), 12 subscriptions
# (mine_p1 9, by_id 2, insert 1), 2 videos. comments_multi repeats 2 ids of by_channel and
# subscriptions_by_id repeats 2 of mine_p1, so 4 are duplicates.
READ = {"comment": 16, "reply": 4, "follow": 12, "post": 2}
UNIQUE = {"comment": 14, "reply": 4, "follow": 10, "post": 2}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _resources(path: Path) -> Iterator[dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    yield from doc.get("items", []) if "items" in doc else [doc]


def _independent_counts() -> tuple[Counter[str], Counter[str]]:
    """Count per action straight from the JSON, without the importer."""
    read: Counter[str] = Counter()
    ids: dict[str, set[str]] = {a: set() for a in UNIQUE}
    for path in sorted(FIXTURES.rglob("*.json")):
        for res in _resources(path):
            kind = res.get("kind", "")
            if kind == "youtube#commentThread":
                found = [("comment", res["snippet"]["topLevelComment"]["id"])]
            elif kind == "youtube#comment":
                found = [("reply" if "parentId" in res["snippet"] else "comment", res["id"])]
            elif kind == "youtube#subscription":
                pair = (res["snippet"]["channelId"], res["snippet"]["resourceId"]["channelId"])
                found = [("follow", "->".join(pair))]
            elif kind == "youtube#video":
                found = [("post", res["id"])]
            else:
                found = []
            for action, key in found:
                read[action] += 1
                ids[action].add(key)
    return read, Counter({a: len(s) for a, s in ids.items()})


@pytest.fixture(scope="module")
def records() -> list[Any]:
    return list(YouTubeSource().read(FIXTURES))


@pytest.fixture(scope="module")
def events(records: list[Any]) -> dict[str, Event]:
    return {r.event_id: r for r in records if isinstance(r, Event)}


def test_counts_per_action(records: list[Any], events: dict[str, Event]) -> None:
    assert not [r for r in records if isinstance(r, Rejected)]
    read = Counter(r.action for r in records if isinstance(r, Event))
    unique = Counter(e.action for e in events.values())
    assert read == READ
    assert unique == UNIQUE
    assert (read, unique) == _independent_counts()


def test_comment_on_a_video_targets_the_channel_that_owns_it(events: dict[str, Event]) -> None:
    # The thread does not name the channel; videos/videos_info_multi.json does.
    assert events["UgyrVQaFfEdvaSzstj14AaABAg"] == Event(
        network="youtube",
        event_id="UgyrVQaFfEdvaSzstj14AaABAg",
        ts=_at("2019-04-04T04:14:44"),
        actor="UCJBxRADq6jctX-YdhjkB6PA",
        action="comment",
        target=GOOGLE_DEVELOPERS,
        content_id="UgyrVQaFfEdvaSzstj14AaABAg",
        parent_id="D-lhorsDlUQ",
        text="super",
    )
    # Nothing in the input says who owns F1UP7wRCPH8: the target stays unknown.
    unknown = events["UgyZ1jqkHKYvi1-ruOZ4AaABAg"]
    assert (unknown.actor, unknown.target, unknown.parent_id, unknown.text) == (
        "UCzj-CjKYmGlZ7vTL-vOe57A",
        None,
        "F1UP7wRCPH8",
        "Google.com",
    )


def test_comment_on_a_channel_discussion_targets_the_channel(events: dict[str, Event]) -> None:
    event = events["Ugy0FhSzKMNMT9qs6zt4AaABAg"]
    assert (event.action, event.actor, event.target, event.parent_id, event.text, event.ts) == (
        "comment",
        "UCupGECpPBlTnanhGHLe6GpA",
        IKAROS,
        None,
        "大满贯",
        _at("2019-11-29T02:58:25"),
    )


def test_reply_targets_the_author_of_the_comment_replied_to(events: dict[str, Event]) -> None:
    # comments_by_parent_paged_1.json names only the parent id; its author (kun liu) comes
    # from comment_threads_all_to_me.json.
    assert events["Ugw5zYU6n9pmIgAZWvN4AaABAg.91zT3cYb5B291za6voUoRh"] == Event(
        network="youtube",
        event_id="Ugw5zYU6n9pmIgAZWvN4AaABAg.91zT3cYb5B291za6voUoRh",
        ts=_at("2019-12-01T04:46:31"),
        actor=KUN_LIU,
        action="reply",
        target=KUN_LIU,
        content_id="Ugw5zYU6n9pmIgAZWvN4AaABAg.91zT3cYb5B291za6voUoRh",
        parent_id="Ugw5zYU6n9pmIgAZWvN4AaABAg",
        text="this is the third reply!",
    )
    orphan = events["Ugy_CAftKrIUCyPr9GR4AaABAg.9iPXEClD9lW9iPXLqKy_Pt"]
    assert (orphan.actor, orphan.target, orphan.parent_id, orphan.ts) == (
        IKAROS,
        None,
        "Ugy_CAftKrIUCyPr9GR4AaABAg",
        _at("2022-11-14T10:23:02"),
    )


def test_comment_listed_by_id_gets_its_thread_context(events: dict[str, Event]) -> None:
    # comments_multi.json has neither video nor channel; comment_threads_by_channel.json has.
    assert events["Ugzi3lkqDPfIOirGFLh4AaABAg"].target == GOOGLE_DEVELOPERS


def test_subscription_and_video(events: dict[str, Event]) -> None:
    follow = events[f"follow:{KUN_LIU}:{GOOGLE_DEVELOPERS}"]
    assert (follow.action, follow.actor, follow.target, follow.ts, follow.content_id) == (
        "follow",
        KUN_LIU,
        GOOGLE_DEVELOPERS,
        datetime(2019, 8, 23, 8, 49, 39, 958000, tzinfo=UTC),
        None,
    )
    inserted = events[f"follow:{IKAROS}:UCQ6ptCagG3W0Bf4lexvnBEg"]
    assert inserted.ts == datetime(2022, 11, 16, 11, 2, 9, 198020, tzinfo=UTC)
    video = events["D-lhorsDlUQ"]
    assert (video.action, video.actor, video.content_id, video.lang, video.ts) == (
        "post",
        GOOGLE_DEVELOPERS,
        "D-lhorsDlUQ",
        "en",
        _at("2019-03-21T20:37:49"),
    )
    assert video.text is not None
    assert video.text.startswith("What are Actions on Google (Assistant on Air)\n\n")
    assert video.tags is not None and video.tags[:3] == ("Google", "developers", "aog")
    assert len(video.tags) == 20


def test_accounts(records: list[Any]) -> None:
    accounts = [r for r in records if isinstance(r, Account)]
    single = [a for a in accounts if a.account_id == GOOGLE_DEVELOPERS and a.followers]
    assert single == [
        Account(
            network="youtube",
            account_id=GOOGLE_DEVELOPERS,
            handle="googledevelopers",
            display_name="Google Developers",
            created_at=_at("2007-08-23T00:34:43"),
            followers=1927873,
        )
    ]
    assert Account("youtube", KUN_LIU, display_name="kun liu") in accounts
    # The subscriber of subscriptions/insert_response.json is named by its subscriberSnippet.
    assert Account("youtube", IKAROS, display_name="ikaros data") in accounts
    assert Account("youtube", "UCgxzjK6GuOHVKR_08TT4hJQ", display_name="PyCon 2015") in accounts


def test_one_file_alone_has_no_cross_file_context() -> None:
    path = FIXTURES / "comments" / "comments_by_parent_paged_1.json"
    events = [r for r in YouTubeSource().read(path) if isinstance(r, Event)]
    assert [(e.action, e.parent_id, e.target) for e in events] == [
        ("reply", "Ugw5zYU6n9pmIgAZWvN4AaABAg", None)
    ] * 2


def test_thread_with_embedded_replies(tmp_path: Path) -> None:
    thread = json.loads((FIXTURES / "comment_threads" / "insert_response.json").read_text())
    reply = json.loads((FIXTURES / "comments" / "insert_response.json").read_text())
    del reply["snippet"]["parentId"]  # inside a thread the parent is the top-level comment
    reply["snippet"]["authorChannelId"]["value"] = KUN_LIU
    thread["replies"] = {"comments": [reply]}
    path = tmp_path / "thread.json"
    path.write_text(json.dumps(thread, indent=2))
    events = [r for r in YouTubeSource().read(path) if isinstance(r, Event)]
    assert [(e.action, e.actor, e.target, e.parent_id) for e in events] == [
        ("comment", IKAROS, IKAROS, "JE8xdDp5B8Q"),
        ("reply", KUN_LIU, IKAROS, "Ugx_5P8rmn4vKbN6wwt4AaABAg"),
    ]


def test_json_lines_and_arrays_of_responses(tmp_path: Path, events: dict[str, Event]) -> None:
    pages = [
        json.loads((FIXTURES / "comment_threads" / name).read_text())
        for name in ("comment_threads_all_to_me.json", "comment_threads_multi.json")
    ]
    lines = tmp_path / "pages.jsonl"
    lines.write_bytes(b"\n".join(orjson.dumps(p) for p in pages) + b"\n")
    array = tmp_path / "pages.json"
    array.write_text(json.dumps(pages, indent=1))
    for path in (lines, array):
        read = [r for r in YouTubeSource().read(path) if isinstance(r, Event)]
        assert [e.event_id for e in read] == [
            "UgyWeTdgc4sc1xgmbld4AaABAg",
            "Ugw5zYU6n9pmIgAZWvN4AaABAg",
            "Ugy0FhSzKMNMT9qs6zt4AaABAg",
            "UgwSRpgkjCe6OHHe3IJ4AaABAg",
            "UgxKREWxIgDrw8w2e_Z4AaABAg",
            "UgyrVQaFfEdvaSzstj14AaABAg",
        ]
        assert read[0] == events["UgyWeTdgc4sc1xgmbld4AaABAg"]


def test_detect_picks_youtube_for_every_fixture() -> None:
    assert detect(FIXTURES).name == "youtube"
    for path in FIXTURES.rglob("*.json"):
        assert detect(path).name == "youtube", path


def test_sniff_says_no_to_other_inputs(tmp_path: Path) -> None:
    source = YouTubeSource()
    (tmp_path / "tweets.json").write_text('{"data": [{"id": "1", "text": "hi"}]}')
    (tmp_path / "edges.txt").write_text("1 2 1082040961\n")
    (tmp_path / "error.json").write_text('{"error": {"code": 403, "message": "quota"}}')
    for name in ("tweets.json", "edges.txt", "error.json", "missing.json"):
        assert source.sniff(tmp_path / name) == 0.0
    assert source.sniff(tmp_path) == 0.0  # a folder of other things


def test_ingest_folder_is_idempotent(store: Any, tmp_path: Path) -> None:
    folder = tmp_path / "youtube"
    shutil.copytree(FIXTURES, folder)
    first = ingest_path(store, folder)
    read = sum(READ.values())
    new = sum(UNIQUE.values())
    assert (first.format, first.new, first.duplicates, first.rejected) == (
        "youtube",
        new,
        read - new,
        0,
    )
    again = ingest_path(store, folder)
    assert (again.new, again.duplicates) == (0, read)
    assert store.rows(
        "SELECT handle, followers, created_at FROM accounts WHERE account_id = ?",
        [GOOGLE_DEVELOPERS],
    ) == [("googledevelopers", 1927873, _at("2007-08-23T00:34:43"))]
    actions = dict(store.rows("SELECT action, count(*) FROM events GROUP BY action"))
    assert actions == UNIQUE


# -- bad input -------------------------------------------------------------------------------


def _write(tmp_path: Path, doc: Any, name: str = "response.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def test_wrong_json_shape_names_file_record_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, {"kind": "youtube#commentThreadListResponse", "items": {"id": "x"}})
    with pytest.raises(SourceError) as info:
        list(YouTubeSource().read(path))
    assert str(info.value).startswith(f"{path}: record 1: items: expected a list of resources")

    path = _write(tmp_path, [{"kind": "youtube#videoListResponse", "items": []}, [1, 2]])
    with pytest.raises(SourceError) as info:
        list(YouTubeSource().read(path))
    assert str(info.value).startswith(f"{path}: record 1: [1].kind: expected a YouTube Data API")


def test_not_youtube_and_api_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, {"kind": "plus#activity", "items": []})
    with pytest.raises(SourceError, match=r"kind: expected a YouTube Data API kind .*'plus#"):
        list(YouTubeSource().read(path))
    path = _write(tmp_path, {"error": {"code": 403, "message": "quotaExceeded"}})
    with pytest.raises(SourceError, match="error: an API error response, not data"):
        list(YouTubeSource().read(path))


def test_truncated_json_names_file_and_line(tmp_path: Path) -> None:
    text = (FIXTURES / "comments" / "comments_multi.json").read_text()
    path = tmp_path / "cut.json"
    path.write_text(text[: text.index('"likeCount"')])
    with pytest.raises(SourceError) as info:
        list(YouTubeSource().read(path))
    line = text[: text.index('"likeCount"')].count("\n") + 1
    assert str(info.value).startswith(f"{path}:{line}: not valid JSON")


def test_bad_resource_rejects_only_itself(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "comment_threads" / "comment_threads_multi.json").read_text())
    del doc["items"][0]["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
    doc["items"].append("not a thread")
    path = _write(tmp_path, doc)
    records = list(YouTubeSource().read(path))
    errors = [str(r.error) for r in records if isinstance(r, Rejected)]
    assert errors == [
        f"{path}: record items[0]: snippet.topLevelComment.snippet.publishedAt: "
        "None is not an ISO 8601 instant (expected e.g. 2024-05-01T12:00:00Z)",
        f"{path}: record items[2]: expected a resource object, found str 'not a thread'",
    ]
    assert [r.event_id for r in records if isinstance(r, Event)] == ["UgyrVQaFfEdvaSzstj14AaABAg"]


def test_bad_json_line_rejects_only_that_line(tmp_path: Path) -> None:
    page = orjson.dumps(json.loads((FIXTURES / "comments" / "comments_multi.json").read_text()))
    path = tmp_path / "pages.jsonl"
    path.write_bytes(page + b"\n{not json\n" + page.replace(b'"kind"', b'"kynd"', 1) + b"\n")
    records = list(YouTubeSource().read(path))
    errors = [str(r.error) for r in records if isinstance(r, Rejected)]
    assert errors[0].startswith(f"{path}:2: not valid JSON")
    assert errors[1].startswith(f"{path}:3: kind: expected a YouTube Data API kind")
    assert sum(isinstance(r, Event) for r in records) == 2


def test_wrong_type_in_a_field(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "subscriptions" / "subscriptions_by_id.json").read_text())
    doc["items"][1]["snippet"]["resourceId"]["channelId"] = 42
    path = _write(tmp_path, doc)
    errors = [str(r.error) for r in YouTubeSource().read(path) if isinstance(r, Rejected)]
    assert errors == [
        f"{path}: record items[1]: snippet.resourceId.channelId: expected a string, found int 42"
    ]


# -- damaged input never escapes as anything but SourceError ---------------------------------

PROPERTY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PAGE = (FIXTURES / "comment_threads" / "comment_threads_all_to_me.json").read_bytes()
DOCS = [
    json.loads((FIXTURES / name).read_text())
    for name in (
        "comment_threads/comment_threads_multi.json",
        "comments/comments_by_parent_paged_2.json",
        "subscriptions/insert_response.json",
        "videos/videos_info_multi.json",
        "channel_info_single.json",
    )
]


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


@PROPERTY
@given(data=st.data())
def test_mangled_bytes(workdir: Path, data: st.DataObject) -> None:
    path = workdir / "mangled.json"
    path.write_bytes(data.draw(mangled_bytes(PAGE)))
    source = YouTubeSource()
    assert 0.0 <= source.sniff(path) <= 1.0
    read_all_cleanly(source, path)


@PROPERTY
@given(data=st.data(), pretty=st.booleans())
def test_mangled_json(workdir: Path, data: st.DataObject, pretty: bool) -> None:
    doc = data.draw(mangled_json(DOCS))
    path = workdir / "mangled-doc.json"
    # Pretty-printed: one document read whole; compact: JSON Lines, one document a line.
    path.write_text(json.dumps(doc, indent=2 if pretty else None), encoding="utf-8")
    read_all_cleanly(YouTubeSource(), path)
