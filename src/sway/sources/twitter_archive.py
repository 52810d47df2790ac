"""An X/Twitter account archive ("Download an archive of your data"), as a folder or a .zip.

The archive's ``data/`` folder holds JavaScript files that assign a JSON array to a global
(``window.YTD.tweets.part0 = [ ... ]``); big data types are split into ``tweets-part1.js``
and so on. Read here: ``account.js`` (and ``manifest.js``, ``ageinfo.js``) for the owner's
account, ``tweets.js`` (``tweet.js`` in 2019-2022 archives) for posts, replies, retweets,
quotes and mentions, ``like.js`` for likes, ``follower.js`` and ``following.js`` for
follows. Every other data type is left alone. One file of an archive can also be read on its
own, with ``account.js`` beside it or the ``account_id`` option.

Archive tweets are v1.1-shaped without a ``user`` (the owner wrote them all), with numbers
as strings, retweets kept only as ``RT @handle:`` text, and quotes only as links to the
quoted tweet; :mod:`sway.sources._twitter` reads them like API tweets. Likes carry no time:
their ``ts`` is the liked tweet's own time from its id (derived). Follows carry none either:
their ``ts`` is when the archive was made (``manifest.js``, or the ``observed_at`` option),
derived too; without that they are undated and not stored (a file's modification time says
when it was copied, not when anyone followed anyone). Files are streamed record by record.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, ClassVar, NamedTuple

from sway.errors import ConfigError, SourceError
from sway.events import Account, Event
from sway.sources._archive import check_zip
from sway.sources._io import peek
from sway.sources._twitter import (
    MENTION,
    NETWORK,
    REPLY,
    Fault,
    clean_text,
    describe,
    follow_event,
    get_dict,
    get_id,
    get_str,
    iter_json_values,
    like_event,
    observed_option,
    parse_time,
    reaction_time,
    v1_records,
)
from sway.sources.base import Record, Rejected, Source

__all__ = ["TwitterArchiveSource"]

_FILE_RE = re.compile(r"(?P<kind>[a-z_-]+?)(?:-part(?P<part>[0-9]{1,4}))?\.js")
_YTD_RE = re.compile(rb"\s*window\.YTD\.(?P<kind>[A-Za-z0-9_]+)\.part[0-9]+\s*=\s*\[")
_MANIFEST_RE = re.compile(rb"\s*window\.__THAR_CONFIG\s*=\s*\{")
#: The data types read, by the file name's stem; ``tweet`` is the 2019-2022 name.
_KINDS = ("manifest", "account", "ageinfo", "tweets", "tweet", "like", "follower", "following")
_MARKER_FILES = ("manifest.js", "account.js", "tweets.js", "tweet.js")
_ZIP_MAGIC = b"PK\x03\x04"


class _Member(NamedTuple):
    """One data file of an archive: its label for messages and how to open it."""

    label: str
    kind: str
    part: int
    open: Callable[[], IO[bytes]]


class _Archive(NamedTuple):
    files: dict[str, list[_Member]]
    close: Callable[[], None]


def _kind_of(name: str) -> tuple[str, int] | None:
    match = _FILE_RE.fullmatch(name)
    if not match or match.group("kind") not in _KINDS:
        return None
    return match.group("kind"), int(match.group("part") or 0)


def _folder_archive(folder: Path) -> _Archive:
    data = folder / "data" if (folder / "data").is_dir() else folder
    try:
        entries = sorted(data.iterdir())
    except OSError as exc:
        raise SourceError(f"cannot list the folder: {exc.strerror or exc}", path=data) from None
    files: dict[str, list[_Member]] = {}
    for file in entries:
        kind = _kind_of(file.name) if file.is_file() else None
        if kind is not None:
            files.setdefault(kind[0], []).append(
                _Member(str(file), kind[0], kind[1], _opener(file))
            )
    return _Archive(files, lambda: None)


def _opener(file: Path) -> Callable[[], IO[bytes]]:
    def open_file() -> IO[bytes]:
        try:
            return file.open("rb")
        except OSError as exc:
            raise SourceError(f"cannot open: {exc.strerror or exc}", path=file) from None

    return open_file


def _zip_archive(path: Path) -> _Archive:
    try:
        archive = zipfile.ZipFile(path)
        infos = archive.infolist()
    except Exception as exc:  # a damaged zip fails in many ways (struct, zlib, decoding, ...)
        raise SourceError(
            f"not a readable .zip archive ({type(exc).__name__}: {exc})", path=path
        ) from None
    try:
        check_zip(archive, path)
    except SourceError:
        archive.close()
        raise
    # The data folder is where account.js (or another marker file) lives, at any depth.
    prefix: str | None = None
    for info in infos:
        folder, _, name = info.filename.rpartition("/")
        if name in _MARKER_FILES and (prefix is None or len(folder) < len(prefix)):
            prefix = folder
    if prefix is None:
        archive.close()
        raise SourceError(
            "expected an X/Twitter archive with data/account.js or data/tweets.js, found none",
            path=path,
        )
    files: dict[str, list[_Member]] = {}
    for info in infos:
        folder, _, name = info.filename.rpartition("/")
        kind = _kind_of(name) if folder == prefix and not info.is_dir() else None
        if kind is None:
            continue
        files.setdefault(kind[0], []).append(
            _Member(f"{path}/{info.filename}", kind[0], kind[1], _zip_opener(archive, info, path))
        )
    return _Archive(files, archive.close)


def _zip_opener(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path
) -> Callable[[], IO[bytes]]:
    def open_member() -> IO[bytes]:
        try:
            return archive.open(info)
        except Exception as exc:  # bad header, encryption, unsupported compression, ...
            raise SourceError(
                f"cannot read {info.filename} from the archive ({type(exc).__name__}: {exc})",
                path=path,
            ) from None

    return open_member


def _file_archive(file: Path) -> _Archive:
    """One data file read on its own, with the owner's files beside it."""
    kind = _ytd_kind(peek(file, 256))
    if kind is None:
        raise SourceError(
            "expected an X/Twitter archive file starting 'window.YTD.<name>.part0 = ['",
            path=file,
            line=1,
        )
    if kind not in _KINDS:
        raise SourceError(
            f"the archive's {kind!r} data carries nothing sway reads; the data types read are "
            "tweets, like, follower, following and account",
            path=file,
            line=1,
        )
    files: dict[str, list[_Member]] = {kind: [_Member(str(file), kind, 0, _opener(file))]}
    for owner_kind in ("manifest", "account", "ageinfo"):
        sibling = file.with_name(f"{owner_kind}.js")
        if owner_kind not in files and sibling.is_file():
            files[owner_kind] = [_Member(str(sibling), owner_kind, 0, _opener(sibling))]
    return _Archive(files, lambda: None)


