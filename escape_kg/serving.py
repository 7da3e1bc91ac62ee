"""The serving half of KnowledgeGraph: reads for clients under time limits and result
caps, token-guarded writes that pause the workers, catalogue runs, the data version
that caches compare."""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from rdflib.term import Node

from escape_kg import finding, views
from escape_kg.config import Settings
from escape_kg.describe import Description, Querier, describe
from escape_kg.errors import QueryError
from escape_kg.paging import Page
from escape_kg.pool import Answer, QueryJob, QueryPool, execute
from escape_kg.queries import (
    CatalogueQuery,
    bind,
    find_query,
    has_header,
    load_catalogue,
    parse_catalogue_query,
    run_catalogue_query,
)
from escape_kg.rdf.iris import Minter
from escape_kg.rdf.namespaces import PREFIXES
from escape_kg.store import Limits, QuadStore, QueryResult, Store

__all__ = [
    "DataVersion",
    "ResourceView",
    "Serving",
    "overview_view",
    "resource_view",
    "search_view",
]

T = TypeVar("T")


@dataclass(frozen=True)
class DataVersion:
    """Which state of the store an answer was computed from: ``tag`` changes with every
    write (and differs between two KnowledgeGraph objects, even on the same folder);
    ``modified`` is the time (epoch seconds) of the last write, or of opening."""

    tag: str
    modified: float


@dataclass(frozen=True)
class ResourceView:
    """What the page of one IRI is built from: the IRI meant (``…/x.ttl`` means ``…/x``
    in Turtle unless the store knows ``…/x.ttl`` itself), the format to answer in
    (None: none the client accepts), its description (None: the store knows nothing
    of it), and the HTML read model or the serialised RDF."""

    iri: str
    fmt: str | None
    description: Description | None
    page: views.Page | None = None
    data: bytes = b""


def resource_view(
    query: Querier,
    base: str,
    iri: str,
    accepted: str | None,
    number: int,
    lateral: bool,
    suffixes: tuple[tuple[str, str], ...],
    rdf_formats: tuple[tuple[str, str], ...],
) -> ResourceView:
    """Read what the page of ``iri`` needs with ``query``: ``suffixes`` maps a file
    suffix to a format name ("html" or a key of ``rdf_formats``, which maps it to an
    rdflib format); ``accepted`` is the format the client asked for otherwise.
    HTML pages get ``views.page`` (list page ``number``), RDF the description
    serialised. Runs in a query worker (``Serving.run_view``); raises QueryError.
    """
    fmt = None
    for suffix, name in suffixes:
        # A key may itself end like a suffix ("D5.3" does not, but check first).
        if iri.endswith(suffix) and describe(query, iri, lateral=lateral) is None:
            iri, fmt = iri[: -len(suffix)], name
            break
    chosen = fmt or accepted
    if chosen is None:
        return ResourceView(iri, None, None)
    if chosen == "html":
        page = views.page(query, Minter(base), iri, number, lateral=lateral)
        return ResourceView(iri, chosen, page.description if page else None, page)
    description = describe(query, iri, lateral=lateral)
    if description is None:
        return ResourceView(iri, chosen, None)
    data = description.graph().serialize(format=dict(rdf_formats)[chosen], encoding="utf-8")
    return ResourceView(iri, chosen, description, data=data)


def search_view(
    query: Querier, text: str, number: int, lateral: bool
) -> tuple[list[finding.SearchHit], bool]:
    """``finding.search`` in the form ``Serving.run_view`` calls (all arguments positional)."""
    return finding.search(query, text, number, lateral=lateral)


def overview_view(query: Querier, lateral: bool) -> finding.Overview:
    """``finding.overview`` in the form ``Serving.run_view`` calls."""
    return finding.overview(query, lateral=lateral)


