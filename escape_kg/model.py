"""Plain frozen values that flow between the pipeline stages; no RDF here.

read -> ``SourceDocument``; redact -> ``SourceDocument`` (redacted text);
parse -> ``ParsedMinutes``; extract -> ``Meeting``. Offsets (``Span``) always
count code points in the *redacted* text, and line numbers are 1-based lines
of the original file (redaction never adds or removes a line break).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Literal

__all__ = [
    "Action",
    "AgendaItem",
    "Decision",
    "Deliverable",
    "EntityRef",
    "Event",
    "ItemSpeaker",
    "ItemTopic",
    "Kind",
    "Lexicon",
    "LexiconEntry",
    "Meeting",
    "Membership",
    "Mention",
    "NoteLine",
    "Organisation",
    "ParsedMinutes",
    "Person",
    "SourceDocument",
    "SourceRef",
    "Span",
    "SpeakerMention",
    "Thing",
    "WorkPackage",
]


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch ``text[start:end]`` of the redacted text, starting on ``line``."""

    start: int
    end: int
    line: int


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a document came from: path or URL, sha256 of its bytes, size, media type."""

    path: str
    sha256: str
    size: int
    media_type: str = "text/plain"


@dataclass(frozen=True)
class SourceDocument:
    """A decoded document (``\\n`` line ends) ready for redaction and parsing.

    ``redactions`` counts what redaction removed, by kind (never the values);
    it is None until ``redact.redact`` has run, so a stage can tell.
    ``title``/``date`` are hints a reader found in the document's metadata.
    ``origin`` holds other facts a reader found about where the document comes
    from (e.g. "indico-event-id", "indico-category"); plain values that are not
    secrets, since redaction never sees them.
    """

    source: SourceRef
    format: str
    text: str
    redactions: Mapping[str, int] | None = None
    title: str | None = None
    date: dt.date | None = None
    origin: Mapping[str, str] | None = None


# --- parse ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpeakerMention:
    """A speaker as written on an agenda item: ``name (affiliation)``."""

    name: str
    affiliation: str | None
    span: Span
    affiliation_span: Span | None = None
    role: str = "speaker"


@dataclass(frozen=True, slots=True)
class NoteLine:
    """One line of an item's notes, bullet or number removed; ``depth`` 0 is outermost."""

    text: str
    span: Span
    depth: int = 0


@dataclass(frozen=True)
class AgendaItem:
    """One timetable entry; ``number`` is its position path ("3", "3.2")."""

    number: str
    title: str
    title_span: Span
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    duration: dt.timedelta | None = None
    speakers: tuple[SpeakerMention, ...] = ()
    notes: tuple[NoteLine, ...] = ()
    children: tuple[AgendaItem, ...] = ()
    span: Span | None = None

    @property
    def position(self) -> int:
        """1-based position among its siblings."""
        return int(self.number.rsplit(".", 1)[-1])

    @property
    def parent_number(self) -> str | None:
        """The number of the enclosing item, or None for a top-level item."""
        return self.number.rsplit(".", 1)[0] if "." in self.number else None

    def walk(self) -> tuple[AgendaItem, ...]:
        """This item and all its descendants, depth first."""
        out: list[AgendaItem] = [self]
        for child in self.children:
            out.extend(child.walk())
        return tuple(out)


@dataclass(frozen=True)
class ParsedMinutes:
    """The structure of one minutes document: title, date, agenda tree."""

    document: SourceDocument
    title: str
    date: dt.date
    date_origin: str
    items: tuple[AgendaItem, ...]
    title_span: Span | None = None
    series: str | None = None
    """The name of the series the source puts the meeting in (its Indico category), if any;
    without it the series comes from the title."""

    def all_items(self) -> tuple[AgendaItem, ...]:
        """Every agenda item, depth first."""
        out: list[AgendaItem] = []
        for item in self.items:
            out.extend(item.walk())
        return tuple(out)


# --- extract -------------------------------------------------------------


class Kind(StrEnum):
    """What an entity is; the value is the IRI path segment under the base."""

    PERSON = "person"
    ORGANISATION = "org"
    WORK_PACKAGE = "wp"
    DELIVERABLE = "deliverable"
    EVENT = "event"
    EVENT_SERIES = "series"
    PROJECT = "project"
    SERVICE = "service"
    ACTION = "action"
    DECISION = "decision"


@dataclass(frozen=True, slots=True, order=True)
class EntityRef:
    """Identity of an entity: its kind and a key that is stable across meetings."""

    kind: Kind
    key: str


