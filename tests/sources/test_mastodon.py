"""The Mastodon importer on real fixtures: an account archive and REST API responses.

Expected counts were derived by reading the fixtures (their READMEs and the JSON itself) and are
cross-checked here by small independent walks over the raw JSON, which share no code with the
importer.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from mangle import mangled_bytes, mangled_json, read_all_cleanly
from sway.errors import SourceError
from sway.events import Account, Event
from sway.sources import detect
from sway.sources.base import Rejected, Undated
from sway.sources.mastodon import MastodonSource
from sway.store import Store
from sway.store.ingest import ingest_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OUTBOX = FIXTURES / "mastodon-outbox"
API = FIXTURES / "mastodon-api"
OWNER = "user_0001@social.example"
PROPERTY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _read(path: Path, **options: str) -> list[Any]:
    return list(MastodonSource(**options).read(path))


def _events(records: list[Any]) -> list[Event]:
    rejected = [r for r in records if isinstance(r, Rejected)]
    assert not rejected, rejected[:3]
    return [r for r in records if isinstance(r, Event)]


def _by_id(events: list[Event]) -> dict[str, Event]:
    first: dict[str, Event] = {}
    for event in events:
        first.setdefault(event.event_id, event)
    return first


def _store_counts(store: Store) -> dict[str, int]:
    rows = store.con.execute(
        "SELECT action, count(*) FROM events WHERE network = 'mastodon' GROUP BY action"
    ).fetchall()
    return {action: int(n) for action, n in rows}


# --- the account archive -------------------------------------------------------------------

#: From the fixture README: 34 Create (11 replies) + 6 Announce, 40 liked URIs; 10 Mention tags,
#: 6 of them on replies to the mentioned account (not counted again as mentions).
ARCHIVE_COUNTS = {"post": 23, "reply": 11, "repost": 6, "mention": 4, "like": 40}


def _independent_archive_counts() -> Counter[str]:
    """The same counts, by walking the raw JSON (a duplicate-key aware load)."""
    pairs = json.loads(
        (OUTBOX / "outbox.json").read_text(encoding="utf-8"), object_pairs_hook=lambda kv: kv
    )
    items = [v for k, v in pairs if k == "orderedItems"]
    assert [len(i) for i in items] == [0, 40]  # Mastodon writes the key twice
    counts: Counter[str] = Counter()
    for activity in map(dict, items[1]):
        if activity["type"] == "Announce":
            counts["repost"] += 1
            continue
        note = dict(activity["object"])
        parent = note.get("inReplyTo")
        counts["reply" if parent else "post"] += 1
        for tag in map(dict, note["tag"]):
            if tag["type"] != "Mention":
                continue
            # A reply does not also mention the author it replies to.
            href_user = tag["href"].rsplit("/", 1)[1]
            if parent and f"/users/{href_user}/statuses/" in parent:
                continue
            counts["mention"] += 1
    counts["like"] = len(json.loads((OUTBOX / "likes.json").read_text())["orderedItems"])
    return counts


def test_archive_counts_match_an_independent_count() -> None:
    assert _independent_archive_counts() == Counter(ARCHIVE_COUNTS)
    events = _events(_read(OUTBOX))
    assert Counter(e.action for e in events) == Counter(ARCHIVE_COUNTS)
    assert len(_by_id(events)) == len(events)


def test_archive_hand_checked_events() -> None:
    records = _read(OUTBOX)
    events = _by_id(_events(records))
    reply = events["https://social.example/users/user_0001/statuses/109309145358578580"]
    assert reply.action == "reply"
    assert reply.actor == OWNER
    assert reply.target == "user_0002@instance-01.example"
    assert reply.parent_id == (
        "https://instance-01.example/users/user_0002/statuses/109308078435791339"
    )
    assert reply.content_id == reply.event_id
    assert reply.ts == datetime(2022, 11, 8, 16, 33, 11, tzinfo=UTC)
    assert reply.text is not None and reply.text.startswith("@user_0002") and "😜" in reply.text
    assert reply.lang == "en"

    boost = events["https://social.example/users/user_0001/statuses/109449999562068487/activity"]
    assert (boost.action, boost.actor, boost.target) == (
        "repost",
        OWNER,
        "user_0008@instance-05.example",
    )
    assert boost.content_id == (
        "https://instance-05.example/users/user_0008/statuses/109440048913451310"
    )
    assert boost.ts == datetime(2022, 12, 3, 13, 34, 16, tzinfo=UTC)

    # One post mentions a local account (``@user_0003``, no domain) and a remote one.
    post = "https://social.example/users/user_0001/statuses/109337325305910687"
    assert events[f"mention:{post}:user_0003@social.example"].target == "user_0003@social.example"
    assert f"mention:{post}:user_0004@instance-02.example" in events
    assert events["https://social.example/users/user_0001/statuses/109333840386294904"].tags == (
        "caterday",
    )

    # A self-thread: the reply targets the owner.
    thread = events["https://social.example/users/user_0001/statuses/109583196892166226"]
    assert (thread.action, thread.target) == ("reply", OWNER)

    # Likes carry no time: the liked post's Snowflake id gives the earliest it can be...
    liked = "https://instance-05.example/users/user_0014/statuses/100532741289687406"
    like = events[f"like:{OWNER}:{liked}"]
    assert (like.target, like.content_id) == ("user_0014@instance-05.example", liked)
    assert like.ts == datetime(2018, 8, 11, 17, 18, 13, 214000, tzinfo=UTC)
    # ...and a non-Mastodon URI falls back to the owner's account creation.
    misskey = events[f"like:{OWNER}:https://instance-20.example/notes/4v1zp7lk2t"]
    assert misskey.target is None
    assert misskey.ts == datetime(2022, 11, 7, tzinfo=UTC)

    owner = next(r for r in records if isinstance(r, Account) and r.account_id == OWNER)
    assert owner.handle == "user_0001@social.example"
    assert owner.display_name == "user_0001"
    assert owner.created_at == datetime(2022, 11, 7, tzinfo=UTC)
    assert owner.is_bot is False
    mentioned = {r.account_id: r.handle for r in records if isinstance(r, Account)}
    assert mentioned["user_0002@instance-01.example"] == "user_0002@instance-01.example"


def test_archive_zip_reads_like_the_folder(tmp_path: Path) -> None:
    archive = tmp_path / "archive-20221229.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("outbox.json", "likes.json", "actor.json"):
            zf.write(OUTBOX / name, name)
        zf.writestr("media_attachments/files/1/x.txt", "not read")
    assert MastodonSource().sniff(archive) == pytest.approx(0.95)
    assert Counter(e.action for e in _events(_read(archive))) == Counter(ARCHIVE_COUNTS)


def test_single_archive_files(tmp_path: Path) -> None:
    outbox = _events(_read(OUTBOX / "outbox.json"))
    assert Counter(e.action for e in outbox) == Counter(
        {k: v for k, v in ARCHIVE_COUNTS.items() if k != "like"}
    )
    likes = _events(_read(OUTBOX / "likes.json"))
    assert Counter(e.action for e in likes) == {"like": 40}
    assert all(e.ts_derived for e in likes)  # the liked post's creation: no like time given
    assert not any(e.ts_derived for e in outbox)
    actor = _read(OUTBOX / "actor.json")
    assert [type(r) for r in actor] == [Account]
    lonely = tmp_path / "likes.json"
    shutil.copy(OUTBOX / "likes.json", lonely)
    with pytest.raises(SourceError, match=r"actor\.json") as info:
        _read(lonely)
    assert str(lonely) in str(info.value)


def test_a_like_that_nothing_places_is_undated(tmp_path: Path) -> None:
    # No Snowflake id in the liked post's URI and no published date for the owner: no time
    # bounds the like, so it is undated (counted, not stored), never given an invented one.
    folder = tmp_path / "export"
    folder.mkdir()
    liked = [
        "https://ex.social/users/a/statuses/abc",
        "https://ex.social/users/b/statuses/114000000000000000",
    ]
    collection = {"id": "likes.json", "type": "OrderedCollection", "orderedItems": liked}
    (folder / "likes.json").write_text(json.dumps(collection), encoding="utf-8")
    actor = {"id": "https://ex.social/users/me", "type": "Person", "preferredUsername": "me"}
    (folder / "actor.json").write_text(json.dumps(actor), encoding="utf-8")
    records = _read(folder)
    assert [r.event_id for r in records if isinstance(r, Undated)] == [
        f"like:me@ex.social:{liked[0]}"
    ]
    [like] = _events(records)
    assert (like.content_id, like.ts_derived) == (liked[1], True)
    with Store.open(tmp_path / "s.duckdb") as store:
        summary = ingest_path(store, folder, format="mastodon")
    assert (summary.new, summary.derived, summary.undated) == (1, 1, 1)


def test_archive_detected() -> None:
    assert detect(OUTBOX).name == "mastodon"
    for name in ("outbox.json", "likes.json", "actor.json"):
        assert detect(OUTBOX / name).name == "mastodon"


def test_archive_bad_inputs(tmp_path: Path) -> None:
    raw = (OUTBOX / "outbox.json").read_bytes()
    truncated = tmp_path / "outbox.json"
    truncated.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(SourceError) as info:
        _read(truncated)
    text = str(info.value)
    assert str(truncated) in text and "record orderedItems[" in text and "JSON" in text

    wrong = tmp_path / "wrong" / "outbox.json"
    wrong.parent.mkdir()
    wrong.write_bytes(raw.replace(b'"type":"OrderedCollection"', b'"type":"Person"', 1))
    with pytest.raises(SourceError) as info:
        _read(wrong)
    assert str(wrong) in str(info.value) and ": type: expected an OrderedCollection" in str(
        info.value
    )

    broken_zip = tmp_path / "archive.zip"
    with zipfile.ZipFile(broken_zip, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(OUTBOX / "outbox.json", "outbox.json")
    broken_zip.write_bytes(broken_zip.read_bytes()[:-200])
    with pytest.raises(SourceError) as info:
        _read(broken_zip)
    assert str(broken_zip) in str(info.value)


def test_bad_activity_is_rejected_not_fatal(tmp_path: Path) -> None:
    doc = orjson.loads((OUTBOX / "outbox.json").read_bytes())
    doc["orderedItems"][1]["object"]["published"] = "yesterday"
    doc["orderedItems"][1]["published"] = "yesterday"
    path = tmp_path / "outbox.json"
    path.write_bytes(orjson.dumps(doc))
    records = _read(path)
    rejected = [r for r in records if isinstance(r, Rejected)]
    assert len(rejected) == 1
    assert "record orderedItems[2]: ts:" in str(rejected[0].error)
    # The other 39 activities and the 4 mentions (none of them on the rejected reply) remain.
    assert sum(isinstance(r, Event) for r in records) == 39 + 4


# --- REST API responses ----------------------------------------------------------------------


def _statuses(node: Any) -> Any:
    """Every Status object anywhere in a response body (a jq ``..|objects`` walk)."""
    if isinstance(node, dict):
        if "visibility" in node and "account" in node:
            yield node
        for value in node.values():
            yield from _statuses(value)
    elif isinstance(node, list):
        for value in node:
            yield from _statuses(value)


def _independent_api_counts() -> Counter[str]:
    bodies = sorted((API / "bodies").glob("*.json"))
    unique: dict[str, dict[str, Any]] = {}
    for body in bodies:
        for status in _statuses(json.loads(body.read_text())):
            unique.setdefault(status["uri"], status)
    counts: Counter[str] = Counter()
    for status in unique.values():
        if status["reblog"]:
            counts["repost"] += 1
            continue
        counts["reply" if status["in_reply_to_id"] else "post"] += 1
        for mention in status["mentions"]:
            if mention["id"] != status["in_reply_to_account_id"]:
                counts["mention"] += 1
    # favourited_by: the one list of likers in the index.
    index = (API / "bodies" / "index.tsv").read_text().splitlines()
    for line in index:
        name, _, url, _ = line.split("\t")
        if url.endswith("/favourited_by"):
            counts["like"] += len(json.loads((API / "bodies" / name).read_text()))
    return counts


#: 26 distinct statuses across the 52 bodies: 2 boosts, 1 reply, 23 others, plus the boosted
#: original (a post) — 24 posts; 5 mentions that are not the replied-to account; one liker.
API_COUNTS = {"post": 24, "reply": 1, "repost": 2, "mention": 5, "like": 1}


def test_api_counts_match_an_independent_count(store: Store) -> None:
    assert _independent_api_counts() == Counter(API_COUNTS)
    events = _events(_read(API))
    assert Counter(e.action for e in _by_id(events).values()) == Counter(API_COUNTS)
    summary = ingest_path(store, API)
    assert summary.format == "mastodon"
    assert _store_counts(store) == API_COUNTS
    assert summary.new == sum(API_COUNTS.values())


def test_api_hand_checked_events() -> None:
    records = _read(API)
    events = _by_id(_events(records))
    base = "http://localhost:3000/ap/users"
    reply = events[f"{base}/117020566092212359/statuses/117020588388552703"]
    assert reply.action == "reply"
    assert reply.actor == "mastodonpy_test_2@localhost:3000"
    assert reply.target == "mastodonpy_test@localhost:3000"
    # The parent appears in a later file; the first pass resolves its local id to its URI.
    assert reply.parent_id == f"{base}/117020565966271181/statuses/117020588315335369"
    assert reply.text == "@mastodonpy_test pssssst!"
    assert reply.lang == "ja"

    boost = events[f"{base}/117020565693913441/statuses/117020569768720055/activity"]
    assert (boost.action, boost.actor, boost.target) == (
        "repost",
        "admin@localhost:3000",
        "mastodonpy_test_2@localhost:3000",
    )
    assert boost.content_id == f"{base}/117020566092212359/statuses/117020569685834492"
    assert boost.ts == datetime(2026, 8, 1, 13, 49, 50, 77000, tzinfo=UTC)

    liked = f"{base}/117020565966271181/statuses/117020585802289163"
    like = events[f"like:mastodonpy_test@localhost:3000:{liked}"]
    assert (like.target, like.content_id) == ("mastodonpy_test@localhost:3000", liked)
    # favourited_by gives no time: the post's Snowflake id is the earliest the like can be.
    assert like.ts == datetime(2026, 8, 1, 13, 53, 54, 727000, tzinfo=UTC)
    assert like.ts_derived and not boost.ts_derived

    accounts = [r for r in records if isinstance(r, Account)]
    john = [a for a in accounts if a.display_name == "John Lennon"]
    assert john and john[0].account_id == "mastodonpy_test@localhost:3000"
    assert john[0].created_at == datetime(2026, 8, 1, tzinfo=UTC)
    assert john[0].is_bot is False
    assert {a.followers for a in accounts if a.account_id == "admin@localhost:3000"} >= {0, 1}


def test_api_account_option_adds_the_users_own_follows_and_favourites() -> None:
    me = "mastodonpy_test@localhost:3000"
    events = _by_id(_events(_read(API, account=me)))
    plain = _by_id(_events(_read(API)))
    extra = {k: v for k, v in events.items() if k not in plain}
    # The POST .../follow Relationship and the "favourited": true responses.
    assert extra.keys() == {
        f"follow:{me}:admin@localhost:3000",
        f"like:{me}:http://localhost:3000/ap/users/117020565966271181/statuses/117020586054490060",
    }


def test_api_single_files_and_detection() -> None:
    status = API / "bodies" / "test_status__01.json"
    assert detect(status).name == "mastodon"
    assert detect(API).name == "mastodon"
    events = _events(_read(status))
    assert [e.action for e in events] == ["post"]
    assert events[0].text == "Toot!"
    notifications = _events(_read(API / "bodies" / "test_notifications__01.json"))
    assert Counter(e.action for e in notifications) == {"post": 1, "mention": 1}
    # Bodies that say nothing on their own (an empty list, a counter) are not claimed alone.
    assert MastodonSource().sniff(API / "bodies" / "test_account_followers__01.json") == 0.0


def test_mixed_folder_is_not_claimed(tmp_path: Path) -> None:
    """A folder that also holds another network's data is left to per-file detection."""
    folder = tmp_path / "mixed"
    shutil.copytree(API / "bodies", folder)
    assert MastodonSource().sniff(folder) == pytest.approx(0.9)
    (folder / "zz_other.json").write_text('{"data": [{"id": "1", "text": "a tweet"}]}')
    assert MastodonSource().sniff(folder) == 0.0
    with pytest.raises(SourceError, match=r"zz_other\.json: expected a Mastodon API response"):
        _read(folder)


