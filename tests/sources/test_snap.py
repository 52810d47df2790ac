"""The SNAP edge-list and Twitter15/16 importer, on subsets of the real datasets."""

from __future__ import annotations

import gzip
import io
import tarfile
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mangle import mangled_bytes, read_all_cleanly
from sway.errors import ConfigError, SourceError
from sway.events import Event
from sway.sources import detect
from sway.sources.base import Rejected
from sway.sources.snap import SnapSource, network_for
from sway.store.ingest import ingest_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
COLLEGE = FIXTURES / "snap-collegemsg" / "CollegeMsg.txt"
EMAIL = FIXTURES / "email-temporal" / "email-Eu-core-temporal.first-quarter.renumbered.txt"
BITCOIN = FIXTURES / "snap-bitcoinotc" / "soc-sign-bitcoinotc.csv"
TWITTER = FIXTURES / "twitter15-16"
TAR = TWITTER / "twitter15_16_raw.tar.gz"
SHARED_CASCADE = "752965545528528898"  # in both Twitter15 and Twitter16


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _events(path: Path, **options: str) -> list[Event]:
    records = list(SnapSource(**options).read(path))
    assert not [r for r in records if isinstance(r, Rejected)]
    return [r for r in records if isinstance(r, Event)]


def _trees() -> dict[str, list[str]]:
    """Member name → lines of every tree file in the fixture tarball (read with tarfile)."""
    trees = {}
    with tarfile.open(TAR) as tf:
        for member in tf.getmembers():
            fh = tf.extractfile(member)
            if fh is not None and "/tree/" in member.name:
                trees[member.name] = fh.read().decode().splitlines()
    return trees


# -- edge lists ------------------------------------------------------------------------------


def test_collegemsg_messages_are_mentions() -> None:
    events = _events(COLLEGE)
    lines = COLLEGE.read_text().splitlines()
    assert len(lines) == 1000
    assert Counter((e.network, e.action) for e in events) == {("collegemsg", "mention"): 1000}
    assert events[0] == Event(
        network="collegemsg",
        event_id="1:2:1082040961:0",
        ts=_at("2004-04-15T14:56:01"),
        actor="1",
        action="mention",
        target="2",
    )
    # Lines 966 and 967 are the same message sent twice in one second: two events.
    assert lines[965] == lines[966] == "97 228 1082878605"
    assert [e.event_id for e in events[965:967]] == ["97:228:1082878605:0", "97:228:1082878605:1"]
    assert len({e.event_id for e in events}) == 1000
    assert all(e.content_id is None and e.value is None for e in events)


def test_email_relative_times_and_epoch() -> None:
    events = _events(EMAIL)
    rows = [line.split() for line in EMAIL.read_text().splitlines()]
    assert len(events) == len(rows) == 500
    assert Counter((e.network, e.action) for e in events) == {("email", "mention"): 500}
    assert (events[0].event_id, events[0].ts) == ("1:2:0:0", _at("1970-01-01T00:00:00"))
    assert (events[-1].actor, events[-1].target, events[-1].ts) == (
        "176",
        "16",
        _at("1970-01-01T11:48:01"),  # 42,481 s
    )
    shifted = _events(EMAIL, epoch="2003-10-01T00:00:00Z")
    assert shifted[-1].ts == _at("2003-10-01T11:48:01")
    # The id keeps the time as written, so it does not depend on the epoch chosen.
    assert [e.event_id for e in shifted] == [e.event_id for e in events]
    assert _events(EMAIL, epoch="1065052800")[0].ts == _at("2003-10-02T00:00:00")


def test_bitcoin_ratings_are_endorsements_with_a_value() -> None:
    events = _events(BITCOIN)
    ratings = [int(line.split(",")[2]) for line in BITCOIN.read_text().splitlines()]
    assert len(events) == len(ratings) == 1200
    assert Counter((e.network, e.action) for e in events) == {("bitcoinotc", "endorse"): 1200}
    assert [e.value for e in events] == [float(r) for r in ratings]
    assert sum(e.value is not None and e.value < 0 for e in events) == 6
    assert events[0] == Event(
        network="bitcoinotc",
        event_id="6:2:1289241912:0",
        ts=_at("2010-11-08T18:45:12"),
        actor="6",
        action="endorse",
        target="2",
        value=4.0,
    )
    worst = events[1105]  # line 1106: 101,315,-10,1303803391
    assert (worst.actor, worst.target, worst.value, worst.ts) == (
        "101",
        "315",
        -10.0,
        _at("2011-04-26T07:36:31"),
    )


