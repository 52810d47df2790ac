"""The Stack Exchange data dump importer, on the bundled conlang.meta dump (data/demo)."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import py7zr
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mangle import mangled_bytes, read_all_cleanly
from sway.errors import ConfigError, SourceError
from sway.events import Account, Event
from sway.sources import detect, stackexchange
from sway.sources.base import Rejected
from sway.sources.stackexchange import StackExchangeSource, site_key
from sway.store import Store
from sway.store.ingest import ingest_path
from sway.store.spool import spool_root

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "stackexchange-conlang-meta"
TABLES = ("Posts.xml", "Comments.xml", "Votes.xml", "Users.xml")

# Counted with grep on the dump files, not with the importer: questions
# `grep -c 'PostTypeId="1"' Posts.xml` = 54 (all with an OwnerUserId), answers
# `PostTypeId="2"` = 115, `grep -c '<row' Comments.xml` = 230, votes `VoteTypeId="2"` = 950
# + `VoteTypeId="3"` = 133, accepted `VoteTypeId="1"` = 11, favourites `VoteTypeId="5"` = 10,
# no bounties (`VoteTypeId="9"`); the folder README gives the same numbers.
EXPECTED = {"post": 54, "reply": 115, "comment": 230, "vote": 1083, "endorse": 11, "like": 10}
USERS = 272


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def records() -> list[Any]:
    return list(StackExchangeSource().read(DEMO))


@pytest.fixture(scope="module")
def events(records: list[Any]) -> dict[str, Event]:
    return {r.event_id: r for r in records if isinstance(r, Event)}


def test_counts_per_action(records: list[Any]) -> None:
    assert not [r for r in records if isinstance(r, Rejected)]
    actions = Counter(r.action for r in records if isinstance(r, Event))
    assert actions == EXPECTED
    assert len({r.account_id for r in records if isinstance(r, Account)}) == USERS


def test_question_is_a_post_with_its_tags(events: dict[str, Event]) -> None:
    question = events["conlang-meta:post:1"]
    assert question.action == "post"
    assert question.actor == "conlang-meta:user:14"
    assert question.target is None
    assert question.content_id == "conlang-meta:post:1"
    assert question.ts == _at("2018-02-06T20:19:50.957")
    assert question.tags == ("discussion", "on-topic")
    assert question.text is not None
    # Title first, then the body as text (HTML tags and entities gone).
    assert question.text.startswith("Are questions asked in conlangs accepted on this site?\n\n")
    assert "<p>" not in question.text and "&lt;" not in question.text


def test_answer_replies_to_the_question_owner(events: dict[str, Event]) -> None:
    answer = events["conlang-meta:post:65"]
    assert answer.action == "reply"
    assert answer.actor == "conlang-meta:user:30"
    assert answer.target == "conlang-meta:user:12"  # OwnerUserId of question 6
    assert answer.parent_id == "conlang-meta:post:6"
    assert answer.ts == _at("2018-02-09T12:46:53.440")
    assert answer.tags == ("discussion", "chat")  # the question's tags
    # Answer 2 was written by a deleted user (OwnerDisplayName="user23" only): anonymous.
    deleted = events["conlang-meta:post:2"]
    assert deleted.actor is None
    assert deleted.target == "conlang-meta:user:14"


def test_comments_react_to_the_post_owner(events: dict[str, Event]) -> None:
    comment = events["conlang-meta:comment:2"]
    assert comment.action == "comment"
    assert (comment.actor, comment.target) == ("conlang-meta:user:31", "conlang-meta:user:19")
    assert comment.parent_id == "conlang-meta:post:3"
    assert comment.content_id == "conlang-meta:comment:2"
    assert comment.ts == _at("2018-02-06T20:30:28.907")
    assert comment.text == "I assumed the icon is a short form of `artificial languages`."
    # Comment 5: by a deleted user, on answer 2 of a deleted user.
    orphan = events["conlang-meta:comment:5"]
    assert (orphan.actor, orphan.target, orphan.parent_id) == (None, None, "conlang-meta:post:2")


def test_votes(events: dict[str, Event]) -> None:
    up = events["conlang-meta:vote:1"]
    assert (up.action, up.actor, up.target, up.value) == ("vote", None, "conlang-meta:user:14", 1.0)
    assert up.content_id == "conlang-meta:post:1"
    assert up.ts == _at("2018-02-06T00:00:00")
    down = events["conlang-meta:vote:29"]
    assert (down.action, down.target, down.value) == ("vote", "conlang-meta:user:32", -1.0)
    favourite = events["conlang-meta:vote:43"]
    assert (favourite.action, favourite.actor, favourite.target) == (
        "like",
        "conlang-meta:user:31",
        "conlang-meta:user:12",
    )


def test_accepted_answer_is_an_endorsement_by_the_asker(events: dict[str, Event]) -> None:
    # Vote 21 accepts answer 8 (by user 2) of question 3 (by user 19).
    accepted = events["conlang-meta:vote:21"]
    assert accepted.action == "endorse"
    assert (accepted.actor, accepted.target) == ("conlang-meta:user:19", "conlang-meta:user:2")
    assert (accepted.content_id, accepted.parent_id) == (
        "conlang-meta:post:8",
        "conlang-meta:post:3",
    )
    assert accepted.ts == _at("2018-02-06T00:00:00")


def test_accounts(records: list[Any]) -> None:
    accounts = {r.account_id: r for r in records if isinstance(r, Account)}
    rand = accounts["conlang-meta:user:12"]
    assert rand.display_name == "Rand al'Thor"
    assert rand.reputation == 317
    assert rand.created_at == _at("2018-02-06T20:03:04")
    assert rand.is_bot is None
    community = accounts["conlang-meta:user:-1"]
    assert (community.display_name, community.is_bot, community.reputation) == (
        "Community",
        True,
        1,
    )


def _actions(path: Path, **options: str) -> Counter[str]:
    return Counter(
        r.action for r in StackExchangeSource(**options).read(path) if isinstance(r, Event)
    )


def test_zip_and_7z_archives(tmp_path: Path) -> None:
    zipped = tmp_path / "conlang.meta.stackexchange.com.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in TABLES:
            archive.write(DEMO / table, f"dump/{table}")
    sevenzip = tmp_path / "conlang.meta.stackexchange.com.7z"
    with py7zr.SevenZipFile(sevenzip, "w") as archive:
        for table in TABLES:
            archive.write(DEMO / table, table)
    for archive_path in (zipped, sevenzip):
        assert detect(archive_path).name == "stackexchange"
        assert _actions(archive_path) == EXPECTED
        first = next(r for r in StackExchangeSource().read(archive_path) if isinstance(r, Event))
        assert first.event_id.startswith("conlang-meta:")


def test_an_ingested_7z_is_extracted_into_the_store_spool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sevenzip = tmp_path / "conlang.meta.stackexchange.com.7z"
    with py7zr.SevenZipFile(sevenzip, "w") as archive:
        for table in TABLES:
            archive.write(DEMO / table, table)
    system_tmp = tmp_path / "tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    folders: list[Path] = []
    extract = stackexchange._extract_7z

    def spy(path: Path, into: Path) -> dict[str, tuple[str, Path]]:
        folders.append(into)
        return extract(path, into)

    monkeypatch.setattr(stackexchange, "_extract_7z", spy)
    db = tmp_path / "store" / "s.duckdb"
    db.parent.mkdir()
    with Store.open(db) as store:
        assert ingest_path(store, sevenzip).new == sum(EXPECTED.values())
    # Extracted inside the ingest's own spool, which went with it; nothing in $TMPDIR.
    assert [f.parent.parent for f in folders] == [spool_root(db)]
    assert list(spool_root(db).iterdir()) == []
    assert list(system_tmp.iterdir()) == []


def test_site_option_and_default(tmp_path: Path) -> None:
    named = next(r for r in StackExchangeSource(site="My Site").read(DEMO) if isinstance(r, Event))
    assert named.event_id.startswith("my-site:")
    with pytest.raises(ConfigError, match="site"):
        list(StackExchangeSource(site="--").read(DEMO))


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("conlang.meta.stackexchange.com.7z", "conlang-meta"),
        ("stackexchange-conlang-meta", "conlang-meta"),
        ("stackoverflow.com-Posts.7z", "stackoverflow"),
        ("askubuntu.com.zip", "askubuntu"),
        ("French.Meta.StackExchange.com", "french-meta"),
        ("", "stackexchange"),
    ],
)
def test_site_key(name: str, key: str) -> None:
    assert site_key(name) == key


def test_single_table_and_compressed_table(tmp_path: Path) -> None:
    # A lone Comments.xml: comments without post owners, the site from its folder.
    comments = _actions(DEMO / "Comments.xml")
    assert comments == {"comment": 230}
    folder = tmp_path / "stackexchange-conlang-meta"
    folder.mkdir()
    for table in ("Posts.xml", "Users.xml"):
        shutil.copy(DEMO / table, folder / table)
    # Without Votes.xml, acceptances come from Posts.AcceptedAnswerId (11 of them).
    accepted = [
        r
        for r in StackExchangeSource().read(folder)
        if isinstance(r, Event) and r.action == "endorse"
    ]
    assert len(accepted) == 11
    by_id = {e.event_id: e for e in accepted}
    answer8 = by_id["conlang-meta:accept:8"]
    assert (answer8.actor, answer8.target) == ("conlang-meta:user:19", "conlang-meta:user:2")
    import gzip

    (folder / "Comments.xml.gz").write_bytes(gzip.compress((DEMO / "Comments.xml").read_bytes()))
    assert _actions(folder)["comment"] == 230


def test_detect_picks_stackexchange() -> None:
    assert detect(DEMO).name == "stackexchange"
    assert detect(DEMO / "Posts.xml").name == "stackexchange"


def test_sniff_says_no_to_other_inputs(tmp_path: Path) -> None:
    source = StackExchangeSource()
    (tmp_path / "a.json").write_text('{"kind": "Listing"}')
    (tmp_path / "b.xml").write_text('<?xml version="1.0"?><rss version="2.0"><channel/></rss>')
    (tmp_path / "Posts.xml").write_text("not xml at all")
    for path in (tmp_path / "a.json", tmp_path / "b.xml", tmp_path / "missing", tmp_path):
        assert source.sniff(path) == 0.0
    assert source.sniff(tmp_path / "Posts.xml") == 0.0


def test_ingest_is_idempotent(store: Any) -> None:
    first = ingest_path(store, DEMO)
    assert (first.format, first.new, first.rejected, first.accounts) == (
        "stackexchange",
        sum(EXPECTED.values()),
        0,
        USERS,
    )
    again = ingest_path(store, DEMO)
    assert (again.new, again.duplicates) == (0, sum(EXPECTED.values()))
    assert store.scalar("SELECT count(*) FROM events") == sum(EXPECTED.values())
    rep = store.scalar("SELECT reputation FROM accounts WHERE account_id = 'conlang-meta:user:12'")
    assert rep == 317


# -- bad input ------------------------------------------------------------------------------

HEAD = '\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n'


def _dump(tmp_path: Path, posts: str, **tables: str) -> Path:
    folder = tmp_path / "site.stackexchange.com"
    folder.mkdir()
    (folder / "Posts.xml").write_text(HEAD + posts, encoding="utf-8")
    for name, text in tables.items():
        (folder / f"{name}.xml").write_text(HEAD + text, encoding="utf-8")
    return folder


def test_row_without_id_stops_with_file_and_line(tmp_path: Path) -> None:
    folder = _dump(
        tmp_path,
        "<posts>\r\n"
        '  <row Id="1" PostTypeId="1" CreationDate="2020-01-01T00:00:00" OwnerUserId="3" />\r\n'
        '  <row PostTypeId="2" ParentId="1" CreationDate="2020-01-02T00:00:00" />\r\n'
        "</posts>\r\n",
    )
    with pytest.raises(SourceError) as caught:
        list(StackExchangeSource().read(folder))
    error = caught.value
    assert (error.line, error.field) == (4, "Id")
    assert f"{folder / 'Posts.xml'}:4: Id: " in str(error)


def test_bad_field_rejects_only_its_row(tmp_path: Path) -> None:
    folder = _dump(
        tmp_path,
        "<posts>\r\n"
        '  <row Id="1" PostTypeId="1" CreationDate="yesterday" OwnerUserId="3" />\r\n'
        '  <row Id="2" PostTypeId="1" CreationDate="2020-01-02T00:00:00" OwnerUserId="x" />\r\n'
        '  <row Id="3" PostTypeId="1" CreationDate="2020-01-02T00:00:00" OwnerUserId="4" />\r\n'
        "</posts>\r\n",
    )
    records = list(StackExchangeSource().read(folder))
    rejected = [r for r in records if isinstance(r, Rejected)]
    assert [(r.error.line, r.error.field) for r in rejected] == [
        (3, "CreationDate"),
        (4, "OwnerUserId"),
    ]
    assert "Posts.xml:3: CreationDate: 'yesterday' is not an ISO 8601 instant" in str(
        rejected[0].error
    )
    assert [r.event_id for r in records if isinstance(r, Event)] == ["site:post:3"]


def test_malformed_xml_and_wrong_root(tmp_path: Path) -> None:
    truncated = _dump(
        tmp_path,
        '<posts>\r\n  <row Id="1" PostTypeId="1" CreationDate="2020-01-01T00:00:00" />\r\n'
        '  <row Id="2" PostTypeId="1" Crea',
    )
    with pytest.raises(SourceError, match=r"Posts\.xml:\d+: not well-formed XML"):
        list(StackExchangeSource().read(truncated))
    wrong = tmp_path / "other"
    wrong.mkdir()
    wrong_dump = _dump(wrong, "<comments>\r\n</comments>\r\n")
    with pytest.raises(SourceError, match=r"Posts\.xml:2: expected <posts> as the root"):
        list(StackExchangeSource().read(wrong_dump))


def test_truncated_archives(tmp_path: Path) -> None:
    zipped = tmp_path / "dump.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(DEMO / "Posts.xml", "Posts.xml")
    data = zipped.read_bytes()
    zipped.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        SourceError, match=r"dump\.zip: record central directory: not a readable zip archive"
    ):
        list(StackExchangeSource().read(zipped))
    sevenzip = tmp_path / "dump.7z"
    with py7zr.SevenZipFile(sevenzip, "w") as archive:
        archive.write(DEMO / "Posts.xml", "Posts.xml")
    data = sevenzip.read_bytes()
    sevenzip.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"dump\.7z: record [^:]+: not a readable 7z archive"):
        list(StackExchangeSource().read(sevenzip))


def test_empty_folder_is_not_a_dump(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no Stack Exchange dump tables"):
        list(StackExchangeSource().read(tmp_path))


# -- damaged input never escapes as anything but SourceError ---------------------------------


def _small_table(name: str, rows: int = 6) -> bytes:
    """The declaration, root, first rows and closing tag of one demo table."""
    lines = (DEMO / name).read_bytes().splitlines(keepends=True)
    return b"".join(lines[: 2 + rows] + lines[-1:])


SMALL = {name: _small_table(name) for name in TABLES}


@pytest.fixture(scope="module")
def workdir() -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


PROPERTY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(table=st.sampled_from(TABLES), data=st.data())
def test_mangled_tables(workdir: Path, table: str, data: st.DataObject) -> None:
    folder = workdir / "mangled-tables"
    folder.mkdir(exist_ok=True)
    for name, content in SMALL.items():
        (folder / name).write_bytes(data.draw(mangled_bytes(content)) if name == table else content)
    read_all_cleanly(StackExchangeSource(), folder)


def _archive(kind: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"dump.{kind}"
        if kind == "zip":
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, content in SMALL.items():
                    archive.writestr(name, content)
        else:
            with py7zr.SevenZipFile(path, "w") as archive:
                for name, content in SMALL.items():
                    archive.writestr(content, name)
        return path.read_bytes()


ARCHIVES = {kind: _archive(kind) for kind in ("zip", "7z")}


@PROPERTY
@given(kind=st.sampled_from(sorted(ARCHIVES)), data=st.data())
def test_mangled_archives(workdir: Path, kind: str, data: st.DataObject) -> None:
    path = workdir / f"mangled.{kind}"
    path.write_bytes(data.draw(mangled_bytes(ARCHIVES[kind])))
    source = StackExchangeSource()
    assert 0.0 <= source.sniff(path) <= 1.0
    read_all_cleanly(source, path)
