"""The /sparql endpoint in process: protocol, negotiation, datasets, safety, error shape."""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, Namespace, URIRef

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.web import create_app

EX = Namespace("http://example.org/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
G1, G2 = "http://example.org/g1", "http://example.org/g2"
DATA = b"""
@prefix ex: <http://example.org/> .
GRAPH <http://example.org/g1> { ex:a ex:p "one" . }
GRAPH <http://example.org/g2> { ex:b ex:p "two" . }
"""
SELECT = "SELECT ?o WHERE { ?s <http://example.org/p> ?o } ORDER BY ?o"
CONSTRUCT = "CONSTRUCT { ?s <http://example.org/q> ?o } WHERE { ?s <http://example.org/p> ?o }"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def parse_rdf(data: bytes | str, rdflib_format: str) -> Graph:
    with warnings.catch_warnings():
        # rdflib's own JSON-LD parser trips its ConjunctiveGraph deprecation warning
        warnings.simplefilter("ignore", DeprecationWarning)
        return Graph().parse(data=data, format=rdflib_format)


def make_kg(settings: Settings | None = None) -> KnowledgeGraph:
    kg = KnowledgeGraph.memory(settings)
    kg.load(DATA, "trig")
    return kg


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(make_kg())) as c:
        yield c


def values(response: object) -> list[str]:
    body = json.loads(response.text)  # type: ignore[attr-defined]
    return [b["o"]["value"] for b in body["results"]["bindings"]]


# -- the three ways to send a query ------------------------------------------------


def test_get_answers_select_as_sparql_json_by_default(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": SELECT})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/sparql-results+json"
    assert "Accept" in r.headers["vary"]
    assert values(r) == ["one", "two"]


def test_post_form_and_post_sparql_query_give_the_same_answer(client: TestClient) -> None:
    form = client.post("/sparql", data={"query": SELECT})
    direct = client.post(
        "/sparql", content=SELECT.encode(), headers={"content-type": "application/sparql-query"}
    )
    assert form.status_code == direct.status_code == 200
    assert values(form) == values(direct) == ["one", "two"]


def test_ask(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "ASK { ?s ?p 'two' }"})
    assert json.loads(r.text)["boolean"] is True


# -- content negotiation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv;q=0.9, text/tab-separated-values;q=0.2", "text/csv"),
        ("text/*", "text/csv"),
        ("*/*", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
    ],
)
def test_select_format_follows_accept(client: TestClient, accept: str, media: str) -> None:
    r = client.get("/sparql", params={"query": SELECT}, headers={"accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media


def test_format_parameter_wins_over_accept(client: TestClient) -> None:
    r = client.get(
        "/sparql", params={"query": SELECT, "format": "csv"}, headers={"accept": "text/turtle"}
    )
    assert r.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(r.text))) == [["o"], ["one"], ["two"]]


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        (None, "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_construct_in_each_rdf_format(
    client: TestClient, accept: str | None, rdflib_format: str
) -> None:
    headers = {"accept": accept} if accept else {}
    r = client.get("/sparql", params={"query": CONSTRUCT}, headers=headers)
    assert r.status_code == 200
    graph = parse_rdf(r.content, rdflib_format)
    assert set(graph) == {(EX.a, EX.q, Literal("one")), (EX.b, EX.q, Literal("two"))}


def test_nothing_acceptable_is_406(client: TestClient) -> None:
    assert (
        client.get("/sparql", params={"query": SELECT}, headers={"accept": "image/png"})
    ).status_code == 406
    # CSV exists, but not for a graph result
    assert client.get("/sparql", params={"query": CONSTRUCT, "format": "csv"}).status_code == 406
    assert (
        client.get("/sparql", params={"query": SELECT}, headers={"accept": "text/turtle"})
    ).status_code == 406


def test_head_has_headers_and_no_body(client: TestClient) -> None:
    get = client.get("/sparql", params={"query": SELECT})
    head = client.head("/sparql", params={"query": SELECT})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))


