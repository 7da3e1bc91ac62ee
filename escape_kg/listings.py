"""Paged lists for entity pages: affiliations, agenda items, mentions and mentions per meeting.

A frequently named entity (org/cern, a work package) has thousands of mentions
across thousands of meetings, so each list is read one page at a time, newest
first, with its total counted apart. Every query starts from the few quads that
name the entity (``GRAPH ?g { ?s <p> ?x }``) and looks the rest up with one
``LATERAL`` pattern per row (see queries/README.md, rule 7): the engine never
joins a whole predicate of the store. Names come from ``LIMIT 1`` look-ups,
since a person or an organisation is named once in every graph that mentions it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Literal as RdfLiteral
from rdflib import URIRef
from rdflib.term import Node

from escape_kg.describe import Querier

__all__ = [
    "AFFILIATIONS",
    "CHART_LIMIT",
    "ITEMS",
    "LIST_LIMIT",
    "MENTIONS",
    "Listing",
    "Row",
    "chart_rows",
    "int_of",
    "read_list",
    "text_of",
]

# Rows per page of each list, and meetings in the chart (the most recent ones).
LIST_LIMIT = 50
CHART_LIMIT = 60

# The meeting of the row's graph and its date, read per row in one look-up: in a
# minutes graph only the meeting has a dcterms:date (rdf/mapping.py; the shapes
# require exactly one), which saves a third of the cost of a long list.
_MEETING = "LATERAL { GRAPH ?g { ?m dcterms:date ?date } } "


def _name(var: str, out: str) -> str:
    """A LATERAL look-up of one schema:name of ?var into ?out (any graph, first found)."""
    return (
        f"LATERAL {{ OPTIONAL {{ SELECT ?{var} ?{out} WHERE {{ ?{var} schema:name ?{out} }} "
        "LIMIT 1 } } "
    )


def _opt(pattern: str) -> str:
    return f"LATERAL {{ OPTIONAL {{ GRAPH ?g {{ {pattern} }} }} }} "


@dataclass(frozen=True)
class Listing:
    """How to read one list: the rows that name ?x (in ``GRAPH ?g``, binding ``key``),
    the per-row sort keys read before paging, and the details read after it."""

    select: str
    first: str
    row: str
    details: str

    def count_query(self) -> str:
        """SPARQL counting the rows and the meetings (graphs) they are in."""
        return (
            "SELECT ?x (COUNT(*) AS ?n) (COUNT(DISTINCT ?g) AS ?meetings) WHERE { "
            f"{self.first} }} GROUP BY ?x"
        )

    def page_query(self, offset: int, limit: int) -> str:
        """SPARQL for ``limit`` rows from ``offset``, newest meeting first.

        Only what the order needs is read for every row (meeting, date, line); the
        rest after paging. IRIs come last in the order: Oxigraph compares two IRIs
        by reading both strings from the store, which made sorting 6,000 mentions of
        a work package by graph first take half a second. (Counting rows per meeting
        first and reading only the page's meetings was tried: one query per meeting
        made most pages slower.)"""
        return (
            f"SELECT ?x {self.select} WHERE {{ "
            "{ SELECT * WHERE { "
            f"{self.first} {_MEETING}{_opt(f'?{self.row} ekg:line ?line')}}} "
            f"ORDER BY DESC(?date) ?line ?g ?{self.row} "
            f"LIMIT {int(limit)} OFFSET {int(offset)} }} "
            f"{self.details} }}"
        )


MENTIONS = Listing(
    select="?men ?m ?mn ?date ?line ?exact ?pre ?suf",
    first="GRAPH ?g { ?men oa:hasBody ?x }",
    row="men",
    details=_opt("?m schema:name ?mn")
    + _opt("?men oa:hasTarget/oa:hasSelector/oa:exact ?exact")
    + _opt("?men oa:hasTarget/oa:hasSelector/oa:prefix ?pre")
    + _opt("?men oa:hasTarget/oa:hasSelector/oa:suffix ?suf"),
)

ITEMS = Listing(
    select="?role ?i ?num ?name ?m ?mn ?date ?line",
    first="{ GRAPH ?g { ?i schema:performer ?x } BIND('speaker' AS ?role) } UNION "
    "{ GRAPH ?g { ?i schema:about ?x } BIND('topic' AS ?role) } "
    "LATERAL { GRAPH ?g { ?i a ekg:AgendaItem } }",
    row="i",
    details=_opt("?i ekg:itemNumber ?num")
    + _opt("?i schema:name ?name")
    + _opt("?m schema:name ?mn"),
)

AFFILIATIONS = Listing(
    select="?ms ?p ?pn ?o ?on ?as ?m ?mn ?date ?line",
    first="{ GRAPH ?g { ?ms org:member ?x } } UNION { GRAPH ?g { ?ms org:organization ?x } }",
    row="ms",
    details="LATERAL { GRAPH ?g { ?ms org:member ?p } } "
    "LATERAL { GRAPH ?g { ?ms org:organization ?o } } "
    + _opt("?ms ekg:statedAs ?as")
    + _opt("?m schema:name ?mn")
    + _name("p", "pn")
    + _name("o", "on"),
)

Row = tuple[Node | None, ...]


def read_list(
    query: Querier, listing: Listing, iri: URIRef, offset: int, limit: int = LIST_LIMIT
) -> tuple[list[Row], int, int]:
    """One page of ``listing`` for ``iri``, newest meeting first and in line order within
    a meeting (rows without the leading ?x column), the total number of rows and the
    number of meetings they are in. Raises QueryError if the store refuses a query."""
    total, meetings = 0, 0
    for _x, n, found in query(listing.count_query(), bindings={"x": iri}).rows():
        total, meetings = int_of(n) or 0, int_of(found) or 0
    if total == 0 or offset >= total:
        return [], total, meetings
    rows = query(listing.page_query(offset, limit), bindings={"x": iri}).rows()
    return [tuple(row[1:]) for row in rows], total, meetings


def chart_rows(query: Querier, iri: URIRef) -> list[Row]:
    """(meeting, name, date, mentions) for the CHART_LIMIT latest meetings that mention
    ``iri``, oldest first."""
    rows = query(
        "SELECT ?x ?m ?name ?date ?n WHERE { "
        "{ SELECT ?x ?g ?m ?date ?n WHERE { "
        "{ SELECT ?x ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?men oa:hasBody ?x } } "
        f"GROUP BY ?x ?g }} {_MEETING}}} ORDER BY DESC(?date) ?g LIMIT {CHART_LIMIT} }} "
        + _opt("?m schema:name ?name")
        + "}",
        bindings={"x": iri},
    ).rows()
    found: list[Row] = [tuple(row[1:]) for row in rows]
    found.reverse()
    return found


def int_of(node: Node | None) -> int | None:
    """The integer a literal holds; None for anything else (a page shows no number)."""
    if isinstance(node, RdfLiteral):
        try:
            return int(node)
        except ValueError:
            return None
    return None


def text_of(node: Node | None) -> str:
    """The text of a term; "" for an unbound one."""
    return "" if node is None else str(node)
