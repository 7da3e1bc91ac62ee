"""The store: atomic graph replacement, union default graph, bindings, export/load."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from escape_kg.errors import QueryError, StoreError, StoreLockedError
from escape_kg.store import Store

EX = "http://example.org/"
P = URIRef(EX + "p")


def triples(n: int, tag: str) -> list[tuple[URIRef, URIRef, Literal]]:
    return [(URIRef(f"{EX}s{i}"), P, Literal(f"{tag} {i}")) for i in range(n)]


def test_replace_graph_replaces_whole_graph() -> None:
    store = Store()
    store.replace_graph(EX + "g", triples(5, "old"))
    store.replace_graph(EX + "g", triples(3, "new"))
    values = sorted(str(o) for _, _, o in store.graph_triples(EX + "g"))
    assert values == ["new 0", "new 1", "new 2"]


def test_replace_graph_keeps_other_graphs() -> None:
    store = Store()
    store.replace_graph(EX + "a", triples(2, "a"))
    store.replace_graph(EX + "b", triples(3, "b"))
    store.replace_graph(EX + "a", triples(1, "a2"))
    assert {g.iri: g.triples for g in store.graphs()} == {EX + "a": 1, EX + "b": 3}


def test_literals_with_quotes_newlines_and_backslashes_survive() -> None:
    store = Store()
    tricky = 'He said "hi"\nthen \\ left\t"""'
    store.replace_graph(EX + "g", [(URIRef(EX + "s"), P, Literal(tricky))])
    [(_, _, o)] = list(store.graph_triples(EX + "g"))
    assert str(o) == tricky


def test_default_graph_is_union_of_named_graphs() -> None:
    store = Store()
    store.replace_graph(EX + "a", triples(2, "a"))
    store.replace_graph(EX + "b", triples(2, "b"))
    result = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert [int(n) for (n,) in result.rows()] == [4]  # type: ignore[arg-type]


def test_named_graphs_still_addressable() -> None:
    store = Store()
    store.replace_graph(EX + "a", triples(2, "a"))
    store.replace_graph(EX + "b", triples(1, "b"))
    result = store.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    )
    assert [(str(g), int(n)) for g, n in result.rows()] == [(EX + "a", 2), (EX + "b", 1)]  # type: ignore[arg-type]


def test_default_graphs_restrict_the_dataset() -> None:
    store = Store()
    store.replace_graph(EX + "a", triples(2, "a"))
    store.replace_graph(EX + "b", triples(1, "b"))
    result = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graphs=[EX + "b"])
    assert [int(n) for (n,) in result.rows()] == [1]  # type: ignore[arg-type]


def test_substitutions_bind_terms_not_text() -> None:
    store = Store()
    store.replace_graph(EX + "g", triples(3, "x"))
    # A value that would break out of a pasted string literal is just a value here.
    hostile = Literal('x 1" } UNION { ?s ?p ?o } #')
    # (Oxigraph wants bound variables in the projection, hence ?o.)
    query = "SELECT ?s ?o WHERE { ?s ?p ?o }"
    assert list(store.query(query, substitutions={"o": hostile}).rows()) == []
    rows = store.query(query, substitutions={"o": Literal("x 1")}).rows()
    assert [str(s) for (s, _) in rows] == [EX + "s1"]


def test_syntax_error_is_a_query_error_with_a_hint() -> None:
    with pytest.raises(QueryError) as info:
        Store().query("SELEC ?s WHERE { ?s ?p ?o }")
    assert info.value.hint and "sparql11-query" in info.value.hint


def test_serialize_select_as_json_and_csv() -> None:
    store = Store()
    store.replace_graph(EX + "g", triples(1, "v"))
    body = store.query("SELECT ?o WHERE { ?s ?p ?o }").serialize("json")
    assert b'"value":"v 0"' in body.replace(b" ", b"").replace(b"\n", b"") or b"v 0" in body
    csv = store.query("SELECT ?o WHERE { ?s ?p ?o }").serialize("csv")
    assert csv.splitlines() == [b"o", b"v 0"]


def test_serialize_rejects_wrong_format_for_query_form() -> None:
    store = Store()
    with pytest.raises(QueryError):
        store.query("ASK { ?s ?p ?o }").serialize("turtle")
    with pytest.raises(QueryError):
        store.query("CONSTRUCT WHERE { ?s ?p ?o }").serialize("csv")


def test_on_disk_store_persists_and_is_locked(tmp_path: Path) -> None:
    store = Store(tmp_path / "kg")
    store.replace_graph(EX + "g", triples(2, "a"))
    store.flush()
    with pytest.raises(StoreLockedError) as info:
        Store(tmp_path / "kg")
    assert info.value.hint
    del store
    reopened = Store(tmp_path / "kg")
    assert [g.triples for g in reopened.graphs()] == [2]


def test_unwritable_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError):
        Store(blocker / "kg")


@pytest.mark.parametrize("fmt", ["trig", "nquads"])
def test_export_then_load_is_isomorphic(fmt: str) -> None:
    source = Store()
    source.replace_graph(EX + "a", triples(3, "a"))
    source.replace_graph(
        EX + "b", [*triples(2, "b"), (URIRef(EX + "s"), P, Literal("é\n", lang="fr"))]
    )
    dump = source.dump_bytes(fmt)
    target = Store()
    restored = target.load_dataset(io.BytesIO(dump), fmt)
    assert restored == [EX + "a", EX + "b"]
    for name in (EX + "a", EX + "b"):
        left, right = Graph(), Graph()
        for triple in source.graph_triples(name):
            left.add(triple)
        for triple in target.graph_triples(name):
            right.add(triple)
        assert len(left) > 0
        assert isomorphic(left, right)


def test_load_rejects_garbage_without_touching_the_store() -> None:
    store = Store()
    store.replace_graph(EX + "a", triples(1, "a"))
    with pytest.raises(StoreError):
        store.load_dataset(b"<not> <trig", "trig")
    assert [g.triples for g in store.graphs()] == [1]
