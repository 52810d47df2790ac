"""AT Protocol repositories (CAR files) and firehose ``#commit`` events.

A repository export (``com.atproto.sync.getRepo``, Settings → Export my data) is a CAR v1 file:
a DAG-CBOR header naming the root, then ``(CID, block)`` sections. The root is the signed commit
(``did``, ``data``); ``data`` is the root of a Merkle Search Tree whose keys are
``<collection>/<rkey>`` and whose values are the CIDs of the records. Blocks are decoded by
``libipld``; only the varint framing of the sections is read here, so that a large repository is
indexed (CID → offset) and its blocks decoded one at a time instead of all at once.

Firehose (``com.atproto.sync.subscribeRepos``) events come as their JSON rendering (``blocks`` as
``{"$bytes": base64}``, one event per file or per line) or as binary frames (a DAG-CBOR header
``{"op", "t"}`` followed by the DAG-CBOR body, one frame after another).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mmap
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import libipld
import orjson

from sway.errors import SourceError
from sway.sources._bluesky_records import is_did, profile_account, record_events
from sway.sources._io import iter_lines, open_binary
from sway.sources._social import Seen, as_dict, as_list, as_str
from sway.sources.base import Record, Rejected
from sway.sources.scratch import scratch_file

__all__ = ["read_car", "read_firehose_cbor", "read_firehose_json"]

#: Deeper than any real MST (fan-out 16 gives depth ~6 for a billion keys): a cycle guard.
_MAX_MST_DEPTH = 64
_MAX_FRAME_FILE = 256 * 1024 * 1024
_SHA256 = 0x12
_COMPRESSED = (".gz", ".bz2", ".xz")


def _varint(buf: bytes | mmap.mmap, pos: int, *, path: Path, what: str) -> tuple[int, int]:
    """An unsigned LEB128 varint at ``pos``: ``(value, position after it)``."""
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise SourceError(f"file ends inside the length of {what} (truncated?)", path=path)
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise SourceError(f"malformed length of {what} (varint too long)", path=path)


class _Car:
    """A CAR file indexed by CID, its blocks decoded on demand."""

    def __init__(self, buf: bytes | mmap.mmap, path: Path) -> None:
        self.buf = buf
        self.path = path
        self.blocks: dict[bytes, tuple[int, int]] = {}
        length, pos = _varint(buf, 0, path=path, what="the CAR header")
        if length == 0 or pos + length > len(buf):
            raise SourceError(
                f"CAR header of {length} bytes does not fit in the file (truncated?)",
                path=path,
                record="header",
            )
        prefix = bytes(buf[: pos + length])
        try:
            header = libipld.decode_dag_cbor(prefix[pos:])
        except ValueError as exc:
            raise SourceError(
                f"CAR header is not DAG-CBOR ({exc})", path=path, record="header"
            ) from None
        header = as_dict(header)
        roots = [r for r in as_list(header.get("roots")) if isinstance(r, bytes)]
        if header.get("version") != 1 or not roots:
            raise SourceError(
                f"expected a CAR v1 header with roots, found {sorted(header)}",
                path=path,
                record="header",
            )
        self.root = roots[0]
        pos += length
        number = 0
        while pos < len(buf):
            number += 1
            start = pos
            size, pos = _varint(buf, pos, path=path, what=f"block {number}")
            if size == 0 or pos + size > len(buf):
                raise SourceError(
                    f"block {number} at byte {start} claims {size} bytes; the file ends first "
                    "(truncated?)",
                    path=path,
                    record=f"block {number}",
                )
            section = bytes(buf[start : pos + size])
            try:
                # libipld splits the CID from the block (and checks the block decodes).
                _, decoded = libipld.decode_car(prefix + section)
            except ValueError as exc:
                raise SourceError(
                    f"block {number} at byte {start} does not decode ({exc})",
                    path=path,
                    record=f"block {number}",
                ) from None
            if len(decoded) != 1:
                raise SourceError(
                    f"block {number} at byte {start} does not hold one block",
                    path=path,
                    record=f"block {number}",
                )
            cid = next(iter(decoded))
            data_at = pos + len(cid)
            self._check_hash(cid, section[pos - start + len(cid) :], number)
            self.blocks[cid] = (data_at, pos + size)
            pos += size

    def _check_hash(self, cid: bytes, data: bytes, number: int) -> None:
        digest = as_dict(as_dict(libipld.decode_cid(cid)).get("hash"))
        if digest.get("code") == _SHA256 and hashlib.sha256(data).digest() != digest.get("digest"):
            raise SourceError(
                f"block {number} ({libipld.encode_cid(cid)}) does not match its hash "
                "(corrupt file)",
                path=self.path,
                record=f"block {number}",
            )

    def get(self, cid: Any, what: str) -> Any:
        """The decoded block ``cid``; ``KeyError`` if the CAR does not hold it."""
        if not isinstance(cid, bytes):
            raise SourceError(
                f"{what}: expected a CID link, found {type(cid).__name__}",
                path=self.path,
                record=what,
            )
        start, end = self.blocks[cid]
        try:
            return libipld.decode_dag_cbor(bytes(self.buf[start:end]))
        except ValueError as exc:
            raise SourceError(
                f"block {libipld.encode_cid(cid)} does not decode ({exc})",
                path=self.path,
                record=what,
            ) from None

    def node(self, cid: Any, what: str) -> Any:
        try:
            return self.get(cid, what)
        except KeyError:
            raise SourceError(
                f"{what} {libipld.encode_cid(cid)} is not in the file (partial export?)",
                path=self.path,
                record=what,
            ) from None


def _mst(
    car: _Car, cid: Any, visited: set[bytes], *, strict: bool, depth: int = 0
) -> Iterator[tuple[str, Any]]:
    """``(key, value CID)`` of every entry under the MST node ``cid``, in key order.

    Nodes in ``visited`` are skipped: a subtree shared by two commits is read once. A missing
    node is an error in a ``strict`` walk (the current tree) and skipped otherwise (history).
    """
    if depth > _MAX_MST_DEPTH:
        raise SourceError("repository tree deeper than 64 levels (a cycle?)", path=car.path)
    if isinstance(cid, bytes):
        if cid in visited:
            return
        visited.add(cid)
        if not strict and cid not in car.blocks:
            return
    where = f"tree node {libipld.encode_cid(cid) if isinstance(cid, bytes) else cid!r}"
    node = car.node(cid, "tree node")
    if not isinstance(node, dict) or not isinstance(node.get("e"), list):
        raise SourceError(
            f"expected a tree node {{l, e}}, found {type(node).__name__}",
            path=car.path,
            record=where,
        )
    if node.get("l") is not None:
        yield from _mst(car, node["l"], visited, strict=strict, depth=depth + 1)
    key = b""
    for entry in node["e"]:
        entry = as_dict(entry)
        prefix, suffix = entry.get("p"), entry.get("k")
        if (
            not isinstance(prefix, int)
            or isinstance(prefix, bool)
            or not isinstance(suffix, bytes)
            or not 0 <= prefix <= len(key)
        ):
            raise SourceError(
                "malformed tree entry (expected p: int, k: bytes)", path=car.path, record=where
            )
        key = key[:prefix] + suffix
        try:
            text = key.decode("utf-8")
        except UnicodeDecodeError:
            raise SourceError(
                f"tree key {key!r} is not UTF-8", path=car.path, record=where
            ) from None
        yield text, entry.get("v")
        if entry.get("t") is not None:
            yield from _mst(car, entry["t"], visited, strict=strict, depth=depth + 1)


def _tree(car: _Car, commit_cid: Any, what: str) -> tuple[Any, Any, Any]:
    """``(did, data, prev)`` of a commit: its DID, record tree root and previous commit."""
    commit = as_dict(car.node(commit_cid, what))
    if "data" not in commit and "root" in commit:
        # Repository format v1 (2022): commit → root {data, meta, prev} → meta {did}.
        root = as_dict(car.node(commit["root"], "repo root"))
        meta = as_dict(car.node(root.get("meta"), "repo meta")) if "meta" in root else {}
        return meta.get("did"), root.get("data"), root.get("prev")
    return commit.get("did"), commit.get("data"), commit.get("prev")


def _entries(car: _Car) -> Iterator[tuple[str, str, Any]]:
    """``(did, key, record CID)`` of the current tree, then of records only in older commits.

    A repository export may carry its history (the 2022-23 ones do): records deleted since
    (unfollows, legacy votes migrated to likes) are interactions that happened, as a firehose
    reader would have seen them, so they are read too; the current version comes first.
    """
    did, data, prev = _tree(car, car.root, "commit")
    if not is_did(did) or data is None:
        raise SourceError(
            "expected a signed commit with a did and a data tree", path=car.path, record="commit"
        )
    visited: set[bytes] = set()
    pairs: set[tuple[str, bytes]] = set()
    commits: set[bytes] = {car.root}
    root, strict = data, True
    while True:
        for key, value in _mst(car, root, visited, strict=strict):
            pair = (key, value if isinstance(value, bytes) else b"")
            if pair not in pairs:
                pairs.add(pair)
                yield str(did), key, value
        # Older commits, as far back as the file goes.
        if not isinstance(prev, bytes) or prev not in car.blocks or prev in commits:
            return
        commits.add(prev)
        _, root, prev = _tree(car, prev, "older commit")
        strict = False


def read_car(path: Path) -> Iterator[Record]:
    """Events and the profile of every record in a repository export."""
    with ExitStack() as stack:
        buf = _map(path, stack)
        car = _Car(buf, path)
        seen = Seen()
        for did, key, value in _entries(car):
            collection, _, rkey = key.partition("/")
            try:
                record = car.get(value, key)
            except KeyError:
                yield Rejected(
                    SourceError(
                        "the record's block is not in the file (partial export?)",
                        path=path,
                        record=key,
                    ),
                    None,
                )
                continue
            yield from record_events(
                did, collection, rkey or None, record, seen=seen, path=path, where=key
            )


def _map(path: Path, stack: ExitStack) -> bytes | mmap.mmap:
    """The file's bytes, memory-mapped (a compressed file is first inflated to a temp file)."""
    try:
        raw: IO[bytes]
        if path.suffix.lower() in _COMPRESSED:
            # mmap needs a real file: inflate to an anonymous temporary one (closed by ``stack``)
            # in the caller's scratch space (when ingesting, the store's spool folder).
            raw = stack.enter_context(scratch_file())
            with open_binary(path) as fh:
                shutil.copyfileobj(fh, raw)
        else:
            raw = stack.enter_context(path.open("rb"))
        raw.seek(0, 2)
        if raw.tell() == 0:
            raise SourceError("empty file; expected a CAR repository export", path=path)
        return stack.enter_context(mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ))
    except SourceError:
        raise
    except (OSError, EOFError, ValueError) as exc:
        raise SourceError(f"cannot read ({exc})", path=path) from None


