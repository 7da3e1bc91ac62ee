"""SPARQLWrapper against a real `escape-kg serve` (uvicorn on a loopback port): every result
format, GET and POST, and the safety rules (tokens, SERVICE, the query time limit)."""

from __future__ import annotations

import csv
import io
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any
from xml.dom.minidom import Document, Element, Text

import pytest
from _server import RunningServer, serve_process
from rdflib import Graph, Literal, Namespace, URIRef
from SPARQLWrapper import CSV, GET, JSON, JSONLD, POST, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, Unauthorized

SCHEMA = Namespace("http://schema.org/")
EX = Namespace("http://example.org/")
TOKEN = "real-client-test-token"
SPEAKERS = """SELECT DISTINCT ?name WHERE { ?item schema:performer ?p . ?p schema:name ?name }
ORDER BY ?name"""
MEETING_NAMES = "CONSTRUCT { ?m schema:name ?t } WHERE { ?m a ekg:Meeting ; schema:name ?t }"
# The example holds ~4,300 triples: four of them joined is ~10^14 solutions.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CHEAP = 'ASK { ?p schema:name "Ian Bird" }'
LIMIT = 1.0  # seconds: --query-timeout of the limited server
MARGIN = 4.0  # seconds to kill a worker and answer; generous for a loaded CI host
BUSY_CPU = 0.2  # seconds of CPU a worker has spent once the runaway is surely running


def converted(client: SPARQLWrapper) -> Any:
    """The converted answer; SPARQLWrapper's declared type is a union of every format's."""
    return client.queryAndConvert()


def raw(client: SPARQLWrapper) -> tuple[str, bytes]:
    """The answer's Content-Type and bytes, unconverted."""
    result = client.query()
    return str(result.info()["content-type"]), result.response.read()


def text(element: Element) -> str:
    """The text inside an XML element."""
    child = element.firstChild
    assert isinstance(child, Text)
    return child.data


def sparql(endpoint: str, query: str, fmt: str = JSON, method: str = GET) -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


