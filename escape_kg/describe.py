"""What the store says about one IRI: its description, as served at that IRI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node

from escape_kg.rdf.namespaces import EKG, PREFIXES, RDF, RDFS, SCHEMA, XSD
from escape_kg.store import QueryResult

__all__ = ["INCOMING_LIMIT", "Description", "Querier", "describe"]

# A hub (org/cern, a work package) can be the object of thousands of triples; a
# description lists this many and says when there were more (the rest is one SPARQL
# query away). The same cap bounds the named graphs listed.
INCOMING_LIMIT = 100
# Hash IRIs (mention#target -> mention#quote) nest this deep at most in our mapping.
_HASH_DEPTH = 3

Term = URIRef | BNode | RdfLiteral
Triple = tuple[URIRef, URIRef, Term]


class Querier(Protocol):
    """Runs one SPARQL query with pre-bound variables (``KnowledgeGraph.query``)."""

    def __call__(self, sparql: str, *, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        """The answer to ``sparql``; raises QueryError for a malformed query."""
        ...


@dataclass(frozen=True)
class Description:
    """One resource as the store knows it.

    ``outgoing`` holds the triples of the resource and of its hash IRIs
    (``<x#target>``...), which are served with it; ``incoming`` the subjects
    and predicates that point at it (at most ``INCOMING_LIMIT``, with
    ``incoming_truncated`` set when there were more); ``labels`` the names of
    every resource either list mentions; ``graphs`` the named graphs that hold
    any of these statements.
    """

    iri: URIRef
    outgoing: tuple[Triple, ...]
    incoming: tuple[tuple[URIRef, URIRef], ...]
    labels: tuple[tuple[URIRef, URIRef, RdfLiteral], ...]
    graphs: tuple[URIRef, ...]
    incoming_truncated: bool = False

    @property
    def types(self) -> tuple[URIRef, ...]:
        """The rdf:type values of the resource itself, sorted."""
        found = {o for s, p, o in self.outgoing if s == self.iri and p == RDF.type}
        return tuple(sorted(o for o in found if isinstance(o, URIRef)))

    def label(self, node: Node) -> str | None:
        """The name (schema:name, else rdfs:label) of ``node``, or None."""
        own = [(s, p, o) for s, p, o in self.outgoing if p in (SCHEMA.name, RDFS.label)]
        found = [(p, str(o)) for s, p, o in [*self.labels, *own] if s == node]
        names = sorted(text for p, text in found if p == SCHEMA.name)
        others = sorted(text for p, text in found if p != SCHEMA.name)
        return next(iter(names or others), None)

    def values(self, predicate: URIRef) -> list[Term]:
        """The objects of ``predicate`` on the resource itself, in a stable order."""
        found = [o for s, p, o in self.outgoing if s == self.iri and p == predicate]
        return sorted(found, key=lambda t: (str(t), t.n3()))

    def graph(self) -> Graph:
        """The description as RDF: outgoing and incoming triples, the labels of linked
        resources, and ``<iri> ekg:describedIn <graph>`` for each named graph."""
        g = Graph(bind_namespaces="none")
        for prefix, namespace in PREFIXES.items():
            g.bind(prefix, namespace, override=True, replace=True)
        for s, p, o in self.outgoing:
            g.add((s, p, _plain(o)))
        for subject, predicate in self.incoming:
            g.add((subject, predicate, self.iri))
        for s, p, o in self.labels:
            g.add((s, p, _plain(o)))
        for named in self.graphs:
            g.add((self.iri, EKG.describedIn, named))
        return g


def _plain(term: Term) -> Term:
    """xsd:string literals as simple literals (the same term in RDF 1.1), for tidier output."""
    if isinstance(term, RdfLiteral) and term.datatype == XSD.string:
        return RdfLiteral(str(term))
    return term


def _uri(node: object) -> URIRef | None:
    return node if isinstance(node, URIRef) else None


def _outgoing(query: Querier, iri: URIRef) -> list[Triple]:
    triples: list[Triple] = []
    seen: set[URIRef] = set()
    frontier = [iri]
    hash_prefix = f"{iri}#"
    for _ in range(_HASH_DEPTH + 1):
        following: list[URIRef] = []
        for subject in frontier:
            seen.add(subject)
            result = query("SELECT DISTINCT ?x ?p ?o WHERE { ?x ?p ?o }", bindings={"x": subject})
            for _x, p, o in result.rows():
                if not isinstance(p, URIRef) or o is None:
                    continue
                triples.append((subject, p, o))
                child = _uri(o)
                if child is not None and child.startswith(hash_prefix) and child not in seen:
                    following.append(child)
        frontier = sorted(set(following))
        if not frontier:
            break
    return triples


_NAMED = "VALUES ?lp { schema:name rdfs:label }"


def _incoming(query: Querier, node: URIRef, lateral: bool) -> list[tuple[Node | None, ...]]:
    """(subject, predicate, label predicate, label) rows: at most INCOMING_LIMIT + 1
    links, with one label each where LATERAL is understood (a person is named in
    every graph that mentions it), else every distinct label (``describe`` keeps one).
    No ORDER BY: sorting every incoming link of a hub costs a second at 2,000
    meetings, while an unordered LIMIT stops early; the caller sorts what it got."""
    links = f"SELECT DISTINCT ?x ?s ?p WHERE {{ ?s ?p ?x }} LIMIT {INCOMING_LIMIT + 1}"
    if not lateral:
        pairs = [(s, p) for _x, s, p in query(links, bindings={"x": node}).rows()]
        labels = _labels(query, {s for s, _p in pairs if isinstance(s, URIRef)})
        found: list[tuple[Node | None, ...]] = []
        for s, p in pairs:
            lp, lit = labels.get(s, (None, None)) if isinstance(s, URIRef) else (None, None)
            found.append((s, p, lp, lit))
        return found
    rows = query(
        f"SELECT ?x ?s ?p ?lp ?l WHERE {{ {{ {links} }} "
        f"LATERAL {{ OPTIONAL {{ SELECT ?s ?lp ?l WHERE {{ ?s ?lp ?l {_NAMED} }} LIMIT 1 }} }} }}",
        bindings={"x": node},
    ).rows()
    return [tuple(row[1:]) for row in rows]


def _outgoing_labels(
    query: Querier, node: URIRef, outgoing: list[Triple], lateral: bool
) -> list[tuple[Node | None, ...]]:
    """(resource, label predicate, label) for the IRIs ``node`` points at, one each."""
    if not lateral:
        targets = {o for s, _p, o in outgoing if s == node and isinstance(o, URIRef)}
        return [(r, lp, lit) for r, (lp, lit) in _labels(query, targets).items()]
    rows = query(
        f"SELECT DISTINCT ?x ?r ?lp ?l WHERE {{ ?x ?p ?r FILTER(isIRI(?r)) "
        f"LATERAL {{ SELECT ?r ?lp ?l WHERE {{ ?r ?lp ?l {_NAMED} }} LIMIT 1 }} }}",
        bindings={"x": node},
    ).rows()
    return [tuple(row[1:]) for row in rows]


def _labels(query: Querier, resources: set[URIRef]) -> dict[URIRef, tuple[Node, Node]]:
    """One label of each of ``resources`` (SPARQL 1.1, one query): the first
    schema:name in order, else the first rdfs:label."""
    if not resources:
        return {}
    values = " ".join(r.n3() for r in sorted(resources))
    rows = query(
        f"SELECT DISTINCT ?r ?lp ?l WHERE {{ VALUES ?r {{ {values} }} ?r ?lp ?l {_NAMED} }}"
    ).rows()
    found: dict[URIRef, tuple[Node, Node]] = {}
    for r, lp, lit in sorted(
        rows, key=lambda t: (t[1] != SCHEMA.name, str(t[2]), t[2].n3() if t[2] else "")
    ):
        if isinstance(r, URIRef) and lp is not None and lit is not None:
            found.setdefault(r, (lp, lit))
    return found


def describe(query: Querier, iri: str, *, lateral: bool = True) -> Description | None:
    """The description of ``iri``, or None when no triple names it as subject or object.
    ``lateral`` False writes the queries in SPARQL 1.1, for servers without LATERAL.

    Raises QueryError if the store refuses a query (not expected for a valid IRI).
    """
    node = URIRef(iri)
    outgoing = _outgoing(query, node)
    labels: set[tuple[URIRef, URIRef, RdfLiteral]] = set()

    def label(r: object, lp: object, lit: object) -> None:
        if isinstance(r, URIRef) and isinstance(lit, RdfLiteral):
            labels.add((r, SCHEMA.name if lp == SCHEMA.name else RDFS.label, lit))

    links: set[tuple[URIRef, URIRef]] = set()
    for s, p, lp, lit in _incoming(query, node, lateral):
        if isinstance(s, URIRef) and isinstance(p, URIRef):
            links.add((s, p))
            label(s, lp, lit)
    if not outgoing and not links:
        return None
    incoming = sorted(links, key=lambda sp: (str(sp[1]), str(sp[0])))
    truncated = len(incoming) > INCOMING_LIMIT
    incoming = incoming[:INCOMING_LIMIT]
    kept = {s for s, _p in incoming}
    labels = {t for t in labels if t[0] in kept}
    # Labels of what the resource points at: one lookup per outgoing IRI.
    for r, lp, lit in _outgoing_labels(query, node, outgoing, lateral):
        label(r, lp, lit)
    graphs = query(
        "SELECT DISTINCT ?x ?g WHERE { GRAPH ?g { { ?x ?p ?o } UNION { ?s ?p ?x } } } "
        f"LIMIT {INCOMING_LIMIT}",
        bindings={"x": node},
    ).rows()
    return Description(
        node,
        tuple(outgoing),
        tuple(incoming),
        tuple(sorted(labels)),
        tuple(sorted(g for _x, g in graphs if isinstance(g, URIRef))),
        truncated,
    )