def _b64(value: Any) -> bytes | None:
    text = as_str(as_dict(value).get("$bytes"))
    if text is None:
        return None
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _link(value: Any) -> str | None:
    return as_str(as_dict(value).get("$link"))


def _commit_events(
    event: dict[str, Any], blocks: dict[str, Any], *, seen: Seen, path: Path, where: str
) -> Iterator[Record]:
    """Events of the created and updated records of one ``#commit``."""
    did = event.get("repo")
    if not is_did(did):
        yield Rejected(
            SourceError(
                f"expected the repo's DID, found {did!r}", path=path, record=where, field="repo"
            ),
            None,
        )
        return
    for n, op in enumerate(as_list(event.get("ops")), 1):
        op = as_dict(op)
        if op.get("action") not in ("create", "update"):
            continue  # deletions remove nothing from a history of interactions
        key = as_str(op.get("path")) or ""
        collection, _, rkey = key.partition("/")
        cid = op.get("cid")
        cid_text = libipld.encode_cid(cid) if isinstance(cid, bytes) else _link(cid)
        record = blocks.get(cid_text) if cid_text else None
        if record is None:
            yield Rejected(
                SourceError(
                    f"op {n} ({key}): its record block is not in the event's blocks",
                    path=path,
                    record=where,
                    field="blocks",
                ),
                None,
            )
            continue
        if isinstance(record, dict) and "createdAt" not in record and as_str(event.get("time")):
            record = record | {"createdAt": event["time"]}
        yield from record_events(
            str(did), collection, rkey or None, record, seen=seen, path=path, where=f"{where} {key}"
        )


