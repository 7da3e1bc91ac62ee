"""Mapping a Meeting to the RDF graph of its minutes document."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from _meeting_factory import IAN, TEXT, WP2, meeting, span_of
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, XSD

from escape_kg.model import Mention
from escape_kg.rdf.iris import Minter
from escape_kg.rdf.mapping import ImportInfo, meeting_graph, meeting_key_of
from escape_kg.rdf.namespaces import EKG, OA, ORG, SCHEMA

BASE = "https://kg.example.org/base/"
MKEY = "2021-09-08-technical-coordination-meeting"
AT = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _graph(base: str = BASE, at: dt.datetime = AT) -> Graph:
    return meeting_graph(meeting(), Minter(base), ImportInfo(at, "0.1.0"))


@pytest.fixture(scope="module")
def graph() -> Graph:
    return _graph()


def iri(path: str) -> URIRef:
    return URIRef(BASE + path)


def test_meeting_key_and_graph_identifier(graph: Graph) -> None:
    assert meeting_key_of(meeting()) == MKEY
    assert graph.identifier == Minter(BASE).graph(MKEY)


def test_meeting_node(graph: Graph) -> None:
    m = iri(f"meeting/{MKEY}")
    assert (m, RDF.type, EKG.Meeting) in graph
    assert list(graph.objects(m, SCHEMA.name)) == [Literal("Technical Coordination Meeting")]
    assert graph.value(m, DCTERMS.date) == Literal("2021-09-08", datatype=XSD.date)
    # first start and last end of the timetable
    assert graph.value(m, SCHEMA.startDate) == Literal("2021-09-08T10:00:00", datatype=XSD.dateTime)
    assert graph.value(m, SCHEMA.endDate) == Literal("2021-09-08T10:45:00", datatype=XSD.dateTime)
    doc = graph.value(m, SCHEMA.recordedIn)
    assert doc == iri(f"meeting/{MKEY}/minutes")
    assert graph.value(doc, SCHEMA.text) == Literal(TEXT)
    assert graph.value(doc, EKG.lineCount) == Literal(11)
    series = graph.value(m, SCHEMA.superEvent)
    assert series == iri("series/technical-coordination")
    assert (series, RDF.type, SCHEMA.EventSeries) in graph


def test_meeting_without_times_uses_the_date() -> None:
    plain = tuple(replace(i, start=None, end=None, children=()) for i in meeting().minutes.items)
    m = meeting(agenda=plain)
    m = replace(m, mentions=tuple(x for x in m.mentions if x.item != "2.1"))
    m = replace(m, people=m.people[:2], organisations=m.organisations[:2], memberships=())
    m = replace(m, work_packages=(), deliverables=(), things=(), events=m.events[:1], topics=())
    g = meeting_graph(m, Minter(BASE), ImportInfo(AT, "0.1.0"))
    mt = iri(f"meeting/{MKEY}")
    assert g.value(mt, SCHEMA.startDate) == Literal("2021-09-08", datatype=XSD.date)


def item(number: str) -> URIRef:
    return iri(f"meeting/{MKEY}/item/{number}")


def test_agenda_tree(graph: Graph) -> None:
    m = iri(f"meeting/{MKEY}")
    assert set(graph.objects(m, SCHEMA.subEvent)) == {item("1"), item("2")}
    assert set(graph.objects(item("2"), SCHEMA.subEvent)) == {item("2.1")}
    assert graph.value(item("2.1"), SCHEMA.superEvent) == item("2")
    assert graph.value(item("1"), SCHEMA.superEvent) == m
    assert graph.value(item("2.1"), EKG.itemNumber) == Literal("2.1")
    assert graph.value(item("2.1"), SCHEMA.position) == Literal(1)
    # the line the item starts on: its times line
    assert graph.value(item("1"), EKG.line) == Literal(3)
    assert graph.value(item("2.1"), EKG.line) == Literal(9)
    assert graph.value(item("1"), SCHEMA.duration) == Literal("PT10M", datatype=XSD.duration)
    assert graph.value(item("1"), SCHEMA.startDate) == Literal(
        "2021-09-08T10:00:00", datatype=XSD.dateTime
    )
    assert set(graph.objects(item("1"), SCHEMA.performer)) == {
        iri("person/ian-bird"),
        iri("person/julie-chaudan"),
    }
    assert graph.value(item("2.1"), SCHEMA.about) == iri("wp/WP2")
    assert graph.value(item("1"), SCHEMA.description) == Literal("CHEP abstracts - deadline 19 Nov")


def test_entities_typed_and_named_once(graph: Graph) -> None:
    expected = {
        "person/ian-bird": SCHEMA.Person,
        "person/julie-chaudan": SCHEMA.Person,
        "org/lapp": ORG.Organization,
        "wp/WP2": EKG.WorkPackage,
        "deliverable/D2.1": EKG.Deliverable,
        "event/chep-2023": SCHEMA.Event,
        "service/rucio": EKG.Service,
    }
    for path, cls in expected.items():
        assert (iri(path), RDF.type, cls) in graph, path
    for person in graph.subjects(RDF.type, SCHEMA.Person):
        assert len(list(graph.objects(person, SCHEMA.name))) == 1
    assert graph.value(iri("person/julie-chaudan"), SCHEMA.name) == Literal("Julie Chaudan")
    assert graph.value(iri("person/julie-chaudan"), SCHEMA.affiliation) == iri("org/lapp")
    assert graph.value(iri("org/lapp"), ORG.unitOf) == iri("org/cnrs")
    assert graph.value(iri("wp/WP2"), SCHEMA.identifier) == Literal("WP2")
    assert graph.value(iri("deliverable/D2.1"), EKG.deliveryDate) == Literal(
        "2021-09-08", datatype=XSD.date
    )
    assert graph.value(iri("event/chep-2023"), SCHEMA.superEvent) == iri("series/chep")


def test_memberships(graph: Graph) -> None:
    ms = iri(f"meeting/{MKEY}/membership/julie-chaudan/lapp")
    assert (ms, RDF.type, ORG.Membership) in graph
    assert graph.value(ms, ORG.member) == iri("person/julie-chaudan")
    assert graph.value(ms, EKG.statedAs) == Literal("LAPP IN2P3 / CNRS")
    assert graph.value(ms, EKG.statedAt) == iri(f"meeting/{MKEY}")
    assert graph.value(ms, EKG.line) == Literal(5)


def test_every_entity_has_a_mention(graph: Graph) -> None:
    bodies = set(graph.objects(None, OA.hasBody))
    typed = {
        s
        for cls in (SCHEMA.Person, ORG.Organization, EKG.WorkPackage, EKG.Deliverable)
        for s in graph.subjects(RDF.type, cls)
    }
    assert typed and typed <= bodies


def test_mention_selectors_quote_the_text(graph: Graph) -> None:
    mentions = list(graph.subjects(RDF.type, EKG.Mention))
    assert len(mentions) == len(meeting().mentions)
    for m in mentions:
        target = graph.value(m, OA.hasTarget)
        assert graph.value(target, OA.hasSource) == iri(f"meeting/{MKEY}/minutes")
        quote = URIRef(f"{m}#quote")
        pos = URIRef(f"{m}#position")
        assert set(graph.objects(target, OA.hasSelector)) == {quote, pos}
        start, end = graph.value(pos, OA.start), graph.value(pos, OA.end)
        assert isinstance(start, Literal) and isinstance(end, Literal)
        assert start.datatype == XSD.nonNegativeInteger
        assert str(m).endswith(f"/mention/{start}-{end}")
        assert str(graph.value(quote, OA.exact)) == TEXT[int(start) : int(end)]
        prefix = graph.value(quote, OA.prefix)
        assert prefix is None or TEXT[: int(start)].endswith(str(prefix))
        assert graph.value(m, OA.motivatedBy) == OA.identifying


def test_mention_in_item_and_line(graph: Graph) -> None:
    s = span_of("Xavier Espinal")
    m = iri(f"meeting/{MKEY}/mention/{s.start}-{s.end}")
    assert graph.value(m, EKG.line) == Literal(10)
    assert graph.value(m, EKG.inItem) == iri(f"meeting/{MKEY}/item/2.1")
    assert graph.value(m, OA.hasBody) == iri("person/xavier-espinal")


def test_all_minted_iris_under_the_base(graph: Graph) -> None:
    subjects = {s for s in graph.subjects() if isinstance(s, URIRef)}
    assert subjects and all(str(s).startswith(BASE) for s in subjects)


def test_provenance(graph: Graph) -> None:
    g = iri(f"graph/{MKEY}")
    act = iri(f"meeting/{MKEY}/import")
    assert (g, RDF.type, PROV.Entity) in graph
    assert graph.value(g, PROV.wasGeneratedBy) == act
    assert graph.value(g, PROV.generatedAtTime) == Literal(AT, datatype=XSD.dateTime)
    # the file name only: a local folder must never reach the graph
    assert graph.value(g, EKG.sourceName) == Literal("tc.txt")
    assert graph.value(g, EKG.sha256) == Literal(meeting().minutes.document.source.sha256)
    assert graph.value(g, EKG.toolVersion) == Literal("0.1.0")
    assert graph.value(act, PROV.generated) == g


def test_redaction_counts(graph: Graph) -> None:
    act = iri(f"meeting/{MKEY}/import")
    counts = {
        str(graph.value(r, EKG.redactionKind)): graph.value(r, EKG["count"])
        for r in graph.objects(act, EKG.redactionCount)
    }
    assert counts == {"passcode": Literal(2), "meeting-id": Literal(3)}


def test_deterministic_except_import_time() -> None:
    later = AT + dt.timedelta(days=3)
    a, b = _graph(at=AT), _graph(at=later)
    times = {PROV.generatedAtTime, PROV.startedAtTime}
    assert {t for t in a if t[1] not in times} == {t for t in b if t[1] not in times}
    assert set(a) != set(b)


def test_prefixes_bound(graph: Graph) -> None:
    bound = dict(graph.namespaces())
    assert str(bound["schema"]) == "http://schema.org/"
    assert str(bound["ekg"]) == str(EKG)


def test_entity_without_mention_is_a_bug() -> None:
    m = meeting()
    m = replace(m, mentions=tuple(x for x in m.mentions if x.entity != WP2))
    with pytest.raises(ValueError, match="wp/WP2"):
        meeting_graph(m, Minter(BASE), ImportInfo(AT, "0.1.0"))


def test_two_mentions_of_one_span_is_a_bug() -> None:
    m = meeting()
    clash = Mention(WP2, span_of("Ian Bird"), "Ian Bird", "1")
    with pytest.raises(ValueError, match="share the span"):
        meeting_graph(replace(m, mentions=(*m.mentions, clash)), Minter(BASE), ImportInfo(AT, "x"))


def test_repeated_identical_mention_is_kept_once() -> None:
    m = meeting()
    again = Mention(IAN, span_of("Ian Bird"), "Ian Bird", "1")
    g = meeting_graph(replace(m, mentions=(*m.mentions, again)), Minter(BASE), ImportInfo(AT, "x"))
    assert len(list(g.subjects(RDF.type, EKG.Mention))) == len(m.mentions)


def test_document_graph_answers_every_lookup_like_an_rdflib_memory_graph() -> None:
    # The mapper's lean store must find the same triples as rdflib's own store for
    # every pattern shape pySHACL, the reports and the API use.
    lean = _graph()
    plain = Graph()
    for triple in lean:
        plain.add(triple)
    assert len(lean) == len(plain) > 0
    mention = next(lean.subjects(RDF.type, EKG.Mention))
    target = lean.value(mention, OA.hasTarget)
    patterns = [
        (mention, None, None),
        (mention, OA.hasTarget, None),
        (mention, OA.hasTarget, target),
        (mention, None, target),
        (None, RDF.type, EKG.Mention),
        (None, OA.hasTarget, None),
        (None, None, target),
        (None, None, None),
    ]
    for pattern in patterns:
        assert set(lean.triples(pattern)) == set(plain.triples(pattern)), pattern
    lean.remove((mention, None, None))
    plain.remove((mention, None, None))
    assert set(lean) == set(plain)
    assert len(lean) == len(plain)
    assert set(lean.triples((None, None, target))) == set()
