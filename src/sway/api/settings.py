"""Settings of the service: defaults, then a TOML config file, then the environment.

The config file is ``--config PATH``, else ``$SWAY_CONFIG``, else ``./sway.toml`` when it exists.
Everything lives under a ``[serve]`` table, with the formula weights in ``[serve.crm]`` and
``[serve.triage]``::

    [serve]
    host = "127.0.0.1"
    port = 8000
    rate_per_second = 10
    rate_per_day = 10000

    [serve.crm]
    value = 0.5
    history = 0.2
    influence = 0.3

Each scalar setting can also be given as ``SWAY_SERVE_<NAME>`` (``SWAY_SERVE_PORT=9000``); the
environment wins over the file, and command-line options win over both. The store is the CLI's
``--db`` (or ``$SWAY_DB``), or ``db = "path"`` in the file.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from sway.crm import CrmWeights
from sway.errors import ConfigError
from sway.store import default_db_path
from sway.triage import TriageWeights

__all__ = ["DEFAULT_CONFIG", "ENV_PREFIX", "Settings"]

DEFAULT_CONFIG = "sway.toml"
ENV_PREFIX = "SWAY_SERVE_"


@dataclass(frozen=True)
class Settings:
    """Everything ``create_app`` needs.

    Attributes
    ----------
    db
        The store file.
    host, port
        Where ``sway serve`` listens (``port = 0``: any free port, printed at start).
    rate_per_second, rate_per_day
        Default limits of a key created without its own (Klout's: 10/s and 10,000/day).
    refresh_interval
        Seconds between checks whether the store changed (new run, ingest, keys).
    linger
        Seconds a read-only connection to the store stays open after its last use.
    lock_wait
        Seconds a write by the server waits for the store's lock before answering 503.
    usage_flush_interval
        Seconds between writes of usage counters and audit entries to the store.
    max_body_bytes
        Largest request body accepted (413 beyond).
    max_records
        Most records in one CRM or triage request.
    docs
        Serve ``/docs`` (interactive documentation); ``/openapi.json`` is always served.
    crm, triage
        Weights of the CRM priority and of triage (``docs/api.md``).
    """

    db: Path = field(default_factory=default_db_path)
    host: str = "127.0.0.1"
    port: int = 8000
    rate_per_second: float = 10.0
    rate_per_day: int = 10_000
    refresh_interval: float = 2.0
    linger: float = 0.5
    lock_wait: float = 5.0
    usage_flush_interval: float = 10.0
    max_body_bytes: int = 64 * 1024 * 1024
    max_records: int = 200_000
    docs: bool = True
    crm: CrmWeights = field(default_factory=CrmWeights)
    triage: TriageWeights = field(default_factory=TriageWeights)

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port: expected 0-65535, found {self.port}")
        for name in ("rate_per_second", "refresh_interval", "usage_flush_interval"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise ConfigError(f"{name}: expected a number > 0, found {value!r}")
        for name in ("linger", "lock_wait"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"{name}: expected a number >= 0, found {value!r}")
        for name in ("rate_per_day", "max_body_bytes", "max_records"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name}: expected a whole number > 0")

    @classmethod
    def load(
        cls,
        *,
        config: Path | None = None,
        env: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Defaults, then the config file, then ``SWAY_SERVE_*``, then ``overrides`` (``None``
        values in ``overrides`` are ignored, so CLI options left unset change nothing)."""
        environ = os.environ if env is None else env
        path = config or (Path(environ["SWAY_CONFIG"]) if environ.get("SWAY_CONFIG") else None)
        values: dict[str, Any] = {}
        if path is None and Path(DEFAULT_CONFIG).is_file():
            path = Path(DEFAULT_CONFIG)
        if path is not None:
            values.update(_read_config(path))
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and f.name not in ("crm", "triage"):
                values[f.name] = _convert(f.name, raw, f"${ENV_PREFIX}{f.name.upper()}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        """Settings from plain values (a parsed ``[serve]`` table); unknown names are errors."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})")
        converted: dict[str, Any] = {}
        for name, value in values.items():
            if name == "crm":
                converted[name] = (
                    value if isinstance(value, CrmWeights) else CrmWeights.from_mapping(value)
                )
            elif name == "triage":
                converted[name] = (
                    value if isinstance(value, TriageWeights) else TriageWeights.from_mapping(value)
                )
            else:
                converted[name] = _convert(name, value, name)
        return replace(cls(), **converted)


_TYPES: dict[str, type] = {
    "db": Path,
    "host": str,
    "port": int,
    "rate_per_second": float,
    "rate_per_day": int,
    "refresh_interval": float,
    "linger": float,
    "lock_wait": float,
    "usage_flush_interval": float,
    "max_body_bytes": int,
    "max_records": int,
    "docs": bool,
}


def _convert(name: str, value: Any, where: str) -> Any:
    kind = _TYPES[name]
    if isinstance(value, kind) and not (kind is not bool and isinstance(value, bool)):
        return value
    if kind is bool:
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{where}: expected true or false, found {value!r}")
    if kind is Path:
        if not isinstance(value, str | Path) or not str(value).strip():
            raise ConfigError(f"{where}: expected a path, found {value!r}")
        return Path(value)
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected text, found {value!r}")
        return value
    if isinstance(value, bool):
        raise ConfigError(f"{where}: expected a number, found {value!r}")
    try:
        number = float(value)
        if kind is int:
            if number != int(number):
                raise ValueError
            return int(number)
        return number
    except (TypeError, ValueError, OverflowError):
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{where}: expected {what}, found {value!r}") from None


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable TOML file ({exc})") from None
    serve = data.get("serve", {})
    if not isinstance(serve, dict):
        raise ConfigError(f"{path}: [serve] must be a table")
    values = dict(serve)
    if "db" in values and isinstance(values["db"], str):
        # A relative store path in a config file is relative to the file, not to the cwd.
        db = Path(values["db"])
        values["db"] = db if db.is_absolute() else path.parent / db
    return values
