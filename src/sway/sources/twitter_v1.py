"""X/Twitter API v1.1 tweet JSON.

Accepted: a timeline (a JSON array of tweets, streamed element by element), a search page
(``{"statuses": [...]}``), a single tweet, or JSON Lines of tweets as written by the v1.1
streaming API and twarc 1 (``delete``/``limit`` notices are skipped). Any of them may be
``.gz``/``.bz2``/``.xz`` compressed. Retweets (``retweeted_status``), quotes (``quoted_status``
or ``quoted_status_id_str``), replies (``in_reply_to_*``) and mentions
(``entities.user_mentions``) become events as described in :mod:`sway.sources._twitter`;
users (``user``, mentioned and replied-to accounts) become accounts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from sway.errors import SourceError
from sway.sources._io import peek
from sway.sources._twitter import Fault, iter_json_file, v1_value
from sway.sources.base import Record, Rejected, Source

__all__ = ["TwitterV1Source", "read_v1_file", "sniff_v1"]

_V1_TIME = (
    rb'"created_at"\s*:\s*"[A-Z][a-z]{2} [A-Z][a-z]{2} [0-9]{2} [0-9:]{8} [+-][0-9]{4} [0-9]{4}"'
)
_V1_TWEET_RE = re.compile(_V1_TIME)
_V1_NOTICE_RE = re.compile(rb'\[?\s*\{\s*"(?:delete|limit)"\s*:\s*\{')


def sniff_v1(head: bytes) -> float:
    """Confidence that the first bytes of a file are v1.1 tweet JSON."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith((b"{", b"[")):
        return 0.0
    if _V1_TWEET_RE.search(head) and (b'"id_str"' in head or b'"screen_name"' in head):
        return 0.9
    if _V1_NOTICE_RE.match(text) and b'"id_str"' in head:
        return 0.6
    return 0.0


def read_v1_file(path: Path, label: str | None = None) -> Iterator[Record]:
    """The records of one v1.1 JSON file (any of the accepted layouts)."""
    name = label or str(path)
    layout, values = iter_json_file(path, name)
    for item in values:
        if item.error is not None:
            yield Rejected(item.error, item.raw)
            continue
        try:
            for record in v1_value(item.value):
                if isinstance(record, Fault):
                    yield Rejected(record.at(name, line=item.line))
                else:
                    yield record
        except Fault as fault:
            error = fault.at(name, line=item.line)
            if layout == "document":
                raise error from None
            yield Rejected(error, item.raw)


class TwitterV1Source(Source):
    name = "twitter-v1"
    description = (
        "X/Twitter API v1.1 tweet JSON: timelines, search pages, single tweets, "
        "or JSON Lines from the streaming API / twarc 1"
    )

    def sniff(self, path: Path) -> float:
        try:
            if not path.is_file():
                return 0.0
            return sniff_v1(peek(path, 4096))
        except Exception:  # sniffing must never fail, whatever the input
            return 0.0

    def read(self, path: Path) -> Iterator[Record]:
        if path.is_dir():
            raise SourceError(
                "is a folder; twitter-v1 reads one JSON file (ingest the folder without "
                "--format to read each file by its own format)",
                path=path,
            )
        yield from read_v1_file(path)
