"""Checks a document graph against the SHACL shapes and reports back in source lines."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import cast

import pyshacl
from rdflib import Graph, URIRef
from rdflib import Literal as RDFLiteral
from rdflib.namespace import SH

from escape_kg.checks import TWINS
from escape_kg.rdf.docstore import DocumentStore
from escape_kg.rdf.namespaces import EKG
from escape_kg.report import ValidationReport, ValidationResult, make_report
from escape_kg.resources import shape_files

__all__ = [
    "ValidationReport",
    "ValidationResult",
    "load_shapes",
    "shapes_graph",
    "validate_graph",
    "validate_with",
]


def shapes_graph() -> Graph:
    """Every bundled shapes file parsed into one new graph, which the caller may change."""
    # pySHACL reads the shapes graph thousands of times per run: the lean store pays.
    graph = Graph(DocumentStore())
    for path in shape_files():
        graph.parse(path, format="turtle")
    return graph


@cache
def _shapes() -> Graph:
    """``shapes_graph`` parsed once per process, for reading only: parsing the shapes
    costs more than validating a meeting."""
    return shapes_graph()


@cache
def _shapes_without_twinned_sparql() -> Graph:
    """The shapes with each SHACL-SPARQL constraint that has a Python twin switched off."""
    graph = Graph(DocumentStore())
    graph += _shapes()
    for constraint in TWINS:
        graph.add((URIRef(constraint), SH.deactivated, RDFLiteral(True)))
    return graph


def load_shapes() -> None:
    """Parse the bundled shapes now rather than during the first validation (they
    are kept for the life of the process)."""
    _shapes_without_twinned_sparql()


def validate_graph(
    data: Graph, *, source_path: str | None = None, sparql: bool = False
) -> ValidationReport:
    """Validates ``data`` (one document graph) against the bundled shapes.

    Returns the report; it never raises for a non-conforming graph. ``source_path``
    names the file in the report text; without it the graph's ekg:sourceName is used.
    SHACL-SPARQL constraints run as their Python twins (escape_kg/checks.py), which
    find the same nodes many times faster; ``sparql=True`` runs them in pySHACL.
    Raises pyshacl's errors only if the bundled shapes themselves are broken.
    """
    _, report, _ = pyshacl.validate(
        data,
        shacl_graph=shapes_graph() if sparql else _shapes_without_twinned_sparql(),
        inference="none",
        advanced=False,
        allow_warnings=True,
        inplace=True,
    )
    report_graph = cast(Graph, report)
    if source_path is None:
        name = next(data.objects(None, EKG.sourceName), None)
        source_path = str(name) if name is not None else None
    return make_report(data, _shapes(), report_graph, source_path=source_path, twins=not sparql)


@cache
def _shapes_in(folder: Path) -> Graph:
    """The shapes files of ``folder`` parsed into one graph (once per process)."""
    graph = Graph()
    for path in sorted(folder.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def validate_with(data: Graph, shapes_dir: Path) -> ValidationReport:
    """Validates ``data`` against the shapes files (``*.ttl``) of ``shapes_dir``,
    for graphs other than minutes (the registry metadata checks its DCAT-AP this way).

    Returns the report; ``data`` is left unchanged. Raises FileNotFoundError if the
    folder holds no shapes.
    """
    shapes = _shapes_in(shapes_dir.resolve())
    if not len(shapes):
        raise FileNotFoundError(f"no SHACL shapes (*.ttl) in {shapes_dir}")
    _, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=False, allow_warnings=True
    )
    return make_report(data, shapes, cast(Graph, report))
