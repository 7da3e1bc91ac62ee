"""QuadStore: the interface every store offers, embedded (pyoxigraph) or remote (SPARQL 1.1)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Protocol

from rdflib.term import Node

from escape_kg.store.results import GraphInfo, Limits, QueryResult, Term

__all__ = ["QuadStore"]


class QuadStore(Protocol):
    """What the importer, the library façade and the server need from a store.

    Terms cross as rdflib terms; graphs are named by IRI strings. ``path`` is the
    folder of an embedded on-disk store (None in memory and for remote stores);
    ``location`` says where the data lives, for messages; ``remote`` is True when
    another server runs the queries (which then need no worker processes: the
    HTTP time limit bounds them and the server keeps answering others).
    """

    path: Path | None

    @property
    def location(self) -> str:
        """The folder, URL or "memory", for messages."""
        ...

    @property
    def remote(self) -> bool:
        """True when a SPARQL server elsewhere holds the data."""
        ...

    def update(self, sparql: str, *, prefixes: Mapping[str, str] | None = None) -> None:
        """Run a SPARQL 1.1 Update. Raises QueryError (malformed, refused), StoreError."""
        ...

    def put_graph(self, graph: str | None, data: bytes, fmt: str, *, merge: bool = False) -> bool:
        """Replace (or add to) one graph with RDF ``data``; True if the graph is new.
        Raises SourceError (data does not parse), StoreError."""
        ...

    def graph_bytes(self, graph: str | None, fmt: str, limits: Limits) -> bytes:
        """One graph serialised in ``fmt``. Raises ResultTooLargeError past ``limits``."""
        ...

    def replace_graph(self, graph: str, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Make ``graph`` hold exactly ``triples``. Raises StoreError."""
        ...

    def replace_graph_text(self, graph: str, body: str) -> None:
        """``replace_graph`` with the triples written by ``ntriples_body``."""
        ...

    def drop_graph(self, graph: str) -> None:
        """Remove ``graph`` (no error if it does not exist)."""
        ...

    def load_dataset(self, data: bytes | IO[bytes], fmt: str) -> list[str]:
        """Restore an export graph by graph; returns the graph IRIs. Raises StoreError."""
        ...

    def flush(self) -> None:
        """Make sure everything written is durable."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Node] | None = None,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query over the union of all graphs (or the given dataset).
        Raises QueryError, QueryTimeoutError, StoreError."""
        ...

    def graphs(self) -> list[GraphInfo]:
        """Every named graph with its triple count, sorted by IRI."""
        ...

    def graph_names(self) -> list[str]:
        """Every named graph's IRI, sorted: what ``graphs`` lists, without counting (an
        index read where the store has one)."""
        ...

    def has_graph(self, graph: str) -> bool:
        """True if the store holds the named graph ``graph``."""
        ...

    def graph_triples(self, graph: str) -> Iterator[tuple[Term, Term, Term]]:
        """The triples of one named graph."""
        ...

    def quad_count(self) -> int:
        """Number of quads in the store."""
        ...

    def dump(self, output: IO[bytes], fmt: str) -> None:
        """Write every named graph as TriG or N-Quads. Raises StoreError."""
        ...

    def dump_bytes(self, fmt: str) -> bytes:
        """The whole dataset as bytes (see ``dump``)."""
        ...
