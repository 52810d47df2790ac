"""Fuzzing every importer on its real fixtures, with the :mod:`mangle` strategies.

:func:`fuzz_importer` feeds one importer ``examples`` damaged copies of its fixtures (bytes
truncated, flipped, cut, duplicated or spliced with junk; JSON with keys dropped or values of
the wrong type; compressed files damaged before or after compression) and records every
outcome. The only acceptable ones are records read, or a clean :class:`SourceError` (raised, or
carried by a ``Rejected`` record). Anything else, or an input taking longer than
``PER_INPUT_SECONDS``, is a failure, kept with the input that caused it.

Used by ``tests/privacy/test_fuzz_smoke.py`` (a short run in CI) and by
``benchmarks/fuzz_importers.py`` (100,000 inputs per importer).
"""

from __future__ import annotations

import gzip
import json
import resource
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mangle import mangled_bytes, mangled_json
from sway.errors import SourceError
from sway.sources import get_source
from sway.sources.base import Rejected

__all__ = ["IMPORTERS", "FuzzResult", "fuzz_importer"]

FIXTURES = Path(__file__).parent / "fixtures"
PER_INPUT_SECONDS = 20

#: Each importer's real fixtures: (file, or folder whose one member is damaged, member).
IMPORTERS: dict[str, list[tuple[str, str | None]]] = {
    "bluesky": [
        ("bluesky-car/paul_staging.repo.car", None),
        ("bluesky-car/firehose_commit_4623075231.json", None),
        ("bluesky-car/bnewbold.robocracy.org.20250310005405.records.jsonl", None),
        ("bluesky-xrpc/bodies/f_postlikes__00.json", None),
        ("bluesky-xrpc/bodies/f_getquotes__00.json", None),
    ],
    "events": [("scoring/events.csv", None), ("api/extra.csv", None)],
    "mastodon": [
        ("mastodon-outbox", "outbox.json"),
        ("mastodon-outbox", "likes.json"),
        ("mastodon-api/bodies/test_notifications__01.json", None),
        ("mastodon-api/bodies/test_id_hook_within_reblog__03.json", None),
    ],
    "reddit": [
        ("reddit-api/raw/TestSubmission.test_comments.json", None),
        ("reddit-api/bodies/TestComment.test_attributes__01.json", None),
        ("reddit-api/bodies/TestCommentForest.test_replace__all__14.json", None),
    ],
    "snap": [
        ("snap-collegemsg/CollegeMsg.txt", None),
        ("snap-bitcoinotc/soc-sign-bitcoinotc.csv", None),
        ("twitter15-16/twitter15_edges.tsv.gz", None),
        ("twitter15-16/twitter15_16_raw.tar.gz", None),
    ],
    "stackexchange": [
        ("stackexchange-conlang-meta/Votes.xml.gz", None),
        ("stackexchange-conlang-meta/Comments.xml.gz", None),
    ],
    "twitter-archive": [
        ("twitter-archive", "data/tweets.js"),
        ("twitter-archive", "data/account.js"),
        ("twitter-archive", "data/like.js"),
    ],
    "twitter-v1": [
        ("twitter-api-tweepy/raw/testretweetandunretweet.json", None),
        ("twitter-api-tweepy/bodies/test_client_get_liking_users__00.json", None),
    ],
    "twitter-v2": [
        ("twitter-api-v2-twarc/two_tweets.jsonl", None),
        ("twitter-api-v2-twarc/lists.jsonl", None),
        ("twitter-api-v2-twarc/quoted_edit.jsonl", None),
    ],
    "wordpress": [
        ("wordpress-wxr/test-serialized-comment-meta.xml", None),
        ("wordpress-wxr/valid-wxr-1.0.xml", None),
    ],
    "youtube": [
        ("youtube-api/channel_info_multi.json", None),
        ("youtube-api/videos/videos_info_multi.json", None),
    ],
}


