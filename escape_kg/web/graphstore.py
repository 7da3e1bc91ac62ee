"""/store: the SPARQL 1.1 Graph Store HTTP Protocol (reads for all, writes with the token)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode
from uuid import uuid4

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.rdf.iris import Minter
from escape_kg.store.results import parse_graph
from escape_kg.web.auth import require_writer
from escape_kg.web.errors import WebError
from escape_kg.web.multipart import is_multipart, media_type, multipart_parts
from escape_kg.web.negotiation import GRAPH_MEDIA, choose
from escape_kg.web.sparql import _body_response, _read_body

__all__ = ["graph_store_router"]

SPEC = "https://www.w3.org/TR/sparql11-http-rdf-update/"
# Media types a graph may be uploaded in -> format name (aliases included).
UPLOAD_MEDIA: dict[str, str] = {
    **{media: name for name, media in GRAPH_MEDIA.items()},
    "application/x-turtle": "turtle",
    "text/plain": "ntriples",
    "application/json": "jsonld",
}


def _target(request: Request) -> str | None:
    """The graph a request names: its IRI, or None for ``?default``. Raises 400."""
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    graphs = [v for k, v in pairs if k == "graph"]
    default = any(k == "default" for k, _ in pairs)
    if default == bool(graphs) or len(graphs) > 1:
        raise WebError(
            400,
            "name exactly one graph: ?graph=IRI or ?default",
            hint=f"see {SPEC} (indirect graph identification)",
        )
    if default:
        return None
    iri = graphs[0]
    if not iri.startswith(("http://", "https://", "urn:")) or any(c in iri for c in ' <>"{}|\\^`'):
        raise WebError(400, f"not an absolute IRI: {iri!r}", hint="give ?graph=http://...")
    return iri


def _names_no_graph(request: Request) -> bool:
    """True when the request names neither ``?graph`` nor ``?default``: it is addressed
    to the graph store itself."""
    keys = {k for k, _ in parse_qsl(request.url.query, keep_blank_values=True)}
    return not keys & {"graph", "default"}


def _format(content_type: str) -> str:
    """The upload format for a Content-Type. Raises WebError 415."""
    media = media_type(content_type)
    fmt = UPLOAD_MEDIA.get(media)
    if fmt is None:
        raise WebError(
            415,
            f"cannot read a graph sent as {media or '(no Content-Type)'!r}",
            hint="send one of " + ", ".join(GRAPH_MEDIA.values()) + ", or multipart/form-data "
            "with a part in one of them for each file",
        )
    return fmt


def _payload(content_type: str, data: bytes, graph: str | None) -> tuple[bytes, str]:
    """The graph to write and its format. A multipart body's parts are parsed one by one
    and joined as N-Triples, so that one bad part leaves the store untouched.

    Raises WebError 400/415, SourceError (400) for a part that does not parse.
    """
    if not is_multipart(content_type):
        return data, _format(content_type)
    lines: list[str] = []
    for part_type, part in multipart_parts(content_type, data):
        # Blank nodes come out renamed apart, so parts never share one by accident.
        lines.extend(f"{q.triple} ." for q in parse_graph(part, _format(part_type), graph))
    return "\n".join(lines).encode(), "ntriples"


def graph_store_router(kg: KnowledgeGraph, settings: Settings) -> APIRouter:
    """GET/HEAD read a graph (404 if there is none); PUT replaces it and POST adds to
    it (201 when new, else 204); POST to /store itself makes a new graph named under
    the base (201 with its Location); PUT and POST take one RDF document or a
    multipart body of them. DELETE removes a graph (404 if missing). Writes need
    updates switched on and the bearer token (403 / 401 otherwise)."""
    router = APIRouter()
    graphs_base = Minter(settings.base).base + "graph/"

    @router.api_route("/store", methods=["GET", "HEAD"], response_model=None)
    async def read(request: Request) -> Response:
        graph = _target(request)
        chosen = choose(request.headers.get("accept"), GRAPH_MEDIA)
        if chosen is None:
            raise WebError(
                406,
                "cannot give a graph in any media type the request accepts",
                hint="accept one of " + ", ".join(GRAPH_MEDIA.values()),
            )
        if graph is not None and not kg.has_graph(graph):
            raise WebError(404, f"no graph <{graph}> in this store", hint="GET /sparql lists them")
        body = await run_in_threadpool(kg.graph_bytes, graph, chosen)
        return _body_response(request, body, GRAPH_MEDIA[chosen])

    @router.api_route("/store", methods=["PUT", "POST"], response_model=None)
    async def write(request: Request) -> Response:
        require_writer(request, settings)
        merge = request.method == "POST"
        new = merge and _names_no_graph(request)
        # A graph the store names itself: random, so that no client can guess or reuse it.
        graph = f"{graphs_base}uploaded-{uuid4().hex}" if new else _target(request)
        content_type = request.headers.get("content-type", "")
        if not is_multipart(content_type):
            _format(content_type)  # refuse before reading the body
        body = await _read_body(request, settings.max_bytes)
        data, fmt = await run_in_threadpool(_payload, content_type, body, graph)
        created = await run_in_threadpool(kg.put_graph, graph, data, fmt, merge=merge)
        if not new:
            return Response(status_code=201 if created else 204)
        location = str(request.url.replace(query=urlencode({"graph": graph}), fragment=""))
        return Response(status_code=201, headers={"location": location})

    @router.api_route("/store", methods=["DELETE"], response_model=None)
    async def delete(request: Request) -> Response:
        require_writer(request, settings)
        graph = _target(request)
        if not await run_in_threadpool(kg.delete_graph, graph):
            raise WebError(404, f"no graph <{graph}> in this store", hint="GET /sparql lists them")
        return Response(status_code=204)

    return router
