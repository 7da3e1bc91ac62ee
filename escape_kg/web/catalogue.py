"""The /queries routes: the named query catalogue, and each query run by name with typed values."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from rdflib import Graph, Literal
from rdflib.query import Result
from rdflib.term import Node
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from escape_kg.api import KnowledgeGraph
from escape_kg.paging import RESERVED_PARAMETERS, Page, is_select, paged, read_page
from escape_kg.pool import Answer
from escape_kg.queries import CatalogueQuery
from escape_kg.web.cache import ResponseCache, make_key
from escape_kg.web.errors import WebError
from escape_kg.web.negotiation import GRAPH_MEDIA, HTML, RESULT_MEDIA, choose, format_choice
from escape_kg.web.observability import mark_query
from escape_kg.web.pages import Cell, assets_router, catalogue_entry, catalogue_page
from escape_kg.web.render import Pager, catalogue_results

__all__ = ["catalogue_router"]

# What the list can be given as, preferred first.
LIST_MEDIA: dict[str, str] = {"json": "application/json", "html": HTML}
# Download links offered for a query's results, in this order.
DOWNLOADS = ("csv", "tsv", "json", "xml")
# ... and for the page shown alone.
PAGE_DOWNLOADS = ("csv", "json")
# Rows an HTML page shows when the request gives no limit.
HTML_PAGE_ROWS = 100


def _pick(accept: str | None, fmt: str | None, offers: dict[str, str]) -> str | None:
    """The offer named by ``format`` (a name or a media type), else the best for Accept."""
    if fmt is not None and "/" not in fmt:
        return fmt if fmt in offers else None
    return choose(fmt or accept, offers)


def _not_acceptable(what: str, offers: dict[str, str]) -> WebError:
    return WebError(
        406,
        f"cannot give {what} in any media type the request accepts",
        hint=f"accept one of {', '.join(offers.values())}, or add format= one of "
        + ", ".join(offers),
    )


def _format_param(pairs: list[tuple[str, str]]) -> str | None:
    formats = [v for k, v in pairs if k == "format"]
    return format_choice(formats[-1]) if formats else None


def _values(
    query: CatalogueQuery, pairs: list[tuple[str, str]]
) -> tuple[dict[str, str], dict[str, str]]:
    """The parameter values of the query string (``format`` aside), and the paging
    values (``limit``, ``offset``); each given once."""
    values: dict[str, str] = {}
    paging: dict[str, str] = {}
    for key, value in pairs:
        if key == "format":
            continue
        given = paging if key in RESERVED_PARAMETERS else values
        if key in given:
            raise WebError(
                400,
                f"the parameter {key!r} of {query.name!r} is given more than once",
                hint=f"give {key}= once",
            )
        given[key] = value
    return values, paging


def _link(base: str, values: dict[str, str], fmt: str | None = None) -> str:
    pairs = [*values.items(), *([("format", fmt)] if fmt else [])]
    return f"{base}?{urlencode(pairs)}" if pairs else base


@dataclass(frozen=True)
class _Request:
    """What a run of a catalogue query depends on, besides the data: the query, the
    values as typed and as bound, the formats chosen, the page, and for HTML pages
    the URL, the ``format`` given (kept in links) and whether the limit was given."""

    query: CatalogueQuery
    values: dict[str, str]
    bindings: dict[str, Node]
    formats: tuple[str | None, str | None]
    page: Page
    url: str
    fmt: str | None
    explicit_limit: bool

    def link(self, offset: int, fmt: str | None = None, limit: int | None = None) -> str:
        """This request's URL for the page at ``offset`` (in ``fmt``, if given)."""
        pairs = dict(self.values)
        shown = limit if limit is not None else (self.page.limit if self.explicit_limit else None)
        if shown is not None:
            pairs["limit"] = str(shown)
        if offset:
            pairs["offset"] = str(offset)
        return _link(self.url, pairs, fmt or self.fmt)

    def previous_link(self) -> str | None:
        """The previous page's URL (None on the first page, or without a limit)."""
        limit, offset = self.page.limit, self.page.offset
        return self.link(max(offset - limit, 0)) if limit and offset else None

    def next_link(self, more: bool) -> str | None:
        """The next page's URL when ``more`` rows follow (None without a limit)."""
        limit = self.page.limit
        return self.link(self.page.offset + limit) if limit and more else None


