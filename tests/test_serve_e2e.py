"""`escape-kg serve` for real: a uvicorn server on a loopback port, queried by SPARQLWrapper."""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Graph
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper

STARTUP_LIMIT = 60.0  # seconds; the demo imports the example minutes first
MEETINGS = "SELECT ?m ?date WHERE { ?m a ekg:Meeting ; dcterms:date ?date }"


def ask(client: SPARQLWrapper) -> Any:
    """The converted answer; SPARQLWrapper's declared type is a union of every format's."""
    return client.queryAndConvert()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(proc: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        try:  # doubles as the pause between polls, and notices a server that died
            proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"escape-kg serve exited with {proc.returncode}")
    raise AssertionError(f"escape-kg serve did not answer within {STARTUP_LIMIT} s")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCAPE_KG_")}
    # A fresh data home: no default store exists, so serve falls back to the demo.
    env["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("data-home"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "escape_kg", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        wait_until_up(proc, url)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


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
