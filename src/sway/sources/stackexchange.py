"""Stack Exchange data dumps: a folder of ``Posts.xml``, ``Comments.xml``, ``Votes.xml``,
``Users.xml`` ... or a ``.zip`` / ``.7z`` archive of one.

Every id is prefixed with a *site key* (``-o site=KEY``, by default a slug of the folder or
archive name: ``conlang.meta.stackexchange.com.7z`` and ``stackexchange-conlang-meta/`` both
give ``conlang-meta``), so that the dumps of two sites share the one ``stackexchange`` network
without their numeric ids colliding:

=====================  ==================================================================
``{site}:post:{Id}``   a question (``post``) or an answer (``reply`` to the question owner)
``{site}:comment:{Id}``  a comment (``comment`` to the post owner, parent = the post)
``{site}:vote:{Id}``   a row of ``Votes.xml``: up/down ``vote`` (value +1 / -1, anonymous),
                       accepted answer and awarded bounty (``endorse``), favourite (``like``)
``{site}:accept:{Id}``  an accepted answer read from ``AcceptedAnswerId`` when the dump has no
                       ``Votes.xml``
``{site}:user:{Id}``   an account (``Users.xml``: display name, created_at, reputation)
=====================  ==================================================================

Reading is streaming (``lxml.etree.iterparse`` with element clearing). Comments and votes
name only the post they are about, so the owner, question and tags of every post are kept in
a compact index (a few bytes per post id, in NumPy arrays) built by a first pass over
``Posts.xml``. A ``.7z`` archive is extracted first (when ingesting, into the store's spool
folder: :mod:`sway.sources.scratch`); ``.zip`` members are read in place. See ``docs/formats.md``.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, ClassVar

import numpy as np
from lxml import etree

from sway.errors import ConfigError, SourceError
from sway.events import Account, Action, Event, parse_ts
from sway.sources._archive import ZIP_ERRORS, check_zip, zip_opener
from sway.sources._html import html_text
from sway.sources._io import open_binary, peek, strip_compression
from sway.sources.base import Record, Rejected, Source
from sway.sources.scratch import scratch_folder

__all__ = ["StackExchangeSource", "site_key"]

NETWORK = "stackexchange"

#: Tables of a dump, by the name of their root element (``Posts.xml`` holds ``<posts>``).
TABLES = ("users", "posts", "comments", "votes", "badges", "tags", "posthistory", "postlinks")
#: The tables that carry interactions or accounts; the others are recognised and not read.
_READ = ("users", "posts", "comments", "votes")

_QUESTION, _ANSWER = 1, 2
# VoteTypeId values (Stack Exchange data dump schema).
_ACCEPTED, _UP, _DOWN, _FAVOURITE, _BOUNTY_CLOSE = 1, 2, 3, 5, 9
#: The Community user: the site's own background process.
_COMMUNITY = -1

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_7Z_MAGIC = b"7z\xbc\xaf\x27\x1c"
_ROOT_RE = re.compile(rb"<(" + b"|".join(t.encode() for t in TABLES) + rb")>\s*(<row\s|</)")
_TAG_RE = re.compile(r"<([^<>]+)>")
_SLUG_RE = re.compile(r"[^a-z0-9]+")
_ARCHIVE_SUFFIXES = (".7z", ".zip", ".gz", ".bz2", ".xz", ".xml")
_TABLE_SUFFIX_RE = re.compile(r"-(" + "|".join(TABLES) + r")$")


def site_key(name: str) -> str:
    """A short slug for a dump's site from its folder or archive name.

    ``conlang.meta.stackexchange.com.7z`` → ``conlang-meta``; ``stackexchange-conlang-meta`` →
    ``conlang-meta``; ``stackoverflow.com`` → ``stackoverflow``; ``askubuntu.com.zip`` →
    ``askubuntu``. Empty names give ``stackexchange``.
    """
    slug = name.strip().lower()
    changed = True
    while changed:
        changed = False
        for suffix in _ARCHIVE_SUFFIXES:
            if slug.endswith(suffix):
                slug, changed = slug[: -len(suffix)], True
    # Stack Overflow's dump comes one archive per table: ``stackoverflow.com-Posts.7z``.
    slug = _TABLE_SUFFIX_RE.sub("", slug)
    for suffix in (".stackexchange.com", ".com", ".net"):
        if slug.endswith(suffix):
            slug = slug[: -len(suffix)]
            break
    for prefix in ("stackexchange-", "stackexchange_", "stackexchange."):
        if slug.startswith(prefix):
            slug = slug[len(prefix) :]
            break
    slug = _SLUG_RE.sub("-", slug).strip("-")
    return slug or "stackexchange"


# -- the dump: which table is in which file ------------------------------------------------


@dataclass
class _Table:
    """One table of a dump: how to open it, and the name errors show."""

    name: str
    where: str
    open: Callable[[], IO[bytes]]


@dataclass
class _Dump:
    site: str
    tables: dict[str, _Table] = field(default_factory=dict)


def _table_of(name: str) -> str | None:
    stem = strip_compression(Path(name)).name.lower()
    if stem.endswith(".xml") and stem[:-4] in TABLES:
        return stem[:-4]
    return None


def _root_table(head: bytes) -> str | None:
    match = _ROOT_RE.search(head[:4096])
    return match.group(1).decode() if match else None


def _zip_members(names: list[str]) -> dict[str, str]:
    """Table → member, taking the shallowest copy of each table."""
    found: dict[str, str] = {}
    for member in sorted(names, key=lambda n: (n.count("/"), n)):
        table = _table_of(member.rsplit("/", 1)[-1])
        if table is not None and not member.endswith("/"):
            found.setdefault(table, member)
    return found


def _folder_tables(path: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    try:
        children = sorted(path.iterdir())
    except OSError:
        return found
    for child in children:
        table = _table_of(child.name)
        if table is not None and child.is_file():
            found.setdefault(table, child)
    return found


@contextlib.contextmanager
def _open_dump(path: Path, site: str) -> Iterator[_Dump]:
    """The tables of a dump folder, archive or single table file."""
    dump = _Dump(site=site)
    if path.is_dir():
        for table, file in _folder_tables(path).items():
            dump.tables[table] = _Table(table, str(file), _opener(file))
        yield dump
        return
    head = peek(path, 4096)
    if head.startswith(_ZIP_MAGIC):
        with _open_zip(path) as archive:
            for table, member in _zip_members(archive.namelist()).items():
                dump.tables[table] = _Table(
                    table, f"{path}/{member}", zip_opener(archive, member, path)
                )
            yield dump
        return
    if head.startswith(_7Z_MAGIC):
        # Extracted where the caller says (``sway ingest``: the store's spool folder).
        with scratch_folder("7z-") as tmp:
            for table, (member, file) in _extract_7z(path, tmp).items():
                dump.tables[table] = _Table(table, f"{path}/{member}", _opener(file))
            yield dump
        return
    alone = _root_table(head.lstrip(b"\xef\xbb\xbf"))
    if alone is not None:
        dump.tables[alone] = _Table(alone, str(path), _opener(path))
    yield dump


def _opener(file: Path) -> Callable[[], IO[bytes]]:
    return lambda: open_binary(file)


@contextlib.contextmanager
def _open_zip(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
    except ZIP_ERRORS as exc:
        # The index of a zip is at its end: a truncated download loses it first.
        raise SourceError(
            f"not a readable zip archive ({exc}); expected a zip of a Stack Exchange dump",
            path=path,
            record="central directory",
        ) from None
    with archive:
        check_zip(archive, path)
        yield archive


def _extract_7z(path: Path, into: Path) -> dict[str, tuple[str, Path]]:
    """Extract the dump tables of a ``.7z`` into ``into``: table → (member, extracted file)."""
    import py7zr

    members: dict[str, str] = {}
    try:
        with py7zr.SevenZipFile(path, mode="r") as archive:
            members = {t: m for t, m in _zip_members(archive.getnames()).items() if t in _READ}
            if members:
                archive.extract(path=into, targets=list(members.values()))
    except Exception as exc:
        # py7zr raises a zoo of errors on damaged archives (Bad7zFile, CrcError, LZMAError,
        # struct.error, ...): any of them means the archive cannot be read.
        raise SourceError(
            f"not a readable 7z archive ({type(exc).__name__}: {exc}); "
            "expected a 7z of a Stack Exchange dump",
            path=path,
            record=", ".join(members.values()) or "header",
        ) from None
    extracted: dict[str, tuple[str, Path]] = {}
    for table, member in members.items():
        file = into / member
        if not file.is_file():
            raise SourceError(f"archive member {member!r} could not be extracted", path=path)
        extracted[table] = (member, file)
    return extracted


# -- rows of one table ------------------------------------------------------------------------


def _rows(table: _Table) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, attributes)`` of each ``<row>`` of ``table``, streaming, memory kept flat."""
    with table.open() as fh:
        context = etree.iterparse(
            fh,
            events=("end",),
            resolve_entities=False,
            no_network=True,
            remove_comments=True,
            remove_pis=True,
        )
        checked = False
        while True:
            try:
                _, element = next(context)
            except StopIteration:
                break
            except SourceError:
                raise
            except Exception as exc:
                # lxml syntax errors and the I/O errors of the file below (damaged
                # compression, a zip member failing its CRC).
                line = getattr(exc, "lineno", None) or getattr(exc, "position", (None,))[0]
                raise SourceError(
                    f"not well-formed XML ({type(exc).__name__}: {exc})",
                    path=table.where,
                    line=line if isinstance(line, int) and line > 0 else None,
                ) from None
            if not checked:
                root = element.getroottree().getroot()
                if root.tag != table.name:
                    raise SourceError(
                        f"expected <{table.name}> as the root element, found <{root.tag}>",
                        path=table.where,
                        line=root.sourceline,
                    )
                checked = True
            parent = element.getparent()
            if parent is None:
                break
            if element.tag == "row" and parent.getparent() is None:
                yield element.sourceline or 0, dict(element.attrib)
            if parent.getparent() is None:
                # A finished child of the root: drop it and everything before it.
                element.clear()
                while element.getprevious() is not None:
                    del parent[0]