def _ytd_kind(head: bytes) -> str | None:
    head = head.lstrip(b"\xef\xbb\xbf")
    if _MANIFEST_RE.match(head):
        return "manifest"
    match = _YTD_RE.match(head)
    return match.group("kind").decode() if match else None


def _records(member: _Member) -> Iterator[tuple[int, Any]]:
    """``(line, record)`` for each element of a ``window.YTD.*`` array, streamed."""
    with member.open() as fh:
        for item in iter_json_values(fh, member.label, array=True, js_assignment=True):
            yield item.line, item.value


def _manifest(member: _Member) -> dict[str, Any]:
    with member.open() as fh:
        for item in iter_json_values(fh, member.label, array=False, js_assignment=True):
            if isinstance(item.value, dict):
                return item.value
            raise SourceError(
                f"expected an object, found {describe(item.value)}", path=member.label, line=1
            )
    return {}


def _inner(record: Any, key: str) -> dict[str, Any]:
    """The payload of ``{"<key>": {...}}`` (older archives store tweets bare)."""
    if not isinstance(record, dict):
        raise Fault(key, f"expected an object, found {describe(record)}")
    if key in record:
        return get_dict(record, key)
    if key == "tweet":
        return record
    raise Fault(
        key, f"expected an object with {key!r}, found keys {', '.join(sorted(record))[:60]}"
    )


