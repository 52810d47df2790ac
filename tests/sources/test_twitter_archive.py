"""The X/Twitter account archive importer, on the pseudonymised archive in tests/fixtures."""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
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
from sway.sources.twitter_archive import TwitterArchiveSource
from sway.store.ingest import ingest_path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "twitter-archive"
DATA = FIXTURE / "data"
OWNER = "322184735"
MANGLE = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ytd(name: str) -> list[Any]:
    """A data file parsed the plain way (strip up to the first '['), without sway."""
    text = (DATA / name).read_text(encoding="utf-8")
    records: list[Any] = json.loads(text[text.index("[") :])
    return records


def independent_counts() -> Counter[str]:
    """Events per action counted from the raw records by the rules in _twitter's docstring."""
    counts: Counter[str] = Counter()
    for record in ytd("tweets.js"):
        tweet = record["tweet"]
        reply_to = tweet.get("in_reply_to_user_id_str")
        urls = [u["expanded_url"] for u in tweet["entities"]["urls"]]
        if tweet["full_text"].startswith("RT @"):
            counts["repost"] += 1
            continue
        if reply_to:
            counts["reply"] += 1
        elif any(re.match(r"https://twitter\.com/\w+/status/\d+", u) for u in urls):
            counts["quote"] += 1
        else:
            counts["post"] += 1
        mentioned = {m["id_str"] for m in tweet["entities"]["user_mentions"]}
        counts["mention"] += len(mentioned - {reply_to})
    counts["like"] = len(ytd("like.js"))
    counts["follow"] = len(ytd("follower.js")) + len(ytd("following.js"))
    return counts


# Read off tweets.js by hand (see the folder README): 13 replies (12 with a status id, one to
# a user only), 3 "RT @" retweets, 3 quote links, so 6 plain posts; of the 21 mention
# entities, 15 name the account replied to or sit in retweets and 1 is a repeat, leaving 5.
EXPECTED = {
    "post": 6,
    "reply": 13,
    "repost": 3,
    "quote": 3,
    "mention": 5,
    "like": 20,
    "follow": 40,
}


def snowflake(tweet_id: str) -> datetime:
    ms = (int(tweet_id) >> 22) + 1288834974657
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


@pytest.fixture(scope="module")
def records() -> list[Any]:
    return list(TwitterArchiveSource(observed_at="2022-11-14T12:00:00Z").read(FIXTURE))


@pytest.fixture(scope="module")
def events(records: list[Any]) -> dict[str, Event]:
    return {r.event_id: r for r in records if isinstance(r, Event)}


def test_counts_per_action(records: list[Any]) -> None:
    assert not [r for r in records if isinstance(r, Rejected)]
    actions = Counter(r.action for r in records if isinstance(r, Event))
    assert actions == EXPECTED
    assert actions == independent_counts()
    assert len([r for r in records if isinstance(r, Event)]) == sum(EXPECTED.values())


def test_reply_to_a_followee(events: dict[str, Event]) -> None:
    reply = events["1587920145581561737"]
    assert reply.action == "reply"
    assert reply.actor == OWNER
    assert reply.target == "154759612"  # in_reply_to_user_id_str
    assert reply.parent_id == "1587919611688585532"
    assert reply.content_id == "1587920145581561737"
    assert reply.ts == datetime(2022, 11, 2, 21, 30, 39, tzinfo=UTC)
    assert reply.text == "@user_0002 The kettle is on, thanks…"
    assert reply.lang == "en"
    # The account replied to is not also mentioned.
    assert "mention:1587920145581561737:154759612" not in events


def test_reply_without_status_id_and_mentions(events: dict[str, Event]) -> None:
    to_user = events["1381525268694693314"]
    assert (to_user.action, to_user.target, to_user.parent_id) == ("reply", "18419933", None)
    assert to_user.lang == "de"
    # @user_0009 is replied to; @user_0010 and @user_0011 (twice) are mentioned once each.
    mentions = sorted(k for k in events if k.startswith("mention:1381577196630190023:"))
    assert mentions == [
        "mention:1381577196630190023:184343744",
        "mention:1381577196630190023:980642662825554177",
    ]
    mention = events["mention:1381577196630190023:184343744"]
    assert (mention.actor, mention.action, mention.content_id) == (
        OWNER,
        "mention",
        "1381577196630190023",
    )
    assert mention.ts == datetime(2021, 4, 12, 11, 57, 26, tzinfo=UTC)


