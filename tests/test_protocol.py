"""The W3C SPARQL 1.1 Protocol conformance cases (query and update), in process: one test
per case, named after it. The Graph Store HTTP Protocol and Service Description cases
are in tests/test_graph_store_protocol.py and tests/test_service_description.py.

The suite's manifest is not copied here: each case is rewritten from what it asks
of a server. Its data files live on remote hosts (kasei.us) that this server never
fetches, so the same IRIs are loaded as named graphs of the store first.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from _responses import Response
from fastapi.testclient import TestClient
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.web import create_app

DATA = "http://kasei.us/2009/09/sparql/data/"
DATA1, DATA2, DATA3 = (f"{DATA}data{n}.rdf" for n in (1, 2, 3))
TEST_GRAPH = "http://example.org/protocol-update-dataset-test/"
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
DC = Namespace("http://purl.org/dc/elements/1.1/")
EX = Namespace("http://example.org/")
TOKEN = "protocol-suite-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}
FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
RESULT_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF_TYPES = {"text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"}
RDFLIB_FORMAT = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}

# Three small documents, each a named graph called by its own IRI (as the suite's
# data1.rdf, data2.rdf, data3.rdf would be if they were loaded).
DATASET = f"""
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix dc: <http://purl.org/dc/elements/1.1/> .
<{DATA1}> {{ <{DATA1}> a foaf:Document ; dc:title "data1" .
            <{DATA}alice> a foaf:Person ; foaf:name "Alice" . }}
<{DATA2}> {{ <{DATA2}> a foaf:Document ; dc:title "data2" .
            <{DATA}bob> a foaf:Person ; foaf:name "Bob" . }}
<{DATA3}> {{ <{DATA3}> a foaf:Document ; dc:title "data3" .
            <{DATA}carol> a foaf:Person ; foaf:name "Carol" . }}
