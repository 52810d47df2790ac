"""The WordPress WXR importer, on the WordPress importer's own test exports."""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mangle import mangled_bytes, read_all_cleanly
from sway.errors import SourceError
from sway.events import Account, Event
from sway.sources import detect
from sway.sources.base import Rejected
from sway.sources.wordpress import WordPressSource, blog_key
from sway.store.ingest import ingest_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wordpress-wxr"
THEME = FIXTURES / "theme-unit-test-data.subset.xml"
HOST = "wpthemetestdata.wordpress.com"

# Counted with a regular-expression script over the raw files (not with lxml): items with
# wp:post_type post/page and wp:status publish; their comments with wp:comment_approved 1,
# split by wp:comment_type (pingback/trackback) and wp:comment_parent (non-zero = reply).
EXPECTED = {
    "small-export.xml": {"post": 9, "comment": 1},
    "test-serialized-comment-meta.xml": {},  # its one post is a draft
    "theme-unit-test-data.subset.xml": {"post": 10, "comment": 17, "reply": 9, "quote": 4},
    "valid-wxr-1.0.xml": {"post": 6, "comment": 1},
    "valid-wxr-1.1.xml": {"post": 2, "comment": 1},
}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _commenter(email: str, name: str) -> str:
    """The documented id of a visitor: a hash of e-mail and name, never the address."""
    return f"{HOST}:commenter:" + hashlib.sha256(f"{email}\n{name}".encode()).hexdigest()[:16]


@pytest.fixture(scope="module")
def theme() -> list[Any]:
    return list(WordPressSource().read(THEME))


