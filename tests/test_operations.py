"""Operations: the access log, /health, /metrics, and a clean stop on SIGTERM."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from _processes import descendants, still_running
from _server import free_port, wait_until_up
from fastapi.testclient import TestClient

import escape_kg
from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.resources import data_dir
from escape_kg.web import create_app
from escape_kg.web.observability import ACCESS_LOGGER, query_hash

EXAMPLE = data_dir("examples") / "escape-tc-minutes.txt"
PEOPLE = "SELECT ?name WHERE { ?p a schema:Person ; schema:name ?name } ORDER BY ?name"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SECRET = "s3cr3t-token-value"
STOP_LIMIT = 30.0  # seconds for the server to stop after SIGTERM on a loaded CI host


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return KnowledgeGraph.demo(Settings(query_workers=0))


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]


def parse_exposition(text: str) -> dict[str, float]:
    """Samples of a Prometheus text exposition: ``name{labels}`` -> value; checks that
    every sample's metric has HELP and TYPE lines first."""
    declared: set[str] = set()
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            declared.add(line.split()[2])
            continue
        if line.startswith("#") or not line:
            continue
        match = re.fullmatch(
            r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? (\S+)', line
        )
        assert match, f"not an exposition sample: {line!r}"
        name = match.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in declared or family in declared, f"{name} has no # TYPE line"
        samples[name + (match.group(2) or "")] = float(match.group(3))
    return samples


# -- the access log -----------------------------------------------------------------


def test_each_request_logs_one_json_line_without_query_parameters(
    kg: KnowledgeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    with TestClient(create_app(kg)) as client:
        got = client.get(
            "/sparql",
            params={"query": PEOPLE, "format": "json"},
            headers={"Authorization": f"Bearer {SECRET}"},
        )
        posted = client.post("/sparql", data={"query": PEOPLE, "format": "json"})
        page = client.get("/id/person/julie-chaudan", headers={"Accept": "text/turtle"})
        missing = client.get("/no/such/page", params={"q": SECRET})
    assert [r.status_code for r in (got, posted, page, missing)] == [200, 200, 200, 404]
    lines = access_lines(caplog)
    assert [(e["method"], e["path"], e["status"]) for e in lines] == [
        ("GET", "/sparql", 200),
        ("POST", "/sparql", 200),
        ("GET", "/id/person/julie-chaudan", 200),
        ("GET", "/no/such/page", 404),
    ]
    for entry in lines:
        assert isinstance(entry["duration_ms"], float | int) and entry["duration_ms"] >= 0
    # The same query, sent either way, has one hash; pages without a query have none.
    assert lines[0]["query_hash"] == lines[1]["query_hash"] == query_hash(PEOPLE)
    assert "query_hash" not in lines[2]
    assert lines[2]["route"] == "/id/{rest}"
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER)
    assert SECRET not in logged
    assert "schema:Person" not in logged and "SELECT" not in logged


