"""What every importer is: a :class:`Source` that turns one input into canonical records.

An importer yields :class:`~sway.events.Event` and :class:`~sway.events.Account` values, and a
:class:`Rejected` for a record it could not read but that does not stop the rest of the input
(a bad CSV row, one malformed JSON line). A fault that makes the rest unreadable (a truncated
archive, a file of the wrong shape) is raised as :class:`~sway.errors.SourceError`. An
interaction whose time the input neither gives nor bounds is an :class:`Undated` record: an
importer never invents a time (see :mod:`sway.events`).

Importers are pure readers: they know nothing of the store or of scoring.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar, NamedTuple

from sway.errors import ConfigError, SourceError
from sway.events import Account, Event

__all__ = ["Record", "Rejected", "Source", "Undated"]


class Rejected(NamedTuple):
    """A record the importer could not read; ``error`` says where and why."""

    error: SourceError
    raw: str | None = None


class Undated(NamedTuple):
    """An interaction the input shows without any time for it, nor anything that bounds it
    (a follow in a list of followers saved without its retrieval time).

    Ingest counts it and stores nothing: an event without a time could only be placed by
    inventing one, and a time window must never hold it. Given the time (for instance with an
    importer's ``observed_at`` option), the same input yields it as an :class:`Event`.
    """

    network: str
    event_id: str
    action: str


Record = Event | Account | Rejected | Undated


class Source(ABC):
    """An importer for one input format.

    Subclasses set ``name`` (the ``--format`` value) and ``description``, declare the options
    they accept in ``options`` (name → help), and implement :meth:`sniff` and :meth:`read`.
    ``__init__`` only stores options, so a source can be described and re-created from them.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    options: ClassVar[Mapping[str, str]] = {}

    def __init__(self, **options: str) -> None:
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            known = ", ".join(sorted(self.options)) or "none"
            raise ConfigError(
                f"format {self.name!r} has no option {unknown[0]!r} (options: {known})"
            )
        self.params: dict[str, str] = dict(options)

    @abstractmethod
    def sniff(self, path: Path) -> float:
        """How sure this source is (0 to 1) that ``path`` is in its format, from its content."""

    @abstractmethod
    def read(self, path: Path) -> Iterator[Record]:
        """Yield the canonical records of ``path``, streaming, in constant memory."""
