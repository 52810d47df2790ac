"""SNAP-style temporal edge lists and the Twitter15/16 propagation trees.

Shapes, recognised from the content of each file:

- ``messages``: whitespace-separated ``src dst ts`` (SNAP temporal networks such as CollegeMsg or
  email-Eu-core-temporal), or ``src dst weight ts`` (KONECT). Lines starting with ``#`` or ``%``
  are comments.
- ``ratings``: comma-separated ``src,dst,rating,ts`` (SNAP signed networks such as Bitcoin OTC),
  or ``src,dst,ts``. The rating goes into ``value``.
- ``tree``: a Twitter15/16 raw tree file, one edge a line,
  ``['uid', 'tweet_id', 'delay_min']->['uid', 'tweet_id', 'delay_min']``.
- ``tree-tsv``: the flattened tab-separated Twitter15/16 edge list, with the header
  ``root_tweet_id parent_uid parent_tweet_id child_uid child_tweet_id delay_min est_utc kind``.
- a tar (``.tar``, ``.tar.gz``, ...) or zip archive whose members are any of these (the
  Twitter15/16 release, KONECT downloads); other members (README, labels) are skipped;
- a folder of any of these; its README, LICENSE, NOTE, label and notes files are skipped.

One event per line. Edge lists carry no post ids, so ``content_id`` stays empty and the event
id is ``{src}:{dst}:{ts}:{n}`` with ``ts`` as written in the file and ``n`` counting earlier
identical edges among the lines with that timestamp (SNAP files are sorted by time), so
re-reading the same file gives the same ids. A tree edge is
``cascade:{root}:{parent_uid}:{parent_tweet}:{child_uid}:{child_tweet}:{delay}:{n}``, the same
from the raw tree and the flattened list, and across Twitter15 and Twitter16 for a cascade
both contain; its ``content_id`` is the cascade's source tweet (the tree's file name, which the
label files use), ``parent_id`` the tweet engaged with. The ``ROOT`` line of a tree is the
source tweet's ``post`` (event id = that tweet's id, as the Twitter importers use).

Tree times follow the flattened list: a child with its own tweet id is dated by that id
(Twitter Snowflake ids encode their creation time); other rows by the source tweet's time plus
the row's delay; rounded down to the second. The ``post`` is dated by its own tweet id.

References
----------
J. Leskovec, A. Krevl. SNAP Datasets: Stanford Large Network Dataset Collection, 2014.
J. Ma, W. Gao, K.-F. Wong. Detect Rumors in Microblog Posts Using Propagation Structure via
Kernel Learning. ACL 2017.
"""

from __future__ import annotations

import lzma
import math
import os
import re
import tarfile
import zipfile
import zlib
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, ClassVar, NamedTuple

from sway.errors import ConfigError, SourceError
from sway.events import ACTIONS, Action, Event, parse_ts
from sway.sources._archive import TarBudget, check_zip
from sway.sources._io import MAX_LINE_BYTES, iter_lines, peek, strip_compression
from sway.sources.base import Record, Rejected, Source

__all__ = ["SnapSource"]

MESSAGES = "messages"
RATINGS = "ratings"
TREE = "tree"
TREE_TSV = "tree-tsv"
ARCHIVE = "archive"

#: What an edge means by default, per shape (``-o action=...`` overrides).
DEFAULT_ACTION = {
    MESSAGES: Action.MENTION.value,
    RATINGS: Action.ENDORSE.value,
    TREE: Action.REPOST.value,
    TREE_TSV: Action.REPOST.value,
}
TWITTER = "twitter"
#: Twitter Snowflake ids count milliseconds from this instant (2010-11-04T01:42:54.657Z).
SNOWFLAKE_EPOCH_MS = 1288834974657