""".encode()


def make_kg(**settings: Any) -> KnowledgeGraph:
    kg = KnowledgeGraph.memory(Settings(query_workers=0, **settings))
    kg.load(DATASET, "trig")
    return kg


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(make_kg())) as c:
        yield c


@pytest.fixture
def writable() -> Iterator[TestClient]:
    with TestClient(create_app(make_kg(allow_updates=True, token=TOKEN))) as c:
        yield c


def media(r: Response) -> str:
    return r.headers["content-type"].split(";")[0].strip()


def boolean(r: Response) -> bool:
    assert r.status_code == 200, r.text
    assert media(r) in RESULT_TYPES
    value = json.loads(r.text)["boolean"]
    assert isinstance(value, bool)
    return value


def rows(r: Response) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    bindings = json.loads(r.text)["results"]["bindings"]
    return [{k: v["value"] for k, v in b.items()} for b in bindings]


def parse(r: Response) -> Graph:
    assert media(r) in RDF_TYPES
    with warnings.catch_warnings():
        # rdflib's JSON-LD parser trips its own ConjunctiveGraph deprecation warning
        warnings.simplefilter("ignore", DeprecationWarning)
        return Graph().parse(data=r.content, format=RDFLIB_FORMAT[media(r)])


def ask(c: TestClient, query: str, **params: str | list[str]) -> bool:
    return boolean(c.get("/sparql", params={"query": query, **params}))


def graph_size(c: TestClient, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    return int(rows(c.get("/sparql", params={"query": query}))[0]["n"])


def total_size(c: TestClient) -> int:
    query = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    return int(rows(c.get("/sparql", params={"query": query}))[0]["n"])


# == SPARQL 1.1 Protocol: queries =========================================================


def test_query_get(client: TestClient) -> None:
    assert boolean(client.get("/sparql", params={"query": "ASK {}"})) is True


def test_query_post_form(client: TestClient) -> None:
    r = client.post("/sparql", content=b"query=ASK%20%7B%7D", headers={"content-type": FORM})
    assert boolean(r) is True


def test_query_post_direct(client: TestClient) -> None:
    r = client.post("/sparql", content=b"ASK {}", headers={"content-type": QUERY})
    assert boolean(r) is True


def test_query_dataset_default_graph(client: TestClient) -> None:
    assert ask(client, f"ASK {{ <{DATA1}> ?p ?o }}", **{"default-graph-uri": DATA1}) is True
    # only that graph: the others are out of the dataset
    assert ask(client, f"ASK {{ <{DATA2}> ?p ?o }}", **{"default-graph-uri": DATA1}) is False


def test_query_dataset_default_graphs_get(client: TestClient) -> None:
    query = f"ASK {{ <{DATA1}> a ?type . <{DATA2}> a ?type }}"
    assert ask(client, query, **{"default-graph-uri": [DATA1, DATA2]}) is True
    assert (
        ask(client, f"ASK {{ <{DATA3}> ?p ?o }}", **{"default-graph-uri": [DATA1, DATA2]}) is False
    )


def test_query_dataset_default_graphs_post(client: TestClient) -> None:
    query = f"ASK {{ <{DATA1}> a ?type . <{DATA2}> a ?type }}"
    form = {"query": query, "default-graph-uri": [DATA1, DATA2]}
    assert boolean(client.post("/sparql", data=form)) is True
    # a direct POST takes the dataset from the URL
    direct = client.post(
        "/sparql",
        params={"default-graph-uri": [DATA1, DATA2]},
        content=query.encode(),
        headers={"content-type": QUERY},
    )
    assert boolean(direct) is True
    only_one = client.post("/sparql", data={"query": query, "default-graph-uri": DATA1})
    assert boolean(only_one) is False


NAMED_PAIR = f"ASK {{ GRAPH ?g1 {{ <{DATA1}> a ?t }} GRAPH ?g2 {{ <{DATA2}> a ?t }} }}"


def test_query_dataset_named_graphs_post(client: TestClient) -> None:
    form = {"query": NAMED_PAIR, "named-graph-uri": [DATA1, DATA2]}
    assert boolean(client.post("/sparql", data=form)) is True
    form = {"query": NAMED_PAIR, "named-graph-uri": [DATA1, DATA3]}
    assert boolean(client.post("/sparql", data=form)) is False


def test_query_dataset_named_graphs_get(client: TestClient) -> None:
    assert ask(client, NAMED_PAIR, **{"named-graph-uri": [DATA1, DATA2]}) is True
    assert ask(client, NAMED_PAIR, **{"named-graph-uri": [DATA2]}) is False


def test_query_dataset_full(client: TestClient) -> None:
    query = """SELECT DISTINCT ?g ?x WHERE {
        ?x a <http://xmlns.com/foaf/0.1/Document> GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"""
    params = {"query": query, "default-graph-uri": DATA3, "named-graph-uri": [DATA1, DATA2]}
    found = rows(client.get("/sparql", params=params))
    assert found == [{"g": DATA1, "x": DATA3}, {"g": DATA2, "x": DATA3}]


def test_query_multiple_dataset(client: TestClient) -> None:
    # the protocol's dataset replaces the one the query names (FROM / FROM NAMED)
    query = f"SELECT ?title FROM <{DATA1}> FROM NAMED <{DATA2}> WHERE {{ ?d <{DC.title}> ?title }}"
    assert rows(client.get("/sparql", params={"query": query})) == [{"title": "data1"}]
    params = {"query": query, "default-graph-uri": DATA3}
    assert rows(client.get("/sparql", params=params)) == [{"title": "data3"}]
    named = f"ASK FROM NAMED <{DATA2}> {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert ask(client, named) is True
    assert ask(client, named, **{"default-graph-uri": DATA3}) is False


def test_query_content_type_select(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": f"SELECT ?s WHERE {{ ?s <{DC.title}> 'data2' }}"})
    assert media(r) in RESULT_TYPES
    assert rows(r) == [{"s": DATA2}]


def test_query_content_type_ask(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": f"ASK {{ ?s <{DC.title}> 'data9' }}"})
    assert media(r) in RESULT_TYPES
    assert boolean(r) is False


def test_query_content_type_describe(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": f"DESCRIBE <{DATA1}>"})
    assert r.status_code == 200
    graph = parse(r)
    assert (URIRef(DATA1), DC.title, Literal("data1")) in graph
    assert (URIRef(DATA1), RDF.type, FOAF.Document) in graph


def test_query_content_type_construct(client: TestClient) -> None:
    query = "CONSTRUCT { <http://example.org/s> <http://example.org/p> 1 } WHERE {}"
    r = client.get("/sparql", params={"query": query})
    assert r.status_code == 200
    assert set(parse(r)) == {(EX.s, EX.p, Literal(1))}


# == SPARQL 1.1 Protocol: updates =========================================================


def test_update_post_form(writable: TestClient) -> None:
    update = f'CLEAR ALL ; INSERT DATA {{ GRAPH <{TEST_GRAPH}> {{ <{EX.s}> <{EX.p}> "form" }} }}'
    r = writable.post("/sparql", data={"update": update}, headers=AUTH)
    assert r.status_code in {200, 204}
    assert ask(writable, f"ASK {{ GRAPH <{TEST_GRAPH}> {{ <{EX.s}> <{EX.p}> 'form' }} }}")
    assert graph_size(writable, DATA1) == 0  # CLEAR ALL ran too


def test_update_post_direct(writable: TestClient) -> None:
    update = f'CLEAR ALL ; INSERT DATA {{ GRAPH <{TEST_GRAPH}> {{ <{EX.s}> <{EX.p}> "direct" }} }}'
    r = writable.post("/sparql", content=update.encode(), headers={**AUTH, "content-type": UPDATE})
    assert r.status_code in {200, 204}
    assert ask(writable, f"ASK {{ GRAPH <{TEST_GRAPH}> {{ <{EX.s}> <{EX.p}> 'direct' }} }}")
    assert graph_size(writable, DATA1) == 0


def test_update_base_uri(writable: TestClient) -> None:
    # no BASE in the update: relative IRIs resolve against a base the service chooses
    # (here the endpoint's URL), so the stored IRI is absolute
    update = f"INSERT DATA {{ GRAPH <{TEST_GRAPH}> {{ <{EX.s}> <{EX.p}> <test> }} }}"
    r = writable.post("/update", content=update.encode(), headers={**AUTH, "content-type": UPDATE})
    assert r.status_code in {200, 204}, r.text
    query = f"SELECT ?o WHERE {{ GRAPH <{TEST_GRAPH}> {{ <{EX.s}> <{EX.p}> ?o }} }}"
    assert rows(writable.get("/sparql", params={"query": query})) == [
        {"o": "http://testserver/test"}
    ]
    # a BASE of its own wins
    update = f"BASE <http://example.org/base/> INSERT DATA {{ <{EX.s}> <{EX.q}> <test> }}"
    r = writable.post("/update", data={"update": update}, headers=AUTH)
    assert r.status_code in {200, 204}, r.text
    assert ask(writable, f"ASK {{ <{EX.s}> <{EX.q}> <http://example.org/base/test> }}")


def typed_in_test_graph(c: TestClient) -> set[str]:
    query = f"SELECT ?d WHERE {{ GRAPH <{TEST_GRAPH}> {{ ?d a <{DC.BibliographicResource}> }} }}"
    return {row["d"] for row in rows(c.get("/sparql", params={"query": query}))}


def dataset_update(c: TestClient, where: str, **dataset: str | list[str]) -> Response:
    """The suite's update: every document typed in the test graph, read through ``where``."""
    update = (
        f"INSERT {{ GRAPH <{TEST_GRAPH}> {{ ?d a <{DC.BibliographicResource}> }} }} "
        f"WHERE {{ {where} }}"
    )
    return c.post("/update", data={"update": update, **dataset}, headers=AUTH)


def test_update_dataset_default_graph(writable: TestClient) -> None:
    r = dataset_update(writable, f"?d a <{FOAF.Document}>", **{"using-graph-uri": DATA1})
    assert r.status_code in {200, 204}, r.text
    assert typed_in_test_graph(writable) == {DATA1}


def test_update_dataset_default_graphs(writable: TestClient) -> None:
    r = dataset_update(writable, f"?d a <{FOAF.Document}>", **{"using-graph-uri": [DATA1, DATA2]})
    assert r.status_code in {200, 204}, r.text
    assert typed_in_test_graph(writable) == {DATA1, DATA2}


def test_update_dataset_named_graphs(writable: TestClient) -> None:
    # the named graphs only: a default-graph pattern finds nothing, GRAPH ?g finds them
    where = f"GRAPH ?g {{ ?d a <{FOAF.Document}> }}"
    r = dataset_update(writable, where, **{"using-named-graph-uri": [DATA1, DATA2]})
    assert r.status_code in {200, 204}, r.text
    assert typed_in_test_graph(writable) == {DATA1, DATA2}
    # with named graphs only, the default graph of the update is empty
    r = dataset_update(writable, f"?d a <{FOAF.Document}>", **{"using-named-graph-uri": DATA3})
    assert r.status_code in {200, 204}, r.text
    assert typed_in_test_graph(writable) == {DATA1, DATA2}


def test_update_dataset_full(writable: TestClient) -> None:
    where = f"{{ ?d a <{FOAF.Document}> }} UNION {{ GRAPH ?g {{ ?d a <{FOAF.Document}> }} }}"
    dataset = {"using-graph-uri": DATA1, "using-named-graph-uri": DATA2}
    r = dataset_update(writable, where, **dataset)
    assert r.status_code in {200, 204}, r.text
    assert typed_in_test_graph(writable) == {DATA1, DATA2}  # never data3


def test_update_dataset_applies_to_each_operation_with_a_where(writable: TestClient) -> None:
    # the suite's form: CLEAR, INSERT DATA, then the restricted INSERT, in one request;
    # the dataset reaches the operation with a WHERE, not the braces of the data
    update = (
        f"CLEAR SILENT GRAPH <{TEST_GRAPH}> ; "
        f"INSERT DATA {{ GRAPH <{DATA3}> {{ <{EX.where}> a <{FOAF.Document}> }} }} ; "
        f"INSERT {{ GRAPH <{TEST_GRAPH}> {{ ?d a <{DC.BibliographicResource}> }} }} "
        f"WHERE {{ {{ SELECT ?d WHERE {{ ?d a <{FOAF.Document}> }} }} }}"
    )
    form = {"update": update, "using-graph-uri": DATA3}
    r = writable.post("/update", data=form, headers=AUTH)
    assert r.status_code in {200, 204}, r.text
    assert typed_in_test_graph(writable) == {DATA3, str(EX.where)}


def test_update_dataset_refusals_run_nothing(writable: TestClient) -> None:
    before = total_size(writable)
    delete_where = f"DELETE WHERE {{ ?d a <{FOAF.Document}> }}"
    with_clause = f"WITH <{DATA1}> DELETE {{ ?d ?p ?o }} WHERE {{ ?d ?p ?o }}"
    cases = [
        ({"update": delete_where, "using-graph-uri": DATA1}, "DELETE WHERE"),
        ({"update": with_clause, "using-named-graph-uri": DATA2}, "WITH"),
        ({"update": with_clause, "default-graph-uri": DATA2}, "default-graph-uri"),
        ({"update": delete_where, "using-graph-uri": "not an iri"}, "IRI"),
    ]
    for form, said in cases:
        r = writable.post("/update", data=form, headers=AUTH)
        assert r.status_code == 400, form
        assert said in r.json()["error"]["detail"], r.text
    assert total_size(writable) == before > 0


# == SPARQL 1.1 Protocol: requests that must be refused ==================================


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_bad_query_method(client: TestClient, method: str) -> None:
    r = client.request(method, "/sparql", params={"query": "ASK {}"})
    assert r.status_code == 405
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}


def test_bad_multiple_queries(client: TestClient) -> None:
    twice = {"query": ["ASK {}", "SELECT * {}"]}
    assert client.get("/sparql", params=twice).status_code == 400
    assert client.post("/sparql", data=twice).status_code == 400
    direct = client.post(
        "/sparql", params={"query": "ASK {}"}, content=b"ASK {}", headers={"content-type": QUERY}
    )
    assert direct.status_code == 400


def test_bad_query_wrong_media_type(client: TestClient) -> None:
    r = client.post("/sparql", content=b"ASK {}", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    assert QUERY in r.json()["error"]["hint"]


def test_bad_query_missing_form_type(client: TestClient) -> None:
    r = client.post("/sparql", content=b"query=ASK%20%7B%7D")
    assert r.status_code == 415


def test_bad_query_missing_direct_type(client: TestClient) -> None:
    r = client.post("/sparql", content=b"ASK {}")
    assert r.status_code == 415


def test_bad_query_non_utf8(client: TestClient) -> None:
    query = 'ASK { ?s ?p "Gödel" }'
    for charset in ("UTF-16", "ISO-8859-1"):
        r = client.post(
            "/sparql",
            content=query.encode(charset),
            headers={"content-type": f"{QUERY}; charset={charset}"},
        )
        assert r.status_code == 400, charset
        assert "UTF-8" in r.json()["error"]["detail"]
    # percent-encoded Latin-1 in a form or in the URL is no better
    latin1 = b"query=ASK%20%7B%20%3Fs%20%3Fp%20%22G%F6del%22%20%7D"
    form = client.post("/sparql", content=latin1, headers={"content-type": FORM})
    url = client.get("/sparql?" + latin1.decode())
    for r in (form, url):
        assert r.status_code == 400
        assert "UTF-8" in r.json()["error"]["detail"]


def test_bad_query_syntax(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "ASK {"})
    assert r.status_code == 400
    assert "syntax error" in r.json()["error"]["detail"]


def test_bad_update_get(writable: TestClient) -> None:
    before = total_size(writable)
    r = writable.get("/sparql", params={"update": "CLEAR ALL"}, headers=AUTH)
    assert r.status_code == 400
    assert total_size(writable) == before > 0


def test_bad_multiple_updates(writable: TestClient) -> None:
    before = total_size(writable)
    form = {"update": ["CLEAR ALL", "CLEAR ALL"]}
    r = writable.post("/sparql", data=form, headers=AUTH)
    assert r.status_code == 400
    assert total_size(writable) == before > 0


def test_bad_update_wrong_media_type(writable: TestClient) -> None:
    before = total_size(writable)
    r = writable.post(
        "/sparql", content=b"CLEAR ALL", headers={**AUTH, "content-type": "text/plain"}
    )
    assert r.status_code == 415
    assert total_size(writable) == before > 0


def test_bad_update_missing_form_type(writable: TestClient) -> None:
    before = total_size(writable)
    r = writable.post("/sparql", content=b"update=CLEAR%20ALL", headers=AUTH)
    assert r.status_code == 415
    assert total_size(writable) == before > 0


def test_bad_update_non_utf8(writable: TestClient) -> None:
    update = f'INSERT DATA {{ <{EX.s}> <{EX.p}> "Gödel" }}'
    r = writable.post(
        "/update",
        content=update.encode("UTF-16"),
        headers={**AUTH, "content-type": f"{UPDATE}; charset=UTF-16"},
    )
    assert r.status_code == 400
    latin1 = b"update=INSERT%20DATA%20%7B%20%3Chttp%3A%2F%2Fexample.org%2Fs%3E%20"
    latin1 += b"%3Chttp%3A%2F%2Fexample.org%2Fp%3E%20%22G%F6del%22%20%7D"
    r = writable.post("/update", content=latin1, headers={**AUTH, "content-type": FORM})
    assert r.status_code == 400
    assert "UTF-8" in r.json()["error"]["detail"]
    assert not ask(writable, f"ASK {{ <{EX.s}> ?p ?o }}")


def test_bad_update_syntax(writable: TestClient) -> None:
    r = writable.post("/update", data={"update": "INSERT DATA { <a> <b> "}, headers=AUTH)
    assert r.status_code == 400
    assert "syntax error" in r.json()["error"]["detail"]


def test_bad_update_dataset_conflict(writable: TestClient) -> None:
    update = (
        f"INSERT {{ GRAPH <{TEST_GRAPH}> {{ ?d a <{DC.BibliographicResource}> }} }} "
        f"USING <{DATA1}> WHERE {{ ?d a <{FOAF.Document}> }}"
    )
    r = writable.post("/update", data={"update": update, "using-graph-uri": DATA2}, headers=AUTH)
    assert r.status_code == 400
    assert graph_size(writable, TEST_GRAPH) == 0
