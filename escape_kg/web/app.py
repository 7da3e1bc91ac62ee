"""create_app: the FastAPI application over one KnowledgeGraph, and ``serve`` to run it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from escape_kg import __version__
from escape_kg.api import KnowledgeGraph
from escape_kg.web.cache import ResponseCache
from escape_kg.web.catalogue import catalogue_router
from escape_kg.web.errors import install_error_handlers
from escape_kg.web.graphstore import graph_store_router
from escape_kg.web.observability import (
    AccessLogMiddleware,
    Metrics,
    console_access_log,
    observability_router,
)
from escape_kg.web.openapi import openapi_router
from escape_kg.web.registry_routes import registry_router
from escape_kg.web.resources import resources_router
from escape_kg.web.sparql import sparql_router

__all__ = ["create_app", "serve"]


def _schemaorg(kg: KnowledgeGraph, home: str) -> Mapping[str, object]:
    """The schema.org Dataset that the landing page embeds for dataset search engines."""
    document = kg.registry_document("schemaorg", kg.registry_urls(home.rstrip("/")))
    data: Mapping[str, object] = json.loads(document)
    return data


def create_app(kg: KnowledgeGraph) -> FastAPI:
    """A new web app serving ``kg`` under ``kg.settings``: /sparql (read only unless
    updates are on), /update and /store, with CORS for reads.

    While the app runs (its lifespan), queries go to worker processes that stop
    them at the time limit. Read answers are cached (``app.state.cache``) until
    the next write. Nothing is shared between apps, so tests can build one per store.
    """
    settings = kg.settings

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        kg.start_query_workers()
        try:
            yield
        finally:
            kg.stop_query_workers()

    app = FastAPI(
        lifespan=lifespan,
        title="escape-kg",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    # One answer cache for the app, emptied in effect by every write through ``kg``.
    cache = ResponseCache(
        max_entries=settings.cache_entries,
        max_bytes=settings.cache_bytes,
        max_age=settings.cache_max_age,
    )
    app.state.cache = cache
    metrics = Metrics()
    app.state.metrics = metrics
    app.include_router(sparql_router(kg, settings, cache))
    app.include_router(graph_store_router(kg, settings))
    app.include_router(catalogue_router(kg, cache))
    app.include_router(registry_router(kg))
    app.include_router(observability_router(kg, metrics, cache))
    app.include_router(openapi_router())
    app.include_router(  # last: it mounts catch-all IRI paths
        resources_router(kg, dataset_jsonld=lambda home: _schemaorg(kg, home), cache=cache)
    )
    install_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "HEAD", "POST"],
        allow_headers=["Accept", "Content-Type"],
    )
    # Outermost of ours, so the time and status logged are what the client saw.
    app.add_middleware(AccessLogMiddleware, metrics=metrics)
    return app


def serve(kg: KnowledgeGraph, *, host: str, port: int) -> None:
    """Run the app with uvicorn until interrupted (Ctrl-C or SIGTERM), logging one JSON
    line per request to standard error; returns once the server has stopped (its query
    workers too). The caller closes ``kg``."""
    import uvicorn  # only the serving process needs it

    console_access_log()
    # uvicorn's own access log would print query strings, which carry the queries.
    # A stop waits for running requests, but not for ever: a request may wait for a
    # worker, then run for the time limit.
    uvicorn.run(
        create_app(kg),
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=max(
            5, round(kg.settings.query_wait + kg.settings.query_timeout + 5)
        ),
    )
