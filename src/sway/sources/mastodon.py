"""Mastodon: account archives (ActivityPub JSON) and REST API responses (JSON).

Inputs, recognised from their content:

- an account archive as a ``.zip`` or the folder it unpacks to (``outbox.json``, ``likes.json``,
  ``actor.json``), or one of those files alone (``likes.json`` needs ``actor.json`` beside it);
- a REST API response saved as JSON (a Status, a list of Statuses, Notifications, Accounts,
  Conversations, a Context, search results, a Relationship), or a folder of them. An
  ``index.tsv`` beside the files (``file<TAB>method<TAB>url``) tells what a bare list of
  accounts is (``favourited_by``, ``reblogged_by``, ``followers``, ``following``); HTTP
  recordings (vcr cassettes) in such a folder are skipped, as their bodies are the JSON files.

Account ids are ``username@instance`` in lower case and post ids are ActivityPub URIs in both
kinds of input, so an archive and an API dump of the same account agree (``_mastodon_ids``).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

from sway.errors import SourceError
from sway.sources._io import open_binary, peek, strip_compression
from sway.sources._mastodon_api import ApiContext, read_api_json
from sway.sources._mastodon_export import (
    archive_members,
    find_archive_files,
    read_actor,
    read_export_folder,
    read_export_zip,
    read_likes,
    read_outbox,
)
from sway.sources._social import data_files, is_cassette, read_index_tsv
from sway.sources.base import Record, Source

__all__ = ["MastodonSource", "sniff_kind"]

_HEAD = 4096
_JSON_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*[\[{]")
_AS_CONTEXT = b"https://www.w3.org/ns/activitystreams"
_COLLECTION = re.compile(rb'"type"\s*:\s*"OrderedCollection"')
_ACTIVITY_ITEMS = re.compile(rb'"orderedItems"\s*:\s*\[\s*\{')
_URI_ITEMS = re.compile(rb'"orderedItems"\s*:\s*\[\s*"')
_ACTOR_TYPE = re.compile(rb'"type"\s*:\s*"(?:Person|Service|Application|Group|Organization)"')
_API_SIGNS = (
    (re.compile(rb'"spoiler_text"\s*:'), re.compile(rb'"visibility"\s*:')),  # Status
    (re.compile(rb'"acct"\s*:'), re.compile(rb'"username"\s*:')),  # Account, Notification
    (re.compile(rb'"showing_reblogs"\s*:'), re.compile(rb'"followed_by"\s*:')),  # Relationship
    (re.compile(rb'^\s*\{\s*"ancestors"\s*:'), re.compile(rb'"descendants"\s*:')),  # Context
    (re.compile(rb'"last_status"\s*:'), re.compile(rb'"unread"\s*:')),  # Conversation
)
_ARCHIVE_NAMES = {"outbox.json": "outbox", "likes.json": "likes", "actor.json": "actor"}
#: Bodies that are Mastodon's in a Mastodon folder but say nothing alone: an empty list or
#: object, ``{"count": n}`` (unread counts).
_NEUTRAL = re.compile(rb'^\s*(?:\[\s*\]|\{\s*\}|\{\s*"count"\s*:\s*\d+\s*\})\s*$')
#: How many files of a folder are looked at (4 KiB each) to recognise it.
_FOLDER_SAMPLE = 500


def sniff_kind(head: bytes) -> str | None:
    """``outbox``, ``likes``, ``actor`` or ``api`` from the first KB of a file, else ``None``."""
    if not _JSON_START.match(head):
        return None
    if _AS_CONTEXT in head:
        if _COLLECTION.search(head) and _ACTIVITY_ITEMS.search(head):
            return "outbox"
        if _COLLECTION.search(head) and _URI_ITEMS.search(head):
            return "likes"
        if _ACTOR_TYPE.search(head) and b'"preferredUsername"' in head:
            return "actor"
        return None
    text = head.lstrip(b"\xef\xbb\xbf")
    for first, second in _API_SIGNS:
        if first.search(text) and second.search(text):
            return "api"
    return None


class MastodonSource(Source):
    name = "mastodon"
    description = (
        "Mastodon account archive (zip or folder: outbox.json, likes.json, actor.json) and "
        "REST API JSON (statuses, notifications, accounts, conversations)"
    )
    options: ClassVar[Mapping[str, str]] = {
        "account": "your own account (user@instance) for REST API responses: favourites, "
        "follows and follow notifications of the authenticated user need it",
    }

    def sniff(self, path: Path) -> float:
        try:
            if path.is_dir():
                return self._sniff_folder(path)
            if strip_compression(path).suffix.lower() == ".zip" or peek(path, 4) == b"PK\x03\x04":
                return self._sniff_zip(path)
            kind = sniff_kind(peek(path, _HEAD))
        except (OSError, ValueError):
            return 0.0
        if kind in ("outbox", "likes", "actor"):
            return 0.95
        return 0.9 if kind == "api" else 0.0

    def _sniff_zip(self, path: Path) -> float:
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive_members(archive.namelist())
                if "outbox.json" not in members:
                    return 0.0
                with archive.open(members["outbox.json"]) as fh:
                    return 0.95 if sniff_kind(fh.read(_HEAD)) == "outbox" else 0.0
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
            return 0.0

    def _sniff_folder(self, folder: Path) -> float:
        archive = find_archive_files(folder)
        if archive:
            kinds = {sniff_kind(peek(p, _HEAD)) for p in archive.values()}
            return 0.95 if kinds & {"outbox", "likes"} and None not in kinds else 0.0
        # An API folder is claimed only if every data file in it (up to a bound) is a Mastodon
        # response, or a body that says nothing of its own (``[]``, a counter, instance
        # metadata): a folder of mixed exports is better read file by file.
        found = False
        for file in data_files(folder, limit=_FOLDER_SAMPLE):
            head = peek(file, _HEAD)
            if file.name == "index.tsv" or is_cassette(file, head):
                continue
            if not _is_json_name(file):
                return 0.0
            kind = sniff_kind(head)
            if kind is None and not _NEUTRAL.match(head) and not _is_instance(head):
                return 0.0
            found = found or kind == "api"
        return 0.9 if found else 0.0

    def read(self, path: Path) -> Iterator[Record]:
        if path.is_dir():
            if find_archive_files(path):
                yield from read_export_folder(path)
            else:
                yield from self._read_api_folder(path)
            return
        if strip_compression(path).suffix.lower() == ".zip" or peek(path, 4) == b"PK\x03\x04":
            yield from read_export_zip(path)
            return
        # A file named as an archive member is read as one, so that a damaged one gets the
        # archive's error messages rather than a guess at another shape.
        kind = sniff_kind(peek(path, _HEAD)) or _ARCHIVE_NAMES.get(strip_compression(path).name)
        if kind == "actor":
            with open_binary(path) as fh:
                yield from read_actor(fh, path)[1]
        elif kind == "likes":
            actor = find_archive_files(path.parent).get("actor.json")
            if actor is None:
                raise SourceError(
                    "likes.json needs actor.json beside it to know whose likes these are",
                    path=path,
                )
            with open_binary(actor) as fh:
                owner, accounts = read_actor(fh, actor)
            yield from accounts
            with open_binary(path) as fh:
                yield from read_likes(fh, path, owner=owner)
        elif kind == "outbox":
            with open_binary(path) as fh:
                yield from read_outbox(fh, path)
        else:
            # The REST API shape is recognised entity by entity while reading.
            url = read_index_tsv(path.parent).get(path.name, ("", None))[1]
            yield from self._read_api_files([(path, url)])

    def _read_api_folder(self, folder: Path) -> Iterator[Record]:
        files: list[tuple[Path, str | None]] = []
        indexes: dict[Path, dict[str, tuple[str, str]]] = {}
        for file in data_files(folder):
            if file.name == "index.tsv" or is_cassette(file, peek(file, 512)):
                continue
            if not _is_json_name(file):
                raise SourceError(
                    "not a Mastodon API response: expected JSON files (and index.tsv) only",
                    path=file,
                )
            if file.parent not in indexes:
                indexes[file.parent] = read_index_tsv(file.parent)
            files.append((file, indexes[file.parent].get(file.name, ("", None))[1]))
        yield from self._read_api_files(files)

    def _read_api_files(self, files: list[tuple[Path, str | None]]) -> Iterator[Record]:
        # Two passes: the first learns which server-local id is which post and account, so
        # that a reply or a favourited_by list resolves whatever order the files come in.
        ctx = ApiContext(self.params.get("account"))
        for file, url in files:
            try:
                with open_binary(file) as fh:
                    for _ in read_api_json(fh, file, ctx, url=url):
                        pass
            except SourceError:
                continue  # raised again, in its place, by the second pass
        ctx = ctx.fresh()
        for file, url in files:
            with open_binary(file) as fh:
                yield from read_api_json(fh, file, ctx, url=url)


def _is_instance(head: bytes) -> bool:
    """``/api/v1|v2/instance`` metadata."""
    return b'"registrations"' in head and (b'"domain"' in head or b'"uri"' in head)


def _is_json_name(path: Path) -> bool:
    return strip_compression(path).suffix.lower() == ".json"