def _car_blocks(data: bytes | None, *, path: Path, where: str) -> dict[str, Any]:
    if not data:
        return {}
    try:
        _, blocks = libipld.decode_car(data)
    except ValueError as exc:
        raise SourceError(
            f"the event's blocks are not a CAR slice ({exc})",
            path=path,
            record=where,
            field="blocks",
        ) from None
    return {libipld.encode_cid(cid): block for cid, block in blocks.items()}


def _event_records(
    event: Any, kind: str | None, *, seen: Seen, path: Path, where: str, raw_blocks: bytes | None
) -> Iterator[Record]:
    if not isinstance(event, dict):
        raise SourceError(
            f"expected a firehose event object, found {type(event).__name__}",
            path=path,
            record=where,
        )
    if kind == "#identity" or (kind is None and "handle" in event and "ops" not in event):
        yield from profile_account(event.get("did"), {}, seen=seen, handle=event.get("handle"))
        return
    if kind not in (None, "#commit") or "ops" not in event:
        return  # #account, #sync, #info...: no interactions
    blocks = _car_blocks(raw_blocks, path=path, where=where)
    yield from _commit_events(event, blocks, seen=seen, path=path, where=where)


def read_firehose_json(path: Path) -> Iterator[Record]:
    """Firehose events in their JSON rendering: one per file, or one per line."""
    seen = Seen()
    lines = iter_lines(path)
    first = next(((n, raw) for n, raw in lines if raw.strip()), None)
    if first is None:
        raise SourceError("empty file; expected a firehose event as JSON", path=path)
    try:
        single = orjson.loads(first[1])
    except orjson.JSONDecodeError:
        single = None
    if isinstance(single, dict):
        # JSON Lines: one event per line.
        yield from _json_event(single, path=path, where=f"line {first[0]}", seen=seen)
        for number, raw in lines:
            if not raw.strip():
                continue
            try:
                event = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield Rejected(SourceError(f"not valid JSON ({exc})", path=path, line=number), None)
                continue
            yield from _json_event(event, path=path, where=f"line {number}", seen=seen)
        return
    with open_binary(path) as fh:
        try:
            data = fh.read(_MAX_FRAME_FILE + 1)
        except (OSError, EOFError, ValueError) as exc:
            raise SourceError(f"unreadable or truncated data ({exc})", path=path) from None
    if len(data) > _MAX_FRAME_FILE:
        raise SourceError(
            "a single JSON document over 256 MiB; write one event per line instead", path=path
        )
    try:
        event = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON ({exc})", path=path, record=1) from None
    yield from _json_event(event, path=path, where="1", seen=seen)


