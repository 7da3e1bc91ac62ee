"""The OpenAPI 3.1 description of the HTTP interface, served at /openapi.json.

Written by hand rather than generated: the routes read the SPARQL protocol's
repeated parameters and bodies themselves, so FastAPI cannot see them. Clients and
API fuzzers (schemathesis in the tests) use this to know what to send.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from escape_kg import __version__
from escape_kg.paging import MAX_DIGITS

__all__ = ["openapi_document", "openapi_router"]

_ERROR = {"$ref": "#/components/responses/Error"}
_TEXT: dict[str, Any] = {"type": "string"}
_LIST: dict[str, Any] = {"type": "array", "items": _TEXT}
_FORMAT = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "Answer format (json, xml, csv, tsv, turtle, ntriples, jsonld, rdfxml, html) "
    "or a media type; wins over Accept.",
    "schema": _TEXT,
}
_DATASET = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": f"SPARQL 1.1 Protocol {name} (repeatable).",
        "schema": _LIST,
        "style": "form",
        "explode": True,
    }
    for name in ("default-graph-uri", "named-graph-uri")
]
_QUERY_PARAM = {
    "name": "query",
    "in": "query",
    "required": False,
    "description": "A SPARQL 1.1 query; without one, the service description.",
    "schema": _TEXT,
}
_ANSWERS = {
    "200": {"description": "The answer, in the negotiated format."},
    "304": {"description": "Not modified since the client's copy (If-None-Match)."},
    "400": _ERROR,
    "406": _ERROR,
    "413": _ERROR,
    "503": _ERROR,
}


# Parameters of the bundled catalogue queries (typed values: IRIs, dates, integers).
_CATALOGUE_PARAMS = [
    {"name": name, "in": "query", "required": False, "schema": _TEXT}
    for name in (
        "wp",
        "term",
        "after",
        "before",
        "person",
        "organisation",
        "meeting",
        "event",
        "entity",
        "window",
        "who",
        "text",
        "workpackage",
    )
]


# Paging of catalogue answers (HTML pages show 100 rows unless limit is given).
_PAGING = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "integer", "minimum": 0, "maximum": 10**MAX_DIGITS - 1},
    }
    for name, description in (
        ("limit", "At most this many rows (SELECT queries only; HTML pages: 100 by default)."),
        ("offset", "Skip this many rows first (SELECT queries only)."),
    )
]


_WRITE_ERRORS = {"400": _ERROR, "401": _ERROR, "403": _ERROR, "404": _ERROR, "413": _ERROR}
# Graph Store uploads: one RDF document, or a multipart body with one in each part.
_GRAPH_BODY = {
    "required": False,
    "content": {
        media: {"schema": _TEXT}
        for media in (
            "text/turtle",
            "application/n-triples",
            "application/ld+json",
            "application/rdf+xml",
            "multipart/form-data",
        )
    },
}


def _graph_write(summary: str, parameters: list[dict[str, Any]], success: str) -> dict[str, Any]:
    return {
        "summary": f"{summary} (bearer token; only with updates on)",
        "parameters": parameters,
        "requestBody": _GRAPH_BODY,
        "responses": {
            success: {"description": "Created (201) or changed (204)."},
            **_WRITE_ERRORS,
            "415": _ERROR,
        },
    }


def _read(summary: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"summary": summary, "parameters": parameters, "responses": _ANSWERS}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (a JSON-ready dict) of the read interface, the protocol
    routes and the operations routes."""
    form_body = {
        "type": "object",
        "properties": {
            "query": _TEXT,
            "update": _TEXT,
            "default-graph-uri": _LIST,
            "named-graph-uri": _LIST,
            "format": _TEXT,
        },
    }
    sparql_post = {
        "summary": "Run a query (form or application/sparql-query body)",
        "parameters": [_FORMAT, *_DATASET],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": form_body},
                "application/sparql-query": {"schema": _TEXT},
            },
        },
        "responses": {**_ANSWERS, "401": _ERROR, "403": _ERROR, "415": _ERROR},
    }
    update_post = {
        "summary": "Run a SPARQL 1.1 Update (bearer token; only with updates on)",
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": form_body},
                "application/sparql-update": {"schema": _TEXT},
            },
        },
        "responses": {
            "204": {"description": "Done."},
            "400": _ERROR,
            "401": _ERROR,
            "403": _ERROR,
            "413": _ERROR,
            "415": _ERROR,
        },
    }
    text_param = {"in": "query", "required": False, "schema": _TEXT}
    name_param = {"name": "name", "in": "path", "required": True, "schema": _TEXT}
    path_param = {"name": "path", "in": "path", "required": True, "schema": _TEXT}
    graph_param = {"name": "graph", **text_param, "description": "The graph IRI."}
    default_param = {"name": "default", **text_param, "description": "The default graph."}
    plain = {"200": {"description": "OK."}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "escape-kg",
            "version": __version__,
            "description": "Meeting minutes as linked data: SPARQL 1.1 Protocol, Graph "
            "Store Protocol, resource pages, the query catalogue.",
        },
        "paths": {
            "/sparql": {
                "get": _read(
                    "Run a query, or get the service description",
                    [_QUERY_PARAM, _FORMAT, *_DATASET],
                ),
                "post": sparql_post,
            },
            "/update": {"post": update_post},
            "/queries": {"get": _read("The query catalogue", [_FORMAT])},
            "/queries/{name}": {
                "get": _read(
                    "Run a catalogue query with its parameters",
                    [name_param, _FORMAT, *_PAGING, *_CATALOGUE_PARAMS],
                )
            },
            "/store": {
                "get": {
                    **_read("Read one graph", [graph_param]),
                    "responses": {**_ANSWERS, "404": _ERROR},
                },
                "put": _graph_write("Replace one graph", [graph_param, default_param], "204"),
                "post": _graph_write(
                    "Add to one graph; without graph or default, make a new graph (201 and "
                    "its Location)",
                    [graph_param, default_param],
                    "201",
                ),
                "delete": {
                    "summary": "Remove one graph (bearer token; only with updates on)",
                    "parameters": [graph_param, default_param],
                    "responses": {"204": {"description": "Removed."}, **_WRITE_ERRORS},
                },
            },
            "/id/{path}": {
                "get": {
                    **_read("Describe a resource", [path_param]),
                    "responses": {**_ANSWERS, "404": _ERROR},
                }
            },
            "/search": {"get": _read("Find resources by name", [{"name": "q", **text_param}])},
            "/": {"get": _read("Landing page", [])},
            "/ontology": {"get": _read("The ontology", [])},
            "/catalog": {"get": _read("DCAT-AP catalogue", [])},
            "/.well-known/void": {"get": _read("VoID description", [])},
            "/health": {"get": {"summary": "Liveness and store size", "responses": plain}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": plain}},
        },
        "components": {
            "responses": {
                "Error": {
                    "description": "The error body every route uses.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["error"],
                                "properties": {"error": {"type": "object"}},
                            }
                        }
                    },
                }
            }
        },
    }


def openapi_router() -> APIRouter:
    """GET /openapi.json: ``openapi_document()`` as JSON."""
    router = APIRouter()
    body = json.dumps(openapi_document(), indent=1).encode()

    @router.api_route("/openapi.json", methods=["GET", "HEAD"], response_model=None)
    async def openapi(request: Request) -> Response:
        content = b"" if request.method == "HEAD" else body
        headers = {"content-length": str(len(body))} if request.method == "HEAD" else None
        return Response(content, media_type="application/json", headers=headers)

    return router