@pytest.fixture(scope="module")
def events(theme: list[Any]) -> dict[str, Event]:
    return {r.event_id: r for r in theme if isinstance(r, Event)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_per_action(name: str) -> None:
    records = list(WordPressSource().read(FIXTURES / name))
    assert not [r for r in records if isinstance(r, Rejected)]
    assert Counter(r.action for r in records if isinstance(r, Event)) == EXPECTED[name]


def test_post_with_its_topics(events: dict[str, Event]) -> None:
    post = events[f"{HOST}:post:1148"]
    assert post.action == "post"
    assert post.actor == f"{HOST}:user:themedemos"
    assert post.ts == _at("2012-01-03T17:11:37")  # wp:post_date_gmt
    # Categories and tags once each (tag "template" and category "Template" are one topic),
    # without WordPress's default "Uncategorized".
    assert post.tags == ("Classic", "comments", "template")
    assert post.lang == "en"
    assert post.text is not None and post.text.startswith("Template: Comments\n\n")


def test_left_out_items(events: dict[str, Event]) -> None:
    posts = {e.event_id for e in events.values() if e.action == "post"}
    # 1153 is scheduled (future), 1164 a draft, 611 an attachment, 1100/1723 menu items.
    for skipped in ("1153", "1164", "611", "1100", "1723"):
        assert f"{HOST}:post:{skipped}" not in posts
    # Comments 1015-1017 await moderation (wp:comment_approved 0).
    for pending in ("1015", "1016", "1017"):
        assert f"{HOST}:comment:{pending}" not in events


def test_comment_by_an_author_matched_by_email(events: dict[str, Event]) -> None:
    comment = events[f"{HOST}:comment:2"]
    assert comment.action == "comment"
    assert comment.actor == f"{HOST}:user:themedemos"  # the author with that e-mail
    assert comment.target == f"{HOST}:user:themereviewteam"  # dc:creator of post 51
    assert (comment.parent_id, comment.content_id) == (f"{HOST}:post:51", f"{HOST}:comment:2")
    assert comment.ts == _at("2023-01-16T07:17:56")
    assert comment.text == "This test post needs a comment."


def test_threaded_replies_target_the_parent_commenter(events: dict[str, Event]) -> None:
    reply = events[f"{HOST}:comment:905"]
    assert reply.action == "reply"
    assert reply.actor == _commenter("example@example.org", "Jane Bloggs")
    assert reply.target == _commenter("example@example.org", "John Κώστας Doe Τάδε")
    assert reply.parent_id == f"{HOST}:comment:904"
    assert reply.ts == _at("2013-03-14T15:01:21")  # wp:comment_date_gmt, not local time
    author_reply = events[f"{HOST}:comment:910"]
    assert author_reply.actor == f"{HOST}:user:themedemos"
    assert author_reply.target == _commenter("example@example.org", "Fred Bloggs")


def test_pingbacks_and_trackbacks_are_quotes_by_the_linking_site(
    events: dict[str, Event],
) -> None:
    quotes = sorted(
        (e.event_id, e.actor, e.target, e.parent_id) for e in events.values() if e.action == "quote"
    )
    assert quotes == [
        (
            f"{HOST}:comment:{n}",
            "tellyworth.wordpress.com",
            f"{HOST}:user:themedemos",
            f"{HOST}:post:1149",
        )
        for n in (921, 922, 923, 924)
    ]


def test_stray_characters_in_a_login(events: dict[str, Event]) -> None:
    assert events[f"{HOST}:post:1730"].actor == f"{HOST}:user:themereviewteam"


def test_accounts(theme: list[Any]) -> None:
    accounts = {r.account_id: r for r in theme if isinstance(r, Account)}
    assert accounts[f"{HOST}:user:themedemos"].display_name == "Theme Buster"
    assert accounts[f"{HOST}:user:themereviewteam"].handle == "themereviewteam"
    jane = accounts[_commenter("example@example.org", "Jane Bloggs")]
    assert (jane.display_name, jane.handle) == ("Jane Bloggs", None)
    assert accounts["tellyworth.wordpress.com"].handle == "tellyworth.wordpress.com"
    # 2 authors, 12 distinct (e-mail, name) commenters, 1 linking site.
    assert len(accounts) == 15
    # No e-mail address is stored anywhere.
    assert not [a for a in accounts.values() if "@" in "".join(str(f) for f in a)]


def test_wxr_1_0_without_author_blocks() -> None:
    records = list(WordPressSource().read(FIXTURES / "valid-wxr-1.0.xml"))
    by_id = {r.event_id: r for r in records if isinstance(r, Event)}
    post = by_id["localhost:post:4"]
    assert post.actor == "localhost:user:admin"
    assert post.tags == ("alpha", "news", "roar")  # category without domain, domain="tag"
    assert by_id["localhost:post:1"].tags is None  # only "Uncategorized"
    comment = by_id["localhost:comment:1"]
    assert (
        comment.actor == "localhost:commenter:" + hashlib.sha256(b"\nMr WordPress").hexdigest()[:16]
    )
    assert comment.target == "localhost:user:admin"
    accounts = [a for a in records if isinstance(a, Account)]
    assert accounts[0] == Account(
        network="wordpress", account_id="localhost:user:admin", handle="admin"
    )


def test_zip_of_exports_and_site_option(tmp_path: Path) -> None:
    zipped = tmp_path / "blog.wordpress.2024-01-01.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(THEME, "blog.000.xml")
        archive.write(FIXTURES / "valid-wxr-1.1.xml", "blog.001.xml")
    assert detect(zipped).name == "wordpress"
    actions = Counter(r.action for r in WordPressSource().read(zipped) if isinstance(r, Event))
    assert actions == Counter(EXPECTED["theme-unit-test-data.subset.xml"]) + Counter(
        EXPECTED["valid-wxr-1.1.xml"]
    )
    renamed = [
        r.event_id
        for r in WordPressSource(site="https://Blog.Example.com/").read(
            FIXTURES / "valid-wxr-1.1.xml"
        )
        if isinstance(r, Event)
    ]
    assert renamed[0] == "blog.example.com:post:1"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://wpthemetestdata.wordpress.com", "wpthemetestdata.wordpress.com"),
        ("http://Example.com:8080/Blog/", "example.com:8080/blog"),
        ("example.org", "example.org"),
        ("", None),
        ("http://", None),
    ],
)
def test_blog_key(url: str, key: str | None) -> None:
    assert blog_key(url) == key


