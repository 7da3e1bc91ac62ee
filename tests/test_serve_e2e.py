"""`escape-kg serve` for real: a uvicorn server on a loopback port, queried by SPARQLWrapper."""

from __future__ import annotations

import csv
import io
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from _server import demo_server
from rdflib import Graph
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper

MEETINGS = "SELECT ?m ?date WHERE { ?m a ekg:Meeting ; dcterms:date ?date }"


def ask(client: SPARQLWrapper) -> Any:
    """The converted answer; SPARQLWrapper's declared type is a union of every format's."""
    return client.queryAndConvert()


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # A fresh data home: no default store exists, so serve falls back to the demo.
    with demo_server(tmp_path_factory.mktemp("data-home")) as root:
        yield root + "/sparql"


def test_select_as_json_through_sparqlwrapper(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery(MEETINGS)
    client.setReturnFormat(JSON)
    rows = ask(client)["results"]["bindings"]
    assert [r["date"]["value"] for r in rows] == ["2021-09-08"]


def test_select_by_post(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setMethod(POST)
    client.setQuery("SELECT (COUNT(*) AS ?n) WHERE { ?p a schema:Person }")
    client.setReturnFormat(JSON)
    rows = ask(client)["results"]["bindings"]
    assert int(rows[0]["n"]["value"]) > 5


def test_ask_through_sparqlwrapper(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery('ASK { ?p schema:name "Ian Bird" }')
    client.setReturnFormat(JSON)
    assert ask(client)["boolean"] is True


def test_construct_as_turtle_through_sparqlwrapper(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery("CONSTRUCT { ?m schema:name ?t } WHERE { ?m a ekg:Meeting ; schema:name ?t }")
    client.setReturnFormat(TURTLE)
    data = ask(client)
    graph = Graph().parse(data=data, format="turtle")
    assert [str(o) for o in graph.objects()] == ["Technical Coordination Meeting"]


def test_csv_over_plain_http(endpoint: str) -> None:
    url = endpoint + "?" + urllib.parse.urlencode({"query": MEETINGS})
    request = urllib.request.Request(url, headers={"Accept": "text/csv"})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(r.read().decode())))
    assert rows[0] == ["m", "date"]
    assert rows[1][1] == "2021-09-08"
