"""The store contract, held by every store: embedded pyoxigraph, an Oxigraph server and Virtuoso.

The remote cases need the servers that .ci/run starts (see tests/conftest.py); locally
they are skipped when a server is missing, in CI (ESCAPE_KG_REQUIRE_REMOTE=1) they fail.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from conftest import remote_required
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from escape_kg.errors import QueryError, ResultTooLargeError, SourceError, StoreError
from escape_kg.store import Limits, QuadStore, RemoteStore, Store, remote_endpoints

EX = "http://example.org/contract/"
P = URIRef(EX + "p")
KINDS = ["embedded", "oxigraph", "virtuoso"]


def open_remote(request: pytest.FixtureRequest, kind: str, *, auth: bool = True) -> RemoteStore:
    if kind == "oxigraph":
        return RemoteStore(remote_endpoints(request.getfixturevalue("oxigraph_url")))
    url = request.getfixturevalue("virtuoso_url")
    user, password = request.getfixturevalue("virtuoso_credentials") if auth else ("", "")
    return RemoteStore(remote_endpoints(url, user=user, password=password))


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest) -> Iterator[QuadStore]:
    kind = request.param
    opened: QuadStore = Store(None) if kind == "embedded" else open_remote(request, kind)
    yield opened
    # The servers are shared by the session: remove what this test wrote.
    for info in opened.graphs():
        if info.iri.startswith(EX):
            opened.drop_graph(info.iri)


@pytest.fixture
def graph() -> str:
    """A graph IRI no other test uses."""
    return f"{EX}{uuid.uuid4().hex}"


def kind_of(store: QuadStore) -> str:
    return store.flavour if isinstance(store, RemoteStore) else "embedded"


def triples(n: int, tag: str) -> list[tuple[URIRef, URIRef, Literal]]:
    return [(URIRef(f"{EX}s{i}"), P, Literal(f"{tag} {i}")) for i in range(n)]


def stored(term: Literal) -> Literal:
    """A literal as every store gives it back: a simple literal is an xsd:string."""
    if term.language is None and term.datatype is None:
        return Literal(str(term), datatype=XSD.string)
    return term


def values(store: QuadStore, graph: str) -> list[str]:
    return sorted(str(o) for _, _, o in store.graph_triples(graph))


# -- writing graphs ---------------------------------------------------------------------


def test_replace_graph_replaces_the_whole_graph(store: QuadStore, graph: str) -> None:
    store.replace_graph(graph, triples(5, "old"))
    store.replace_graph(graph, triples(3, "new"))
    assert values(store, graph) == ["new 0", "new 1", "new 2"]


def test_graphs_lists_each_graph_with_its_size(store: QuadStore, graph: str) -> None:
    other = graph + "-other"
    store.replace_graph(graph, triples(2, "a"))
    store.replace_graph(other, triples(3, "b"))
    mine = {g.iri: g.triples for g in store.graphs() if g.iri in (graph, other)}
    assert mine == {graph: 2, other: 3}
    assert [g.iri for g in store.graphs()] == sorted(g.iri for g in store.graphs())
    # the names alone, without counting, are the same list
    assert store.graph_names() == [g.iri for g in store.graphs()]


def test_drop_graph_and_has_graph(store: QuadStore, graph: str) -> None:
    assert not store.has_graph(graph)
    store.replace_graph(graph, triples(2, "x"))
    assert store.has_graph(graph)
    store.drop_graph(graph)
    store.drop_graph(graph)  # dropping a missing graph is no error
    assert not store.has_graph(graph)
    assert graph not in {g.iri for g in store.graphs()}
    assert graph not in store.graph_names()


def test_quad_count_follows_the_writes(store: QuadStore, graph: str) -> None:
    before = store.quad_count()
    store.replace_graph(graph, triples(7, "q"))
    assert store.quad_count() == before + 7
    store.drop_graph(graph)
    assert store.quad_count() == before


def test_put_graph_replaces_or_merges_and_says_if_new(store: QuadStore, graph: str) -> None:
    turtle = f'<{EX}a> <{EX}p> "one" , "two" .'.encode()
    assert store.put_graph(graph, turtle, "turtle") is True
    assert store.put_graph(graph, f'<{EX}a> <{EX}p> "three" .'.encode(), "turtle") is False
    assert values(store, graph) == ["three"]
    store.put_graph(graph, f'<{EX}a> <{EX}p> "four" .'.encode(), "turtle", merge=True)
    assert values(store, graph) == ["four", "three"]
    with pytest.raises(SourceError):
        store.put_graph(graph, b"<not turtle", "turtle")


# -- terms round trip ---------------------------------------------------------------------

LITERALS = [
    Literal("plain"),
    Literal("colour", lang="en-GB"),
    Literal("Farbe", lang="de"),
    Literal(42),
    Literal(Decimal("3.25")),
    Literal(True),
    Literal("2021-09-08", datatype=XSD.date),
    Literal("2021-09-08T10:00:00", datatype=XSD.dateTime),
    Literal("x", datatype=URIRef(EX + "customType")),
    Literal("Ünïcödé 😀 日本語 עברית"),
    Literal("quotes \" ' and \\ backslash\nnew line\ttab"),
    Literal("long " * 20000),
]


def test_literals_round_trip_through_select_and_construct(store: QuadStore, graph: str) -> None:
    data = [(URIRef(f"{EX}s{i}"), P, lit) for i, lit in enumerate(LITERALS)]
    store.replace_graph(graph, data)
    rows = store.query(
        "SELECT ?g ?p ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
        substitutions={"g": URIRef(graph), "p": P},
    ).rows()
    expected = {(s, stored(o)) for s, _, o in data}
    assert {row[2:] for row in rows} == expected
    constructed = store.query(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    ).triples()
    assert {(s, o) for s, _, o in constructed} == expected


def test_durations_round_trip(store: QuadStore, graph: str, request: pytest.FixtureRequest) -> None:
    if kind_of(store) == "virtuoso":
        request.applymarker(
            pytest.mark.xfail(strict=True, reason="Virtuoso 7.2 stores xsd:duration as seconds")
        )
    duration = Literal("PT25M", datatype=XSD.duration)
    store.replace_graph(graph, [(URIRef(EX + "item"), P, duration)])
    assert [o for _, _, o in store.graph_triples(graph)] == [duration]
    [(found,)] = store.query("SELECT ?o WHERE { ?s ?p ?o }", default_graphs=[graph]).rows()
    assert found == duration


def test_blank_nodes_keep_their_identity_within_a_graph(store: QuadStore, graph: str) -> None:
    node = BNode()
    store.replace_graph(
        graph,
        [(URIRef(EX + "a"), P, node), (node, P, Literal("inner")), (node, P, Literal("other"))],
    )
    [(found,)] = store.query(f"SELECT ?b WHERE {{ GRAPH <{graph}> {{ <{EX}a> ?p ?b }} }}").rows()
    assert isinstance(found, BNode)
    inner = store.query(
        f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ <{EX}a> ?p ?b . ?b ?p ?o }} }}"
    ).rows()
    assert sorted(str(o) for (o,) in inner) == ["inner", "other"]


# -- queries --------------------------------------------------------------------------------


def test_ask_and_bindings_reach_nested_filters(store: QuadStore, graph: str) -> None:
    store.replace_graph(graph, triples(4, "v"))
    g = URIRef(graph)
    assert store.query("ASK { GRAPH ?g { ?s ?p ?o } }", substitutions={"g": g}).boolean
    assert not store.query("ASK { GRAPH ?g { ?s ?p 'absent' } }", substitutions={"g": g}).boolean
    result = store.query(
        "SELECT ?g ?wanted ?s WHERE { GRAPH ?g { ?s ?p ?o FILTER(?o = ?wanted) } }",
        substitutions={"g": g, "wanted": Literal("v 2")},
    )
    assert result.variables == ["g", "wanted", "s"]
    assert list(result.rows()) == [(g, stored(Literal("v 2")), URIRef(EX + "s2"))]


def test_union_default_graph_and_dataset_parameters(store: QuadStore, graph: str) -> None:
    other = graph + "-other"
    store.replace_graph(graph, [(URIRef(EX + "a"), P, Literal("in g"))])
    store.replace_graph(other, [(URIRef(EX + "a"), P, Literal("in other"))])
    union = store.query(f"SELECT ?o WHERE {{ <{EX}a> <{P}> ?o }}").rows()
    assert {str(o) for (o,) in union} >= {"in g", "in other"}
    only = store.query(f"SELECT ?o WHERE {{ <{EX}a> <{P}> ?o }}", default_graphs=[graph]).rows()
    assert [str(o) for (o,) in only] == ["in g"]


def test_prefixes_are_predeclared(store: QuadStore, graph: str) -> None:
    store.replace_graph(graph, triples(1, "p"))
    rows = store.query(
        f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ex:p ?o }} }}", prefixes={"ex": EX}
    ).rows()
    assert [str(o) for (o,) in rows] == ["p 0"]


def test_a_malformed_query_is_a_query_error(store: QuadStore) -> None:
    with pytest.raises(QueryError):
        store.query("SELECT ?x WHERE { ?x ?y }")


def test_a_malformed_update_is_a_query_error(store: QuadStore) -> None:
    with pytest.raises(QueryError):
        store.update("INSERT DATA { GRAPH <http://example.org/x> { <a> }")


def test_graph_bytes_respects_the_row_cap(store: QuadStore, graph: str) -> None:
    store.replace_graph(graph, triples(5, "r"))
    assert (
        len(
            Graph().parse(data=store.graph_bytes(graph, "ntriples", Limits(10, 10**6)), format="nt")
        )
        == 5
    )
    with pytest.raises(ResultTooLargeError):
        store.graph_bytes(graph, "ntriples", Limits(4, 10**6))


# -- export and restore -----------------------------------------------------------------------


def test_dump_then_load_restores_each_graph(store: QuadStore, graph: str) -> None:
    data = [(URIRef(EX + "s"), P, lit) for lit in LITERALS[:10]]
    store.replace_graph(graph, data)
    dumped = Store.from_dump(store.dump_bytes("trig"), "trig")
    assert set(dumped.graph_triples(graph)) == {(s, p, stored(o)) for s, p, o in data}
    store.replace_graph(graph, triples(1, "changed"))
    nquads = "".join(
        f"{s.n3()} {p.n3()} {o.n3()} <{graph}> .\n" for s, p, o in data if "\n" not in str(o)
    )
    assert store.load_dataset(io.BytesIO(nquads.encode()), "nquads") == [graph]
    restored = {o for _, _, o in store.graph_triples(graph)}
    assert restored == {stored(o) for _, _, o in data if "\n" not in str(o)}


# -- failures of remote stores -------------------------------------------------------------


def test_an_unreachable_server_is_a_store_error_with_a_hint() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port now: the connection is refused at once.
    with pytest.raises(StoreError) as caught:
        RemoteStore(remote_endpoints(f"http://127.0.0.1:{port}/query", timeout=2))
    assert "cannot reach" in caught.value.message
    assert caught.value.hint and "--store" in caught.value.hint


def test_a_server_that_never_answers_times_out() -> None:
    import socket

    from escape_kg.errors import QueryTimeoutError

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()  # accepts connections into the backlog, never answers
        port = sock.getsockname()[1]
        with pytest.raises(QueryTimeoutError):
            RemoteStore(remote_endpoints(f"http://127.0.0.1:{port}/query", timeout=0.3))


def test_a_url_that_is_no_sparql_endpoint_is_a_store_error(oxigraph_url: str) -> None:
    root = oxigraph_url.removesuffix("/query") + "/"  # the server's own HTML page
    with pytest.raises(StoreError, match="no SPARQL query service") as caught:
        RemoteStore(remote_endpoints(root))
    assert caught.value.hint and "--store" in caught.value.hint


def test_virtuoso_refuses_updates_without_credentials(request: pytest.FixtureRequest) -> None:
    store = open_remote(request, "virtuoso", auth=False)
    with pytest.raises(QueryError) as caught:
        store.update(f"INSERT DATA {{ GRAPH <{EX}refused> {{ <{EX}a> <{EX}b> 'c' }} }}")
    assert caught.value.hint and "ESCAPE_KG_STORE_USER" in caught.value.hint


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_server_kind_is_detected_from_a_plain_url(
    request: pytest.FixtureRequest, kind: str
) -> None:
    url = request.getfixturevalue(f"{kind}_url")
    assert RemoteStore(remote_endpoints(url)).flavour == kind


def test_ci_runs_the_remote_cases(request: pytest.FixtureRequest) -> None:
    """In CI both servers must be there: the remote cases may not be skipped silently."""
    if not remote_required():
        pytest.skip("only checked when ESCAPE_KG_REQUIRE_REMOTE=1 (.ci/run)")
    assert request.getfixturevalue("oxigraph_url")
    assert request.getfixturevalue("virtuoso_url")
