"""Shared parts of the registry documents: store statistics, the served URLs, problems."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rdflib import Literal
from rdflib.term import Node

from escape_kg.config import Settings
from escape_kg.store import QueryResult

__all__ = [
    "DUMPS",
    "CountsCache",
    "DatasetStatistics",
    "Dump",
    "Queryable",
    "RegistryProblem",
    "RegistryURLs",
    "StoreCounts",
    "count_store",
    "dataset_statistics",
    "store_state",
]


@dataclass(frozen=True)
class Dump:
    """One downloadable serialisation of the whole dataset."""

    path: str
    name: str
    media_type: str
    file_type: str


DUMPS = (
    Dump("dump.trig", "TriG", "application/trig", "RDF_TRIG"),
    Dump("dump.nq", "N-Quads", "application/n-quads", "RDF_N_QUADS"),
)


class Queryable(Protocol):
    """What the statistics need of a KnowledgeGraph: its settings and SPARQL."""

    settings: Settings

    def query(self, sparql: str, *, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        """Run a SELECT over the union of all graphs."""
        ...


@dataclass(frozen=True)
class StoreCounts:
    """The whole-store counts that VoID reports. Each needs a pass over every quad
    (seconds at 2,000 meetings), so they are counted only when a document uses them
    and kept per state of the store (see ``KnowledgeGraph.dataset_statistics``).

    ``triples`` counts statements in named graphs (a triple stated in two documents
    counts twice, as it does in the dump); ``entities`` counts the typed resources
    whose IRI starts with the base.
    """

    triples: int
    graphs: int
    distinct_subjects: int
    distinct_objects: int
    entities: int
    classes: tuple[tuple[str, int], ...]
    properties: tuple[tuple[str, int], ...]
    vocabularies: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        """The counts as JSON-ready data (``from_json`` reads them back)."""
        return {
            "triples": self.triples,
            "graphs": self.graphs,
            "distinct_subjects": self.distinct_subjects,
            "distinct_objects": self.distinct_objects,
            "entities": self.entities,
            "classes": [list(c) for c in self.classes],
            "properties": [list(p) for p in self.properties],
            "vocabularies": list(self.vocabularies),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoreCounts:
        """Counts written by ``to_json``. Raises KeyError, TypeError or ValueError for
        anything else."""

        def pairs(key: str) -> tuple[tuple[str, int], ...]:
            return tuple((str(k), int(n)) for k, n in data[key])

        return cls(
            triples=int(data["triples"]),
            graphs=int(data["graphs"]),
            distinct_subjects=int(data["distinct_subjects"]),
            distinct_objects=int(data["distinct_objects"]),
            entities=int(data["entities"]),
            classes=pairs("classes"),
            properties=pairs("properties"),
            vocabularies=tuple(str(v) for v in data["vocabularies"]),
        )


@dataclass(frozen=True)
class DatasetStatistics:
    """What the store holds, as the registry documents report it.

    The meeting count, the meeting and import dates and the example resources
    are index reads (milliseconds); the whole-store counts (``store``: sizes and
    partitions) need a pass over every quad, so they are included only for the
    documents that report them (VoID), and None otherwise: the landing page, DCAT,
    schema.org and the EOSC profile never wait for them.
    """

    meetings: int
    first_meeting: dt.date | None
    last_meeting: dt.date | None
    first_import: dt.datetime | None
    last_import: dt.datetime | None
    examples: tuple[str, ...]
    store: StoreCounts | None = None

    @property
    def counts(self) -> StoreCounts:
        """The whole-store counts. Raises LookupError when these statistics were made
        without them (a bug: the caller should have asked for them)."""
        if self.store is None:
            raise LookupError("these dataset statistics were made without the store counts")
        return self.store


def _one_row(kg: Queryable, sparql: str) -> tuple[Any, ...]:
    row = next(kg.query(sparql).rows(), None)
    return tuple(None if t is None else t.toPython() for t in row) if row else ()


def _counts(kg: Queryable, sparql: str) -> tuple[tuple[str, int], ...]:
    rows = kg.query(sparql).rows()
    return tuple(sorted((str(k), int(n)) for k, n in rows if k is not None and n is not None))


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def count_store(kg: Queryable) -> StoreCounts:
    """Count what ``kg`` holds with four whole-store queries (each pattern inside GRAPH,
    so the engine scans quads once instead of building the union graph); the number
    of statements is the sum of the property partition.

    Raises QueryError/StoreError if the store cannot be read.
    """
    distinct = _one_row(
        kg,
        """SELECT (COUNT(DISTINCT ?s) AS ?s_) (COUNT(DISTINCT ?o) AS ?o_)
                  (COUNT(DISTINCT ?g) AS ?g_) WHERE { GRAPH ?g { ?s ?p ?o } }""",
    )
    properties = _counts(
        kg, "SELECT ?p (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?p"
    )
    classes = _counts(
        kg, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } } GROUP BY ?c"
    )
    # The base is a setting, written as an escaped literal (n3) rather than bound:
    # pyoxigraph substitutes only projected variables. DISTINCT before the filter
    # tests each resource once instead of once per type statement (half the time).
    (entities,) = _one_row(
        kg,
        f"""SELECT (COUNT(*) AS ?n) WHERE {{
              {{ SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s a ?c }} }} }}
              FILTER(isIRI(?s) && STRSTARTS(STR(?s), {Literal(kg.settings.base).n3()})) }}""",
    )
    vocabularies = {_namespace(p) for p, _ in properties} | {_namespace(c) for c, _ in classes}
    vocabularies.discard(_namespace(kg.settings.base))
    return StoreCounts(
        triples=sum(n for _p, n in properties),
        distinct_subjects=int(distinct[0]),
        distinct_objects=int(distinct[1]),
        graphs=int(distinct[2]),
        entities=int(entities),
        classes=classes,
        properties=properties,
        vocabularies=tuple(sorted(v for v in vocabularies if v)),
    )


def store_state(kg: Queryable) -> str:
    """A digest that changes whenever an import, a ``load`` or a vocabulary update
    changes the store: the named graphs, and the stamps every import writes (the
    number of graphs with a ``prov:generatedAtTime``, the earliest and the latest)
    and the vocabulary graphs carry (their ``ekg:sha256``). Aggregates keep it one
    small answer at any size (milliseconds; servers cap long answers).

    Writes that carry no stamp (SPARQL Update, Graph Store uploads) are not seen
    here: ``KnowledgeGraph`` forgets its counts after every write it makes.
    Raises QueryError/StoreError if the store cannot be read.
    """
    rows = [
        _one_row(kg, "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { } }"),
        _one_row(
            kg,
            """SELECT (COUNT(*) AS ?n) (MIN(STR(?t)) AS ?first) (MAX(STR(?t)) AS ?last)
               WHERE { GRAPH ?g { ?g prov:generatedAtTime ?t } }""",
        ),
        _one_row(
            kg,
            """SELECT (COUNT(*) AS ?n) (MIN(STR(?d)) AS ?low) (MAX(STR(?d)) AS ?high)
               WHERE { GRAPH ?g { ?g ekg:sha256 ?d FILTER NOT EXISTS {
                 ?g prov:generatedAtTime ?t } } }""",
        ),
    ]
    text = repr([kg.settings.base, *rows])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def dataset_statistics(kg: Queryable, counts: StoreCounts | None = None) -> DatasetStatistics:
    """The statistics of ``kg``: its meetings, their dates, the import dates and example
    resources (index reads), with the whole-store ``counts`` when given (see
    ``count_store``).

    Raises QueryError/StoreError if the store cannot be read.
    """
    meetings, first, last = _one_row(
        kg,
        """SELECT (COUNT(DISTINCT ?m) AS ?n) (MIN(?d) AS ?first) (MAX(?d) AS ?last)
           WHERE { GRAPH ?g { ?m a ekg:Meeting ; dcterms:date ?d } }""",
    )
    first_import, last_import = _one_row(
        kg,
        """SELECT (MIN(?t) AS ?first) (MAX(?t) AS ?last)
           WHERE { GRAPH ?g { ?g prov:generatedAtTime ?t } }""",
    )
    examples = [
        str(row[0])
        for sparql in (
            """SELECT ?x WHERE { GRAPH ?g { ?x a ekg:Meeting ; dcterms:date ?d } }
               ORDER BY DESC(?d) ?x LIMIT 1""",
            # DISTINCT first: a person is typed in every graph naming them, and
            # sorting every such statement by IRI took seconds.
            """SELECT ?x WHERE { { SELECT DISTINCT ?x WHERE { GRAPH ?g { ?x a schema:Person } } } }
               ORDER BY ?x LIMIT 1""",
        )
        for row in kg.query(sparql).rows()
        if row[0] is not None
    ]
    return DatasetStatistics(
        meetings=int(meetings),
        first_meeting=first if isinstance(first, dt.date) else None,
        last_meeting=last if isinstance(last, dt.date) else None,
        first_import=first_import if isinstance(first_import, dt.datetime) else None,
        last_import=last_import if isinstance(last_import, dt.datetime) else None,
        examples=tuple(examples),
        store=counts,
    )


class CountsCache:
    """Whole-store counts kept per state of the store: in memory, and in a JSON file
    (``path``; None: memory only) so that a restarted server does not count again.

    The file names the state it was counted in (``store_state``); any other state
    ignores it. ``forget`` drops both copies (after a write the digest may not see).
    Nothing here raises for an unreadable or unwritable file: counting again is the
    fallback, and a read-only store folder simply keeps no copy.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._kept: tuple[str, StoreCounts] | None = None
        self._generation = 0  # one more after each forget
        self._counting = threading.Lock()  # two requests at once count once
        self._keeping = threading.Lock()  # held briefly: never while counting

    def get(self, state: str, count: Callable[[], StoreCounts]) -> StoreCounts:
        """The counts of ``state``: kept ones, else ``count()`` (then kept, unless
        ``forget`` was called meanwhile: a write during the count may be missing)."""
        with self._counting:
            kept = self._kept
            if kept is not None and kept[0] == state:
                return kept[1]
            generation = self._generation
            counts = self._read(state)
            fresh = counts is None
            if counts is None:
                counts = count()
            with self._keeping:
                if generation == self._generation:
                    if fresh:
                        self._write(state, counts)
                    self._kept = (state, counts)
            return counts

    def forget(self) -> None:
        """Drop the kept counts, in memory and on disk, without waiting for a count
        that is running (its result is then not kept)."""
        with self._keeping:
            self._generation += 1
            self._kept = None
            if self.path is not None:
                with suppress(OSError):
                    self.path.unlink(missing_ok=True)

    def _read(self, state: str) -> StoreCounts | None:
        if self.path is None:
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("state") != state:
                return None
            return StoreCounts.from_json(data["counts"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def _write(self, state: str, counts: StoreCounts) -> None:
        if self.path is None:
            return
        part = self.path.with_name(self.path.name + ".part")
        with suppress(OSError):
            text = json.dumps({"state": state, "counts": counts.to_json()})
            part.write_text(text, encoding="utf-8")
            part.replace(self.path)


@dataclass(frozen=True)
class RegistryURLs:
    """Where a deployment serves each document; ``root`` ends with "/"."""

    root: str
    landing: str

    @classmethod
    def at(cls, root: str, landing: str = "") -> RegistryURLs:
        """The URLs of a server reached at ``root``, its landing page ``landing``
        (default: ``root``)."""
        root = root if root.endswith("/") else root + "/"
        return cls(root, landing or root)

    @classmethod
    def of(cls, settings: Settings, root: str | None = None) -> RegistryURLs:
        """``settings.public_url``, else ``root`` (where a request came in), else the
        local default http://127.0.0.1:8000/."""
        return cls.at(
            settings.public_url or root or "http://127.0.0.1:8000/", settings.landing_page
        )

    @property
    def sparql(self) -> str:
        """The SPARQL endpoint; GET without a query gives its service description."""
        return self.root + "sparql"

    @property
    def catalog(self) -> str:
        """The DCAT-AP catalogue document."""
        return self.root + "catalog"

    @property
    def void(self) -> str:
        """The VoID description."""
        return self.root + ".well-known/void"

    @property
    def eosc(self) -> str:
        """The EOSC profile payload."""
        return self.root + "eosc-profile.json"

    @property
    def dataset(self) -> str:
        """The IRI of the dataset itself (one IRI in DCAT-AP and VoID alike)."""
        return self.catalog + "#dataset"

    def dump(self, dump: Dump) -> str:
        """Where ``dump`` is downloaded."""
        return self.root + dump.path


@dataclass(frozen=True)
class RegistryProblem:
    """Something a registry would reject or flag, and the setting that fixes it."""

    message: str
    setting: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        fix = f"set {self.setting}" if self.setting else self.hint
        return f"{self.message}: {fix}" if fix else self.message