def test_options_network_and_action() -> None:
    events = _events(BITCOIN, network="otc", action="vote")
    assert {(e.network, e.action) for e in events} == {("otc", "vote")}


@pytest.mark.parametrize(
    ("name", "network"),
    [
        ("CollegeMsg.txt", "collegemsg"),
        ("email-Eu-core-temporal.first-quarter.renumbered.txt", "email"),
        ("soc-sign-bitcoinotc.csv.gz", "bitcoinotc"),
        ("sx-stackoverflow.txt", "stackoverflow"),
        ("2024_edges.txt", "snap"),
    ],
)
def test_network_from_the_file_name(name: str, network: str) -> None:
    assert network_for(name) == network


def test_headers_comments_and_konect_weights(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text("SOURCE,TARGET,RATING,TIME\n6,2,4,1289241912\n6,5,-2,1289241942.5\n")
    events = _events(path)
    assert [(e.event_id, e.value) for e in events] == [
        ("6:2:1289241912:0", 4.0),
        ("6:5:1289241942.5:0", -2.0),
    ]
    assert events[1].ts == datetime(2010, 11, 8, 18, 45, 42, 500000, tzinfo=UTC)
    konect = tmp_path / "out.opsahl-ucsocial"
    konect.write_text("% sym unweighted\n% 59835 1899 1899\n1 2 1 1082040961\n")
    (event,) = _events(konect)
    assert (event.network, event.action, event.value) == ("opsahl", "mention", 1.0)


# -- Twitter15/16 trees ----------------------------------------------------------------------


def _independent_tree_counts() -> tuple[Counter[str], Counter[str]]:
    """Rows and distinct interactions per action, from the raw tree lines (no importer)."""
    read: Counter[str] = Counter()
    seen: set[tuple[str, ...]] = set()
    for name, lines in _trees().items():
        occurrences: Counter[str] = Counter()
        for line in lines:
            if line.startswith("['ROOT'"):
                read["post"] += 1
                seen.add(("post", line.split("->")[1].split("'")[3]))
            else:
                read["repost"] += 1
                occurrences[line] += 1
                # The same cascade in Twitter15 and Twitter16 is the same interactions.
                seen.add(("repost", name.rsplit("/", 1)[1], line, str(occurrences[line])))
    return read, Counter(kind for kind, *_ in seen)


# 71 + 164 + 164 + 91 lines, one ROOT line each; the 164-line tree is in both datasets.
TREE_READ = {"post": 4, "repost": 486}
TREE_UNIQUE = {"post": 3, "repost": 486 - 163}


def test_tree_counts_per_action() -> None:
    events = _events(TAR)
    read = Counter(e.action for e in events)
    unique = Counter(e.action for e in {e.event_id: e for e in events}.values())
    assert read == TREE_READ
    assert unique == TREE_UNIQUE
    assert (read, unique) == _independent_tree_counts()
    assert {e.network for e in events} == {"twitter"}


def test_raw_trees_and_flattened_list_give_the_same_events() -> None:
    raw = _events(TAR)
    flat = _events(TWITTER / "twitter15_edges.tsv.gz") + _events(TWITTER / "twitter16_edges.tsv.gz")
    assert len(flat) == len(raw) == 490
    assert Counter(raw) == Counter(flat)


@pytest.fixture(scope="module")
def cascade() -> dict[str, Event]:
    return {e.event_id: e for e in _events(TWITTER / "twitter15_edges.tsv.gz")}


def test_tree_edges_hand_checked(cascade: dict[str, Event]) -> None:
    root = SHARED_CASCADE
    # The ROOT line (line 6 of the tree) names an earlier tweet than the file name: the post is
    # that tweet, dated by its own Snowflake id (18:34:54.063).
    assert cascade["752934272500109313"] == Event(
        network="twitter",
        event_id="752934272500109313",
        ts=_at("2016-07-12T18:34:54"),
        actor="14499829",
        action="post",
        content_id="752934272500109313",
    )
    # The same self-edge is on 11 lines of the tree (1, 3, 53, ..., 138): 11 events, which the
    # flattened list dates 18:34:53 (the cascade's time plus the delay).
    same = f"cascade:{root}:14499829:752934272500109313:14499829:752934272500109313:-124.27"
    for n in range(11):
        assert cascade[f"{same}:{n}"] == Event(
            network="twitter",
            event_id=f"{same}:{n}",
            ts=_at("2016-07-12T18:34:53"),
            actor="14499829",
            action="repost",
            target="14499829",
            content_id=root,
            parent_id="752934272500109313",
        )
    assert f"{same}:11" not in cascade
    # A child with its own tweet id (a reply, quote or retweet), line 2 of the tree.
    own = (
        f"cascade:{root}:14499829:752934272500109313:748133634234851328:752936277650145280:-116.3:0"
    )
    event = cascade[own]
    assert (event.actor, event.target, event.content_id, event.parent_id, event.ts) == (
        "748133634234851328",
        "14499829",
        root,
        "752934272500109313",
        _at("2016-07-12T18:42:52"),
    )


def test_one_tree_file_named_or_not_by_its_tweet(tmp_path: Path, cascade: dict[str, Event]) -> None:
    lines = _trees()[f"twitter15/tree/{SHARED_CASCADE}.txt"]
    named = tmp_path / f"{SHARED_CASCADE}.txt"
    named.write_text("\n".join(lines) + "\n")
    from_file = _events(named)
    assert len(from_file) == 164
    assert all(cascade[e.event_id] == e for e in from_file)
    # Without the tweet id for a name, the ROOT line (line 6 here) names the cascade.
    unnamed = tmp_path / "tree.txt"
    unnamed.write_text("\n".join(lines) + "\n")
    events = _events(unnamed)
    assert len(events) == 164
    assert {e.content_id for e in events if e.action == "repost"} == {"752934272500109313"}
    assert detect(named).name == detect(unnamed).name == "snap"


def test_the_original_zip_and_an_unpacked_folder(tmp_path: Path) -> None:
    trees = _trees()
    raw = _events(TAR)
    # As published: rumdetect2017.zip with label.txt and source_tweets.txt beside tree/.
    members = {f"rumdetect2017/{name}": "\n".join(lines) + "\n" for name, lines in trees.items()}
    members["rumdetect2017/twitter15/label.txt"] = "unverified:576829262927413248\n"
    members["rumdetect2017/twitter15/source_tweets.txt"] = "576829262927413248\tsome text\n"
    archive = tmp_path / "rumdetect2017.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    assert detect(archive).name == "snap"
    assert _events(archive) == raw
    unpacked = tmp_path / "unpacked"
    for name, text in members.items():
        (unpacked / name).parent.mkdir(parents=True, exist_ok=True)
        (unpacked / name).write_text(text)
    assert detect(unpacked).name == "snap"
    assert Counter(_events(unpacked)) == Counter(raw)


def test_konect_archive_of_an_edge_list(tmp_path: Path) -> None:
    path = tmp_path / "download.tsv.opsahl-ucsocial.tar.bz2"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:bz2") as tf:
        for name, text in {
            "opsahl-ucsocial/README.opsahl-ucsocial": "UC Irvine messages\n",
            "opsahl-ucsocial/out.opsahl-ucsocial": "% sym unweighted\n1 2 1 1082040961\n",
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tf.addfile(info, io.BytesIO(text.encode()))
    path.write_bytes(buffer.getvalue())
    (event,) = _events(path)
    assert (event.network, event.event_id, event.value) == ("opsahl", "1:2:1082040961:0", 1.0)


# -- detection and ingest --------------------------------------------------------------------

FOLDERS = {
    # folder: (events read, new events, actions)
    "snap-collegemsg": (1000, 1000, {"mention": 1000}),
    "email-temporal": (500, 500, {"mention": 500}),
    "snap-bitcoinotc": (1200, 1200, {"endorse": 1200}),
    # the raw tarball and the two flattened lists hold the same 490 rows
    "twitter15-16": (980, 326, {"post": 3, "repost": 323}),
}


def test_detect_picks_snap_for_every_fixture() -> None:
    for folder in FOLDERS:
        assert detect(FIXTURES / folder).name == "snap", folder
    for path in (COLLEGE, EMAIL, BITCOIN, TAR, *TWITTER.glob("*_edges.tsv.gz")):
        assert detect(path).name == "snap", path


def test_sniff_says_no_to_other_inputs(tmp_path: Path) -> None:
    source = SnapSource()
    samples = {
        "tweets.json": '{"data": [{"id": "1"}]}\n',
        "posts.xml": '<?xml version="1.0"?>\n<posts>\n  <row Id="1" />\n</posts>\n',
        "topics.csv": "id,name,parent\n1,Music,\n2,Jazz,1\n",
        "labels.txt": "true:553221600955621376\nfalse:576829262927413248\n",
        "pairs.txt": "1 2\n3 4\n",
    }
    for name, text in samples.items():
        (tmp_path / name).write_text(text)
        assert source.sniff(tmp_path / name) == 0.0, name
    assert source.sniff(tmp_path / "missing.txt") == 0.0
    assert source.sniff(tmp_path) == 0.0  # a folder of other things
    (tmp_path / "empty").mkdir()
    assert source.sniff(tmp_path / "empty") == 0.0


@pytest.mark.parametrize("folder", list(FOLDERS))
def test_ingest_folder_is_idempotent(store: Any, folder: str) -> None:
    read, new, actions = FOLDERS[folder]
    first = ingest_path(store, FIXTURES / folder)
    assert (first.format, first.new, first.duplicates, first.rejected, first.accounts) == (
        "snap",
        new,
        read - new,
        0,
        0,
    )
    again = ingest_path(store, FIXTURES / folder)
    assert (again.new, again.duplicates) == (0, read)
    assert dict(store.rows("SELECT action, count(*) FROM events GROUP BY action")) == actions


# -- bad input -------------------------------------------------------------------------------


def _rejections(path: Path) -> list[str]:
    return [str(r.error) for r in SnapSource().read(path) if isinstance(r, Rejected)]


def test_bad_edge_lines_reject_only_themselves(tmp_path: Path) -> None:
    path = tmp_path / "CollegeMsg.txt"
    path.write_text("1 2 1082040961\n3 4 later\n5 6\n7 8 9 10 11\n9 10 1e400\n11 12 1082040962\n")
    assert _rejections(path) == [
        f"{path}:2: ts: expected a time in seconds such as 1082040961, found 'later'",
        f"{path}:3: line: expected 'src dst ts' (whitespace-separated, 3 or 4 fields), "
        "found 2 field(s)",
        f"{path}:4: line: expected 'src dst ts' (whitespace-separated, 3 or 4 fields), "
        "found 5 field(s)",
        f"{path}:5: ts: expected a time in seconds such as 1082040961, found '1e400'",
    ]
    assert [e.event_id for e in _events_lenient(path)] == ["1:2:1082040961:0", "11:12:1082040962:0"]


def _events_lenient(path: Path) -> list[Event]:
    return [r for r in SnapSource().read(path) if isinstance(r, Event)]


def test_bad_rating_names_the_value(tmp_path: Path) -> None:
    path = tmp_path / "soc-sign-bitcoinotc.csv"
    path.write_text("6,2,4,1289241912\n6,5,good,1289241942\n,15,1,1289243140\n")
    assert _rejections(path) == [
        f"{path}:2: value: expected a number such as -10 or 4, found 'good'",
        f"{path}:3: src: expected an id, found nothing",
    ]


def test_truncated_gzip_edge_list(tmp_path: Path) -> None:
    data = gzip.compress(COLLEGE.read_bytes())
    path = tmp_path / "CollegeMsg.txt.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError) as info:
        list(SnapSource().read(path))
    assert str(info.value).startswith(f"{path}:")
    assert "truncated compressed data" in str(info.value)


def test_bad_rows_of_the_flattened_list(tmp_path: Path) -> None:
    rows = gzip.decompress((TWITTER / "twitter16_edges.tsv.gz").read_bytes()).splitlines(True)
    header, good, cut, late = rows[0], rows[1], rows[2], rows[3]
    path = tmp_path / "twitter16_edges.tsv"
    bad_time = late.replace(late.split(b"\t")[6], b"yesterday")
    path.write_bytes(header + good + cut[:40] + b"\n" + bad_time)
    assert _rejections(path) == [
        f"{path}:3: line: expected 8 tab-separated fields, found 3",
        f"{path}:4: est_utc: 'yesterday' is not an ISO 8601 instant (expected e.g. "
        "2024-05-01T12:00:00Z)",
    ]


def test_bad_tree_lines_inside_the_archive(tmp_path: Path) -> None:
    tree = "twitter16/tree/553221600955621376.txt"
    lines = [
        "['ROOT', 'ROOT', '0.0']->['1', '553221600955621376', '0.0']",
        "['1', '553221600955621376', '0.0']->['2', '553221600955621376', '0.5']",
        "['1', '553221600955621376', '0.0']=>['3', '553221600955621376', '0.7']",
        "['1', '553221600955621376', '0.0']->['4', '553221600955621376', 'soon']",
    ]
    path = tmp_path / "trees.tar.gz"
    _tar(path, {"README.txt": "not a tree\n", tree: "\n".join(lines)})
    records = list(SnapSource().read(path))
    errors = [str(r.error) for r in records if isinstance(r, Rejected)]
    assert len(errors) == 2
    assert errors[0].startswith(
        f"{path}[{tree}]:3: line: expected ['uid', 'tweet_id', 'delay']->['uid', 'tweet_id', "
        "'delay'], found \"['1', '553221600955621376', '0.0']=>"
    )
    assert errors[1] == (
        f"{path}[{tree}]:4: delay_min: expected a delay in minutes such as 0.53, found 'soon'"
    )
    assert [e.actor for e in records if isinstance(e, Event)] == ["1", "2"]


def test_truncated_tar_archive(tmp_path: Path) -> None:
    data = TAR.read_bytes()
    path = tmp_path / "twitter15_16_raw.tar.gz"
    path.write_bytes(data[: len(data) * 9 // 10])
    with pytest.raises(SourceError) as info:
        list(SnapSource().read(path))
    assert str(info.value).startswith(f"{path}: record member twitter16/tree/")
    assert str(info.value).endswith(
        "truncated or corrupt tar archive (ReadError: unexpected end of data)"
    )
    # Cut so short that not even the first header is there.
    path.write_bytes(data[:100])
    with pytest.raises(SourceError, match="truncated or corrupt tar archive"):
        list(SnapSource().read(path))


def test_unnamed_tree_without_root(tmp_path: Path) -> None:
    path = tmp_path / "tree.txt"
    path.write_text("['1', '553221600955621376', '0.0']->['2', '553221600955621376', '1.0']\n")
    with pytest.raises(SourceError, match=r"tree\.txt: cannot tell the cascade's source tweet"):
        list(SnapSource().read(path))


def test_folder_with_a_foreign_file(tmp_path: Path) -> None:
    (tmp_path / "CollegeMsg.txt").write_bytes(COLLEGE.read_bytes()[:200])
    (tmp_path / "more.json").write_text('{"a": 1}')
    assert SnapSource().sniff(tmp_path) == 0.0
    with pytest.raises(SourceError, match=r"more\.json: not an edge list"):
        list(SnapSource().read(tmp_path))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"network": "Email"}, "network must be a lower-case name"),
        ({"action": "post"}, "action must be one of"),
        ({"action": "retweet"}, "action must be one of"),
        ({"epoch": "last tuesday"}, "epoch: 'last tuesday' is not an ISO 8601 instant"),
        ({"epoch": "inf"}, "epoch must be finite"),
        ({"weight": "1"}, "has no option 'weight'"),
    ],
)
def test_bad_options(options: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SnapSource(**options)


# -- damaged input never escapes as anything but SourceError ---------------------------------


def _tar(path: Path | None, members: dict[str, str], *, compress: bool = True) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tf:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    raw = gzip.compress(buffer.getvalue(), mtime=0) if compress else buffer.getvalue()
    if path is not None:
        path.write_bytes(raw)
    return raw


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return buffer.getvalue()


TREE_LINES = _trees()["twitter15/tree/576829262927413248.txt"][:12]
TREE_TEXT = "\n".join(TREE_LINES) + "\n"
TSV_TEXT = "".join(
    gzip.decompress((TWITTER / "twitter16_edges.tsv.gz").read_bytes())
    .decode()
    .splitlines(True)[:25]
)
SAMPLES = {
    "CollegeMsg.txt": b"".join(COLLEGE.read_bytes().splitlines(True)[:25]),
    "soc-sign-bitcoinotc.csv": b"".join(BITCOIN.read_bytes().splitlines(True)[:25]),
    "576829262927413248.txt": TREE_TEXT.encode(),
    "edges.tsv": TSV_TEXT.encode(),
    "trees.tar.gz": _tar(None, {"README.txt": "x\n", "t15/tree/576829262927413248.txt": TREE_TEXT}),
    "trees.tar": _tar(None, {"t15/tree/576829262927413248.txt": TREE_TEXT}, compress=False),
    "trees.zip": _zip({"t15/label.txt": "true:1\n", "t15/tree/576829262927413248.txt": TREE_TEXT}),
}
PROPERTY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def test_samples_read_cleanly(workdir: Path) -> None:
    # The undamaged samples are read without a single rejection.
    for name, data in SAMPLES.items():
        path = workdir / name
        path.write_bytes(data)
        records = read_all_cleanly(SnapSource(), path)
        assert records and all(isinstance(r, Event) for r in records), name
        assert SnapSource().sniff(path) > 0, name


@pytest.mark.parametrize("name", list(SAMPLES))
@PROPERTY
@given(data=st.data())
def test_mangled(workdir: Path, name: str, data: st.DataObject) -> None:
    path = workdir / name
    path.write_bytes(data.draw(mangled_bytes(SAMPLES[name])))
    source = SnapSource()
    assert 0.0 <= source.sniff(path) <= 1.0
    read_all_cleanly(source, path)
