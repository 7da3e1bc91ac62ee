"""The SHACL shapes: each parses, explains itself, has a conforming and a violating fixture."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from _meeting_factory import meeting
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD

from escape_kg.rdf.iris import Minter
from escape_kg.rdf.mapping import ImportInfo, meeting_graph
from escape_kg.resources import shape_files
from escape_kg.validate import shapes_graph, validate_graph

FIXTURES = Path(__file__).parent / "data" / "shapes"
T = Namespace("https://w3id.org/escape-kg/test#")
EKGSH = "https://w3id.org/escape-kg/shapes#"


def _shape_names() -> set[str]:
    """Shapes a result can name: IRI property shapes and node shapes with SPARQL."""
    g = shapes_graph()
    props = {s for s in g.subjects(RDF.type, SH.PropertyShape) if isinstance(s, URIRef)}
    nodes = {s for s in g.subjects(SH.sparql, None) if isinstance(s, URIRef)}
    return {str(s).removeprefix(EKGSH) for s in props | nodes}


def _load(path: Path) -> tuple[Graph, dict[str, str | bool | None]]:
    data = Graph().parse(path, format="turtle")
    expect = T.expect
    wanted: dict[str, str | bool | None] = {
        key: (str(v) if (v := data.value(expect, T[key])) is not None else None)
        for key in ("shape", "focus", "component", "value")
    }
    conforms = data.value(expect, T.conforms)
    assert isinstance(conforms, Literal)
    wanted["conforms"] = bool(conforms.toPython())
    data.remove((expect, None, None))
    return data, wanted


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.ttl")), ids=lambda p: p.stem)
def test_fixture(path: Path) -> None:
    data, wanted = _load(path)
    report = validate_graph(data)
    mine = [r for r in report.results if r.shape == wanted["shape"]]
    if wanted["conforms"]:
        assert mine == []
        return
    found = {(r.focus_node, r.constraint) for r in mine}
    assert (wanted["focus"], wanted["component"]) in found
    if wanted["value"] is not None:
        assert wanted["value"] in {r.value for r in mine}


def test_every_shape_has_both_fixtures() -> None:
    for name in sorted(_shape_names()):
        assert (FIXTURES / f"{name}.ok.ttl").is_file(), name
        assert (FIXTURES / f"{name}.bad.ttl").is_file(), name


def test_every_fixture_names_a_shape() -> None:
    names = _shape_names()
    for path in FIXTURES.glob("*.ttl"):
        _, wanted = _load(path)
        assert str(wanted["shape"]).removeprefix(EKGSH) in names, path.name


@pytest.mark.parametrize("path", shape_files(), ids=lambda p: p.name)
def test_shapes_file_parses(path: Path) -> None:
    assert len(Graph().parse(path, format="turtle")) > 0


def test_every_shape_explains_itself() -> None:
    g = shapes_graph()
    for shape in g.subjects(RDF.type, SH.PropertyShape):
        assert g.value(shape, RDFS.label) is not None, shape
        message = g.value(shape, SH.message)
        assert message is not None and str(message).endswith("."), shape
    for constraint in g.subjects(RDF.type, SH.SPARQLConstraint):
        assert g.value(constraint, SH.message) is not None, constraint
        assert g.value(constraint, RDFS.label) is not None, constraint


def test_secret_scan_covers_every_text_predicate_the_mapping_writes() -> None:
    graph = meeting_graph(
        meeting(), Minter(), ImportInfo(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "0.1.0")
    )
    written = {
        p
        for _, p, o in graph
        if isinstance(o, Literal) and o.datatype in (None, XSD.string) and o.language is None
    }
    g = shapes_graph()
    scanned = {
        g.value(s, SH.path)
        for s in g.subjects(SH.targetSubjectsOf, None)
        if str(s).startswith(EKGSH + "NoSecretIn")
    }
    assert written, "the mapping wrote no text at all"
    assert written <= scanned, written - scanned