def test_errors_are_logged_with_their_class(
    kg: KnowledgeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    with TestClient(create_app(kg)) as client:
        bad = client.get("/sparql", params={"query": "SELECT WHERE {"})
    assert bad.status_code == 400
    (entry,) = access_lines(caplog)
    assert entry["status"] == 400
    assert entry["error"] == "QueryError"
    assert entry["query_hash"] == query_hash("SELECT WHERE {")


# -- /health and /metrics --------------------------------------------------------------


def test_health_reports_the_store_size_and_version(kg: KnowledgeGraph) -> None:
    with TestClient(create_app(kg)) as client:
        answer = client.get("/health")
        head = client.head("/health")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["ok"] is True
    assert body["version"] == escape_kg.__version__
    assert body["store"]["quads"] == kg.store.quad_count()
    assert body["store"]["graphs"] == len(kg.graphs())
    assert head.status_code == 200 and head.content == b""


def test_health_follows_writes() -> None:
    kg = KnowledgeGraph.memory(Settings(query_workers=0))
    with TestClient(create_app(kg)) as client:
        before = client.get("/health").json()["store"]
        kg.put_graph(
            "https://example.org/g",
            b'<https://example.org/a> <https://example.org/b> "1" .',
            "ntriples",
        )
        after = client.get("/health").json()["store"]
    assert after == {"quads": before["quads"] + 1, "graphs": before["graphs"] + 1}


def test_metrics_count_requests_by_route_template_and_status(kg: KnowledgeGraph) -> None:
    with TestClient(create_app(kg)) as client:
        for person in ("julie-chaudan", "ian-bird"):
            assert client.get(f"/id/person/{person}", headers={"Accept": "text/turtle"}).is_success
        for _ in range(2):  # the second one is a cache hit
            assert client.get("/sparql", params={"query": PEOPLE, "format": "json"}).is_success
        assert client.get("/sparql", params={"query": "SELECT WHERE {"}).status_code == 400
        assert client.get("/nowhere/1").status_code == 404
        assert client.get("/nowhere/2").status_code == 404
        scraped = client.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
    m = parse_exposition(scraped.text)
    requests = "escape_kg_http_requests_total"
    assert m[f'{requests}{{route="/id/{{rest}}",method="GET",status="200"}}'] == 2
    assert m[f'{requests}{{route="/sparql",method="GET",status="200"}}'] == 2
    assert m[f'{requests}{{route="/sparql",method="GET",status="400"}}'] == 1
    # Unknown paths share one label value, whatever clients ask for.
    assert m[f'{requests}{{route="(unmatched)",method="GET",status="404"}}'] == 2
    assert not any("nowhere" in key for key in m)
    duration = "escape_kg_http_request_duration_seconds"
    assert m[f'{duration}_count{{route="/sparql"}}'] == 3
    assert m[f'{duration}_bucket{{route="/sparql",le="+Inf"}}'] == 3
    buckets = [v for k, v in m.items() if k.startswith(f'{duration}_bucket{{route="/sparql"')]
    assert buckets == sorted(buckets)  # cumulative
    assert m["escape_kg_store_quads"] == kg.store.quad_count()
    assert m["escape_kg_store_graphs"] == len(kg.graphs())
    assert m["escape_kg_cache_hits_total"] >= 1
    assert m["escape_kg_query_timeouts_total"] == 0
    assert m["process_resident_memory_bytes"] > 10_000_000


def test_metrics_count_query_timeouts() -> None:
    kg = KnowledgeGraph.memory(Settings(query_timeout=1.0, query_workers=1))
    with TestClient(create_app(kg)) as client:
        assert client.get("/sparql", params={"query": RUNAWAY}).status_code == 503
        m = parse_exposition(client.get("/metrics").text)
    assert m["escape_kg_query_timeouts_total"] == 1
    assert m['escape_kg_http_requests_total{route="/sparql",method="GET",status="503"}'] == 1


# -- SIGTERM --------------------------------------------------------------------------


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as answer:
        body: bytes = answer.read()
        return body


@pytest.mark.slow
def test_sigterm_stops_the_server_cleanly(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with KnowledgeGraph.open(Settings(store=store)) as kg:
        assert kg.ingest(EXAMPLE, date=dt.date(2021, 9, 8)).status == "imported"
        quads = kg.store.quad_count()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCAPE_KG_")}
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "escape_kg", "serve", "--store", str(store)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "--port", str(port), "--query-workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        root = f"http://127.0.0.1:{port}"
        wait_until_up(proc, root + "/health", log)
        query = urllib.parse.urlencode({"query": PEOPLE, "format": "json"})
        names = json.loads(_get(f"{root}/sparql?{query}"))["results"]["bindings"]
        assert names
        workers = descendants(proc.pid)
        assert workers, "the query workers should be running"
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=STOP_LIMIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log.read_text("utf-8", errors="replace")
    assert code == 0, output
    assert "Traceback" not in output
    assert not still_running(workers, STOP_LIMIT), "query workers outlived the server"
    # One JSON line per request, without the query text.
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert {"method": "GET", "path": "/sparql", "status": 200}.items() <= lines[-1].items()
    assert lines[-1]["query_hash"] == query_hash(PEOPLE)
    assert "schema%3APerson" not in output and "schema:Person" not in output
    # The lock is released and the data intact.
    with KnowledgeGraph.open(Settings(store=store)) as again:
        assert again.store.quad_count() == quads
        assert again.query("ASK { ?p a schema:Person }").boolean
