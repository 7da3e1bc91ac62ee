"""The registry routes: /catalog (DCAT-AP), /.well-known/void, the dumps and the EOSC profile."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from escape_kg.api import KnowledgeGraph
from escape_kg.registry import DUMPS, RegistryURLs, signposting_links
from escape_kg.web.errors import WebError
from escape_kg.web.negotiation import DESCRIPTION_MEDIA, choose

__all__ = ["registry_router"]

# rdflib serialiser names for the description formats.
_RDFLIB = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt", "rdfxml": "xml"}
# Store dump format names, by the path's suffix.
_DUMP_FORMAT = {"dump.trig": "trig", "dump.nq": "nquads"}
_CHUNK = 64 * 1024
# Dumps up to this size stay in memory while they are sent; larger ones spill to a temp file.
_SPOOL = 8 * 1024 * 1024


def _urls(kg: KnowledgeGraph, request: Request) -> RegistryURLs:
    return kg.registry_urls(str(request.base_url))


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    try:
        file.seek(0)
        while chunk := file.read(_CHUNK):
            yield chunk
    finally:
        file.close()


def registry_router(kg: KnowledgeGraph) -> APIRouter:
    """GET/HEAD /catalog and /.well-known/void (Turtle, JSON-LD, N-Triples or RDF/XML by
    Accept; 406 otherwise), /dump.trig and /dump.nq (the whole dataset, streamed) and
    /eosc-profile.json. /catalog carries FAIR signposting Link headers.

    Absolute URLs come from ``settings.public_url``, else from the request's address.
    """
    router = APIRouter()

    async def describe(request: Request, name: str, links: list[str]) -> Response:
        chosen = choose(request.headers.get("accept"), DESCRIPTION_MEDIA)
        if chosen is None:
            raise WebError(
                406,
                f"cannot give the {name} description in any media type the request accepts",
                hint="accept one of " + ", ".join(DESCRIPTION_MEDIA.values()),
            )
        graph = await run_in_threadpool(kg.registry_graph, name, _urls(kg, request))
        body = graph.serialize(format=_RDFLIB[chosen], encoding="utf-8")
        headers = {"Vary": "Accept"}
        if links:
            headers["Link"] = ", ".join(links)
        if request.method == "HEAD":
            headers["content-length"] = str(len(body))
            body = b""
        return Response(body, media_type=DESCRIPTION_MEDIA[chosen], headers=headers)

    @router.api_route("/catalog", methods=["GET", "HEAD"], response_model=None)
    async def catalog(request: Request) -> Response:
        urls = _urls(kg, request)
        return await describe(request, "dcat-ap", signposting_links("metadata", urls, kg.settings))

    @router.api_route("/.well-known/void", methods=["GET", "HEAD"], response_model=None)
    async def void(request: Request) -> Response:
        return await describe(request, "void", [])

    def dump_route(path: str, media_type: str) -> None:
        fmt = _DUMP_FORMAT[path]

        @router.api_route("/" + path, methods=["GET", "HEAD"], response_model=None)
        async def dump(request: Request) -> Response:
            headers = {"Content-Disposition": f'attachment; filename="escape-kg.{path[5:]}"'}
            if request.method == "HEAD":
                return Response(b"", media_type=media_type, headers=headers)
            # The store writes the dump in one go; spooling it lets the client read it at
            # its own pace without holding a large dataset in memory.
            spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115
            try:
                await run_in_threadpool(kg.export, spool, fmt)
            except BaseException:
                spool.close()
                raise
            return StreamingResponse(_chunks(spool), media_type=media_type, headers=headers)

    for item in DUMPS:
        dump_route(item.path, item.media_type)

    @router.api_route("/eosc-profile.json", methods=["GET", "HEAD"], response_model=None)
    async def eosc(request: Request) -> Response:
        text = await run_in_threadpool(kg.registry_document, "eosc", _urls(kg, request))
        body = b"" if request.method == "HEAD" else text.encode()
        return Response(body, media_type="application/json")

    return router