def test_detect_picks_wordpress_for_every_fixture() -> None:
    for name in EXPECTED:
        assert detect(FIXTURES / name).name == "wordpress"


def test_sniff_says_no_to_other_inputs(tmp_path: Path) -> None:
    source = WordPressSource()
    (tmp_path / "feed.xml").write_text('<?xml version="1.0"?><rss version="2.0"><channel/></rss>')
    (tmp_path / "Posts.xml").write_text(
        '<?xml version="1.0"?>\n<posts>\n  <row Id="1" />\n</posts>'
    )
    for path in (tmp_path / "feed.xml", tmp_path / "Posts.xml", tmp_path / "none", tmp_path):
        assert source.sniff(path) == 0.0


def test_ingest_folder_is_idempotent(store: Any) -> None:
    # The fixture folder as it is: README.md, NOTE.md and LICENSE are skipped, each export is
    # recognised on its own.
    read = sum(sum(c.values()) for c in EXPECTED.values())
    first = ingest_path(store, FIXTURES)
    # small-export, valid-wxr-1.0 and valid-wxr-1.1 are all exports of http://localhost/:
    # posts 1, 2, 4, 6 and comment 1 of valid-wxr-1.0, posts 1, 2 and comment 1 of
    # valid-wxr-1.1 repeat ids already read from small-export.
    assert (first.format, first.new, first.duplicates, first.rejected) == (
        "wordpress",
        read - 8,
        8,
        0,
    )
    again = ingest_path(store, FIXTURES)
    assert (again.new, again.duplicates) == (0, read)


# -- bad input ------------------------------------------------------------------------------

WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <link>https://blog.example.org</link>
  {items}