# -- the dataset ------------------------------------------------------------------


def test_default_graph_uri_restricts_the_default_graph(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": SELECT, "default-graph-uri": G1})
    assert values(r) == ["one"]
    both = client.get("/sparql", params={"query": SELECT, "default-graph-uri": [G1, G2]})
    assert values(both) == ["one", "two"]


def test_named_graph_uri_restricts_graph_patterns(client: TestClient) -> None:
    query = "SELECT ?o WHERE { GRAPH ?g { ?s <http://example.org/p> ?o } }"
    r = client.get("/sparql", params={"query": query, "named-graph-uri": G2})
    assert values(r) == ["two"]
    # only named graphs given: the default graph is empty (SPARQL 1.1 Protocol 2.1.4)
    r = client.get("/sparql", params={"query": SELECT, "named-graph-uri": G2})
    assert values(r) == []


def test_from_clauses_are_honoured_and_overridden_by_the_protocol(client: TestClient) -> None:
    query = f"SELECT ?o FROM <{G2}> WHERE {{ ?s <http://example.org/p> ?o }}"
    assert values(client.get("/sparql", params={"query": query})) == ["two"]
    r = client.get("/sparql", params={"query": query, "default-graph-uri": G1})
    assert values(r) == ["one"]


@pytest.mark.parametrize(
    "params",
    [
        {"query": "SELECT * FROM <http://elsewhere.example/data.ttl> WHERE { ?s ?p ?o }"},
        {"query": "SELECT * FROM NAMED <http://elsewhere.example/g> WHERE { ?s ?p ?o }"},
        {"query": SELECT, "default-graph-uri": "http://elsewhere.example/g"},
        {"query": SELECT, "named-graph-uri": "http://elsewhere.example/g"},
    ],
)
def test_graphs_not_in_the_store_are_refused(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/sparql", params=params)
    assert r.status_code == 400
    assert "http://elsewhere.example/" in r.json()["error"]["detail"]


# -- safety -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * { optional { service silent <http://127.0.0.1:9/> { ?s ?p ?o } } }",
        "SELECT * WHERE { SERV\\u0049CE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o LATERAL { SERVICE <http://127.0.0.1:9/> { ?s ?p ?x } } }",
    ],
)
def test_service_is_refused(client: TestClient, query: str) -> None:
    r = client.get("/sparql", params={"query": query})
    assert r.status_code == 400
    assert "SERVICE" in r.json()["error"]["detail"]


