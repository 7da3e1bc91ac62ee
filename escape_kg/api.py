"""KnowledgeGraph: the one library API that the CLI and the web app call."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Literal

from rdflib import RDF, BNode, Graph, Namespace, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node

from escape_kg import views
from escape_kg.config import Settings
from escape_kg.describe import Description, describe
from escape_kg.errors import EscapeKGError, QueryError, SourceError
from escape_kg.importer import BuiltDocument, ImportOutcome, Pipeline, Status, import_files
from escape_kg.model import Lexicon
from escape_kg.pool import Answer, QueryJob, QueryPool, execute
from escape_kg.queries import (
    CatalogueQuery,
    bind,
    has_header,
    load_catalogue,
    parse_catalogue_query,
    run_catalogue_query,
)
from escape_kg.rdf.iris import Minter
from escape_kg.rdf.namespaces import EKG, PREFIXES
from escape_kg.rdf.reference import load_lexicon, ontology_graph, reference_graph
from escape_kg.registry import (
    GRAPH_DOCUMENTS,
    JSON_DOCUMENTS,
    DatasetStatistics,
    RegistryProblem,
    RegistryURLs,
    dataset_statistics,
    registration_problems,
)
from escape_kg.resources import example_date, example_minutes, ontology_files
from escape_kg.store import GRAPH_FORMATS, RESULT_FORMATS, GraphInfo, Limits, QueryResult, Store
from escape_kg.validate import ValidationReport, validate_graph
from escape_kg.views import Overview, Page, SearchHit

__all__ = [
    "BuiltDocument",
    "DataVersion",
    "GraphSummary",
    "ImportOutcome",
    "KnowledgeGraph",
    "Status",
]

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
# W3C's IRIs for the formats results can be written in (https://www.w3.org/ns/formats/).
FORMAT_IRIS = {
    "json": "SPARQL_Results_JSON",
    "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV",
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF_XML",
}

# RDF files `validate` accepts besides minutes, by suffix (rdflib parser names).
RDF_SUFFIXES = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".trig": "trig",
    ".nq": "nquads",
    ".jsonld": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
}


@dataclass(frozen=True)
class GraphSummary:
    """A named graph of the store, with what it holds."""

    iri: str
    triples: int
    kind: Literal["minutes", "reference", "ontology", "other"]
    title: str | None = None
    date: str | None = None
    source: str | None = None
    imported_at: str | None = None


@dataclass(frozen=True)
class DataVersion:
    """Which state of the store an answer was computed from: ``tag`` changes with every
    write (and differs between two KnowledgeGraph objects, even on the same folder);
    ``modified`` is the time (epoch seconds) of the last write, or of opening."""

    tag: str
    modified: float


class KnowledgeGraph:
    """Build, validate, store and query the knowledge graph of meeting minutes.

    ``KnowledgeGraph.open(settings)`` opens (or creates) the store the settings
    name; ``KnowledgeGraph.memory()`` makes a throwaway in-memory one.
    """

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.minter = Minter(settings.base)
        self._lexicon: Lexicon | None = None
        self._catalogue: dict[str, CatalogueQuery] | None = None
        self._pool: QueryPool | None = None
        self._stats: tuple[int, DatasetStatistics] | None = None
        self._ensure_vocabularies()
        # A random prefix: a restarted server must not reuse the tags of a previous
        # run, whose data an offline `escape-kg import` may have changed since.
        self._epoch = secrets.token_hex(4)
        self._writes = 0
        self._version_lock = threading.Lock()  # writers without a pool are not serialised
        self._version = DataVersion(f"{self._epoch}-0", time.time())

    @classmethod
    def open(cls, settings: Settings) -> KnowledgeGraph:
        """Open the store at ``settings.store`` (in memory when None).

        Raises StoreError/StoreLockedError when it cannot be opened.
        """
        return cls(settings, Store(settings.store))

    @classmethod
    def memory(cls, settings: Settings | None = None) -> KnowledgeGraph:
        """An in-memory knowledge graph (for tests and one-off checks)."""
        return cls(replace(settings or Settings(), store=None), Store(None))

    @classmethod
    def demo(cls, settings: Settings | None = None) -> KnowledgeGraph:
        """An in-memory knowledge graph holding the bundled example minutes.

        Raises EscapeKGError if an example cannot be imported (a broken install).
        """
        kg = cls.memory(settings)
        for path in example_minutes():
            outcome = kg.ingest(path, date=example_date(path))
            if outcome.error is not None:
                raise outcome.error
            if outcome.status == "refused":
                raise EscapeKGError(
                    f"the bundled example {path.name} does not conform to the shapes",
                    hint="this is a bug in escape-kg; please report it",
                )
        return kg

    @property
    def lexicon(self) -> Lexicon:
        """The ESCAPE reference vocabulary as the extractors use it."""
        if self._lexicon is None:
            self._lexicon = load_lexicon(self.settings.base)
        return self._lexicon

    # -- shared vocabularies -------------------------------------------------

    def _ensure_vocabularies(self) -> None:
        """Load (or refresh) the ontology and reference graphs if they changed."""
        for iri, graph in (
            (self.minter.ontology_graph, ontology_graph()),
            (self.minter.reference_graph, reference_graph(self.settings.base)),
        ):
            digest = _graph_digest(graph)
            stamp = (iri, EKG.sha256, RdfLiteral(digest))
            if (
                self.store.has_graph(str(iri))
                and self.store.query(
                    "ASK { GRAPH ?g { ?g ?p ?d } }",
                    substitutions={"g": iri, "p": EKG.sha256, "d": RdfLiteral(digest)},
                ).boolean
            ):
                continue
            self.store.replace_graph(str(iri), [*graph, stamp])

    # -- the pipeline ----------------------------------------------------------

    @property
    def pipeline(self) -> Pipeline:
        """The settings-bound pipeline that turns a minutes file into a graph."""
        return Pipeline(self.settings.base, self.settings.max_bytes)

    def build(self, path: Path, *, date: dt.date | None = None) -> BuiltDocument:
        """Read, redact, parse, extract, map and validate one minutes file.

        Nothing is stored. Raises SourceError for unreadable input and
        ParseError for text that is not minutes (no agenda, no date).
        """
        return self.pipeline.build(path, date=date)

    def ingest(
        self, path: Path, *, date: dt.date | None = None, force: bool = False
    ) -> ImportOutcome:
        """Build one file and, if it conforms (or ``force``), replace its graph.

        Never raises for a user mistake: a file that cannot be read comes back
        with status "failed" and the error; one that violates the shapes with
        status "refused" and the report. The store is untouched in both cases.
        """
        [outcome] = self.ingest_many([path], date=date, force=force)
        return outcome

    def ingest_many(
        self,
        paths: Iterable[Path],
        *,
        date: dt.date | None = None,
        force: bool = False,
        progress: Callable[[ImportOutcome], None] | None = None,
    ) -> list[ImportOutcome]:
        """``ingest`` each file, storing each in its own transaction; ``progress`` is
        called after each one. Long runs build documents in worker processes
        (``Settings.import_workers``, 0 = one per core)."""
        with self._writing():
            return import_files(
                self.store,
                self.pipeline,
                paths,
                date=date,
                force=force,
                workers=self.settings.import_workers,
                progress=progress,
            )

    def validate_file(self, path: Path, *, date: dt.date | None = None) -> ValidationReport:
        """Validate minutes, or an RDF file (by suffix), against the shapes.

        Raises SourceError/ParseError when the file cannot be read.
        """
        rdf_format = RDF_SUFFIXES.get(path.suffix.lower())
        if rdf_format is None:
            return self.build(path, date=date).report
        graph = Graph()
        try:
            graph.parse(path, format=rdf_format)
        except FileNotFoundError as exc:
            raise SourceError("no such file", path=str(path)) from exc
        except (SyntaxError, ValueError) as exc:  # rdflib's parse errors derive from these
            raise SourceError(
                f"not valid {rdf_format}: {exc}",
                path=str(path),
                hint="check the syntax, or give minutes as a .txt file",
            ) from exc
        return validate_graph(graph, source_path=str(path))

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

    # -- linked data: what the web pages and resolvable IRIs show -------------

    def describe(self, iri: str) -> Description | None:
        """What the store says about ``iri`` (outgoing triples, at most 500 incoming
        links, labels of linked resources, named graphs), or None if nothing."""
        return describe(self.query, iri)

    def page(self, iri: str) -> Page | None:
        """The read model of the HTML page of ``iri`` (None if the store does not know it)."""
        return views.page(self.query, self.minter, iri)

    def overview(self) -> Overview:
        """Counts of meetings, people, organisations and mentions, and the latest meetings."""
        return views.overview(self.query)

    def search(self, text: str) -> tuple[list[SearchHit], bool]:
        """Resources whose name contains ``text`` (any case), and whether there were more."""
        return views.search(self.query, text)

    def ontology(self) -> tuple[Graph, str]:
        """The escape-kg ontology as a graph, and its Turtle source text."""
        return ontology_graph(), "\n".join(p.read_text("utf-8") for p in ontology_files())

    # -- serving: time-limited reads, token-guarded writes ----------------------

    @property
    def limits(self) -> Limits:
        """The most one served answer may hold (rows or triples, and bytes)."""
        return Limits(self.settings.max_result_rows, self.settings.max_result_bytes)

    def start_query_workers(self) -> None:
        """Run ``run_query`` in ``settings.query_workers`` worker processes from now on,
        each query stopped after ``settings.query_timeout`` seconds (0 workers: no-op)."""
        if self._pool is None and self.settings.query_workers > 0:
            self._pool = QueryPool(
                self.store,
                workers=self.settings.query_workers,
                timeout=self.settings.query_timeout,
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
        after the time limit; without, it runs here with no limit. Raises
        QueryError, QueryTimeoutError, ResultTooLargeError, StoreError.
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

    def run_named(self, name: str, values: Mapping[str, str] | None = None) -> QueryResult:
        """Run the catalogue query ``name`` with parameter ``values`` (strings, typed
        by the query's header and bound as RDF terms, never pasted into its text).

        Raises QueryError for an unknown name, parameter or malformed value.
        """
        return run_catalogue_query(self, name, values, catalogue=self.catalogue())

    def catalogue_bindings(self, name: str, values: Mapping[str, str]) -> dict[str, Node]:
        """The RDF terms the catalogue query ``name`` runs with: ``values`` typed by its
        header, defaults for the rest. Raises QueryError as ``run_named`` does."""
        query = self.catalogue().get(name)
        if query is None:
            raise QueryError(
                f"there is no catalogue query called {name!r}",
                hint="known queries: " + ", ".join(sorted(self.catalogue())),
            )
        return dict(bind(query, values, self.minter.base))

    def run_catalogue(
        self,
        name: str,
        values: Mapping[str, str],
        *,
        result_format: str | None,
        graph_format: str | None,
    ) -> Answer:
        """``run_named`` for clients: the catalogue query ``name`` with ``values`` bound,
        run like ``run_query`` (in a worker, under the time limit and result caps) and
        serialised in ``result_format`` / ``graph_format``.

        Raises QueryError (unknown name, bad value), QueryTimeoutError,
        ResultTooLargeError, StoreError.
        """
        bindings = self.catalogue_bindings(name, values)
        return self.run_query(
            self.catalogue()[name].text,
            result_format=result_format,
            graph_format=graph_format,
            bindings=bindings,
        )

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

    def graphs(self) -> list[GraphSummary]:
        """Every named graph with its size and, for minutes, title, date and source."""
        details: dict[str, dict[str, str]] = {}
        result = self.query(
            """SELECT ?g ?title ?date ?source ?at WHERE {
                 GRAPH ?g { ?g ekg:sourceName ?source ; prov:generatedAtTime ?at .
                            ?m a ekg:Meeting ; schema:name ?title ; dcterms:date ?date } }"""
        )
        for g, title, date, source, at in result.rows():
            details[str(g)] = {
                "title": str(title),
                "date": str(date),
                "source": str(source),
                "imported_at": str(at),
            }
        summaries = []
        for info in self.store.graphs():
            summaries.append(self._summary(info, details.get(info.iri, {})))
        return summaries

    def has_graph(self, iri: str) -> bool:
        """True if the store holds a named graph ``iri`` (False for a malformed IRI)."""
        try:
            return self.store.has_graph(iri)
        except ValueError:  # pyoxigraph refuses to build a node from a malformed IRI
            return False

    def service_description(self, endpoint_url: str) -> Graph:
        """The SPARQL 1.1 Service Description of an endpoint serving this graph.

        It names the endpoint, the query language, every result format, the
        union default graph, and each named graph with its size.
        """
        g = Graph()
        g.bind("sd", SD)
        g.bind("void", VOID)
        g.bind("formats", FORMATS)
        service = URIRef(endpoint_url)
        g.add((service, RDF.type, SD.Service))
        g.add((service, SD.endpoint, service))
        g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
        g.add((service, SD.feature, SD.UnionDefaultGraph))
        g.add(
            (service, SD.defaultEntailmentRegime, URIRef("http://www.w3.org/ns/entailment/Simple"))
        )
        for fmt in [*RESULT_FORMATS, *GRAPH_FORMATS]:
            g.add((service, SD.resultFormat, FORMATS[FORMAT_IRIS[fmt]]))
        dataset, default = BNode(), BNode()
        g.add((service, SD.defaultDataset, dataset))
        g.add((dataset, RDF.type, SD.Dataset))
        g.add((dataset, SD.defaultGraph, default))
        g.add((default, RDF.type, SD.Graph))
        for info in self.store.graphs():
            named, graph = BNode(), BNode()
            g.add((dataset, SD.namedGraph, named))
            g.add((named, RDF.type, SD.NamedGraph))
            g.add((named, SD.name, URIRef(info.iri)))
            g.add((named, SD.graph, graph))
            g.add((graph, RDF.type, SD.Graph))
            g.add((graph, VOID.triples, RdfLiteral(info.triples)))
        return g

    # -- registry metadata ---------------------------------------------------------

    def dataset_statistics(self) -> DatasetStatistics:
        """What the store holds (sizes, partitions, dates), recounted when its size changes."""
        size = self.store.quad_count()
        if self._stats is None or self._stats[0] != size:
            self._stats = (size, dataset_statistics(self))
        return self._stats[1]

    def registry_urls(self, root: str | None = None) -> RegistryURLs:
        """The served URLs: ``settings.public_url``, else ``root``, else the local default."""
        return RegistryURLs.of(self.settings, root)

    def registry_graph(self, name: str, urls: RegistryURLs) -> Graph:
        """The RDF registry document ``name``: "dcat-ap", "void" or "sd".

        Raises EscapeKGError for another name.
        """
        if name == "sd":
            return self.service_description(urls.sparql)
        build = GRAPH_DOCUMENTS.get(name)
        if build is None:
            raise EscapeKGError(
                f"unknown registry document {name!r}",
                hint="use one of: " + ", ".join([*GRAPH_DOCUMENTS, "sd", *JSON_DOCUMENTS]),
            )
        return build(self.dataset_statistics(), self.settings, urls)

    def registry_document(self, name: str, urls: RegistryURLs) -> str:
        """Registry document ``name`` as text: Turtle for "dcat-ap", "void" and "sd";
        JSON-LD for "schemaorg"; JSON for "eosc". Raises EscapeKGError for another name."""
        build = JSON_DOCUMENTS.get(name)
        if build is None:
            return self.registry_graph(name, urls).serialize(format="turtle")
        return json.dumps(build(self.dataset_statistics(), self.settings, urls), indent=2)

    def registry_problems(self, urls: RegistryURLs) -> list[RegistryProblem]:
        """What would keep registries from accepting the documents, each with its fix."""
        return registration_problems(self.dataset_statistics(), self.settings, urls)

    def _summary(self, info: GraphInfo, detail: Mapping[str, str]) -> GraphSummary:
        kind: Literal["minutes", "reference", "ontology", "other"] = "other"
        if info.iri == str(self.minter.reference_graph):
            kind = "reference"
        elif info.iri == str(self.minter.ontology_graph):
            kind = "ontology"
        elif detail:
            kind = "minutes"
        return GraphSummary(info.iri, info.triples, kind, **detail)

    def export(self, output: IO[bytes], fmt: str = "trig") -> None:
        """Write every graph (minutes, reference, ontology) as TriG or N-Quads."""
        self.store.dump(output, fmt)

    def load(self, data: bytes | IO[bytes], fmt: str = "trig") -> list[str]:
        """Restore an export: each graph in it replaces the graph of that name.

        Returns the graph IRIs restored. Raises StoreError for a bad file.
        """
        with self._writing():
            return self.store.load_dataset(data, fmt)

    def close(self) -> None:
        """Stop the query workers, flush pending writes and release the store."""
        self.stop_query_workers()
        self.store.close()

    def __enter__(self) -> KnowledgeGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _graph_digest(graph: Graph) -> str:
    """A content hash of a graph without blank nodes, independent of triple order."""
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in graph)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
