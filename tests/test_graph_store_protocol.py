"""The W3C SPARQL 1.1 Graph Store HTTP Protocol test cases, in process: one test per case,
named after it, through the real app with updates on and the token.

The suite is a sequence of requests, each expecting the state the earlier ones left;
here every test builds that state itself, so each stands alone. The suite addresses
graphs directly (PUT /person/1.ttl); this server names them indirectly
(/store?graph=IRI), which the Recommendation allows, so each case sends its request
to /store with the same graph IRI.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from _responses import Response
from fastapi.testclient import TestClient
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.web import create_app

FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EX = Namespace("http://example.org/")
TOKEN = "graph-store-suite-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}
TURTLE = {"content-type": "text/turtle"}
# The suite's Accept for every GET that sends one.
ACCEPT = {"accept": "text/turtle; charset=utf-8"}
PERSON_1 = f"{EX}person/1.ttl"
PERSON_2 = f"{EX}person/2.ttl"
PREFIXES = f"@prefix foaf: <{FOAF}> .\n@prefix v: <{VCARD}> .\n"
JOHN = (
    PREFIXES + f'<{EX}person/1> a foaf:Person ; foaf:businessCard [ a v:VCard ; v:fn "John Doe" ] .'
)
JANE = (
    PREFIXES + f'<{EX}person/1> a foaf:Person ; foaf:businessCard [ a v:VCard ; v:fn "Jane Doe" ] .'
)
ALICE = PREFIXES + '[] a foaf:Person ; foaf:businessCard [ a v:VCard ; v:given-name "Alice" ] .'
NAME = PREFIXES + f'<{EX}person/1> foaf:name "Jane Doe" .'
FAMILY_NAME = PREFIXES + f'<{EX}person/1> foaf:familyName "Doe" .'
GIVEN_NAME = PREFIXES + f'<{EX}person/1> foaf:givenName "Jane" .'
ME = URIRef(f"{EX}person/1")


@pytest.fixture
def client() -> Iterator[TestClient]:
    kg = KnowledgeGraph.memory(Settings(query_workers=0, allow_updates=True, token=TOKEN))
    with TestClient(create_app(kg)) as c:
        yield c


def send(c: TestClient, method: str, body: str, graph: str | None = PERSON_1) -> Response:
    params = {"graph": graph} if graph is not None else {"default": ""}
    return c.request(
        method, "/store", params=params, content=body.encode(), headers={**AUTH, **TURTLE}
    )


def read(c: TestClient, url: str = "/store", **params: str) -> Graph:
    """The graph at ``url`` as the suite's GETs ask for it (Turtle); asserts 200."""
    # (httpx drops a URL's own query when given params, even empty ones)
    r = c.get(url, params=params or None, headers=ACCEPT)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == "text/turtle"
    return Graph().parse(data=r.text, format="turtle")


def card_names(graph: Graph) -> set[str]:
    return {str(o) for o in graph.objects(None, VCARD.fn)}


def is_person_with_card(graph: Graph, name_property: URIRef, name: str) -> bool:
    """True if the graph holds exactly one foaf:Person whose business card has ``name``."""
    people = list(graph.subjects(RDF.type, FOAF.Person))
    cards = [card for p in people for card in graph.objects(p, FOAF.businessCard)]
    return (
        len(people) == 1
        and len(cards) == 1
        and (cards[0], RDF.type, VCARD.VCard) in graph
        and (cards[0], name_property, Literal(name)) in graph
    )


def multipart(*files: tuple[str, str]) -> tuple[bytes, str]:
    """A multipart/form-data body with one field holding a multipart/mixed of ``files``
    (name, Turtle text), as the suite sends it; and its Content-Type."""
    outer, inner = f"outer-{uuid.uuid4().hex}", f"inner-{uuid.uuid4().hex}"
    lines = [
        f"--{outer}",
        'content-disposition: form-data; name="graphs"',
        f"Content-type: multipart/mixed, boundary={inner}",
        "",
    ]
    for name, text in files:
        lines += [
            f"--{inner}",
            f'Content-disposition: attachment; filename="{name}"',
            "Content-type: text/turtle",
            "",
            text,
        ]
    lines += [f"--{inner}--", f"--{outer}--", ""]
    return "\r\n".join(lines).encode(), f"multipart/form-data, boundary={outer}"


def post_multipart(c: TestClient) -> Response:
    body, content_type = multipart(("lastName.ttl", FAMILY_NAME), ("firstName.ttl", GIVEN_NAME))
    return c.post(
        "/store",
        params={"graph": PERSON_1},
        content=body,
        headers={**AUTH, "content-type": content_type},
    )


