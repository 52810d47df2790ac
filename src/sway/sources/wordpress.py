"""WordPress eXtended RSS (WXR 1.0, 1.1, 1.2): the file of *Tools → Export* (or the ``.zip`` of
such files that WordPress.com sends).

Ids are prefixed with the blog's host (and path, for a blog in a sub-folder) from the export's
``<wp:base_blog_url>`` or ``<link>``, or with ``-o site=...``:

===================================  ===========================================================
``{host}:post:{post_id}``            a published post or page (``post``)
``{host}:comment:{comment_id}``      an approved comment: ``comment`` on the post (to its author),
                                     ``reply`` to another comment (to that comment's author), or
                                     ``quote`` for a pingback / trackback (a page elsewhere
                                     linking to the post; the actor is the linking site's host)
``{host}:user:{login}``              a blog author (``wp:author`` or ``dc:creator``)
``{host}:commenter:{hash}``          a visitor who commented: a hash of e-mail and name, so the
                                     e-mail address itself is never stored
===================================  ===========================================================

Drafts, scheduled and private posts, attachments, menu items and unapproved comments are left
out. Parsing streams with ``lxml.etree.iterparse``; each ``<item>`` is dropped once read. See
``docs/formats.md``.
"""

from __future__ import annotations

import hashlib
import html
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any, ClassVar
from urllib.parse import urlsplit

from lxml import etree

from sway.errors import ConfigError, SourceError
from sway.events import Account, Action, Event, parse_ts
from sway.sources._archive import ZIP_ERRORS, check_zip, zip_opener
from sway.sources._html import html_text
from sway.sources._io import open_binary, peek
from sway.sources.base import Record, Rejected, Source

__all__ = ["WordPressSource", "blog_key"]

NETWORK = "wordpress"

_WP_NS_RE = re.compile(r"^https?://wordpress\.org/export/\d+\.\d+/$")
_WXR_HEAD_RE = re.compile(rb"xmlns:wp\s*=\s*[\"']https?://wordpress\.org/export/\d+\.\d+/[\"']")
_DC_NS = "http://purl.org/dc/elements/1.1/"
_CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_SLUG_RE = re.compile(r"[^a-z0-9.:/_-]+")

#: Post types that are content people react to, and the one status that is public.
_CONTENT_TYPES = frozenset({"post", "page"})
_PUBLISHED = "publish"
#: Comment types: plain comments, and links from elsewhere.
_COMMENT_TYPES = frozenset({"", "comment"})
_LINK_TYPES = frozenset({"pingback", "trackback", "webmention"})
#: Taxonomies that describe what a post is about (not post formats, menus or custom ones).
_TOPIC_DOMAINS = frozenset({None, "category", "post_tag", "tag"})
#: WordPress's default category, meaning "none".
_NO_CATEGORY = "uncategorized"
_ZERO_DATE = "0000-00-00 00:00:00"
#: Accounts already emitted are remembered up to this many, then forgotten (emitting one
#: twice is harmless: the store merges them).
_SEEN_LIMIT = 100_000
#: Characters WordPress never keeps in a login (``sanitize_user`` strips tags and entities);
#: hand-edited exports do carry strays such as ``>admin``.
_LOGIN_JUNK_RE = re.compile(r"[<>\"'&]")


def blog_key(url: str) -> str | None:
    """``https://Example.com/blog/`` → ``example.com/blog``; ``None`` if there is no host."""
    text = url.strip()
    if not text:
        return None
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    key = host.lower() + (f":{port}" if port else "") + parts.path.rstrip("/").lower()
    return key


def _split(tag: Any) -> tuple[str | None, str]:
    if not isinstance(tag, str):
        return None, ""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return None, tag


class _Item:
    """The fields of one ``<item>`` (a post), read from its children."""

    def __init__(self, element: Any) -> None:
        self.line: int = element.sourceline or 0
        self.wp: dict[str, str] = {}
        self.other: dict[str, str] = {}
        self.categories: list[tuple[str | None, str | None, str]] = []
        self.comments: list[tuple[int, dict[str, str]]] = []
        for child in element:
            ns, local = _split(child.tag)
            if not local:
                continue
            text = child.text or ""
            if ns is not None and _WP_NS_RE.match(ns):
                if local == "comment":
                    self.comments.append((child.sourceline or self.line, _wp_fields(child)))
                elif local != "postmeta":
                    self.wp[local] = text
            elif ns is None and local == "category":
                self.categories.append((child.get("domain"), child.get("nicename"), text))
            elif ns == _DC_NS and local == "creator":
                self.other["creator"] = text
            elif ns == _CONTENT_NS and local == "encoded":
                self.other["content"] = text
            elif ns is None:
                self.other[local] = text