_NODE = rb"\[\s*'([^']*)'\s*,\s*'([^']*)'\s*,\s*'([^']*)'\s*\]"
_TREE_LINE = re.compile(rb"^" + _NODE + rb"\s*->\s*" + _NODE + rb"\s*$")
_TSV_HEADER = (
    b"root_tweet_id",
    b"parent_uid",
    b"parent_tweet_id",
    b"child_uid",
    b"child_tweet_id",
    b"delay_min",
    b"est_utc",
    b"kind",
)
_INT = re.compile(rb"^-?\d+$")
_NUMBER = re.compile(rb"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_LABEL_LINE = re.compile(rb"^[A-Za-z][A-Za-z_-]*:\d+$")
#: ``source_tweets.txt`` of the original Twitter15/16 release: ``tweet id<TAB>text``.
_SOURCE_TWEET_LINE = re.compile(rb"^\d+\t")
#: Five words in a row: a sentence of notes, not data.
_PROSE_LINE = re.compile(rb"(?:[A-Za-z\x80-\xff]{2,}[,.;:()]*\s+){5}")
_HEADER_LINE = re.compile(rb"^[A-Za-z_][A-Za-z0-9_]*(?:\s*[,\t ]\s*[A-Za-z_][A-Za-z0-9_]*)+$")
_NETWORK_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")  # as sway.events validates it
#: File names that are documentation in a dataset folder, never data (as ``sway ingest``).
_NOT_DATA = ("readme", "license", "licence", "copying", "notice", "note", "sha256sums", ".")
_DOC_SUFFIXES = (".md", ".rst", ".html", ".htm", ".pdf")
#: SNAP name prefixes that say nothing about the network (``soc-sign-bitcoinotc``).
_NAME_PREFIXES = ("soc-sign-", "soc-", "sx-", "out.")
_SNIFF_FILES = 12
_SNIFF_MEMBERS = 16
_SNIFF_SKIP_BYTES = 4 << 20
_HEAD = 4096


# -- recognising shapes ------------------------------------------------------------------------


def _data_lines(head: bytes, *, complete: bool) -> list[bytes]:
    """The non-blank, non-comment lines of ``head`` (its last line only if ``complete``)."""
    lines = head.split(b"\n")
    if not complete:
        lines = lines[:-1]
    out = []
    for line in lines:
        line = line.strip()
        if line and not line.startswith((b"#", b"%")):
            out.append(line)
    return out


def _edge_fields(line: bytes) -> tuple[str, list[bytes]] | None:
    """``(shape, fields)`` if ``line`` looks like an edge with numeric ids and time."""
    if b"," in line:
        fields = [f.strip() for f in line.split(b",")]
        shape = RATINGS
    else:
        fields = line.split()
        shape = MESSAGES
    if len(fields) not in (3, 4):
        return None
    if not (_INT.match(fields[0]) and _INT.match(fields[1])):
        return None
    if not all(_NUMBER.match(f) for f in fields[2:]):
        return None
    return shape, fields


def _shape_of_head(head: bytes, *, complete: bool) -> str | None:
    """The shape of a file from its first bytes, or ``None``; never raises."""
    text = head.removeprefix(b"\xef\xbb\xbf")
    lines = _data_lines(text, complete=complete)
    if not lines:
        return None
    if tuple(lines[0].split(b"\t")) == _TSV_HEADER:
        return TREE_TSV
    if _TREE_LINE.match(lines[0]):
        return TREE if all(_TREE_LINE.match(line) for line in lines) else None
    shapes = set()
    for number, line in enumerate(lines):
        found = _edge_fields(line)
        if found is None:
            # A header line is allowed, when data lines follow it.
            if number == 0 and len(lines) > 2 and _HEADER_LINE.match(line):
                continue
            return None
        shapes.add(found[0])
    return shapes.pop() if len(shapes) == 1 else None


def _archive_kind(path: Path, head: bytes) -> str | None:
    """``"zip"`` or ``"tar"`` from the first bytes, or from the name when they are unreadable."""
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    name = path.name.lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith((".tgz", ".tbz2", ".txz")) or ".tar" in name:
        return "tar"
    return None


def _archive_has_data(path: Path, kind: str) -> bool:
    """Whether one of the first members of an archive is ours; never raises.

    A tar stream must be decompressed through every member it passes, so sniffing gives up
    after a few members or a few MB of others' data (a media folder in someone's export).
    """
    skipped = 0
    try:
        for number, member in enumerate(_members(path, kind)):
            if number >= _SNIFF_MEMBERS or skipped > _SNIFF_SKIP_BYTES:
                return False
            if _member_shape(member) is not None:
                return True
            skipped += member.size
    except Exception:
        return False
    return False


def _classify(path: Path) -> str | None:
    """The shape of one file, ``"doc"`` for documentation beside the data, or ``None``."""
    name = path.name.lower()
    if name.startswith(_NOT_DATA) or name.endswith(_DOC_SUFFIXES):
        return "doc"
    head = peek(path, _HEAD)
    kind = _archive_kind(path, head)
    if kind is not None:
        return ARCHIVE if _archive_has_data(path, kind) else None
    complete = len(head) < _HEAD
    shape = _shape_of_head(head, complete=complete)
    if shape is not None:
        return shape
    # Labels and notes are plain text files; anything else unknown is not ours to skip.
    if strip_compression(path).suffix.lower() in (".txt", "") and _is_companion(
        head, complete=complete
    ):
        return "doc"
    return None


def _is_companion(head: bytes, *, complete: bool) -> bool:
    """Label files (``false:1234``) and prose notes that travel with a dataset."""
    if head[:1] in (b"{", b"[", b"<") or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the peek is still text.
        if exc.start < len(head) - 3:
            return False
    lines = _data_lines(head, complete=complete)
    if lines and all(_LABEL_LINE.match(line) for line in lines):
        return True
    if lines and all(_SOURCE_TWEET_LINE.match(line) for line in lines):
        return True
    return any(_PROSE_LINE.search(line) for line in lines)


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            yield Path(root) / name


def network_for(path: Path | str) -> str:
    """The network name a file's name suggests: ``soc-sign-bitcoinotc.csv`` → ``bitcoinotc``."""
    name = strip_compression(Path(path)).name.lower()
    for prefix in _NAME_PREFIXES:
        name = name.removeprefix(prefix)
    word = re.split(r"[-_. ]", name, maxsplit=1)[0]
    word = re.sub(r"[^a-z0-9]", "", word)
    return word if _NETWORK_RE.match(word) else "snap"


# -- reading -----------------------------------------------------------------------------------


class _Invalid(Exception):
    """One line cannot be read (becomes a ``Rejected``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _lines(path: Path) -> Generator[tuple[int, bytes], None, None]:
    # ``iter_lines`` reports gzip/xz/bz2 faults, but a corrupt deflate stream raises zlib.error.
    try:
        yield from iter_lines(path)
    except zlib.error as exc:
        raise SourceError(f"corrupt compressed data ({exc})", path=path) from None


#: What tarfile and zipfile raise on damaged input: a damaged stream can make them raise
#: almost anything (CPython's tar stream reader fails with TypeError on a cut gzip header).
_ARCHIVE_FAULTS = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    NotImplementedError,
    RuntimeError,
    TypeError,
    ValueError,
)


class _ArchiveFault(Exception):
    """tarfile or zipfile failed; becomes a SourceError naming the archive and member."""

    def __init__(self, cause: BaseException, member: str | None) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.member = member


class _Member(NamedTuple):
    name: str
    size: int
    fh: IO[bytes]


def _members(path: Path, kind: str) -> Iterator[_Member]:
    """The file members of a tar (streamed) or zip archive, in archive order."""
    name: str | None = None
    try:
        if kind == "zip":
            with zipfile.ZipFile(path) as zf:
                check_zip(zf, path)
                for info in zf.infolist():
                    name = info.filename
                    if not info.is_dir():
                        with zf.open(info) as fh:
                            yield _Member(info.filename, info.file_size, fh)
        else:
            budget = TarBudget(path)
            with tarfile.open(path, mode="r|*") as tf:
                for member in tf:
                    name = member.name
                    budget.admit(member.name, member.size)
                    content = tf.extractfile(member) if member.isfile() else None
                    if content is not None:
                        yield _Member(member.name, member.size, content)
    except _ARCHIVE_FAULTS as exc:
        raise _ArchiveFault(exc, name) from None


def _member_shape(member: _Member) -> str | None:
    """The shape of an archive member from its first bytes (read without consuming them)."""
    try:
        # Both tarfile's and zipfile's member files are buffered readers that can peek.
        head: bytes = member.fh.peek(_HEAD)[:_HEAD]  # type: ignore[attr-defined]
    except _ARCHIVE_FAULTS as exc:
        raise _ArchiveFault(exc, member.name) from None
    # Judged on the first line only: a damaged line further on is rejected when read, not a
    # reason to skip the whole member.
    lines = _data_lines(head.removeprefix(b"\xef\xbb\xbf"), complete=member.size <= len(head))
    if not lines:
        return None
    if tuple(lines[0].split(b"\t")) == _TSV_HEADER:
        return TREE_TSV
    if _TREE_LINE.match(lines[0]):
        return TREE
    found = _edge_fields(lines[0])
    return found[0] if found else None


def _member_lines(member: _Member, where: str) -> Iterator[tuple[int, bytes]]:
    number = 0
    while True:
        try:
            line = member.fh.readline(MAX_LINE_BYTES + 1)
        except _ARCHIVE_FAULTS as exc:
            raise _ArchiveFault(exc, member.name) from None
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise SourceError(
                f"line longer than {MAX_LINE_BYTES} bytes; refusing to read it",
                path=where,
                line=number,
            )
        yield number, line.rstrip(b"\r\n")


def _text(value: bytes, field: str) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise _Invalid(field, f"expected UTF-8 text, found {value[:40]!r}") from None


def _float(value: bytes, field: str, expected: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        found = value[:40].decode("utf-8", "replace")
        raise _Invalid(field, f"expected {expected}, found {found!r}")
    return number


def _snowflake_ms(tweet_id: str, field: str) -> int:
    if not tweet_id.isdigit():
        raise _Invalid(field, f"expected a numeric tweet id, found {tweet_id[:40]!r}")
    return (int(tweet_id) >> 22) + SNOWFLAKE_EPOCH_MS


def _utc(seconds: float, field: str) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise _Invalid(field, f"time {seconds!r} is out of range") from None


class _Cascade:
    """The edges of one cascade so far: counts identical edges so each gets its own id."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.root_ms = _snowflake_ms(root, "root_tweet_id")
        self.seen: dict[tuple[str, ...], int] = {}

    def occurrence(self, key: tuple[str, ...]) -> int:
        n = self.seen.get(key, 0)
        self.seen[key] = n + 1
        return n


class SnapSource(Source):
    """SNAP temporal and signed edge lists; Twitter15/16 propagation trees."""

    name = "snap"
    description = (
        "SNAP-style edge lists: 'src dst unix_ts' (messages), 'src,dst,rating,ts' (signed "
        "ratings), Twitter15/16 propagation trees (raw, .tar.gz/.zip or flattened TSV), or a folder"
    )
    options: ClassVar[dict[str, str]] = {
        "network": "network name (default: from the file name, e.g. collegemsg, email, "
        "bitcoinotc; twitter for Twitter15/16 trees)",
        "action": "what an edge means (default: mention for messages, endorse for ratings, "
        "repost for trees)",
        "epoch": "start instant of relative timestamps (ISO 8601 or Unix seconds), added to "
        "each edge list time; default 1970-01-01T00:00:00Z (times are Unix seconds)",
    }

    def __init__(self, **options: str) -> None:
        super().__init__(**options)
        network = self.params.get("network")
        if network is not None and not _NETWORK_RE.match(network):
            raise ConfigError(
                f"format 'snap': network must be a lower-case name such as 'email', "
                f"found {network!r}"
            )
        action = self.params.get("action")
        if action is not None and (action not in ACTIONS or action == Action.POST.value):
            allowed = ", ".join(sorted(ACTIONS - {Action.POST.value}))
            raise ConfigError(f"format 'snap': action must be one of {allowed}, found {action!r}")
        self._epoch = 0.0
        epoch = self.params.get("epoch")
        if epoch is not None:
            try:
                self._epoch = float(epoch)
            except ValueError:
                try:
                    self._epoch = parse_ts(epoch).timestamp()
                except ValueError as exc:
                    raise ConfigError(f"format 'snap': epoch: {exc}") from None
            if not math.isfinite(self._epoch):
                raise ConfigError(f"format 'snap': epoch must be finite, found {epoch!r}")

    # -- recognising ---------------------------------------------------------------------------

    def sniff(self, path: Path) -> float:
        # Sniffing must never raise, whatever the file system does underneath.
        try:
            if path.is_dir():
                return self._sniff_folder(path)
            shape = _classify(path)
        except Exception:
            return 0.0
        return {TREE_TSV: 0.95, TREE: 0.9, ARCHIVE: 0.9, MESSAGES: 0.7, RATINGS: 0.7}.get(
            shape or "", 0.0
        )

    def _sniff_folder(self, folder: Path) -> float:
        found = False
        for number, file in enumerate(_walk(folder)):
            if number >= _SNIFF_FILES:
                break
            shape = _classify(file)
            if shape is None:
                return 0.0
            found = found or shape != "doc"
        return 0.8 if found else 0.0

    # -- reading ---------------------------------------------------------------------------------

    def read(self, path: Path) -> Iterator[Record]:
        if path.is_dir():
            for file in _walk(path):
                shape = _classify(file)
                if shape is None:
                    raise SourceError(
                        "not an edge list ('src dst ts' or 'src,dst,rating,ts'), a Twitter15/16 "
                        "tree, nor documentation; move it out of the folder or read it alone",
                        path=file,
                    )
                if shape != "doc":
                    yield from self._read_file(file, shape)
        elif path.is_file():
            yield from self._read_file(path, None)
        else:
            raise SourceError("no such file or folder", path=path)

    def _read_file(self, path: Path, shape: str | None) -> Iterator[Record]:
        if shape is None:
            head = peek(path, _HEAD)
            kind = _archive_kind(path, head)
            if kind is not None:
                yield from self._read_archive(path, kind)
                return
            shape = _shape_of_head(head, complete=len(head) < _HEAD) or _guess(head)
        elif shape == ARCHIVE:
            kind = _archive_kind(path, peek(path, _HEAD))
            yield from self._read_archive(path, kind or "tar")
            return
        yield from self._read_lines(shape, _lines(path), str(path), path.name)

    def _read_lines(
        self, shape: str, lines: Iterator[tuple[int, bytes]], where: str, name: str
    ) -> Iterator[Record]:
        if shape == TREE_TSV:
            yield from self._read_tree_tsv(lines, where)
        elif shape == TREE:
            yield from self._read_tree(lines, where, name)
        else:
            yield from self._read_edges(lines, where, name, shape)

    def _read_archive(self, path: Path, kind: str) -> Iterator[Record]:
        """Every member that is an edge list or a tree; others (README, labels) are skipped."""
        try:
            for member in _members(path, kind):
                shape = _member_shape(member)
                if shape is None:
                    continue
                where = f"{path}[{member.name}]"
                lines = _member_lines(member, where)
                yield from self._read_lines(shape, lines, where, member.name.rsplit("/", 1)[-1])
        except _ArchiveFault as fault:
            raise SourceError(
                f"truncated or corrupt {kind} archive ({type(fault.cause).__name__}: {fault})",
                path=path,
                record=f"member {fault.member}" if fault.member else None,
            ) from None

    def _network(self, default: str) -> str:
        return self.params.get("network", default)

    def _action(self, shape: str) -> str:
        return self.params.get("action", DEFAULT_ACTION[shape])

    # -- edge lists ------------------------------------------------------------------------------

    def _read_edges(
        self, lines: Iterator[tuple[int, bytes]], where: str, name: str, shape: str
    ) -> Iterator[Record]:
        network = self._network(network_for(name))
        action = self._action(shape)
        comma = shape == RATINGS
        expected = "'src,dst,rating,ts'" if comma else "'src dst ts'"
        run_ts: bytes | None = None
        run: dict[tuple[str, str], int] = {}
        first = True
        for number, raw in lines:
            line = raw.strip()
            if not line or line.startswith((b"#", b"%")):
                continue
            if first:
                first = False
                if _HEADER_LINE.match(line):
                    continue
            fields = [f.strip() for f in line.split(b",")] if comma else line.split()
            try:
                if len(fields) not in (3, 4):
                    raise _Invalid(
                        "line",
                        f"expected {expected} ({'comma' if comma else 'whitespace'}-separated, "
                        f"3 or 4 fields), found {len(fields)} field(s)",
                    )
                src = _text(fields[0], "src")
                dst = _text(fields[1], "dst")
                if not src or not dst:
                    raise _Invalid("src" if not src else "dst", "expected an id, found nothing")
                seconds = _float(fields[-1], "ts", "a time in seconds such as 1082040961")
                value = (
                    _float(fields[2], "value", "a number such as -10 or 4")
                    if len(fields) == 4
                    else None
                )
                ts = _utc(self._epoch + seconds, "ts")
            except _Invalid as exc:
                yield Rejected(
                    SourceError(exc.message, path=where, line=number, field=exc.field),
                    raw.decode("utf-8", "replace"),
                )
                continue
            raw_ts = fields[-1]
            if raw_ts != run_ts:
                # Identical edges share a timestamp; files are sorted by time, so counting
                # within a run of equal timestamps keeps memory bounded.
                run_ts = raw_ts
                run.clear()
            n = run.get((src, dst), 0)
            run[(src, dst)] = n + 1
            yield Event(
                network=network,
                event_id=f"{src}:{dst}:{raw_ts.decode('ascii', 'replace')}:{n}",
                ts=ts,
                actor=src,
                action=action,
                target=dst,
                value=value,
            )

    # -- Twitter15/16 trees ----------------------------------------------------------------------

    def _read_tree(
        self, lines: Iterator[tuple[int, bytes]], where: str, name: str
    ) -> Iterator[Record]:
        """One raw tree file; its name (``<source tweet id>.txt``) names the cascade."""
        stem = name.split(".", 1)[0]
        root = stem if stem.isdigit() else None
        pending: list[tuple[int, bytes]] = []
        cascade: _Cascade | None = None
        for number, raw in lines:
            if cascade is None:
                if root is None:
                    # Without a tweet id for a name, the ROOT line names the source tweet.
                    pending.append((number, raw))
                    match = _TREE_LINE.match(raw.strip())
                    if not (match and match.group(1) == b"ROOT"):
                        continue
                    root = match.group(5).decode("ascii", "replace")
                cascade = self._cascade(root, where)
                backlog, pending = pending, []
                for old_number, old_raw in backlog:
                    yield from self._tree_line(cascade, old_number, old_raw, where)
                if backlog:
                    continue
            yield from self._tree_line(cascade, number, raw, where)
        if cascade is None and pending:
            raise SourceError(
                "cannot tell the cascade's source tweet: the file is not named "
                "<tweet id>.txt and has no ['ROOT', 'ROOT', ...] line",
                path=where,
            )

    def _cascade(self, root: str, where: str) -> _Cascade:
        try:
            return _Cascade(root)
        except _Invalid as exc:
            raise SourceError(exc.message, path=where, field=exc.field) from None

    def _tree_line(
        self, cascade: _Cascade, number: int, raw: bytes, where: str
    ) -> Iterator[Record]:
        line = raw.strip()
        if not line:
            return
        match = _TREE_LINE.match(line)
        try:
            if match is None:
                raise _Invalid(
                    "line",
                    "expected ['uid', 'tweet_id', 'delay']->['uid', 'tweet_id', 'delay'], "
                    f"found {line[:60].decode('utf-8', 'replace')!r}",
                )
            parts = [_text(g, "line") for g in match.groups()]
            event = self._tree_event(cascade, parts[0], parts[1], parts[3], parts[4], parts[5])
        except _Invalid as exc:
            yield Rejected(
                SourceError(exc.message, path=where, line=number, field=exc.field),
                raw.decode("utf-8", "replace"),
            )
            return
        yield event

    def _tree_event(
        self,
        cascade: _Cascade,
        parent_uid: str,
        parent_tweet: str,
        child_uid: str,
        child_tweet: str,
        delay: str,
        est_utc: str | None = None,
    ) -> Event:
        """The event of one tree edge; ``est_utc`` is the flattened list's time, if read."""
        if not child_uid or not child_tweet:
            raise _Invalid("child", "expected the child's user and tweet ids, found nothing")
        minutes = _float(delay.encode(), "delay_min", "a delay in minutes such as 0.53")
        source = parent_uid == "ROOT"
        if source:
            # The source post is dated by its own id (the flattened list dates it by the
            # cascade's name, which differs in 17 trees whose ROOT line is an earlier tweet).
            ts = _utc(_snowflake_ms(child_tweet, "child_tweet_id") // 1000, "child_tweet_id")
        elif est_utc is not None:
            try:
                ts = parse_ts(est_utc)
            except ValueError as exc:
                raise _Invalid("est_utc", str(exc)) from None
        elif child_tweet != parent_tweet:
            ts = _utc(_snowflake_ms(child_tweet, "child_tweet_id") // 1000, "child_tweet_id")
        else:
            ts = _utc(math.floor((cascade.root_ms + minutes * 60000) / 1000), "delay_min")
        network = self._network(TWITTER)
        if source:
            return Event(
                network=network,
                event_id=child_tweet,
                ts=ts,
                actor=child_uid,
                action=Action.POST.value,
                content_id=child_tweet,
            )
        if not parent_uid or not parent_tweet:
            raise _Invalid("parent", "expected the parent's user and tweet ids, found nothing")
        key = (parent_uid, parent_tweet, child_uid, child_tweet, repr(minutes))
        n = cascade.occurrence(key)
        return Event(
            network=network,
            event_id=f"cascade:{cascade.root}:{':'.join(key)}:{n}",
            ts=ts,
            actor=child_uid,
            action=self._action(TREE),
            target=parent_uid,
            content_id=cascade.root,
            parent_id=parent_tweet,
        )

    def _read_tree_tsv(self, lines: Iterator[tuple[int, bytes]], where: str) -> Iterator[Record]:
        """The flattened edge list: a header, then one tab-separated edge a line."""
        cascade: _Cascade | None = None
        header = True
        for number, raw in lines:
            if header:
                header = False
                if tuple(raw.removeprefix(b"\xef\xbb\xbf").strip().split(b"\t")) != _TSV_HEADER:
                    raise SourceError(
                        "expected the header " + "\\t".join(h.decode() for h in _TSV_HEADER),
                        path=where,
                        line=number,
                        field="header",
                    )
                continue
            if not raw.strip():
                continue
            fields = raw.split(b"\t")
            try:
                if len(fields) != len(_TSV_HEADER):
                    raise _Invalid(
                        "line",
                        f"expected {len(_TSV_HEADER)} tab-separated fields, found {len(fields)}",
                    )
                root, parent_uid, parent_tweet, child_uid, child_tweet, delay, est, _ = (
                    _text(f, name.decode()) for f, name in zip(fields, _TSV_HEADER, strict=True)
                )
                if cascade is None or cascade.root != root:
                    # Rows come grouped by cascade; identical edges are counted within one.
                    cascade = _Cascade(root)
                event = self._tree_event(
                    cascade, parent_uid, parent_tweet, child_uid, child_tweet, delay, est
                )
            except _Invalid as exc:
                yield Rejected(
                    SourceError(exc.message, path=where, line=number, field=exc.field),
                    raw.decode("utf-8", "replace"),
                )
                continue
            yield event


def _guess(head: bytes) -> str:
    """A shape for content that sniffing would not claim (read was asked for it explicitly)."""
    first = next(iter(_data_lines(head, complete=True)), b"")
    if first.startswith(b"[") and b"->" in first:
        return TREE
    return RATINGS if b"," in first else MESSAGES