def _json_event(event: Any, *, path: Path, where: str, seen: Seen) -> Iterator[Record]:
    if not isinstance(event, dict):
        raise SourceError(
            f"expected a firehose event object, found {type(event).__name__}",
            path=path,
            record=where,
        )
    raw = _b64(event.get("blocks"))
    if event.get("blocks") is not None and raw is None and "ops" in event:
        yield Rejected(
            SourceError(
                'expected blocks as {"$bytes": base64}', path=path, record=where, field="blocks"
            ),
            None,
        )
        return
    kind = as_str(event.get("$type"))
    kind = "#" + kind.rsplit("#", 1)[1] if kind and "#" in kind else None
    yield from _event_records(event, kind, seen=seen, path=path, where=where, raw_blocks=raw)


def read_firehose_cbor(path: Path) -> Iterator[Record]:
    """Binary firehose frames: DAG-CBOR header ``{"op", "t"}`` then body, repeated."""
    with open_binary(path) as fh:
        try:
            data = fh.read(_MAX_FRAME_FILE + 1)
        except (OSError, EOFError, ValueError) as exc:
            raise SourceError(f"unreadable or truncated data ({exc})", path=path) from None
    if len(data) > _MAX_FRAME_FILE:
        raise SourceError("more than 256 MiB of frames in one file; split it", path=path)
    try:
        values = libipld.decode_dag_cbor_multi(data)
    except ValueError as exc:
        raise SourceError(f"frames do not decode as DAG-CBOR ({exc})", path=path) from None
    if len(values) % 2:
        raise SourceError(
            f"expected header/body pairs, found {len(values)} DAG-CBOR values (truncated?)",
            path=path,
        )
    seen = Seen()
    for n in range(0, len(values), 2):
        header, body = as_dict(values[n]), values[n + 1]
        where = f"frame {n // 2 + 1}"
        if header.get("op") != 1:
            continue  # op -1 is an error frame
        kind = as_str(header.get("t"))
        raw = as_dict(body).get("blocks")
        yield from _event_records(
            body,
            kind,
            seen=seen,
            path=path,
            where=where,
            raw_blocks=raw if isinstance(raw, bytes) else None,
        )
