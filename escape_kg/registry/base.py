"""Shared parts of the registry documents: store statistics, the served URLs, problems."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from rdflib import Literal
from rdflib.term import Node

from escape_kg.config import Settings
from escape_kg.store import QueryResult

__all__ = [
    "DUMPS",
    "DatasetStatistics",
    "Dump",
    "Queryable",
    "RegistryProblem",
    "RegistryURLs",
    "dataset_statistics",
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
class DatasetStatistics:
    """What the store holds, as the registry documents report it.

    ``triples`` counts statements in named graphs (a triple stated in two
    documents counts twice, as it does in the dump); ``entities`` counts the
    typed resources whose IRI starts with the base.
    """

    triples: int
    graphs: int
    meetings: int
    distinct_subjects: int
    distinct_objects: int
    entities: int
    classes: tuple[tuple[str, int], ...]
    properties: tuple[tuple[str, int], ...]
    vocabularies: tuple[str, ...]
    first_meeting: dt.date | None
    last_meeting: dt.date | None
    first_import: dt.datetime | None
    last_import: dt.datetime | None
    examples: tuple[str, ...]


def _one_row(kg: Queryable, sparql: str) -> tuple[Any, ...]:
    row = next(kg.query(sparql).rows(), None)
    return tuple(None if t is None else t.toPython() for t in row) if row else ()


def _counts(kg: Queryable, sparql: str) -> tuple[tuple[str, int], ...]:
    rows = kg.query(sparql).rows()
    return tuple(sorted((str(k), int(n)) for k, n in rows if k is not None and n is not None))


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def dataset_statistics(kg: Queryable) -> DatasetStatistics:
    """Count what ``kg`` holds with a few whole-store queries (each pattern inside GRAPH,
    so the engine scans quads once instead of building the union graph).

    Raises QueryError/StoreError if the store cannot be read.
    """
    totals = _one_row(
        kg,
        """SELECT (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?s_) (COUNT(DISTINCT ?o) AS ?o_)
                  (COUNT(DISTINCT ?g) AS ?g_) WHERE { GRAPH ?g { ?s ?p ?o } }""",
    )
    properties = _counts(
        kg, "SELECT ?p (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?p"
    )
    classes = _counts(
        kg, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } } GROUP BY ?c"
    )
    # The base is a setting, written as an escaped literal (n3) rather than bound:
    # pyoxigraph substitutes only projected variables.
    (entities,) = _one_row(
        kg,
        f"""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?c }}
              FILTER(isIRI(?s) && STRSTARTS(STR(?s), {Literal(kg.settings.base).n3()})) }}""",
    )
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
            "SELECT ?x WHERE { GRAPH ?g { ?x a schema:Person } } ORDER BY ?x LIMIT 1",
        )
        for row in kg.query(sparql).rows()
        if row[0] is not None
    ]
    vocabularies = {_namespace(p) for p, _ in properties} | {_namespace(c) for c, _ in classes}
    vocabularies.discard(_namespace(kg.settings.base))
    return DatasetStatistics(
        triples=int(totals[0]),
        distinct_subjects=int(totals[1]),
        distinct_objects=int(totals[2]),
        graphs=int(totals[3]),
        meetings=int(meetings),
        entities=int(entities),
        classes=classes,
        properties=properties,
        vocabularies=tuple(sorted(v for v in vocabularies if v)),
        first_meeting=first if isinstance(first, dt.date) else None,
        last_meeting=last if isinstance(last, dt.date) else None,
        first_import=first_import if isinstance(first_import, dt.datetime) else None,
        last_import=last_import if isinstance(last_import, dt.datetime) else None,
        examples=tuple(examples),
    )


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