class _BadField(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _row_id(row: dict[str, str], table: _Table, line: int) -> int:
    raw = row.get("Id")
    if raw is None:
        raise SourceError(
            "row has no Id attribute; expected every <row> to carry its Id",
            path=table.where,
            line=line,
            field="Id",
        )
    try:
        return int(raw)
    except ValueError:
        raise SourceError(
            f"expected an integer Id, found {raw!r}", path=table.where, line=line, field="Id"
        ) from None


def _int(row: dict[str, str], name: str) -> int | None:
    raw = row.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise _BadField(name, f"expected an integer, found {raw!r}") from None


def _ts(row: dict[str, str], name: str = "CreationDate") -> datetime:
    raw = row.get(name)
    if raw is None:
        raise _BadField(name, "expected a timestamp such as 2018-02-06T20:19:50.957, found none")
    try:
        return parse_ts(raw)
    except ValueError as exc:
        raise _BadField(name, str(exc)) from None


def _tags(raw: str | None) -> tuple[str, ...]:
    """``<a><b>`` (dumps up to 2023) or ``|a|b|`` (later dumps)."""
    if not raw:
        return ()
    names = _TAG_RE.findall(raw) if raw.lstrip().startswith("<") else raw.split("|")
    return tuple(dict.fromkeys(n.strip() for n in names if n.strip()))


def _raw(row: dict[str, str]) -> str:
    text = " ".join(f'{k}="{v}"' for k, v in row.items())
    return f"<row {text[:1000]} />"


# -- the post index -----------------------------------------------------------------------------

_MISSING = np.iinfo(np.int32).min
_INT32 = np.iinfo(np.int32)


class _Column:
    """An int column keyed by a (mostly dense) non-negative id: NumPy below, a dict beyond.

    The dense part only grows to a few times the number of keys set, so a wild id (damaged
    input) lands in the dict instead of allocating gigabytes.
    """

    def __init__(self) -> None:
        self._dense = np.full(1024, _MISSING, dtype=np.int32)
        self._sparse: dict[int, int] = {}
        self._count = 0

    def set(self, key: int, value: int) -> None:
        self._count += 1
        if not _INT32.min < value <= _INT32.max or key < 0:
            self._sparse[key] = value
            return
        if key >= len(self._dense):
            if key >= max(1 << 20, 4 * self._count):
                self._sparse[key] = value
                return
            grown = np.full(max(key + 1, 2 * len(self._dense)), _MISSING, dtype=np.int32)
            grown[: len(self._dense)] = self._dense
            self._dense = grown
        self._dense[key] = value

    def get(self, key: int) -> int | None:
        if 0 <= key < len(self._dense):
            value = int(self._dense[key])
            if value != _MISSING:
                return value
        return self._sparse.get(key)


class _PostIndex:
    """Owner, parent question and tags of every post, by post id."""

    def __init__(self) -> None:
        self._owner = _Column()
        self._parent = _Column()
        self._tags = _Column()
        self._accepted_by = _Column()
        self._tag_sets: list[tuple[str, ...]] = [()]
        self._tag_set_ids: dict[tuple[str, ...], int] = {(): 0}

    def add(
        self,
        post: int,
        *,
        owner: int | None,
        parent: int | None,
        tags: tuple[str, ...],
        accepted: int | None,
    ) -> None:
        if accepted is not None:
            self._accepted_by.set(accepted, post)
        if owner is not None:
            self._owner.set(post, owner)
        if parent is not None:
            self._parent.set(post, parent)
        if tags:
            # Questions share tag combinations; each distinct one is stored once.
            index = self._tag_set_ids.setdefault(tags, len(self._tag_sets))
            if index == len(self._tag_sets):
                self._tag_sets.append(tags)
            self._tags.set(post, index)

    def owner(self, post: int | None) -> int | None:
        return None if post is None else self._owner.get(post)

    def parent(self, post: int | None) -> int | None:
        return None if post is None else self._parent.get(post)

    def accepted_by(self, answer: int) -> int | None:
        """The question that accepted ``answer``, if one did."""
        return self._accepted_by.get(answer)

    def tags(self, post: int | None) -> tuple[str, ...] | None:
        index = None if post is None else self._tags.get(post)
        return self._tag_sets[index] if index else None


# -- the importer -------------------------------------------------------------------------------


class StackExchangeSource(Source):
    """Questions, answers, comments, votes and users of a Stack Exchange data dump."""

    name = "stackexchange"
    description = (
        "Stack Exchange data dump: a folder of Posts.xml, Comments.xml, Votes.xml, Users.xml "
        "... or its .zip / .7z"
    )
    options: ClassVar[Mapping[str, str]] = {
        "site": "site key prefixed to every id, e.g. conlang-meta "
        "(default: from the folder or archive name)",
    }

    def sniff(self, path: Path) -> float:
        try:
            return self._sniff(path)
        except Exception:
            return 0.0

    def _sniff(self, path: Path) -> float:
        if path.is_dir():
            posts = _folder_tables(path).get("posts")
            if posts is None:
                return 0.0
            return 0.95 if _root_table(peek(posts, 4096)) == "posts" else 0.0
        head = peek(path, 4096)
        if head.startswith(_ZIP_MAGIC):
            with zipfile.ZipFile(path) as archive:
                return 0.95 if "posts" in _zip_members(archive.namelist()) else 0.0
        if head.startswith(_7Z_MAGIC):
            import py7zr

            with py7zr.SevenZipFile(path, mode="r") as archive:
                return 0.95 if "posts" in _zip_members(archive.getnames()) else 0.0
        # One table on its own (Posts.xml, Comments.xml ...): its root element says which.
        return 0.8 if _root_table(head.lstrip(b"\xef\xbb\xbf")) is not None else 0.0

    def _site(self, path: Path) -> str:
        given = self.params.get("site")
        if given is not None:
            slug = _SLUG_RE.sub("-", given.lower()).strip("-")
            if not slug:
                raise ConfigError(f"option site={given!r}: expected a key such as conlang-meta")
            return slug
        named = path.resolve()
        if not named.is_dir() and _table_of(named.name) is not None:
            # A lone table file is named after its table: the site is its folder.
            named = named.parent
        return site_key(named.name)

    def read(self, path: Path) -> Iterator[Record]:
        site = self._site(path)
        with _open_dump(path, site) as dump:
            if not any(t in dump.tables for t in TABLES):
                raise SourceError(
                    "no Stack Exchange dump tables found; expected Posts.xml, Comments.xml, "
                    "Votes.xml, Users.xml (in a folder, .zip or .7z)",
                    path=path,
                )
            yield from _Reader(dump).records()


class _Reader:
    """Turns the tables of one dump into records."""

    def __init__(self, dump: _Dump) -> None:
        self.site = dump.site
        self.tables = dump.tables
        self.index = _PostIndex()

    def post_id(self, post: int) -> str:
        return f"{self.site}:post:{post}"

    def user_id(self, user: int | None) -> str | None:
        return None if user is None else f"{self.site}:user:{user}"

    def records(self) -> Iterator[Record]:
        if "users" in self.tables:
            yield from self.rows(self.tables["users"], self.user)
        if "posts" in self.tables:
            self.build_index(self.tables["posts"])
            yield from self.rows(self.tables["posts"], self.post)
        if "comments" in self.tables:
            yield from self.rows(self.tables["comments"], self.comment)
        if "votes" in self.tables:
            yield from self.rows(self.tables["votes"], self.vote)

    def rows(
        self, table: _Table, convert: Callable[[int, dict[str, str]], Iterator[Record]]
    ) -> Iterator[Record]:
        for line, row in _rows(table):
            number = _row_id(row, table, line)
            try:
                records = list(convert(number, row))
            except _BadField as exc:
                error = SourceError(exc.message, path=table.where, line=line, field=exc.field)
                yield Rejected(error, _raw(row))
                continue
            yield from records

    def build_index(self, table: _Table) -> None:
        fallback = "votes" not in self.tables
        for line, row in _rows(table):
            post = _row_id(row, table, line)
            # Unreadable fields are left out here; the second pass rejects their row.
            with contextlib.suppress(_BadField):
                kind = _int(row, "PostTypeId")
                owner = _int(row, "OwnerUserId")
                parent = _int(row, "ParentId") if kind == _ANSWER else None
                question = kind == _QUESTION
                self.index.add(
                    post,
                    owner=owner,
                    parent=parent,
                    tags=_tags(row.get("Tags")) if question else (),
                    # Only needed when there is no Votes.xml to say who accepted what.
                    accepted=_int(row, "AcceptedAnswerId") if question and fallback else None,
                )

    def user(self, user: int, row: dict[str, str]) -> Iterator[Record]:
        created = _ts(row) if row.get("CreationDate") is not None else None
        yield Account(
            network=NETWORK,
            account_id=f"{self.site}:user:{user}",
            display_name=row.get("DisplayName") or None,
            created_at=created,
            reputation=_int(row, "Reputation"),
            is_bot=True if user == _COMMUNITY else None,
        )

    def post(self, post: int, row: dict[str, str]) -> Iterator[Record]:
        kind = _int(row, "PostTypeId")
        if kind not in (_QUESTION, _ANSWER):
            return  # tag wikis, excerpts, nominations: not interactions
        ts = _ts(row)
        owner = _int(row, "OwnerUserId")
        body = html_text(row.get("Body"))
        if kind == _QUESTION:
            if owner is not None:
                title = row.get("Title") or None
                text = "\n\n".join(t for t in (title, body) if t) or None
                yield Event(
                    network=NETWORK,
                    event_id=self.post_id(post),
                    ts=ts,
                    actor=self.user_id(owner),
                    action=Action.POST.value,
                    content_id=self.post_id(post),
                    text=text,
                    tags=self.index.tags(post),
                )
            return
        question = _int(row, "ParentId")
        if question is None:
            raise _BadField("ParentId", "expected the question an answer belongs to, found none")
        yield Event(
            network=NETWORK,
            event_id=self.post_id(post),
            ts=ts,
            actor=self.user_id(owner),
            action=Action.REPLY.value,
            target=self.user_id(self.index.owner(question)),
            content_id=self.post_id(post),
            parent_id=self.post_id(question),
            text=body,
            tags=self.index.tags(question),
        )
        # Without Votes.xml the acceptance is only known from the question's AcceptedAnswerId;
        # its day is unknown, so the answer's own time stands in (the earliest it can be).
        if "votes" not in self.tables and self.index.accepted_by(post) == question:
            yield Event(
                network=NETWORK,
                event_id=f"{self.site}:accept:{post}",
                ts=ts,
                actor=self.user_id(self.index.owner(question)),
                action=Action.ENDORSE.value,
                target=self.user_id(owner),
                content_id=self.post_id(post),
                parent_id=self.post_id(question),
                ts_derived=True,
            )

    def comment(self, comment: int, row: dict[str, str]) -> Iterator[Record]:
        post = _int(row, "PostId")
        if post is None:
            raise _BadField("PostId", "expected the post a comment is on, found none")
        yield Event(
            network=NETWORK,
            event_id=f"{self.site}:comment:{comment}",
            ts=_ts(row),
            actor=self.user_id(_int(row, "UserId")),
            action=Action.COMMENT.value,
            target=self.user_id(self.index.owner(post)),
            content_id=f"{self.site}:comment:{comment}",
            parent_id=self.post_id(post),
            text=row.get("Text") or None,
        )

    def vote(self, vote: int, row: dict[str, str]) -> Iterator[Record]:
        kind = _int(row, "VoteTypeId")
        if kind not in (_UP, _DOWN, _ACCEPTED, _FAVOURITE, _BOUNTY_CLOSE):
            return  # moderation: close, delete, spam, review, edit approval, bounty start
        post = _int(row, "PostId")
        if post is None:
            raise _BadField("PostId", "expected the post voted on, found none")
        ts = _ts(row)
        voter = _int(row, "UserId")
        common: dict[str, Any] = {
            "network": NETWORK,
            "event_id": f"{self.site}:vote:{vote}",
            "ts": ts,
            "target": self.user_id(self.index.owner(post)),
            "content_id": self.post_id(post),
        }
        if kind in (_UP, _DOWN):
            yield Event(
                **common,
                actor=self.user_id(voter),
                action=Action.VOTE.value,
                value=1.0 if kind == _UP else -1.0,
            )
        elif kind == _FAVOURITE:
            yield Event(**common, actor=self.user_id(voter), action=Action.LIKE.value)
        elif kind == _ACCEPTED:
            # The asker accepts: an endorsement of the answer's author by the question's.
            question = self.index.parent(post)
            yield Event(
                **common,
                actor=self.user_id(self.index.owner(question)),
                action=Action.ENDORSE.value,
                parent_id=None if question is None else self.post_id(question),
            )
        else:
            amount = _int(row, "BountyAmount")
            yield Event(
                **common,
                actor=self.user_id(voter),
                action=Action.ENDORSE.value,
                value=None if amount is None else float(amount),
            )
