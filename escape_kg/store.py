"""The quad store: pyoxigraph on disk (or in memory), behind a small interface.

This is the only module that imports pyoxigraph. Terms cross the boundary as
rdflib terms, so nothing else needs to know which engine runs underneath.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Literal

import pyoxigraph as ox
from rdflib import BNode, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node

from escape_kg.errors import (
    QueryError,
    ResultTooLargeError,
    SourceError,
    StoreError,
    StoreLockedError,
)

__all__ = [
    "DUMP_FORMATS",
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "GraphInfo",
    "Limits",
    "QueryResult",
    "Store",
    "ntriples_body",
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


def _to_rdflib(term: object) -> Term:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return RdfLiteral(term.value, lang=term.language)
        return RdfLiteral(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unsupported term from the store: {term!r}")


def _to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
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


def _json_term(term: object) -> dict[str, object]:
    """One term in the SPARQL 1.1 Query Results JSON Format."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        parts = ("subject", "predicate", "object")
        return {"type": "triple", "value": {k: _json_term(getattr(term, k)) for k in parts}}
    raise TypeError(f"unsupported term from the store: {term!r}")


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


def _capped(write: object, limits: Limits) -> bytes:
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


def ntriples_body(triples: Iterable[tuple[Node, Node, Node]]) -> str:
    """Triples as lines of SPARQL ``INSERT DATA`` syntax (rdflib's ``n3`` of each term,
    which escapes quotes, backslashes and line breaks in literals)."""
    return "\n".join(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in triples)


@dataclass(frozen=True)
class GraphInfo:
    """A named graph and the number of triples in it."""

    iri: str
    triples: int


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
            yield tuple(None if solution[n] is None else _to_rdflib(solution[n]) for n in names)

    def triples(self) -> Iterator[tuple[Term, Term, Term]]:
        """CONSTRUCT/DESCRIBE triples."""
        if not isinstance(self._raw, ox.QueryTriples):
            raise QueryError("this query is not a CONSTRUCT or DESCRIBE query")
        for t in self._raw:
            yield (_to_rdflib(t.subject), _to_rdflib(t.predicate), _to_rdflib(t.object))

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
            assert isinstance(self._raw, ox.QueryTriples)
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
            assert isinstance(self._raw, ox.QueryTriples)
            triples = list(islice(self._raw, limits.rows + 1))
            if len(triples) > limits.rows:
                raise limits.too_many_rows()
            return _capped(lambda sink: ox.serialize(triples, sink, gfmt), limits)
        rfmt = RESULT_FORMATS.get(fmt)
        if rfmt is None:
            return self.serialize(fmt)
        assert isinstance(self._raw, ox.QuerySolutions)
        names = self.variables
        # pyoxigraph cannot count rows while it serialises, so the rows are taken
        # first (at most one past the cap), written as JSON, and re-read by its
        # serialiser for the other formats.
        solutions = list(islice(self._raw, limits.rows + 1))
        if len(solutions) > limits.rows:
            raise limits.too_many_rows()
        bindings = [{n: _json_term(s[n]) for n in names if s[n] is not None} for s in solutions]
        doc = {"head": {"vars": names}, "results": {"bindings": bindings}}
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
        if fmt == "json":
            if len(data) > limits.bytes:
                return _capped(lambda sink: sink.write(data), limits)
            return data
        reread = ox.parse_query_results(data, ox.QueryResultsFormat.JSON)
        assert isinstance(reread, ox.QuerySolutions)
        return _capped(lambda sink: reread.serialize(sink, rfmt), limits)


