"""What the three X/Twitter importers share: one tweet, the same events in every format."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sway.errors import SourceError
from sway.events import Event
from sway.sources._twitter import (
    clean_lang,
    clean_text,
    iter_json_values,
    parse_time,
    snowflake_time,
)
from sway.sources.base import Source
from sway.sources.twitter_archive import TwitterArchiveSource
from sway.sources.twitter_v1 import TwitterV1Source
from sway.sources.twitter_v2 import TwitterV2Source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SOURCES: list[Source] = [TwitterArchiveSource(), TwitterV1Source(), TwitterV2Source()]


#: Fixture folders holding X/Twitter data for other tests (the API's store is loaded from twarc).
TWITTER_DATA_FOR_OTHERS = {"api"}


def other_fixtures() -> list[Path]:
    """Every file and folder of the other formats' fixtures (copied there by their tests)."""
    paths: list[Path] = []
    for folder in sorted(FIXTURES.iterdir()):
        if (
            folder.is_dir()
            and not folder.name.startswith("twitter-")
            and folder.name not in TWITTER_DATA_FOR_OTHERS
        ):
            paths.append(folder)
            paths.extend(sorted(folder.rglob("*")))
    return paths


def test_sniffs_say_no_to_every_other_format() -> None:
    claimed = [
        (str(path.relative_to(FIXTURES)), source.name)
        for path in other_fixtures()
        for source in SOURCES
        if source.sniff(path) > 0
    ]
    assert claimed == []


# One real reply (tweepy's search body) in its three shapes: v1.1 as the API gives it, v2 as
# twarc2 writes it, and an archive record (v1.1 shape, string numbers, no user).
V1_REPLY = {
    "created_at": "Fri Jul 12 13:45:52 +0000 2019",
    "id": 1149678185375600641,
    "id_str": "1149678185375600641",
    "full_text": "@Kirzahk @oscarmh That &amp; more #tweepy",
    "entities": {
        "hashtags": [{"text": "tweepy", "indices": [34, 41]}],
        "user_mentions": [
            {"screen_name": "Kirzahk", "name": "K", "id": 126602043, "id_str": "126602043"},
            {"screen_name": "oscarmh", "name": "O", "id": 27346778, "id_str": "27346778"},
        ],
        "urls": [],
    },
    "in_reply_to_status_id_str": "1149676837204717568",
    "in_reply_to_user_id_str": "126602043",
    "in_reply_to_screen_name": "Kirzahk",
    "user": {"id_str": "594625034", "screen_name": "someone", "name": "Some One"},
    "lang": "es",
}
V2_PAGE = {
    "data": [
        {
            "id": "1149678185375600641",
            "author_id": "594625034",
            "created_at": "2019-07-12T13:45:52.000Z",
            "text": "@Kirzahk @oscarmh That &amp; more #tweepy",
            "entities": {
                "hashtags": [{"start": 34, "end": 41, "tag": "tweepy"}],
                "mentions": [
                    {"start": 0, "end": 8, "username": "Kirzahk", "id": "126602043"},
                    {"start": 9, "end": 17, "username": "oscarmh"},
                ],
            },
            "referenced_tweets": [{"type": "replied_to", "id": "1149676837204717568"}],
            "in_reply_to_user_id": "126602043",
            "lang": "es",
        }
    ],
    "includes": {"users": [{"id": "27346778", "username": "oscarmh", "name": "O"}]},
}


def archive_record() -> dict[str, Any]:
    tweet = {k: v for k, v in V1_REPLY.items() if k != "user"}
    tweet["id"] = tweet["id_str"]
    tweet["entities"] = json.loads(
        json.dumps(tweet["entities"]).replace(": 126602043", ': "126602043"')
    )
    return {"tweet": tweet}


