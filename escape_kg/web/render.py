"""HTML for the linked-data pages: autoescaped Jinja2 templates, links, highlighted minutes, charts.

Every string that reaches a page goes through Jinja2's autoescaping: the
minutes are cut into plain-text segments here and the templates escape them,
so no code path builds markup out of text from the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from rdflib import BNode, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import XSD
from rdflib.term import Node

from escape_kg.queries import PARAMETER_TYPES, CatalogueQuery
from escape_kg.rdf.namespaces import EKG, PREFIXES
from escape_kg.views import Bar, Highlight

__all__ = [
    "ID_PREFIX",
    "Chart",
    "Linker",
    "MinutesLine",
    "Pager",
    "Segment",
    "catalogue_results",
    "chart",
    "environment",
    "minutes_lines",
    "render",
]

# Every base is also served under /id/ on the server (see Linker).
ID_PREFIX = "/id/"


@cache
def environment() -> Environment:
    """The Jinja2 environment of web/templates/ld/, autoescaping everything it renders."""
    env = Environment(
        loader=PackageLoader("escape_kg.web", "templates/ld"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(template: str, **context: Any) -> str:
    """``template`` rendered with ``context`` (values are escaped by the template)."""
    return environment().get_template(template).render(**context)


@cache
def _catalogue_environment() -> Environment:
    # The catalogue pages keep the query page's plain look, not the linked-data layout.
    return Environment(
        loader=PackageLoader("escape_kg.web", "templates/catalogue"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True)
class Pager:
    """Where a page of rows sits in an answer: the number of its first row (from 1),
    how many it shows, whether more follow, and the links to its neighbours."""

    first: int
    shown: int
    more: bool
    previous: str | None
    next: str | None


def _result_cell(term: Node | None) -> dict[str, str | bool]:
    if term is None:
        return {"text": "", "iri": False, "note": ""}
    if isinstance(term, URIRef):
        return {"text": str(term), "iri": True, "note": ""}
    if isinstance(term, BNode):
        return {"text": f"_:{term}", "iri": False, "note": ""}
    note = ""
    if isinstance(term, RdfLiteral):
        datatype = term.datatype
        note = f"@{term.language}" if term.language else ""
        note = note or ("" if datatype in (None, XSD.string) else str(datatype))
    return {"text": str(term), "iri": False, "note": note}


def catalogue_results(
    query: CatalogueQuery,
    values: Mapping[str, str],
    variables: Sequence[str],
    rows: Sequence[Sequence[Node | None]],
    downloads: Mapping[str, str],
    *,
    pager: Pager | None = None,
    page_downloads: Mapping[str, str] | None = None,
    hidden: Sequence[tuple[str, str]] = (),
) -> str:
    """One catalogue query's results as an HTML page: a form with its parameters (the
    values given, else the defaults; ``hidden`` fields ride along), the table, and
    download links (``downloads``: the whole answer, by format name).

    With a ``pager`` the page says which rows it shows, links to the previous and
    next pages, and offers ``page_downloads`` (this page only) too.
    """
    fields = [
        {
            "name": p.name,
            "type": p.type,
            "value": values.get(p.name) or p.default or "",
            "placeholder": "required" if p.required else PARAMETER_TYPES[p.type],
            "description": p.description,
        }
        for p in query.parameters
    ]
    table = [[_result_cell(term) for term in row] for row in rows]
    return (
        _catalogue_environment()
        .get_template("results.html")
        .render(
            query=query,
            fields=fields,
            hidden=hidden,
            variables=variables,
            rows=table,
            downloads=downloads,
            page_downloads=page_downloads or {},
            pager=pager,
        )
    )


class Linker:
    """Turns IRIs into links on this server and into short readable names.

    IRIs under the base are served under ``/id/`` on any host, and at the base's
    own path too. Links use the base's own path when the page is served from
    the base's host (so a link is the IRI itself), else ``/id/``.
    Ontology terms link to the ontology page; anything else links out.
    """

    def __init__(self, base: str, root: str = "", host: str | None = None) -> None:
        self.base = base
        self.root = root.rstrip("/")
        parts = urlsplit(base)
        path = parts.path or "/"
        # A base ending in "#" puts the key in the fragment, which never reaches a server.
        own = host is not None and host == parts.hostname and not base.endswith("#")
        self.base_path = path if own else ID_PREFIX
        if not self.base_path.endswith("/"):
            self.base_path += "/"

    def local(self, iri: str) -> str | None:
        """The path after the base, for IRIs under it (else None)."""
        return iri[len(self.base) :] if iri.startswith(self.base) else None

    def href(self, node: Node | str) -> str:
        """Where a link to ``node`` should point."""
        iri = str(node)
        rest = self.local(iri)
        if rest is not None:
            doc, hashmark, fragment = rest.partition("#")
            return f"{self.root}{self.base_path}{doc}{hashmark}{fragment}"
        if iri.startswith(str(EKG)):
            return f"{self.root}/ontology#{iri[len(str(EKG)) :]}"
        return iri

    def short(self, node: Node | str) -> str:
        """A compact name: ``schema:name``, or the path after the base."""
        iri = str(node)
        rest = self.local(iri)
        if rest is not None:
            return rest
        for prefix, namespace in PREFIXES.items():
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri

    def show(self, node: Node, label: str | None = None) -> dict[str, str | None]:
        """A value for the templates: text, link (None for literals) and a hint."""
        if isinstance(node, URIRef):
            return {"text": label or self.short(node), "href": self.href(node), "hint": str(node)}
        if isinstance(node, BNode):
            return {"text": f"_:{node}", "href": None, "hint": None}
        hint = None
        if isinstance(node, RdfLiteral):
            if node.language:
                hint = f"@{node.language}"
            elif node.datatype is not None and node.datatype != XSD.string:
                hint = self.short(node.datatype)
        return {"text": str(node), "href": None, "hint": hint}


@dataclass(frozen=True)
class Segment:
    """A run of minutes text; a mention when ``href`` is set."""

    text: str
    href: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class MinutesLine:
    """One numbered line of the minutes, cut into segments."""

    number: int
    segments: tuple[Segment, ...]


def minutes_lines(text: str, highlights: Sequence[Highlight], linker: Linker) -> list[MinutesLine]:
    """The minutes split into numbered lines, each mention a linked segment.

    Mentions are sliced at their offsets; one that overlaps an earlier mention
    is left as plain text, and one that runs past its line is cut at the line end.
    """
    marks = sorted(highlights, key=lambda h: (h.start, -h.end))
    lines: list[MinutesLine] = []
    offset, index = 0, 0
    for number, line in enumerate(text.split("\n"), start=1):
        end = offset + len(line)
        pos = offset
        segments: list[Segment] = []
        while index < len(marks) and marks[index].start < end:
            mark = marks[index]
            index += 1
            if mark.start < pos:
                continue  # overlaps what is already highlighted
            stop = min(mark.end, end)
            if mark.start > pos:
                segments.append(Segment(text[pos : mark.start]))
            segments.append(
                Segment(text[mark.start : stop], linker.href(mark.body.iri), mark.body.label)
            )
            pos = stop
        if pos < end:
            segments.append(Segment(text[pos:end]))
        lines.append(MinutesLine(number, tuple(segments)))
        offset = end + 1
    return lines


@dataclass(frozen=True)
class Chart:
    """An SVG bar chart laid out server-side: the size, and each bar's box and labels."""

    width: int
    height: int
    bars: tuple[Mapping[str, object], ...]
    axis_y: int


def chart(bars: Sequence[Bar], linker: Linker) -> Chart | None:
    """Mentions per meeting over time as bar geometry (None when there is nothing to draw)."""
    if not bars:
        return None
    top, plot, label_room, gap = 16, 100, 40, 4
    width_each = max(8, min(48, 640 // len(bars)))
    peak = max(b.count for b in bars) or 1
    # Label every bar when they fit, else about every 60 px.
    every = max(1, 60 // width_each)
    boxes = []
    for i, bar in enumerate(bars):
        h = max(1, round(plot * bar.count / peak))
        x = i * width_each
        boxes.append(
            {
                "x": x + gap // 2,
                "y": top + plot - h,
                "w": width_each - gap,
                "h": h,
                "count": bar.count,
                "date": bar.date,
                "label": bar.meeting.label,
                "href": linker.href(bar.meeting.iri),
                "show_label": i % every == 0,
                "text_x": x + width_each // 2,
            }
        )
    return Chart(len(bars) * width_each, top + plot + label_room, tuple(boxes), top + plot)