</channel>
</rss>
"""
ITEM = """<item>
    <title>Hello</title>
    <pubDate>Tue, 18 Jan 2011 08:06:21 +0000</pubDate>
    <dc:creator>ann</dc:creator>
    {post_id}
    <wp:post_date_gmt>{gmt}</wp:post_date_gmt>
    <wp:status>publish</wp:status>
    <wp:post_type>post</wp:post_type>
    {comments}
  </item>"""
COMMENT = """<wp:comment>
      {comment_id}
      <wp:comment_author>Bob</wp:comment_author>
      <wp:comment_date_gmt>{gmt}</wp:comment_date_gmt>
      <wp:comment_approved>1</wp:comment_approved>
      <wp:comment_parent>0</wp:comment_parent>
    </wp:comment>"""


def _wxr(tmp_path: Path, *, post_id: str = "<wp:post_id>7</wp:post_id>", **kw: str) -> Path:
    comment = COMMENT.format(
        comment_id=kw.get("comment_id", "<wp:comment_id>3</wp:comment_id>"),
        gmt=kw.get("comment_gmt", "2011-01-19 10:00:00"),
    )
    item = ITEM.format(post_id=post_id, gmt=kw.get("gmt", "2011-01-18 08:06:21"), comments=comment)
    path = tmp_path / "export.xml"
    path.write_text(WXR.format(items=item), encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_made_up_export_reads(tmp_path: Path) -> None:
    records = [r for r in WordPressSource().read(_wxr(tmp_path)) if isinstance(r, Event)]
    assert [(e.event_id, e.action, e.actor, e.target) for e in records] == [
        ("blog.example.org:post:7", "post", "blog.example.org:user:ann", None),
        (
            "blog.example.org:comment:3",
            "comment",
            "blog.example.org:commenter:" + hashlib.sha256(b"\nBob").hexdigest()[:16],
            "blog.example.org:user:ann",
        ),
    ]


def test_zero_gmt_date_falls_back_to_pub_date(tmp_path: Path) -> None:
    records = list(WordPressSource().read(_wxr(tmp_path, gmt="0000-00-00 00:00:00")))
    post = next(r for r in records if isinstance(r, Event) and r.action == "post")
    assert post.ts == _at("2011-01-18T08:06:21")


def test_item_without_post_id_stops_with_file_and_line(tmp_path: Path) -> None:
    path = _wxr(tmp_path, post_id="")
    line = _line_of(path, "<item>")
    with pytest.raises(SourceError) as caught:
        list(WordPressSource().read(path))
    assert (caught.value.line, caught.value.field) == (line, "wp:post_id")
    assert str(caught.value).startswith(f"{path}:{line}: wp:post_id: item has no <wp:post_id>")


def test_comment_without_id_stops_with_file_and_line(tmp_path: Path) -> None:
    path = _wxr(tmp_path, comment_id="")
    line = _line_of(path, "<wp:comment>")
    with pytest.raises(SourceError) as caught:
        list(WordPressSource().read(path))
    assert f"export.xml:{line}: wp:comment_id: comment has no <wp:comment_id>" in str(caught.value)


def test_bad_date_rejects_only_its_record(tmp_path: Path) -> None:
    path = _wxr(tmp_path, comment_gmt="tomorrow")
    records = list(WordPressSource().read(path))
    rejected = [r for r in records if isinstance(r, Rejected)]
    assert len(rejected) == 1
    line = _line_of(path, "<wp:comment>")
    assert (rejected[0].error.line, rejected[0].error.field) == (line, "wp:comment_date_gmt")
    assert "'tomorrow' is not an ISO 8601 instant" in str(rejected[0].error)
    assert [r.action for r in records if isinstance(r, Event)] == ["post"]


def test_not_wxr_and_not_xml(tmp_path: Path) -> None:
    plain = tmp_path / "feed.xml"
    plain.write_text('<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>\n')
    with pytest.raises(SourceError, match=r"feed\.xml:2: expected a WordPress WXR export"):
        list(WordPressSource().read(plain))
    broken = tmp_path / "broken.xml"
    broken.write_bytes((FIXTURES / "valid-wxr-1.1.xml").read_bytes()[:3000])
    with pytest.raises(SourceError, match=r"broken\.xml:\d+: not well-formed XML"):
        list(WordPressSource().read(broken))


def test_channel_without_url(tmp_path: Path) -> None:
    path = _wxr(tmp_path)
    path.write_text(path.read_text().replace("<link>https://blog.example.org</link>", ""))
    with pytest.raises(SourceError, match="the channel names no blog URL"):
        list(WordPressSource().read(path))
    named = [r for r in WordPressSource(site="me.example").read(path) if isinstance(r, Event)]
    assert named[0].event_id == "me.example:post:7"


# -- damaged input never escapes as anything but SourceError ---------------------------------

SMALL = (FIXTURES / "valid-wxr-1.1.xml").read_bytes()
PROPERTY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def workdir() -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


@PROPERTY
@given(data=st.data())
def test_mangled_export(workdir: Path, data: st.DataObject) -> None:
    path = workdir / "mangled.xml"
    path.write_bytes(data.draw(mangled_bytes(SMALL)))
    source = WordPressSource()
    assert 0.0 <= source.sniff(path) <= 1.0
    read_all_cleanly(source, path)


def _zipped() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("blog.000.xml", SMALL)
        return path.read_bytes()


ZIPPED = _zipped()


@PROPERTY
@given(data=st.data())
def test_mangled_zip(workdir: Path, data: st.DataObject) -> None:
    path = workdir / "mangled.zip"
    path.write_bytes(data.draw(mangled_bytes(ZIPPED)))
    read_all_cleanly(WordPressSource(), path)
