"""create_app: the FastAPI application over one KnowledgeGraph, and ``serve`` to run it."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from escape_kg import __version__
from escape_kg.api import KnowledgeGraph
from escape_kg.web.errors import install_error_handlers
from escape_kg.web.settings import WebSettings
from escape_kg.web.sparql import sparql_router

__all__ = ["create_app", "serve"]


def create_app(kg: KnowledgeGraph, settings: WebSettings | None = None) -> FastAPI:
    """A new web app serving ``kg``: /sparql (read only), with CORS for reads.

    Nothing is shared between apps, so tests can build one per store.
    """
    settings = settings or WebSettings()
    app = FastAPI(
        title="escape-kg",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.include_router(sparql_router(kg, settings))
    install_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "HEAD", "POST"],
        allow_headers=["Accept", "Content-Type"],
    )
    return app


def serve(kg: KnowledgeGraph, *, host: str, port: int, settings: WebSettings | None = None) -> None:
    """Run the app with uvicorn until interrupted (Ctrl-C or SIGTERM)."""
    import uvicorn  # only the serving process needs it

    uvicorn.run(create_app(kg, settings), host=host, port=port, log_level="info")
