"""Paged lists for entity pages: affiliations, agenda items, mentions and mentions per meeting.

A frequently named entity (org/cern, a work package) has thousands of mentions
across thousands of meetings, so each list is read one page at a time, newest
first, with its total counted apart. Every query starts from the few quads that
name the entity (``GRAPH ?g { ?s <p> ?x }``) and looks the rest up with one
``LATERAL`` pattern per row (see queries/README.md, rule 7): the engine never
joins a whole predicate of the store. Names come from ``LIMIT 1`` look-ups,
since a person or an organisation is named once in every graph that mentions it.
Servers without LATERAL (Virtuoso, Fuseki, GraphDB) get the same lists from
SPARQL 1.1 joins and OPTIONALs (``lateral=False``), which their planners run
from the bound entity as well.
"""

from __future__ import annotations

from collections.abc import Callable
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
_MEETING = "?m dcterms:date ?date"


def _join(pattern: str, lateral: bool) -> str:
    """``pattern`` in the row's graph, looked up per row (LATERAL) or joined (SPARQL 1.1:
    the same answer, as the pattern only adds variables)."""
    return f"LATERAL {{ GRAPH ?g {{ {pattern} }} }} " if lateral else f"GRAPH ?g {{ {pattern} }} "


def _opt(pattern: str, lateral: bool) -> str:
    """``pattern`` in the row's graph if it is there (a per-row OPTIONAL, or the SPARQL 1.1
    left join, which gives the same rows)."""
    inner = f"OPTIONAL {{ GRAPH ?g {{ {pattern} }} }}"
    return f"LATERAL {{ {inner} }} " if lateral else inner + " "


def _name(var: str, out: str) -> str:
    """A LATERAL look-up of one schema:name of ?var into ?out (any graph, first found)."""
    return (
        f"LATERAL {{ OPTIONAL {{ SELECT ?{var} ?{out} WHERE {{ ?{var} schema:name ?{out} }} "
        "LIMIT 1 } } "
    )


@dataclass(frozen=True)
class Listing:
    """How to read one list: the rows that name ?x (in ``GRAPH ?g``, binding ``key``),
    the per-row sort keys read before paging, and the details read after it.

    ``first`` and ``details`` are written for a store with LATERAL or without
    (``lateral``); ``keys`` are the columns ``first`` binds besides ?g; ``row_key``
    names the columns (after ?x) that identify a row, so that a detail with two
    values never shows one row twice; ``names`` pairs a column with the column of
    its name.

    With LATERAL one query reads a page with its details and names. Without it
    ``read_list`` reads the page's rows, then their details for those rows only
    (``VALUES``), then the names: Virtuoso's planner estimates the one-query form
    at hours for a frequently named entity and refuses to run it.
    """

    select: str
    first: Callable[[bool], str]
    row: str
    details: Callable[[bool], str]
    row_key: tuple[int, ...]
    keys: str
    names: tuple[tuple[str, str], ...] = ()

    def count_query(self, lateral: bool = True) -> str:
        """SPARQL counting the rows and the meetings (graphs) they are in."""
        return (
            "SELECT ?x (COUNT(*) AS ?n) (COUNT(DISTINCT ?g) AS ?meetings) WHERE { "
            f"{self.first(lateral)} }} GROUP BY ?x"
        )

    def _rows(self, lateral: bool) -> str:
        return (
            f"{self.first(lateral)}{_join(_MEETING, lateral)}"
            f"{_opt(f'?{self.row} ekg:line ?line', lateral)}"
        )

    @property
    def _order(self) -> str:
        return f"DESC(?date) ?line ?g ?{self.row}"

    def page_query(self, offset: int, limit: int) -> str:
        """SPARQL for ``limit`` rows from ``offset``, newest meeting first, with their
        details (LATERAL).

        Only what the order needs is read for every row (meeting, date, line); the
        rest after paging. IRIs come last in the order: Oxigraph compares two IRIs
        by reading both strings from the store, which made sorting 6,000 mentions of
        a work package by graph first take half a second. (Counting rows per meeting
        first and reading only the page's meetings was tried: one query per meeting
        made most pages slower.)"""
        return (
            f"SELECT ?x {self.select} WHERE {{ "
            f"{{ SELECT * WHERE {{ {self._rows(True)}}} "
            f"ORDER BY {self._order} LIMIT {int(limit)} OFFSET {int(offset)} }} "
            f"{self.details(True)} }}"
        )

    def plain_page_query(self, offset: int, limit: int) -> str:
        """SPARQL 1.1 for the keys, graph, meeting, date and line of ``limit`` rows from
        ``offset``, newest meeting first."""
        return (
            f"SELECT ?x {self.keys} ?g ?m ?date ?line WHERE {{ {self._rows(False)}}} "
            f"ORDER BY {self._order} LIMIT {int(limit)} OFFSET {int(offset)}"
        )

    def plain_details_query(self, rows: list[tuple[Node, Node, Node]]) -> str:
        """SPARQL 1.1 for the details of ``rows`` (row resource, graph, meeting)."""
        values = " ".join(f"({r.n3()} {g.n3()} {m.n3()})" for r, g, m in rows)
        return (
            f"SELECT DISTINCT ?{self.row} ?g ?m {' '.join(self.detail_columns)} WHERE {{ "
            f"VALUES (?{self.row} ?g ?m) {{ {values} }} {self.details(False)}}}"
        )

    @property
    def detail_columns(self) -> list[str]:
        """The columns of ``select`` that the details query reads."""
        paged = {*self.keys.split(), "?g", "?m", "?date", "?line"}
        named = {f"?{out}" for _var, out in self.names}
        return [c for c in self.select.split() if c not in paged | named]