def test_retweet_kept_as_text_and_quote_link(events: dict[str, Event]) -> None:
    retweet = events["1336006182489369609"]
    assert retweet.action == "repost"
    assert retweet.target == "2453725"  # @user_0016 from the mention entity
    assert retweet.content_id is None  # archives do not keep the retweeted id
    assert retweet.text is not None and retweet.text.startswith("RT @user_0016:")
    # @user_0017 is mentioned by the retweeted tweet, not by the owner.
    assert not [k for k in events if k.startswith("mention:1336006182489369609:")]
    quote = events["1486721824800064626"]
    assert quote.action == "quote"
    assert quote.parent_id == "1486023451914562262"
    assert quote.target == "user_0004"  # only the handle is in the link
    assert quote.content_id == "1486721824800064626"


def test_post_with_hashtag_and_emoji(events: dict[str, Event]) -> None:
    post = events["1588091218941967762"]
    assert (post.action, post.actor, post.target, post.parent_id) == ("post", OWNER, None, None)
    assert post.tags == ("LeadDevBerlin",)
    assert post.text == "See you soon #LeadDevBerlin 👋 https://t.co/TWXcdXEffw"
    assert post.ts == datetime(2022, 11, 3, 8, 50, 26, tzinfo=UTC)
    # Twitter's "qme" (media only) and "und" are not languages.
    assert events["1359059083481792894"].lang is None
    assert events["1512109140432637486"].lang == "en"


def test_likes(events: dict[str, Event]) -> None:
    like = events[f"like:{OWNER}:1587919611688585532"]
    assert (like.actor, like.action, like.content_id) == (OWNER, "like", "1587919611688585532")
    # The owner replied to this liked tweet, which tells its author.
    assert like.target == "154759612"
    assert like.ts == snowflake("1587919611688585532")
    assert like.ts == datetime(2022, 11, 2, 21, 28, 32, 203000, tzinfo=UTC)
    assert like.text == "@user_0001 A list of small tasks. Ok!"
    first = ytd("like.js")[0]["like"]
    unknown = events[f"like:{OWNER}:{first['tweetId']}"]
    assert unknown.target is None
    assert unknown.text == first["fullText"]


def test_follows(events: dict[str, Event]) -> None:
    observed = datetime(2022, 11, 14, 12, tzinfo=UTC)
    follower = events[f"follow:33008404:{OWNER}"]
    assert (follower.actor, follower.target, follower.ts) == ("33008404", OWNER, observed)
    following = events[f"follow:{OWNER}:946282489141639798"]
    assert (following.actor, following.target, following.ts) == (
        OWNER,
        "946282489141639798",
        observed,
    )


def test_owner_and_other_accounts(records: list[Any]) -> None:
    accounts = [r for r in records if isinstance(r, Account)]
    owner = accounts[0]
    assert owner == Account(
        network="twitter",
        account_id=OWNER,
        handle="user_0001",
        display_name="Exämple User 1",
        created_at=datetime(2010, 2, 9, 17, 10, 5, tzinfo=UTC),
    )
    handles = {a.account_id: a.handle for a in accounts}
    assert handles["18419933"] == "user_0008"
    assert handles["188265927"] == "user_0013"  # from in_reply_to_screen_name only


def copy_archive(tmp_path: Path) -> Path:
    target = tmp_path / "archive"
    shutil.copytree(FIXTURE, target)
    for file in target.rglob("*"):
        file.chmod(0o644 if file.is_file() else 0o755)
    return target


def test_follow_time_from_manifest_never_from_file_time(tmp_path: Path) -> None:
    archive = copy_archive(tmp_path)
    stamp = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    for file in (archive / "data").iterdir():
        os.utime(file, (stamp, stamp))
    records = list(TwitterArchiveSource().read(archive))
    assert not [r for r in records if isinstance(r, Event) and r.action == "follow"]
    undated = [r for r in records if isinstance(r, Undated)]
    assert Counter(u.action for u in undated) == {"follow": 40}
    assert f"follow:33008404:{OWNER}" in {u.event_id for u in undated}
    assert datetime.fromtimestamp(stamp, tz=UTC) not in {
        r.ts for r in records if isinstance(r, Event)
    }
    # Likes take the liked tweet's time from its id, marked derived; tweets their own.
    events = [r for r in records if isinstance(r, Event)]
    assert {e.ts_derived for e in events if e.action == "like"} == {True}
    assert {e.ts_derived for e in events if e.action != "like"} == {False}
    manifest = {
        "userInfo": {"accountId": OWNER, "userName": "user_0001", "displayName": "X"},
        "archiveInfo": {"generationDate": "2022-11-14T08:01:02.000Z"},
    }
    (archive / "data" / "manifest.js").write_text(
        "window.__THAR_CONFIG = " + json.dumps(manifest, indent=2), encoding="utf-8"
    )
    follows = {
        r.event_id: (r.ts, r.ts_derived)
        for r in TwitterArchiveSource().read(archive)
        if isinstance(r, Event) and r.action == "follow"
    }
    assert len(follows) == 40
    assert set(follows.values()) == {(datetime(2022, 11, 14, 8, 1, 2, tzinfo=UTC), True)}


