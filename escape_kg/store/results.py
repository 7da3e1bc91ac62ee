"""Query answers and the formats they are written in; rdflib <-> Oxigraph terms."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Literal

import pyoxigraph as ox
from rdflib import BNode, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node

from escape_kg.errors import (
    QueryError,
    ResultTooLargeError,
    SourceError,
)

__all__ = [
    "DUMP_FORMATS",
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "GraphInfo",
    "Limits",
    "QueryResult",
    "Term",
    "TripleList",
    "capped",
    "ntriples_body",
    "parse_graph",
    "to_oxigraph",
    "to_rdflib",
]

Term = URIRef | BNode | RdfLiteral

# Formats a whole dataset can be exported in / restored from.
DUMP_FORMATS: dict[str, ox.RdfFormat] = {
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}
# Formats a CONSTRUCT/DESCRIBE result can be written in.
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
# Formats a SELECT/ASK result can be written in.
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def to_rdflib(term: object) -> Term:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return RdfLiteral(term.value, lang=term.language)
        return RdfLiteral(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unsupported term from the store: {term!r}")


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, RdfLiteral):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot bind {term!r} as an RDF term")


@dataclass(frozen=True)
class Limits:
    """The most one answer may hold: ``rows`` solutions or triples, ``bytes`` serialised."""

    rows: int
    bytes: int

    def too_many_rows(self) -> ResultTooLargeError:
        """The error for an answer with more than ``rows`` rows or triples."""
        return ResultTooLargeError(
            f"the answer has more than {self.rows:,} rows (or triples), the most this server sends",
            hint="add LIMIT (and OFFSET to page through the rest), or narrow the query",
        )


class _CappedBuffer(io.RawIOBase):
    """A byte sink that refuses to grow past ``limit`` (pyoxigraph writes into it)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0
        self.overflow = False

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        chunk = bytes(data)  # type: ignore[call-overload]
        self.size += len(chunk)
        if self.size > self.limit:
            self.overflow = True
            raise OSError("result size limit reached")  # aborts the serialiser
        self.parts.append(chunk)
        return len(chunk)

    def value(self) -> bytes:
        return b"".join(self.parts)


def capped(write: object, limits: Limits) -> bytes:
    """Run ``write(sink)`` into a capped buffer; ResultTooLargeError past ``limits.bytes``."""
    sink = _CappedBuffer(limits.bytes)
    try:
        write(sink)  # type: ignore[operator]
    except OSError as exc:
        if not sink.overflow:
            raise
        raise ResultTooLargeError(
            f"the answer is larger than {limits.bytes:,} bytes, the most this server sends",
            hint="add LIMIT (and OFFSET to page through the rest), or select fewer variables",
        ) from exc
    return sink.value()


# What a string literal must escape to stay on one N-Triples line.
_TO_ESCAPE = re.compile(r'[\\"\n\r]')
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
# Left to rdflib, which writes their special values (INF, NaN) as RDF spells them.
_NUMBERS = frozenset(
    URIRef(f"http://www.w3.org/2001/XMLSchema#{name}") for name in ("float", "double", "decimal")
)


def _literal_line(term: RdfLiteral) -> str:
    datatype = term.datatype
    if datatype in _NUMBERS:
        return term.n3()
    lexical = str(term)
    if _TO_ESCAPE.search(lexical) is not None:
        lexical = lexical.translate(_ESCAPES)
    if term.language:
        return f'"{lexical}"@{term.language}'
    if datatype is not None:
        return f'"{lexical}"^^<{datatype}>'
    return f'"{lexical}"'


def ntriples_body(triples: Iterable[tuple[Node, Node, Node]]) -> str:
    """Triples as N-Triples lines, which are also SPARQL ``INSERT DATA`` and Turtle
    syntax: one triple a line, line breaks in literals escaped. IRIs are written by
    rdflib's ``n3``, which refuses characters an IRI cannot hold.

    A document's triples come grouped by subject and predicate, and a subject or
    predicate repeated from the previous triple is not written again; IRIs are
    written once per call. Both matter: this runs for every triple imported.
    """
    iris: dict[Node, str] = {}
    lines: list[str] = []
    append = lines.append
    last_s: Node | None = None
    last_p: Node | None = None
    head = ""
    for s, p, o in triples:
        if s is not last_s or p is not last_p:
            subject = iris.get(s) or iris.setdefault(s, s.n3())
            predicate = iris.get(p) or iris.setdefault(p, p.n3())
            head = f"{subject} {predicate} "
            last_s, last_p = s, p
        if type(o) is RdfLiteral:
            append(f"{head}{_literal_line(o)} .")
        else:
            append(f"{head}{iris.get(o) or iris.setdefault(o, o.n3())} .")
    return "\n".join(lines)


@dataclass(frozen=True)
class GraphInfo:
    """A named graph and the number of triples in it."""

    iri: str
    triples: int


class TripleList:
    """CONSTRUCT/DESCRIBE triples already read (a remote store's answer), standing in
    for the engine's own triple iterator."""

    def __init__(self, triples: list[ox.Triple]) -> None:
        self.triples = triples

    def __iter__(self) -> Iterator[ox.Triple]:
        return iter(self.triples)

    def serialize(self, format: ox.RdfFormat) -> bytes:
        """The triples written in ``format``."""
        out = ox.serialize(self.triples, format=format)
        assert out is not None  # no output stream given: the bytes come back
        return out


_Triples = (ox.QueryTriples, TripleList)


