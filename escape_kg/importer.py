"""Import runs: take minutes through the pipeline and store each document whole.

Building a document (read, redact, parse, extract, map, validate) is pure CPU
work; storing it is one transaction in the store, and the store keeps the
interpreter busy while it writes. For long runs the building therefore happens
in worker processes while this process stores what they built, so the two
overlap on a machine with more than one core. Short runs stay in process:
starting workers costs about a second.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain, islice
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Literal

from rdflib import Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node

from escape_kg import __version__
from escape_kg.errors import EscapeKGError, InputError
from escape_kg.extract import extract
from escape_kg.model import Meeting
from escape_kg.parse import parse_minutes
from escape_kg.rdf.docstore import DocumentStore
from escape_kg.rdf.iris import Minter
from escape_kg.rdf.mapping import ImportInfo, meeting_graph, meeting_key_of
from escape_kg.rdf.namespaces import EKG, XSD
from escape_kg.rdf.reference import load_lexicon
from escape_kg.rdf.summaries import SUMMARY_VERSION
from escape_kg.redact import redact
from escape_kg.sources import read_source
from escape_kg.store import QuadStore, ntriples_body
from escape_kg.validate import ValidationReport, load_shapes, validate_graph

__all__ = [
    "PARALLEL_MIN_FILES",
    "BuiltDocument",
    "ImportOutcome",
    "Pipeline",
    "Prepared",
    "Status",
    "import_files",
]

Status = Literal["imported", "forced", "unchanged", "kept", "refused", "failed"]

# A calendar entry carries a meeting's title and times but no agenda.
CALENDAR = "text/calendar"

# Below this many files the workers' start-up (imports, lexicon, shapes) costs
# more than the overlap saves.
PARALLEL_MIN_FILES = 32

# Files handed to each worker ahead of the one being stored: enough that no
# worker waits for the next file, few enough that memory does not depend on
# how many files a run has.
IN_FLIGHT_PER_WORKER = 4

# Documents stored between two flushes of the store's write buffers.
FLUSH_EVERY = 32


@dataclass(frozen=True)
class BuiltDocument:
    """One minutes document taken through the whole pipeline, not yet stored."""

    path: str
    meeting: Meeting
    graph_iri: str
    graph: Graph
    report: ValidationReport

    @property
    def redactions(self) -> Mapping[str, int]:
        """How many secrets of each kind were removed before parsing."""
        return self.meeting.minutes.document.redactions or {}


@dataclass(frozen=True)
class ImportOutcome:
    """What happened to one file in an import run."""

    path: str
    status: Status
    title: str | None = None
    date: dt.date | None = None
    graph_iri: str | None = None
    triples: int = 0
    redactions: Mapping[str, int] = field(default_factory=dict)
    report: ValidationReport | None = None
    error: EscapeKGError | None = None
    reason: str | None = None

    @property
    def exit_code(self) -> int:
        """0 stored or unchanged, 1 refused by the shapes, 2 could not be read."""
        return {"failed": 2, "refused": 1}.get(self.status, 0)


@dataclass(frozen=True)
class Pipeline:
    """Everything building a document depends on: the IRI base and the size limit.

    Plain values only, so a Pipeline can be sent to worker processes; the
    lexicon and the shapes are loaded (and cached) where the building happens.
    """

    base: str
    max_bytes: int

    def build(self, path: Path, *, date: dt.date | None = None) -> BuiltDocument:
        """Read, redact, parse, extract, map and validate one minutes file.

        Nothing is stored. Raises SourceError for unreadable input and
        ParseError for text that is not minutes (no agenda, no date).
        """
        minter = Minter(self.base)
        document = redact(read_source(path, max_bytes=self.max_bytes))
        minutes = parse_minutes(document, date=date)
        meeting = extract(minutes, load_lexicon(self.base))
        info = ImportInfo(imported_at=dt.datetime.now(dt.UTC), tool_version=__version__)
        graph = meeting_graph(meeting, minter, info)
        report = validate_graph(graph, source_path=str(path))
        iri = str(minter.graph(meeting_key_of(meeting)))
        return BuiltDocument(str(path), meeting, iri, graph, report)

    def prepare(self, path: Path, date: dt.date | None) -> Prepared | InputError:
        """``build`` one file into what the store takes, or the reason it cannot be."""
        try:
            return Prepared.of(self.build(path, date=date))
        except InputError as exc:
            return exc


@dataclass(frozen=True)
class Prepared:
    """A built document in the form the store takes; small enough to pass between processes."""

    path: str
    title: str
    date: dt.date
    graph_iri: str
    sha256: str
    media_type: str
    body: str
    triples: int
    redactions: Mapping[str, int]
    report: ValidationReport

    @classmethod
    def of(cls, built: BuiltDocument) -> Prepared:
        """The stored form of ``built``: its triples as N-Triples lines, plus whether it
        conformed (recorded on the graph, so a --force import stays recognisable)."""
        minutes = built.meeting.minutes
        conforms = (URIRef(built.graph_iri), EKG.conforms, RdfLiteral(built.report.conforms))
        return cls(
            path=built.path,
            title=minutes.title,
            date=minutes.date,
            graph_iri=built.graph_iri,
            sha256=minutes.document.source.sha256,
            media_type=minutes.document.source.media_type,
            body=ntriples_body(chain(_triples_of(built.graph), [conforms])),
            triples=len(built.graph),
            redactions=dict(built.redactions),
            report=built.report,
        )

    def outcome(self, status: Status, reason: str | None = None) -> ImportOutcome:
        """The outcome of this document with ``status``."""
        return ImportOutcome(
            self.path,
            status,
            title=self.title,
            date=self.date,
            graph_iri=self.graph_iri,
            triples=self.triples,
            redactions=self.redactions,
            report=self.report,
            reason=reason,
        )


def _triples_of(graph: Graph) -> Iterable[tuple[Node, Node, Node]]:
    # The mapper's graphs live on a DocumentStore, whose own walk is several times
    # cheaper than rdflib's Graph iteration.
    store = graph.store
    return store.all_triples() if isinstance(store, DocumentStore) else graph


def store_prepared(store: QuadStore, prepared: Prepared, *, force: bool) -> ImportOutcome:
    """Store one prepared document if it conforms (or ``force``) and is not already there."""
    if not prepared.report.conforms and not force:
        return prepared.outcome("refused")
    # A graph the store does not hold can be neither unchanged nor fuller minutes. In
    # process the graph index answers that for far less than the two queries; a
    # remote store would pay a request for it, so it is asked the queries directly.
    known = store.remote or store.has_graph(prepared.graph_iri)
    if known and _unchanged(store, prepared):
        return prepared.outcome("unchanged")
    if known and prepared.media_type == CALENDAR and _has_fuller_minutes(store, prepared):
        return prepared.outcome(
            "kept",
            "the store holds minutes of this meeting with an agenda; a calendar "
            "entry does not replace them",
        )
    store.replace_graph_text(prepared.graph_iri, prepared.body)
    return prepared.outcome("imported" if prepared.report.conforms else "forced")


def _has_fuller_minutes(store: QuadStore, prepared: Prepared) -> bool:
    """True if the meeting's graph holds a document that is not a calendar entry."""
    return store.query(
        f'ASK {{ GRAPH ?g {{ ?g ?format ?f FILTER(?f != "{CALENDAR}") }} }}',
        substitutions={"g": URIRef(prepared.graph_iri), "format": EKG.sourceFormat},
    ).boolean