def _links(previous: str | None, following: str | None) -> tuple[tuple[str, str], ...]:
    """A ``Link`` header (RFC 8288) to a page's neighbours, if it has any."""
    links = [f'<{url}>; rel="{rel}"' for rel, url in (("prev", previous), ("next", following))]
    shown = [link for link, url in zip(links, (previous, following), strict=True) if url]
    return (("Link", ", ".join(shown)),) if shown else ()


def _row_count(answer: Answer) -> int:
    """How many rows a SELECT answer holds, in whichever results format it was written."""
    if answer.kind != "select" or answer.format is None:
        return 0
    text = answer.body.decode("utf-8")
    if answer.format == "json":
        return len(json.loads(text)["results"]["bindings"])
    if answer.format == "xml":
        return text.count("<result>") + text.count("<result ")  # data has "<" escaped
    if answer.format == "csv":  # a quoted value may hold a line break
        return max(sum(1 for _ in csv.reader(io.StringIO(text))) - 1, 0)
    # TSV ends every line with "\n" and escapes those in values; a row may be empty.
    return max(text.count("\n") + (not text.endswith("\n")) - 1, 0)


def _table(answer: Answer) -> tuple[list[str], list[Any]]:
    """The columns and rows of an answer written as SPARQL JSON (SELECT, ASK) or N-Triples."""
    if answer.kind == "graph":
        graph = Graph().parse(data=answer.body.decode("utf-8"), format="nt")
        return ["subject", "predicate", "object"], sorted(graph)
    if answer.kind == "ask":
        return ["boolean"], [[Literal(bool(json.loads(answer.body)["boolean"]))]]
    result = Result.parse(io.BytesIO(answer.body), format="json")
    names = [str(v) for v in result.vars or []]
    rows: list[tuple[Cell, ...]] = [tuple(row) for row in result]  # type: ignore[arg-type]
    return names, rows


