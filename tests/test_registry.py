"""Registry metadata: DCAT-AP conforms to our shapes, VoID counts are true, EOSC, register."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, SH

from escape_kg.api import KnowledgeGraph
from escape_kg.cli import main
from escape_kg.config import Settings
from escape_kg.errors import ConfigError
from escape_kg.registry import (
    EOSC_REQUIRED,
    eosc_problems,
    signposting_links,
    validate_catalog,
)
from escape_kg.resources import shape_files

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "escape-tc-minutes.txt"
VOID = "http://rdfs.org/ns/void#"
READY = {
    "ESCAPE_KG_CONTACT_EMAIL": "kg@example.org",
    "ESCAPE_KG_EOSC_NODE": "node-sandbox",
    "ESCAPE_KG_PUBLIC_URL": "https://kg.example.org/",
}


def _kg(**settings: str) -> KnowledgeGraph:
    kg = KnowledgeGraph.memory(Settings(**settings))  # type: ignore[arg-type]
    kg.ingest(EXAMPLE, date=dt.date(2021, 9, 8))
    return kg


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return _kg(
        contact_email="kg@example.org",
        public_url="https://kg.example.org/",
        eosc_node="node-sandbox",
    )


def _count(kg: KnowledgeGraph, sparql: str) -> int:
    (value,) = next(kg.query(sparql).rows())
    assert value is not None
    return int(value.toPython())


def test_catalog_conforms_to_the_dcat_ap_shapes_without_warnings(kg: KnowledgeGraph) -> None:
    report = validate_catalog(kg.registry_graph("dcat-ap", kg.registry_urls()))
    assert report.conforms
    assert report.results == ()


@pytest.mark.parametrize(
    ("node", "path"),
    [
        ("catalog", DCTERMS.title),
        ("catalog", DCTERMS.publisher),
        ("dataset", DCTERMS.description),
        ("sparql", DCAT.endpointURL),
        ("dump-trig", DCAT.accessURL),
        ("publisher", URIRef("http://xmlns.com/foaf/0.1/name")),
    ],
)
def test_a_missing_mandatory_property_is_a_violation(
    kg: KnowledgeGraph, node: str, path: URIRef
) -> None:
    graph = kg.registry_graph("dcat-ap", kg.registry_urls())
    focus = URIRef(kg.registry_urls().catalog + "#" + node)
    assert (focus, path, None) in graph
    graph.remove((focus, path, None))
    report = validate_catalog(graph)
    assert not report.conforms
    found = {(r.focus_node, r.path, r.constraint) for r in report.violations}
    assert (str(focus), str(path), str(SH.MinCountConstraintComponent)) in found


def test_missing_contact_email_is_a_warning_not_a_violation() -> None:
    kg = _kg()
    report = validate_catalog(kg.registry_graph("dcat-ap", kg.registry_urls()))
    assert report.conforms
    assert [r.path for r in report.warnings] == ["http://www.w3.org/2006/vcard/ns#hasEmail"]


def test_the_minutes_validation_does_not_load_the_dcat_ap_shapes() -> None:
    assert shape_files()
    assert all(p.parent.name == "shapes" for p in shape_files())


def test_dataset_describes_the_endpoint_and_the_meeting_dates(kg: KnowledgeGraph) -> None:
    urls = kg.registry_urls()
    g = kg.registry_graph("dcat-ap", urls)
    service = URIRef(urls.catalog + "#sparql")
    assert g.value(service, DCAT.endpointURL) == URIRef("https://kg.example.org/sparql")
    assert g.value(service, DCTERMS.conformsTo) == URIRef(
        "https://www.w3.org/TR/sparql11-protocol/"
    )
    assert g.value(service, DCAT.servesDataset) == URIRef(urls.dataset)
    period = g.value(URIRef(urls.dataset), DCTERMS.temporal)
    assert g.value(period, DCAT.startDate) == Literal(dt.date(2021, 9, 8))
    downloads = set(g.objects(None, DCAT.downloadURL))
    assert downloads == {
        URIRef("https://kg.example.org/dump.trig"),
        URIRef("https://kg.example.org/dump.nq"),
    }


def test_void_counts_equal_direct_queries(kg: KnowledgeGraph) -> None:
    urls = kg.registry_urls()
    g = kg.registry_graph("void", urls)
    ds = URIRef(urls.dataset)

    def stated(name: str) -> int:
        value = g.value(ds, URIRef(VOID + name))
        assert isinstance(value, Literal)
        return int(value.toPython())

    assert stated("triples") == _count(
        kg, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    )
    assert stated("triples") == kg.store.quad_count()
    assert stated("distinctSubjects") == _count(
        kg, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    )
    people = _count(kg, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a schema:Person }")
    assert people > 0
    partitions = {
        g.value(part, URIRef(VOID + "class")): g.value(part, URIRef(VOID + "entities"))
        for part in g.objects(ds, URIRef(VOID + "classPartition"))
    }
    assert partitions[URIRef("http://schema.org/Person")] == Literal(people)
    mentions = _count(kg, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?m oa:hasBody ?b } }")
    by_property = {
        g.value(part, URIRef(VOID + "property")): g.value(part, URIRef(VOID + "triples"))
        for part in g.objects(ds, URIRef(VOID + "propertyPartition"))
    }
    assert by_property[URIRef("http://www.w3.org/ns/oa#hasBody")] == Literal(mentions)
    assert g.value(ds, URIRef(VOID + "uriSpace")) == Literal(kg.settings.base)
    assert (ds, URIRef(VOID + "sparqlEndpoint"), URIRef(urls.sparql)) in g


def test_statistics_follow_a_new_import(kg: KnowledgeGraph) -> None:
    fresh = KnowledgeGraph.memory()
    before = fresh.dataset_statistics()
    fresh.ingest(EXAMPLE, date=dt.date(2021, 9, 8))
    after = fresh.dataset_statistics()
    assert (before.meetings, after.meetings) == (0, 1)
    assert after.counts.triples > before.counts.triples


def test_every_eosc_mandatory_field_is_present(kg: KnowledgeGraph) -> None:
    payload = json.loads(kg.registry_document("eosc", kg.registry_urls()))
    assert set(EOSC_REQUIRED) <= set(payload)
    assert eosc_problems(payload) == []
    assert payload["publicContact"] == ["kg@example.org"]
    assert payload["nodePID"] == "node-sandbox"


def test_eosc_problems_name_the_setting() -> None:
    kg = _kg()
    payload = json.loads(kg.registry_document("eosc", kg.registry_urls()))
    problems = {p.setting for p in eosc_problems(payload)}
    assert problems == {"ESCAPE_KG_CONTACT_EMAIL", "ESCAPE_KG_EOSC_NODE"}


def test_schemaorg_dataset(kg: KnowledgeGraph) -> None:
    doc = json.loads(kg.registry_document("schemaorg", kg.registry_urls()))
    assert doc["@type"] == "Dataset"
    assert doc["temporalCoverage"] == "2021-09-08/2021-09-08"
    assert doc["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert {d["contentUrl"] for d in doc["distribution"]} == {
        "https://kg.example.org/dump.trig",
        "https://kg.example.org/dump.nq",
    }
    assert doc["@context"] == "https://schema.org/"
    assert doc["includedInDataCatalog"]["url"] == "https://kg.example.org/catalog"


def test_signposting_links_of_the_landing_page(kg: KnowledgeGraph) -> None:
    links = signposting_links("landing", kg.registry_urls(), kg.settings)
    rels = {link.split('rel="')[1].split('"')[0] for link in links}
    assert rels == {"cite-as", "describedby", "item", "license", "type"}
    with pytest.raises(ValueError, match="unknown signposting kind"):
        signposting_links("nonsense", kg.registry_urls(), kg.settings)


def test_a_malformed_contact_email_is_refused() -> None:
    with pytest.raises(ConfigError, match="ESCAPE_KG_CONTACT_EMAIL"):
        Settings.load(env={"ESCAPE_KG_CONTACT_EMAIL": "not an address"})


# -- escape-kg register -----------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [*READY, "ESCAPE_KG_STORE", "ESCAPE_KG_LANDING_PAGE"]:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "store"
    result = CliRunner().invoke(
        main, ["import", "--store", str(path), "--date", "2021-09-08", str(EXAMPLE)]
    )
    assert result.exit_code == 0, result.output
    return path


def test_register_check_names_the_settings_to_set(store: Path) -> None:
    result = CliRunner().invoke(main, ["register", "--store", str(store), "--check"])
    assert result.exit_code == 1
    assert "contact email missing: set ESCAPE_KG_CONTACT_EMAIL" in result.output
    assert "ESCAPE_KG_EOSC_NODE" in result.output
    assert "ESCAPE_KG_PUBLIC_URL" in result.output


def test_register_check_passes_once_configured(store: Path) -> None:
    result = CliRunner().invoke(main, ["register", "--store", str(store), "--check"], env=READY)
    assert result.exit_code == 0, result.output
    assert "ready to register" in result.output


def test_register_check_flags_a_local_public_url(store: Path) -> None:
    env = {**READY, "ESCAPE_KG_PUBLIC_URL": "http://localhost:8000/"}
    result = CliRunner().invoke(main, ["register", "--store", str(store), "--check"], env=env)
    assert result.exit_code == 1
    assert "is a local address: set ESCAPE_KG_PUBLIC_URL" in result.output


@pytest.mark.parametrize("fmt", ["dcat-ap", "void", "sd"])
def test_register_prints_turtle(store: Path, fmt: str) -> None:
    result = CliRunner().invoke(
        main,
        ["register", "--store", str(store), "--format", fmt, "--base-url", "https://x.example/"],
    )
    assert result.exit_code == 0, result.output
    graph = Graph().parse(data=result.stdout, format="turtle")
    assert (None, None, URIRef("https://x.example/sparql")) in graph


def test_register_writes_json_to_a_file(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "eosc.json"
    result = CliRunner().invoke(
        main, ["register", "--store", str(store), "--format", "eosc", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["type"] == "DataSource"