@dataclass
class FuzzResult:
    """What one importer did with the damaged inputs."""

    importer: str
    examples: int = 0
    read_cleanly: int = 0
    source_errors: int = 0
    rejected_records: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    failures: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "importer": self.importer,
            "examples": self.examples,
            "read_cleanly": self.read_cleanly,
            "source_errors": self.source_errors,
            "rejected_records": self.rejected_records,
            "seconds": round(self.seconds, 1),
            "examples_per_second": round(self.examples / self.seconds, 1) if self.seconds else 0,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "failures": self.failures,
        }


class _Timeout(Exception):
    pass


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class _Target:
    """One fixture to damage: what the importer reads, the file damaged, its content, and the
    forms it is damaged in (parsed once, not per input)."""

    read: Path
    damaged: Path
    original: bytes
    inner: bytes | None  # the decompressed content of a .gz file
    doc: Any  # the parsed document of a .json file


def _target(read: Path, damaged: Path, original: bytes) -> _Target:
    inner = gzip.decompress(original) if damaged.name.endswith(".gz") else None
    doc = None
    if damaged.name.endswith(".json"):
        try:
            doc = json.loads(original)
        except ValueError:
            doc = None
    return _Target(read, damaged, original, inner, doc)


def _damaged(draw: st.DrawFn, target: _Target) -> bytes:
    """A damaged copy: as JSON where the file is JSON, inside the compression where it is
    gzipped (half of the time each), else as bytes."""
    if target.inner is not None and draw(st.booleans()):
        return gzip.compress(draw(mangled_bytes(target.inner)), mtime=0)
    if target.doc is not None and draw(st.booleans()):
        return json.dumps(draw(mangled_json(target.doc))).encode()
    return draw(mangled_bytes(target.original))


def fuzz_importer(name: str, *, examples: int) -> FuzzResult:
    """Feed ``name`` ``examples`` damaged inputs built from its fixtures; never raises for
    what the importer does (failures are in the result). Derandomized: the same inputs on
    every run, so that a failure can be replayed."""
    source = get_source(name)
    result = FuzzResult(name)
    # In memory where the system has it: one file is written per input.
    shm = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(prefix=f"sway-fuzz-{name}-", dir=shm if shm.is_dir() else None))
    targets: list[_Target] = []
    for fixture, member in IMPORTERS[name]:
        original = FIXTURES / fixture
        if member is None:
            copy = work / f"{len(targets)}-{original.name}"
            shutil.copy(original, copy)
            targets.append(_target(copy, copy, original.read_bytes()))
        else:
            folder = work / f"{len(targets)}-{original.name}"
            if not folder.exists():
                shutil.copytree(original, folder)
            targets.append(_target(folder, folder / member, (original / member).read_bytes()))

    strategies = {t.damaged: _content(t) for t in targets}

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def one(data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(targets))
        read, damaged, original = target.read, target.damaged, target.original
        content = data.draw(strategies[target.damaged])
        damaged.write_bytes(content)
        result.examples += 1
        try:
            with _deadline(PER_INPUT_SECONDS):
                for record in source.read(read):
                    if isinstance(record, Rejected):
                        if not isinstance(record.error, SourceError) or not str(record.error):
                            raise TypeError(f"a Rejected record carries {record.error!r}")
                        result.rejected_records += 1
            result.read_cleanly += 1
        except SourceError as exc:
            if not str(exc):
                _fail(result, damaged, content, "SourceError without a message")
            result.source_errors += 1
        except _Timeout:
            _fail(result, damaged, content, f"took over {PER_INPUT_SECONDS} s")
        except Exception:
            _fail(result, damaged, content, traceback.format_exc(limit=-3))
        finally:
            damaged.write_bytes(original)

    start = time.perf_counter()
    try:
        one()
    finally:
        result.seconds = time.perf_counter() - start
        result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        shutil.rmtree(work, ignore_errors=True)
    return result


def _content(target: _Target) -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        return _damaged(draw, target)

    return build()


def _fail(result: FuzzResult, path: Path, content: bytes, what: str) -> None:
    keep = Path(tempfile.gettempdir()) / "sway-fuzz-failures"
    keep.mkdir(exist_ok=True)
    saved = keep / f"{result.importer}-{len(result.failures)}-{path.name}"
    saved.write_bytes(content)
    result.failures.append({"input": str(saved), "error": what.strip()})