def create_new_graph(c: TestClient) -> str:
    """POSTs Alice to the graph store itself; returns the Location answered."""
    r = c.post("/store", content=ALICE.encode(), headers={**AUTH, **TURTLE})
    assert r.status_code == 201, r.text
    return r.headers["location"]


def relative(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


# == The suite's cases, in its order =====================================================


def test_put_initial_state(client: TestClient) -> None:
    assert send(client, "PUT", JOHN).status_code == 201


def test_get_of_put_initial_state(client: TestClient) -> None:
    send(client, "PUT", JOHN)
    graph = read(client, graph=PERSON_1)
    assert (ME, RDF.type, FOAF.Person) in graph
    assert is_person_with_card(graph, VCARD.fn, "John Doe")


def test_put_graph_already_in_store(client: TestClient) -> None:
    send(client, "PUT", JOHN)
    assert send(client, "PUT", JANE).status_code in {200, 204}


def test_get_of_put_graph_already_in_store(client: TestClient) -> None:
    send(client, "PUT", JOHN)
    send(client, "PUT", JANE)
    graph = read(client, graph=PERSON_1)
    assert card_names(graph) == {"Jane Doe"}  # replaced, not merged
    assert is_person_with_card(graph, VCARD.fn, "Jane Doe")


def test_put_default_graph(client: TestClient) -> None:
    # A graph store always has its default graph: a PUT there changes it, creates nothing.
    assert send(client, "PUT", ALICE, graph=None).status_code == 204


def test_get_of_put_default_graph(client: TestClient) -> None:
    send(client, "PUT", ALICE, graph=None)
    graph = read(client, default="")
    assert is_person_with_card(graph, VCARD["given-name"], "Alice")
    assert len(graph) == 4


def test_put_mismatched_payload(client: TestClient) -> None:
    send(client, "PUT", JOHN)
    r = client.put(
        "/store",
        params={"graph": PERSON_1},
        content=JANE.encode(),
        headers={**AUTH, "content-type": "application/rdf+xml"},
    )
    assert r.status_code == 400
    assert card_names(read(client, graph=PERSON_1)) == {"John Doe"}  # left as it was


def test_put_empty_graph(client: TestClient) -> None:
    # The suite expects 200, but the Recommendation makes a PUT that creates a graph
    # answer 201 Created, and person/2.ttl is new here.
    assert send(client, "PUT", "", graph=PERSON_2).status_code == 201


def test_get_of_put_empty_graph(client: TestClient) -> None:
    send(client, "PUT", "", graph=PERSON_2)
    r = client.get("/store", params={"graph": PERSON_2}, headers=ACCEPT)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == "text/turtle"
    assert len(Graph().parse(data=r.text, format="turtle")) == 0


def test_delete_existing_graph(client: TestClient) -> None:
    send(client, "PUT", "", graph=PERSON_2)
    r = client.delete("/store", params={"graph": PERSON_2}, headers=AUTH)
    assert r.status_code in {200, 204}


def test_get_of_delete_existing_graph(client: TestClient) -> None:
    send(client, "PUT", "", graph=PERSON_2)
    client.delete("/store", params={"graph": PERSON_2}, headers=AUTH)
    assert client.get("/store", params={"graph": PERSON_2}).status_code == 404


def test_delete_non_existent_graph(client: TestClient) -> None:
    r = client.delete("/store", params={"graph": PERSON_2}, headers=AUTH)
    assert r.status_code == 404


def test_post_existing_graph(client: TestClient) -> None:
    send(client, "PUT", JANE)
    assert send(client, "POST", NAME).status_code in {200, 204}


def test_get_of_post_existing_graph(client: TestClient) -> None:
    send(client, "PUT", JANE)
    send(client, "POST", NAME)
    graph = read(client, graph=PERSON_1)
    assert (ME, FOAF.name, Literal("Jane Doe")) in graph
    assert is_person_with_card(graph, VCARD.fn, "Jane Doe")  # merged: what was there stays
    assert len(graph) == 5


def test_post_multipart_form_data(client: TestClient) -> None:
    send(client, "PUT", JANE)
    send(client, "POST", NAME)
    assert post_multipart(client).status_code in {200, 204}


def test_get_of_post_multipart_form_data(client: TestClient) -> None:
    send(client, "PUT", JANE)
    send(client, "POST", NAME)
    post_multipart(client)
    r = client.get("/store", params={"graph": PERSON_1})  # the suite sends no Accept
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == "text/turtle"
    graph = Graph().parse(data=r.text, format="turtle")
    for prop, value in (
        (FOAF.name, "Jane Doe"),
        (FOAF.givenName, "Jane"),
        (FOAF.familyName, "Doe"),
    ):
        assert (ME, prop, Literal(value)) in graph
    assert is_person_with_card(graph, VCARD.fn, "Jane Doe")
    assert len(graph) == 7


def test_post_create_new_graph(client: TestClient) -> None:
    r = client.post("/store", content=ALICE.encode(), headers={**AUTH, **TURTLE})
    assert r.status_code == 201
    location = urlsplit(r.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("http", "testserver", "/store")
    (graph,) = parse_qs(location.query)["graph"]
    # named by the server, under the configured base
    assert graph.startswith(f"{Settings().base}graph/")
    assert create_new_graph(client) != r.headers["location"]  # each POST a graph of its own


def test_get_of_post_create_new_graph(client: TestClient) -> None:
    location = create_new_graph(client)
    graph = read(client, relative(location))
    assert is_person_with_card(graph, VCARD["given-name"], "Alice")
    assert len(graph) == 4
    assert len(read(client, default="")) == 0  # not written to the default graph


def test_post_empty_graph_to_existing_graph(client: TestClient) -> None:
    location = create_new_graph(client)
    r = client.post(relative(location), content=b"", headers={**AUTH, **TURTLE})
    assert r.status_code == 204


def test_get_of_post_after_noop(client: TestClient) -> None:
    location = create_new_graph(client)
    client.post(relative(location), content=b"", headers={**AUTH, **TURTLE})
    graph = read(client, relative(location))
    assert is_person_with_card(graph, VCARD["given-name"], "Alice")
    assert len(graph) == 4


def test_head_on_an_existing_graph(client: TestClient) -> None:
    send(client, "PUT", JANE)
    get = client.get("/store", params={"graph": PERSON_1})
    head = client.head("/store", params={"graph": PERSON_1})  # no Accept, as in the suite
    assert head.status_code == 200
    assert head.headers["content-type"].split(";")[0] == "text/turtle"
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))


