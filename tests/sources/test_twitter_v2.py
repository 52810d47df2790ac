"""The X/Twitter API v2 importer: twarc2 output and saved v2 bodies, on real fixtures."""

from __future__ import annotations

import io
import json
import lzma
import os
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mangle import mangled_bytes, mangled_json, read_all_cleanly
from sway.errors import ConfigError, SourceError
from sway.events import Account, Event
from sway.sources import detect
from sway.sources.base import Rejected, Undated
from sway.sources.twitter_v2 import TwitterV2Source
from sway.store.ingest import ingest_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TWARC = FIXTURES / "twitter-api-v2-twarc"
TWEEPY = FIXTURES / "twitter-api-tweepy"
BODIES = TWEEPY / "bodies"
MANGLE = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


OBSERVED = "2022-10-08T00:00:00Z"


def independent_twarc_counts(folder: Path) -> Counter[str]:
    """Events per action from the twarc files with plain json, by the documented rules.

    Tweets are collected from ``data``, ``includes.tweets`` and flattened lines, once per id;
    a tweet without ``author_id`` gives nothing; retweets give no mentions; a reply does not
    mention the account it replies to.
    """
    tweets: dict[str, dict[str, Any]] = {}
    authors: dict[str, str] = {}
    handles: dict[str, str] = {}
    for file in sorted(folder.glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            try:
                page = json.loads(line)
            except ValueError:
                continue
            if "data" in page or "includes" in page:
                data = page.get("data") or []
                data = [data] if isinstance(data, dict) else data
                includes = page.get("includes", {})
                found = [t for t in data if "text" in t] + includes.get("tweets", [])
                users = includes.get("users", [])
            else:
                refs = page.get("referenced_tweets", [])
                found = [page] + [r for r in refs if "text" in r]
                users = [u for u in (page.get("author"), page.get("in_reply_to_user")) if u]
                users += [r["author"] for r in refs if "author" in r]
                users += [m for m in page["entities"].get("mentions", []) if "id" in m]
            for user in users:
                handles.setdefault(user["username"].lower(), user["id"])
            for tweet in found:
                tweets.setdefault(tweet["id"], tweet)
                if "author_id" in tweet:
                    authors.setdefault(tweet["id"], tweet["author_id"])
    counts: Counter[str] = Counter()
    for tweet in tweets.values():
        if "author_id" not in tweet:
            continue
        types = {r["type"]: r["id"] for r in tweet.get("referenced_tweets", [])}
        if "retweeted" in types or tweet["text"].startswith("RT @"):
            counts["repost"] += 1
            continue
        replied = None
        if "replied_to" in types or "in_reply_to_user_id" in tweet:
            counts["reply"] += 1
            replied = tweet.get("in_reply_to_user_id") or authors.get(types.get("replied_to", ""))
        elif "quoted" in types:
            counts["quote"] += 1
        else:
            counts["post"] += 1
        mentioned = {
            m.get("id") or handles.get(m["username"].lower()) or m["username"]
            for m in tweet.get("entities", {}).get("mentions", [])
        }
        counts["mention"] += len(mentioned - {replied})
    return counts


# The eight twarc fixture files (flat.jsonl is its first 25 lines, see NOTE.md) hold 62
# distinct tweets with an author in data, includes and inlined references; counted with
# independent_twarc_counts above and by hand for the small files.
TWARC_EXPECTED = {"post": 27, "reply": 17, "repost": 13, "quote": 5, "mention": 16}
# The tweepy bodies: the v1.1 ones (see test_twitter_v1.py) plus, from the v2 ones, 43 + 96
# likes (liking_users, liked_tweets), 38 retweets (retweeted_by), 84 + 100 follows, and the
# 2 tweets of users/783214/tweets; the other v2 bodies have no author_id, so no events.
TWEEPY_EXPECTED = {"post": 20, "reply": 1, "repost": 46, "mention": 8, "like": 139, "follow": 184}


def snowflake(tweet_id: str) -> datetime:
    ms = (int(tweet_id) >> 22) + 1288834974657
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def distinct_events(records: list[Any]) -> dict[str, Event]:
    return {r.event_id: r for r in records if isinstance(r, Event)}


@pytest.fixture(scope="module")
def twarc_records() -> list[Any]:
    source = TwitterV2Source()
    return [r for f in sorted(TWARC.glob("*.jsonl")) for r in source.read(f)]


@pytest.fixture(scope="module")
def twarc_events(twarc_records: list[Any]) -> dict[str, Event]:
    return distinct_events(twarc_records)


@pytest.fixture(scope="module")
def tweepy_events() -> dict[str, Event]:
    return distinct_events(list(TwitterV2Source(observed_at=OBSERVED).read(TWEEPY)))


def test_twarc_counts_per_action(twarc_records: list[Any], twarc_events: dict[str, Event]) -> None:
    actions = Counter(e.action for e in twarc_events.values())
    assert actions == TWARC_EXPECTED
    assert actions == independent_twarc_counts(TWARC)
    rejected = [r for r in twarc_records if isinstance(r, Rejected)]
    assert len(rejected) == 1  # line 8 of streaming_output_with_error.jsonl


def test_broken_line_8_is_rejected_and_the_rest_read() -> None:
    path = TWARC / "streaming_output_with_error.jsonl"
    records = list(TwitterV2Source().read(path))
    rejected = [r for r in records if isinstance(r, Rejected)]
    assert len(rejected) == 1
    assert str(rejected[0].error).startswith(f"{path}:8: not valid JSON")
    assert rejected[0].raw == '{"data": {"author_id": "1021159080151404544"'
    # Lines 1-7 each carry one tweet in data (and some a quoted or replied-to one).
    ids = [json.loads(line)["data"]["id"] for line in path.read_text().splitlines()[:7]]
    events = distinct_events(records)
    assert all(i in events for i in ids)


def test_retweet_author_from_includes(twarc_events: dict[str, Event]) -> None:
    retweet = twarc_events["1394735776701816833"]
    assert retweet.action == "repost"
    assert retweet.actor == "1379899464345923590"
    assert retweet.target == "1380086327023169540"  # author of the included original
    assert retweet.content_id == "1391677057810288641"
    assert retweet.parent_id is None
    assert retweet.ts == datetime(2021, 5, 18, 19, 24, 56, tzinfo=UTC)
    original = twarc_events["1391677057810288641"]
    assert (original.action, original.actor, original.tags) == (
        "post",
        "1380086327023169540",
        ("POIUYTREWQ",),
    )
    assert original.lang is None  # "und"
    # The retweet's "@bibaigna96" mention belongs to the original, not to the retweeter.
    assert not [k for k in twarc_events if k.startswith("mention:1394735776701816833:")]


def test_reply_that_quotes(twarc_events: dict[str, Event]) -> None:
    reply = twarc_events["1576995594388000768"]
    assert reply.action == "reply"
    assert reply.actor == "1494167419413094401"
    assert reply.target == "337119125"
    assert reply.parent_id == "1576994789110992896"  # replied_to wins over quoted
    assert reply.text == "@wongmjane Test \nhttps://t.co/rBFwqjVr6B"
    assert "mention:1576995594388000768:337119125" not in twarc_events
    assert twarc_events["1576994746135764992"].actor == "337119125"


def test_flattened_reply_and_mentions(twarc_events: dict[str, Event]) -> None:
    reply = twarc_events["1380242586288328707"]
    assert (reply.action, reply.actor, reply.target, reply.parent_id) == (
        "reply",
        "1910479285",
        "1142605723601264640",
        "1380229267770933248",
    )
    assert reply.ts == datetime(2021, 4, 8, 19, 34, 10, tzinfo=UTC)
    mention = twarc_events["mention:1380242586288328707:592730371"]
    assert (mention.actor, mention.target, mention.content_id) == (
        "1910479285",
        "592730371",
        "1380242586288328707",
    )
    # The inlined tweet it replies to is an event of its own author.
    parent = twarc_events["1380229267770933248"]
    assert (parent.action, parent.actor, parent.target) == (
        "reply",
        "1142605723601264640",
        "592730371",
    )


def test_accounts(twarc_records: list[Any]) -> None:
    accounts = {r.account_id: r for r in twarc_records if isinstance(r, Account)}
    kaz = accounts["1910479285"]
    assert (kaz.handle, kaz.display_name, kaz.followers, kaz.following) == (
        "PDXPapaG",
        "Kaz",
        458,
        470,
    )
    assert kaz.created_at == datetime(2013, 9, 27, 7, 50, 22, tzinfo=UTC)
    assert accounts["1380086327023169540"].handle == "bibaigna96"


def test_tweepy_folder_counts(tweepy_events: dict[str, Event]) -> None:
    assert Counter(e.action for e in tweepy_events.values()) == TWEEPY_EXPECTED


def test_user_lists_mean_what_their_url_says(tweepy_events: dict[str, Event]) -> None:
    observed = datetime(2022, 10, 8, tzinfo=UTC)
    like = tweepy_events["like:77984765:1293593516040269825"]  # liking_users
    assert (like.actor, like.content_id, like.target) == ("77984765", "1293593516040269825", None)
    assert like.ts == snowflake("1293593516040269825")
    retweet = tweepy_events["repost:1438363597428572167:1415348607813832708"]  # retweeted_by
    assert (retweet.action, retweet.content_id) == ("repost", "1415348607813832708")
    follower = tweepy_events["follow:1255778080372785152:783214"]  # users/783214/followers
    assert follower.ts == observed
    followed = tweepy_events["follow:2244994945:44196397"]  # users/2244994945/following
    assert (followed.actor, followed.target, followed.ts) == ("2244994945", "44196397", observed)
    liked = tweepy_events["like:783214:1345434652891373571"]  # users/783214/liked_tweets
    assert liked.text is not None and liked.text.startswith("RT @djarinculture:")
    own = tweepy_events["1577730467436138524"]  # users/783214/tweets, no author_id field
    assert (own.action, own.actor, own.ts) == ("post", "783214", snowflake("1577730467436138524"))
    # Bodies with default fields and no author (home timeline, search, mentions) give nothing.
    assert "1578516068309794817" not in tweepy_events


def test_body_needs_its_url_and_follows_without_a_time_are_undated(tmp_path: Path) -> None:
    body = tmp_path / "followers.json"
    shutil.copy(BODIES / "test_asyncclient_get_users_followers__00.json", body)
    body.chmod(0o644)
    plain = list(TwitterV2Source().read(body))
    assert not [r for r in plain if isinstance(r, Event | Undated)]
    assert len({r.account_id for r in plain if isinstance(r, Account)}) == 84
    # The file's modification time says when it was copied, not when anyone followed: a
    # follow list with no retrieval time gives undated follows, never events at that time.
    stamp = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    os.utime(body, (stamp.timestamp(), stamp.timestamp()))
    url = "https://api.twitter.com/2/users/783214/followers"
    records = list(TwitterV2Source(url=url).read(body))
    assert not [r for r in records if isinstance(r, Event)]
    undated = [r for r in records if isinstance(r, Undated)]
    assert len(undated) == 84
    assert {(u.network, u.action) for u in undated} == {("twitter", "follow")}
    assert "follow:1255778080372785152:783214" in {u.event_id for u in undated}
    # Given the time, the same follows are events at it, marked derived.
    observed = TwitterV2Source(url=url, observed_at="2022-10-01T12:00:00Z").read(body)
    follows = [r for r in observed if isinstance(r, Event)]
    assert len(follows) == 84
    assert {(f.target, f.ts, f.ts_derived) for f in follows} == {
        ("783214", datetime(2022, 10, 1, 12, tzinfo=UTC), True)
    }


def test_likes_and_list_retweets_take_the_posts_time_marked_derived(tmp_path: Path) -> None:
    stamp = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    events: list[Event] = []
    for name in (
        "test_client_get_liking_users__00.json",
        "test_client_get_retweeters__00.json",
        "test_asyncclient_get_liked_tweets__00.json",
    ):
        body = tmp_path / name
        shutil.copy(BODIES / name, body)
        os.utime(body, (stamp.timestamp(), stamp.timestamp()))
        url = next(
            line.split("\t")[2]
            for line in (BODIES / "index.tsv").read_text().splitlines()
            if line.startswith(name)
        )
        events += [r for r in TwitterV2Source(url=url).read(body) if isinstance(r, Event)]
    reactions = [e for e in events if e.event_id.startswith(("like:", "repost:"))]
    assert Counter(e.action for e in reactions) == {"like": 43 + 96, "repost": 38}
    assert all(e.ts_derived and e.ts == snowflake(e.content_id or "") for e in reactions)
    # The tweets themselves carry their own time.
    assert not any(e.ts_derived for e in events if e not in reactions)
    assert stamp not in {e.ts for e in events}


def test_compressed_lines(tmp_path: Path, twarc_events: dict[str, Event]) -> None:
    path = tmp_path / "two_tweets.jsonl.xz"
    path.write_bytes(lzma.compress((TWARC / "two_tweets.jsonl").read_bytes()))
    assert detect(path).name == "twitter-v2"
    events = distinct_events(list(TwitterV2Source().read(path)))
    assert sorted(events) == ["1391677057810288641", "1394735776701816833"]
    assert all(events[k] == twarc_events[k] for k in events)


def test_options_are_checked() -> None:
    body = BODIES / "test_client_get_liking_users__00.json"
    with pytest.raises(ConfigError, match="option url"):
        list(TwitterV2Source(url="https://example.com/2/tweets/1/liking_users").read(body))
    with pytest.raises(ConfigError, match="option observed_at"):
        list(TwitterV2Source(observed_at="last week").read(body))


def test_twarc_url_and_retrieved_at_in_the_page(tmp_path: Path) -> None:
    page = json.loads((BODIES / "test_asyncclient_get_users_following__00.json").read_text())
    page["__twarc"] = {
        "url": "https://api.twitter.com/2/users/2244994945/following?max_results=100",
        "version": "2.12.0",
        "retrieved_at": "2022-10-04T15:27:59+00:00",
    }
    path = tmp_path / "following.jsonl"
    path.write_text(json.dumps(page) + "\n", encoding="utf-8")
    follows = [r for r in TwitterV2Source().read(path) if isinstance(r, Event)]
    assert len(follows) == 100
    assert {f.ts for f in follows} == {datetime(2022, 10, 4, 15, 27, 59, tzinfo=UTC)}
    assert {f.actor for f in follows} == {"2244994945"}
    assert all(f.ts_derived for f in follows)


def test_detect_picks_twitter_v2() -> None:
    for path in sorted(TWARC.glob("*.jsonl")):
        assert detect(path).name == "twitter-v2", path
    for path in (TWEEPY, BODIES, BODIES / "test_client_get_liking_users__00.json"):
        assert detect(path).name == "twitter-v2", path
    assert detect(BODIES / "testsearchtweets__00.json").name == "twitter-v1"
    source = TwitterV2Source()
    assert source.sniff(TWARC / "README.md") == 0
    assert source.sniff(TWARC) == 0  # a folder of twarc files is read file by file


def test_ingest_is_idempotent(store: Any) -> None:
    first = ingest_path(store, TWARC, rejects=io.StringIO())
    assert (first.format, first.new, first.rejected) == (
        "twitter-v2",
        sum(TWARC_EXPECTED.values()),
        1,
    )
    again = ingest_path(store, TWARC, rejects=io.StringIO())
    assert again.new == 0 and again.duplicates == first.new + first.duplicates
    tweepy = ingest_path(store, TWEEPY, options={"observed_at": OBSERVED})
    assert (tweepy.format, tweepy.new) == ("twitter-v2", sum(TWEEPY_EXPECTED.values()))
    assert ingest_path(store, TWEEPY, options={"observed_at": OBSERVED}).new == 0
    total = sum(TWARC_EXPECTED.values()) + sum(TWEEPY_EXPECTED.values())
    assert store.scalar("SELECT count(*) FROM events") == total


def test_bad_records_name_file_line_and_field(tmp_path: Path) -> None:
    page = json.loads((TWARC / "two_tweets.jsonl").read_text())
    page["data"][0]["created_at"] = "soon"
    path = tmp_path / "pages.jsonl"
    lines = ['{"unrelated": 1}', json.dumps(page), '{"data": "nothing"}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = [str(r.error) for r in TwitterV2Source().read(path) if isinstance(r, Rejected)]
    assert errors[0].startswith(f"{path}:1: expected a v2 response page")
    assert errors[1].startswith(f"{path}:2: data[0].created_at: expected a time")
    assert "'soon'" in errors[1]
    assert errors[2].startswith(f"{path}:3: data: expected a list or an object")
    # The included original of the bad retweet is still read.
    kept = [r for r in TwitterV2Source().read(path) if isinstance(r, Event)]
    assert [e.event_id for e in kept] == ["1391677057810288641"]


def test_wrong_shape_document_stops(tmp_path: Path) -> None:
    path = tmp_path / "body.json"
    path.write_text('{\n "data": 5\n}\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"body\.json:1: data: expected a list"):
        list(TwitterV2Source().read(path))
    path.write_text('{\n "data": [\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"body\.json:\d+: truncated JSON"):
        list(TwitterV2Source().read(path))


def copy_tweepy(tmp_path: Path) -> Path:
    target = tmp_path / "dump"
    shutil.copytree(TWEEPY, target)
    for file in target.rglob("*"):
        file.chmod(0o644 if file.is_file() else 0o755)
    return target


def test_dump_folder_faults(tmp_path: Path) -> None:
    dump = copy_tweepy(tmp_path)
    (dump / "raw" / "stray.json").write_text("{}", encoding="utf-8")
    with pytest.raises(SourceError, match=r"raw/stray\.json: not listed in index\.tsv"):
        list(TwitterV2Source().read(dump))
    (dump / "raw" / "stray.json").unlink()
    index = dump / "bodies" / "index.tsv"
    lines = index.read_text(encoding="utf-8").splitlines()
    index.write_text("\n".join([*lines, "x.json\tGET\thttps://example.com/api\t200"]) + "\n")
    with pytest.raises(SourceError) as caught:
        list(TwitterV2Source().read(dump))
    assert str(caught.value).startswith(f"{index}:{len(lines) + 1}: url: expected an api.twitter")
    index.write_text("\n".join([*lines, "gone.json\tGET\thttps://api.twitter.com/2/x\t200"]))
    with pytest.raises(SourceError) as caught:
        list(TwitterV2Source().read(dump))
    assert str(caught.value).startswith(f"{index}:{len(lines) + 1}: file: the listed body")


@MANGLE
@given(data=st.data())
def test_mangled_twarc_lines(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    original = (TWARC / "two_tweets.jsonl").read_bytes() + b"\n".join(
        (TWARC / "flat.jsonl").read_bytes().splitlines()[2:4]
    )
    path = tmp_path_factory.mktemp("lines", numbered=True) / "tweets.jsonl"
    path.write_bytes(data.draw(mangled_bytes(original)))
    read_all_cleanly(TwitterV2Source(observed_at=OBSERVED), path)


@MANGLE
@given(data=st.data())
def test_mangled_pages(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    page = json.loads((TWARC / "quoted_edit.jsonl").read_text())
    page = data.draw(mangled_json(page))
    path = tmp_path_factory.mktemp("page", numbered=True) / "page.json"
    pretty = data.draw(st.booleans())
    path.write_text(json.dumps(page, indent=1 if pretty else None), encoding="utf-8")
    read_all_cleanly(TwitterV2Source(), path)


@MANGLE
@given(data=st.data())
def test_mangled_user_list(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    body = json.loads((BODIES / "test_client_get_retweeters__00.json").read_text())
    body["data"] = body["data"][:4]
    body = data.draw(mangled_json(body))
    path = tmp_path_factory.mktemp("users", numbered=True) / "retweeters.json"
    path.write_text(json.dumps(body, indent=1), encoding="utf-8")
    url = "https://api.twitter.com/2/tweets/1415348607813832708/retweeted_by"
    read_all_cleanly(TwitterV2Source(url=url, observed_at=OBSERVED), path)
