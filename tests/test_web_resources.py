"""Linked data on the web: every IRI resolves (HTML or RDF), pages, escaping, the ontology."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from escape_kg import describe as describe_module
from escape_kg import finding, listings
from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.errors import QueryTimeoutError
from escape_kg.rdf.namespaces import EKG, OA, ORG, SCHEMA
from escape_kg.views import Bar, Highlight, Link
from escape_kg.web import resources as resources_module
from escape_kg.web.app import create_app
from escape_kg.web.budget import PageBudget
from escape_kg.web.render import Linker, chart, minutes_lines

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "escape-tc-minutes.txt"
BASE = "https://w3id.org/escape-kg/id/"
MEETING = "meeting/2021-09-08-technical-coordination-meeting"
JULIE = URIRef(BASE + "person/julie-chaudan")
ITEM1 = URIRef(f"{BASE}{MEETING}/item/1")
CERN = URIRef(BASE + "org/cern")
BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


def _kg(settings: Settings | None = None) -> KnowledgeGraph:
    kg = KnowledgeGraph.memory(settings)
    outcome = kg.ingest(EXAMPLE, date=dt.date(2021, 9, 8))
    assert outcome.status == "imported"
    return kg


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(_kg()))


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser.tags


def _parse(data: bytes, fmt: str) -> Graph:
    with warnings.catch_warnings():
        # rdflib's own JSON-LD parser trips its ConjunctiveGraph deprecation warning
        warnings.simplefilter("ignore", DeprecationWarning)
        return Graph().parse(data=data, format=fmt)


def _varies(vary: str) -> bool:
    return "accept" in {v.strip().lower() for v in vary.split(",")}


def _links(header: str) -> set[tuple[str, str]]:
    """(url, rel) pairs of a Link header."""
    found = set()
    for part in header.split(", <"):
        url, _, params = part.lstrip("<").partition(">")
        rel = params.split('rel="', 1)[1].split('"', 1)[0]
        found.add((url, rel))
    return found


# -- pages ----------------------------------------------------------------------


def test_landing_page_counts_search_and_links(client: TestClient) -> None:
    r = client.get("/", headers=BROWSER)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "<strong>1</strong> meetings" in page
    # The count is the store's own, whatever the extractor finds in the example.
    kg = _kg()
    mentions = kg.store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?m a <{EKG.Mention}> }} }}"
    )
    ((count,),) = mentions.rows()
    assert f"<strong>{count}</strong> mentions" in page
    assert f'href="/id/{MEETING}"' in page  # recent meetings
    hrefs = {a.get("href") for tag, a in _tags(page) if tag == "a"}
    assert {"/sparql", "/queries", "/catalog", "/.well-known/void"} <= hrefs
    assert any(tag == "form" and a.get("action") == "/search" for tag, a in _tags(page))
    links = _links(r.headers["link"])
    assert ("http://testserver/dump.trig", "item") in links
    assert ("https://creativecommons.org/licenses/by/4.0/", "license") in links
    assert ("http://testserver/", "cite-as") in links


def test_landing_page_embeds_schemaorg_dataset(client: TestClient) -> None:
    page = client.get("/", headers=BROWSER).text
    start = page.index('<script type="application/ld+json">')
    body = page[start:].split(">", 1)[1].split("</script>", 1)[0]
    data = json.loads(body)
    assert data["@type"] == "Dataset"
    assert data["name"] and data["license"]
    assert any("sparql" in str(d).lower() or "trig" in str(d).lower() for d in data["distribution"])


def test_search_is_case_insensitive_and_binds_the_text(client: TestClient) -> None:
    page = client.get("/search", params={"q": "CHAUDAN"}).text
    assert '<a href="/id/person/julie-chaudan">Julie Chaudan</a>' in page
    # Quote characters cannot break out of the query: they are searched for, literally.
    hostile = client.get("/search", params={"q": '") } } SELECT * { ?s ?p ?o } #'})
    assert hostile.status_code == 200
    assert "0 results" in hostile.text


def test_person_page_shows_affiliation_items_and_mentions(client: TestClient) -> None:
    r = client.get("/id/person/julie-chaudan", headers=BROWSER)
    assert r.status_code == 200
    page = r.text
    assert "LAPP IN2P3 / CNRS" in page  # the affiliation as stated
    assert f'<a href="/id/{MEETING}/item/1">Introduction</a>' in page
    assert f'href="/id/{MEETING}#L39"' in page  # the mention's minutes line
    assert "<mark>Julie CHAUDAN</mark>" in page


def test_work_package_and_organisation_pages_have_a_chart(client: TestClient) -> None:
    for path in ("/id/wp/WP2", "/id/org/lapp"):
        page = client.get(path, headers=BROWSER).text
        tags = [t for t, _a in _tags(page)]
        assert "svg" in tags and "rect" in tags, path
    assert "Data Infrastructure for Open Science" in client.get("/id/wp/WP2").text


def test_event_and_deliverable_pages(client: TestClient) -> None:
    event = client.get("/id/event/dac21", headers=BROWSER)
    assert event.status_code == 200 and "DAC21" in event.text
    assert 'id="mentions"' in event.text
    deliverable = client.get("/id/deliverable/D5.3", headers=BROWSER)
    assert deliverable.status_code == 200
    assert "Performance assessment of initial science platform prototype" in deliverable.text


def test_meeting_page_agenda_and_highlighted_minutes(client: TestClient) -> None:
    page = client.get(f"/id/{MEETING}", headers=BROWSER).text
    assert "10:00–10:10" in page
    assert '<a href="/id/person/ian-bird">Ian Bird</a>' in page  # speaker, linked
    assert 'id="item-3.1"' in page  # nested round-table item
    assert 'id="L39"' in page
    mention = '<a class="mention" href="/id/person/julie-chaudan" title="Julie Chaudan">'
    assert mention + "Julie CHAUDAN</a>" in page
    assert "Passcode: 115510" not in page  # only the redacted text is kept


def test_other_resources_get_a_property_table(client: TestClient) -> None:
    r = client.get(f"/id/{MEETING}/mention/859-872", headers=BROWSER)
    assert r.status_code == 200
    assert '<table class="props">' in r.text
    assert 'href="/id/person/julie-chaudan"' in r.text  # oa:hasBody, linked
    assert "Julie CHAUDAN" in r.text  # the quote selector is served with the mention


# -- RDF --------------------------------------------------------------------------


@pytest.mark.parametrize("media", RDF_FORMATS)
def test_rdf_by_accept_holds_outgoing_incoming_labels_and_graphs(
    client: TestClient, media: str
) -> None:
    r = client.get("/id/person/julie-chaudan", headers={"accept": media})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(media)
    assert _varies(r.headers["vary"])
    g = _parse(r.content, RDF_FORMATS[media])
    assert (JULIE, SCHEMA.name, Literal("Julie Chaudan")) in g
    assert (ITEM1, SCHEMA.performer, JULIE) in g  # incoming
    assert (ITEM1, SCHEMA.name, Literal("Introduction")) in g  # label of a linked resource
    graph = URIRef(f"{BASE}graph/2021-09-08-technical-coordination-meeting")
    assert (JULIE, EKG.describedIn, graph) in g


@pytest.mark.parametrize(
    ("suffix", "media", "fmt"),
    [
        (".ttl", "text/turtle", "turtle"),
        (".nt", "application/n-triples", "nt"),
        (".jsonld", "application/ld+json", "json-ld"),
        (".rdf", "application/rdf+xml", "xml"),
    ],
)
def test_rdf_by_suffix(client: TestClient, suffix: str, media: str, fmt: str) -> None:
    r = client.get(f"/id/person/julie-chaudan{suffix}", headers=BROWSER)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(media)
    assert r.headers["content-location"] == f"/id/person/julie-chaudan{suffix}"
    g = _parse(r.content, fmt)
    assert (JULIE, RDF.type, SCHEMA.Person) in g


def test_accept_q_values_decide(client: TestClient) -> None:
    accept = "text/html;q=0.2, text/turtle;q=0.5, application/ld+json;q=0.9"
    r = client.get("/id/person/julie-chaudan", headers={"accept": accept})
    assert r.headers["content-type"].startswith("application/ld+json")
    assert r.headers["content-location"] == "/id/person/julie-chaudan.jsonld"
    html = client.get("/id/person/julie-chaudan", headers=BROWSER)
    assert html.headers["content-type"].startswith("text/html")
    assert _varies(html.headers["vary"])
    assert (
        client.get("/id/person/julie-chaudan", headers={"accept": "image/png"}).status_code == 406
    )


def test_a_key_with_a_dot_is_not_a_suffix(client: TestClient) -> None:
    r = client.get("/id/deliverable/D5.3", headers={"accept": "text/turtle"})
    g = Graph().parse(data=r.content, format="turtle")
    assert (URIRef(BASE + "deliverable/D5.3"), RDF.type, EKG.Deliverable) in g


def test_mention_description_includes_its_hash_resources(client: TestClient) -> None:
    r = client.get(f"/id/{MEETING}/mention/859-872.ttl")
    g = Graph().parse(data=r.content, format="turtle")
    quote = URIRef(f"{BASE}{MEETING}/mention/859-872#quote")
    assert (quote, OA.exact, Literal("Julie CHAUDAN")) in g


def test_incoming_links_are_bounded_and_say_so(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(describe_module, "INCOMING_LIMIT", 2)
    g = Graph().parse(data=client.get("/id/org/cern.ttl").content, format="turtle")
    assert len(set(g.subject_predicates(URIRef(BASE + "org/cern")))) == 2
    page = client.get("/id/org/cern", headers=BROWSER).text
    assert "Only the first" in page and "incoming links are listed" in page


def test_head_answers_headers_only(client: TestClient) -> None:
    r = client.head("/id/person/julie-chaudan", headers={"accept": "text/turtle"})
    assert r.status_code == 200
    assert r.content == b""
    assert int(r.headers["content-length"]) > 0


def test_signposting_on_resource_pages(client: TestClient) -> None:
    r = client.get("/id/person/julie-chaudan", headers=BROWSER)
    links = _links(r.headers["link"])
    assert (str(JULIE), "cite-as") in links
    assert ("http://testserver/id/person/julie-chaudan.ttl", "describedby") in links
    assert ("http://schema.org/Person", "type") in links
    assert ("https://creativecommons.org/licenses/by/4.0/", "license") in links
    assert 'type="text/turtle"' in r.headers["link"]


# -- not found, other bases ----------------------------------------------------------


def test_unknown_iri_is_404_json_with_a_hint(client: TestClient) -> None:
    r = client.get("/id/person/nobody-here", headers={"accept": "text/turtle"})
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["status"] == 404
    assert BASE + "person/nobody-here" in error["detail"]
    assert "/search?q=nobody%20here" in error["hint"]


def test_unknown_iri_is_404_page_with_a_search_link(client: TestClient) -> None:
    r = client.get("/id/person/nobody-here", headers=BROWSER)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert '<a href="/search?q=nobody%20here">' in r.text


def test_default_base_is_also_served_at_its_own_path(client: TestClient) -> None:
    r = client.get("/escape-kg/id/person/julie-chaudan.ttl")
    assert r.status_code == 200
    assert (JULIE, SCHEMA.name, Literal("Julie Chaudan")) in Graph().parse(
        data=r.content, format="turtle"
    )


def test_a_custom_base_serves_its_own_iris() -> None:
    base = "https://kg.example.org/id/"
    kg = _kg(Settings(base=base))
    client = TestClient(create_app(kg), base_url="https://kg.example.org")
    r = client.get("/id/person/julie-chaudan", headers={"accept": "text/turtle"})
    g = Graph().parse(data=r.content, format="turtle")
    assert (URIRef(base + "person/julie-chaudan"), RDF.type, SCHEMA.Person) in g
    assert (JULIE, None, None) not in g
    assert client.get("/escape-kg/id/person/julie-chaudan").status_code == 404


def test_a_base_at_another_path_links_by_host() -> None:
    base = "https://kg.example.org/kg/"
    kg = _kg(Settings(base=base))
    app = create_app(kg)
    own = TestClient(app, base_url="https://kg.example.org")
    page = own.get("/kg/person/julie-chaudan", headers=BROWSER)
    assert page.status_code == 200
    assert f'href="/kg/{MEETING}/item/1"' in page.text  # on the base's host, links are the IRIs
    other = TestClient(app).get("/id/person/julie-chaudan", headers=BROWSER)
    assert f'href="/id/{MEETING}/item/1"' in other.text


def test_a_base_at_the_host_root_serves_each_segment() -> None:
    kg = _kg(Settings(base="https://kg.example.org/"))
    client = TestClient(create_app(kg))
    r = client.get("/person/julie-chaudan.nt")
    assert r.status_code == 200
    g = Graph().parse(data=r.content, format="nt")
    assert (URIRef("https://kg.example.org/person/julie-chaudan"), RDF.type, SCHEMA.Person) in g
    assert client.get(f"/{MEETING}", headers=BROWSER).status_code == 200


# -- escaping -------------------------------------------------------------------------

HOSTILE = """Hostile <script>alert(1)</script> Meeting


    • 10:00 10:10
      Introduction <script>alert(1)</script> 10m
      Orateurs: Eve <script>alert(1)</script> Li (LAPP), Mo "onmouseover="alert(1) Wu (CERN)
      1. note <script>alert(1)</script> about WP2 and "onmouseover="alert(1) for CERN
    • 10:10 10:20
      AOB 10m
