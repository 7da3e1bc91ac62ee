"""Query time limits and result caps: a runaway query is stopped, the server keeps answering."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import pytest
from fastapi.testclient import TestClient

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.errors import QueryTimeoutError, ResultTooLargeError
from escape_kg.pool import QueryJob, QueryPool
from escape_kg.store import Limits
from escape_kg.web import create_app

# Every triple of the ontology and reference vocabulary, cubed: ~10^10 solutions.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "SELECT ?name WHERE { ?s ?p ?name } ORDER BY ?name LIMIT 2"
LIMIT = 1.0  # seconds, the time limit in these tests
MARGIN = 4.0  # seconds: killing a process and reporting it; generous for a loaded CI host
POLL = 0.02


def poll_until(condition: Callable[[], bool], pending: Future[Any]) -> None:
    """Return once ``condition()`` holds; fail after 20 s or if ``pending`` ends first."""
    deadline = time.monotonic() + 20
    while not condition():
        assert not pending.done(), f"the request ended first: {pending.result().text}"
        assert time.monotonic() < deadline, "the condition never held"
        wait([pending], timeout=POLL)  # the pause between polls


def make_kg(**settings: object) -> KnowledgeGraph:
    return KnowledgeGraph.memory(Settings(query_timeout=LIMIT, **settings))  # type: ignore[arg-type]


def bindings(response: Any) -> list[dict[str, dict[str, str]]]:
    return list(json.loads(response.text)["results"]["bindings"])


def test_a_runaway_query_is_stopped_while_other_queries_answer() -> None:
    kg = make_kg(query_workers=2)
    with TestClient(create_app(kg)) as client, ThreadPoolExecutor(1) as threads:
        start = time.monotonic()
        slow = threads.submit(client.get, "/sparql", params={"query": RUNAWAY})
        poll_until(lambda: kg.queries_running == 1, slow)
        quick = client.get("/sparql", params={"query": CHEAP})
        # the runaway was still running when the cheap query came back
        still_running = kg.queries_running == 1 and not slow.done()
        stopped = slow.result(timeout=LIMIT + MARGIN + 10)
        elapsed = time.monotonic() - start
    assert quick.status_code == 200
    assert len(bindings(quick)) == 2
    assert still_running
    assert stopped.status_code == 503
    assert elapsed < LIMIT + MARGIN
    error = stopped.json()["error"]
    assert f"longer than the {LIMIT:g} s time limit" in error["detail"]
    assert "--query-timeout" in error["hint"]
    assert "ESCAPE_KG_QUERY_TIMEOUT" in error["hint"]


def test_the_next_query_works_after_a_timeout() -> None:
    kg = make_kg(query_workers=1)  # one worker: the next query must get its replacement
    with TestClient(create_app(kg)) as client:
        assert client.get("/sparql", params={"query": RUNAWAY}).status_code == 503
        after = client.get("/sparql", params={"query": CHEAP})
        again = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert after.status_code == 200
    assert len(bindings(after)) == 2
    assert again.json()["boolean"] is True


def test_the_pool_kills_and_replaces_a_worker_on_timeout() -> None:
    kg = make_kg()
    pool = QueryPool(kg.store, workers=1, timeout=LIMIT, limits=kg.limits)
    try:
        job = QueryJob(RUNAWAY, "json", "turtle")
        with pytest.raises(QueryTimeoutError):
            pool.run(job)
        answer = pool.run(QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "csv", None))
    finally:
        pool.close()
    assert answer.kind == "select"
    assert answer.body.startswith(b"n\r\n")
    assert int(answer.body.split()[1]) == kg.store.quad_count()


# -- result caps --------------------------------------------------------------------


@pytest.mark.parametrize("workers", [0, 1])
def test_answers_past_the_row_cap_are_refused_with_a_hint(workers: int) -> None:
    kg = make_kg(query_workers=workers, max_result_rows=10)
    with TestClient(create_app(kg)) as client:
        r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        g = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
        fits = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"})
    for refused in (r, g):
        assert refused.status_code == 413
        assert "more than 10 rows" in refused.json()["error"]["detail"]
        assert "LIMIT" in refused.json()["error"]["hint"]
    assert len(bindings(fits)) == 10


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_answers_past_the_byte_cap_are_refused(fmt: str) -> None:
    kg = make_kg(query_workers=0, max_result_bytes=2_000)
    with TestClient(create_app(kg)) as client:
        big = client.get("/sparql", params={"query": "SELECT * { ?s ?p ?o }", "format": fmt})
        small = client.get("/sparql", params={"query": CHEAP, "format": fmt})
    assert big.status_code == 413
    assert "larger than 2,000 bytes" in big.json()["error"]["detail"]
    assert small.status_code == 200


def test_capped_select_keeps_every_kind_of_term() -> None:
    kg = KnowledgeGraph.memory()
    kg.load(
        b'<http://e/a> <http://e/p> "x"@en , "1"^^<http://www.w3.org/2001/XMLSchema#integer> ,'
        b' "plain" , _:b1 .',
        "trig",
    )
    query = "SELECT ?o WHERE { <http://e/a> <http://e/p> ?o } ORDER BY STR(?o)"
    capped = kg.run_query(query, result_format="json", graph_format=None).body
    plain = kg.query(query).serialize("json")
    assert json.loads(capped) == json.loads(plain)
    limits = Limits(rows=100, bytes=10_000)
    for fmt in ("xml", "csv", "tsv"):
        assert kg.query(query).serialize_capped(fmt, limits) == kg.query(query).serialize(fmt)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_the_row_cap_counts_rows_not_text_that_looks_like_a_row_break(fmt: str) -> None:
    kg = KnowledgeGraph.memory()
    # Each literal holds the very text that separates rows in SPARQL JSON results.
    three = 'SELECT ?v WHERE { VALUES ?v { "a},{b},{c" "},{" "{},{}" } }'
    four = 'SELECT ?v WHERE { VALUES ?v { "a},{b" "},{" "x" "y" } }'
    limits = Limits(rows=3, bytes=10_000)
    fits = kg.query(three).serialize_capped(fmt, limits)
    assert fits == kg.query(three).serialize(fmt)
    with pytest.raises(ResultTooLargeError, match="more than 3 rows"):
        kg.query(four).serialize_capped(fmt, limits)
