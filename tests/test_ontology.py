"""The escape-kg OWL vocabulary: parses, defines every ekg term used, and documents each."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef

from escape_kg.rdf.namespaces import DCTERMS, EKG, ONTOLOGY_IRI, OWL, RDF, RDFS
from escape_kg.rdf.reference import ontology_graph, reference_graph
from escape_kg.resources import ontology_files

# The terms CONTRACT.md says the mapping writes; each must be defined.
CONTRACT_CLASSES = [
    "Meeting", "AgendaItem", "Minutes", "WorkPackage", "Deliverable", "Milestone", "Mention",
    "Service", "ResearchInfrastructure", "Redaction",
]  # fmt: skip
CONTRACT_PROPERTIES = [
    "statedAt", "statedAs", "itemNumber", "line", "inItem", "lineCount", "deliveryDate", "acronym",
    "sourceName", "sha256", "toolVersion", "redactionCount", "redactionKind", "count", "alias",
]  # fmt: skip
PROPERTY_TYPES = {OWL.ObjectProperty, OWL.DatatypeProperty}


@pytest.fixture(scope="module")
def onto() -> Graph:
    return ontology_graph()


def ekg_terms(graph: Graph) -> set[URIRef]:
    return {
        term
        for triple in graph
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(str(EKG))
    }


def english(graph: Graph, term: URIRef, predicate: URIRef) -> list[str]:
    return [
        str(v)
        for v in graph.objects(term, predicate)
        if isinstance(v, Literal) and v.language == "en" and str(v).strip()
    ]


def test_ontology_files_exclude_the_reference_vocabulary() -> None:
    names = [p.name for p in ontology_files()]
    assert "escape-kg.ttl" in names
    assert "escape-reference.ttl" not in names


def test_ontology_header(onto: Graph) -> None:
    ontology = URIRef(ONTOLOGY_IRI)
    assert (ontology, RDF.type, OWL.Ontology) in onto
    for predicate in (DCTERMS.title, DCTERMS.description):
        assert english(onto, ontology, predicate), predicate
    assert onto.value(ontology, DCTERMS.license) is not None
    assert onto.value(ontology, OWL.versionInfo) is not None


@pytest.mark.parametrize("name", CONTRACT_CLASSES)
def test_contract_classes_are_defined(onto: Graph, name: str) -> None:
    assert (EKG[name], RDF.type, OWL.Class) in onto


@pytest.mark.parametrize("name", CONTRACT_PROPERTIES)
def test_contract_properties_are_defined(onto: Graph, name: str) -> None:
    assert set(onto.objects(EKG[name], RDF.type)) & PROPERTY_TYPES


def test_every_ekg_term_has_english_label_and_comment(onto: Graph) -> None:
    terms = ekg_terms(onto)
    assert len(terms) >= len(CONTRACT_CLASSES) + len(CONTRACT_PROPERTIES)
    missing = sorted(
        str(t)
        for t in terms
        if not english(onto, t, RDFS.label) or not english(onto, t, RDFS.comment)
    )
    assert missing == []


def test_only_ekg_terms_and_the_ontology_are_described(onto: Graph) -> None:
    # Reused vocabularies are not redefined here: no labels or types on their terms.
    foreign = {
        str(s)
        for s in onto.subjects()
        if not str(s).startswith(str(EKG)) and str(s) != ONTOLOGY_IRI
    }
    assert foreign == set()


def test_subclasses_reuse_the_agreed_parents(onto: Graph) -> None:
    parents = {str(p) for p in onto.objects(EKG.Minutes, RDFS.subClassOf)}
    assert parents == {
        "http://schema.org/DigitalDocument",
        "http://purl.org/spar/fabio/MeetingReport",
    }
    assert str(onto.value(EKG.Mention, RDFS.subClassOf)) == "http://www.w3.org/ns/oa#Annotation"
    assert (
        str(onto.value(EKG.Deliverable, RDFS.subClassOf))
        == "http://purl.org/cerif/frapo/Deliverable"
    )
    assert str(onto.value(EKG.ResearchInfrastructure, RDFS.subClassOf)) == (
        "http://www.w3.org/ns/org#Organization"
    )


def test_every_ekg_term_the_reference_uses_is_defined(onto: Graph) -> None:
    defined = set(onto.subjects(RDF.type, OWL.Class)) | {
        s for t in PROPERTY_TYPES for s in onto.subjects(RDF.type, t)
    }
    assert ekg_terms(reference_graph()) - defined == set()


def test_ontology_graph_is_a_private_copy() -> None:
    first = ontology_graph()
    first.add((EKG.Scratch, RDF.type, OWL.Class))
    assert (EKG.Scratch, RDF.type, OWL.Class) not in ontology_graph()
