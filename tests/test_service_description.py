"""The service description says what the endpoint really offers."""

from __future__ import annotations

from rdflib import Namespace, URIRef

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
ENDPOINT = URIRef("http://127.0.0.1:8000/sparql")


def languages(kg: KnowledgeGraph) -> set[URIRef]:
    graph = kg.service_description(str(ENDPOINT))
    return {o for o in graph.objects(ENDPOINT, SD.supportedLanguage) if isinstance(o, URIRef)}


def test_read_only_endpoint_offers_queries_only() -> None:
    assert languages(KnowledgeGraph.memory()) == {SD.SPARQL11Query}


def test_updates_are_listed_when_switched_on() -> None:
    kg = KnowledgeGraph.memory(Settings(allow_updates=True, token="t" * 32))
    assert languages(kg) == {SD.SPARQL11Query, SD.SPARQL11Update}


def test_each_named_graph_is_listed() -> None:
    kg = KnowledgeGraph.memory()
    graph = kg.service_description(str(ENDPOINT))
    names = {str(o) for o in graph.objects(None, SD.name)}
    assert names == {g.iri for g in kg.store.graphs()}
    assert len(names) >= 2  # the reference vocabulary and the ontology at least
