"""The Store: one pyoxigraph store on disk or in memory, written a graph at a time."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from rdflib.term import Node

from escape_kg.errors import (
    QueryError,
    StoreError,
    StoreLockedError,
)
from escape_kg.store.results import (
    DUMP_FORMATS,
    GRAPH_FORMATS,
    GraphInfo,
    Limits,
    QueryResult,
    Term,
    capped,
    ntriples_body,
    parse_graph,
    to_oxigraph,
    to_rdflib,
)

__all__ = ["Store"]


class Store:
    """A quad store; ``Store(None)`` is in memory, ``Store(path)`` lives in a folder.

    Raises StoreLockedError when another process holds the folder, and
    StoreError when it cannot be created or opened (permissions, full disk).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._replacing = threading.Lock()
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

    @property
    def location(self) -> str:
        """The store folder, or "memory"."""
        return "memory" if self.path is None else str(self.path)

    @property
    def remote(self) -> bool:
        """Always False: this process holds the data."""
        return False

    @classmethod
    def read_only(cls, path: Path) -> Store:
        """A read-only handle on the store folder ``path``, which another process may
        hold open for writing; it sees the data flushed when it was opened.

        Raises StoreError when the folder holds no store.
        """
        store = cls.__new__(cls)
        store.path = None  # nothing to flush
        store._replacing = threading.Lock()
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
        quads = parse_graph(data, fmt, graph)
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
        return capped(lambda sink: ox.serialize(triples, sink, GRAPH_FORMATS[fmt]), limits)

    def replace_graph(self, graph: str, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Make ``graph`` hold exactly ``triples``, in one transaction.

        Readers see either the old graph or the new one, never a mix, and a
        crash leaves the old one. Raises StoreError if the write fails.
        """
        self.replace_graph_text(graph, ntriples_body(triples))

    def replace_graph_text(self, graph: str, body: str) -> None:
        """``replace_graph`` with the triples already written by ``ntriples_body``."""
        with self._replacing:
            if self.has_graph(graph):
                # One SPARQL Update request is one transaction in Oxigraph; separate
                # remove_graph + extend calls would not be.
                insert = f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}"
                self._update(f"DROP SILENT GRAPH <{graph}> ;\n{insert}")
            else:
                # Nothing to drop, and a load is one transaction too: writing a new graph
                # this way costs about 30% less than the DROP and INSERT DATA update,
                # and the N-Triples parser is a fifth cheaper than Turtle's on the same
                # lines. The lock keeps another thread from creating the graph in between.
                self._write(
                    lambda: self._store.load(
                        body, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph)
                    )
                )

    def drop_graph(self, graph: str) -> None:
        """Remove ``graph`` and its triples (no error if it does not exist)."""
        self._update(f"DROP SILENT GRAPH <{graph}>")

    def _update(self, update: str) -> None:
        self._write(lambda: self._store.update(update))

    def _write(self, write: Callable[[], None]) -> None:
        try:
            write()
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
                    (to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
                    for q in quads
                ),
            )
        return graphs

    def flush(self) -> None:
        """Make sure everything written is on disk. Raises StoreError (full disk...)."""
        if self.path is not None:
            try:
                self._store.flush()
            except OSError as exc:
                raise StoreError(
                    f"writing to the store failed: {exc}",
                    hint="check free disk space and that the store folder is writable",
                ) from exc

    def close(self) -> None:
        """Flush and release the store (and its lock); the object is unusable afterwards.

        Raises StoreError when the flush fails; the store is released all the same."""
        if getattr(self, "_store", None) is None:
            return
        try:
            self.flush()
        finally:
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
                ox.Variable(name): to_oxigraph(term) for name, term in substitutions.items()
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

    def graph_names(self) -> list[str]:
        """Every named graph's IRI, sorted, read from the graph index (milliseconds where
        ``graphs`` counts every quad: seconds at 2,000 meetings). Empty graphs included."""
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def has_graph(self, graph: str) -> bool:
        """True if the store holds a named graph ``graph`` (even an empty one)."""
        return bool(self._store.contains_named_graph(ox.NamedNode(graph)))

    def graph_triples(self, graph: str) -> Iterator[tuple[Term, Term, Term]]:
        """The triples of one named graph."""
        for q in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            yield (to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))

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