def test_one_tweet_same_events_in_every_format(tmp_path: Path) -> None:
    v1 = tmp_path / "v1.json"
    v1.write_text(json.dumps(V1_REPLY), encoding="utf-8")
    v2 = tmp_path / "v2.jsonl"
    v2.write_text(json.dumps(V2_PAGE) + "\n", encoding="utf-8")
    archive = tmp_path / "archive" / "data"
    archive.mkdir(parents=True)
    (archive / "account.js").write_text(
        'window.YTD.account.part0 = [{"account": {"accountId": "594625034", '
        '"username": "someone"}}]',
        encoding="utf-8",
    )
    (archive / "tweets.js").write_text(
        "window.YTD.tweets.part0 = " + json.dumps([archive_record()], indent=2),
        encoding="utf-8",
    )

    def events(source: Source, path: Path) -> list[Event]:
        return sorted(
            (r for r in source.read(path) if isinstance(r, Event)), key=lambda e: e.event_id
        )

    from_v1 = events(TwitterV1Source(), v1)
    assert from_v1 == events(TwitterV2Source(), v2)
    assert from_v1 == events(TwitterArchiveSource(), archive.parent)
    reply, mention = from_v1
    assert reply == Event(
        network="twitter",
        event_id="1149678185375600641",
        ts=datetime(2019, 7, 12, 13, 45, 52, tzinfo=UTC),
        actor="594625034",
        action="reply",
        target="126602043",
        content_id="1149678185375600641",
        parent_id="1149676837204717568",
        text="@Kirzahk @oscarmh That & more #tweepy",
        tags=("tweepy",),
        lang="es",
    )
    assert (mention.event_id, mention.target) == (
        "mention:1149678185375600641:27346778",
        "27346778",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Thu Nov 03 08:50:26 +0000 2022", datetime(2022, 11, 3, 8, 50, 26, tzinfo=UTC)),
        ("Thu Nov 03 10:50:26 +0200 2022", datetime(2022, 11, 3, 8, 50, 26, tzinfo=UTC)),
        ("2022-11-03T08:50:26.000Z", datetime(2022, 11, 3, 8, 50, 26, tzinfo=UTC)),
    ],
)
def test_parse_time(value: str, expected: datetime) -> None:
    assert parse_time(value, "created_at") == expected


@pytest.mark.parametrize("value", ["Thu Nov 33 08:50:26 +0000 2022", "soon", 5, None, ""])
def test_parse_time_refuses(value: Any) -> None:
    with pytest.raises(Exception, match="expected a time") as caught:
        parse_time(value, "created_at")
    assert getattr(caught.value, "field", None) == "created_at"


def test_snowflake_time() -> None:
    # The archive README: (id >> 22) + 1288834974657 ms is the tweet's created_at (to the ms).
    decoded = snowflake_time("1588091218941967762")
    assert decoded is not None
    assert decoded.replace(microsecond=0) == datetime(2022, 11, 3, 8, 50, 26, tzinfo=UTC)
    assert snowflake_time("20") is None  # 2006: ids from before snowflakes carry no time
    assert snowflake_time("29700859247") is None


def test_lang_and_text_cleaning() -> None:
    assert [clean_lang(c) for c in ("en", "und", "qme", "zxx", "art", "in", "zh-cn")] == [
        "en",
        None,
        None,
        None,
        None,
        "id",
        "zh-cn",
    ]
    assert clean_text("a &lt;b&gt; &amp;amp; c") == "a <b> &amp; c"
    assert clean_text("") is None


def values(text: str, **kwargs: Any) -> list[tuple[int, Any]]:
    fh = io.BytesIO(text.encode("utf-8"))
    return [(i.line, i.value) for i in iter_json_values(fh, "x.json", **kwargs)]


def test_streamed_array_across_chunks() -> None:
    # Over 1 MiB, so numbers, strings and objects straddle the reader's chunk boundary.
    items = [{"n": i, "s": "é" * (i % 7), "x": 12345678901234567890 + i} for i in range(40_000)]
    text = json.dumps(items, indent=1, ensure_ascii=False)
    assert len(text.encode()) > 1 << 20
    got = values(text, array=True)
    assert [v for _, v in got] == items
    assert got[1][0] == 7  # each element's first line
    assert values("[1, 2,\n 3,]", array=True) == [(1, 1), (1, 2), (2, 3)]
    assert values("\ufeff[]", array=True) == []


def test_streamed_documents_and_js_assignment() -> None:
    assert values('{"a": 1}\n{"b":\n 2} ', array=False) == [(1, {"a": 1}), (2, {"b": 2})]
    assert values("window.YTD.like.part0 = [\n {}\n]", array=True, js_assignment=True) == [(2, {})]
    assert values('window.__THAR_CONFIG = {"a": 1};', array=False, js_assignment=True) == [
        (1, {"a": 1})
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"a": 1},\n{"b": ', r"x\.json:2: truncated JSON"),
        ('[{"a": 1}\n{"b": 2}]', r"x\.json:2: expected ',' or '\]' after array element 1"),
        ("[1, 2] 3", r"x\.json:1: unexpected content after the array"),
        ("[1, 2", r"x\.json:1: truncated: the array is not closed"),
        ('{"a": 1}', r"x\.json:1: expected a JSON array"),
        ('[{"a": tru}]', r"x\.json:1: invalid JSON"),
    ],
)
def test_streamed_faults_name_the_line(text: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        values(text, array=True)


def test_invalid_utf8_is_a_source_error() -> None:
    fh = io.BytesIO(b'[{"a": "\xff"}]')
    with pytest.raises(SourceError, match="not valid UTF-8"):
        list(iter_json_values(fh, "x.json", array=True))
