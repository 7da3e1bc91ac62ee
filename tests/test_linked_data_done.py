"""Issue 4's "Done when", checked in process: every person, meeting, work package, event and
deliverable IRI of the example resolves to Turtle and to a page, the registry documents
describe the store they are served from, the DCAT-AP catalogue has no violation, and the
pages carry FAIR signposting links."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.rdf.namespaces import EKG, SCHEMA
from escape_kg.registry import validate_catalog
from escape_kg.web.app import create_app

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "escape-tc-minutes.txt"
BASE = "https://w3id.org/escape-kg/id/"
SERVER = "http://testserver"
VOID = Namespace("http://rdfs.org/ns/void#")
# Not the default: proves the documents take the title from the settings. The "<" and "&"
# also check that the JSON-LD stays intact inside the landing page's <script>.
TITLE = "Minutes graph under test <v2> & co"
SETTINGS = Settings(
    title=TITLE,
    contact_email="kg@example.org",
    license="https://creativecommons.org/publicdomain/zero/1.0/",
)
BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
TURTLE = {"accept": "text/turtle"}
# The kinds the issue names; schema:Event also covers events of the reference vocabulary.
KINDS = "schema:Person ekg:Meeting ekg:WorkPackage schema:Event ekg:Deliverable"


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    graph = KnowledgeGraph.memory(SETTINGS)
    assert graph.ingest(EXAMPLE, date=dt.date(2021, 9, 8)).status == "imported"
    return graph


@pytest.fixture(scope="module")
def client(kg: KnowledgeGraph) -> Iterator[TestClient]:
    with TestClient(create_app(kg)) as c:  # runs the lifespan: queries go to workers
        yield c


def _resources(kg: KnowledgeGraph) -> list[tuple[str, str]]:
    """(IRI, class) of every resource of the kinds the issue names."""
    rows = kg.query(
        f"SELECT DISTINCT ?x ?c WHERE {{ VALUES ?c {{ {KINDS} }} ?x a ?c . "
        "FILTER(isIRI(?x)) } ORDER BY ?c ?x"
    ).rows()
    return [(str(x), str(c)) for x, c in rows]


def _count(kg: KnowledgeGraph, sparql: str) -> int:
    row = next(kg.query(sparql).rows())
    assert row[0] is not None
    return int(row[0].toPython())


def _path(iri: str) -> str:
    assert iri.startswith(BASE), f"{iri} is not under the base {BASE}"
    return "/id/" + iri[len(BASE) :]


def _links(header: str) -> dict[str, set[str]]:
    """rel -> the URLs a Link header gives for it."""
    found: dict[str, set[str]] = {}
    for part in header.split(", <"):
        url, _, params = part.lstrip("<").partition(">")
        rel = params.split('rel="', 1)[1].split('"', 1)[0]
        found.setdefault(rel, set()).add(url)
    return found


def _landing_jsonld(page: str) -> dict[str, object]:
    start = page.index('<script type="application/ld+json">')
    body = page[start:].split(">", 1)[1].split("</script>", 1)[0]
    data: dict[str, object] = json.loads(body)
    return data


def test_the_example_has_every_kind_of_resource(kg: KnowledgeGraph) -> None:
    kinds = {c for _iri, c in _resources(kg)}
    expected = {
        str(SCHEMA.Person),
        str(EKG.Meeting),
        str(EKG.WorkPackage),
        str(SCHEMA.Event),
        str(EKG.Deliverable),
    }
    assert kinds == expected


def test_every_iri_answers_turtle_about_itself(kg: KnowledgeGraph, client: TestClient) -> None:
    failures = []
    for iri, cls in _resources(kg):
        for path, headers in ((_path(iri), TURTLE), (_path(iri) + ".ttl", {})):
            r = client.get(path, headers=headers)
            if r.status_code != 200 or not r.headers["content-type"].startswith("text/turtle"):
                failures.append(f"{path} ({cls}): {r.status_code} {r.headers['content-type']}")
                continue
            graph = Graph().parse(data=r.text, format="turtle")
            if (URIRef(iri), None, None) not in graph:
                failures.append(f"{path} ({cls}): the Turtle has no triple about <{iri}>")
    assert failures == []


def test_every_iri_answers_a_page_to_browsers(kg: KnowledgeGraph, client: TestClient) -> None:
    failures = []
    for iri, cls in _resources(kg):
        r = client.get(_path(iri), headers=BROWSER)
        if r.status_code != 200 or not r.headers["content-type"].startswith("text/html"):
            failures.append(f"{iri} ({cls}): {r.status_code} {r.headers['content-type']}")
        elif f"<code>{iri}</code>" not in r.text or "<h1>" not in r.text:
            failures.append(f"{iri} ({cls}): the page does not show its heading and IRI")
    assert failures == []


def test_resource_pages_and_rdf_carry_signposting(kg: KnowledgeGraph, client: TestClient) -> None:
    failures = []
    for iri, _cls in _resources(kg):
        for headers in (BROWSER, TURTLE):
            r = client.get(_path(iri), headers=headers)
            links = _links(r.headers.get("link", ""))
            want = {
                "cite-as": {iri},
                "license": {SETTINGS.license},
                "describedby": {f"{SERVER}{_path(iri)}.ttl", f"{SERVER}{_path(iri)}.jsonld"},
            }
            for rel, urls in want.items():
                if not urls <= links.get(rel, set()):
                    failures.append(f"{iri} {headers['accept']}: rel={rel} lacks {urls}")
            if not any(t.startswith(str(SCHEMA)) for t in links.get("type", ())):
                failures.append(f"{iri} {headers['accept']}: no schema.org rel=type")
    assert failures == []


def test_a_describedby_link_leads_to_the_resources_turtle(client: TestClient) -> None:
    r = client.get("/id/wp/WP2", headers=BROWSER)
    (url,) = (u for u in _links(r.headers["link"])["describedby"] if u.endswith(".ttl"))
    data = client.get(url.removeprefix(SERVER))
    assert data.status_code == 200
    graph = Graph().parse(data=data.text, format="turtle")
    assert graph.value(URIRef(BASE + "wp/WP2"), SCHEMA.identifier) == Literal("WP2")


def test_landing_page_signposting_has_item_and_describedby(client: TestClient) -> None:
    r = client.get("/", headers=BROWSER)
    links = _links(r.headers["link"])
    assert links["cite-as"] == {SERVER + "/"}
    assert links["license"] == {SETTINGS.license}
    assert {SERVER + "/catalog", SERVER + "/.well-known/void"} <= links["describedby"]
    assert str(SCHEMA.Dataset) in links["type"]
    for item in links["item"]:
        head = client.head(item.removeprefix(SERVER))
        assert head.status_code == 200, item


def test_void_counts_equal_direct_queries(kg: KnowledgeGraph, client: TestClient) -> None:
    r = client.get("/.well-known/void", headers=TURTLE)
    assert r.status_code == 200
    void = Graph().parse(data=r.text, format="turtle")
    (ds,) = void.subjects(RDF.type, VOID.Dataset)

    def number(p: URIRef) -> int:
        value = void.value(ds, p)
        assert isinstance(value, Literal), p
        return int(value.toPython())

    assert number(VOID.triples) == _count(
        kg, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    )
    assert number(VOID.distinctSubjects) == _count(
        kg, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    )
    assert number(VOID.distinctObjects) == _count(
        kg, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    )
    assert number(VOID.entities) == _count(
        kg,
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } "
        f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE}")) }}',
    )
    partitions = {
        void.value(part, VOID["class"]): void.value(part, VOID.entities)
        for part in void.objects(ds, VOID.classPartition)
    }
    for cls in (SCHEMA.Person, EKG.Meeting, EKG.WorkPackage):
        direct = _count(
            kg, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a <{cls}> }} }}"
        )
        assert partitions[cls] == Literal(direct), cls
    assert void.value(ds, VOID.sparqlEndpoint) == URIRef(SERVER + "/sparql")
    assert void.value(ds, VOID.uriSpace) == Literal(BASE)


def test_the_dump_void_points_at_holds_what_void_counts(client: TestClient) -> None:
    void = Graph().parse(data=client.get("/.well-known/void").text, format="turtle")
    (ds,) = void.subjects(RDF.type, VOID.Dataset)
    dumps = {str(d) for d in void.objects(ds, VOID.dataDump)}
    assert SERVER + "/dump.trig" in dumps
    dump = client.get("/dump.trig")
    assert dump.status_code == 200
    quads = sum(1 for _ in ox.parse(dump.content, format=ox.RdfFormat.TRIG))
    assert Literal(quads) == void.value(ds, VOID.triples)


def test_catalog_describes_the_served_dataset(kg: KnowledgeGraph, client: TestClient) -> None:
    r = client.get("/catalog", headers=TURTLE)
    assert r.status_code == 200
    catalog = Graph().parse(data=r.text, format="turtle")
    (dataset,) = catalog.subjects(RDF.type, DCAT.Dataset)
    assert catalog.value(dataset, DCTERMS.title) == Literal(TITLE, lang="en")
    first, last = next(
        kg.query(
            "SELECT (MIN(?d) AS ?a) (MAX(?d) AS ?b) WHERE { ?m a ekg:Meeting ; dcterms:date ?d }"
        ).rows()
    )
    period = catalog.value(dataset, DCTERMS.temporal)
    assert period is not None
    assert catalog.value(period, DCAT.startDate) == first
    assert catalog.value(period, DCAT.endDate) == last
    downloads = {
        str(catalog.value(d, DCAT.downloadURL)) for d in catalog.objects(dataset, DCAT.distribution)
    }
    assert SERVER + "/dump.trig" in downloads
    (service,) = catalog.subjects(RDF.type, DCAT.DataService)
    assert catalog.value(service, DCAT.endpointURL) == URIRef(SERVER + "/sparql")
    assert catalog.value(service, DCAT.servesDataset) == dataset
    licences = set(catalog.objects(None, DCTERMS.license))
    assert licences == {URIRef(SETTINGS.license)}


def test_catalog_has_no_dcat_ap_violation(client: TestClient) -> None:
    catalog = Graph().parse(data=client.get("/catalog", headers=TURTLE).text, format="turtle")
    report = validate_catalog(catalog)
    assert report.violations == (), report.format_text()


def test_catalog_with_default_settings_has_no_dcat_ap_violation() -> None:
    # Out of the box (no contact email, no public URL) the catalogue may warn, never violate.
    kg = KnowledgeGraph.memory()
    assert kg.ingest(EXAMPLE, date=dt.date(2021, 9, 8)).status == "imported"
    text = TestClient(create_app(kg)).get("/catalog", headers=TURTLE).text
    report = validate_catalog(Graph().parse(data=text, format="turtle"))
    assert report.violations == (), report.format_text()


def test_landing_jsonld_describes_the_dataset(kg: KnowledgeGraph, client: TestClient) -> None:
    page = client.get("/", headers=BROWSER).text
    data = _landing_jsonld(page)
    assert data["@context"] == "https://schema.org/"
    assert data["@type"] == "Dataset"
    assert data["name"] == TITLE == SETTINGS.title
    assert data["license"] == SETTINGS.license
    first, last = next(
        kg.query(
            "SELECT (MIN(?d) AS ?a) (MAX(?d) AS ?b) WHERE { ?m a ekg:Meeting ; dcterms:date ?d }"
        ).rows()
    )
    assert data["temporalCoverage"] == f"{first}/{last}"
    void = Graph().parse(data=client.get("/.well-known/void").text, format="turtle")
    (ds,) = void.subjects(RDF.type, VOID.Dataset)
    assert data["@id"] == str(ds)  # one dataset IRI in every document
    distribution = data["distribution"]
    assert isinstance(distribution, list)
    urls = {d["contentUrl"] for d in distribution}
    assert urls == {str(u) for u in void.objects(ds, VOID.dataDump)}
    # The counts on the page are the store's, too.
    people = _count(kg, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a schema:Person }")
    assert f"<strong>{people}</strong> people" in page


def test_landing_signposting_uses_the_public_url() -> None:
    # Behind a proxy the request's own address is internal; harvesters must get the public one.
    public = "https://kg.example.org/"
    kg = KnowledgeGraph.memory(Settings(public_url=public))
    links = _links(TestClient(create_app(kg)).get("/", headers=BROWSER).headers["link"])
    assert links["cite-as"] == {public}
    assert links["describedby"] == {public + "catalog", public + ".well-known/void"}
    assert links["item"] == {public + "dump.trig", public + "dump.nq"}
