"""HTML for browsers: the query page, the catalogue list, result tables, and their static assets.

Every value that comes from the store or the request is escaped here; the
query page's script only ever writes data with ``textContent``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from string import Template
from typing import Any

from fastapi import APIRouter, Request
from rdflib import BNode, Literal, URIRef
from starlette.responses import Response

from escape_kg.api import KnowledgeGraph
from escape_kg.queries import PARAMETER_TYPES, CatalogueQuery
from escape_kg.web.errors import WebError
from escape_kg.web.negotiation import MEDIA_TYPES

__all__ = [
    "ASSETS",
    "HTML_MEDIA",
    "assets_router",
    "catalogue_entry",
    "catalogue_page",
    "query_page",
    "respond",
]

HTML_MEDIA = "text/html; charset=utf-8"
# The files of web/static/ that are served, with their media types; nothing else is.
ASSETS: dict[str, str] = {
    "query.js": "text/javascript; charset=utf-8",
    "query.css": "text/css; charset=utf-8",
}
DEFAULT_QUERY = """SELECT ?graph (COUNT(*) AS ?triples)
WHERE { GRAPH ?graph { ?s ?p ?o } }
GROUP BY ?graph
ORDER BY ?graph"""
_CSS = '<link rel="stylesheet" href="{root}static/query.css">'

Cell = URIRef | BNode | Literal | None


@lru_cache(maxsize=8)
def _packaged(folder: str, name: str) -> str:
    return resources.files("escape_kg.web").joinpath(folder, name).read_text(encoding="utf-8")


def respond(request: Request, page: str | bytes, media_type: str = HTML_MEDIA) -> Response:
    """``page`` as a 200 response that varies on Accept; an empty body for HEAD."""
    body = page.encode("utf-8") if isinstance(page, str) else page
    headers = {"Vary": "Accept"}
    if request.method == "HEAD":
        headers["content-length"] = str(len(body))
        body = b""
    return Response(body, media_type=media_type, headers=headers)


def catalogue_entry(query: CatalogueQuery) -> dict[str, Any]:
    """A catalogue query as JSON-ready data: name, title, description, typed parameters, text."""
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "parameters": [
            {
                "name": p.name,
                "type": p.type,
                "default": p.default,
                "required": p.required,
                "description": p.description,
                "example": PARAMETER_TYPES[p.type],
            }
            for p in query.parameters
        ],
        "sparql": query.text,
    }


def _script_json(data: object) -> str:
    """JSON that is safe inside a <script> element: no "<", ">" or "&" can end it early."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def query_page(request: Request, kg: KnowledgeGraph) -> Response:
    """The browser query page for GET /sparql: an editor, the catalogue as examples,
    a Run button (fetch to /sparql or /queries/{name}) and a results table.

    Links are relative to /sparql, so the page also works behind a path prefix.
    """
    catalogue = kg.catalogue()
    options = "\n".join(
        f'<option value="{html.escape(q.name)}">{html.escape(q.title)}</option>'
        for q in catalogue.values()
    )
    formats = "".join(f'<option value="{n}">{n}</option>' for n in MEDIA_TYPES)
    page = Template(_packaged("templates", "query.html")).substitute(
        endpoint=html.escape(str(request.url.replace(query=""))),
        options=options,
        formats=formats,
        query=html.escape(DEFAULT_QUERY),
        catalogue=_script_json({"queries": [catalogue_entry(q) for q in catalogue.values()]}),
    )
    return respond(request, page)


def _document(title: str, body: str, root: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n{_CSS.format(root=root)}\n</head>\n"
        f'<body>\n<nav><a href="{root}sparql">Query editor</a> · '
        f'<a href="{root}queries">Query catalogue</a></nav>\n{body}\n</body></html>\n'
    )


def catalogue_page(entries: Sequence[Mapping[str, Any]]) -> str:
    """The catalogue as an HTML page (entries as built by the /queries route, with links)."""
    items = []
    for e in entries:
        params = "".join(
            f"<li><code>{html.escape(p['name'])}</code> ({html.escape(p['type'])}"
            + (
                f", default <code>{html.escape(p['default'])}</code>"
                if p["default"] is not None
                else ", required"
            )
            + f"): {html.escape(p['description'])}</li>"
            for p in e["parameters"]
        )
        links = " · ".join(
            f'<a href="{html.escape(e["links"][k])}">{k.upper()}</a>' for k in ("csv", "json")
        )
        items.append(
            f'<section class="entry"><h2><a href="{html.escape(e["links"]["self"])}">'
            f"{html.escape(e['title'])}</a> <code>{html.escape(e['name'])}</code></h2>\n"
            f"<p>{html.escape(e['description'])}</p>\n"
            + (f"<ul>{params}</ul>\n" if params else "<p>No parameters.</p>\n")
            + f"<p>Download: {links}</p></section>"
        )
    body = "<h1>Query catalogue</h1>\n" + "\n".join(items)
    return _document("escape-kg query catalogue", body, "")


def assets_router() -> APIRouter:
    """GET/HEAD /static/{name}: the page's script and style sheet, read from the package."""
    router = APIRouter()

    @router.api_route("/static/{name}", methods=["GET", "HEAD"], response_model=None)
    async def asset(request: Request, name: str) -> Response:
        media = ASSETS.get(name)
        if media is None:
            raise WebError(404, f"nothing at {request.url.path}", hint="see /sparql")
        response = respond(request, _packaged("static", name), media)
        response.headers["Cache-Control"] = "no-cache"
        return response

    return router