def _wp_fields(element: Any) -> dict[str, str]:
    fields: dict[str, str] = {}
    for child in element:
        ns, local = _split(child.tag)
        if local and ns is not None and _WP_NS_RE.match(ns) and local != "commentmeta":
            fields[local] = child.text or ""
    return fields


class _BadField(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _date(gmt: str | None, rfc822: str | None, local: str | None, field: str) -> datetime:
    """The UTC time from ``*_date_gmt``, else the RSS ``pubDate``, else the local ``*_date``."""
    if gmt and gmt.strip() and gmt.strip() != _ZERO_DATE:
        try:
            return parse_ts(gmt.strip())
        except ValueError as exc:
            raise _BadField(field, str(exc)) from None
    if rfc822 and rfc822.strip():
        try:
            return parse_ts(parsedate_to_datetime(rfc822.strip()))
        except (TypeError, ValueError, IndexError):
            pass
    if local and local.strip() and local.strip() != _ZERO_DATE:
        try:
            # No offset is exported with the local time: taken as UTC (at worst hours off).
            return parse_ts(local.strip())
        except ValueError as exc:
            raise _BadField(field, str(exc)) from None
    raise _BadField(field, "expected a date such as 2011-01-18 07:40:14, found none")


def _login(raw: str) -> str:
    return _LOGIN_JUNK_RE.sub("", raw).strip()


def _tags(categories: list[tuple[str | None, str | None, str]]) -> tuple[str, ...] | None:
    """Category and tag names, in order, once each (a tag ``template`` and a category
    ``Template`` are one topic)."""
    names: dict[str, str] = {}
    for domain, nicename, text in categories:
        name = text.strip()
        if domain not in _TOPIC_DOMAINS or not name:
            continue
        if (nicename or name).strip().lower() == _NO_CATEGORY:
            continue
        names.setdefault(name.casefold(), name)
    return tuple(names.values()) or None


class WordPressSource(Source):
    """Posts, pages, comments, threaded replies and pingbacks of a WordPress WXR export."""

    name = "wordpress"
    description = "WordPress WXR export (Tools → Export), WXR 1.0-1.2, or a .zip of WXR files"
    options: ClassVar[Mapping[str, str]] = {
        "site": "id prefix for the blog (default: the host of the blog URL in the export)",
    }

    def sniff(self, path: Path) -> float:
        try:
            if path.is_dir():
                return 0.0
            head = peek(path, 8192)
            if head.startswith(_ZIP_MAGIC):
                with zipfile.ZipFile(path) as archive:
                    members = _zip_xml_members(archive)[:5]
                    if members and all(_is_wxr(_zip_peek(archive, m)) for m in members):
                        return 0.9
                return 0.0
            return 0.95 if _is_wxr(head) else 0.0
        except Exception:
            return 0.0

    def read(self, path: Path) -> Iterator[Record]:
        site = self.params.get("site")
        if site is not None and not blog_key(site):
            raise ConfigError(f"option site={site!r}: expected a host such as example.com")
        head = peek(path, 8)
        if not head.startswith(_ZIP_MAGIC):
            yield from _Export(str(path), lambda: open_binary(path), site).records()
            return
        try:
            archive = zipfile.ZipFile(path)
        except ZIP_ERRORS as exc:
            raise SourceError(f"not a readable zip archive ({exc})", path=path) from None
        with archive:
            check_zip(archive, path)
            members = _zip_xml_members(archive)
            if not members:
                raise SourceError(
                    "the zip holds no .xml file; expected WordPress WXR exports", path=path
                )
            for member in members:
                yield from _Export(
                    f"{path}/{member}", zip_opener(archive, member, path), site
                ).records()


def _is_wxr(head: bytes) -> bool:
    return b"<rss" in head and _WXR_HEAD_RE.search(head) is not None


def _zip_xml_members(archive: zipfile.ZipFile) -> list[str]:
    return sorted(
        n for n in archive.namelist() if n.lower().endswith(".xml") and not n.endswith("/")
    )


def _zip_peek(archive: zipfile.ZipFile, member: str) -> bytes:
    with archive.open(member) as fh:
        return fh.read(8192)


class _Export:
    """One WXR document: its channel header, its authors, then its items, streamed."""

    def __init__(self, where: str, open_file: Callable[[], IO[bytes]], site: str | None) -> None:
        self.where = where
        self.open_file = open_file
        self.site = blog_key(site) if site else None
        self.urls: dict[str, str] = {}
        self.lang: str | None = None
        self.authors: dict[str, str] = {}  # login → account id
        self.author_ids: dict[str, str] = {}  # wp:author_id → account id
        self.author_emails: dict[str, str] = {}  # lower-case e-mail → account id
        self.seen: set[str] = set()

    def records(self) -> Iterator[Record]:
        with self.open_file() as fh:
            context = etree.iterparse(
                fh,
                events=("end",),
                resolve_entities=False,
                no_network=True,
                remove_comments=True,
                remove_pis=True,
            )
            root: Any = None
            while True:
                try:
                    _, element = next(context)
                except StopIteration:
                    break
                except SourceError:
                    raise
                except Exception as exc:
                    # lxml syntax errors, and I/O errors of a damaged compressed file below.
                    line = getattr(exc, "lineno", None)
                    raise SourceError(
                        f"not well-formed XML ({type(exc).__name__}: {exc})",
                        path=self.where,
                        line=line if isinstance(line, int) and line > 0 else None,
                    ) from None
                if root is None:
                    root = self.check_root(element.getroottree().getroot())
                parent = element.getparent()
                if parent is None or parent.tag != "channel" or parent.getparent() is not root:
                    continue
                yield from self.channel_child(element)
                # Done with this child of <channel>: free it and whatever came before it.
                element.clear()
                while element.getprevious() is not None:
                    del parent[0]
        if root is None:
            raise SourceError(
                "empty document; expected a WordPress WXR export (<rss> with the wp: namespace)",
                path=self.where,
            )

    def check_root(self, root: Any) -> Any:
        namespaces = [ns for ns in (root.nsmap or {}).values() if ns and _WP_NS_RE.match(ns)]
        if root.tag != "rss" or not namespaces:
            raise SourceError(
                f"expected a WordPress WXR export (<rss> declaring the wp: namespace "
                f"https://wordpress.org/export/1.2/), found <{root.tag}>",
                path=self.where,
                line=root.sourceline,
            )
        return root

    def channel_child(self, element: Any) -> Iterator[Record]:
        ns, local = _split(element.tag)
        if ns is None and local == "item":
            yield from self.item(_Item(element))
        elif ns is None and local == "link":
            self.urls.setdefault("link", element.text or "")
        elif ns is None and local == "language":
            self.lang = (element.text or "").strip() or None
        elif ns is not None and _WP_NS_RE.match(ns):
            if local in ("base_blog_url", "base_site_url"):
                self.urls.setdefault(local, element.text or "")
            elif local == "author":
                yield from self.author(_wp_fields(element), element.sourceline or 0)

    def remember(self, account: str) -> None:
        if len(self.seen) >= _SEEN_LIMIT:
            self.seen.clear()
        self.seen.add(account)

    def host(self, line: int) -> str:
        if self.site is None:
            for key in ("base_blog_url", "link", "base_site_url"):
                found = blog_key(self.urls.get(key, ""))
                if found:
                    self.site = found
                    break
            else:
                raise SourceError(
                    "the channel names no blog URL; expected <wp:base_blog_url> or <link> "
                    "before the first <item> (or pass -o site=HOST)",
                    path=self.where,
                    line=line,
                    field="link",
                )
        return self.site

    def author_account(self, login: str, line: int) -> str:
        return self.authors.get(login) or f"{self.host(line)}:user:{login}"

    def author(self, fields: dict[str, str], line: int) -> Iterator[Record]:
        login = _login(fields.get("author_login", ""))
        if not login:
            return
        account = f"{self.host(line)}:user:{login}"
        self.authors[login] = account
        if fields.get("author_id", "").strip():
            self.author_ids[fields["author_id"].strip()] = account
        if fields.get("author_email", "").strip():
            self.author_emails[fields["author_email"].strip().lower()] = account
        self.remember(account)
        yield Account(
            network=NETWORK,
            account_id=account,
            handle=login,
            display_name=html.unescape(fields.get("author_display_name", "")).strip() or None,
        )

    def item(self, item: _Item) -> Iterator[Record]:
        post_id = item.wp.get("post_id", "").strip()
        if not post_id:
            raise SourceError(
                "item has no <wp:post_id>; expected every exported post to carry its id",
                path=self.where,
                line=item.line,
                field="wp:post_id",
            )
        kind = item.wp.get("post_type", "").strip()
        status = item.wp.get("status", "").strip()
        if kind not in _CONTENT_TYPES or status != _PUBLISHED:
            return  # drafts, scheduled posts, attachments, menu items: nobody reacted to them
        host = self.host(item.line)
        post = f"{host}:post:{post_id}"
        login = _login(item.other.get("creator", ""))
        author = self.author_account(login, item.line) if login else None
        if author is not None and author not in self.seen:
            self.remember(author)
            yield Account(network=NETWORK, account_id=author, handle=login)
        try:
            ts = _date(
                item.wp.get("post_date_gmt"),
                item.other.get("pubDate"),
                item.wp.get("post_date"),
                "wp:post_date_gmt",
            )
            if author is None:
                raise _BadField("dc:creator", "expected the author's login, found none")
        except _BadField as exc:
            yield Rejected(
                SourceError(exc.message, path=self.where, line=item.line, field=exc.field),
                f"<item> wp:post_id={post_id}",
            )
        else:
            title = html.unescape(item.other.get("title", "")).strip() or None
            body = html_text(item.other.get("content"))
            yield Event(
                network=NETWORK,
                event_id=post,
                ts=ts,
                actor=author,
                action=Action.POST.value,
                content_id=post,
                text="\n\n".join(t for t in (title, body) if t) or None,
                tags=_tags(item.categories),
                lang=self.lang,
            )
        yield from self.comments(item, host, post, author)

    def comments(self, item: _Item, host: str, post: str, author: str | None) -> Iterator[Record]:
        actors: dict[str, str | None] = {}
        for line, fields in item.comments:
            comment_id = fields.get("comment_id", "").strip()
            if not comment_id:
                raise SourceError(
                    "comment has no <wp:comment_id>; expected every comment to carry its id",
                    path=self.where,
                    line=line,
                    field="wp:comment_id",
                )
            actors[comment_id] = self.commenter(fields, host)
        for line, fields in item.comments:
            comment_id = fields["comment_id"].strip()
            kind = fields.get("comment_type", "").strip()
            if fields.get("comment_approved", "").strip() != "1":
                continue  # pending, spam or trash
            if kind not in _COMMENT_TYPES and kind not in _LINK_TYPES:
                continue
            try:
                ts = _date(
                    fields.get("comment_date_gmt"),
                    None,
                    fields.get("comment_date"),
                    "wp:comment_date_gmt",
                )
            except _BadField as exc:
                error = SourceError(exc.message, path=self.where, line=line, field=exc.field)
                yield Rejected(error, f"<wp:comment> wp:comment_id={comment_id}")
                continue
            actor = actors[comment_id]
            yield from self.commenter_account(fields, actor, kind)
            parent = fields.get("comment_parent", "").strip()
            replying = kind in _COMMENT_TYPES and parent not in ("", "0")
            if kind in _LINK_TYPES:
                action = Action.QUOTE.value
            else:
                action = Action.REPLY.value if replying else Action.COMMENT.value
            event_id = f"{host}:comment:{comment_id}"
            yield Event(
                network=NETWORK,
                event_id=event_id,
                ts=ts,
                actor=actor,
                action=action,
                target=actors.get(parent) if replying else author,
                content_id=event_id,
                parent_id=f"{host}:comment:{parent}" if replying else post,
                text=html_text(fields.get("comment_content")),
            )

    def commenter(self, fields: dict[str, str], host: str) -> str | None:
        """The account of a comment's author (for a pingback: the linking site's host)."""
        if fields.get("comment_type", "").strip() in _LINK_TYPES:
            return _host_of(fields.get("comment_author_url", ""))
        user = fields.get("comment_user_id", "").strip()
        if user not in ("", "0") and user in self.author_ids:
            return self.author_ids[user]
        email = fields.get("comment_author_email", "").strip().lower()
        if email and email in self.author_emails:
            return self.author_emails[email]
        name = html.unescape(fields.get("comment_author", "")).strip()
        if not email and not name:
            return None
        # Name and e-mail together: people sharing an address (a family, a test site) stay
        # apart, and the address itself is not stored.
        digest = hashlib.sha256(f"{email}\n{name}".encode()).hexdigest()[:16]
        return f"{host}:commenter:{digest}"

    def commenter_account(
        self, fields: dict[str, str], actor: str | None, kind: str
    ) -> Iterator[Record]:
        if actor is None or actor in self.seen:
            return
        self.remember(actor)
        if kind in _LINK_TYPES:
            yield Account(network=NETWORK, account_id=actor, handle=actor)
            return
        name = html.unescape(fields.get("comment_author", "")).strip() or None
        yield Account(network=NETWORK, account_id=actor, display_name=name)


def _host_of(url: str) -> str | None:
    """The host of a URL: a linking site is known by its host alone."""
    text = url.strip()
    if not text:
        return None
    if "://" not in text:
        text = "http://" + text
    try:
        return urlsplit(text).hostname or None
    except ValueError:
        return None
