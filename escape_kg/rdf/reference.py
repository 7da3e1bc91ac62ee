"""Loads the ontology and the ESCAPE reference vocabulary as Graphs, and the Lexicon from it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import lru_cache

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from escape_kg.errors import ConfigError
from escape_kg.model import EntityRef, Kind, Lexicon, LexiconEntry
from escape_kg.rdf.iris import DEFAULT_BASE, Minter
from escape_kg.rdf.namespaces import EKG, ORG, PREFIXES, RDFS, SCHEMA, SKOS
from escape_kg.rdf.summaries import search_keys, search_words
from escape_kg.resources import ontology_files, reference_file

__all__ = ["load_lexicon", "ontology_graph", "reference_graph", "reference_search_words"]

# Every predicate whose values are another way of writing an entity's name; the
# identifier and acronym count too, because minutes write "WP2", "D5.3", "DIOS".
_ALIAS_PREDICATES = (EKG.acronym, SCHEMA.identifier, EKG.alias, SCHEMA.alternateName, SKOS.altLabel)
# Only these kinds have an identifier that minutes use as a name of its own.
_IDENTIFIED_KINDS = frozenset({Kind.WORK_PACKAGE, Kind.DELIVERABLE})
_KIND_ORDER = {kind: index for index, kind in enumerate(Kind)}
_DIGITS = re.compile(r"(\d+)")


def _normalise_base(base: str) -> str:
    if not base.startswith(("http://", "https://")):
        raise ConfigError(
            f"the base IRI must start with http:// or https://, not {base!r}",
            hint="pass a base such as https://kg.example.org/id/",
        )
    return Minter(base).base


def _bind(graph: Graph) -> Graph:
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True)
    return graph


def _copy(source: Graph) -> Graph:
    # The cached graphs are shared by every caller; hand out copies so that a caller
    # adding triples (the store loader, a test) cannot change what the next one sees.
    fresh = _bind(Graph())
    fresh += source
    return fresh


@lru_cache(maxsize=8)
def _reference(base: str) -> Graph:
    graph = Graph()
    graph.parse(reference_file(), format="turtle", publicID=base)
    # The same lower-cased keys the minutes graphs carry, so one lookup finds an entity
    # by any of its names, whichever graph gives it.
    for triple in search_keys(list(graph)):
        graph.add(triple)
    return _bind(graph)


@lru_cache(maxsize=1)
def _ontology() -> Graph:
    graph = Graph()
    for path in ontology_files():
        graph.parse(path, format="turtle")
    return _bind(graph)


def reference_graph(base: str = DEFAULT_BASE) -> Graph:
    """The ESCAPE reference vocabulary with its relative IRIs resolved against ``base``.

    The file is parsed once per base; each call returns a new Graph holding a copy
    of the triples, so the caller may change it freely.
    Raises ConfigError if ``base`` is not an http(s) IRI, and FileNotFoundError if
    the install lacks its ontology folder.
    """
    return _copy(_reference(_normalise_base(base)))


@lru_cache(maxsize=8)
def reference_search_words(base: str = DEFAULT_BASE) -> frozenset[tuple[Node, str]]:
    """The (entity, word) pairs the reference graph gives as ``ekg:searchWord``, for
    ``base``: minutes graphs leave these out, as every store holds the reference graph.
    Cached per base. Raises ConfigError if ``base`` is not an http(s) IRI."""
    return search_words(_reference(_normalise_base(base)))


def ontology_graph() -> Graph:
    """The escape-kg OWL vocabulary (every ontology file except the reference one).

    Parsed once; each call returns a new Graph the caller may change.
    Raises FileNotFoundError if the install lacks its ontology folder.
    """
    return _copy(_ontology())


def load_lexicon(base: str = DEFAULT_BASE) -> Lexicon:
    """The reference vocabulary as the extractors see it: one entry per known entity.

    Entries come in Kind order, then in natural order of their keys ("MS7" before
    "MS20"); aliases are sorted ignoring case and never repeat the name. The result
    is immutable and cached per base.
    Raises ConfigError if ``base`` is not an http(s) IRI.
    """
    return _lexicon(_normalise_base(base))


@lru_cache(maxsize=8)
def _lexicon(base: str) -> Lexicon:
    graph = _reference(base)
    minter = Minter(base)
    entries: list[LexiconEntry] = []
    for subject in set(graph.subjects()):
        if not isinstance(subject, URIRef):
            continue
        ref = minter.ref_of(str(subject))
        if ref is None:
            continue
        entries.append(_entry(graph, minter, subject, ref))
    entries.sort(key=lambda e: (_KIND_ORDER[e.ref.kind], _natural(e.ref.key)))
    return Lexicon(tuple(entries))


def _entry(graph: Graph, minter: Minter, subject: URIRef, ref: EntityRef) -> LexiconEntry:
    name = _text(graph.value(subject, SCHEMA.name)) or _text(graph.value(subject, RDFS.label))
    if name is None:
        # A reference entity without a name cannot be matched; the tests forbid it.
        name = ref.key
    aliases = _distinct(
        text
        for predicate in _ALIAS_PREDICATES
        for value in graph.objects(subject, predicate)
        if (text := _text(value)) is not None and text != name
    )
    identifier = None
    if ref.kind in _IDENTIFIED_KINDS:
        identifier = _text(graph.value(subject, SCHEMA.identifier))
    return LexiconEntry(
        ref=ref,
        name=name,
        aliases=aliases,
        identifier=identifier,
        start=_date(graph.value(subject, SCHEMA.startDate)) if ref.kind is Kind.EVENT else None,
        end=_date(graph.value(subject, SCHEMA.endDate)) if ref.kind is Kind.EVENT else None,
        series=_ref(minter, graph.value(subject, SCHEMA.superEvent)),
        parent=_ref(minter, graph.value(subject, ORG.unitOf)),
    )


def _text(value: Node | None) -> str | None:
    return str(value) if isinstance(value, Literal) else None


def _date(value: Node | None) -> dt.date | None:
    if not isinstance(value, Literal):
        return None
    parsed = value.toPython()
    # xsd:date gives a date; a datetime (a subclass of date) would be a data error.
    return parsed if isinstance(parsed, dt.date) and not isinstance(parsed, dt.datetime) else None


def _ref(minter: Minter, value: Node | None) -> EntityRef | None:
    return minter.ref_of(str(value)) if isinstance(value, URIRef) else None


def _distinct(texts: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(texts), key=lambda t: (t.casefold(), t)))


def _natural(key: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(key))