@dataclass(frozen=True, slots=True)
class Person:
    ref: EntityRef
    name: str


@dataclass(frozen=True, slots=True)
class Organisation:
    """An organisation; ``known`` when it comes from the reference vocabulary."""

    ref: EntityRef
    name: str
    known: bool = False
    written_as: tuple[str, ...] = ()
    parent: EntityRef | None = None


@dataclass(frozen=True, slots=True)
class Membership:
    """``person`` stated at this meeting (item ``item``) to be with ``organisation``."""

    person: EntityRef
    organisation: EntityRef
    stated_as: str
    item: str
    span: Span


@dataclass(frozen=True, slots=True)
class WorkPackage:
    ref: EntityRef
    identifier: str


@dataclass(frozen=True, slots=True)
class Deliverable:
    ref: EntityRef
    identifier: str
    title: str | None = None
    delivered: dt.date | None = None
    work_package: EntityRef | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """An event named in the minutes; dates resolved against the meeting date."""

    ref: EntityRef
    name: str
    start: dt.date | None = None
    end: dt.date | None = None
    series: EntityRef | None = None
    known: bool = False


@dataclass(frozen=True, slots=True)
class Thing:
    """A project or service/software named in the notes (``ref.kind`` says which)."""

    ref: EntityRef
    name: str
    known: bool = False


@dataclass(frozen=True, slots=True)
class ItemSpeaker:
    item: str
    person: EntityRef
    span: Span


@dataclass(frozen=True, slots=True)
class ItemTopic:
    """A round-table item reports for this WP or research infrastructure."""

    item: str
    entity: EntityRef


@dataclass(frozen=True, slots=True)
class Mention:
    """The text ``exact`` at ``span`` names ``entity``; ``item`` is where it appears."""

    entity: EntityRef
    span: Span
    exact: str
    item: str | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """An action item stated in the notes of item ``item``.

    ``key`` depends only on the owner and the normalised text, so a later meeting that
    repeats the action (to close it) names the same action. ``owner`` is set when
    ``owner_name`` matched a person of this meeting; ``due`` when a deadline was written.
    """

    key: str
    text: str
    owner: EntityRef | None
    owner_name: str | None
    due: dt.date | None
    status: Literal["open", "done"]
    item: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision recorded in the notes of item ``item``; ``key`` is unique to this meeting."""

    key: str
    text: str
    item: str | None
    span: Span


@dataclass(frozen=True)
class Meeting:
    """Everything extracted from one minutes document."""

    minutes: ParsedMinutes
    people: tuple[Person, ...] = ()
    organisations: tuple[Organisation, ...] = ()
    memberships: tuple[Membership, ...] = ()
    work_packages: tuple[WorkPackage, ...] = ()
    deliverables: tuple[Deliverable, ...] = ()
    events: tuple[Event, ...] = ()
    things: tuple[Thing, ...] = ()
    speakers: tuple[ItemSpeaker, ...] = ()
    topics: tuple[ItemTopic, ...] = ()
    mentions: tuple[Mention, ...] = ()
    actions: tuple[Action, ...] = ()
    decisions: tuple[Decision, ...] = ()


# --- reference vocabulary, as the extractors see it ------------------------


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """A known entity with the names it goes by.

    ``identifier`` is set for work packages and deliverables ("WP2", "D5.3");
    ``start``/``end`` for dated events; ``series`` for event instances;
    ``parent`` for organisational units.
    """

    ref: EntityRef
    name: str
    aliases: tuple[str, ...] = ()
    identifier: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    series: EntityRef | None = None
    parent: EntityRef | None = None


@dataclass(frozen=True)
class Lexicon:
    """The reference vocabulary as a list of entries (see ``rdf/reference.py``)."""

    entries: tuple[LexiconEntry, ...] = ()

    def of_kind(self, kind: Kind) -> tuple[LexiconEntry, ...]:
        """Entries of one kind, in ``entries`` order."""
        return tuple(e for e in self.entries if e.ref.kind is kind)

    @cached_property
    def _by_ref(self) -> dict[EntityRef, LexiconEntry]:
        # Built once per Lexicon; extraction looks entries up thousands of times.
        return {entry.ref: entry for entry in self.entries}

    def get(self, ref: EntityRef) -> LexiconEntry | None:
        """The entry for ``ref``, or None."""
        return self._by_ref.get(ref)
