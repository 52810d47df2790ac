"""Every social sample in ../shared/data loads with --format auto, with the expected counts.

The shared data sits beside the checkout in development and CI, not on a user's machine, so
this module skips itself where it is absent, except where ``SWAY_REQUIRE_SHARED_DATA=1`` (CI),
where it fails instead (tests/optional.py). Twitter15/16 (~1M edges, about a minute) is left
to `benchmarks/bench_importers.py`; its importer is tested on a fixture subset.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SHARED_DATA
from optional import missing
from sway.cli import cli

if not SHARED_DATA.is_dir():
    missing("SHARED_DATA", f"{SHARED_DATA} is not present")

# folder -> (format chosen, new events, duplicates, rejected, accounts, events with a time
# derived from the data, undated events not stored)
EXPECTED = {
    "bluesky-car": ("bluesky", 268, 60, 0, 6, 0, 0),
    "bluesky-xrpc": ("bluesky", 301, 219, 0, 166, 97, 0),
    "email-temporal": ("snap", 83_083, 0, 0, 0, 0, 0),
    "mastodon-api": ("mastodon", 33, 54, 0, 3, 1, 0),
    "mastodon-outbox": ("mastodon", 84, 0, 0, 13, 40, 0),
    "reddit-api": ("reddit", 1_162, 1_306, 0, 425, 0, 0),
    "snap-bitcoinotc": ("snap", 35_592, 0, 0, 0, 0, 0),
    "snap-collegemsg": ("snap", 59_835, 0, 0, 0, 0, 0),
    "stackexchange-conlang-meta": ("stackexchange", 1_503, 0, 0, 272, 0, 0),
    "stackexchange-french-meta": ("stackexchange", 6_331, 0, 0, 1_703, 0, 0),
    # Follower lists say no time: undated, not stored; likes take the liked post's time.
    "twitter-api-tweepy": ("twitter-v2", 274, 16, 0, 324, 177, 184),
    "twitter-api-v2-twarc": ("twitter-v2", 1_408, 24, 1, 1_244, 0, 0),
    "twitter-archive": ("twitter-archive", 50, 0, 0, 13, 20, 40),
    "wordpress-wxr": ("wordpress", 119, 8, 0, 20, 0, 0),
    "youtube-api": ("youtube", 54, 18, 0, 45, 0, 0),
}
#: Folders this module does not load: the Klout topic list is not social data; Twitter15/16
#: is measured by the benchmarks; MelCup17's interaction table and the IRA troll CSVs have no
#: importer yet (benchmarks/bench_attacks.py converts MelCup17's to canonical events).
NOT_LOADED = {"klout-topics", "twitter15-16", "twitter-darwin-melcup17", "ira-troll-tweets"}


def test_every_social_folder_is_listed() -> None:
    folders = {p.name for p in SHARED_DATA.iterdir() if p.is_dir()}
    assert folders - set(EXPECTED) == NOT_LOADED


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_auto_ingest(tmp_path: Path, folder: str) -> None:
    fmt, new, duplicates, rejected, accounts, derived, undated = EXPECTED[folder]
    args = ["--db", str(tmp_path / "s.duckdb"), "ingest", str(SHARED_DATA / folder)]
    if rejected:  # the twarc sample has a deliberately broken line 8
        args[3:3] = ["--skip-bad", str(tmp_path / "rejects.tsv")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    expected = (
        f"{SHARED_DATA / folder}: {fmt}: {new:,} new, {duplicates:,} duplicate, "
        f"{rejected:,} rejected events; {accounts:,} accounts"
    )
    if derived:
        expected += f"; {derived:,} with derived times"
    if undated:
        expected += f"; {undated:,} undated, not stored"
    assert result.stdout.strip() == expected
