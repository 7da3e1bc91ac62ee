"""Resource pages read the store in the query workers: the same pages as in-process, cached
until the data changes, and a page's reads stopped at the time limit like any query."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.compare import to_isomorphic

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.describe import Querier
from escape_kg.errors import QueryTimeoutError
from escape_kg.serving import resource_view
from escape_kg.web.app import create_app

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "escape-tc-minutes.txt"
MEETING = "meeting/2021-09-08-technical-coordination-meeting"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
PARSERS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
}
# (path, Accept): HTML and RDF by negotiation and by suffix, a list page, a miss, a refusal.
REQUESTS = [
    (f"/id/{MEETING}", "text/html"),
    (f"/id/{MEETING}", "text/turtle"),
    ("/id/person/julie-chaudan", "text/html"),
    ("/id/person/julie-chaudan?page=2", "text/html"),
    ("/id/person/julie-chaudan.ttl", "*/*"),
    ("/id/org/cern.jsonld", "*/*"),
    ("/id/org/cern", "application/n-triples"),
    ("/id/person/nobody-at-all", "text/html"),
    ("/id/person/nobody-at-all", "application/json"),
    ("/id/org/cern", "image/png"),
]


def seeded(**settings: object) -> KnowledgeGraph:
    kg = KnowledgeGraph.memory(Settings(**settings))  # type: ignore[arg-type]
    assert kg.ingest(EXAMPLE, date=dt.date(2021, 9, 8)).status == "imported"
    return kg


def runaway_view(query: Querier, label: str) -> str:
    """A page whose reads never end (for the time limit); importable by the workers."""
    query(RUNAWAY)
    return label


def label_view(query: Querier, label: str) -> str:
    """A page that reads nothing."""
    return label


def ask_view(query: Querier) -> bool:
    """A page that asks whether the store holds anything."""
    return query("ASK { ?s ?p ?o }").boolean


def content(response: Any) -> object:
    """What a page says: the bytes of HTML and errors; RDF as a graph, since JSON-LD and
    N-Triples list triples in an order that differs between processes."""
    media = response.headers.get("content-type", "").split(";")[0]
    if media not in PARSERS:
        return response.content
    with warnings.catch_warnings():
        # rdflib's own JSON-LD parser trips its ConjunctiveGraph deprecation warning
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = Graph().parse(data=response.content, format=PARSERS[media])
    return to_isomorphic(graph)


def test_pages_built_in_the_workers_equal_pages_built_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[int, list[tuple[object, ...]]] = {}
    for workers in (0, 2):
        kg = seeded(query_workers=workers, cache_entries=0)
        if workers:

            def in_the_server(sparql: str, **_: object) -> object:
                raise AssertionError(f"a page read the store in the server: {sparql}")

            monkeypatch.setattr(kg, "query", in_the_server)
        with TestClient(create_app(kg)) as client:
            answers = [client.get(path, headers={"accept": accept}) for path, accept in REQUESTS]
        seen[workers] = [
            (r.status_code, content(r), r.headers.get("content-location"), r.headers.get("link"))
            for r in answers
        ]
    assert seen[2] == seen[0]
    statuses = [status for status, *_ in seen[2]]
    assert statuses == [200, 200, 200, 200, 200, 200, 200, 404, 404, 406]


def test_pages_are_cached_until_the_data_changes() -> None:
    kg = seeded(query_workers=1)
    path = "/id/person/julie-chaudan"
    with TestClient(create_app(kg)) as client:
        first = client.get(path, headers={"accept": "text/html"})
        again = client.get(path, headers={"accept": "text/html"})
        turtle = client.get(path, headers={"accept": "text/turtle"})
        unchanged = client.get(
            path, headers={"accept": "text/html", "if-none-match": first.headers["etag"]}
        )
        head = client.head(path, headers={"accept": "text/html"})
        kg.put_graph(
            "https://example.org/g",
            b"<https://example.org/a> a <https://example.org/B> .",
            "turtle",
        )
        after = client.get(path, headers={"accept": "text/html"})
        missing = [client.get("/id/person/nobody", headers={"accept": "text/html"}) for _ in "ab"]
    assert (first.headers["x-cache"], again.headers["x-cache"]) == ("miss", "hit")
    assert again.content == first.content
    assert again.headers["link"] == first.headers["link"]
    assert again.headers["content-location"] == first.headers["content-location"]
    assert turtle.headers["x-cache"] == "miss"
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert unchanged.status_code == 304
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(first.content))
    assert after.headers["x-cache"] == "miss"
    assert after.headers["etag"] != first.headers["etag"]
    # A page that is not there is answered every time, never from the cache.
    assert [r.status_code for r in missing] == [404, 404]
    assert all("x-cache" not in r.headers for r in missing)


def test_a_page_whose_reads_overrun_the_time_limit_is_stopped() -> None:
    kg = seeded(query_workers=1, query_timeout=1.0)
    kg.start_query_workers()
    try:
        with pytest.raises(QueryTimeoutError, match="time limit"):
            kg.run_view(runaway_view, "x")
        # The worker was replaced: the next page is built (by a function the workers
        # have loaded already: importing this test module would count as run time).
        view = kg.run_view(
            resource_view,
            kg.minter.base,
            kg.minter.base + MEETING,
            "turtle",
            1,
            kg.lateral,
            (),
            (("turtle", "turtle"),),
        )
    finally:
        kg.stop_query_workers()
    assert view.description is not None
    assert view.iri == kg.minter.base + MEETING
    assert b"technical-coordination-meeting" in view.data


def test_without_workers_a_page_reads_in_process_with_the_given_querier() -> None:
    kg = seeded(query_workers=0)
    asked: list[str] = []

    def query(sparql: str, **_: object) -> object:
        asked.append(sparql)
        return kg.query(sparql)

    assert kg.run_view(label_view, "z", query=query) == "z"  # type: ignore[arg-type]
    assert kg.run_view(ask_view, query=query) is True  # type: ignore[arg-type]
    assert asked == ["ASK { ?s ?p ?o }"]
