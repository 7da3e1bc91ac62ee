"""The registry routes: /catalog and /.well-known/void by Accept, the dumps, the EOSC profile."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, RDF

from escape_kg import api
from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.registry import EOSC_REQUIRED, validate_catalog
from escape_kg.registry.base import StoreCounts, count_store
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


# -- whole-store statistics: exact, counted once per state of the store -------------------


def _brute_force(kg: KnowledgeGraph) -> StoreCounts:
    """The VoID counts computed in Python from every quad of every named graph."""
    triples = 0
    graphs: set[str] = set()
    subjects: set[object] = set()
    objects: set[object] = set()
    instances: dict[str, set[object]] = {}
    properties: dict[str, int] = {}
    for info in kg.store.graphs():
        for s, p, o in kg.store.graph_triples(info.iri):
            triples += 1
            graphs.add(info.iri)
            subjects.add(s)
            objects.add(o)
            properties[str(p)] = properties.get(str(p), 0) + 1
            if p == RDF.type:
                instances.setdefault(str(o), set()).add(s)
    typed = set().union(*instances.values())
    base = kg.settings.base
    return StoreCounts(
        triples=triples,
        graphs=len(graphs),
        distinct_subjects=len(subjects),
        distinct_objects=len(objects),
        entities=sum(1 for s in typed if isinstance(s, URIRef) and str(s).startswith(base)),
        classes=tuple(sorted((c, len(members)) for c, members in instances.items())),
        properties=tuple(sorted(properties.items())),
        vocabularies=(),
    )


def test_store_counts_equal_a_brute_force_count(kg: KnowledgeGraph) -> None:
    kg.ingest(EXAMPLE, date=dt.date(2022, 3, 2))  # a second meeting: entities shared
    counted = replace(count_store(kg), vocabularies=())
    assert counted == _brute_force(kg)
    assert counted.triples == kg.store.quad_count()


def test_landing_page_catalog_and_eosc_never_count_the_store(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(_kg: object) -> StoreCounts:
        raise AssertionError("the whole store was counted")

    monkeypatch.setattr("escape_kg.api.count_store", refuse)
    for path in ("/", "/catalog", "/eosc-profile.json"):
        assert client.get(path).status_code == 200, path
    with pytest.raises(AssertionError, match="counted"):
        client.get("/.well-known/void")


def _void_triples(kg: KnowledgeGraph) -> int:
    urls = kg.registry_urls()
    value = kg.registry_graph("void", urls).value(URIRef(urls.dataset), URIRef(VOID + "triples"))
    assert isinstance(value, Literal)
    return int(value)


def test_counts_are_kept_beside_the_store_until_a_new_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(store=tmp_path / "kg", query_workers=0)
    with KnowledgeGraph.open(settings) as kg:
        kg.ingest(EXAMPLE, date=dt.date(2021, 9, 8))
        first = _void_triples(kg)
        assert first == kg.store.quad_count()
    kept = tmp_path / "kg" / api.STATISTICS_FILE
    assert kept.is_file()
    calls: list[int] = []

    def counted(kg: KnowledgeGraph) -> StoreCounts:
        calls.append(1)
        return count_store(kg)

    monkeypatch.setattr("escape_kg.api.count_store", counted)
    with KnowledgeGraph.open(settings) as kg:
        assert _void_triples(kg) == first  # a restarted server reads them back
        assert calls == []
        kg.ingest(EXAMPLE, date=dt.date(2022, 3, 2))
        second = _void_triples(kg)
        assert calls == [1]
        assert second == kg.store.quad_count() > first
    # An import by another process (no server running) is seen from the import stamps.
    with KnowledgeGraph.open(settings) as other:
        other.store.drop_graph(str(other.minter.graph("2022-03-02-technical-coordination-meeting")))
    with KnowledgeGraph.open(settings) as kg:
        assert _void_triples(kg) == first
        assert calls == [1, 1]


def test_an_update_without_import_stamps_is_counted(kg: KnowledgeGraph) -> None:
    before = _void_triples(kg)
    kg.update(
        "INSERT DATA { GRAPH <https://example.org/notes> { <https://example.org/a> "
        "<https://example.org/b> 'c' } }"
    )
    assert _void_triples(kg) == before + 1
    kg.update(
        "DELETE DATA { GRAPH <https://example.org/notes> { <https://example.org/a> "
        "<https://example.org/b> 'c' } }"
    )
    assert _void_triples(kg) == before


def test_unreadable_kept_counts_are_counted_again(tmp_path: Path) -> None:
    settings = Settings(store=tmp_path / "kg", query_workers=0)
    with KnowledgeGraph.open(settings) as kg:
        kg.ingest(EXAMPLE, date=dt.date(2021, 9, 8))
        expected = _void_triples(kg)
    (tmp_path / "kg" / api.STATISTICS_FILE).write_text("{not json", encoding="utf-8")
    with KnowledgeGraph.open(settings) as kg:
        assert _void_triples(kg) == expected
