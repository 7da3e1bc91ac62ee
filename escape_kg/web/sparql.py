"""The /sparql and /update routes: the SPARQL 1.1 Protocol (query and update operations)
and the service description."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.errors import QueryError
from escape_kg.store.sparqltext import with_using
from escape_kg.web.auth import require_writer
from escape_kg.web.cache import ResponseCache, make_key, normalise_query
from escape_kg.web.errors import WebError
from escape_kg.web.negotiation import (
    DESCRIPTION_MEDIA,
    GRAPH_MEDIA,
    HTML,
    MEDIA_TYPES,
    RESULT_MEDIA,
    choose,
    format_choice,
)
from escape_kg.web.observability import mark_query
from escape_kg.web.pages import query_page
from escape_kg.web.security import inspect_query, inspect_update, query_dataset

__all__ = ["sparql_router"]

ALLOW = "GET, HEAD, POST"
FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
# rdflib serialiser names for the service description formats.
_RDFLIB = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt", "rdfxml": "xml"}
_EXAMPLE = """SELECT ?graph (COUNT(*) AS ?triples)
WHERE { GRAPH ?graph { ?s ?p ?o } }
GROUP BY ?graph
ORDER BY ?graph"""


@dataclass(frozen=True)
class ProtocolRequest:
    """The parameters of one protocol request, wherever they came from."""

    queries: list[str]
    updates: list[str]
    default_graph_uris: list[str]
    named_graph_uris: list[str]
    format: str | None
    # An update's dataset (SPARQL 1.1 Protocol 2.2.3): read only to be refused, never ignored.
    using_graph_uris: list[str] = field(default_factory=list)
    using_named_graph_uris: list[str] = field(default_factory=list)


def _params(pairs: Sequence[tuple[str, str]], body_query: str | None = None) -> ProtocolRequest:
    def values(name: str) -> list[str]:
        return [v for k, v in pairs if k == name]

    queries = values("query") + ([body_query] if body_query is not None else [])
    formats = values("format")
    return ProtocolRequest(
        queries=queries,
        updates=values("update"),
        default_graph_uris=values("default-graph-uri"),
        named_graph_uris=values("named-graph-uri"),
        format=format_choice(formats[-1]) if formats else None,
        using_graph_uris=values("using-graph-uri"),
        using_named_graph_uris=values("using-named-graph-uri"),
    )


def _pairs(text: str) -> list[tuple[str, str]]:
    """The name=value pairs of a query string or form body. Raises WebError 400 when a
    percent-encoded value is not UTF-8 (the protocol allows no other encoding)."""
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise WebError(
            400,
            "a request parameter is not UTF-8 once percent-decoded",
            hint="percent-encode the UTF-8 bytes of the query",
        ) from exc


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) more than ``limit`` bytes without reading them all."""
    too_big = WebError(
        413,
        f"the request body is larger than the limit of {limit:,} bytes",
        hint="send a shorter query",
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebError(
            400, "the request body is not UTF-8", hint="encode the query as UTF-8"
        ) from exc


async def _protocol_request(request: Request, settings: Settings) -> ProtocolRequest:
    url_pairs = _pairs(request.url.query)
    if request.method != "POST":
        return _params(url_pairs)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in {FORM, QUERY, UPDATE}:
        raise WebError(
            415,
            f"cannot read a request body of type {media or '(none)'!r}",
            hint=f"POST a query as {QUERY} or as {FORM} with query=... "
            f"(an update as {UPDATE} or update=...)",
        )
    if media == UPDATE:
        # Refuse before reading the body: whoever may not write learns nothing more.
        require_writer(request, settings)
    body = _decode(await _read_body(request, settings.max_body_bytes))
    if media == QUERY:
        return _params(url_pairs, body_query=body)
    if media == UPDATE:
        return _params([*url_pairs, ("update", body)])
    return _params(url_pairs + _pairs(body))


def _body_response(request: Request, body: bytes, media_type: str) -> Response:
    headers = {"Vary": "Accept"}
    if request.method == "HEAD":
        headers["content-length"] = str(len(body))
        body = b""
    return Response(body, media_type=media_type, headers=headers)


def _not_acceptable(what: str, offers: dict[str, str]) -> WebError:
    listed = ", ".join(offers.values())
    names = ", ".join(offers)
    return WebError(
        406,
        f"cannot give {what} in any media type the request accepts",
        hint=f"accept one of {listed}, or add format= one of {names}",
    )


def _pick(accept: str | None, fmt: str | None, offers: dict[str, str], what: str) -> str:
    """The format to answer in: the ``format`` parameter, else Accept. Raises 406."""
    chosen = _acceptable(accept, fmt, offers)
    if chosen is None:
        raise _not_acceptable(what, offers)
    return chosen


def _acceptable(accept: str | None, fmt: str | None, offers: dict[str, str]) -> str | None:
    if fmt is not None and "/" not in fmt:
        return fmt if fmt in offers else None
    return choose(fmt or accept, offers)


def _query_form(endpoint: str) -> str:
    options = "".join(f'<option value="{n}">{n}</option>' for n in MEDIA_TYPES)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>escape-kg SPARQL endpoint</title></head>\n<body>\n"
        "<h1>SPARQL endpoint</h1>\n"
        f"<p>Endpoint: <code>{html.escape(endpoint)}</code> (SPARQL 1.1 Protocol; "
        "read only).</p>\n"
        '<form method="get" action="">\n'
        f'<textarea name="query" rows="12" cols="90">{html.escape(_EXAMPLE)}</textarea><br>\n'
        f'<label>Format <select name="format">{options}</select></label>\n'
        '<button type="submit">Run</button>\n</form>\n</body></html>\n'
    )


