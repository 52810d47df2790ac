"""The one rule for tests that need an optional part (a browser, Spark, the shared data, a
package index, a package of the dev extra): where the part is missing they skip, except where
``SWAY_REQUIRE_<PART>=1``, where they fail instead. CI (``.ci/run``) sets every such variable,
so that in CI every test runs or the run fails.

Parts: ``BROWSER`` (Playwright and Debian's Chromium), ``SPARK`` (the ``spark`` extra and
Java), ``SHARED_DATA`` (``../shared/data`` beside the checkout), ``PACKAGE_INDEX`` (PyPI or a
mirror, for the tests that resolve an extra in a fresh virtual environment), ``DEV`` (packages
of the ``dev`` extra that only some tests use). Never ``pytest.importorskip`` or a bare
``skipif`` for one of these: they would skip in CI too.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest

__all__ = ["PARTS", "import_or_missing", "missing", "required"]

#: Every optional part, and how to get it.
PARTS = {
    "BROWSER": "pip install playwright; apt-get install chromium",
    "SPARK": 'pip install "sway[spark]" and a Java 17 or 21 runtime',
    "SHARED_DATA": "the shared datasets in ../shared/data beside the checkout",
    "PACKAGE_INDEX": "a reachable package index (PyPI or a mirror) for pip",
    "DEV": 'pip install -e ".[dev]"',
}


def required(part: str) -> bool:
    """Whether ``SWAY_REQUIRE_<part>=1``: a missing ``part`` fails the test."""
    if part not in PARTS:
        raise ValueError(f"unknown optional part {part!r}; add it to PARTS")
    return os.environ.get(f"SWAY_REQUIRE_{part}") == "1"


def missing(part: str, why: str) -> NoReturn:
    """Skip the test because ``part`` is missing (``why``), or fail it where it is required."""
    if required(part):
        pytest.fail(f"SWAY_REQUIRE_{part}=1 but {why} ({PARTS[part]})", pytrace=False)
    pytest.skip(f"{why} ({PARTS[part]})", allow_module_level=True)


def import_or_missing(name: str, *, part: str) -> ModuleType:
    """``import name``, or :func:`missing` when it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(part, f"{name} is not installed")
