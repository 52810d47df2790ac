"""Bluesky (AT Protocol): repository exports, firehose commits and app view (XRPC) JSON.

Inputs, recognised from their content:

- a repository export, a CAR v1 file (``com.atproto.sync.getRepo``; Settings → Privacy and
  security → Export my data), current (v3) or 2022-23 (v2) repository format;
- firehose ``#commit`` events (``com.atproto.sync.subscribeRepos``): their JSON rendering, one
  per file or per line, or the binary frames (DAG-CBOR header and body) one after another;
- app view JSON responses: ``getAuthorFeed``, ``getTimeline``, ``getActorLikes``, ``getPosts``,
  ``getQuotes``, ``searchPosts``, ``getPostThread``, ``getLikes``, ``getRepostedBy``,
  ``getFollowers``, ``getFollows``, ``listNotifications``, ``listRecords``, ``getRecord``,
  ``getProfile(s)``;
- a folder of any of these. ``*.records.jsonl`` beside a ``.car`` of the same name (a decoded
  copy), ``index.tsv`` and HTTP recordings (vcr cassettes) in such a folder are skipped.

Accounts are DIDs; posts and reposts are AT URIs (``_bluesky_records``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from sway.errors import SourceError
from sway.sources._bluesky_repo import read_car, read_firehose_cbor, read_firehose_json
from sway.sources._bluesky_xrpc import read_xrpc_json
from sway.sources._io import open_binary, peek, strip_compression
from sway.sources._social import data_files, is_cassette
from sway.sources.base import Record, Source

__all__ = ["BlueskySource", "sniff_kind"]

_HEAD = 4096
_JSON_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*[\[{]")
_FIREHOSE_JSON = (
    re.compile(rb'"blocks"\s*:\s*\{\s*"\$bytes"'),
    re.compile(rb'"ops"\s*:\s*\['),
)
_REPO_DID = re.compile(rb'"repo"\s*:\s*"did:')
_ATPROTO_SIGNS = (
    re.compile(rb'"at://did:[a-z]+:'),
    re.compile(rb'"did"\s*:\s*"did:[a-z]+:'),
    re.compile(rb'"\$type"\s*:\s*"(?:app\.bsky|com\.atproto)\.'),
)
_FRAME_TYPES = (b"#commit", b"#identity", b"#account", b"#sync", b"#handle", b"#info")
#: How many files of a folder are looked at (4 KiB each) to recognise it.
_FOLDER_SAMPLE = 500


def sniff_kind(head: bytes) -> str | None:
    """``car``, ``frames``, ``firehose`` or ``xrpc`` from the first KB of a file, else ``None``."""
    if len(head) > 8 and head[0] < 0x80 and b"eroots" in head[1:12] and b"gversion" in head[:160]:
        return "car"
    if head[:1] == b"\xa2" and b"bop" in head[:24] and any(t in head[:40] for t in _FRAME_TYPES):
        return "frames"
    if not _JSON_START.match(head):
        return None
    if _FIREHOSE_JSON[0].search(head) or (
        _FIREHOSE_JSON[1].search(head) and _REPO_DID.search(head)
    ):
        return "firehose"
    signs = sum(1 for sign in _ATPROTO_SIGNS if sign.search(head))
    return "xrpc" if signs >= 2 or (signs and b'"handle"' in head) else None


def _is_derived_copy(file: Path) -> bool:
    """``x.records.jsonl`` beside ``x.car``: a decoded copy of the repository, not more data."""
    name = strip_compression(file).name
    return (
        name.endswith(".records.jsonl")
        and (file.parent / (name[: -len(".records.jsonl")] + ".car")).is_file()
    )


class BlueskySource(Source):
    name = "bluesky"
    description = (
        "Bluesky / AT Protocol: repository export (.car), firehose #commit events (JSON or "
        "binary frames), app view JSON (feeds, likes, reposts, follows, notifications)"
    )

    def sniff(self, path: Path) -> float:
        try:
            if path.is_dir():
                return self._sniff_folder(path)
            kind = sniff_kind(peek(path, _HEAD))
        except (OSError, ValueError):
            return 0.0
        return {"car": 0.95, "frames": 0.9, "firehose": 0.95, "xrpc": 0.9}.get(kind or "", 0.0)

    def _sniff_folder(self, folder: Path) -> float:
        # A folder is claimed only if every data file in it (up to a bound) is Bluesky's: a
        # folder of mixed exports is better read file by file, each by its own importer.
        found = False
        for file in data_files(folder, limit=_FOLDER_SAMPLE):
            head = peek(file, _HEAD)
            if file.name == "index.tsv" or is_cassette(file, head) or _is_derived_copy(file):
                continue
            if sniff_kind(head) is None:
                return 0.0
            found = True
        return 0.9 if found else 0.0

    def read(self, path: Path) -> Iterator[Record]:
        if not path.is_dir():
            yield from self._read_file(path, sniff_kind(peek(path, _HEAD)))
            return
        for file in data_files(path):
            head = peek(file, _HEAD)
            if file.name == "index.tsv" or is_cassette(file, head) or _is_derived_copy(file):
                continue
            kind = sniff_kind(head)
            if kind is None:
                raise SourceError(
                    "not a Bluesky file: expected a repository .car, firehose events or app "
                    "view JSON",
                    path=file,
                )
            yield from self._read_file(file, kind)

    def _read_file(self, path: Path, kind: str | None) -> Iterator[Record]:
        if kind == "car" or (kind is None and strip_compression(path).suffix.lower() == ".car"):
            yield from read_car(path)
        elif kind == "frames":
            yield from read_firehose_cbor(path)
        elif kind == "firehose":
            yield from read_firehose_json(path)
        else:
            with open_binary(path) as fh:
                yield from read_xrpc_json(fh, path)