"""


def test_text_from_minutes_is_inert(tmp_path: Path) -> None:
    source = tmp_path / "hostile.txt"
    source.write_text(HOSTILE, encoding="utf-8")
    kg = KnowledgeGraph.memory()
    assert kg.ingest(source, date=dt.date(2022, 1, 5)).status == "imported"
    people = {
        str(p)
        for p, n in kg.query("SELECT ?p ?n WHERE { ?p a schema:Person ; schema:name ?n }").rows()
        if "<" in str(n) or '"' in str(n)
    }
    assert len(people) == 2  # the hostile names really are in the graph
    meeting = next(
        str(m)
        for (m,) in kg.query("SELECT ?m WHERE { ?m a ekg:Meeting }").rows()
        if str(m).startswith(BASE)
    )
    client = TestClient(create_app(kg))
    paths = [
        "/",
        "/search?q=alert",
        "/search?q=%3Cscript%3E",
        meeting.replace(BASE, "/id/"),
        meeting.replace(BASE, "/id/") + "/item/1",
        *(p.replace(BASE, "/id/") for p in people),
    ]
    for path in paths:
        r = client.get(path, headers=BROWSER)
        assert r.status_code == 200, path
        tags = _tags(r.text)
        # The only script allowed is the landing page's inert JSON-LD data block.
        assert all(tag != "script" or a.get("type") == "application/ld+json" for tag, a in tags), (
            path
        )
        assert all("onmouseover" not in attrs for _t, attrs in tags), path
        assert "alert(1)" in r.text or path.startswith("/search"), path  # shown, as text


# -- the ontology --------------------------------------------------------------------------


def test_ontology_page_documents_each_term(client: TestClient) -> None:
    r = client.get("/ontology", headers=BROWSER)
    assert r.status_code == 200
    page = r.text
    assert 'id="Meeting"' in page and "ekg:Meeting" in page
    onto = Graph().parse(data=client.get("/ontology.ttl").content, format="turtle")
    comment = str(onto.value(EKG.Meeting, RDFS.comment))
    assert comment in page
    assert 'id="describedIn"' in page
    assert 'href="http://schema.org/Event"' in page  # its superclass


def test_ontology_turtle_by_accept(client: TestClient) -> None:
    r = client.get("/ontology", headers={"accept": "text/turtle"})
    assert r.headers["content-type"].startswith("text/turtle")
    assert _varies(r.headers["vary"])
    g = Graph().parse(data=r.content, format="turtle")
    assert (EKG.Meeting, RDF.type, OWL.Class) in g
    assert (EKG.describedIn, RDFS.label, Literal("described in", lang="en")) in g


def test_ontology_links_from_resource_pages(client: TestClient) -> None:
    page = client.get(f"/id/{MEETING}", headers=BROWSER).text
    assert 'href="/ontology#Meeting"' in page


# -- rendering helpers --------------------------------------------------------------------


def _mark(start: int, end: int, name: str) -> Highlight:
    iri = URIRef(BASE + "person/" + name)
    return Highlight(start, end, URIRef(f"{BASE}m/{start}"), Link(iri, name))


def test_minutes_lines_slice_at_offsets_and_skip_overlaps() -> None:
    text = "ab cd\nef gh"
    lines = minutes_lines(
        text, [_mark(3, 5, "x"), _mark(4, 8, "y"), _mark(9, 11, "z")], Linker(BASE)
    )
    assert [ln.number for ln in lines] == [1, 2]
    first, second = lines
    assert [(s.text, s.href) for s in first.segments] == [
        ("ab ", None),
        ("cd", "/id/person/x"),
    ]
    assert [(s.text, s.href) for s in second.segments] == [("ef ", None), ("gh", "/id/person/z")]
    assert "".join(s.text for ln in lines for s in ln.segments) == text.replace("\n", "")


def test_chart_scales_bars_to_the_peak() -> None:
    meeting = Link(URIRef(BASE + "meeting/m"), "M")
    drawn = chart([Bar(meeting, "2021-01-01", 2), Bar(meeting, "2021-02-01", 4)], Linker(BASE))
    assert drawn is not None
    heights = [b["h"] for b in drawn.bars]
    assert heights == [50, 100]
    assert chart([], Linker(BASE)) is None


def test_org_membership_resolves(client: TestClient) -> None:
    path = f"/id/{MEETING}/membership/julie-chaudan/lapp.ttl"
    g = Graph().parse(data=client.get(path).content, format="turtle")
    membership = URIRef(f"{BASE}{MEETING}/membership/julie-chaudan/lapp")
    assert (membership, ORG.member, JULIE) in g


# -- bounded pages: lists in pages, search pages, a time budget ------------------------


def _hrefs(page: str, cls: str) -> list[str]:
    """The href of every <a class="{cls}"> of a page."""
    return [a.get("href") or "" for tag, a in _tags(page) if tag == "a" and a.get("class") == cls]


def test_entity_lists_are_paged_and_every_row_is_reachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kg = _kg()
    client = TestClient(create_app(kg))
    monkeypatch.setattr(listings, "LIST_LIMIT", 1)
    rows = kg.store.query(
        "SELECT ?x ?m WHERE { ?m <http://www.w3.org/ns/oa#hasBody> ?x }",
        substitutions={"x": CERN},
    ).rows()
    expected = {f"/id/{str(m)[len(BASE) :]}" for _x, m in rows}
    assert len(expected) > 1  # so that the list needs more than one page
    seen: list[str] = []
    url: str | None = "/id/org/cern"
    while url is not None:
        page = client.get(url, headers=BROWSER).text
        found = [h for h in _hrefs(page, "small") if "/mention/" in h]
        assert len(found) == 1
        seen += found
        nexts = [a.get("href") for t, a in _tags(page) if t == "a" and a.get("rel") == "next"]
        mention_next = [h for h in nexts if h and h.endswith("#mentions")]
        url = mention_next[0].split("#")[0] if mention_next else None
    assert sorted(seen) == sorted(expected)  # each mention once, none left out
    first = client.get("/id/org/cern", headers=BROWSER).text
    assert f"Mentions 1–1 of {len(expected)}, newest first." in first


def test_a_page_past_the_end_says_where_the_rows_are(monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(create_app(_kg()))
    monkeypatch.setattr(listings, "LIST_LIMIT", 1)
    page = client.get("/id/org/cern?page=999", headers=BROWSER)
    assert page.status_code == 200
    assert "mentions are on earlier pages" in page.text
    assert client.get("/id/org/cern?page=abc", headers=BROWSER).status_code == 200


def _hits(page: str) -> set[str]:
    """The resources a search page lists (its table also links to their types)."""
    rows = page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""
    links = {a.get("href") or "" for t, a in _tags(rows) if t == "a"}
    return {h for h in links if h.startswith("/id/")}


def test_search_pages_do_not_overlap_and_cover_every_hit(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(finding, "SEARCH_LIMIT", 10_000)
    everything = _hits(client.get("/search?q=a").text)
    assert len(everything) > 60
    monkeypatch.setattr(finding, "SEARCH_LIMIT", 20)
    pages: list[set[str]] = []
    for number in range(1, len(everything)):
        page = client.get(f"/search?q=a&page={number}").text
        pages.append(_hits(page))
        if 'rel="next"' not in page:
            break
    assert all(0 < len(p) <= 20 for p in pages)
    assert sum(len(p) for p in pages) == len(everything)  # no hit on two pages...
    assert set().union(*pages) == everything  # ...and none left out


def test_a_page_budget_refuses_queries_once_spent() -> None:
    now = [0.0]
    calls: list[str] = []

    def run(sparql: str, **_: object) -> object:
        calls.append(sparql)
        return None

    budget = PageBudget(run, 2.0, clock=lambda: now[0])  # type: ignore[arg-type]
    budget("ASK {}")
    now[0] = 2.5
    with pytest.raises(QueryTimeoutError, match="longer than 2 s"):
        budget("ASK {}")
    assert calls == ["ASK {}"]


def test_a_page_over_its_time_budget_answers_503(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resources_module, "PAGE_SECONDS", 1e-9)
    r = client.get("/id/person/julie-chaudan", headers={"accept": "application/json"})
    assert r.status_code == 503
    assert "longer than" in r.text
