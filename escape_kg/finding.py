"""Read models for the landing page and the name search: counts, latest meetings, hits."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Literal as RdfLiteral
from rdflib import URIRef
from rdflib.term import Node

from escape_kg.describe import Querier
from escape_kg.listings import int_of, text_of
from escape_kg.rdf.namespaces import EKG, RDF, RDFS, SCHEMA

__all__ = ["SEARCH_LIMIT", "Link", "Overview", "SearchHit", "overview", "search"]

# A search page lists at most this many hits.
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class Link:
    """A resource and the text to show for it."""

    iri: URIRef
    label: str


@dataclass(frozen=True)
class Overview:
    """Counts for the landing page, and the latest meetings (newest first)."""

    meetings: int
    people: int
    organisations: int
    mentions: int
    recent: tuple[tuple[Link, str], ...]


@dataclass(frozen=True)
class SearchHit:
    """A resource whose name matched, with its types."""

    iri: URIRef
    label: str
    types: tuple[URIRef, ...]


def overview(query: Querier, *, lateral: bool = True) -> Overview:
    """Counts of meetings, people, organisations and mentions, and ten latest meetings.
    ``lateral`` False writes the queries in SPARQL 1.1, for servers without LATERAL."""
    counts: dict[str, int] = {}
    for name, cls, distinct in (
        ("meetings", EKG.Meeting, True),
        ("people", URIRef("http://schema.org/Person"), True),
        ("organisations", URIRef("http://www.w3.org/ns/org#Organization"), True),
        # A mention is typed once, in its own graph: counting quads needs no DISTINCT,
        # which halves the cost of the largest count.
        ("mentions", EKG.Mention, False),
    ):
        what = "DISTINCT ?r" if distinct else "*"
        rows = query(
            f"SELECT ?c (COUNT({what}) AS ?n) WHERE {{ GRAPH ?g {{ ?r a ?c }} }} GROUP BY ?c",
            bindings={"c": cls},
        ).rows()
        counts[name] = next((int_of(n) or 0 for _c, n in rows), 0)
    # Each meeting's date and name are in its own graph: a per-row look-up, or in
    # SPARQL 1.1 a join and a left join on the graph, which give the same rows.
    date = "GRAPH ?g { ?m dcterms:date ?date }"
    name = "OPTIONAL { GRAPH ?g { ?m schema:name ?name } }"
    if lateral:
        date, name = f"LATERAL {{ {date} }}", f"LATERAL {{ {name} }}"
    recent = query(
        "SELECT ?m ?name ?date WHERE { "
        "{ SELECT ?m ?g ?date WHERE { GRAPH ?g { ?m a ekg:Meeting } "
        f"{date} }} ORDER BY DESC(?date) LIMIT 10 }} {name} }}"
    ).rows()
    ordered = sorted(
        recent, key=lambda r: (text_of(r[2]), [-ord(c) for c in text_of(r[1])]), reverse=True
    )
    meetings = tuple(
        (Link(m, text_of(name)), text_of(date))
        for m, name, date in ordered
        if isinstance(m, URIRef)
    )
    return Overview(recent=meetings, **counts)


def search(
    query: Querier, text: str, number: int = 1, *, lateral: bool = True
) -> tuple[list[SearchHit], bool]:
    """Up to SEARCH_LIMIT entities and meetings whose name contains ``text`` (any case),
    on page ``number`` of the answer, with a flag set when there are more. ``text`` is
    bound as a literal, never written into the query. ``lateral`` False writes the
    query in SPARQL 1.1, for servers without LATERAL.

    Entities are matched on their ``ekg:searchKey`` (every label, lower-cased at
    import), meetings on their name; the label and types are looked up for the
    hits of the page only.
    """
    offset = (max(1, number) - 1) * SEARCH_LIMIT
    keys = "SELECT DISTINCT ?k ?r WHERE { ?r ekg:searchKey ?k FILTER(isIRI(?r)) }"
    named = "GRAPH ?g { ?r schema:name ?n }"
    if lateral:
        keys, named = f"LATERAL {{ {keys} }}", f"LATERAL {{ {named} }}"
    else:
        keys = f"{{ {keys} }}"
    matching = (
        "{ SELECT DISTINCT ?q ?r WHERE { "
        # Each distinct key is tested once (a person's keys repeat in every graph
        # naming them), then its entities are one index read away.
        "{ { SELECT ?q ?k WHERE { { SELECT DISTINCT ?k WHERE { ?any ekg:searchKey ?k } } "
        "FILTER(CONTAINS(?k, LCASE(STR(?q)))) } } "
        f"{keys} "
        "} UNION "
        f"{{ GRAPH ?g {{ ?r a ekg:Meeting }} {named} "
        "FILTER(CONTAINS(LCASE(?n), LCASE(STR(?q)))) } } "
        # No ORDER BY: sorting thousands of IRIs costs more than the search (Oxigraph
        # reads each IRI's text to compare it); the engine's order is stable while
        # the data stays the same, so pages do not overlap. A page is sorted by name.
        # A server without LATERAL (Virtuoso) may change its order from one offset to
        # the next, so there the hits are put in order: pages then neither overlap nor
        # leave a hit out.
        f"{'' if lateral else 'ORDER BY ?r '}LIMIT {SEARCH_LIMIT + 1} OFFSET {offset} }}"
    )
    bound = {"q": RdfLiteral(text)}
    # A hit's label is its schema:name, else its rdfs:label (a deliverable has both).
    labels: dict[URIRef, list[tuple[bool, str]]] = {}
    types: dict[URIRef, set[URIRef]] = {}
    if lateral:
        rows = query(
            f"SELECT DISTINCT ?q ?r ?label ?alt ?t WHERE {{ {matching} "
            "LATERAL { OPTIONAL { SELECT ?r ?label WHERE { ?r schema:name ?label } LIMIT 1 } } "
            "LATERAL { OPTIONAL { SELECT ?r ?alt WHERE { ?r rdfs:label ?alt } LIMIT 1 } } "
            "LATERAL { OPTIONAL { ?r a ?t } } }",
            bindings=bound,
        ).rows()
        for _q, r, name, alt, t in rows:
            if isinstance(r, URIRef):
                _hit(labels, types, r, name, alt, t)
    else:
        # Without LATERAL the hits first, then their labels and types in one query for
        # the page: joined to the hits, a hub's names and types (one per graph that
        # names it) would multiply into millions of rows.
        ordered = f"SELECT ?q ?r WHERE {matching} ORDER BY ?r"
        found = [r for _q, r in query(ordered, bindings=bound).rows()]
        page = [r for r in found if isinstance(r, URIRef)]
        for r in page:
            _hit(labels, types, r, None, None, None)
        if page:
            values = " ".join(r.n3() for r in page)
            for r, p, v in query(
                f"SELECT DISTINCT ?r ?p ?v WHERE {{ VALUES ?r {{ {values} }} "
                "VALUES ?p { schema:name rdfs:label rdf:type } ?r ?p ?v }"
            ).rows():
                if isinstance(r, URIRef):
                    name = v if p == SCHEMA.name else None
                    alt = v if p == RDFS.label else None
                    _hit(labels, types, r, name, alt, v if p == RDF.type else None)
    # The page is the first SEARCH_LIMIT in the engine's order (the extra one only
    # says there is a next page), then sorted by name for reading.
    kept = list(labels)[:SEARCH_LIMIT]
    hits = [
        SearchHit(r, min(labels[r], default=(True, ""))[1] or str(r), tuple(sorted(types[r])))
        for r in kept
    ]
    hits.sort(key=lambda h: (h.label.lower(), str(h.iri)))
    return hits, len(labels) > SEARCH_LIMIT


def _hit(
    labels: dict[URIRef, list[tuple[bool, str]]],
    types: dict[URIRef, set[URIRef]],
    r: URIRef,
    name: Node | None,
    alt: Node | None,
    kind: Node | None,
) -> None:
    """Note a hit ``r`` with a name, label or type it has (each may be None)."""
    found = labels.setdefault(r, [])
    if name is not None or alt is not None:
        found.append((name is None, text_of(name) or text_of(alt)))
    kinds = types.setdefault(r, set())
    if isinstance(kind, URIRef):
        kinds.add(kind)
