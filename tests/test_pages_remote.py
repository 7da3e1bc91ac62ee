"""Linked-data pages served from a remote store (the Oxigraph server, Virtuoso) show what
the embedded store's pages show, for the example minutes: the landing page, search, and
every resource the examples mint, as HTML and as RDF.

The servers come from tests/conftest.py (skipped locally without them, required in CI);
each module run empties the server first. Virtuoso has no LATERAL, so its pages come
from the SPARQL 1.1 forms of the page queries; the Oxigraph server runs the same
queries as the embedded store.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal
from rdflib.compare import to_isomorphic
from rdflib.namespace import XSD
from rdflib.term import Node

from escape_kg import views
from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.rdf.namespaces import PROV, SCHEMA
from escape_kg.resources import example_date, example_minutes
from escape_kg.store import QueryResult, RemoteStore, remote_endpoints
from escape_kg.web.app import create_app

SERVERS = ["oxigraph", "virtuoso"]
BASE = Settings().base
HTML = {"accept": "text/html"}
TURTLE = {"accept": "text/turtle"}
# Searches with hits of every kind (people, organisations, meetings, work packages).
SEARCHES = ["cern", "meeting", "wp", "julie", "rucio", "data", "zzz-nothing"]


def _server(request: pytest.FixtureRequest, kind: str) -> tuple[str, Settings]:
    if kind == "oxigraph":
        url = request.getfixturevalue("oxigraph_url")
        return url, replace(Settings.load(env={}, store=url), store=None)
    user, password = request.getfixturevalue("virtuoso_credentials")
    url = request.getfixturevalue("virtuoso_url")
    env = {"ESCAPE_KG_STORE_USER": user, "ESCAPE_KG_STORE_PASSWORD": password}
    return url, replace(Settings.load(env=env, store=url), store=None)


def _emptied(url: str, settings: Settings) -> None:
    store = RemoteStore(
        remote_endpoints(
            url, user=settings.store_user or "", password=settings.store_password or ""
        )
    )
    for info in store.graphs():
        store.drop_graph(info.iri)


def _imported(kg: KnowledgeGraph) -> KnowledgeGraph:
    for path in example_minutes():
        outcome = kg.ingest(path, date=example_date(path))
        assert outcome.status == "imported", outcome
    return kg


@pytest.fixture(scope="module")
def embedded() -> Iterator[TestClient]:
    with KnowledgeGraph.demo() as kg, TestClient(create_app(kg)) as client:
        yield client


@pytest.fixture(scope="module", params=SERVERS)
def remote(request: pytest.FixtureRequest) -> Iterator[tuple[str, TestClient]]:
    url, settings = _server(request, request.param)
    _emptied(url, settings)
    with (
        _imported(KnowledgeGraph.open(settings)) as kg,
        TestClient(create_app(kg)) as client,
    ):
        yield request.param, client


def _resources() -> list[str]:
    """The IRIs the examples mint under the base: meetings, items, minutes, people,
    organisations, work packages, memberships, graphs... and some mentions."""
    with KnowledgeGraph.demo() as kg:
        rows = kg.query(
            "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s)) }"
        ).rows()
        found = sorted({str(s) for (s,) in rows if str(s).startswith(BASE)})
    paths = [iri[len(BASE) :] for iri in found if "#" not in iri]
    # Mentions all have the same kind of page: every tenth of them is enough.
    mentions = [p for p in paths if "/mention/" in p]
    return [p for p in paths if "/mention/" not in p] + mentions[::10]


RESOURCES = _resources()


def _normal(kind: str, html: str) -> str:
    """The page with what legitimately differs between stores taken out: the import
    times (each store imported the examples itself), and durations on Virtuoso, which
    gives them back as seconds ("PT10M" as "600.0", see the README)."""
    html = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)", "TIME", html)
    if kind == "virtuoso":
        html = re.sub(r"PT[0-9HMS.]+|[0-9]+\.0\b", "DURATION", html)
        html = html.replace("xsd:nonNegativeInteger", "xsd:integer")
    return html


def _graph(data: bytes) -> Graph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return Graph().parse(data=data, format="turtle")


def _comparable(kind: str, graph: Graph, outgoing_of: str | None = None) -> Graph:
    """The RDF of a page without what differs between the stores: import times;
    Virtuoso's durations, and the xsd:nonNegativeInteger datatype, which Virtuoso keeps
    and Oxigraph stores as xsd:integer. With ``outgoing_of``, only the statements
    about that resource and its hash IRIs (the rest is a sample of its links)."""
    out = Graph()
    for s, p, o in graph:
        if outgoing_of is not None and not str(s).startswith(outgoing_of):
            continue
        if p in (PROV.generatedAtTime, PROV.startedAtTime):
            o = Literal("TIME")
        if kind == "virtuoso" and p == SCHEMA.duration:
            continue
        if isinstance(o, Literal) and o.datatype == XSD.nonNegativeInteger:
            o = Literal(str(o), datatype=XSD.integer)
        out.add((s, p, o))
    return out


def _sampled(html: str) -> str | None:
    """The page without its "Linked from" table when that table is a sample (a resource
    with more incoming links than a page lists: which ones depends on the engine)."""
    if "Only the first" not in html:
        return None
    return re.sub(r'<h2 id="incoming">.*?</section>', "", html, flags=re.S)


def test_the_examples_mint_resources_of_every_kind() -> None:
    kinds = {path.split("/", 1)[0] for path in RESOURCES}
    assert {"meeting", "person", "org", "wp", "deliverable", "event", "graph"} <= kinds
    assert len(RESOURCES) > 100
    assert any("/mention/" in path for path in RESOURCES)


@pytest.mark.parametrize("path", ["/", *(f"/search?q={q}" for q in SEARCHES)])
def test_landing_and_search_pages_are_the_same(
    remote: tuple[str, TestClient], embedded: TestClient, path: str
) -> None:
    kind, client = remote
    theirs, ours = client.get(path, headers=HTML), embedded.get(path, headers=HTML)
    assert theirs.status_code == ours.status_code == 200
    assert 'rel="next"' not in ours.text  # one page: the same hits in the same order
    assert _normal(kind, theirs.text) == _normal(kind, ours.text)


def _all_hits(client: TestClient, text: str) -> list[str]:
    """The result rows of every page of a search, in the order the pages show them."""
    rows: list[str] = []
    for number in range(1, 50):
        page = client.get("/search", params={"q": text, "page": number}, headers=HTML).text
        rows += re.findall(r"<tr><td><a href=.*?</tr>", page, flags=re.S)
        if 'rel="next"' not in page:
            return rows
    raise AssertionError(f"a search for {text!r} has more than 50 pages")


@pytest.mark.parametrize("text", ["a", "e"])
def test_long_searches_find_the_same_hits(
    remote: tuple[str, TestClient], embedded: TestClient, text: str
) -> None:
    """Past one page, each engine pages in its own order (no ORDER BY, for speed), so
    the pages differ; together they hold the same hits, each once."""
    _kind, client = remote
    theirs, ours = _all_hits(client, text), _all_hits(embedded, text)
    assert len(ours) > 50
    assert sorted(theirs) == sorted(ours)
    assert len(set(ours)) == len(ours)


@pytest.mark.parametrize("path", RESOURCES)
def test_resource_pages_are_the_same(
    remote: tuple[str, TestClient], embedded: TestClient, path: str
) -> None:
    kind, client = remote
    url = f"/id/{path}"
    theirs, ours = client.get(url, headers=HTML), embedded.get(url, headers=HTML)
    assert theirs.status_code == ours.status_code == 200
    sampled = _sampled(ours.text)
    if sampled is None:
        assert _normal(kind, theirs.text) == _normal(kind, ours.text)
    else:
        assert _normal(kind, _sampled(theirs.text) or "") == _normal(kind, sampled)
    theirs, ours = client.get(url, headers=TURTLE), embedded.get(url, headers=TURTLE)
    assert theirs.status_code == ours.status_code == 200
    only = BASE + path if sampled else None
    assert to_isomorphic(_comparable(kind, _graph(theirs.content), only)) == to_isomorphic(
        _comparable(kind, _graph(ours.content), only)
    )


def test_an_unknown_iri_is_404_on_every_store(remote: tuple[str, TestClient]) -> None:
    _kind, client = remote
    assert client.get("/id/person/nobody-at-all", headers=HTML).status_code == 404


@pytest.mark.parametrize("path", ["meeting/2021-09-08-technical-coordination-meeting", "org/cern"])
def test_sparql11_forms_send_no_lateral_and_read_the_same(path: str) -> None:
    """Without a server: the SPARQL 1.1 forms, run on the embedded store, contain no
    LATERAL and give the same read models as the LATERAL forms."""
    sent: list[str] = []
    with KnowledgeGraph.demo() as kg:

        def spy(sparql: str, *, bindings: Mapping[str, Node] | None = None) -> QueryResult:
            sent.append(sparql)
            return kg.query(sparql, bindings=bindings)

        assert kg.lateral is True
        plain = views.page(spy, kg.minter, BASE + path, lateral=False)
        assert plain == views.page(kg.query, kg.minter, BASE + path)
        assert views.search(spy, "cern", lateral=False) == views.search(kg.query, "cern")
        assert views.overview(spy, lateral=False) == views.overview(kg.query)
    assert sent
    assert not [q for q in sent if re.search(r"\bLATERAL\b", q)]