def test_api_bad_inputs(tmp_path: Path) -> None:
    unknown = tmp_path / "thing.json"
    unknown.write_text('{"hello": "world"}')
    with pytest.raises(SourceError) as info:
        _read(unknown)
    assert str(unknown) in str(info.value) and "keys hello" in str(info.value)

    body = json.loads((API / "bodies" / "test_home_tl__01.json").read_text())
    body[2] = {"not": "a status"}
    odd = tmp_path / "home.json"
    odd.write_text(json.dumps(body))
    records = _read(odd)
    rejected = [r for r in records if isinstance(r, Rejected)]
    assert len(rejected) == 1 and f"{odd}: record [3]:" in str(rejected[0].error)

    cut = tmp_path / "cut.json"
    cut.write_bytes((API / "bodies" / "test_home_tl__01.json").read_bytes()[:5000])
    with pytest.raises(SourceError, match=r"cut\.json: record \d+: not valid JSON"):
        _read(cut)


def test_ingest_is_idempotent(store: Store) -> None:
    first = ingest_path(store, OUTBOX)
    assert first.format == "mastodon"
    assert first.new == sum(ARCHIVE_COUNTS.values())
    again = ingest_path(store, OUTBOX)
    assert (again.new, again.duplicates) == (0, first.read)
    assert _store_counts(store) == ARCHIVE_COUNTS
    owner = store.con.execute(
        "SELECT handle, display_name FROM accounts WHERE account_id = ?", [OWNER]
    ).fetchall()
    assert owner == [("user_0001@social.example", "user_0001")]


