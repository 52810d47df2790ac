"""The X/Twitter API v1.1 importer, on the v1.1 bodies recorded by tweepy."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mangle import mangled_bytes, mangled_json, read_all_cleanly
from sway.errors import SourceError
from sway.events import Account, Event
from sway.sources import detect
from sway.sources.base import Rejected
from sway.sources.twitter_v1 import TwitterV1Source
from sway.store.ingest import ingest_path

BODIES = Path(__file__).resolve().parents[1] / "fixtures" / "twitter-api-tweepy" / "bodies"
FILES = (
    "testusertimeline__00.json",  # an array of 4 tweets
    "testretweetandunretweet__00.json",  # one retweet (of a 2012 manual "RT @" tweet)
    "testretweetandunretweet__01.json",  # the retweeted tweet alone
    "testsearchtweets__00.json",  # {"statuses": [15 tweets], "search_metadata": ...}
)
MANGLE = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def tweets_of(name: str) -> list[dict[str, Any]]:
    body = json.loads((BODIES / name).read_text(encoding="utf-8"))
    if isinstance(body, dict) and "statuses" in body:
        body = body["statuses"]
    return body if isinstance(body, list) else [body]


def independent_counts() -> Counter[str]:
    """Events per action with plain json, by the rules in the _twitter docstring."""
    counts: Counter[str] = Counter()
    seen: set[str] = set()

    def count(tweet: dict[str, Any]) -> None:
        for key in ("retweeted_status", "quoted_status"):
            if key in tweet:
                count(tweet[key])
        if tweet["id_str"] in seen:
            return
        seen.add(tweet["id_str"])
        if "retweeted_status" in tweet or tweet["text"].startswith("RT @"):
            counts["repost"] += 1
            return
        replied = tweet.get("in_reply_to_user_id_str")
        if tweet.get("in_reply_to_status_id_str") or replied:
            counts["reply"] += 1
        elif tweet.get("quoted_status_id_str"):
            counts["quote"] += 1
        else:
            counts["post"] += 1
        mentioned = {m["id_str"] for m in tweet["entities"]["user_mentions"]}
        counts["mention"] += len(mentioned - {replied})

    for name in FILES:
        for tweet in tweets_of(name):
            count(tweet)
    return counts


# 34 distinct tweets (4 + 2 + the same original again + 15 in the search page, 6 of them
# retweets whose originals are embedded). Retweets: 6 in search + 1 real retweet + the 2012
# manual "RT @TwitterEng:" original = 8; one reply (to @Kirzahk) mentioning 7 others plus a
# retweeted original mentioning 1 = 8 mentions.
EXPECTED = {"post": 18, "reply": 1, "repost": 8, "mention": 8}


@pytest.fixture(scope="module")
def records() -> list[Any]:
    source = TwitterV1Source()
    return [r for name in FILES for r in source.read(BODIES / name)]


@pytest.fixture(scope="module")
def events(records: list[Any]) -> dict[str, Event]:
    return {r.event_id: r for r in records if isinstance(r, Event)}


def test_counts_per_action(records: list[Any], events: dict[str, Event]) -> None:
    assert not [r for r in records if isinstance(r, Rejected)]
    actions = Counter(e.action for e in events.values())
    assert actions == EXPECTED
    assert actions == independent_counts()


def test_retweet(events: dict[str, Event]) -> None:
    retweet = events["1349969223154606081"]
    assert retweet.action == "repost"
    assert retweet.actor == "1072250532645998596"
    assert retweet.target == "783214"  # retweeted_status.user
    assert retweet.content_id == "266367358078169089"
    assert retweet.parent_id is None
    assert retweet.ts == datetime(2021, 1, 15, 6, 38, 38, tzinfo=UTC)
    # The embedded original is an event of its own author: a 2012 manual "RT @TwitterEng:".
    original = events["266367358078169089"]
    assert (original.action, original.actor, original.target, original.content_id) == (
        "repost",
        "783214",
        "6844292",  # @TwitterEng, resolved through the mention entity
        None,
    )
    assert original.ts == datetime(2012, 11, 8, 2, 31, 41, tzinfo=UTC)


def test_reply_with_mentions(events: dict[str, Event]) -> None:
    reply = events["1149678185375600641"]
    assert (reply.action, reply.actor, reply.target, reply.parent_id) == (
        "reply",
        "594625034",
        "126602043",
        "1149676837204717568",
    )
    mentioned = sorted(
        e.target or "" for e in events.values() if e.event_id.startswith("mention:11496781853")
    )
    # The eight mention entities less @Kirzahk, the account replied to.
    assert mentioned == sorted(
        [
            "1132577952103915520",
            "536299947",
            "27346778",
            "155896285",
            "986725832625442816",
            "156568938",
            "872208805853110272",
        ]
    )


def test_post_tags_lang_and_text(events: dict[str, Event]) -> None:
    post = events["1149698684646563840"]
    assert post.action == "post"
    assert post.tags == ("data", "tweets", "python", "twitter")
    assert post.lang == "en"
    assert post.text is not None and post.text.startswith("Scrape Tweets from Twitter")
    assert events["1149788838430224391"].lang == "nl"


def test_accounts(records: list[Any]) -> None:
    accounts = {r.account_id: r for r in records if isinstance(r, Account)}
    dev = accounts["1072250532645998596"]
    assert (dev.handle, dev.followers, dev.following) == ("TweepyDev", 2, 6)
    assert dev.created_at == datetime(2018, 12, 10, 22, 3, 43, tzinfo=UTC)
    assert accounts["6844292"].handle == "TwitterEng"  # from a mention entity


def test_json_lines_compressed_with_notices_and_a_bad_line(tmp_path: Path) -> None:
    tweets = tweets_of("testsearchtweets__00.json")
    lines = [json.dumps(t) for t in tweets[:3]]
    lines.insert(1, '{"delete":{"status":{"id":1,"id_str":"1","user_id":2,"user_id_str":"2"}}}')
    lines.insert(3, '{"created_at": "Fri Jul 12 ')
    path = tmp_path / "stream.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    assert detect(path).name == "twitter-v1"
    records = list(TwitterV1Source().read(path))
    rejected = [r for r in records if isinstance(r, Rejected)]
    assert [str(r.error)[: len(str(path)) + 3] for r in rejected] == [f"{path}:4:"]
    ids = {r.event_id for r in records if isinstance(r, Event) and ":" not in r.event_id}
    assert {t["id_str"] for t in tweets[:3]} <= ids


def test_bad_tweet_is_rejected_with_file_line_and_field(tmp_path: Path) -> None:
    tweets = tweets_of("testusertimeline__00.json")
    tweets[2]["user"]["followers_count"] = "many"
    path = tmp_path / "timeline.json"
    path.write_text(json.dumps(tweets, indent=1), encoding="utf-8")
    records = list(TwitterV1Source().read(path))
    rejected = [r for r in records if isinstance(r, Rejected)]
    assert len(rejected) == 1
    text = path.read_text(encoding="utf-8")
    start = text.index(tweets[2]["created_at"])
    line = text[:start].rfind("\n {")
    assert str(rejected[0].error).startswith(
        f"{path}:{text[:line].count(chr(10)) + 2}: user.followers_count: expected a count"
    )
    assert len([r for r in records if isinstance(r, Event)]) == 3


def test_truncated_array_and_wrong_shape_stop(tmp_path: Path) -> None:
    text = (BODIES / "testusertimeline__00.json").read_text(encoding="utf-8")
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        list(TwitterV1Source().read(path))
    assert str(caught.value).startswith(f"{path}:")
    assert "truncated" in str(caught.value)
    path.write_text('{\n "search_metadata": {}\n}\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"cut\.json:1: expected a tweet"):
        list(TwitterV1Source().read(path))


def test_detect_picks_twitter_v1() -> None:
    for name in FILES:
        assert detect(BODIES / name).name == "twitter-v1", name
    source = TwitterV1Source()
    assert source.sniff(BODIES / "test_client_get_liking_users__00.json") == 0
    assert source.sniff(BODIES / "index.tsv") == 0
    assert source.sniff(BODIES) == 0


def test_ingest_is_idempotent(store: Any) -> None:
    path = BODIES / "testsearchtweets__00.json"
    first = ingest_path(store, path)
    assert (first.format, first.new, first.rejected) == ("twitter-v1", 29, 0)
    again = ingest_path(store, path)
    assert (again.new, again.duplicates) == (0, first.new + first.duplicates)
    rows = dict(store.rows("SELECT action, count(*) FROM events GROUP BY action"))
    assert rows == {"post": 14, "reply": 1, "repost": 6, "mention": 8}


@MANGLE
@given(data=st.data())
def test_mangled_bytes(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    name = data.draw(st.sampled_from(["testretweetandunretweet__00.json", "lines"]))
    if name == "lines":
        tweets = tweets_of("testsearchtweets__00.json")[:3]
        original = "\n".join(json.dumps(t) for t in tweets).encode()
    else:
        original = (BODIES / name).read_bytes()
    path = tmp_path_factory.mktemp("v1", numbered=True) / "tweets.json"
    path.write_bytes(data.draw(mangled_bytes(original)))
    read_all_cleanly(TwitterV1Source(), path)


_KEPT = (
    "created_at",
    "id",
    "id_str",
    "text",
    "entities",
    "user",
    "retweeted_status",
    "in_reply_to_status_id_str",
    "in_reply_to_user_id_str",
    "in_reply_to_screen_name",
    "is_quote_status",
    "lang",
)
_USER_KEPT = ("id_str", "screen_name", "name", "created_at", "followers_count", "friends_count")


def slim(tweet: dict[str, Any]) -> dict[str, Any]:
    """The fields the importer reads, so that mangling mostly hits them (and runs quickly)."""
    out = {k: tweet[k] for k in _KEPT if k in tweet}
    out["user"] = {k: tweet["user"][k] for k in _USER_KEPT}
    out["entities"] = {k: tweet["entities"][k] for k in ("hashtags", "user_mentions", "urls")}
    if "retweeted_status" in tweet:
        out["retweeted_status"] = slim(tweet["retweeted_status"])
    return out


@MANGLE
@given(data=st.data())
def test_mangled_tweets(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    tweet = data.draw(mangled_json(slim(tweets_of("testretweetandunretweet__00.json")[0])))
    path = tmp_path_factory.mktemp("v1json", numbered=True) / "tweet.json"
    layout = data.draw(st.sampled_from(["array", "document", "line"]))
    if layout == "array":
        path.write_text(json.dumps([tweet], indent=1), encoding="utf-8")
    else:
        path.write_text(json.dumps(tweet, indent=1 if layout == "document" else None))
    read_all_cleanly(TwitterV1Source(), path)