def _mention_details(lateral: bool) -> str:
    return (
        _opt("?m schema:name ?mn", lateral)
        + _opt("?men oa:hasTarget/oa:hasSelector/oa:exact ?exact", lateral)
        + _opt("?men oa:hasTarget/oa:hasSelector/oa:prefix ?pre", lateral)
        + _opt("?men oa:hasTarget/oa:hasSelector/oa:suffix ?suf", lateral)
    )


MENTIONS = Listing(
    select="?men ?m ?mn ?date ?line ?exact ?pre ?suf",
    first=lambda lateral: "GRAPH ?g { ?men oa:hasBody ?x }",
    row="men",
    details=_mention_details,
    row_key=(0,),
    keys="?men",
)


def _item_rows(lateral: bool) -> str:
    return (
        "{ GRAPH ?g { ?i schema:performer ?x } BIND('speaker' AS ?role) } UNION "
        "{ GRAPH ?g { ?i schema:about ?x } BIND('topic' AS ?role) } "
        + _join("?i a ekg:AgendaItem", lateral)
    )


def _item_details(lateral: bool) -> str:
    return (
        _opt("?i ekg:itemNumber ?num", lateral)
        + _opt("?i schema:name ?name", lateral)
        + _opt("?m schema:name ?mn", lateral)
    )


ITEMS = Listing(
    select="?role ?i ?num ?name ?m ?mn ?date ?line",
    first=_item_rows,
    row="i",
    details=_item_details,
    row_key=(0, 1),
    keys="?role ?i",
)


def _affiliation_details(lateral: bool) -> str:
    return (
        _join("?ms org:member ?p", lateral)
        + _join("?ms org:organization ?o", lateral)
        + _opt("?ms ekg:statedAs ?as", lateral)
        + _opt("?m schema:name ?mn", lateral)
        + (_name("p", "pn") + _name("o", "on") if lateral else "")
    )


AFFILIATIONS = Listing(
    select="?ms ?p ?pn ?o ?on ?as ?m ?mn ?date ?line",
    first=lambda lateral: (
        "{ GRAPH ?g { ?ms org:member ?x } } UNION { GRAPH ?g { ?ms org:organization ?x } }"
    ),
    row="ms",
    details=_affiliation_details,
    row_key=(0,),
    keys="?ms",
    names=(("p", "pn"), ("o", "on")),
)

Row = tuple[Node | None, ...]


