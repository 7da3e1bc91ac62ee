"""The HTTP interface fuzzed from its own OpenAPI description (schemathesis): whatever a
client sends, the answer is never a server error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.python import asgi

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.web import create_app
from escape_kg.web.openapi import openapi_document

PATHS: dict[str, dict[str, Any]] = openapi_document()["paths"]
OPERATIONS = [(path, method.upper()) for path, methods in PATHS.items() for method in methods]


def _negatable(path: str, method: str) -> bool:
    """True if a request can break the description (path parameters are always strings)."""
    spec = PATHS[path][method.lower()]
    params = [p for p in spec.get("parameters", []) if p["in"] != "path"]
    return bool(params) or "requestBody" in spec


CASES = [(p, m, "positive") for p, m in OPERATIONS] + [
    (p, m, "negative") for p, m in OPERATIONS if _negatable(p, m)
]
# About 60 cases an operation keeps the whole file well under a minute.
FUZZ = settings(
    max_examples=60,
    deadline=dt.timedelta(seconds=10),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
    derandomize=True,  # the same cases every run; a failure is reproducible
)


@pytest.fixture(scope="module")
def api() -> Iterator[Any]:
    """The schema as the served /openapi.json says, bound to an app over the example
    minutes, with updates on (so their checks are reached) and queries run in-process."""
    schemathesis.serializer.alias("application/sparql-query", "text/plain")
    schemathesis.serializer.alias("application/sparql-update", "text/plain")
    settings_ = Settings(query_workers=0, allow_updates=True, token="fuzz-token")
    app = create_app(KnowledgeGraph.demo(settings_))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    try:
        yield schema
    finally:
        asgi.shutdown_lifespans()


def test_the_description_is_served_and_lists_the_protocol_routes(api: Any) -> None:
    paths = set(openapi_document()["paths"])
    assert {"/sparql", "/update", "/queries/{name}", "/id/{path}", "/health", "/metrics"} <= paths
    assert len(list(api.get_all_operations())) == len(OPERATIONS)


@pytest.mark.parametrize(
    ("path", "method", "mode"), CASES, ids=[f"{m} {p} {mode}" for p, m, mode in CASES]
)
def test_no_server_errors(api: Any, path: str, method: str, mode: str) -> None:
    operation = api[path][method]
    generation = schemathesis.GenerationMode(mode)

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=generation))
    def fuzz(case: Any) -> None:
        response = case.call()
        assert response.status_code < 500, (
            f"{response.status_code} for {case.as_curl_command()}\n{response.text[:500]}"
        )

    fuzz()


def test_known_awkward_requests() -> None:
    """Requests that are easy to get wrong, kept as regressions next to the fuzzers."""
    app = create_app(KnowledgeGraph.demo(Settings(query_workers=0)))
    with TestClient(app) as client:
        for params in (
            {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "default-graph-uri": "not an iri"},
            {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "named-graph-uri": "<>"},
            {"query": "\x00"},
            {"query": "SELECT * WHERE { ?s ?p ?o }", "format": "\u00e9"},
        ):
            assert client.get("/sparql", params=params).status_code < 500, params
        assert client.get("/store", params={"graph": "a b"}).status_code < 500
        assert client.get("/id/%00").status_code < 500
        assert client.get("/queries/meetings", params={"after": "not a date"}).status_code == 400
