"""Read models for the landing page and the name search: counts, latest meetings, hits."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Literal as RdfLiteral
from rdflib import URIRef

from escape_kg.describe import Querier
from escape_kg.listings import int_of, text_of
from escape_kg.rdf.namespaces import EKG

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


def overview(query: Querier) -> Overview:
    """Counts of meetings, people, organisations and mentions, and ten latest meetings."""
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
    recent = query(
        "SELECT ?m ?name ?date WHERE { "
        "{ SELECT ?m ?g ?date WHERE { GRAPH ?g { ?m a ekg:Meeting } "
        "LATERAL { GRAPH ?g { ?m dcterms:date ?date } } } ORDER BY DESC(?date) LIMIT 10 } "
        "LATERAL { OPTIONAL { GRAPH ?g { ?m schema:name ?name } } } }"
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


def search(query: Querier, text: str, number: int = 1) -> tuple[list[SearchHit], bool]:
    """Up to SEARCH_LIMIT entities and meetings whose name contains ``text`` (any case),
    on page ``number`` of the answer, with a flag set when there are more. ``text`` is
    bound as a literal, never written into the query.

    Entities are matched on their ``ekg:searchKey`` (every label, lower-cased at
    import), meetings on their name; the label and types are looked up for the
    hits of the page only.
    """
    offset = (max(1, number) - 1) * SEARCH_LIMIT
    rows = query(
        "SELECT DISTINCT ?q ?r ?label ?t WHERE { "
        "{ SELECT DISTINCT ?q ?r WHERE { "
        # Each distinct key is tested once (a person's keys repeat in every graph
        # naming them), then its entities are one index read away.
        "{ { SELECT ?q ?k WHERE { { SELECT DISTINCT ?k WHERE { ?any ekg:searchKey ?k } } "
        "FILTER(CONTAINS(?k, LCASE(STR(?q)))) } } "
        "LATERAL { SELECT DISTINCT ?k ?r WHERE { ?r ekg:searchKey ?k FILTER(isIRI(?r)) } } "
        "} UNION "
        "{ GRAPH ?g { ?r a ekg:Meeting } LATERAL { GRAPH ?g { ?r schema:name ?n } } "
        "FILTER(CONTAINS(LCASE(?n), LCASE(STR(?q)))) } } "
        # No ORDER BY: sorting thousands of IRIs costs more than the search (Oxigraph
        # reads each IRI's text to compare it); the engine's order is stable while
        # the data stays the same, so pages do not overlap. A page is sorted by name.
        f"LIMIT {SEARCH_LIMIT + 1} OFFSET {offset} }} "
        "LATERAL { OPTIONAL { SELECT ?r ?label WHERE { ?r schema:name|rdfs:label ?label } "
        "LIMIT 1 } } "
        "LATERAL { OPTIONAL { ?r a ?t } } }",
        bindings={"q": RdfLiteral(text)},
    ).rows()
    labels: dict[URIRef, str] = {}
    types: dict[URIRef, set[URIRef]] = {}
    for _q, r, label, t in rows:
        if isinstance(r, URIRef):
            labels[r] = labels.get(r) or text_of(label) or str(r)
            found = types.setdefault(r, set())
            if isinstance(t, URIRef):
                found.add(t)
    # The page is the first SEARCH_LIMIT in the engine's order (the extra one only
    # says there is a next page), then sorted by name for reading.
    kept = list(labels)[:SEARCH_LIMIT]
    hits = [SearchHit(r, labels[r], tuple(sorted(types[r]))) for r in kept]
    hits.sort(key=lambda h: (h.label.lower(), str(h.iri)))
    return hits, len(labels) > SEARCH_LIMIT