def catalogue_router(kg: KnowledgeGraph, cache: ResponseCache | None = None) -> APIRouter:
    """The routes over ``kg``'s catalogue: GET/HEAD /queries and /queries/{name};
    also the query page's static files (/static/...).

    Unknown query names get 404; bad parameter values 400 naming the parameter
    (raised by the library, which binds values as typed RDF terms). ``limit`` and
    ``offset`` page a SELECT inside the query; HTML pages show ``HTML_PAGE_ROWS``
    rows unless ``limit`` is given, and paged answers link their neighbours. Queries run
    in the query workers, under the time limit; answers come from ``cache``
    (default: a new one sized by ``kg.settings``) until the next write.
    """
    router = APIRouter()
    settings = kg.settings
    answers = cache or ResponseCache(
        max_entries=settings.cache_entries,
        max_bytes=settings.cache_bytes,
        max_age=settings.cache_max_age,
    )
    router.include_router(assets_router())

    @router.api_route("/queries", methods=["GET", "HEAD"], response_model=None)
    async def list_queries(request: Request) -> Response:
        fmt = _format_param(parse_qsl(request.url.query, keep_blank_values=True))
        chosen = _pick(request.headers.get("accept"), fmt, LIST_MEDIA)
        if chosen is None:
            raise _not_acceptable("the catalogue", LIST_MEDIA)

        async def listing() -> tuple[str, bytes]:
            entries = []
            for query in kg.catalogue().values():
                entry = catalogue_entry(query)
                url = str(request.url_for("catalogue_query", name=query.name))
                links = {f: _link(url, {}, f) for f in (*DOWNLOADS, "html")}
                entry["links"] = {"self": url} | links
                entries.append(entry)
            if chosen == "html":
                return "text/html; charset=utf-8", catalogue_page(entries).encode("utf-8")
            body = json.dumps({"queries": entries}, ensure_ascii=False, indent=1)
            return LIST_MEDIA["json"], body.encode("utf-8")

        key = make_key("catalogue", str(request.url.replace(query="")), chosen)
        return await answers.answer(request, key, kg.data_version, listing)

    def answer(run: _Request) -> tuple[str, bytes, tuple[tuple[str, str], ...]]:
        # An HTML table is built from the answer as JSON (or N-Triples for graphs).
        result_format, graph_format = run.formats
        query, page = run.query, run.page
        html_page = result_format == "html" and page.limit is not None
        # One row more than the page shows tells whether there is a next page.
        asked = Page(page.limit + 1, page.offset) if html_page and page.limit else page
        ran = kg.run_query(
            paged(query.text, asked, name=repr(query.name)),
            result_format="json" if result_format == "html" else result_format,
            graph_format="ntriples" if graph_format == "html" else graph_format,
            bindings=run.bindings,
        )
        offers = {**(GRAPH_MEDIA if ran.kind == "graph" else RESULT_MEDIA), "html": HTML}
        chosen = graph_format if ran.kind == "graph" else result_format
        if chosen is None or ran.format is None:
            raise _not_acceptable(f"the results of {query.name!r}", offers)
        if chosen != "html":
            # Without the extra row, a full page is taken to have a next one (maybe empty).
            full = page.limit is not None and _row_count(ran) >= page.limit > 0
            return offers[chosen], ran.body, _links(run.previous_link(), run.next_link(full))
        order = GRAPH_MEDIA if ran.kind == "graph" else DOWNLOADS
        downloads = {f: _link(run.url, run.values, f) for f in order}
        variables, rows = _table(ran)
        if ran.kind != "select" or page.limit is None:
            body = catalogue_results(query, run.values, variables, rows, downloads)
            return "text/html; charset=utf-8", body.encode("utf-8"), ()
        shown = rows[: page.limit]
        more = len(rows) > page.limit > 0
        pager = Pager(page.offset + 1, len(shown), more, run.previous_link(), run.next_link(more))
        this_page = {f: run.link(page.offset, f, page.limit) for f in PAGE_DOWNLOADS}
        hidden = [("limit", str(page.limit))] if run.explicit_limit else []
        body = catalogue_results(
            query,
            run.values,
            variables,
            shown,
            downloads,
            pager=pager,
            page_downloads=this_page,
            hidden=hidden,
        )
        return "text/html; charset=utf-8", body.encode("utf-8"), _links(pager.previous, pager.next)

    @router.api_route(
        "/queries/{name}", methods=["GET", "HEAD"], response_model=None, name="catalogue_query"
    )
    async def run_query(request: Request, name: str) -> Response:
        query = kg.catalogue().get(name)
        if query is None:
            raise WebError(
                404,
                f"there is no catalogue query called {name!r}",
                hint="GET /queries lists them: " + ", ".join(sorted(kg.catalogue())),
            )
        mark_query(request, query.text)
        pairs = parse_qsl(request.url.query, keep_blank_values=True)
        fmt = _format_param(pairs)
        values, paging = _values(query, pairs)
        accept = request.headers.get("accept")
        everything = {**RESULT_MEDIA, **GRAPH_MEDIA, "html": HTML}
        if _pick(accept, fmt, everything) is None:  # refuse before running anything
            raise _not_acceptable(f"the results of {name!r}", everything)
        page = read_page(paging.get("limit"), paging.get("offset"))
        paged(query.text, page, name=repr(name))  # refuses a page of an ASK or CONSTRUCT
        url = str(request.url.replace(query=""))
        # Bound before the run: a bad value is refused, and the key holds typed terms.
        bindings = await run_in_threadpool(kg.catalogue_bindings, name, values)
        formats = (
            _pick(accept, fmt, {**RESULT_MEDIA, "html": HTML}),
            _pick(accept, fmt, {**GRAPH_MEDIA, "html": HTML}),
        )
        explicit = page.limit is not None
        if formats[0] == "html" and not explicit and is_select(query.text):
            page = Page(HTML_PAGE_ROWS, page.offset)
        terms = sorted((k, v.n3()) for k, v in bindings.items())
        # The HTML page shows the values as typed and links with them and the URL.
        given = [v for k, v in pairs if k == "format"][-1:]
        html_part = [url, sorted(values.items()), explicit, given] if "html" in formats else []
        key = make_key("named", name, terms, formats, [page.limit, page.offset], html_part)
        run = _Request(
            query, values, bindings, formats, page, url, next(iter(given), None), explicit
        )

        async def compute() -> tuple[str, bytes, tuple[tuple[str, str], ...]]:
            return await run_in_threadpool(answer, run)

        return await answers.answer(request, key, kg.data_version, compute)

    return router
