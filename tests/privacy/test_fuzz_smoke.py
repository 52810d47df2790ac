"""A short run of the importer fuzzing (the long one is ``benchmarks/fuzz_importers.py``)."""

from __future__ import annotations

import pytest

from fuzz import IMPORTERS, fuzz_importer
from sway.sources import available

SMOKE_EXAMPLES = 150


def test_every_importer_is_fuzzed() -> None:
    assert set(IMPORTERS) == set(available())


@pytest.mark.parametrize("name", sorted(IMPORTERS))
def test_damaged_input_gives_only_a_clean_source_error(name: str) -> None:
    result = fuzz_importer(name, examples=SMOKE_EXAMPLES)
    assert result.failures == []
    assert result.examples >= SMOKE_EXAMPLES * 0.9
    # The damage must sometimes be refused and sometimes survive, or it tests nothing.
    assert result.source_errors > 0
