"""The service description says what the endpoint really offers, and meets the W3C
SPARQL 1.1 Service Description test cases (one test per case, named after it)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rdflib import RDF, Graph, Namespace, URIRef

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.web import create_app

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
ENDPOINT = URIRef("http://127.0.0.1:8000/sparql")
RDFLIB_FORMAT = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


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


# == The W3C Service Description cases, through the real app ============================


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(KnowledgeGraph.memory(Settings(query_workers=0)))) as c:
        yield c


def description(c: TestClient, accept: str = "text/turtle") -> Graph:
    """The service description a GET on the endpoint without a query answers."""
    r = c.get("/sparql", headers={"accept": accept})
    assert r.status_code == 200, r.text
    media = r.headers["content-type"].split(";")[0].strip()
    assert media == accept
    with warnings.catch_warnings():
        # rdflib's JSON-LD parser trips its own ConjunctiveGraph deprecation warning
        warnings.simplefilter("ignore", DeprecationWarning)
        return Graph().parse(data=r.content, format=RDFLIB_FORMAT[media])


@pytest.mark.parametrize("accept", list(RDFLIB_FORMAT))
def test_get_on_endpoint_returns_rdf(client: TestClient, accept: str) -> None:
    sd = description(client, accept)
    assert set(sd.subjects(RDF.type, SD.Service))
    graphs = {str(n) for n in sd.objects(None, SD.name)}
    assert len(graphs) >= 2  # the reference vocabulary and the ontology at least


def test_service_description_contains_a_matching_sd_endpoint_triple(client: TestClient) -> None:
    sd = description(client)
    services = set(sd.subjects(RDF.type, SD.Service))
    assert len(services) == 1
    (service,) = services
    # the endpoint named is the URL the description was fetched from
    assert (service, SD.endpoint, URIRef("http://testserver/sparql")) in sd
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in sd


# The Service Description vocabulary (the Recommendation's section 3): its terms, and the
# class each property's subject and object belong to.
SD_CLASSES = {"Service", "Feature", "Language", "Function", "Aggregate", "EntailmentRegime",
              "EntailmentProfile", "GraphCollection", "Dataset", "Graph", "NamedGraph"}  # fmt: skip
SD_INSTANCES = {
    "SPARQL10Query": "Language",
    "SPARQL11Query": "Language",
    "SPARQL11Update": "Language",
    "DereferencesURIs": "Feature",
    "UnionDefaultGraph": "Feature",
    "RequiresDataset": "Feature",
    "EmptyGraphs": "Feature",
    "BasicFederatedQuery": "Feature",
}
SD_PROPERTIES: dict[str, tuple[str, str | None]] = {
    "endpoint": ("Service", None),
    "feature": ("Service", "Feature"),
    "defaultEntailmentRegime": ("Service", "EntailmentRegime"),
    "supportedLanguage": ("Service", "Language"),
    "resultFormat": ("Service", "formats"),
    "inputFormat": ("Service", "formats"),
    "defaultDataset": ("Service", "Dataset"),
    "availableGraphs": ("Service", "GraphCollection"),
    "defaultGraph": ("Dataset", "Graph"),
    "namedGraph": ("GraphCollection", "NamedGraph"),
    "name": ("NamedGraph", None),
    "graph": ("NamedGraph", "Graph"),
}
SD_SUBCLASSES = {"Dataset": {"GraphCollection"}}
ENTAILMENT = "http://www.w3.org/ns/entailment/"


def test_service_description_conforms_to_schema(client: TestClient) -> None:
    sd = description(client)
    ns = str(SD)

    def is_a(node: Any, cls: str) -> bool:
        if cls == "formats":
            return str(node).startswith("http://www.w3.org/ns/formats/")
        if cls == "EntailmentRegime" and str(node).startswith(ENTAILMENT):
            return True  # the regimes the Recommendation names live there
        if SD_INSTANCES.get(str(node).removeprefix(ns)) == cls:
            return True
        types = {str(t).removeprefix(ns) for t in sd.objects(node, RDF.type)}
        return any(t == cls or cls in SD_SUBCLASSES.get(t, set()) for t in types)

    used = {str(t) for triple in sd for t in triple if str(t).startswith(ns)}
    defined = SD_CLASSES | set(SD_INSTANCES) | set(SD_PROPERTIES)
    assert {t.removeprefix(ns) for t in used} <= defined
    for s, p, o in sd:
        term = str(p).removeprefix(ns)
        if not str(p).startswith(ns):
            continue
        domain, value_class = SD_PROPERTIES[term]
        assert is_a(s, domain), (s, p)
        if value_class is None:
            assert isinstance(o, URIRef), (p, o)  # endpoint and name are IRIs
        else:
            assert is_a(o, value_class), (p, o)


def test_head_on_the_endpoint_matches_get(client: TestClient) -> None:
    get = client.get("/sparql", headers={"accept": "text/turtle"})
    head = client.head("/sparql", headers={"accept": "text/turtle"})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
