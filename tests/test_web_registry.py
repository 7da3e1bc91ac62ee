"""The registry routes: /catalog and /.well-known/void by Accept, the dumps, the EOSC profile."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.registry import EOSC_REQUIRED, validate_catalog
from escape_kg.store import Store
from escape_kg.web import create_app

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "escape-tc-minutes.txt"
VOID = "http://rdfs.org/ns/void#"


@pytest.fixture
def kg() -> KnowledgeGraph:
    kg = KnowledgeGraph.memory(Settings(query_workers=0))
    kg.ingest(EXAMPLE, date=dt.date(2021, 9, 8))
    return kg


@pytest.fixture
def client(kg: KnowledgeGraph) -> Iterator[TestClient]:
    with TestClient(create_app(kg)) as client:
        yield client


@pytest.mark.parametrize(
    ("accept", "media", "rdflib_format"),
    [
        (None, "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/n-triples", "application/n-triples", "nt"),
    ],
)
def test_catalog_by_accept_conforms_to_the_shapes(
    client: TestClient, accept: str | None, media: str, rdflib_format: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/catalog", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert "Accept" in response.headers["vary"]
    with warnings.catch_warnings():
        # rdflib's own JSON-LD parser trips its ConjunctiveGraph deprecation warning
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = Graph().parse(data=response.text, format=rdflib_format)
    assert validate_catalog(graph).conforms
    # no public URL is set: the URLs are those the request came to
    assert (None, DCAT.endpointURL, URIRef("http://testserver/sparql")) in graph


def test_catalog_carries_signposting_links(client: TestClient) -> None:
    link = client.get("/catalog").headers["link"]
    assert '<http://testserver/>; rel="describes"' in link
    assert '<http://testserver/dump.trig>; rel="item"; type="application/trig"' in link
    assert '<https://creativecommons.org/licenses/by/4.0/>; rel="license"' in link
    assert 'rel="cite-as"' in link
    assert 'rel="type"' in link


def test_catalog_refuses_media_it_cannot_give(client: TestClient) -> None:
    response = client.get("/catalog", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.json()["error"]["hint"]


def test_public_url_setting_wins_over_the_request_address() -> None:
    kg = KnowledgeGraph.memory(Settings(query_workers=0, public_url="https://kg.example.org/"))
    with TestClient(create_app(kg)) as client:
        graph = Graph().parse(data=client.get("/catalog").text, format="turtle")
    assert (None, DCAT.endpointURL, URIRef("https://kg.example.org/sparql")) in graph


def test_void_counts_match_the_store(client: TestClient, kg: KnowledgeGraph) -> None:
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    dataset = URIRef("http://testserver/catalog#dataset")
    (count,) = next(kg.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows())
    assert graph.value(dataset, URIRef(VOID + "triples")) == count
    assert graph.value(dataset, URIRef(VOID + "dataDump")) is not None


@pytest.mark.parametrize(("path", "fmt"), [("/dump.trig", "trig"), ("/dump.nq", "nquads")])
def test_dumps_hold_every_quad(client: TestClient, kg: KnowledgeGraph, path: str, fmt: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    # read back with the store's own parser: every quad, in its named graph
    assert Store.from_dump(response.content, fmt).quad_count() == kg.store.quad_count()
    assert client.head(path).status_code == 200


def test_eosc_profile_has_every_mandatory_field(client: TestClient) -> None:
    response = client.get("/eosc-profile.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    payload = json.loads(response.text)
    assert set(EOSC_REQUIRED) <= set(payload)
    assert payload["webpage"] == "http://testserver/"
    assert payload["publishingDate"] == Literal(payload["publishingDate"]).toPython()