class Store:
    """A quad store; ``Store(None)`` is in memory, ``Store(path)`` lives in a folder.

    Raises StoreLockedError when another process holds the folder, and
    StoreError when it cannot be created or opened (permissions, full disk).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        if path is None:
            self._store = ox.Store()
            return
        try:
            path.mkdir(parents=True, exist_ok=True)
            self._store = ox.Store(str(path))
        except OSError as exc:
            text = str(exc)
            if "lock" in text.lower():
                raise StoreLockedError(
                    f"the store {path} is in use by another process",
                    hint="stop the other escape-kg process (a running server?) or use "
                    "another --store",
                ) from exc
            raise StoreError(
                f"cannot open the store {path}: {exc.strerror or text}",
                hint="check that the folder is writable and the disk is not full, "
                "or choose another one with --store / ESCAPE_KG_STORE",
            ) from exc

    @classmethod
    def read_only(cls, path: Path) -> Store:
        """A read-only handle on the store folder ``path``, which another process may
        hold open for writing; it sees the data flushed when it was opened.

        Raises StoreError when the folder holds no store.
        """
        store = cls.__new__(cls)
        store.path = None  # nothing to flush
        try:
            store._store = ox.Store.read_only(str(path))
        except OSError as exc:
            raise StoreError(f"cannot open the store {path} for reading: {exc}") from exc
        return store

    @classmethod
    def from_dump(cls, data: bytes, fmt: str = "nquads") -> Store:
        """An in-memory store holding a dump made by ``dump_bytes``."""
        store = cls(None)
        store._store.load(data, format=DUMP_FORMATS[fmt])
        return store

    # -- writing ----------------------------------------------------------

    def update(self, sparql: str, *, prefixes: Mapping[str, str] | None = None) -> None:
        """Run a SPARQL 1.1 Update in one transaction (all of it or nothing).

        Raises QueryError for a syntax error or an update the engine refuses,
        StoreError when writing fails.
        """
        try:
            self._store.update(sparql, prefixes=dict(prefixes or {}))
        except SyntaxError as exc:
            raise QueryError(
                f"SPARQL update syntax error: {exc}",
                hint="see https://www.w3.org/TR/sparql11-update/#grammar",
            ) from exc
        except (ValueError, RuntimeError) as exc:
            raise QueryError(f"the update failed: {exc}") from exc
        except OSError as exc:
            raise StoreError(
                f"writing to the store failed: {exc}",
                hint="check free disk space and that the store folder is writable",
            ) from exc

    def put_graph(self, graph: str | None, data: bytes, fmt: str, *, merge: bool = False) -> bool:
        """Replace (or, with ``merge``, add to) one graph with RDF ``data`` in ``fmt``
        (turtle/ntriples/jsonld/rdfxml), in one transaction. ``graph`` None is the
        default graph. Returns True if the named graph did not exist before.

        Raises SourceError when ``data`` does not parse, StoreError when writing fails.
        """
        target = "DEFAULT" if graph is None else f"GRAPH <{graph}>"
        base = graph or "urn:escape-kg:default"
        try:
            quads = list(
                ox.parse(
                    data,
                    format=GRAPH_FORMATS[fmt],
                    base_iri=base,
                    without_named_graphs=True,
                    rename_blank_nodes=True,
                )
            )
        except (SyntaxError, ValueError) as exc:
            raise SourceError(
                f"the request body does not parse as {fmt}: {exc}",
                hint="send a graph in the format named by Content-Type",
            ) from exc
        created = graph is not None and not self.has_graph(graph)
        body = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
        steps = [] if merge else [f"DROP SILENT {target}"]
        if graph is not None:
            steps.append(f"CREATE SILENT GRAPH <{graph}>")
        wrapped = body if graph is None else f"GRAPH <{graph}> {{\n{body}\n}}"
        steps.append(f"INSERT DATA {{ {wrapped} }}")
        self._update(" ;\n".join(steps))
        return created

    def graph_bytes(self, graph: str | None, fmt: str, limits: Limits) -> bytes:
        """One graph (None: the default graph) serialised in ``fmt``, within ``limits``.

        Raises ResultTooLargeError past the limits.
        """
        name = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
        quads = islice(self._store.quads_for_pattern(None, None, None, name), limits.rows + 1)
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
        if len(triples) > limits.rows:
            raise limits.too_many_rows()
        return _capped(lambda sink: ox.serialize(triples, sink, GRAPH_FORMATS[fmt]), limits)

    def replace_graph(self, graph: str, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Make ``graph`` hold exactly ``triples``, in one transaction.

        Readers see either the old graph or the new one, never a mix, and a
        crash leaves the old one. Raises StoreError if the write fails.
        """
        self.replace_graph_text(graph, ntriples_body(triples))

    def replace_graph_text(self, graph: str, body: str) -> None:
        """``replace_graph`` with the triples already written by ``ntriples_body``."""
        # One SPARQL Update request is one transaction in Oxigraph; separate
        # remove_graph + extend calls would not be.
        update = f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}"
        self._update(update)

    def drop_graph(self, graph: str) -> None:
        """Remove ``graph`` and its triples (no error if it does not exist)."""
        self._update(f"DROP SILENT GRAPH <{graph}>")

    def _update(self, update: str) -> None:
        try:
            self._store.update(update)
        except SyntaxError as exc:  # our own serialisation produced bad syntax: a bug
            raise StoreError(f"internal error writing to the store: {exc}") from exc
        except OSError as exc:
            raise StoreError(
                f"writing to the store failed: {exc}",
                hint="check free disk space and that the store folder is writable",
            ) from exc

    def load_dataset(self, data: bytes | IO[bytes], fmt: str) -> list[str]:
        """Restore an export: each named graph in it replaces the store's graph
        of that name, each in one transaction. Returns the graph IRIs restored.

        Raises StoreError for an unknown format or a file that does not parse.
        """
        rdf_format = DUMP_FORMATS.get(fmt)
        if rdf_format is None:
            raise StoreError(f"cannot load {fmt!r}", hint="use one of: " + ", ".join(DUMP_FORMATS))
        staging = ox.Store()
        try:
            staging.load(data, format=rdf_format)
        except SyntaxError as exc:
            raise StoreError(
                f"the export does not parse as {fmt}: {exc}",
                hint="give the file produced by `escape-kg export` and its format",
            ) from exc
        graphs = sorted(g.value for g in staging.named_graphs() if isinstance(g, ox.NamedNode))
        for graph in graphs:
            quads = staging.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            self.replace_graph(
                graph,
                (
                    (_to_rdflib(q.subject), _to_rdflib(q.predicate), _to_rdflib(q.object))
                    for q in quads
                ),
            )
        return graphs

    def flush(self) -> None:
        """Make sure everything written is on disk."""
        if self.path is not None:
            self._store.flush()

    def close(self) -> None:
        """Flush and release the store (and its lock); the object is unusable afterwards."""
        if getattr(self, "_store", None) is None:
            return
        self.flush()
        # Oxigraph releases the folder lock when its last reference goes away.
        del self._store

    # -- reading ----------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Node] | None = None,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query.

        Without ``default_graphs`` the default graph is the union of all
        graphs. ``substitutions`` pre-binds variables (name without "?") to
        terms, so values never get pasted into query text. Raises QueryError
        for syntax errors and engine failures.
        """
        kwargs: dict[str, object] = {}
        if default_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if substitutions:
            kwargs["substitutions"] = {
                ox.Variable(name): _to_oxigraph(term) for name, term in substitutions.items()
            }
        if prefixes:
            kwargs["prefixes"] = dict(prefixes)
        try:
            raw = self._store.query(sparql, **kwargs)  # type: ignore[arg-type]
        except SyntaxError as exc:
            raise QueryError(
                f"SPARQL syntax error: {exc}",
                hint="see https://www.w3.org/TR/sparql11-query/#grammar",
            ) from exc
        except (OSError, ValueError, RuntimeError) as exc:
            # RuntimeError: e.g. a bound variable that is not in the SELECT projection.
            raise QueryError(f"the query failed: {exc}") from exc
        return QueryResult(raw)

    def graphs(self) -> list[GraphInfo]:
        """Every named graph with its triple count, sorted by IRI."""
        result = self.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
        )
        return [
            GraphInfo(str(g), int(n)) for g, n in result.rows() if g is not None and n is not None
        ]

    def has_graph(self, graph: str) -> bool:
        """True if the store holds a named graph ``graph`` (even an empty one)."""
        return bool(self._store.contains_named_graph(ox.NamedNode(graph)))

    def graph_triples(self, graph: str) -> Iterator[tuple[Term, Term, Term]]:
        """The triples of one named graph."""
        for q in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            yield (_to_rdflib(q.subject), _to_rdflib(q.predicate), _to_rdflib(q.object))

    def quad_count(self) -> int:
        """Number of quads in the store."""
        return len(self._store)

    def dump(self, output: IO[bytes], fmt: str) -> None:
        """Write the whole dataset (every named graph) as TriG or N-Quads."""
        rdf_format = DUMP_FORMATS.get(fmt)
        if rdf_format is None:
            raise StoreError(
                f"cannot export as {fmt!r}", hint="use one of: " + ", ".join(DUMP_FORMATS)
            )
        try:
            self._store.dump(output, format=rdf_format)
        except OSError as exc:
            raise StoreError(f"writing the export failed: {exc}") from exc

    def dump_bytes(self, fmt: str) -> bytes:
        """The whole dataset as bytes (see ``dump``)."""
        buffer = io.BytesIO()
        self.dump(buffer, fmt)
        return buffer.getvalue()
