"""The one error tree of Sway.

Every error Sway raises on purpose is a :class:`SwayError`::

    SwayError
    ├── ConfigError          bad option, setting or argument
    ├── SourceError          input that cannot be read as the format it claims
    │                        (carries path, line or record, field; prints as ``file:line: field: ...``)
    ├── StoreError           the embedded store cannot be opened, migrated or written
    ├── ScoringError         the scorer was given something it cannot score
    └── EngineError          an execution engine is missing or failed

The CLI turns any ``SwayError`` into a one-line message and exit code 2; the API turns
it into its JSON error shape. Anything else escaping is a bug.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigError",
    "EngineError",
    "ScoringError",
    "SourceError",
    "StoreError",
    "SwayError",
]


class SwayError(Exception):
    """Root of every error Sway raises on purpose."""


class ConfigError(SwayError):
    """A bad option, setting or argument."""


class StoreError(SwayError):
    """The store cannot be opened, migrated or written."""


class ScoringError(SwayError):
    """The scorer cannot score what it was given."""


class EngineError(SwayError):
    """An execution engine is missing or failed."""


class SourceError(SwayError):
    """Input that cannot be read as the format it claims to be.

    Parameters
    ----------
    message
        What was found and what was expected.
    path
        The file (or member inside an archive) being read.
    line
        1-based line number, when the format is line-oriented.
    record
        1-based record number or a record locator (e.g. ``"tweets.js[3]"``) when lines do not apply.
    field
        The field that is wrong, when one is.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        record: int | str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.record = record
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        elif self.record is not None:
            where += f": record {self.record}"
        parts = [where]
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)