def test_lateral_queries_run(client: TestClient) -> None:
    # SPARQL 1.2 LATERAL, as the catalogue uses it: checked for SERVICE, then run.
    query = (
        "SELECT ?s ?n WHERE { GRAPH ?g { ?s ?p ?o } LATERAL { SELECT ?s (COUNT(*) AS ?n) "
        "WHERE { GRAPH ?g { ?s ?q ?r } } GROUP BY ?s } } LIMIT 1"
    )
    r = client.get(
        "/sparql", params={"query": query}, headers={"accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200, r.text


def test_updates_are_refused_everywhere(client: TestClient) -> None:
    drop = f"DROP GRAPH <{G1}>"
    update_body = {"content-type": "application/sparql-update"}
    answers = [
        client.post("/sparql", data={"update": drop}),
        client.post("/sparql", content=drop.encode(), headers=update_body),
        client.post("/update", data={"update": drop}),
    ]
    for r in answers:
        assert r.status_code == 403
        error = r.json()["error"]
        assert "updates are switched off" in error["detail"]
        assert "--allow-updates" in error["hint"]
    # an update sent as a query, or with GET, is never run
    as_query = client.get("/sparql", params={"query": drop})
    assert as_query.status_code == 400
    assert "not run" in as_query.json()["error"]["detail"]
    assert client.get("/sparql", params={"update": drop}).status_code == 400
    assert values(client.get("/sparql", params={"query": SELECT})) == ["one", "two"]


def test_limits_give_413() -> None:
    settings = Settings(max_body_bytes=200, max_query_chars=100)
    with TestClient(create_app(make_kg(settings))) as c:
        long_query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 100
        r = c.get("/sparql", params={"query": long_query})
        assert r.status_code == 413
        assert "limit is 100" in r.json()["error"]["detail"]
        r = c.post("/sparql", data={"query": "SELECT * WHERE { ?s ?p ?o } #" + "x" * 300})
        assert r.status_code == 413
        assert "200 bytes" in r.json()["error"]["detail"]


def test_cors_lets_any_origin_read(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": SELECT}, headers={"origin": "https://yasgui.org"})
    assert r.headers["access-control-allow-origin"] == "*"
    pre = client.options(
        "/sparql",
        headers={
            "origin": "https://yasgui.org",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert pre.status_code == 200
    assert "POST" in pre.headers["access-control-allow-methods"]


# -- without a query: the service description or a form ------------------------------


def test_service_description_lists_endpoint_formats_and_graphs(client: TestClient) -> None:
    r = client.get("/sparql")
    assert r.headers["content-type"].startswith("text/turtle")
    sd = Graph().parse(data=r.text, format="turtle")
    service = URIRef("http://testserver/sparql")
    assert (service, SD.endpoint, service) in sd
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in sd
    assert (service, SD.feature, SD.UnionDefaultGraph) in sd
    assert len(list(sd.objects(service, SD.resultFormat))) == 8
    names = {str(n) for n in sd.objects(None, SD.name)}
    assert {G1, G2} <= names


def test_service_description_as_json_ld(client: TestClient) -> None:
    r = client.get("/sparql", headers={"accept": "application/ld+json"})
    assert r.headers["content-type"] == "application/ld+json"
    sd = parse_rdf(r.text, "json-ld")
    assert (None, SD.endpoint, URIRef("http://testserver/sparql")) in sd


def test_browser_gets_a_query_form(client: TestClient) -> None:
    r = client.get("/sparql", headers={"accept": BROWSER})
    assert r.headers["content-type"].startswith("text/html")
    assert '<textarea name="query"' in r.text


# -- one error shape ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/sparql", {"params": {"query": "SELECT ?s WHERE { ?s ?p }"}}, 400),
        ("GET", "/no/such/page", {}, 404),
        ("PUT", "/sparql", {"content": b"x"}, 405),
        ("GET", "/sparql", {"params": {"query": SELECT}, "headers": {"accept": "image/png"}}, 406),
        ("POST", "/sparql", {"content": b"x", "headers": {"content-type": "text/plain"}}, 415),
    ],
)
def test_every_error_has_the_same_shape(
    client: TestClient, method: str, path: str, kwargs: dict[str, object], status: int
) -> None:
    r = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert list(body) == ["error"]
    assert set(body["error"]) == {"status", "title", "detail", "hint"}
    assert body["error"]["status"] == status
    assert body["error"]["title"] and body["error"]["detail"]
    if status == 405:
        assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}


def test_syntax_errors_are_readable_and_link_the_grammar(client: TestClient) -> None:
    for query in ["SELECT ?s WHERE { ?s ?p }", "SELECT ?s FROM <http://x> WHERE { ?s ?p }"]:
        error = client.get("/sparql", params={"query": query}).json()["error"]
        assert "syntax error" in error["detail"]
        assert "https://www.w3.org/TR/sparql11-query/#grammar" in error["hint"]


def test_browsers_get_errors_as_an_escaped_html_page(client: TestClient) -> None:
    query = "SELECT * FROM <oops"
    r = client.get("/sparql", params={"query": query}, headers={"accept": BROWSER})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/html")
    assert "<oops" not in r.text
    assert "&lt;oops" in r.text