def test_birth_date_from_ageinfo(tmp_path: Path) -> None:
    archive = copy_archive(tmp_path)
    (archive / "data" / "ageinfo.js").write_text(
        'window.YTD.ageinfo.part0 = [\n  {\n    "ageMeta" : {\n      "ageInfo" : {\n'
        '        "age" : [ "31" ],\n        "birthDate" : "1991-03-04"\n      }\n    }\n  }\n]',
        encoding="utf-8",
    )
    owner = next(r for r in TwitterArchiveSource().read(archive) if isinstance(r, Account))
    assert (owner.account_id, owner.birth_date) == (OWNER, date(1991, 3, 4))


def make_zip(tmp_path: Path, top: str = "twitter-2022-11-14-abc/") -> Path:
    path = tmp_path / "twitter-archive.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{top}Your archive.html", "<html></html>")
        for file in sorted(DATA.iterdir()):
            zf.write(file, f"{top}data/{file.name}")
    return path


def test_zip_gives_the_same_events(tmp_path: Path, events: dict[str, Event]) -> None:
    path = make_zip(tmp_path)
    source = TwitterArchiveSource(observed_at="2022-11-14T12:00:00Z")
    zipped = {r.event_id: r for r in source.read(path) if isinstance(r, Event)}
    assert zipped == events
    assert detect(path).name == "twitter-archive"


def test_part_files_are_read_in_order(tmp_path: Path) -> None:
    archive = copy_archive(tmp_path)
    likes = ytd("like.js")
    (archive / "data" / "like.js").write_text(
        "window.YTD.like.part0 = " + json.dumps(likes[:5]), encoding="utf-8"
    )
    (archive / "data" / "like-part1.js").write_text(
        "window.YTD.like.part1 = " + json.dumps(likes[5:]), encoding="utf-8"
    )
    got = [
        r.content_id
        for r in TwitterArchiveSource().read(archive)
        if isinstance(r, Event) and r.action == "like"
    ]
    assert got == [r["like"]["tweetId"] for r in likes]


def test_single_file_uses_account_beside_it(tmp_path: Path) -> None:
    source = TwitterArchiveSource(observed_at="2022-11-14T12:00:00Z")
    likes = [r for r in source.read(DATA / "like.js") if isinstance(r, Event)]
    assert len(likes) == 20 and {r.actor for r in likes} == {OWNER}
    alone = tmp_path / "like.js"
    shutil.copy(DATA / "like.js", alone)
    with pytest.raises(SourceError, match="account_id"):
        list(TwitterArchiveSource().read(alone))
    named = TwitterArchiveSource(account_id="42").read(alone)
    assert {r.actor for r in named if isinstance(r, Event)} == {"42"}
    with pytest.raises(ConfigError, match="account_id"):
        list(TwitterArchiveSource(account_id="me").read(alone))


def test_detect_picks_the_archive() -> None:
    for path in (FIXTURE, DATA, DATA / "tweets.js", DATA / "follower.js"):
        assert detect(path).name == "twitter-archive", path
    source = TwitterArchiveSource()
    assert source.sniff(FIXTURE / "README.md") == 0
    assert source.sniff(FIXTURE / "missing") == 0


def test_ingest_is_idempotent(store: Any) -> None:
    first = ingest_path(store, FIXTURE, options={"observed_at": "2022-11-14T12:00:00Z"})
    assert (first.format, first.new, first.duplicates, first.rejected) == (
        "twitter-archive",
        sum(EXPECTED.values()),
        0,
        0,
    )
    again = ingest_path(store, FIXTURE, options={"observed_at": "2022-11-14T12:00:00Z"})
    assert (again.new, again.duplicates) == (0, sum(EXPECTED.values()))
    rows = store.rows("SELECT action, count(*) FROM events GROUP BY action")
    assert dict(rows) == EXPECTED
    owner = store.rows(
        "SELECT handle, display_name FROM accounts WHERE network = 'twitter' AND account_id = ?",
        [OWNER],
    )
    assert owner == [("user_0001", "Exämple User 1")]


def write_tweets(tmp_path: Path, body: str) -> Path:
    archive = tmp_path / "bad"
    (archive / "data").mkdir(parents=True)
    shutil.copy(DATA / "account.js", archive / "data" / "account.js")
    (archive / "data" / "tweets.js").write_text(body, encoding="utf-8")
    return archive


