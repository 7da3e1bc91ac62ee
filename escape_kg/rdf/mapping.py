"""Turns one extracted ``Meeting`` into the RDF graph of its minutes document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from escape_kg.model import (
    AgendaItem,
    EntityRef,
    Kind,
    Meeting,
    Mention,
)
from escape_kg.rdf.actions import action_triples
from escape_kg.rdf.docstore import DocumentStore
from escape_kg.rdf.iris import Minter, meeting_key, series_key, slugify
from escape_kg.rdf.namespaces import DCTERMS, EKG, OA, ORG, PREFIXES, PROV, RDF, SCHEMA, XSD
from escape_kg.rdf.reference import reference_search_words
from escape_kg.rdf.summaries import decision_mentions, meeting_summary, search_keys, summary_stamp

__all__ = ["ImportInfo", "meeting_graph", "meeting_key_of"]

# Namespace attribute access builds a new URIRef each time; the mapper runs per
# meeting and adds thousands of triples, so the terms are built once here.
DCTERMS_date = DCTERMS.date
EKG_AgendaItem = EKG.AgendaItem
EKG_Deliverable = EKG.Deliverable
EKG_Meeting = EKG.Meeting
EKG_Mention = EKG.Mention
EKG_Minutes = EKG.Minutes
EKG_Redaction = EKG.Redaction
EKG_Service = EKG.Service
EKG_WorkPackage = EKG.WorkPackage
EKG_deliveryDate = EKG.deliveryDate
EKG_inItem = EKG.inItem
EKG_itemNumber = EKG.itemNumber
EKG_line = EKG.line
EKG_lineCount = EKG.lineCount
EKG_redactionCount = EKG.redactionCount
EKG_redactionKind = EKG.redactionKind
EKG_sourceName = EKG.sourceName
EKG_statedAs = EKG.statedAs
EKG_statedAt = EKG.statedAt
EKG_toolVersion = EKG.toolVersion
OA_SpecificResource = OA.SpecificResource
OA_TextPositionSelector = OA.TextPositionSelector
OA_TextQuoteSelector = OA.TextQuoteSelector
OA_end = OA.end
OA_exact = OA.exact
OA_hasBody = OA.hasBody
OA_hasSelector = OA.hasSelector
OA_hasSource = OA.hasSource
OA_hasTarget = OA.hasTarget
OA_identifying = OA.identifying
OA_motivatedBy = OA.motivatedBy
OA_prefix = OA.prefix
OA_start = OA.start
OA_suffix = OA.suffix
ORG_Membership = ORG.Membership
ORG_Organization = ORG.Organization
ORG_member = ORG.member
ORG_organization = ORG.organization
ORG_unitOf = ORG.unitOf
PROV_Activity = PROV.Activity
PROV_Entity = PROV.Entity
PROV_generated = PROV.generated
PROV_generatedAtTime = PROV.generatedAtTime
PROV_startedAtTime = PROV.startedAtTime
PROV_wasGeneratedBy = PROV.wasGeneratedBy
RDF_type = RDF.type
SCHEMA_Event = SCHEMA.Event
SCHEMA_EventSeries = SCHEMA.EventSeries
SCHEMA_Person = SCHEMA.Person
SCHEMA_ResearchProject = SCHEMA.ResearchProject
SCHEMA_about = SCHEMA.about
SCHEMA_affiliation = SCHEMA.affiliation
SCHEMA_description = SCHEMA.description
SCHEMA_duration = SCHEMA.duration
SCHEMA_encodingFormat = SCHEMA.encodingFormat
SCHEMA_endDate = SCHEMA.endDate
SCHEMA_identifier = SCHEMA.identifier
SCHEMA_isPartOf = SCHEMA.isPartOf
SCHEMA_name = SCHEMA.name
SCHEMA_performer = SCHEMA.performer
SCHEMA_position = SCHEMA.position
SCHEMA_recordedIn = SCHEMA.recordedIn
SCHEMA_startDate = SCHEMA.startDate
SCHEMA_subEvent = SCHEMA.subEvent
SCHEMA_superEvent = SCHEMA.superEvent
SCHEMA_text = SCHEMA.text
EKG_count = EKG["count"]


# How many characters of context a TextQuoteSelector keeps on each side.
_CONTEXT = 32

_THING_CLASS: dict[Kind, URIRef] = {
    Kind.PROJECT: SCHEMA_ResearchProject,
    Kind.SERVICE: EKG_Service,
    Kind.EVENT_SERIES: SCHEMA_EventSeries,
    Kind.ORGANISATION: ORG_Organization,
    Kind.EVENT: SCHEMA_Event,
}

Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class ImportInfo:
    """What an import adds besides the document: when it ran and which tool version ran it."""

    imported_at: dt.datetime
    tool_version: str


def meeting_key_of(meeting: Meeting) -> str:
    """The stable key of ``meeting`` (ISO date + title slug), used in all its IRIs."""
    return meeting_key(meeting.minutes.title, meeting.minutes.date)


@lru_cache(maxsize=4096)
def _int(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


@lru_cache(maxsize=65536)
def _offset(value: int) -> Literal:
    return Literal(value, datatype=XSD.nonNegativeInteger)


def _line_count(text: str) -> int:
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def _source_name(path: str) -> str:
    # Only the last segment of a path or URL: local folders must not leak into the graph.
    name = path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return name.split("?", 1)[0] or path


class _Mapper:
    """Collects the triples of one meeting; one instance per call."""

    def __init__(self, meeting: Meeting, minter: Minter) -> None:
        self.m = meeting
        self.minter = minter
        self.mkey = meeting_key_of(meeting)
        self.meeting = minter.meeting(self.mkey)
        self.doc = minter.minutes(self.mkey)
        self.out: list[Triple] = []
        self._entities: dict[EntityRef, URIRef] = {}
        self._items: dict[str, URIRef] = {}

    def add(self, s: Node, p: Node, o: Node) -> None:
        self.out.append((s, p, o))

    def entity(self, ref: EntityRef) -> URIRef:
        iri = self._entities.get(ref)
        if iri is None:
            iri = self._entities[ref] = self.minter.entity(ref)
        return iri

    def item(self, number: str) -> URIRef:
        iri = self._items.get(number)
        if iri is None:
            iri = self._items[number] = self.minter.item(self.mkey, number)
        return iri

    # --- the meeting, its minutes and its agenda ---------------------------

    def meeting_triples(self) -> None:
        pm = self.m.minutes
        add, mt = self.add, self.meeting
        add(mt, RDF_type, EKG_Meeting)
        add(mt, SCHEMA_name, Literal(pm.title))
        add(mt, DCTERMS_date, Literal(pm.date, datatype=XSD.date))
        if pm.title_span is not None:
            add(mt, EKG_line, _int(pm.title_span.line))
        items = pm.all_items()
        starts = [i.start for i in items if i.start is not None]
        ends = [i.end for i in items if i.end is not None]
        start: dt.date = min(starts) if starts else pm.date
        end: dt.date = max(ends) if ends else pm.date
        add(mt, SCHEMA_startDate, _when(start))
        add(mt, SCHEMA_endDate, _when(end))
        add(mt, SCHEMA_recordedIn, self.doc)
        series_name = pm.series or pm.title
        series = self.minter.entity(EntityRef(Kind.EVENT_SERIES, series_key(series_name)))
        add(mt, SCHEMA_superEvent, series)
        add(series, RDF_type, SCHEMA_EventSeries)
        add(series, SCHEMA_name, Literal(series_name))
        for top in pm.items:
            add(mt, SCHEMA_subEvent, self.item(top.number))

        text = pm.document.text
        add(self.doc, RDF_type, EKG_Minutes)
        add(self.doc, SCHEMA_text, Literal(text))
        add(self.doc, SCHEMA_encodingFormat, Literal("text/plain"))
        add(self.doc, SCHEMA_about, mt)
        add(self.doc, EKG_lineCount, _int(_line_count(text)))

    def item_triples(self) -> None:
        performers: dict[str, list[EntityRef]] = {}
        for sp in self.m.speakers:
            performers.setdefault(sp.item, []).append(sp.person)
        topics: dict[str, list[EntityRef]] = {}
        for tp in self.m.topics:
            topics.setdefault(tp.item, []).append(tp.entity)
        for item in self.m.minutes.all_items():
            self._item(item, performers.get(item.number, ()), topics.get(item.number, ()))

    def _item(
        self, item: AgendaItem, performers: Iterable[EntityRef], topics: Iterable[EntityRef]
    ) -> None:
        add, it = self.add, self.item(item.number)
        add(it, RDF_type, EKG_AgendaItem)
        add(it, SCHEMA_name, Literal(item.title))
        add(it, EKG_itemNumber, Literal(item.number))
        add(it, SCHEMA_position, _int(item.position))
        # The line the item starts on (its times line for a timed item): where a reader
        # fixes a wrong time. Children start on their title line.
        start_line = item.span.line if item.span is not None else item.title_span.line
        add(it, EKG_line, _int(start_line))
        if item.start is not None:
            add(it, SCHEMA_startDate, Literal(item.start, datatype=XSD.dateTime))
        if item.end is not None:
            add(it, SCHEMA_endDate, Literal(item.end, datatype=XSD.dateTime))
        if item.duration is not None:
            add(it, SCHEMA_duration, Literal(item.duration, datatype=XSD.duration))
        parent = item.parent_number
        add(it, SCHEMA_superEvent, self.item(parent) if parent else self.meeting)
        for child in item.children:
            add(it, SCHEMA_subEvent, self.item(child.number))
        for person in performers:
            add(it, SCHEMA_performer, self.entity(person))
        for topic in topics:
            add(it, SCHEMA_about, self.entity(topic))
        if item.notes:
            add(it, SCHEMA_description, Literal("\n".join(n.text for n in item.notes)))

    # --- entities ----------------------------------------------------------

    def entity_triples(self) -> list[EntityRef]:
        """Adds type and name triples; returns every entity that needs a mention."""
        add, m = self.add, self.m
        listed: list[EntityRef] = []
        affiliations: dict[EntityRef, set[EntityRef]] = {}
        for ms in m.memberships:
            affiliations.setdefault(ms.person, set()).add(ms.organisation)
        for p in m.people:
            s = self.entity(p.ref)
            add(s, RDF_type, SCHEMA_Person)
            add(s, SCHEMA_name, Literal(p.name))
            for org in sorted(affiliations.get(p.ref, ())):
                add(s, SCHEMA_affiliation, self.entity(org))
            listed.append(p.ref)
        for o in m.organisations:
            s = self.entity(o.ref)
            add(s, RDF_type, ORG_Organization)
            add(s, SCHEMA_name, Literal(o.name))
            if o.parent is not None:
                add(s, ORG_unitOf, self.entity(o.parent))
            listed.append(o.ref)
        for ms in m.memberships:
            s = self.minter.membership(self.mkey, ms.person, ms.organisation)
            add(s, RDF_type, ORG_Membership)
            add(s, ORG_member, self.entity(ms.person))
            add(s, ORG_organization, self.entity(ms.organisation))
            add(s, EKG_statedAt, self.meeting)
            add(s, EKG_statedAs, Literal(ms.stated_as))
            add(s, EKG_line, _int(ms.span.line))
        for wp in m.work_packages:
            s = self.entity(wp.ref)
            add(s, RDF_type, EKG_WorkPackage)
            add(s, SCHEMA_identifier, Literal(wp.identifier))
            listed.append(wp.ref)
        for d in m.deliverables:
            s = self.entity(d.ref)
            add(s, RDF_type, EKG_Deliverable)
            add(s, SCHEMA_identifier, Literal(d.identifier))
            if d.title:
                add(s, SCHEMA_name, Literal(d.title))
            if d.delivered is not None:
                add(s, EKG_deliveryDate, Literal(d.delivered, datatype=XSD.date))
            if d.work_package is not None:
                add(s, SCHEMA_isPartOf, self.entity(d.work_package))
            listed.append(d.ref)
        for e in m.events:
            s = self.entity(e.ref)
            add(s, RDF_type, SCHEMA_Event)
            add(s, SCHEMA_name, Literal(e.name))
            if e.start is not None:
                add(s, SCHEMA_startDate, Literal(e.start, datatype=XSD.date))
            if e.end is not None:
                add(s, SCHEMA_endDate, Literal(e.end, datatype=XSD.date))
            if e.series is not None:
                add(s, SCHEMA_superEvent, self.entity(e.series))
            listed.append(e.ref)
        for t in m.things:
            cls = _THING_CLASS.get(t.ref.kind)
            if cls is None:
                raise ValueError(f"a Thing cannot be of kind {t.ref.kind.value!r}: {t.ref.key}")
            s = self.entity(t.ref)
            add(s, RDF_type, cls)
            add(s, SCHEMA_name, Literal(t.name))
            listed.append(t.ref)
        return listed

    # --- mentions and provenance -------------------------------------------

    def mention_triples(self) -> set[EntityRef]:
        """Adds one annotation per span; returns the entities that have one."""
        add, text = self.add, self.m.minutes.document.text
        seen: dict[tuple[int, int], Mention] = {}
        for mn in self.m.mentions:
            key = (mn.span.start, mn.span.end)
            other = seen.get(key)
            if other is not None:
                if other != mn:
                    raise ValueError(
                        f"two mentions share the span {key}: {other.entity} and {mn.entity}"
                    )
                continue
            seen[key] = mn
            start, end = key
            s = self.minter.mention(self.mkey, start, end)
            target, quote, pos = (
                URIRef(f"{s}#target"),
                URIRef(f"{s}#quote"),
                URIRef(f"{s}#position"),
            )
            add(s, RDF_type, EKG_Mention)
            add(s, OA_hasBody, self.entity(mn.entity))
            add(s, OA_motivatedBy, OA_identifying)
            add(s, EKG_line, _int(mn.span.line))
            if mn.item is not None:
                add(s, EKG_inItem, self.item(mn.item))
            add(s, OA_hasTarget, target)
            add(target, RDF_type, OA_SpecificResource)
            add(target, OA_hasSource, self.doc)
            add(target, OA_hasSelector, quote)
            add(target, OA_hasSelector, pos)
            add(quote, RDF_type, OA_TextQuoteSelector)
            # The Meeting's own quote is kept so that SHACL can catch an extractor that
            # got its offsets wrong (quote and offsets would disagree).
            add(quote, OA_exact, Literal(mn.exact))
            prefix = text[max(0, start - _CONTEXT) : start]
            suffix = text[end : end + _CONTEXT]
            if prefix:
                add(quote, OA_prefix, Literal(prefix))
            if suffix:
                add(quote, OA_suffix, Literal(suffix))
            add(pos, RDF_type, OA_TextPositionSelector)
            add(pos, OA_start, _offset(start))
            add(pos, OA_end, _offset(end))
        return {mn.entity for mn in seen.values()}

    def provenance_triples(self, info: ImportInfo) -> None:
        add = self.add
        graph = self.minter.graph(self.mkey)
        act = self.minter.import_activity(self.mkey)
        doc = self.m.minutes.document
        when = Literal(info.imported_at, datatype=XSD.dateTime)
        add(graph, RDF_type, PROV_Entity)
        add(graph, PROV_wasGeneratedBy, act)
        add(graph, PROV_generatedAtTime, when)
        add(graph, EKG_sourceName, Literal(_source_name(doc.source.path)))
        add(graph, EKG.sourceFormat, Literal(doc.source.media_type))
        add(graph, EKG.sha256, Literal(doc.source.sha256))
        add(graph, EKG_toolVersion, Literal(info.tool_version))
        add(act, RDF_type, PROV_Activity)
        add(act, PROV_startedAtTime, when)
        add(act, PROV_generated, graph)
        for kind, count in sorted((doc.redactions or {}).items()):
            r = URIRef(f"{act}#{slugify(kind)}")
            add(act, EKG_redactionCount, r)
            add(r, RDF_type, EKG_Redaction)
            add(r, EKG_redactionKind, Literal(kind))
            add(r, EKG_count, _int(count))


def _when(value: dt.date) -> Literal:
    if isinstance(value, dt.datetime):
        return Literal(value, datatype=XSD.dateTime)
    return Literal(value, datatype=XSD.date)


def meeting_graph(meeting: Meeting, minter: Minter, info: ImportInfo) -> Graph:
    """The named graph (identifier ``minter.graph(mkey)``) of one minutes document.

    The same Meeting always gives the same triples, except the import times.
    Raises ValueError when the Meeting breaks an upstream invariant: an entity
    without a mention, two different mentions of one span, or a Thing whose
    kind has no class.
    """
    mapper = _Mapper(meeting, minter)
    mapper.meeting_triples()
    mapper.item_triples()
    listed = mapper.entity_triples()
    mentioned = mapper.mention_triples()
    mapper.out.extend(action_triples(meeting, minter, mapper.mkey))
    missing = sorted({ref for ref in listed if ref not in mentioned})
    if missing:
        names = ", ".join(f"{r.kind.value}/{r.key}" for r in missing)
        raise ValueError(f"entities without a mention in the minutes: {names}")
    # Facts the catalogue queries would otherwise gather from every graph (summaries.py).
    mapper.out.extend(meeting_summary(mapper.meeting, mapper.out))
    mapper.out.extend(decision_mentions(mapper.out))
    mapper.out.extend(
        search_keys(
            mapper.out,
            skip=(mapper.meeting, *mapper._items.values()),
            known_words=reference_search_words(minter.base),
        )
    )
    mapper.out.append(summary_stamp(minter.graph(mapper.mkey)))
    mapper.provenance_triples(info)
    # "core" keeps rdflib from binding schema: to https://schema.org/ behind our back.
    store = DocumentStore()
    graph = Graph(store, identifier=mapper.minter.graph(mapper.mkey), bind_namespaces="core")
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    store.add_graph(graph)
    store.add_triples(mapper.out)
    return graph