def test_head_on_a_non_existing_graph(client: TestClient) -> None:
    r = client.head("/store", params={"graph": PERSON_2})
    assert r.status_code == 404
    assert r.content == b""


# == What the cases leave open ===========================================================


def store_size(c: TestClient) -> int:
    query = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    r = c.get("/sparql", params={"query": query})
    return int(json.loads(r.text)["results"]["bindings"][0]["n"]["value"])


def test_a_multipart_part_that_does_not_parse_writes_no_part(client: TestClient) -> None:
    before = store_size(client)
    body, content_type = multipart(("good.ttl", GIVEN_NAME), ("bad.ttl", "<not turtle"))
    r = client.post(
        "/store",
        params={"graph": PERSON_1},
        content=body,
        headers={**AUTH, "content-type": content_type},
    )
    assert r.status_code == 400
    assert store_size(client) == before
    assert client.get("/store", params={"graph": PERSON_1}).status_code == 404


def test_a_multipart_part_of_an_unknown_type_is_refused(client: TestClient) -> None:
    body = b"--b\r\nContent-Type: image/png\r\n\r\nx\r\n--b--\r\n"
    r = client.post(
        "/store",
        params={"graph": PERSON_1},
        content=body,
        headers={**AUTH, "content-type": "multipart/form-data; boundary=b"},
    )
    assert r.status_code == 415
    assert "image/png" in r.json()["error"]["detail"]


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "multipart/form-data; boundary=missing"]
)
def test_a_multipart_body_without_parts_is_refused(client: TestClient, content_type: str) -> None:
    r = client.post(
        "/store",
        params={"graph": PERSON_1},
        content=b"no parts here",
        headers={**AUTH, "content-type": content_type},
    )
    assert r.status_code == 400


def test_multipart_blank_nodes_of_two_parts_stay_apart(client: TestClient) -> None:
    body, content_type = multipart(
        ("a.ttl", "_:x <http://example.org/p> 1 ."), ("b.ttl", "_:x <http://example.org/p> 2 .")
    )
    r = client.post(
        "/store",
        params={"graph": PERSON_1},
        content=body,
        headers={**AUTH, "content-type": content_type},
    )
    assert r.status_code == 201  # a POST that creates the graph says so
    subjects = set(read(client, graph=PERSON_1).subjects(EX.p, None))
    assert len(subjects) == 2
    assert all(isinstance(s, BNode) for s in subjects)


def test_creating_a_graph_needs_the_token(client: TestClient) -> None:
    before = store_size(client)
    r = client.post("/store", content=ALICE.encode(), headers=TURTLE)
    assert r.status_code == 401
    assert "location" not in r.headers
    assert store_size(client) == before


def test_only_post_may_leave_the_graph_unnamed(client: TestClient) -> None:
    r = client.put("/store", content=ALICE.encode(), headers={**AUTH, **TURTLE})
    assert r.status_code == 400
    assert "?graph=" in r.json()["error"]["detail"]