def test_bad_field_rejects_its_record_with_file_line_and_field(tmp_path: Path) -> None:
    tweets = ytd("tweets.js")[:3]
    tweets[1]["tweet"]["created_at"] = "yesterday"
    archive = write_tweets(tmp_path, "window.YTD.tweets.part0 = " + json.dumps(tweets, indent=2))
    records = list(TwitterArchiveSource().read(archive))
    rejected = [r for r in records if isinstance(r, Rejected)]
    assert len(rejected) == 1
    message = str(rejected[0].error)
    text = (archive / "data" / "tweets.js").read_text(encoding="utf-8")
    line = text[: text.index('"yesterday"')].rfind("\n  {")
    record_line = text[:line].count("\n") + 2
    assert message.startswith(f"{archive / 'data' / 'tweets.js'}:{record_line}: tweet.created_at:")
    assert "'yesterday'" in message
    assert len([r for r in records if isinstance(r, Event) and r.action != "mention"]) == 2


def test_truncated_and_broken_files_stop_with_file_and_line(tmp_path: Path) -> None:
    text = (DATA / "tweets.js").read_text(encoding="utf-8")
    archive = write_tweets(tmp_path, text[:3000])
    with pytest.raises(SourceError) as caught:
        list(TwitterArchiveSource().read(archive))
    assert str(caught.value).startswith(f"{archive / 'data' / 'tweets.js'}:")
    assert "truncated" in str(caught.value)
    broken = text.replace('"retweeted" : false,', '"retweeted" : false,,', 1)
    archive2 = write_tweets(tmp_path / "2", broken)
    with pytest.raises(SourceError) as caught:
        list(TwitterArchiveSource().read(archive2))
    line = broken[: broken.index(",,")].count("\n") + 1
    assert str(caught.value).startswith(f"{archive2 / 'data' / 'tweets.js'}:{line}: ")
    archive3 = write_tweets(tmp_path / "3", "var tweets = [];")
    with pytest.raises(SourceError, match=r"tweets\.js:1: expected 'window\.YTD"):
        list(TwitterArchiveSource().read(archive3))


def test_truncated_zip_and_archive_without_account(tmp_path: Path) -> None:
    path = make_zip(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"twitter-archive\.zip"):
        list(TwitterArchiveSource().read(path))
    empty = tmp_path / "empty"
    (empty / "data").mkdir(parents=True)
    shutil.copy(DATA / "tweets.js", empty / "data" / "tweets.js")
    with pytest.raises(SourceError, match=r"account\.js is missing"):
        list(TwitterArchiveSource().read(empty))


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A few records of each file, to keep 1,000 mangled examples quick."""
    parts: dict[str, bytes] = {"account.js": (DATA / "account.js").read_bytes()}
    for name, count in (("tweets.js", 5), ("like.js", 3), ("follower.js", 3)):
        kind = name.removesuffix(".js")
        records = ytd(name)[:count]
        parts[name] = f"window.YTD.{kind}.part0 = {json.dumps(records, indent=2)}".encode()
    return parts


@MANGLE
@given(data=st.data())
def test_mangled_zip(
    small_archive: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory, data: Any
) -> None:
    folder = tmp_path_factory.mktemp("zip", numbered=True)
    path = folder / "archive.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in small_archive.items():
            zf.writestr(f"data/{name}", content)
    path.write_bytes(data.draw(mangled_bytes(path.read_bytes())))
    read_all_cleanly(TwitterArchiveSource(observed_at="2022-11-14T12:00:00Z"), path)


@MANGLE
@given(data=st.data())
def test_mangled_tweets_file(
    small_archive: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory, data: Any
) -> None:
    folder = tmp_path_factory.mktemp("js", numbered=True)
    (folder / "account.js").write_bytes(small_archive["account.js"])
    name = data.draw(st.sampled_from(["tweets.js", "like.js", "follower.js"]))
    (folder / name).write_bytes(data.draw(mangled_bytes(small_archive[name])))
    read_all_cleanly(TwitterArchiveSource(observed_at="2022-11-14T12:00:00Z"), folder)


@MANGLE
@given(data=st.data())
def test_mangled_records(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    folder = tmp_path_factory.mktemp("json", numbered=True)
    (folder / "account.js").write_text(
        "window.YTD.account.part0 = " + json.dumps(data.draw(mangled_json(ytd("account.js")))),
        encoding="utf-8",
    )
    tweets = data.draw(mangled_json(ytd("tweets.js")[1:3]))
    (folder / "tweets.js").write_text(
        "window.YTD.tweets.part0 = " + json.dumps(tweets), encoding="utf-8"
    )
    likes = data.draw(mangled_json(ytd("like.js")[:2]))
    (folder / "like.js").write_text(
        "window.YTD.like.part0 = " + json.dumps(likes), encoding="utf-8"
    )
    read_all_cleanly(TwitterArchiveSource(account_id="1"), folder)
