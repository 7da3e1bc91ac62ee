"""Naming a remote store: --store URLs and presets, settings, and parameters written as terms."""

from __future__ import annotations

import pytest
from rdflib import BNode, Literal, URIRef

from escape_kg.config import Settings
from escape_kg.errors import ConfigError, QueryError
from escape_kg.store import remote_endpoints
from escape_kg.store.sparqltext import query_form, substitute, with_using


def test_oxigraph_preset_fills_in_the_server_paths() -> None:
    e = remote_endpoints("oxigraph+http://127.0.0.1:7878")
    assert (e.query_url, e.update_url, e.gsp_url) == (
        "http://127.0.0.1:7878/query",
        "http://127.0.0.1:7878/update",
        "http://127.0.0.1:7878/store",
    )


def test_virtuoso_writes_through_the_authenticated_endpoints_only_with_credentials() -> None:
    anonymous = remote_endpoints("virtuoso+http://h:8890")
    assert (anonymous.query_url, anonymous.update_url) == (
        "http://h:8890/sparql",
        "http://h:8890/sparql",
    )
    signed = remote_endpoints("virtuoso+http://h:8890/sparql", user="dba", password="secret")
    assert signed.update_url == "http://h:8890/sparql-auth"
    assert signed.gsp_url == "http://h:8890/sparql-graph-crud-auth"
    assert "secret" not in repr(signed)


@pytest.mark.parametrize(
    ("url", "update"),
    [
        ("sparql+http://h:3030/ds/query", "http://h:3030/ds/update"),
        ("sparql+http://h:3030/ds/sparql", "http://h:3030/ds/update"),
        ("sparql+https://h/repositories/kg", "https://h/repositories/kg/statements"),
        ("sparql+https://h/endpoint", "https://h/endpoint"),
    ],
)
def test_generic_servers_get_their_usual_update_url(url: str, update: str) -> None:
    assert remote_endpoints(url).with_flavour("generic").update_url == update


def test_an_explicit_update_url_wins() -> None:
    e = remote_endpoints("oxigraph+http://h:7878", update_url="http://other/update")
    assert e.update_url == "http://other/update"


def test_a_url_without_host_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        remote_endpoints("http:///sparql")


def test_settings_take_a_url_from_the_environment_or_the_flag() -> None:
    env = {"ESCAPE_KG_STORE": "http://h:7878/query", "ESCAPE_KG_STORE_PASSWORD": "pw"}
    settings = Settings.load(env=env)
    assert (settings.store, settings.store_url) == (None, "http://h:7878/query")
    assert "pw" not in repr(settings)
    flagged = Settings.load(env={}, store="virtuoso+http://h:8890")
    assert (flagged.store, flagged.store_url) == (None, "virtuoso+http://h:8890")
    assert Settings.load(env={}, store="some/folder").store_url == ""


def test_query_form_skips_prologue_comments_and_strings() -> None:
    text = (
        "PREFIX ex: <http://x/> # SELECT in a comment\n"
        'CONSTRUCT { ?s ex:p "ASK {" } WHERE { ?s ?p ?o }'
    )
    assert query_form(text) == "construct"
    with pytest.raises(QueryError):
        query_form("INSERT DATA { <a> <b> <c> }")


def test_substitute_binds_everywhere_and_keeps_the_value_in_the_answer() -> None:
    query = (
        'SELECT ?wp ?s WHERE { GRAPH ?g { ?s ?p ?wp FILTER(?wp != "?wp") } '
        "{ SELECT ?wp ?s WHERE { ?s ?q ?wp } } } GROUP BY ?wp ?s ORDER BY ?wp"
    )
    out = substitute(query, {"wp": URIRef("http://x/WP2")})
    assert out.startswith("SELECT (<http://x/WP2> AS ?wp) ?s WHERE")
    assert 'FILTER(<http://x/WP2> != "?wp")' in out  # the string is left alone
    assert "{ SELECT  ?s WHERE { ?s ?q <http://x/WP2> } }" in out
    assert out.endswith("GROUP BY (<http://x/WP2>) ?s ORDER BY (<http://x/WP2>)")


def test_substitute_keeps_bind_targets_and_refuses_blank_nodes() -> None:
    out = substitute("SELECT ?x WHERE { BIND(1 AS ?x) ?a ?b ?x }", {"x": Literal(2)})
    assert "AS ?x)" in out
    with pytest.raises(QueryError):
        substitute("SELECT ?x WHERE { ?x ?p ?o }", {"x": BNode()})


def test_with_using_puts_the_dataset_before_each_top_level_where_only() -> None:
    update = (
        "PREFIX where: <http://example.org/> "
        "INSERT DATA { where:x where:p 'WHERE' } ; "
        "DELETE { ?s ?p ?o } WHERE { { SELECT ?s WHERE { ?s a where:Where } } ?s ?p ?o } ; "
        "INSERT { ?s a where:y } where { ?s a where:z } # WHERE in a comment\n"
    )
    out = with_using(update, ["http://a/"], ["http://b/"])
    clauses = "USING <http://a/> USING NAMED <http://b/> "
    assert out.count(clauses) == 2
    assert f"}} {clauses}WHERE {{ {{ SELECT ?s WHERE" in out
    assert f"where:y }} {clauses}where {{" in out
    assert with_using(update, [], []) == update


@pytest.mark.parametrize(
    "update",
    ["DELETE WHERE { ?s ?p ?o }", "WITH <http://g/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
     "DELETE { ?s ?p ?o } USING <http://g/> WHERE { ?s ?p ?o }"],
)  # fmt: skip
def test_with_using_refuses_an_update_that_cannot_take_the_dataset(update: str) -> None:
    with pytest.raises(QueryError):
        with_using(update, ["http://a/"], [])
    with pytest.raises(ValueError):
        with_using("INSERT { ?s ?p 1 } WHERE { ?s ?p 2 }", ["not an IRI"], [])
