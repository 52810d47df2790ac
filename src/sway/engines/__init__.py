"""Execution engines for the score, found through the ``sway.engines`` entry point group.

Built-in engines register in ``pyproject.toml`` exactly as an outside package would::

    [project.entry-points."sway.engines"]
    duckdb = "sway.engines.duckdb:DuckDBEngine"

An engine class provides ``for_store(store)`` and the :class:`~sway.engines.base.Engine`
protocol. Engines are imported only when asked for (Spark is heavy).
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from sway.engines.base import DataFingerprint, Engine
from sway.errors import ConfigError, EngineError

__all__ = ["DataFingerprint", "Engine", "available", "open_engine"]

ENTRY_POINT_GROUP = "sway.engines"

#: Engines shipped with Sway, used until their entry points are installed.
_BUILTIN = {
    "duckdb": "sway.engines.duckdb:DuckDBEngine",
    "spark": "sway.engines.spark:SparkEngine",
}


def available() -> dict[str, str]:
    """Every registered engine: name -> ``module:Class``."""
    found = dict(_BUILTIN)
    found.update({ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)})
    return dict(sorted(found.items()))


def _load(name: str) -> Any:
    engines = available()
    if name not in engines:
        raise ConfigError(f"unknown engine {name!r}; known engines: {', '.join(engines)}")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            try:
                return ep.load()
            except EngineError:
                raise  # already says what to do (a missing extra names it)
            except Exception as exc:
                raise EngineError(f"engine {name!r} failed to load ({exc})") from None
    module, _, attr = engines[name].partition(":")
    try:
        return getattr(__import__(module, fromlist=[attr]), attr)
    except EngineError:
        raise
    except (ImportError, AttributeError) as exc:
        raise EngineError(f"engine {name!r} failed to load ({exc})") from None


def open_engine(name: str, store: Any) -> Engine:
    """The engine ``name`` over an open store."""
    engine: Engine = _load(name).for_store(store)
    return engine