def sparql_router(
    kg: KnowledgeGraph, settings: Settings, cache: ResponseCache | None = None
) -> APIRouter:
    """The /sparql route over ``kg``: GET, HEAD and POST (form, sparql-query or, when
    updates are on, sparql-update body), and POST /update for updates only.

    Without a query, GET answers the service description (Turtle, JSON-LD...) or,
    for a browser, a query form. Query answers and the description come from
    ``cache`` (default: a new one sized by ``settings``) until the next write.
    """
    router = APIRouter()
    if cache is None:
        cache = ResponseCache(
            max_entries=settings.cache_entries,
            max_bytes=settings.cache_bytes,
            max_age=settings.cache_max_age,
        )
    answers = cache

    async def describe(request: Request, fmt: str | None) -> Response:
        endpoint = str(request.url.replace(query=""))
        offers = {**DESCRIPTION_MEDIA, "html": HTML}
        chosen = _pick(request.headers.get("accept"), fmt, offers, "the service description")
        if chosen == "html":
            return query_page(request, kg)

        async def compute() -> tuple[str, bytes]:
            graph = await run_in_threadpool(kg.service_description, endpoint)
            body = graph.serialize(format=_RDFLIB[chosen], encoding="utf-8")
            return DESCRIPTION_MEDIA[chosen], body

        key = make_key("description", endpoint, chosen)
        return await answers.answer(request, key, kg.data_version, compute)

    def run(
        query: str,
        dataset: tuple[list[str] | None, list[str] | None],
        accept: str | None,
        fmt: str | None,
    ) -> tuple[str, bytes]:
        # Both formats are chosen before the run: only the worker learns the query form.
        answer = kg.run_query(
            query,
            result_format=_acceptable(accept, fmt, RESULT_MEDIA),
            graph_format=_acceptable(accept, fmt, GRAPH_MEDIA),
            default_graphs=dataset[0],
            named_graphs=dataset[1],
        )
        if answer.format is None:
            graph = answer.kind == "graph"
            what = "a CONSTRUCT or DESCRIBE result" if graph else f"the {answer.kind} result"
            raise _not_acceptable(what, GRAPH_MEDIA if graph else RESULT_MEDIA)
        return MEDIA_TYPES[answer.format], answer.body

    async def update(request: Request, params: ProtocolRequest) -> Response:
        if request.method != "POST":
            raise WebError(
                400,
                "an update sent with GET is never run",
                hint="POST it as update=... or as application/sparql-update",
            )
        require_writer(request, settings)
        if params.queries or len(params.updates) != 1:
            raise WebError(400, "send exactly one update= and no query=")
        text = params.updates[0]
        mark_query(request, text)
        if len(text) > settings.max_query_chars:
            raise WebError(
                413,
                f"the update is {len(text):,} characters long; the limit is "
                f"{settings.max_query_chars:,}",
                hint="split it, or upload data with PUT/POST /store?graph=...",
            )
        query_dataset_given = [
            name
            for name, uris in (
                ("default-graph-uri", params.default_graph_uris),
                ("named-graph-uri", params.named_graph_uris),
            )
            if uris
        ]
        if query_dataset_given:
            raise WebError(
                400,
                f"{' and '.join(query_dataset_given)} restrict queries, not updates; "
                "the update was not run",
                hint="use using-graph-uri and using-named-graph-uri for an update",
            )
        await run_in_threadpool(inspect_update, text, settings.service_allow, settings.load_allow)
        try:
            # The protocol's dataset becomes USING clauses, so the engine applies it
            # exactly as it would the update's own.
            text = with_using(text, params.using_graph_uris, params.using_named_graph_uris)
        except ValueError as exc:
            raise WebError(400, f"using-graph-uri or using-named-graph-uri: {exc}") from exc
        # The protocol lets the service pick the base of relative IRIs: the endpoint's
        # URL. A BASE in the update comes later in the prologue, so it still wins.
        base = str(request.url.replace(query="", fragment=""))
        await run_in_threadpool(kg.update, f"BASE <{base}> {text}")
        return Response(status_code=204)

    @router.api_route("/update", methods=["POST"], response_model=None)
    async def update_only(request: Request) -> Response:
        params = await _protocol_request(request, settings)
        if params.queries and not params.updates:
            raise WebError(400, "/update runs updates only", hint="send queries to /sparql")
        if not params.updates:
            raise WebError(400, "no update given", hint="send the update as update=...")
        return await update(request, params)

    @router.api_route("/sparql", methods=["GET", "HEAD", "POST"], response_model=None)
    async def sparql(request: Request) -> Response:
        params = await _protocol_request(request, settings)
        if params.updates:
            return await update(request, params)
        if not params.queries:
            if request.method == "POST":
                raise WebError(400, "no query given", hint="send the query as query=...")
            return await describe(request, params.format)
        if len(params.queries) > 1:
            raise WebError(400, "more than one query given", hint="send exactly one query=")
        query = params.queries[0]
        mark_query(request, query)
        if len(query) > settings.max_query_chars:
            raise WebError(
                413,
                f"the query is {len(query):,} characters long; the limit is "
                f"{settings.max_query_chars:,}",
                hint="shorten the query",
            )
        if not query.strip():
            raise QueryError("the query is empty", hint="send a SELECT, ASK, CONSTRUCT or DESCRIBE")
        accept = request.headers.get("accept")
        # Refuse up front what no query form could satisfy, before any work is done.
        _pick(accept, params.format, MEDIA_TYPES, "a query result")

        async def compute() -> tuple[str, bytes]:
            inspection = await run_in_threadpool(inspect_query, query, settings.service_allow)
            dataset = await run_in_threadpool(
                query_dataset, kg, inspection, params.default_graph_uris, params.named_graph_uris
            )
            return await run_in_threadpool(run, query, dataset, accept, params.format)

        # The formats either query form would be answered in, as chosen before the run.
        formats = [_acceptable(accept, params.format, m) for m in (RESULT_MEDIA, GRAPH_MEDIA)]
        key = make_key(
            "query",
            normalise_query(query),
            params.default_graph_uris,
            params.named_graph_uris,
            formats,
        )
        return await answers.answer(request, key, kg.data_version, compute)

    return router
