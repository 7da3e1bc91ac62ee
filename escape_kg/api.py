"""KnowledgeGraph: the one library API that the CLI and the web app call."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Literal

from rdflib import Graph
from rdflib import Literal as RdfLiteral

from escape_kg import identity, views
from escape_kg.config import Settings
from escape_kg.describe import Description, describe
from escape_kg.errors import EscapeKGError, SourceError
from escape_kg.identity import Candidate, Merge
from escape_kg.importer import BuiltDocument, ImportOutcome, Pipeline, Status, import_files
from escape_kg.model import Lexicon
from escape_kg.rdf.iris import Minter
from escape_kg.rdf.namespaces import EKG
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
from escape_kg.registry.base import CountsCache, StoreCounts, count_store, store_state
from escape_kg.registry.sd import service_description
from escape_kg.resources import example_date, example_minutes, ontology_files
from escape_kg.serving import DataVersion, Serving
from escape_kg.store import GraphInfo, QuadStore, RemoteStore, Store, open_store
from escape_kg.validate import ValidationReport, validate_graph
from escape_kg.views import Overview, Page, SearchHit

__all__ = [
    "BuiltDocument",
    "Candidate",
    "DataVersion",
    "GraphSummary",
    "ImportOutcome",
    "KnowledgeGraph",
    "Merge",
    "Status",
]

# The whole-store counts of an on-disk store are kept in this file of its folder
# (the store's engine leaves files it does not know alone).
STATISTICS_FILE = "escape-kg-statistics.json"
# The registry documents that report whole-store counts; the others need only the
# dates and meeting counts, which are index reads.
COUNTED_DOCUMENTS = frozenset({"void"})
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


class KnowledgeGraph(Serving):
    """Build, validate, store and query the knowledge graph of meeting minutes.

    ``KnowledgeGraph.open(settings)`` opens (or creates) the store the settings
    name; ``KnowledgeGraph.memory()`` makes a throwaway in-memory one.
    """

    def __init__(self, settings: Settings, store: QuadStore) -> None:
        self.settings = settings
        self.store = store
        self.minter = Minter(settings.base)
        self._lexicon: Lexicon | None = None
        # Kept beside the data, so a restarted server does not count again.
        self._counts = CountsCache(store.path / STATISTICS_FILE if store.path else None)
        self._ensure_vocabularies()
        self._start_serving()

    @classmethod
    def open(cls, settings: Settings) -> KnowledgeGraph:
        """Open the store the settings name: the remote SPARQL store at
        ``settings.store_url`` when set, else the folder ``settings.store`` (in memory
        when None).

        Raises StoreError/StoreLockedError when it cannot be opened or reached,
        ConfigError for a malformed store URL.
        """
        return cls(settings, open_store(settings))

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

    # -- people across meetings ---------------------------------------------------

    def person_candidates(self) -> list[Candidate]:
        """Pairs of people that may be one person (initials, one-letter spellings, swapped
        names), best first, without pairs already merged or unmerged by a human."""
        return identity.person_candidates(self)

    def merge_people(self, a: str, b: str, *, who: str | None = None, note: str = "") -> Merge:
        """Record ``a owl:sameAs b`` (IRIs or keys such as ``person/kay-graf``) with its
        provenance in the identity graph. Raises EscapeKGError for an unknown person or a
        pair that is already merged."""
        return identity.merge_people(self, a, b, who=who, note=note)

    def unmerge_people(self, a: str, b: str, *, who: str | None = None, note: str = "") -> Merge:
        """Undo the merge of ``a`` and ``b``; returns it. Raises EscapeKGError when they
        are unknown or not merged."""
        return identity.unmerge_people(self, a, b, who=who, note=note)

    def merges(self) -> list[Merge]:
        """The merges of people in force, oldest first."""
        return identity.list_merges(self)

    # -- linked data: what the web pages and resolvable IRIs show -------------

    @property
    def lateral(self) -> bool:
        """True when the store runs SPARQL 1.2's LATERAL (the embedded store and the
        Oxigraph server): the pages then look rows up one by one; other servers get
        SPARQL 1.1 forms of the same queries."""
        return not isinstance(self.store, RemoteStore) or self.store.flavour == "oxigraph"

    def describe(self, iri: str) -> Description | None:
        """What the store says about ``iri`` (outgoing triples, at most 100 incoming
        links, labels of linked resources, named graphs), or None if nothing."""
        return describe(self.query, iri, lateral=self.lateral)

    def page(self, iri: str) -> Page | None:
        """The read model of the HTML page of ``iri`` (None if the store does not know it)."""
        return views.page(self.query, self.minter, iri, lateral=self.lateral)

    def overview(self) -> Overview:
        """Counts of meetings, people, organisations and mentions, and the latest meetings."""
        return views.overview(self.query, lateral=self.lateral)

    def search(self, text: str) -> tuple[list[SearchHit], bool]:
        """Resources whose name contains ``text`` (any case), and whether there were more."""
        return views.search(self.query, text, lateral=self.lateral)

    def ontology(self) -> tuple[Graph, str]:
        """The escape-kg ontology as a graph, and its Turtle source text."""
        return ontology_graph(), "\n".join(p.read_text("utf-8") for p in ontology_files())

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

    def service_description(self, endpoint_url: str) -> Graph:
        """The SPARQL 1.1 Service Description of an endpoint serving this graph: the
        endpoint, languages (Update too when updates are on), result formats, the
        union default graph and each named graph."""
        return service_description(
            self.store.graph_names(), endpoint_url, updates=self.settings.allow_updates
        )

    # -- registry metadata ---------------------------------------------------------

    def dataset_statistics(self, *, counts: bool = True) -> DatasetStatistics:
        """What the store holds: meetings, dates and examples, read now (milliseconds);
        with ``counts``, the whole-store counts too (sizes, partitions: see
        ``store_counts``)."""
        return dataset_statistics(self, self.store_counts() if counts else None)

    def store_counts(self) -> StoreCounts:
        """The whole-store counts of the current state: kept ones if the store has not
        changed since they were counted (``store_state``), else counted now (a pass
        over every quad: about 10 s at 2,000 meetings)."""
        return self._counts.get(store_state(self), lambda: count_store(self))

    def _bump_version(self) -> None:
        # A write through this object may carry no import stamp (SPARQL Update, Graph
        # Store uploads), which store_state would not see: forget the counts.
        super()._bump_version()
        self._counts.forget()

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
        stats = self.dataset_statistics(counts=name in COUNTED_DOCUMENTS)
        return build(stats, self.settings, urls)

    def registry_document(self, name: str, urls: RegistryURLs) -> str:
        """Registry document ``name`` as text: Turtle for "dcat-ap", "void" and "sd";
        JSON-LD for "schemaorg"; JSON for "eosc". Raises EscapeKGError for another name."""
        build = JSON_DOCUMENTS.get(name)
        if build is None:
            return self.registry_graph(name, urls).serialize(format="turtle")
        stats = self.dataset_statistics(counts=name in COUNTED_DOCUMENTS)
        return json.dumps(build(stats, self.settings, urls), indent=2)

    def registry_problems(self, urls: RegistryURLs) -> list[RegistryProblem]:
        """What would keep registries from accepting the documents, each with its fix."""
        return registration_problems(self.dataset_statistics(counts=False), self.settings, urls)

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
