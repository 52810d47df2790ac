"""Topic ontologies: the bundled Klout Topic Ontology, or a team's own from a simple CSV file.

An :class:`Ontology` is a DAG of :class:`Topic` values (a topic may have several parents),
with display names in several languages and aliases.

**The Klout Topic Ontology** (Klout open data, 2018; CC BY 3.0, see ``data/README.md``) is the
default: 8,033 topics under 16 super-topics (``*-super``), display names in en, ar, fr, de, es,
it, and Wikidata ids. :func:`load_klout` reads its CSV files (plain or ``.gz``) from a folder,
by default the copy bundled in ``sway/topics/data``. The root ``0`` / ``_ROOT_`` is not a
topic: the super-topics are the roots. The positive entity → topic labels become aliases
(``MSNBC`` → Talk Shows) unless ``entity_aliases=False``. Topic ids are decimal strings: some
are above the signed 64-bit range.

**A custom ontology** is a UTF-8 CSV file with a header line and these columns:

=================  =========  ===========================================================
column             required   meaning
=================  =========  ===========================================================
``id``             yes        unique topic id (any text without ``|``)
``name``           yes        display name (the language of ``lang``, English by default)
``parents``        no         ids of the parent topics, ``|``-separated; empty for a root
``aliases``        no         other names that mean this topic, ``|``-separated
``name:LANG``      no         display name in language ``LANG`` (``name:fr``, ``name:de``)
``wikidata``       no         Wikidata item id (``Q11660``)
=================  =========  ===========================================================

Parents may be defined before or after their children; unknown parents and cycles are errors
naming the file and line. See ``docs/topics.md`` for an example.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO

from sway.errors import ConfigError, SourceError
from sway.topics.text import key

__all__ = [
    "KLOUT_FILES",
    "AmbiguousTopic",
    "Ontology",
    "Topic",
    "default_ontology",
    "load_custom",
    "load_klout",
    "load_ontology",
]

#: The Klout open data files, by role.
KLOUT_FILES = {
    "topics": "klout_topic_ontology_20180601.csv",
    "edges": "klout_topic_edge_20180601.csv",
    "names": "klout_topic_display_20180601.csv",
    "labels": "entity_to_topic_labels_20180101.csv",
}
_KLOUT_ROOT = "0"
_UNKNOWN_ENTITY = "_display_unknown_"


class AmbiguousTopic(ConfigError):
    """A topic name that several topics share (the Klout super-topic "Entertainment" and the
    topic "Entertainment"); ``candidates`` are ``(topic_id, name, slug)``, and the message
    lists them so that the user can give a slug or id instead."""

    def __init__(self, text: str, candidates: list[tuple[str, str, str | None]]) -> None:
        self.candidates = candidates
        slugs = [slug for _, _, slug in candidates]
        listed = "; ".join(
            f"{name} (slug {slug}, id {tid})"
            if slug and slugs.count(slug) == 1
            else f"{name} (id {tid})"
            for tid, name, slug in candidates
        )
        super().__init__(
            f"topic {text!r} is ambiguous, {len(candidates)} topics have that name: {listed}; "
            "give the slug or the id"
        )


@dataclass(frozen=True)
class Topic:
    """One topic of an ontology.

    Attributes
    ----------
    id
        Stable id (decimal string for Klout topics).
    name
        English (or default-language) display name.
    slug
        URL-style name (``machine-learning``), when the ontology has one.
    wikidata
        Wikidata item id, when known.
    names
        Display names by language (``{"fr": "Apprentissage automatique"}``).
    aliases
        Other names that mean this topic.
    """

    id: str
    name: str
    slug: str | None = None
    wikidata: str | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    def display(self, lang: str | None = None) -> str:
        """The display name in ``lang`` when the ontology has it, else the default name."""
        return self.names.get(lang, self.name) if lang else self.name


class Ontology:
    """A topic DAG.

    Parameters
    ----------
    name
        What the ontology is (``klout-2018`` or a file name): recorded with each topic run.
    topics
        The topics.
    edges
        ``(parent_id, child_id)`` pairs; both must be topics of ``topics``.
    """

    def __init__(self, name: str, topics: Iterable[Topic], edges: Iterable[tuple[str, str]]):
        self.name = name
        self.topics: dict[str, Topic] = {t.id: t for t in topics}
        parents: dict[str, list[str]] = {}
        children: dict[str, list[str]] = {}
        for parent, child in edges:
            if parent == child:
                continue
            parents.setdefault(child, []).append(parent)
            children.setdefault(parent, []).append(child)
        self.parents = {k: tuple(sorted(set(v))) for k, v in parents.items()}
        self.children = {k: tuple(sorted(set(v))) for k, v in children.items()}
        self._ancestors: dict[str, frozenset[str]] = {}
        self._by_key: dict[str, list[str]] | None = None
        digest = hashlib.sha256(name.encode())
        for t in sorted(self.topics.values(), key=lambda t: t.id):
            digest.update(
                f"{t.id}\x1f{t.name}\x1f{sorted(t.names.items())}\x1f{t.aliases}".encode()
            )
        for p, cs in sorted(self.children.items()):
            digest.update(f"{p}>{','.join(cs)}".encode())
        #: A digest of the whole ontology: equal digests, equal topic trees.
        self.digest = digest.hexdigest()[:16]

    def __len__(self) -> int:
        return len(self.topics)

    def __contains__(self, topic_id: object) -> bool:
        return topic_id in self.topics

    def __iter__(self) -> Iterator[Topic]:
        return iter(self.topics.values())

    def __getitem__(self, topic_id: str) -> Topic:
        return self.topics[topic_id]

    @property
    def roots(self) -> tuple[str, ...]:
        """Topics without a parent, sorted by id."""
        return tuple(sorted(t for t in self.topics if t not in self.parents))

    def ancestors(self, topic_id: str) -> frozenset[str]:
        """Every topic above ``topic_id`` (parents, their parents, ...), without itself."""
        found = self._ancestors.get(topic_id)
        if found is None:
            seen: set[str] = set()
            stack = list(self.parents.get(topic_id, ()))
            while stack:
                parent = stack.pop()
                if parent not in seen:
                    seen.add(parent)
                    stack.extend(self.parents.get(parent, ()))
            found = self._ancestors[topic_id] = frozenset(seen)
        return found

    def descendants(self, topic_id: str) -> frozenset[str]:
        """Every topic below ``topic_id``, without itself."""
        seen: set[str] = set()
        stack = list(self.children.get(topic_id, ()))
        while stack:
            child = stack.pop()
            if child not in seen:
                seen.add(child)
                stack.extend(self.children.get(child, ()))
        return frozenset(seen)

    def find(self, text: str) -> Topic | None:
        """A topic by id, slug or display name in any language (case- and accent-insensitive).

        When several topics share a name, the one that is not a super-topic and has the
        smallest id wins (the Klout super-topic "Fashion" and the topic "Fashion").
        """
        text = text.strip()
        if text in self.topics:
            return self.topics[text]
        if self._by_key is None:
            index: dict[str, list[str]] = {}
            for t in self.topics.values():
                for name in (t.name, t.slug or "", *t.names.values()):
                    if name:
                        index.setdefault(key(name), []).append(t.id)
            self._by_key = {k: sorted(set(v), key=self._preference) for k, v in index.items()}
        ids = self._by_key.get(key(text))
        return self.topics[ids[0]] if ids else None

    def _preference(self, topic_id: str) -> tuple[bool, int, str]:
        slug = self.topics[topic_id].slug or ""
        return (slug.endswith("-super"), len(topic_id), topic_id)

    def candidates(self, text: str) -> list[Topic]:
        """Every topic ``text`` names: by id or slug as written (one), else by display name in
        any language, case- and accent-insensitive (one or several), most preferred first."""
        text = text.strip()
        if text in self.topics:
            return [self.topics[text]]
        self.find(text)  # builds the index
        assert self._by_key is not None
        ids = self._by_key.get(key(text), [])
        by_slug = [t for t in ids if self.topics[t].slug == text]
        return [self.topics[t] for t in (by_slug[:1] or ids)]

    def resolve(self, text: str) -> Topic:
        """The one topic ``text`` names: a missing topic is a :class:`ConfigError`, a name
        several topics share an :class:`AmbiguousTopic` listing them."""
        found = self.candidates(text)
        if len(found) > 1:
            raise AmbiguousTopic(text, [(t.id, t.name, t.slug) for t in found])
        if not found:
            raise ConfigError(f"no topic {text!r} in the ontology {self.name}")
        return found[0]


# -- Klout -------------------------------------------------------------------------------


def _open_csv(folder: Path | None, filename: str) -> IO[str]:
    if folder is None:
        data = (
            resources.files("sway.topics").joinpath("data").joinpath(f"{filename}.gz").read_bytes()
        )
        return io.TextIOWrapper(gzip.GzipFile(fileobj=io.BytesIO(data)), encoding="utf-8")
    for candidate in (folder / filename, folder / f"{filename}.gz"):
        if candidate.is_file():
            if candidate.suffix == ".gz":
                return io.TextIOWrapper(gzip.open(candidate, "rb"), encoding="utf-8-sig")
            return candidate.open(encoding="utf-8-sig", newline="")
    raise ConfigError(f"{folder}: no {filename} (or {filename}.gz) there")


def _rows(folder: Path | None, filename: str, columns: tuple[str, ...]) -> Iterator[list[str]]:
    where = str(folder / filename) if folder else f"sway/topics/data/{filename}.gz"
    with _open_csv(folder, filename) as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
            index = [header.index(c) for c in columns]
        except StopIteration:
            raise SourceError("empty file", path=where) from None
        except ValueError:
            raise SourceError(
                f"expected the columns {', '.join(columns)}, found {', '.join(header)}",
                path=where,
                line=1,
            ) from None
        try:
            for row in reader:
                if len(row) >= len(header):
                    yield [row[i] for i in index]
        except csv.Error as exc:
            raise SourceError(f"malformed CSV ({exc})", path=where, line=reader.line_num) from None


def load_klout(folder: str | Path | None = None, *, entity_aliases: bool = True) -> Ontology:
    """The Klout Topic Ontology from its CSV files in ``folder`` (default: the bundled copy)."""
    where = Path(folder) if folder is not None else None
    rows = list(
        _rows(
            where, KLOUT_FILES["topics"], ("topicId", "topicSlug", "topicDisplayName", "wikiItemId")
        )
    )
    names: dict[str, dict[str, str]] = {}
    for topic_id, lang, name in _rows(
        where, KLOUT_FILES["names"], ("topicId", "language", "topicDisplayName")
    ):
        if name:
            names.setdefault(topic_id, {})[lang] = name
    aliases: dict[str, set[str]] = {}
    if entity_aliases:
        for entity, topic_id, label in _rows(
            where, KLOUT_FILES["labels"], ("entityDisplayName", "topicId", "label")
        ):
            if label.strip() == "1" and entity and entity != _UNKNOWN_ENTITY:
                aliases.setdefault(topic_id, set()).add(entity)
    topics = [
        Topic(
            id=topic_id,
            name=name,
            slug=slug or None,
            wikidata=wiki or None,
            names=names.get(topic_id, {}),
            aliases=tuple(sorted(aliases.get(topic_id, ()))),
        )
        for topic_id, slug, name, wiki in rows
        if topic_id != _KLOUT_ROOT
    ]
    known = {t.id for t in topics}
    edges = [
        (parent, child)
        for parent, child in _rows(where, KLOUT_FILES["edges"], ("parentTopicId", "childTopicId"))
        if parent in known and child in known
    ]
    return Ontology("klout-2018", topics, edges)


@cache
def default_ontology() -> Ontology:
    """The bundled Klout Topic Ontology, loaded once per process."""
    return load_klout()


# -- custom ------------------------------------------------------------------------------


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split("|") if v.strip()]


def load_custom(path: str | Path) -> Ontology:
    """A custom ontology from a CSV file (format in the module docstring)."""
    path = Path(path)
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SourceError(f"cannot open: {exc.strerror or exc}", path=path) from None
    topics: list[Topic] = []
    parents: list[tuple[str, str, int]] = []
    lines: dict[str, int] = {}
    with fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        for required in ("id", "name"):
            if required not in header:
                raise SourceError(
                    f"missing column {required!r}; expected id,name[,parents,aliases,name:LANG,"
                    "wikidata]",
                    path=path,
                    line=1,
                    field="header",
                )
        allowed = {"id", "name", "parents", "aliases", "wikidata"}
        unknown = [c for c in header if c not in allowed and not c.startswith("name:")]
        if unknown:
            raise SourceError(f"unknown column {unknown[0]!r}", path=path, line=1, field="header")
        try:
            for row in reader:
                line = reader.line_num
                topic_id = (row.get("id") or "").strip()
                name = (row.get("name") or "").strip()
                if not topic_id or "|" in topic_id:
                    raise SourceError(
                        "expected a topic id without '|'", path=path, line=line, field="id"
                    )
                if not name:
                    raise SourceError("expected a name", path=path, line=line, field="name")
                if topic_id in lines:
                    raise SourceError(
                        f"topic {topic_id!r} already defined on line {lines[topic_id]}",
                        path=path,
                        line=line,
                        field="id",
                    )
                lines[topic_id] = line
                localized = {
                    c.partition(":")[2].strip().lower(): (row.get(c) or "").strip()
                    for c in header
                    if c.startswith("name:") and (row.get(c) or "").strip()
                }
                topics.append(
                    Topic(
                        id=topic_id,
                        name=name,
                        slug=key(name).replace(" ", "-"),
                        wikidata=(row.get("wikidata") or "").strip() or None,
                        names=localized,
                        aliases=tuple(_split(row.get("aliases"))),
                    )
                )
                parents.extend((p, topic_id, line) for p in _split(row.get("parents")))
        except csv.Error as exc:
            raise SourceError(f"malformed CSV ({exc})", path=path, line=reader.line_num) from None
    for parent, _child, line in parents:
        if parent not in lines:
            raise SourceError(
                f"unknown parent topic {parent!r}", path=path, line=line, field="parents"
            )
    ontology = Ontology(path.name, topics, [(p, c) for p, c, _ in parents])
    for topic in topics:
        if topic.id in ontology.ancestors(topic.id):
            raise SourceError(
                f"topic {topic.id!r} is its own ancestor (a cycle)",
                path=path,
                line=lines[topic.id],
                field="parents",
            )
    return ontology


def load_ontology(spec: str | Path | None = None) -> Ontology:
    """``None`` or ``"klout"``: the bundled Klout ontology; a folder: the Klout CSV files in it;
    a file: a custom ontology."""
    if spec is None or str(spec) == "klout":
        return default_ontology()
    path = Path(spec)
    if path.is_dir():
        return load_klout(path)
    if path.is_file():
        return load_custom(path)
    raise ConfigError(f"{spec}: no such ontology file or folder (or use 'klout')")