def read_list(
    query: Querier,
    listing: Listing,
    iri: URIRef,
    offset: int,
    limit: int = LIST_LIMIT,
    *,
    lateral: bool = True,
) -> tuple[list[Row], int, int]:
    """One page of ``listing`` for ``iri``, newest meeting first and in line order within
    a meeting (rows without the leading ?x column), the total number of rows and the
    number of meetings they are in. ``lateral`` False writes the queries in SPARQL 1.1
    (for servers without LATERAL). Raises QueryError if the store refuses a query."""
    total, meetings = 0, 0
    for _x, n, in_graphs in query(listing.count_query(lateral), bindings={"x": iri}).rows():
        total, meetings = int_of(n) or 0, int_of(in_graphs) or 0
    if total == 0 or offset >= total:
        return [], total, meetings
    found: list[Row]
    if lateral:
        rows = query(listing.page_query(offset, limit), bindings={"x": iri}).rows()
        found = [tuple(row[1:]) for row in rows]
    else:
        found = _plain_page(query, listing, iri, offset, limit)
    unique: dict[tuple[Node | None, ...], Row] = {}
    for row in found:
        unique.setdefault(tuple(row[i] for i in listing.row_key), row)
    return list(unique.values()), total, meetings


def _plain_page(
    query: Querier, listing: Listing, iri: URIRef, offset: int, limit: int
) -> list[Row]:
    """A page of ``listing`` read with SPARQL 1.1: its rows, their details, their names;
    rows in the columns of ``listing.select``."""
    columns = ["?x", *listing.keys.split(), "?g", "?m", "?date", "?line"]
    paged = [
        dict(zip(columns, row, strict=True))
        for row in query(listing.plain_page_query(offset, limit), bindings={"x": iri}).rows()
    ]
    key = f"?{listing.row}"
    wanted: list[tuple[Node, Node, Node]] = sorted(
        {
            (res, g, m)
            for r in paged
            if (res := r[key]) is not None
            and (g := r["?g"]) is not None
            and (m := r["?m"]) is not None
        },
        key=lambda t: tuple(str(v) for v in t),
    )
    details: dict[tuple[Node | None, ...], dict[str, Node | None]] = {}
    if wanted:
        names = [key, "?g", "?m", *listing.detail_columns]
        rows = query(listing.plain_details_query(wanted)).rows()
        # A detail with two values: the first in order, as a page shows one.
        for detail in sorted(rows, key=lambda r: tuple(text_of(v) for v in r)):
            details.setdefault(tuple(detail[:3]), dict(zip(names, detail, strict=True)))
    page: list[Row] = []
    for r in paged:
        values = {**r, **details.get((r[key], r["?g"], r["?m"]), {})}
        page.append(tuple(values.get(c) for c in listing.select.split()))
    return _with_names(query, listing, page) if listing.names else page


def _with_names(query: Querier, listing: Listing, rows: list[Row]) -> list[Row]:
    """``rows`` with the name columns of ``listing.names`` filled in: the first name of
    each resource in order, read in one query for the whole page."""
    columns = listing.select.split()
    pairs = [(columns.index(f"?{var}"), columns.index(f"?{out}")) for var, out in listing.names]
    wanted = sorted({r for row in rows for i, _ in pairs if isinstance(r := row[i], URIRef)})
    if not wanted:
        return rows
    names: dict[Node, Node] = {}
    found = query(
        "SELECT DISTINCT ?r ?n WHERE { VALUES ?r { "
        + " ".join(r.n3() for r in wanted)
        + " } ?r schema:name ?n }"
    ).rows()
    for r, n in sorted(found, key=lambda rn: text_of(rn[1])):
        if r is not None and n is not None:
            names.setdefault(r, n)
    filled = []
    for row in rows:
        values = list(row)
        for i, j in pairs:
            key = values[i]
            values[j] = names.get(key) if key is not None else None
        filled.append(tuple(values))
    return filled


def chart_rows(query: Querier, iri: URIRef, *, lateral: bool = True) -> list[Row]:
    """(meeting, name, date, mentions) for the CHART_LIMIT latest meetings that mention
    ``iri``, oldest first."""
    order = "DESC(?date) ?g"
    rows = query(
        "SELECT ?x ?m ?name ?date ?n WHERE { "
        "{ SELECT ?x ?g ?m ?date ?n WHERE { "
        "{ SELECT ?x ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?men oa:hasBody ?x } } "
        f"GROUP BY ?x ?g }} {_join(_MEETING, lateral)}}} ORDER BY {order} "
        f"LIMIT {CHART_LIMIT} }} "
        + _opt("?m schema:name ?name", lateral)
        + "}"
        + ("" if lateral else f" ORDER BY {order}"),
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
