"""Updates and the Graph Store Protocol: off by default, on with a bearer token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, Namespace

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.errors import StoreLockedError
from escape_kg.store import Store
from escape_kg.web import create_app

EX = Namespace("http://example.org/")
G1 = "http://example.org/g1"
TOKEN = "s3cret-token-for-tests"
AUTH = {"authorization": f"Bearer {TOKEN}"}
TURTLE = {"content-type": "text/turtle"}
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.org/new> { ?s ?p ?o } }"


def make_app(**settings: object) -> TestClient:
    kg = KnowledgeGraph.memory(Settings(**settings))  # type: ignore[arg-type]
    kg.load(
        b'GRAPH <http://example.org/g1> { <http://example.org/a> <http://example.org/p> "one" }'
    )
    return TestClient(create_app(kg))


@pytest.fixture
def writable() -> Iterator[TestClient]:
    # one worker: every read after a write goes through a recycled process
    with make_app(allow_updates=True, token=TOKEN, query_workers=1) as client:
        yield client


@pytest.fixture
def read_only() -> Iterator[TestClient]:
    with make_app(query_workers=0) as client:
        yield client


def count(client: TestClient, graph: str = "http://example.org/new") -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    r = client.get("/sparql", params={"query": query})
    return int(json.loads(r.text)["results"]["bindings"][0]["n"]["value"])


def insert(graph: str = "http://example.org/new") -> str:
    return (
        f'INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/x> <http://example.org/p> "x" }} }}'
    )


# -- SPARQL Update ----------------------------------------------------------------------


def test_update_with_the_token_is_run_and_seen_by_the_next_query(writable: TestClient) -> None:
    assert count(writable) == 0
    form = writable.post("/sparql", data={"update": insert()}, headers=AUTH)
    assert form.status_code == 204
    assert count(writable) == 1
    direct = writable.post(
        "/update",
        content=b"DELETE WHERE { GRAPH <http://example.org/new> { ?s ?p ?o } }",
        headers={**AUTH, "content-type": "application/sparql-update"},
    )
    assert direct.status_code == 204
    assert count(writable) == 0


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {TOKEN}"}],
    ids=["none", "wrong", "not-bearer"],
)
def test_update_without_the_right_token_is_401(
    writable: TestClient, headers: dict[str, str]
) -> None:
    r = writable.post("/sparql", data={"update": insert()}, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in r.json()["error"]["hint"]
    assert count(writable) == 0


def test_an_update_sent_with_get_is_never_run(writable: TestClient) -> None:
    for r in (
        writable.get("/sparql", params={"update": insert()}, headers=AUTH),
        writable.get("/sparql", params={"query": insert()}, headers=AUTH),
    ):
        assert r.status_code == 400
    assert writable.get("/update", params={"update": insert()}, headers=AUTH).status_code == 405
    assert count(writable) == 0


@pytest.mark.parametrize(
    "update",
    [
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "PREFIX r: <http://127.0.0.1:9/> LOAD r:data.ttl INTO GRAPH <http://example.org/new>",
        "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    ],
)
def test_load_and_service_in_updates_are_refused(writable: TestClient, update: str) -> None:
    r = writable.post("/update", data={"update": update}, headers=AUTH)
    assert r.status_code == 400
    assert "refused" in r.json()["error"]["detail"]


def test_a_later_prefix_cannot_smuggle_an_earlier_load_past_the_allow_list() -> None:
    allowed = "http://allowed.example/data.ttl"
    update = (
        "PREFIX d: <http://127.0.0.1:9/> LOAD d:data.ttl ;\n"
        "PREFIX d: <http://allowed.example/> LOAD d:data.ttl"
    )
    with make_app(allow_updates=True, token=TOKEN, query_workers=0, load_allow=(allowed,)) as c:
        r = c.post("/update", data={"update": update}, headers=AUTH)
    assert r.status_code == 400
    assert "http://127.0.0.1:9/data.ttl" in r.json()["error"]["detail"]


def test_update_syntax_errors_are_400_and_link_the_update_grammar(writable: TestClient) -> None:
    r = writable.post("/update", data={"update": "INSERT DATA { <a> "}, headers=AUTH)
    assert r.status_code == 400
    assert "sparql11-update" in r.json()["error"]["hint"]


def test_with_updates_off_writes_are_403_even_with_a_token(read_only: TestClient) -> None:
    answers = [
        read_only.post("/update", data={"update": insert()}, headers=AUTH),
        read_only.put("/store", params={"graph": G1}, content=b"", headers={**AUTH, **TURTLE}),
        read_only.delete("/store", params={"graph": G1}, headers=AUTH),
    ]
    for r in answers:
        assert r.status_code == 403
        assert "--allow-updates" in r.json()["error"]["hint"]
    assert count(read_only, G1) == 1


# -- the Graph Store Protocol ----------------------------------------------------------


def test_graph_store_put_get_post_delete(writable: TestClient) -> None:
    new = {"graph": "http://example.org/new"}
    body = b"<http://example.org/x> <http://example.org/p> 'x' ."
    created = writable.put("/store", params=new, content=body, headers={**AUTH, **TURTLE})
    assert created.status_code == 201
    again = writable.put("/store", params=new, content=body, headers={**AUTH, **TURTLE})
    assert again.status_code == 204
    assert count(writable) == 1  # replaced, not added
    nt = b'<http://example.org/y> <http://example.org/p> "y" .\n'
    added = writable.post(
        "/store", params=new, content=nt, headers={**AUTH, "content-type": "application/n-triples"}
    )
    assert added.status_code == 204
    got = writable.get("/store", params=new, headers={"accept": "text/turtle"})
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=got.text, format="turtle")
    assert set(graph.objects(None, EX.p)) == {Literal("x"), Literal("y")}
    head = writable.head("/store", params=new)
    assert head.status_code == 200
    assert head.content == b""
    assert writable.delete("/store", params=new, headers=AUTH).status_code == 204
    assert writable.get("/store", params=new).status_code == 404
    assert writable.delete("/store", params=new, headers=AUTH).status_code == 404
    assert count(writable) == 0


@pytest.mark.parametrize(
    ("media", "body"),
    [
        ("application/ld+json", b'{"@id": "http://example.org/z", "http://example.org/p": "z"}'),
        (
            "application/rdf+xml",
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            b'xmlns:ex="http://example.org/"><rdf:Description rdf:about="http://example.org/z">'
            b"<ex:p>z</ex:p></rdf:Description></rdf:RDF>",
        ),
    ],
)
def test_graph_store_reads_json_ld_and_rdf_xml(
    writable: TestClient, media: str, body: bytes
) -> None:
    r = writable.put(
        "/store",
        params={"graph": "http://example.org/new"},
        content=body,
        headers={**AUTH, "content-type": media},
    )
    assert r.status_code == 201
    assert count(writable) == 1


def test_the_default_graph(writable: TestClient) -> None:
    body = b"<http://example.org/d> <http://example.org/p> 'd' ."
    put = writable.put("/store", params={"default": ""}, content=body, headers={**AUTH, **TURTLE})
    assert put.status_code == 204  # the default graph always exists
    got = writable.get(
        "/store", params={"default": ""}, headers={"accept": "application/n-triples"}
    )
    assert got.text.strip() == '<http://example.org/d> <http://example.org/p> "d" .'
    ask = writable.get("/sparql", params={"query": "ASK { <http://example.org/d> ?p 'd' }"})
    assert ask.json()["boolean"] is True
    assert writable.delete("/store", params={"default": ""}, headers=AUTH).status_code == 204
    assert writable.get("/store", params={"default": ""}).text.strip() == ""


def test_graph_store_refusals(writable: TestClient) -> None:
    new = {"graph": "http://example.org/new"}
    bad = writable.put("/store", params=new, content=b"<a> <b", headers={**AUTH, **TURTLE})
    assert bad.status_code == 400
    assert "does not parse" in bad.json()["error"]["detail"]
    odd = writable.put(
        "/store", params=new, content=b"x", headers={**AUTH, "content-type": "image/png"}
    )
    assert odd.status_code == 415
    assert writable.get("/store", params=new).status_code == 404
    assert writable.get("/store").status_code == 400  # neither ?graph nor ?default
    no_token = writable.put("/store", params=new, content=b"", headers=TURTLE)
    assert no_token.status_code == 401
    assert count(writable) == 0


def test_reads_need_no_token(read_only: TestClient) -> None:
    r = read_only.get("/store", params={"graph": G1}, headers={"accept": "text/turtle"})
    assert r.status_code == 200
    assert (EX.a, EX.p, Literal("one")) in Graph().parse(data=r.text, format="turtle")


def test_an_on_disk_store_is_read_by_workers_and_written_by_the_server(tmp_path: Path) -> None:
    settings = Settings(store=tmp_path / "store", allow_updates=True, token=TOKEN, query_workers=1)
    with KnowledgeGraph.open(settings) as kg, TestClient(create_app(kg)) as client:
        assert count(client) == 0
        # the server holds the store: another process cannot open it for writing
        with pytest.raises(StoreLockedError):
            Store(tmp_path / "store")
        assert client.post("/update", data={"update": insert()}, headers=AUTH).status_code == 204
        assert count(client) == 1
