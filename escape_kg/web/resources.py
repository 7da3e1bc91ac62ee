"""Linked-data routes: every minted IRI resolves (HTML or RDF); landing, search, ontology pages.

Design choices (the README's "Linked data" section says the same):

- Direct answers, not 303 redirects: ``GET <IRI>`` answers 200 with the
  representation the client asked for, ``Content-Location`` naming the
  variant's own URL (``….ttl``, ``….html``) and ``Vary: Accept``. One round
  trip, and harvesters that do not follow redirects still get data; the IRI
  denotes the thing, the Content-Location the document about it.
- Base mapping: the IRI ``{base}{path}`` is served at ``/id/{path}`` on any
  server, and also at the base's own path (``/escape-kg/id/{path}`` for the
  default base), so a deployment on the base's host serves its IRIs as they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from escape_kg.api import KnowledgeGraph
from escape_kg.describe import INCOMING_LIMIT, Description
from escape_kg.flight import SingleFlight
from escape_kg.model import Kind
from escape_kg.rdf.namespaces import EKG, ORG, SCHEMA
from escape_kg.registry import DUMPS
from escape_kg.serving import overview_view, resource_view, search_view
from escape_kg.views import CHART_LIMIT, Overview, Page
from escape_kg.web.budget import PageBudget
from escape_kg.web.cache import ResponseCache, make_key
from escape_kg.web.errors import WebError, error_response
from escape_kg.web.negotiation import GRAPH_MEDIA, HTML, choose
from escape_kg.web.render import ID_PREFIX, Linker, chart, minutes_lines, render

__all__ = ["DEFAULT_LICENSE", "RDF_SUFFIXES", "resources_router"]

# Pages and Link headers name the licence in Settings; this one when it is empty.
DEFAULT_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
HTML_MEDIA = "text/html; charset=utf-8"
# Read in the server (no query workers), a resource page stops at its next query after
# this long (or the SPARQL time limit, when shorter): measured pages take well under a
# second at 2,000 meetings. In the workers, the time limit stops it.
PAGE_SECONDS = 5.0
# Suffix -> format name (negotiation.GRAPH_MEDIA) or "html".
RDF_SUFFIXES: dict[str, str] = {
    ".ttl": "turtle",
    ".jsonld": "jsonld",
    ".nt": "ntriples",
    ".rdf": "rdfxml",
    ".html": "html",
}
_SUFFIX_OF = {fmt: suffix for suffix, fmt in RDF_SUFFIXES.items()}
_RDFLIB_FORMAT = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt", "rdfxml": "xml"}
_OFFERS = {"html": HTML, **GRAPH_MEDIA}
_FORMAT_NAMES = {
    "turtle": "Turtle",
    "jsonld": "JSON-LD",
    "ntriples": "N-Triples",
    "rdfxml": "RDF/XML",
}
# The first path segments the Minter uses, for a base at the root of its host.
_SEGMENTS = (*(k.value for k in Kind), "meeting", "graph")
# Our classes -> the schema.org type a harvester understands (signposting rel="type").
_SCHEMA_TYPE = {
    EKG.Meeting: SCHEMA.Event,
    EKG.AgendaItem: SCHEMA.Event,
    EKG.Minutes: SCHEMA.DigitalDocument,
    EKG.WorkPackage: SCHEMA.Project,
    EKG.Deliverable: SCHEMA.CreativeWork,
    EKG.Service: SCHEMA.Service,
    ORG.Organization: SCHEMA.Organization,
    ORG.OrganizationalUnit: SCHEMA.Organization,
    ORG.Membership: SCHEMA.OrganizationRole,
}
JsonLdHook = Callable[[str], Mapping[str, object]]
# A built resource page: media type, body, and the headers that go with it.
Built = tuple[str, bytes, tuple[tuple[str, str], ...]]


class _NotCachedError(Exception):
    """Carries an answer that must not be cached (a 404) out of the cache's compute."""

    def __init__(self, response: Response) -> None:
        super().__init__("not cached")
        self.response = response