def _dumps(doc: Any) -> bytes:
    """JSON of a mangled document; ``mangled_json`` can insert one ``{}``/``[]`` object in two
    places and then into itself, so a cycle is cut (as ``null``) rather than failing to encode."""
    return json.dumps(_acyclic(doc, ())).encode()


def _acyclic(node: Any, stack: tuple[int, ...]) -> Any:
    if isinstance(node, dict | list):
        if id(node) in stack:
            return None
        inner = (*stack, id(node))
        if isinstance(node, dict):
            return {k: _acyclic(v, inner) for k, v in node.items()}
        return [_acyclic(v, inner) for v in node]
    return node


# --- damaged input ---------------------------------------------------------------------------


def _small_outbox() -> dict[str, Any]:
    doc = orjson.loads((OUTBOX / "outbox.json").read_bytes())
    # Keep a reply with a mention, a hashtag post, a two-mention post and a boost.
    doc["orderedItems"] = [doc["orderedItems"][i] for i in (1, 2, 3, 14)]
    for activity in doc["orderedItems"]:
        if isinstance(activity["object"], dict):
            activity["object"].pop("replies", None)
            activity["object"].pop("contentMap", None)
    doc["@context"] = doc["@context"][:1]
    return doc


SMALL_OUTBOX = _small_outbox()
SMALL_OUTBOX_BYTES = orjson.dumps(SMALL_OUTBOX).replace(
    b'"orderedItems":[', b'"orderedItems":[],"orderedItems":[', 1
)
SMALL_LIKES = {
    **orjson.loads((OUTBOX / "likes.json").read_bytes()),
}
SMALL_LIKES["orderedItems"] = SMALL_LIKES["orderedItems"][::8]
API_BODY = (API / "bodies" / "test_notifications__01.json").read_bytes()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_small_inputs_read_cleanly(tmp_path: Path) -> None:
    events = _events(_read(_write(tmp_path, "outbox.json", SMALL_OUTBOX_BYTES)))
    assert Counter(e.action for e in events) == {"reply": 1, "post": 2, "mention": 2, "repost": 1}