class QueryResult:
    """The answer to one query. Single use: read it once (rows, triples or serialize)."""

    def __init__(self, raw: object) -> None:
        self._raw = raw
        self.kind: Literal["select", "ask", "graph"]
        if isinstance(raw, ox.QueryBoolean):
            self.kind = "ask"
        elif isinstance(raw, ox.QuerySolutions):
            self.kind = "select"
        else:
            self.kind = "graph"

    @property
    def variables(self) -> list[str]:
        """The SELECT variables, in projection order (empty for ASK and graphs)."""
        if isinstance(self._raw, ox.QuerySolutions):
            return [v.value for v in self._raw.variables]
        return []

    @property
    def boolean(self) -> bool:
        """The ASK answer. Raises QueryError for other query forms."""
        if not isinstance(self._raw, ox.QueryBoolean):
            raise QueryError("this query is not an ASK query")
        return bool(self._raw)

    def rows(self) -> Iterator[tuple[Term | None, ...]]:
        """SELECT solutions as tuples in ``variables`` order; None for unbound."""
        if not isinstance(self._raw, ox.QuerySolutions):
            raise QueryError("this query is not a SELECT query")
        names = self.variables
        for solution in self._raw:
            yield tuple(None if solution[n] is None else to_rdflib(solution[n]) for n in names)

    def triples(self) -> Iterator[tuple[Term, Term, Term]]:
        """CONSTRUCT/DESCRIBE triples."""
        if not isinstance(self._raw, _Triples):
            raise QueryError("this query is not a CONSTRUCT or DESCRIBE query")
        for t in self._raw:
            yield (to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))

    def serialize(self, fmt: str) -> bytes:
        """The result in ``fmt``: json/xml/csv/tsv for SELECT and ASK,
        turtle/ntriples/jsonld/rdfxml for graphs. Raises QueryError otherwise."""
        if self.kind == "graph":
            gfmt = GRAPH_FORMATS.get(fmt)
            if gfmt is None:
                raise QueryError(
                    f"a graph result cannot be written as {fmt!r}",
                    hint="use one of: " + ", ".join(GRAPH_FORMATS),
                )
            assert isinstance(self._raw, _Triples)
            out = self._raw.serialize(format=gfmt)
        else:
            rfmt = RESULT_FORMATS.get(fmt)
            if rfmt is None:
                raise QueryError(
                    f"a {self.kind.upper()} result cannot be written as {fmt!r}",
                    hint="use one of: " + ", ".join(RESULT_FORMATS),
                )
            assert isinstance(self._raw, ox.QuerySolutions | ox.QueryBoolean)
            out = self._raw.serialize(format=rfmt)
        assert out is not None
        return out

    def serialize_capped(self, fmt: str, limits: Limits) -> bytes:
        """Like ``serialize``, refusing answers past ``limits``.

        Raises ResultTooLargeError (nothing partial is returned) or QueryError.
        """
        if self.kind == "ask":
            return self.serialize(fmt)
        if self.kind == "graph":
            gfmt = GRAPH_FORMATS.get(fmt)
            if gfmt is None:
                return self.serialize(fmt)  # raises the unknown-format error
            assert isinstance(self._raw, _Triples)
            triples = list(islice(self._raw, limits.rows + 1))
            if len(triples) > limits.rows:
                raise limits.too_many_rows()
            return capped(lambda sink: ox.serialize(triples, sink, gfmt), limits)
        rfmt = RESULT_FORMATS.get(fmt)
        if rfmt is None:
            return self.serialize(fmt)
        raw = self._raw
        assert isinstance(raw, ox.QuerySolutions)
        # pyoxigraph cannot count rows while it serialises, and building the JSON in
        # Python costs as much as the query on answers of thousands of rows. So its own
        # serialiser writes JSON within the byte cap, the rows are counted from that
        # text, and the other formats re-read it.
        data = capped(lambda sink: raw.serialize(sink, ox.QueryResultsFormat.JSON), limits)
        if _more_rows_than(data, limits.rows):
            raise limits.too_many_rows()
        if fmt == "json":
            return data
        reread = ox.parse_query_results(data, ox.QueryResultsFormat.JSON)
        assert isinstance(reread, ox.QuerySolutions)
        return capped(lambda sink: reread.serialize(sink, rfmt), limits)


def _more_rows_than(data: bytes, cap: int) -> bool:
    """True if the SPARQL JSON results ``data`` hold more than ``cap`` rows.

    Rows are objects separated by ``},{``, which cannot occur between the terms of
    one row (a term is followed by ``,"name"`` or ``}``). Literal text may hold it
    too, so the count is an upper bound, and only an answer it puts past the cap
    is counted exactly.
    """
    if data.count(b"},{") + 1 <= cap:
        return False
    solutions = ox.parse_query_results(data, ox.QueryResultsFormat.JSON)
    assert isinstance(solutions, ox.QuerySolutions)
    return sum(1 for _ in solutions) > cap


def parse_graph(data: bytes, fmt: str, graph: str | None) -> list[ox.Quad]:
    """The triples of one graph sent in ``fmt`` (a GRAPH_FORMATS key), relative IRIs
    resolved against ``graph``, blank nodes renamed apart from the store's.

    Raises SourceError when ``data`` does not parse or names graphs of its own.
    """
    try:
        return list(
            ox.parse(
                data,
                format=GRAPH_FORMATS[fmt],
                base_iri=graph or "urn:escape-kg:default",
                without_named_graphs=True,
                rename_blank_nodes=True,
            )
        )
    except (SyntaxError, ValueError) as exc:
        raise SourceError(
            f"the request body does not parse as {fmt}: {exc}",
            hint="send a graph in the format named by Content-Type",
        ) from exc