class Serving:
    """Mixed into KnowledgeGraph; ``_start_serving`` sets up its state."""

    settings: Settings
    store: QuadStore
    minter: Minter

    def _start_serving(self) -> None:
        self._catalogue: dict[str, CatalogueQuery] | None = None
        self._pool: QueryPool | None = None
        # A random prefix: a restarted server must not reuse the tags of a previous
        # run, whose data an offline `escape-kg import` may have changed since.
        self._epoch = secrets.token_hex(4)
        self._writes = 0
        self._version_lock = threading.Lock()  # writers without a pool are not serialised
        self._version = DataVersion(f"{self._epoch}-0", time.time())

    # -- reading -----------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Node] | None = None,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query over the union of all graphs (or the given dataset).

        The project's prefixes (schema:, ekg:, org:, oa:, prov:...) are
        predeclared. ``bindings`` pre-binds variables to RDF terms. Raises
        QueryError for malformed queries.
        """
        return self.store.query(
            sparql,
            substitutions=bindings,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            prefixes=PREFIXES,
        )

    def has_graph(self, iri: str) -> bool:
        """True if the store holds a named graph ``iri`` (False for a malformed IRI)."""
        try:
            return self.store.has_graph(iri)
        except ValueError:  # pyoxigraph refuses to build a node from a malformed IRI
            return False

    # -- serving: time-limited reads, token-guarded writes ----------------------

    @property
    def limits(self) -> Limits:
        """The most one served answer may hold (rows or triples, and bytes)."""
        return Limits(self.settings.max_result_rows, self.settings.max_result_bytes)

    def start_query_workers(self) -> None:
        """Run ``run_query`` in ``settings.query_workers`` worker processes from now on,
        each query stopped after ``settings.query_timeout`` seconds of running and
        refused after ``settings.query_wait`` seconds of waiting for a worker
        (0 workers: no-op).

        A remote store needs none: its queries are HTTP requests that time out after
        ``settings.query_timeout`` seconds while the server goes on answering others.
        """
        # Workers open the embedded store themselves (read-only by path, or a copy).
        if not isinstance(self.store, Store):
            return
        if self._pool is None and self.settings.query_workers > 0:
            self._pool = QueryPool(
                self.store,
                workers=self.settings.query_workers,
                timeout=self.settings.query_timeout,
                wait=self.settings.query_wait,
                limits=self.limits,
            )
            self._pool.start()

    def stop_query_workers(self) -> None:
        """Stop the worker processes; ``run_query`` runs in this process again."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    @property
    def queries_running(self) -> int:
        """How many queries the workers are running right now (0 without workers)."""
        return 0 if self._pool is None else self._pool.busy

    @property
    def queries_waiting(self) -> int:
        """How many requests are waiting for a free worker right now (0 without workers)."""
        return 0 if self._pool is None else self._pool.waiting

    @property
    def queries_shared(self) -> int:
        """How many queries so far took an equal running query's answer (0 without workers)."""
        return 0 if self._pool is None else self._pool.shared

    def run_query(
        self,
        sparql: str,
        *,
        result_format: str | None,
        graph_format: str | None,
        bindings: Mapping[str, Node] | None = None,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> Answer:
        """Run a read query for a client and serialise its answer: SELECT/ASK in
        ``result_format``, CONSTRUCT/DESCRIBE in ``graph_format`` (None: the answer
        comes back with no format and no body, for the caller to refuse).

        With query workers started, the query runs in one of them and is stopped
        after the time limit; on a remote store it runs on the server, bounded by
        the HTTP time limit; otherwise it runs here with no limit. Raises
        QueryError, QueryTimeoutError, ResultTooLargeError, StoreError, and
        ServerBusyError when no worker came free in time.
        """
        job = QueryJob(
            sparql,
            result_format,
            graph_format,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            bindings={name: term.n3() for name, term in (bindings or {}).items()},
            prefixes=PREFIXES,
        )
        if self._pool is None:
            return execute(self.store, job, self.limits)
        return self._pool.run(job)

    def run_view(
        self, function: Callable[..., T], *args: Hashable, query: Querier | None = None
    ) -> T:
        """``function(querier, *args)``: a read made of several queries (a resource
        page), run like ``run_query``: in a query worker when they are started (under
        the wait bound and the time limit, ``function`` importable by name, ``args``
        and its value picklable), else here with ``query`` (default: ``self.query``).

        Raises what ``function`` raises, and QueryTimeoutError, ServerBusyError and
        StoreError as ``run_query`` does.
        """
        if self._pool is None:
            return function(query or self.query, *args)
        return self._pool.call(function, *args)

    @property
    def data_version(self) -> DataVersion:
        """The current state of the store; a new one after every write made through
        this object (imports, updates, graph uploads, ``load``). Caches compare it."""
        return self._version

    def _bump_version(self) -> None:
        with self._version_lock:
            self._writes += 1
            now = time.time()
            # HTTP dates have whole seconds: a write in the same second as the previous
            # state would leave Last-Modified unchanged and If-Modified-Since would then
            # wrongly answer "not modified", so the new state starts in a later second.
            previous = math.floor(self._version.modified)
            if math.floor(now) <= previous:
                now = previous + 1.0
            # One attribute assignment: readers see the old state or the new, never a mix.
            self._version = DataVersion(f"{self._epoch}-{self._writes}", now)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Around every served write: pause the workers, then let them see the result;
        the data version changes once the write is done (even a failed one)."""
        if self._pool is None:
            try:
                yield
                self.store.flush()
            finally:
                self._bump_version()
            return
        with self._pool.writing():
            try:
                yield
                self.store.flush()
            finally:
                self._bump_version()

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update (all of it or nothing), with the project's prefixes.

        Callers decide what is allowed (LOAD, SERVICE) before calling. Raises
        QueryError for a malformed update, StoreError when writing fails.
        """
        with self._writing():
            self.store.update(sparql, prefixes=PREFIXES)

    def put_graph(self, graph: str | None, data: bytes, fmt: str, *, merge: bool = False) -> bool:
        """Replace (``merge``: add to) graph ``graph`` (None: the default graph) with
        RDF ``data`` in ``fmt`` (turtle, ntriples, jsonld, rdfxml).

        Returns True if the named graph is new. Raises SourceError for data that
        does not parse, StoreError when writing fails.
        """
        with self._writing():
            return self.store.put_graph(graph, data, fmt, merge=merge)

    def delete_graph(self, graph: str | None) -> bool:
        """Remove a named graph (None: empty the default graph).

        Returns False if the named graph did not exist (nothing changed).
        """
        if graph is not None and not self.has_graph(graph):
            return False
        with self._writing():
            self.store.update("DROP SILENT " + ("DEFAULT" if graph is None else f"GRAPH <{graph}>"))
        return True

    def graph_bytes(self, graph: str | None, fmt: str) -> bytes:
        """One graph (None: the default graph) in ``fmt``, within the result limits.

        Raises ResultTooLargeError past them.
        """
        return self.store.graph_bytes(graph, fmt, self.limits)

    def catalogue(self) -> dict[str, CatalogueQuery]:
        """The named queries of ``queries/``, by name (read once per KnowledgeGraph)."""
        if self._catalogue is None:
            self._catalogue = load_catalogue()
        return self._catalogue

    def run_named(
        self, name: str, values: Mapping[str, str] | None = None, *, page: Page | None = None
    ) -> QueryResult:
        """Run the catalogue query ``name`` with parameter ``values`` (strings, typed
        by the query's header and bound as RDF terms, never pasted into its text);
        ``page`` (default: every row) is applied inside the query.

        Raises QueryError for an unknown name, parameter or malformed value, and for
        a page of a query that is not a SELECT.
        """
        return run_catalogue_query(self, name, values, catalogue=self.catalogue(), page=page)

    def catalogue_bindings(self, name: str, values: Mapping[str, str]) -> dict[str, Node]:
        """The RDF terms the catalogue query ``name`` runs with: ``values`` typed by its
        header, defaults for the rest. Raises QueryError as ``run_named`` does."""
        return dict(bind(find_query(self.catalogue(), name), values, self.minter.base))

    def run_text(self, text: str, values: Mapping[str, str] | None = None) -> QueryResult:
        """Run query ``text``; if it has a catalogue header (``# title:``, ``# param:``),
        its parameters get their defaults or ``values``, as for ``run_named``."""
        if not has_header(text):
            if values:
                raise QueryError(
                    "--param values need a query with `# param:` lines in its header",
                    hint="see queries/README.md for the header format",
                )
            return self.query(text)
        query = parse_catalogue_query("query", text)
        return self.query(query.text, bindings=bind(query, values or {}, self.minter.base))