@PROPERTY
@given(data=mangled_bytes(SMALL_OUTBOX_BYTES))
def test_mangled_outbox_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = _write(tmp_path_factory.mktemp("m"), "outbox.json", data)
    read_all_cleanly(MastodonSource(), path)


@PROPERTY
@given(doc=mangled_json(SMALL_OUTBOX))
def test_mangled_outbox_json(tmp_path_factory: pytest.TempPathFactory, doc: Any) -> None:
    path = _write(tmp_path_factory.mktemp("m"), "outbox.json", _dumps(doc))
    read_all_cleanly(MastodonSource(), path)


@PROPERTY
@given(
    doc=mangled_json(SMALL_LIKES),
    actor=mangled_json(json.loads((OUTBOX / "actor.json").read_text())),
)
def test_mangled_likes_and_actor(
    tmp_path_factory: pytest.TempPathFactory, doc: Any, actor: Any
) -> None:
    folder = tmp_path_factory.mktemp("m")
    _write(folder, "actor.json", _dumps(actor))
    _write(folder, "likes.json", _dumps(doc))
    read_all_cleanly(MastodonSource(), folder)


@PROPERTY
@given(data=mangled_bytes(API_BODY))
def test_mangled_api_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    read_all_cleanly(MastodonSource(), _write(tmp_path_factory.mktemp("m"), "n.json", data))


@PROPERTY
@given(doc=mangled_json(json.loads(API_BODY)))
def test_mangled_api_json(tmp_path_factory: pytest.TempPathFactory, doc: Any) -> None:
    path = _write(tmp_path_factory.mktemp("m"), "n.json", _dumps(doc))
    read_all_cleanly(MastodonSource(account="me@localhost:3000"), path)


def _zip_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("outbox.json", SMALL_OUTBOX_BYTES)
        zf.writestr("likes.json", orjson.dumps(SMALL_LIKES))
        zf.write(OUTBOX / "actor.json", "actor.json")
    return buffer.getvalue()


@PROPERTY
@given(data=mangled_bytes(_zip_bytes()))
def test_mangled_zip(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    read_all_cleanly(MastodonSource(), _write(tmp_path_factory.mktemp("m"), "a.zip", data))