def _unchanged(store: QuadStore, prepared: Prepared) -> bool:
    """True if the store holds this exact document, built by this version with these
    summaries (SUMMARY_VERSION), same verdict."""
    return store.query(
        "ASK { GRAPH ?g { ?g ?sha ?digest ; ?version ?v ; ?summaries ?sv ; ?conforms ?ok } }",
        substitutions={
            "g": URIRef(prepared.graph_iri),
            "sha": EKG.sha256,
            "digest": RdfLiteral(prepared.sha256),
            "version": EKG.toolVersion,
            "v": RdfLiteral(__version__),
            "summaries": EKG.summaryVersion,
            "sv": RdfLiteral(SUMMARY_VERSION, datatype=XSD.integer),
            "conforms": EKG.conforms,
            "ok": RdfLiteral(prepared.report.conforms),
        },
    ).boolean


# -- running ---------------------------------------------------------------------

_WORKER: Pipeline | None = None


def _start_worker(pipeline: Pipeline) -> None:
    global _WORKER
    _WORKER = pipeline
    # Load the lexicon and shapes now, not inside the first file's time.
    load_lexicon(pipeline.base)
    load_shapes()
    # They live as long as the worker: taken out of the garbage collector's reach,
    # its full collections no longer walk them, which saved a tenth of the
    # building time (measured on generated minutes).
    gc.freeze()