def _respond(
    request: Request, body: str | bytes, media: str, headers: Mapping[str, str] | None = None
) -> Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    extra = {"Vary": "Accept", **(headers or {})}
    if request.method == "HEAD":
        extra["content-length"] = str(len(data))
        data = b""
    return Response(data, media_type=media, headers=extra)


def _link_header(links: list[tuple[str, str, str | None]]) -> str:
    parts = []
    for url, rel, media in links:
        typed = f'; type="{media}"' if media else ""
        parts.append(f'<{url}>; rel="{rel}"{typed}')
    return ", ".join(parts)


def _schema_types(types: tuple[URIRef, ...]) -> list[str]:
    found = {str(t) for t in types if str(t).startswith(str(SCHEMA))}
    found |= {str(_SCHEMA_TYPE[t]) for t in types if t in _SCHEMA_TYPE}
    return sorted(found) or [str(SCHEMA.Thing)]


def _script_json(data: Mapping[str, object]) -> str:
    """JSON safe inside <script>: nothing in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def resources_router(
    kg: KnowledgeGraph,
    *,
    dataset_jsonld: JsonLdHook | None = None,
    cache: ResponseCache | None = None,
) -> APIRouter:
    """Routes for / (landing), /search, /ontology and every IRI under ``kg.settings.base``.

    ``dataset_jsonld(landing_url)``, when given, supplies the schema.org Dataset
    that the landing page embeds as JSON-LD. With a ``cache``, resource pages are
    kept in it until the data changes (with ETags), as query answers are, and
    requests for a page that is being built wait for that build.
    """
    settings = kg.settings
    base = kg.minter.base
    license_url = settings.license or DEFAULT_LICENSE
    router = APIRouter()

    def linker(request: Request) -> Linker:
        return Linker(base, request.scope.get("root_path", ""), request.url.hostname)

    def absolute(request: Request, path: str) -> str:
        return f"{str(request.base_url).rstrip('/')}{path}"

    overview_cache: dict[str, Overview] = {}
    jsonld_cache: dict[tuple[str, str], str] = {}

    def budget() -> PageBudget:
        # Pages read the store in the query workers, which the time limit stops. Without
        # workers (a remote store, or none configured) they read here, and the budget
        # stops a page that has used up the SPARQL time limit at its next query.
        return PageBudget(kg.query, min(PAGE_SECONDS, settings.query_timeout or PAGE_SECONDS))

    def context(request: Request, **values: object) -> dict[str, object]:
        ln = linker(request)
        return {"root": ln.root, "link": ln, "license": license_url, **values}

    # -- landing and search ------------------------------------------------

    @router.api_route("/", methods=["GET", "HEAD"], response_model=None, name="landing")
    def landing(request: Request) -> Response:
        # The counts read every meeting's and mention's type (a few hundred ms at 2,000
        # meetings): computed once per state of the data, as the response cache does.
        tag = kg.data_version.tag
        info = overview_cache.get(tag)
        if info is None:
            info = kg.run_view(overview_view, kg.lateral, query=budget())
            overview_cache.clear()
            overview_cache[tag] = info
        home = absolute(request, "/")
        # The Dataset's dates and meeting count are index reads (tens of ms at 2,000
        # meetings; it uses none of the whole-store counts): kept until the data changes.
        jsonld = None
        if dataset_jsonld is not None:
            jsonld = jsonld_cache.get((tag, home))
            if jsonld is None:
                jsonld = _script_json(dataset_jsonld(home))
                jsonld_cache.clear()
                jsonld_cache[(tag, home)] = jsonld
        # The same public URLs as the JSON-LD and /catalog (ESCAPE_KG_PUBLIC_URL when set),
        # so a harvester behind a proxy is not sent to the server's internal address.
        urls = kg.registry_urls(home)
        links = [
            (urls.landing, "cite-as", None),
            (urls.catalog, "describedby", "text/turtle"),
            (urls.void, "describedby", "text/turtle"),
            *((urls.dump(d), "item", d.media_type) for d in DUMPS),
            (license_url, "license", None),
            (str(SCHEMA.Dataset), "type", None),
            (str(SCHEMA.AboutPage), "type", None),
        ]
        page = render("landing.html", **context(request, info=info, jsonld=jsonld))
        return _respond(request, page, HTML_MEDIA, {"Link": _link_header(links)})

    @router.api_route("/search", methods=["GET", "HEAD"], response_model=None, name="search")
    def search(request: Request, q: str = "", page: int = 1) -> Response:
        text = q.strip()[:200]
        number = min(max(1, page), 10_000)
        hits, more = (
            kg.run_view(search_view, text, number, kg.lateral, query=budget())
            if text
            else ([], False)
        )
        values = context(request, q=text, hits=hits, more=more, number=number)
        page_html = render("search.html", **values)
        return _respond(request, page_html, HTML_MEDIA)
        return _respond(request, page, HTML_MEDIA)

    @router.api_route("/assets/site.css", methods=["GET", "HEAD"], response_model=None)
    def stylesheet(request: Request) -> Response:
        return _respond(request, _asset("site.css"), "text/css; charset=utf-8")

    # -- the ontology at its namespace ---------------------------------------

    def ontology(request: Request, fmt: str | None) -> Response:
        graph, turtle = kg.ontology()
        chosen = fmt or choose(request.headers.get("accept"), _OFFERS)
        if chosen is None:
            raise _not_acceptable()
        location = f"/ontology{_SUFFIX_OF[chosen]}"
        headers = {"Content-Location": location}
        if chosen == "turtle":
            return _respond(request, turtle, "text/turtle; charset=utf-8", headers)
        if chosen != "html":
            data = graph.serialize(format=_RDFLIB_FORMAT[chosen], encoding="utf-8")
            return _respond(request, data, GRAPH_MEDIA[chosen], headers)
        terms = _ontology_terms(graph)
        page = render("ontology.html", **context(request, **terms))
        return _respond(request, page, HTML_MEDIA, headers)

    @router.api_route("/ontology", methods=["GET", "HEAD"], response_model=None)
    def ontology_negotiated(request: Request) -> Response:
        return ontology(request, None)

    for suffix, fmt in RDF_SUFFIXES.items():

        def ontology_file(request: Request, fmt: str = fmt) -> Response:
            return ontology(request, fmt)

        router.add_api_route(
            f"/ontology{suffix}", ontology_file, methods=["GET", "HEAD"], response_model=None
        )

    # -- every IRI under the base --------------------------------------------

    flights: SingleFlight[Built | None] = SingleFlight()

    def build(request: Request, iri_prefix: str, rest: str, chosen: str | None) -> Built | None:
        """The page of ``{iri_prefix}{rest}`` in format ``chosen`` (None: as the suffix
        says, else what Accept asks for), or None when the store knows nothing of it.

        Its queries run in a query worker, which the time limit really stops, while
        this process only renders; without workers they run here under a budget."""
        view = kg.run_view(
            resource_view,
            base,
            iri_prefix + rest,
            chosen,
            _page_number(request),
            kg.lateral,
            tuple(RDF_SUFFIXES.items()),
            tuple(_RDFLIB_FORMAT.items()),
            query=budget(),
        )
        if view.fmt is None:
            raise _not_acceptable()
        if view.description is None:
            return None
        ln = linker(request)
        doc = ln.href(view.iri)
        links = _signposts(request, view.description, doc, license_url, absolute)
        headers = (("Content-Location", doc + _SUFFIX_OF[view.fmt]), ("Link", links))
        if view.page is None:
            return GRAPH_MEDIA[view.fmt], view.data, headers
        html = _resource_page(request, view.page, ln, context(request))
        return HTML_MEDIA, html.encode("utf-8"), headers

    async def resolve(request: Request, iri_prefix: str, rest: str) -> Response:
        rest = quote(rest, safe="/-._~")  # minted IRIs percent-encode like this
        chosen = choose(request.headers.get("accept"), _OFFERS)
        # Everything the page depends on besides the data: the IRI, the format asked
        # for, the ?page= of a list, and the addresses its links are written with.
        key = make_key(
            "resource",
            iri_prefix + rest,
            chosen,
            _page_number(request),
            str(request.base_url),
            request.scope.get("root_path", ""),
            request.url.hostname,
        )
        version = kg.data_version

        async def compute() -> Built:
            built = await run_in_threadpool(
                flights.run, (version.tag, key), lambda: build(request, iri_prefix, rest, chosen)
            )
            if built is None:
                ln = linker(request)
                raise _NotCachedError(_not_found(request, iri_prefix + rest, rest, ln, license_url))
            return built

        if cache is None:
            try:
                media, body, headers = await compute()
            except _NotCachedError as passed:
                return passed.response
            return _respond(request, body, media, dict(headers))
        try:
            return await cache.answer(request, key, version, compute)
        except _NotCachedError as passed:
            return passed.response

    mounts = [(ID_PREFIX, base)]
    own = urlsplit(base).path or "/"
    if not base.endswith("#") and own != ID_PREFIX:
        if own == "/":
            mounts += [(f"/{seg}/", f"{base}{seg}/") for seg in _SEGMENTS]
        else:
            mounts.append((own, base))
    for url_prefix, iri_prefix in mounts:

        async def resource(request: Request, rest: str, iri_prefix: str = iri_prefix) -> Response:
            return await resolve(request, iri_prefix, rest)

        router.add_api_route(
            url_prefix + "{rest:path}", resource, methods=["GET", "HEAD"], response_model=None
        )
    return router


def _page_number(request: Request) -> int:
    """?page=N of an entity page (1 when absent or not a positive number)."""
    raw = request.query_params.get("page", "1")
    return min(int(raw), 100_000) if raw.isdigit() and int(raw) > 0 else 1


@cache
def _asset(name: str) -> str:
    return resources.files("escape_kg.web").joinpath("static", name).read_text(encoding="utf-8")


def _not_acceptable() -> WebError:
    return WebError(
        406,
        "this resource is available as HTML, Turtle, N-Triples, JSON-LD and RDF/XML only",
        hint="send Accept: " + ", ".join(_OFFERS.values()) + " (or use a .ttl/.nt/.jsonld/.rdf "
        "suffix)",
    )


def _not_found(request: Request, iri: str, rest: str, ln: Linker, license_url: str) -> Response:
    words = rest.rstrip("/").rsplit("/", 1)[-1].replace("-", " ")
    search = f"{ln.root}/search?q={quote(words)}"
    detail = f"the knowledge graph has nothing about <{iri}>"
    hint = f"search by name at {search}, or check the IRI"
    if choose(request.headers.get("accept"), {"json": "application/json", "html": HTML}) != "html":
        return error_response(request, 404, detail, hint=hint, headers={"Vary": "Accept"})
    page = render(
        "not_found.html",
        root=ln.root,
        link=ln,
        iri=iri,
        words=words,
        search=search,
        detail=detail,
        license=license_url,
    )
    response = _respond(request, page, HTML_MEDIA)
    response.status_code = 404
    return response


def _signposts(
    request: Request,
    d: Description,
    doc: str,
    license_url: str,
    absolute: Callable[[Request, str], str],
) -> str:
    links: list[tuple[str, str, str | None]] = [(str(d.iri), "cite-as", None)]
    for fmt, suffix in _SUFFIX_OF.items():
        if fmt != "html":
            links.append((absolute(request, doc + suffix), "describedby", GRAPH_MEDIA[fmt]))
    links += [(t, "type", None) for t in _schema_types(d.types)]
    links.append((license_url, "license", None))
    return _link_header(links)


def _resource_page(request: Request, page: Page, ln: Linker, ctx: dict[str, object]) -> str:
    d = page.description
    # Sorted down to the value: stores return the values of one property in their own
    # order, and a page must not change with the store that holds the data.
    outgoing = sorted(d.outgoing, key=lambda t: (t[0] != d.iri, str(t[0]), str(t[1]), str(t[2])))
    rows = [(ln.show(p), ln.show(o, d.label(o))) for s, p, o in outgoing if s == d.iri]
    parts = [
        (ln.short(s), [(ln.show(p), ln.show(o, d.label(o))) for s2, p, o in outgoing if s2 == s])
        for s in sorted({s for s, _p, _o in d.outgoing if s != d.iri})
    ]
    incoming = [(ln.show(s, d.label(s)), ln.show(p)) for s, p in d.incoming]
    meeting = page.meeting
    values = {
        **ctx,
        "page": page,
        "iri": str(d.iri),
        "title": d.label(d.iri) or ln.short(d.iri),
        "types": [ln.show(t) for t in d.types],
        "rows": rows,
        "parts": parts,
        "incoming": incoming,
        "incoming_limit": INCOMING_LIMIT,
        "chart_limit": CHART_LIMIT,
        "pager_info": _pager(page, ln.href(d.iri)),
        "graphs": [ln.show(g) for g in d.graphs],
        "lines": minutes_lines(meeting.text, meeting.highlights, ln) if meeting else [],
        "chart": chart(page.chart, ln),
        "formats": [
            (_FORMAT_NAMES[f], ln.href(d.iri) + s)
            for s, f in RDF_SUFFIXES.items()
            if f in _FORMAT_NAMES
        ],
    }
    template = {"meeting": "meeting.html", "resource": "resource.html"}.get(
        page.kind, "entity.html"
    )
    return render(template, **values)


def _pager(page: Page, href: str) -> dict[str, object]:
    """Where the lists of an entity page start and end on this page, and the links to
    the previous and next pages (None at either end)."""
    first = (page.number - 1) * page.limit
    return {
        "limit": page.limit,
        "number": page.number,
        "pages": page.pages,
        "first": first + 1,
        "last": first + page.limit,
        "previous": f"{href}?page={page.number - 1}" if page.number > 1 else None,
        "next": f"{href}?page={page.number + 1}" if page.number < page.pages else None,
    }


def _ontology_terms(graph: Graph) -> dict[str, object]:
    """Classes and properties of the ekg: namespace, each with what the page shows."""
    ns = str(EKG)

    def term(t: URIRef) -> dict[str, object]:
        def objs(p: URIRef) -> list[URIRef]:
            return sorted(o for o in graph.objects(t, p) if isinstance(o, URIRef))

        return {
            "name": str(t)[len(ns) :],
            "iri": str(t),
            "label": str(graph.value(t, RDFS.label) or ""),
            "comment": str(graph.value(t, RDFS.comment) or ""),
            "parents": objs(RDFS.subClassOf) + objs(RDFS.subPropertyOf),
            "domain": objs(RDFS.domain),
            "range": objs(RDFS.range),
            "kind": "",
        }

    classes, properties = [], []
    terms = {s for s in graph.subjects(RDF.type, None) if str(s).startswith(ns)}
    for s in sorted(terms, key=str):
        if not isinstance(s, URIRef):
            continue
        kinds = set(graph.objects(s, RDF.type))
        if OWL.Class in kinds or RDFS.Class in kinds:
            classes.append(term(s))
        else:
            entry = term(s)
            entry["kind"] = min(str(k) for k in kinds).rsplit("#", 1)[-1]
            properties.append(entry)
    title = str(graph.value(URIRef(ns.rstrip("#")), URIRef("http://purl.org/dc/terms/title")) or "")
    about = graph.value(URIRef(ns.rstrip("#")), URIRef("http://purl.org/dc/terms/description"))
    return {
        "classes": classes,
        "properties": properties,
        "ontology_iri": ns.rstrip("#"),
        "ontology_title": title or "escape-kg ontology",
        "ontology_about": str(about or ""),
    }