def http(url: str, data: dict[str, str] | None = None, **headers: str) -> tuple[int, bytes]:
    """GET ``url`` (POST ``data`` form-encoded); returns status and body, errors included."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return int(r.status), bytes(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def select(endpoint: str, query: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = converted(sparql(endpoint, query))["results"]["bindings"]
    return rows


def count(endpoint: str, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    return int(select(endpoint, query)[0]["n"]["value"])


def insert(graph: str) -> str:
    return f'INSERT DATA {{ GRAPH <{graph}> {{ <{EX.x}> <{EX.p}> "x" }} }}'


@pytest.fixture(scope="module")
def read_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serve_process(tmp_path_factory.mktemp("read-only")) as server:
        yield server


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    home = tmp_path_factory.mktemp("writable")
    with serve_process(home, ["--allow-updates"], {"ESCAPE_KG_TOKEN": TOKEN}) as server:
        yield server


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    home = tmp_path_factory.mktemp("limited")
    with serve_process(home, ["--query-timeout", f"{LIMIT:g}", "--query-workers", "2"]) as server:
        yield server


# -- every result format, GET and POST ---------------------------------------------


@pytest.mark.parametrize("method", [GET, POST])
def test_select_as_json(read_only: RunningServer, method: str) -> None:
    answer = converted(sparql(read_only.sparql, SPEAKERS, JSON, method))
    names = [row["name"]["value"] for row in answer["results"]["bindings"]]
    assert answer["head"]["vars"] == ["name"]
    assert len(names) == 16
    assert names[0] == "Antonella Bozzi"
    assert {"Ian Bird", "Julie Chaudan", "Xavier Espinal"} <= set(names)


@pytest.mark.parametrize("method", [GET, POST])
def test_select_as_xml(read_only: RunningServer, method: str) -> None:
    document: Document = converted(sparql(read_only.sparql, SPEAKERS, XML, method))
    root = document.documentElement
    assert root is not None
    assert root.namespaceURI == "http://www.w3.org/2005/sparql-results#"
    names = [text(node) for node in document.getElementsByTagName("literal")]
    assert len(names) == 16
    assert names == sorted(names)
    assert "Ian Bird" in names


@pytest.mark.parametrize("method", [GET, POST])
def test_select_as_csv(read_only: RunningServer, method: str) -> None:
    client = sparql(read_only.sparql, SPEAKERS, CSV, method)
    media, body = raw(client)
    assert media.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[0] == ["name"]
    assert len(rows) == 17
    assert ["Julie Chaudan"] in rows


@pytest.mark.parametrize(("fmt", "method"), [(JSON, GET), (JSON, POST), (XML, GET)])
def test_ask(read_only: RunningServer, fmt: str, method: str) -> None:
    yes = converted(sparql(read_only.sparql, CHEAP, fmt, method))
    no = converted(sparql(read_only.sparql, 'ASK { ?p schema:name "Nobody" }', fmt, method))
    if fmt == JSON:
        assert (yes["boolean"], no["boolean"]) == (True, False)
    else:
        answers = [text(d.getElementsByTagName("boolean")[0]) for d in (yes, no)]
        assert answers == ["true", "false"]


@pytest.mark.parametrize(
    ("fmt", "media", "rdflib_format", "method"),
    [
        (TURTLE, "text/turtle", "turtle", GET),
        (TURTLE, "text/turtle", "turtle", POST),
        (JSONLD, "application/ld+json", "json-ld", GET),
        (JSONLD, "application/ld+json", "json-ld", POST),
    ],
)
def test_construct(
    read_only: RunningServer, fmt: str, media: str, rdflib_format: str, method: str
) -> None:
    content_type, body = raw(sparql(read_only.sparql, MEETING_NAMES, fmt, method))
    assert content_type.startswith(media)
    with warnings.catch_warnings():
        # rdflib's JSON-LD parser trips its own ConjunctiveGraph deprecation warning
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = Graph().parse(data=body, format=rdflib_format)
    assert len(graph) == 1
    ((meeting, predicate, title),) = list(graph)
    assert predicate == SCHEMA.name
    assert title == Literal("Technical Coordination Meeting")
    assert isinstance(meeting, URIRef) and "2021-09-08" in str(meeting)


# -- writes: off by default; on with --allow-updates, and only with the token -------------


def test_update_with_updates_off_is_403_and_changes_nothing(read_only: RunningServer) -> None:
    graph = str(EX["off"])
    client = sparql(read_only.sparql, insert(graph), method=POST)
    client.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        client.query()
    assert refused.value.code == 403
    assert "--allow-updates" in json.loads(refused.value.read())["error"]["hint"]
    assert count(read_only.sparql, graph) == 0


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
def test_update_without_the_token_is_401_and_changes_nothing(
    writable: RunningServer, authorization: str | None
) -> None:
    graph = str(EX["no-token"])
    client = sparql(writable.sparql, insert(graph), method=POST)
    if authorization is not None:
        client.addCustomHttpHeader("Authorization", authorization)
    with pytest.raises(Unauthorized):
        client.query()
    assert count(writable.sparql, graph) == 0


def test_update_with_the_token_is_run(writable: RunningServer) -> None:
    graph = str(EX["with-token"])
    client = sparql(writable.sparql, insert(graph), method=POST)
    client.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    assert client.query().response.status == 204
    assert count(writable.sparql, graph) == 1
    # the same through /update, by plain HTTP
    delete = f"DROP GRAPH <{graph}>"
    status, _ = http(writable.root + "/update", {"update": delete}, Authorization=f"Bearer {TOKEN}")
    assert status == 204
    assert count(writable.sparql, graph) == 0


def test_an_update_sent_with_get_is_not_run(writable: RunningServer) -> None:
    graph = str(EX["by-get"])
    url = writable.sparql + "?" + urllib.parse.urlencode({"update": insert(graph)})
    status, _ = http(url, Authorization=f"Bearer {TOKEN}")
    assert status == 400
    assert count(writable.sparql, graph) == 0


# -- SERVICE -----------------------------------------------------------------------------


def test_service_is_refused_with_400(read_only: RunningServer) -> None:
    # the server itself as the remote endpoint: had it been called, the query would work
    query = f"SELECT * WHERE {{ SERVICE <{read_only.sparql}> {{ ?s ?p ?o }} }} LIMIT 1"
    with pytest.raises(QueryBadFormed) as refused:
        converted(sparql(read_only.sparql, query))
    assert "SERVICE" in str(refused.value)
    assert "ESCAPE_KG_SERVICE_ALLOW" in str(refused.value)


# -- the time limit -----------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # the thread ended meanwhile
            continue
    return found


def worker_cpu(server_pid: int) -> dict[int, float]:
    """CPU seconds used so far by every process below the server (its query workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    usage: dict[int, float] = {}
    pending = _children(server_pid)
    while pending:
        pid = pending.pop()
        try:
            # fields after the ")" of the command name: utime and stime are the 12th and 13th
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            pending += _children(pid)
        except OSError:  # the process ended meanwhile
            continue
        usage[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return usage


def poll_until(condition: Callable[[], bool], pending: Future[Any], limit: float) -> None:
    """Return once ``condition()`` holds; fail after ``limit`` s or if ``pending`` ends first."""
    deadline = time.monotonic() + limit
    while not condition():
        assert not pending.done(), f"the request ended first: {pending.result()}"
        assert time.monotonic() < deadline, "the condition never held"
        wait([pending], timeout=0.02)  # the pause between polls


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads worker CPU from /proc")
def test_a_runaway_query_is_stopped_while_a_cheap_one_answers_within_a_second(
    limited: RunningServer,
) -> None:
    runaway_url = limited.sparql + "?" + urllib.parse.urlencode({"query": RUNAWAY})
    assert converted(sparql(limited.sparql, CHEAP))["boolean"] is True  # workers are up
    before = worker_cpu(limited.pid)

    def runaway_running() -> bool:
        now = worker_cpu(limited.pid)
        return any(cpu - before.get(pid, 0.0) >= BUSY_CPU for pid, cpu in now.items())

    with ThreadPoolExecutor(1) as threads:
        sent = time.monotonic()
        slow = threads.submit(http, runaway_url)
        poll_until(runaway_running, slow, LIMIT + MARGIN)
        start = time.monotonic()
        quick = converted(sparql(limited.sparql, CHEAP))
        quick_seconds = time.monotonic() - start
        runaway_still_running = not slow.done()
        status, body = slow.result(timeout=LIMIT + MARGIN + 10)
        stopped_after = time.monotonic() - sent
    assert quick["boolean"] is True
    assert quick_seconds < 1.0
    assert runaway_still_running
    assert status == 503
    assert stopped_after < LIMIT + MARGIN
    error = json.loads(body)["error"]
    assert f"longer than the {LIMIT:g} s time limit" in error["detail"]
    assert "--query-timeout" in error["hint"]
    # the next query gets a fresh worker and works
    names = [r["name"]["value"] for r in select(limited.sparql, SPEAKERS)]
    assert len(names) == 16
