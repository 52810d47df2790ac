"""Importers, one module per format, found through the ``sway.sources`` entry point group.

Built-in importers register in ``pyproject.toml`` exactly as an outside package would::

    [project.entry-points."sway.sources"]
    events = "sway.sources.canonical:CanonicalSource"
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from sway.errors import ConfigError, SourceError
from sway.sources.base import Record, Rejected, Source

__all__ = ["Record", "Rejected", "Source", "available", "broken", "detect", "get_source"]

ENTRY_POINT_GROUP = "sway.sources"


@cache
def _load() -> tuple[dict[str, type[Source]], dict[str, str]]:
    found: dict[str, type[Source]] = {}
    broken: dict[str, str] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        # A plugin that fails to load must not take the other formats down with it.
        try:
            cls = ep.load()
        except Exception as exc:
            broken[ep.name] = f"{ep.value}: {type(exc).__name__}: {exc}"
            continue
        if not (isinstance(cls, type) and issubclass(cls, Source)):
            broken[ep.name] = f"{ep.value} is not a sway Source"
            continue
        found[ep.name] = cls
    return dict(sorted(found.items())), broken


def available() -> dict[str, type[Source]]:
    """Every registered importer that loads, by format name."""
    return _load()[0]


def broken() -> dict[str, str]:
    """Registered importers that failed to load, with the reason (shown by `sway formats`)."""
    return _load()[1]


def get_source(name: str, **options: str) -> Source:
    """The importer for format ``name``, configured with ``options``."""
    sources = available()
    if name in broken():
        raise ConfigError(f"format {name!r} is installed but failed to load: {broken()[name]}")
    if name not in sources:
        raise ConfigError(f"unknown format {name!r}; known formats: auto, {', '.join(sources)}")
    return sources[name](**options)


def detect(path: Path, **options: str) -> Source:
    """Recognise the format of ``path`` from its content; the most confident importer wins."""
    best: tuple[float, str] | None = None
    for name, cls in available().items():
        confidence = cls().sniff(path)
        if confidence > 0 and (best is None or confidence > best[0]):
            best = (confidence, name)
    if best is None:
        raise SourceError(
            "could not recognise the format; pass --format (see `sway ingest --help`)",
            path=path,
        )
    return get_source(best[1], **options)