class TwitterArchiveSource(Source):
    name = "twitter-archive"
    description = "X/Twitter account archive (folder or .zip): tweets, likes, followers, following"
    options: ClassVar[Mapping[str, str]] = {
        "account_id": "the archive owner's numeric id, when account.js is missing",
        "observed_at": "when the archive was made (ISO 8601), the time given to follows; "
        "default: manifest.js's generationDate; without either, follows are undated and not "
        "stored",
    }

    def sniff(self, path: Path) -> float:
        try:
            return self._sniff(path)
        except Exception:  # sniffing must never fail, whatever the input
            return 0.0

    @staticmethod
    def _sniff(path: Path) -> float:
        if path.is_dir():
            for folder in (path / "data", path):
                for name in _MARKER_FILES:
                    if _ytd_kind(peek(folder / name, 128)) is not None:
                        return 0.95
            return 0.0
        if not path.is_file():
            return 0.0
        head = peek(path, 256)
        if head.startswith(_ZIP_MAGIC):
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist()[:100_000]:
                    parent, _, base = name.rpartition("/")
                    if base in _MARKER_FILES and parent.rpartition("/")[2] == "data":
                        return 0.95
            return 0.0
        kind = _ytd_kind(head)
        if kind is None:
            return 0.0
        return 0.9 if kind in _KINDS else 0.3

    def read(self, path: Path) -> Iterator[Record]:
        observed = observed_option(self.params)
        if path.is_dir():
            archive = _folder_archive(path)
        elif peek(path, 4).startswith(_ZIP_MAGIC) or path.suffix.lower() == ".zip":
            archive = _zip_archive(path)
        else:
            archive = _file_archive(path)
        try:
            yield from self._read(path, archive, observed)
        finally:
            archive.close()

    def _read(self, path: Path, archive: _Archive, observed: datetime | None) -> Iterator[Record]:
        files = archive.files
        owner, accounts, made = self._owner(files)
        owner = owner or get_option_id(self.params.get("account_id"))
        if owner is None:
            raise SourceError(
                "cannot tell whose archive this is: account.js is missing; "
                "pass -o account_id=<numeric id>",
                path=path,
            )
        observed = observed or made
        yield from accounts
        # Authors of tweets the owner wrote or replied to, so that likes of them get a target.
        authors: dict[str, str] = {}
        for member in sorted(files.get("tweets", []) + files.get("tweet", []), key=_order):
            for line, record in _records(member):
                try:
                    records = v1_records(_inner(record, "tweet"), "tweet", owner)
                except Fault as fault:
                    yield Rejected(fault.at(member.label, line=line))
                    continue
                for item in records:
                    if not isinstance(item, Event) or item.action == MENTION:
                        continue
                    if item.action == REPLY and item.parent_id and item.target:
                        authors[item.parent_id] = item.target
                    authors.setdefault(item.event_id, owner)
                yield from records
        for member in sorted(files.get("like", []), key=_order):
            for line, record in _records(member):
                try:
                    like = _inner(record, "like")
                    tweet_id = get_id(like, "tweetId", field="like.tweetId")
                    if tweet_id is None:
                        raise Fault("like.tweetId", "expected the liked tweet's id, found nothing")
                    yield like_event(
                        owner,
                        tweet_id,
                        target=authors.get(tweet_id),
                        ts=reaction_time(tweet_id, observed),
                        text=clean_text(get_str(like, "fullText", "like.fullText")),
                    )
                except Fault as fault:
                    yield Rejected(fault.at(member.label, line=line))
        for kind in ("follower", "following"):
            for member in sorted(files.get(kind, []), key=_order):
                yield from self._follows(member, kind, owner, observed)

    @staticmethod
    def _follows(member: _Member, kind: str, owner: str, when: datetime | None) -> Iterator[Record]:
        for line, record in _records(member):
            try:
                entry = _inner(record, kind)
                other = get_id(entry, "accountId", field=f"{kind}.accountId")
                if other is None:
                    raise Fault(f"{kind}.accountId", "expected an account id, found nothing")
                if kind == "follower":
                    yield follow_event(other, owner, when)
                else:
                    yield follow_event(owner, other, when)
            except Fault as fault:
                yield Rejected(fault.at(member.label, line=line))

    @staticmethod
    def _owner(
        files: dict[str, list[_Member]],
    ) -> tuple[str | None, list[Record], datetime | None]:
        """The owner's id, their account record, and when the archive was made."""
        owner: str | None = None
        handle = name = None
        created: datetime | None = None
        made: datetime | None = None
        birth: date | None = None
        rejected: list[Record] = []
        for member in files.get("manifest", [])[:1]:
            manifest = _manifest(member)
            try:
                user = get_dict(manifest, "userInfo")
                owner = get_id(user, "accountId", field="userInfo.accountId")
                handle = get_str(user, "userName", "userInfo.userName")
                name = get_str(user, "displayName", "userInfo.displayName")
                info = get_dict(manifest, "archiveInfo")
                generated = info.get("generationDate")
                if generated is not None:
                    made = parse_time(generated, "archiveInfo.generationDate")
            except Fault as fault:
                raise fault.at(member.label, line=1) from None
        for member in files.get("account", [])[:1]:
            for line, record in _records(member):
                try:
                    account = _inner(record, "account")
                    owner = get_id(account, "accountId", field="account.accountId") or owner
                    handle = get_str(account, "username", "account.username") or handle
                    name = (
                        get_str(account, "accountDisplayName", "account.accountDisplayName") or name
                    )
                    value = account.get("createdAt")
                    if value is not None:
                        created = parse_time(value, "account.createdAt")
                except Fault as fault:
                    rejected.append(Rejected(fault.at(member.label, line=line)))
                break
        for member in files.get("ageinfo", [])[:1]:
            for line, record in _records(member):
                try:
                    meta = get_dict(_inner(record, "ageMeta"), "ageInfo", "ageMeta.ageInfo")
                    born = get_str(meta, "birthDate", "ageMeta.ageInfo.birthDate")
                    if born is not None:
                        try:
                            birth = date.fromisoformat(born)
                        except ValueError:
                            raise Fault(
                                "ageMeta.ageInfo.birthDate",
                                f"expected a date such as 1990-01-31, found {born!r}",
                            ) from None
                except Fault as fault:
                    rejected.append(Rejected(fault.at(member.label, line=line)))
                break
        records: list[Record] = list(rejected)
        if owner is not None:
            records.append(
                Account(
                    NETWORK,
                    owner,
                    handle=handle,
                    display_name=name,
                    created_at=created,
                    birth_date=birth,
                )
            )
        return owner, records, made


def _order(member: _Member) -> int:
    return member.part


def get_option_id(value: str | None) -> str | None:
    """The ``account_id`` option, checked to be a numeric id."""
    if value is None:
        return None
    try:
        return get_id({"account_id": value.strip()}, "account_id")
    except Fault:
        raise ConfigError(f"option account_id: expected a numeric id, found {value!r}") from None
