"""Waiting for a query worker is bounded apart from running: queued requests are served in
order, and only a wait past its own bound is refused (503 with Retry-After)."""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import pytest
from fastapi.testclient import TestClient

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.errors import ConfigError, QueryTimeoutError, ServerBusyError
from escape_kg.flight import SingleFlight
from escape_kg.pool import Answer, QueryJob, QueryPool
from escape_kg.web import create_app

# Every triple of the ontology and reference vocabulary, cubed: ~10^10 solutions.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
LIMIT = 1.0  # seconds a query may run in these tests


def poll_until(condition: Callable[[], bool], *pending: Future[Any]) -> None:
    """Return once ``condition()`` holds; fail after 20 s or if a ``pending`` call ends."""
    deadline = time.monotonic() + 20
    while not condition():
        for future in pending:
            assert not future.done(), f"a request ended first: {future.result()!r}"
        assert time.monotonic() < deadline, "the condition never held"
        wait(pending, timeout=0.02)  # the pause between polls


class OrderedPool(QueryPool):
    """A pool that notes which job's request got a worker, in the order they got one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order: list[str] = []
        self._next: dict[int, str] = {}

    def run_named(self, name: str, job: QueryJob) -> Answer:
        self._next[threading.get_ident()] = name
        return self.run(job)

    def _acquire(self, deadline: float) -> Any:
        worker = super()._acquire(deadline)
        # Appended before this request can release its worker, so the list is in the
        # order the worker was handed out.
        self.order.append(self._next.get(threading.get_ident(), "?"))
        return worker


def test_a_request_queued_past_the_run_limit_is_still_answered() -> None:
    kg = KnowledgeGraph.memory(Settings(query_workers=0))
    pool = QueryPool(kg.store, workers=1, timeout=LIMIT, wait=60.0, limits=kg.limits)
    try:
        with ThreadPoolExecutor(3) as threads:
            first = threads.submit(pool.run, QueryJob(RUNAWAY, "json", None))
            poll_until(lambda: pool.busy == 1, first)
            # Not the same text: the same query would share the first one's run.
            second = threads.submit(pool.run, QueryJob(RUNAWAY + " LIMIT 1", "json", None))
            poll_until(lambda: pool.waiting == 1, first, second)
            queued = time.monotonic()
            cheap = threads.submit(pool.run, QueryJob(CHEAP, "csv", None))
            answer = cheap.result(timeout=60)
            waited = time.monotonic() - queued
            with pytest.raises(QueryTimeoutError) as stopped_first:
                first.result(timeout=60)
            with pytest.raises(QueryTimeoutError) as stopped_second:
                second.result(timeout=60)
    finally:
        pool.close()
    # It waited for the second runaway to use up its whole run limit, and more.
    assert waited > LIMIT
    # Each runaway ran for its full limit; the second says it had waited for a worker.
    assert "time limit and was stopped" in stopped_first.value.message
    assert "time limit and was stopped (it first waited" in stopped_second.value.message
    assert answer.kind == "select"
    assert int(answer.body.split()[1]) == kg.store.quad_count()


def test_requests_get_a_worker_in_the_order_they_asked() -> None:
    kg = KnowledgeGraph.memory(Settings(query_workers=0))
    pool = OrderedPool(kg.store, workers=1, timeout=LIMIT, wait=60.0, limits=kg.limits)
    names = [f"cheap-{i}" for i in range(5)]
    try:
        with ThreadPoolExecutor(len(names) + 1) as threads:
            blocker = threads.submit(pool.run_named, "runaway", QueryJob(RUNAWAY, "json", None))
            poll_until(lambda: pool.busy == 1, blocker)
            queued = []
            for i, name in enumerate(names):
                job = QueryJob(f"{CHEAP} LIMIT {i + 1}", "csv", None)  # distinct: none shared
                queued.append(threads.submit(pool.run_named, name, job))
                poll_until(lambda i=i: pool.waiting == i + 1, blocker)  # type: ignore[misc]
            for future in queued:
                assert future.result(timeout=60).kind == "select"
            with pytest.raises(QueryTimeoutError):
                blocker.result(timeout=60)
    finally:
        pool.close()
    assert pool.order == ["runaway", *names]


def test_a_request_waiting_past_the_wait_bound_gets_503_with_retry_after() -> None:
    kg = KnowledgeGraph.memory(Settings(query_timeout=LIMIT, query_workers=1, query_wait=0.2))
    with TestClient(create_app(kg)) as client, ThreadPoolExecutor(1) as threads:
        slow = threads.submit(client.get, "/sparql", params={"query": RUNAWAY})
        poll_until(lambda: kg.queries_running == 1, slow)
        # The only worker is held until the runaway reaches its 1 s run limit, so this
        # request's 0.2 s wait runs out first: it is refused without running.
        refused = client.get("/sparql", params={"query": CHEAP})
        stopped = slow.result(timeout=60)
        after = client.get("/sparql", params={"query": CHEAP})
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    error = refused.json()["error"]
    assert "stayed busy for 0.2 s" in error["detail"]
    assert "did not start" in error["detail"]
    assert "--query-wait" in error["hint"]
    assert "ESCAPE_KG_QUERY_WAIT" in error["hint"]
    # The runaway was still stopped at its own limit, and the server answers again.
    assert stopped.status_code == 503
    assert "Retry-After" not in stopped.headers
    assert "time limit" in stopped.json()["error"]["detail"]
    assert after.status_code == 200


def test_busy_errors_are_logged_as_busy_not_as_timeouts() -> None:
    kg = KnowledgeGraph.memory(Settings(query_timeout=LIMIT, query_workers=1, query_wait=0.2))
    app = create_app(kg)
    with TestClient(app) as client, ThreadPoolExecutor(1) as threads:
        slow = threads.submit(client.get, "/sparql", params={"query": RUNAWAY})
        poll_until(lambda: kg.queries_running == 1, slow)
        assert client.get("/sparql", params={"query": CHEAP}).status_code == 503
        assert slow.result(timeout=60).status_code == 503
        metrics = client.get("/metrics").text
    # One query was stopped; the refused one never ran, and is counted as refused.
    assert "escape_kg_query_timeouts_total 1" in metrics
    assert "escape_kg_query_busy_refusals_total 1" in metrics
    assert "escape_kg_queries_waiting 0" in metrics


def test_the_wait_bound_is_read_from_the_environment_and_must_be_positive() -> None:
    assert Settings.load({"ESCAPE_KG_QUERY_WAIT": "12.5"}).query_wait == 12.5
    assert Settings.load({}, query_wait=3.0).query_wait == 3.0
    for bad in ("0", "-1"):
        with pytest.raises(ConfigError, match="query_wait"):
            Settings.load({"ESCAPE_KG_QUERY_WAIT": bad})


def test_server_busy_keeps_its_retry_after_through_pickling() -> None:
    error = ServerBusyError("busy", hint="later", retry_after=7)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.retry_after) == ("busy", 7)


def test_equal_calls_made_during_a_run_share_it() -> None:
    flights: SingleFlight[list[int]] = SingleFlight()
    release = threading.Event()
    runs: list[int] = []

    def compute() -> list[int]:
        runs.append(1)
        release.wait(timeout=60)
        return [len(runs)]

    with ThreadPoolExecutor(4) as threads:
        calls = [threads.submit(flights.run, "key", compute) for _ in range(4)]
        poll_until(lambda: flights.shared == 3, *calls)
        release.set()
        results = [c.result(timeout=60) for c in calls]
    assert runs == [1]
    assert all(r is results[0] for r in results)
    # Once the run is over, the next call computes again.
    release.set()
    assert flights.run("key", compute) == [2]


def test_callers_that_shared_a_failed_run_get_the_error_with_its_details() -> None:
    flights: SingleFlight[int] = SingleFlight()
    release = threading.Event()

    def busy() -> int:
        release.wait(timeout=60)
        raise ServerBusyError("all workers busy", hint="later", retry_after=4)

    with ThreadPoolExecutor(2) as threads:
        calls = [threads.submit(flights.run, ("k", 1), busy) for _ in range(2)]
        poll_until(lambda: flights.shared == 1, *calls)
        release.set()
        for call in calls:
            with pytest.raises(ServerBusyError) as raised:
                call.result(timeout=60)
            assert (raised.value.hint, raised.value.retry_after) == ("later", 4)


def test_the_pool_runs_a_query_asked_twice_at_once_only_once() -> None:
    kg = KnowledgeGraph.memory(Settings(query_workers=0))
    pool = QueryPool(kg.store, workers=1, timeout=LIMIT, wait=60.0, limits=kg.limits)
    try:
        with ThreadPoolExecutor(3) as threads:
            blocker = threads.submit(pool.run, QueryJob(RUNAWAY, "json", None))
            poll_until(lambda: pool.busy == 1, blocker)
            same = [threads.submit(pool.run, QueryJob(CHEAP, "csv", None)) for _ in range(2)]
            poll_until(lambda: pool.waiting == 1 and pool.shared == 1, blocker)
            answers = [f.result(timeout=60) for f in same]
            with pytest.raises(QueryTimeoutError):
                blocker.result(timeout=60)
    finally:
        pool.close()
    assert answers[0] is answers[1]


def test_metrics_show_requests_waiting_for_a_worker_and_shared_runs() -> None:
    kg = KnowledgeGraph.memory(Settings(query_timeout=LIMIT, query_workers=1, query_wait=60.0))
    with TestClient(create_app(kg)) as client, ThreadPoolExecutor(3) as threads:
        slow = threads.submit(client.get, "/sparql", params={"query": RUNAWAY})
        poll_until(lambda: kg.queries_running == 1, slow)
        # Two equal queries behind the runaway: one waits for the worker, the other
        # for that one's answer.
        same = [threads.submit(client.get, "/sparql", params={"query": CHEAP}) for _ in "ab"]
        poll_until(lambda: kg.queries_waiting == 1 and kg.queries_shared == 1, slow, *same)
        during = client.get("/metrics").text
        answered = [f.result(timeout=60).status_code for f in same]
        assert slow.result(timeout=60).status_code == 503
    assert "escape_kg_queries_waiting 1" in during
    assert "escape_kg_queries_shared_total 1" in during
    assert answered == [200, 200]
