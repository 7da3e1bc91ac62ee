"""Summary triples written at import time: meeting counts, action lines and search keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from _meeting_factory import meeting
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from escape_kg.api import KnowledgeGraph
from escape_kg.model import NoteLine
from escape_kg.rdf.iris import Minter
from escape_kg.rdf.mapping import ImportInfo, meeting_graph, meeting_key_of
from escape_kg.rdf.namespaces import EKG, SCHEMA
from escape_kg.rdf.reference import reference_graph, reference_search_words
from escape_kg.rdf.summaries import (
    LABEL_PREDICATES,
    SUMMARY_VERSION,
    action_line,
    decision_mentions,
    words,
)

BASE = "https://w3id.org/escape-kg/id/"
AT = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _graph() -> Graph:
    return meeting_graph(meeting(), Minter(BASE), ImportInfo(AT, "0.1.0"))


@pytest.fixture(scope="module")
def graph() -> Graph:
    return _graph()


def _meeting_iri(g: Graph) -> URIRef:
    (mt,) = g.subjects(RDF.type, EKG.Meeting)
    assert isinstance(mt, URIRef)
    return mt


@pytest.mark.parametrize(
    ("notes", "expected"),
    [
        (
            "We said things\n  ACTION: Ian to send the plan\nAI: later",
            "ACTION: Ian to send the plan",
        ),
        ("Actions : check the FTS logs", "Actions : check the FTS logs"),
        ("Action items: none", "Action items: none"),
        ("ai: Julie writes the note", "ai: Julie writes the note"),
        ("first\nstill TODO for D5.3", "still TODO for D5.3"),
        ("a to-do list is kept", "a to-do list is kept"),
        ("things to do next week", "things to do next week"),
        ("Trip to Hawai: nothing planned", None),
        ("the transaction: committed", None),
        ("todos are elsewhere\nmain topic", None),
        ("", None),
    ],
)
def test_action_line_is_the_first_line_that_reads_like_an_action(
    notes: str, expected: str | None
) -> None:
    assert action_line(notes) == expected


def test_the_meeting_counts_its_items_and_speakers(graph: Graph) -> None:
    mt = _meeting_iri(graph)
    items = set(graph.subjects(RDF.type, EKG.AgendaItem))
    speakers = set(graph.objects(None, SCHEMA.performer))
    assert graph.value(mt, EKG.itemCount) == Literal(len(items), datatype=XSD.integer)
    assert graph.value(mt, EKG.speakerCount) == Literal(len(speakers), datatype=XSD.integer)
    names = sorted(str(graph.value(s, SCHEMA.name)) for s in speakers)
    assert len(names) >= 2
    assert graph.value(mt, EKG.speakerNames) == Literal(", ".join(names))


def test_a_meeting_without_speakers_has_counts_but_no_names() -> None:
    m = meeting()
    quiet = replace(m, speakers=())
    g = meeting_graph(quiet, Minter(BASE), ImportInfo(AT, "0.1.0"))
    mt = _meeting_iri(g)
    assert g.value(mt, EKG.speakerCount) == Literal(0, datatype=XSD.integer)
    assert g.value(mt, EKG.speakerNames) is None


def test_an_item_with_an_action_in_its_notes_gets_the_line() -> None:
    m = meeting()
    first = m.minutes.items[0]
    noted = replace(
        first,
        notes=(*first.notes, NoteLine("  AI: Ian sends the plan  ", first.notes[0].span)),
    )
    minutes = replace(m.minutes, items=(noted, *m.minutes.items[1:]))
    g = meeting_graph(replace(m, minutes=minutes), Minter(BASE), ImportInfo(AT, "0.1.0"))
    item = Minter(BASE).item(meeting_key_of(m), noted.number)
    assert list(g.objects(item, EKG.actionLine)) == [Literal("AI: Ian sends the plan")]
    assert len(list(g.subject_objects(EKG.actionLine))) == 1


def test_the_seed_like_meeting_has_no_action_line(graph: Graph) -> None:
    assert list(graph.subject_objects(EKG.actionLine)) == []


def test_every_label_of_an_entity_has_one_lower_case_search_key(graph: Graph) -> None:
    mt = _meeting_iri(graph)
    items = set(graph.subjects(RDF.type, EKG.AgendaItem))
    expected = {
        (s, Literal(str(o).lower()))
        for p in LABEL_PREDICATES
        for s, o in graph.subject_objects(p)
        if s != mt and s not in items
    }
    keys = list(graph.subject_objects(EKG.searchKey))
    assert set(keys) == expected
    assert len(keys) == len(set(keys))
    assert (URIRef(BASE + "event/dac21"), Literal("dac21")) in expected
    assert all(s != mt and s not in items for s, _ in keys)


def test_the_reference_graph_has_keys_for_aliases() -> None:
    g = reference_graph()
    dac = URIRef(BASE + "event/dac21")
    keys = {str(k) for k in g.objects(dac, EKG.searchKey)}
    assert "dac21" in keys
    assert "escape data lake data challenge 2021" in keys


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("ian bird", ["ian", "bird"]),
        ("escape data lake (dios)", ["escape", "data", "lake", "dios"]),
        ("d5.3", ["d5"]),  # two characters with a digit count, the lone "3" does not
        ("institut de la physique", ["institut", "physique"]),
        ("dac21", []),  # the key itself is no extra word
        ("ego-virgo", ["ego", "virgo"]),
        ("wp5 wp5", ["wp5"]),
    ],
)
def test_words_are_runs_of_letters_and_digits_worth_a_lookup(key: str, expected: list[str]) -> None:
    assert words(key) == expected


def test_every_entity_gets_the_words_of_its_keys_that_are_not_keys(graph: Graph) -> None:
    keys: dict[object, set[str]] = {}
    for s, k in graph.subject_objects(EKG.searchKey):
        keys.setdefault(s, set()).add(str(k))
    expected = {
        (s, Literal(w)) for s, ks in keys.items() for k in ks for w in words(k) if w not in ks
    }
    # The reference graph's words are stored once, there, not again in each minutes graph.
    known = reference_search_words(BASE)
    found = list(graph.subject_objects(EKG.searchWord))
    assert set(found) == {(s, w) for s, w in expected if (s, str(w)) not in known}
    assert len(found) == len(set(found))
    assert (URIRef(BASE + "person/ian-bird"), Literal("bird")) in found
    # Together with the reference graph, every word is still there to be found.
    reference = {(s, Literal(w)) for s, w in known}
    assert expected <= set(found) | reference
    dropped = expected - set(found)
    assert (URIRef(BASE + "deliverable/D2.1"), Literal("lake")) in dropped


def test_the_graph_states_its_summary_version(graph: Graph) -> None:
    stamps = list(graph.subject_objects(EKG.summaryVersion))
    assert stamps == [(graph.identifier, Literal(SUMMARY_VERSION, datatype=XSD.integer))]
    assert SUMMARY_VERSION >= 2


_OA = "http://www.w3.org/ns/oa#"


def _mention(name: str, body: str, start: int, end: int) -> list[tuple[URIRef, URIRef, object]]:
    m, t, sel = URIRef(f"urn:m:{name}"), URIRef(f"urn:t:{name}"), URIRef(f"urn:s:{name}")
    return [
        (m, URIRef(_OA + "hasBody"), URIRef(body)),
        (m, URIRef(_OA + "hasTarget"), t),
        (t, URIRef(_OA + "hasSelector"), URIRef(f"urn:q:{name}")),
        (t, URIRef(_OA + "hasSelector"), sel),
        (sel, URIRef(_OA + "start"), Literal(start, datatype=XSD.nonNegativeInteger)),
        (sel, URIRef(_OA + "end"), Literal(end, datatype=XSD.nonNegativeInteger)),
    ]


def test_a_decision_lists_the_entities_mentioned_inside_its_text() -> None:
    decision, other = URIRef("urn:d:1"), URIRef("urn:d:2")
    triples = [
        (decision, EKG.decidedIn, URIRef("urn:meeting")),
        (other, EKG.decidedIn, URIRef("urn:meeting")),
        *_mention("d1", "urn:d:1", 100, 160),
        *_mention("rucio", "urn:e:rucio", 110, 115),
        *_mention("fts", "urn:e:fts", 150, 160),  # ends where the decision ends: inside
        *_mention("rucio-again", "urn:e:rucio", 120, 125),  # listed once
        *_mention("edge", "urn:e:cern", 95, 105),  # starts before the decision: outside
        *_mention("after", "urn:e:eso", 161, 170),  # after it: outside
        *_mention("d2", "urn:d:2", 300, 320),  # a decision with nothing inside
    ]
    found = decision_mentions(triples)  # type: ignore[arg-type]
    assert found == [
        (decision, EKG.textMentions, URIRef("urn:e:rucio")),
        (decision, EKG.textMentions, URIRef("urn:e:fts")),
    ]


def test_no_decision_no_text_mentions(graph: Graph) -> None:
    assert decision_mentions(list(graph)) == []
    assert list(graph.subject_objects(EKG.textMentions)) == []


def test_a_document_summed_up_by_an_older_version_is_imported_again() -> None:
    seed = Path(__file__).resolve().parent.parent / "examples" / "escape-tc-minutes.txt"
    kg = KnowledgeGraph.memory()
    assert kg.ingest(seed, date=dt.date(2021, 9, 8)).status == "imported"
    assert kg.ingest(seed, date=dt.date(2021, 9, 8)).status == "unchanged"
    # What a store imported before SUMMARY_VERSION 2 holds: no stamp on the graph.
    kg.store.update(
        "DELETE WHERE { GRAPH ?g { ?g <https://w3id.org/escape-kg/ontology#summaryVersion> ?v } }"
    )
    assert kg.ingest(seed, date=dt.date(2021, 9, 8)).status == "imported"
    assert kg.ingest(seed, date=dt.date(2021, 9, 8)).status == "unchanged"