def _prepare_in_worker(job: tuple[str, dt.date | None]) -> Prepared | InputError:
    assert _WORKER is not None, "worker started without a pipeline"
    path, date = job
    return _WORKER.prepare(Path(path), date)


def _prepare_all(
    pipeline: Pipeline, paths: list[Path], date: dt.date | None, workers: int
) -> Iterator[tuple[Path, Prepared | InputError]]:
    if workers <= 1 or len(paths) < PARALLEL_MIN_FILES:
        for path in paths:
            yield path, pipeline.prepare(path, date)
        return
    # forkserver: workers start from a clean process, not a fork of one that may
    # be running threads (a progress bar, a server).
    context = multiprocessing.get_context("forkserver")
    with context.Pool(workers, initializer=_start_worker, initargs=(pipeline,)) as pool:
        # A bounded window of files in flight, taken in input order: Pool.imap
        # would queue every file at once and keep each finished document until
        # this process has stored it, so when storing falls behind building,
        # memory would grow with the number of files.
        window = workers * IN_FLIGHT_PER_WORKER
        pending: deque[tuple[Path, AsyncResult[Prepared | InputError]]] = deque()
        ahead = iter(paths)
        for path in islice(ahead, window):
            pending.append((path, pool.apply_async(_prepare_in_worker, ((str(path), date),))))
        while pending:
            path, result = pending.popleft()
            prepared = result.get()
            following = next(ahead, None)
            if following is not None:
                job = ((str(following), date),)
                pending.append((following, pool.apply_async(_prepare_in_worker, job)))
            yield path, prepared


def default_workers() -> int:
    """One building process per core, leaving this process to write."""
    return max(1, os.cpu_count() or 1)


def import_files(
    store: QuadStore,
    pipeline: Pipeline,
    paths: Iterable[Path],
    *,
    date: dt.date | None = None,
    force: bool = False,
    workers: int = 0,
    progress: Callable[[ImportOutcome], None] | None = None,
) -> list[ImportOutcome]:
    """Import each file; documents are stored one at a time, each in one transaction.

    ``workers`` 0 picks one per core; runs of fewer than PARALLEL_MIN_FILES
    files are built in this process. Never raises for a user mistake: see
    ImportOutcome.status.
    """
    paths = list(paths)
    outcomes = []
    written = 0
    for path, result in _prepare_all(pipeline, paths, date, workers or default_workers()):
        if isinstance(result, InputError):
            outcome = ImportOutcome(str(path), "failed", error=result)
        else:
            outcome = store_prepared(store, result, force=force)
        if outcome.status in {"imported", "forced"}:
            written += 1
            # The embedded store keeps writes in memory until a flush, and its
            # own background flushing falls behind a long import: without this
            # its memory grows by megabytes per document.
            if written % FLUSH_EVERY == 0:
                store.flush()
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    store.flush()
    return outcomes
