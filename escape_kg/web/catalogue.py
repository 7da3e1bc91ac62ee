"""The /queries routes: the named query catalogue, and each query run by name with typed values."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from rdflib import Graph, Literal
from rdflib.query import Result
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from escape_kg.api import KnowledgeGraph
from escape_kg.pool import Answer
from escape_kg.queries import CatalogueQuery
from escape_kg.web.cache import ResponseCache, make_key
from escape_kg.web.errors import WebError
from escape_kg.web.negotiation import GRAPH_MEDIA, HTML, RESULT_MEDIA, choose, format_choice
from escape_kg.web.observability import mark_query
from escape_kg.web.pages import (
    Cell,
    assets_router,
    catalogue_entry,
    catalogue_page,
    results_page,
)

__all__ = ["catalogue_router"]

# What the list can be given as, preferred first.
LIST_MEDIA: dict[str, str] = {"json": "application/json", "html": HTML}
# Download links offered for a query's results, in this order.
DOWNLOADS = ("csv", "tsv", "json", "xml")


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


def _values(query: CatalogueQuery, pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The parameter values of the query string (``format`` aside); each given once."""
    values: dict[str, str] = {}
    for key, value in pairs:
        if key == "format":
            continue
        if key in values:
            raise WebError(
                400,
                f"the parameter {key!r} of {query.name!r} is given more than once",
                hint=f"give {key}= once",
            )
        values[key] = value
    return values


def _link(base: str, values: dict[str, str], fmt: str | None = None) -> str:
    pairs = [*values.items(), *([("format", fmt)] if fmt else [])]
    return f"{base}?{urlencode(pairs)}" if pairs else base


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
    (raised by the library, which binds values as typed RDF terms). Queries run
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

    def answer(
        query: CatalogueQuery,
        values: dict[str, str],
        formats: tuple[str | None, str | None],
        url: str,
    ) -> tuple[str, bytes]:
        # An HTML table is built from the answer as JSON (or N-Triples for graphs).
        result_format, graph_format = formats
        ran = kg.run_catalogue(
            query.name,
            values,
            result_format="json" if result_format == "html" else result_format,
            graph_format="ntriples" if graph_format == "html" else graph_format,
        )
        offers = {**(GRAPH_MEDIA if ran.kind == "graph" else RESULT_MEDIA), "html": HTML}
        chosen = graph_format if ran.kind == "graph" else result_format
        if chosen is None or ran.format is None:
            raise _not_acceptable(f"the results of {query.name!r}", offers)
        if chosen != "html":
            return offers[chosen], ran.body
        order = GRAPH_MEDIA if ran.kind == "graph" else DOWNLOADS
        links = {f: _link(url, values, f) for f in order}
        variables, rows = _table(ran)
        page = results_page(query, values, variables, rows, links)
        return "text/html; charset=utf-8", page.encode("utf-8")

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
        values = _values(query, pairs)
        accept = request.headers.get("accept")
        everything = {**RESULT_MEDIA, **GRAPH_MEDIA, "html": HTML}
        if _pick(accept, fmt, everything) is None:  # refuse before running anything
            raise _not_acceptable(f"the results of {name!r}", everything)
        url = str(request.url.replace(query=""))
        # Bound before the run: a bad value is refused, and the key holds typed terms.
        bindings = await run_in_threadpool(kg.catalogue_bindings, name, values)
        formats = (
            _pick(accept, fmt, {**RESULT_MEDIA, "html": HTML}),
            _pick(accept, fmt, {**GRAPH_MEDIA, "html": HTML}),
        )
        terms = sorted((k, v.n3()) for k, v in bindings.items())
        # The HTML page shows the values as typed and links with them and the URL.
        page = [url, sorted(values.items())] if "html" in formats else []
        key = make_key("named", name, terms, formats, page)

        async def compute() -> tuple[str, bytes]:
            return await run_in_threadpool(answer, query, values, formats, url)

        return await answers.answer(request, key, kg.data_version, compute)

    return router
