"""The ESCAPE reference vocabulary: its facts, its IRIs under any base, and its Lexicon."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from rdflib import Graph, Literal, URIRef

from escape_kg.errors import ConfigError
from escape_kg.model import EntityRef, Kind, Lexicon
from escape_kg.rdf.iris import DEFAULT_BASE, Minter
from escape_kg.rdf.namespaces import EKG, ORG, RDF, RDFS, SCHEMA
from escape_kg.rdf.reference import load_lexicon, reference_graph
from escape_kg.resources import reference_file

CUSTOM = "https://kg.example.org/id/"
# IRIs of other vocabularies and link targets the file may point to; any other IRI
# must be one of our entities under the base.
EXTERNAL = (
    "http://schema.org/",
    "http://www.w3.org/",
    "http://purl.org/dc/terms/",
    "https://w3id.org/escape-kg/ontology#",
    "https://ror.org/",
    "https://cordis.europa.eu/",
)
# schema:url values point at the services' own web sites.
LINK_PREDICATES = {SCHEMA.url}


@pytest.fixture(scope="module")
def custom() -> Graph:
    return reference_graph(CUSTOM)


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


def org(key: str, base: str = DEFAULT_BASE) -> URIRef:
    return Minter(base).entity(EntityRef(Kind.ORGANISATION, key))


def test_file_has_no_base_and_no_absolute_instance_iris() -> None:
    text = reference_file().read_text(encoding="utf-8")
    assert re.search(r"^\s*(@base|BASE)\b", text, re.MULTILINE | re.IGNORECASE) is None
    assert DEFAULT_BASE not in text


def test_every_iri_resolves_under_a_custom_base(custom: Graph) -> None:
    minter = Minter(CUSTOM)
    subjects = set(custom.subjects())
    stray: list[str] = []
    dangling: list[str] = []
    for s, p, o in custom:
        assert isinstance(s, URIRef) and minter.ref_of(str(s)) is not None, s
        if not isinstance(o, URIRef) or p in LINK_PREDICATES or str(o).startswith(EXTERNAL):
            continue
        if minter.ref_of(str(o)) is None:
            stray.append(str(o))
        elif o not in subjects:
            dangling.append(str(o))
    assert stray == []
    assert dangling == []


def test_same_entities_under_every_base(custom: Graph) -> None:
    default_refs = {e.ref for e in load_lexicon().entries}
    custom_refs = {e.ref for e in load_lexicon(CUSTOM).entries}
    assert default_refs == custom_refs
    assert org("cern", CUSTOM) in set(custom.subjects())


def test_everything_has_a_name_and_a_label(custom: Graph) -> None:
    for subject in set(custom.subjects()):
        assert isinstance(custom.value(subject, SCHEMA.name), Literal), subject
        assert isinstance(custom.value(subject, RDFS.label), Literal), subject
        assert custom.value(subject, RDF.type) is not None, subject


def test_work_packages_and_acronyms(custom: Graph) -> None:
    minter = Minter(CUSTOM)
    acronyms = {}
    for wp in custom.subjects(RDF.type, EKG.WorkPackage):
        assert isinstance(wp, URIRef)
        ref = minter.ref_of(str(wp))
        assert ref is not None and ref.kind is Kind.WORK_PACKAGE
        assert str(custom.value(wp, SCHEMA.identifier)) == ref.key
        assert custom.value(wp, SCHEMA.isPartOf) == URIRef(f"{CUSTOM}project/escape")
        acronyms[ref.key] = str(custom.value(wp, EKG.acronym))
    assert acronyms == {
        "WP1": "MIND",
        "WP2": "DIOS",
        "WP3": "OSSR",
        "WP4": "CEVO",
        "WP5": "ESAP",
        "WP6": "ECO",
    }


def test_ror_ids_only_where_known(custom: Graph) -> None:
    ror = {
        str(s): str(o)
        for s, o in custom.subject_objects(SCHEMA.sameAs)
        if str(o).startswith("https://ror.org/")
    }
    assert ror == {
        str(org("cnrs", CUSTOM)): "https://ror.org/02feahw73",
        str(org("cern", CUSTOM)): "https://ror.org/01ggx4157",
        str(org("infn", CUSTOM)): "https://ror.org/005ta0471",
    }


def test_lapp_is_a_unit_of_in2p3_which_is_a_unit_of_cnrs(custom: Graph) -> None:
    assert custom.value(org("lapp", CUSTOM), ORG.unitOf) == org("in2p3", CUSTOM)
    assert custom.value(org("in2p3", CUSTOM), ORG.unitOf) == org("cnrs", CUSTOM)
    assert custom.value(org("cds", CUSTOM), ORG.unitOf) == org("cnrs", CUSTOM)
    assert custom.value(org("ecap", CUSTOM), ORG.unitOf) == org("fau", CUSTOM)


def test_research_infrastructures_are_organisations(custom: Graph) -> None:
    ris = set(custom.subjects(RDF.type, EKG.ResearchInfrastructure))
    for key in ("ctao", "skao", "km3net", "jiv-eric", "ego", "hl-lhc", "fair", "est", "elt"):
        assert org(key, CUSTOM) in ris, key
    assert all((ri, RDF.type, ORG.Organization) in custom for ri in ris)


def test_project_facts(custom: Graph) -> None:
    escape = URIRef(f"{CUSTOM}project/escape")
    assert (escape, RDF.type, SCHEMA.ResearchProject) in custom
    assert str(custom.value(escape, SCHEMA.identifier)) == "824064"
    assert custom.value(escape, EKG.coordinator) == org("cnrs", CUSTOM)
    assert URIRef("https://cordis.europa.eu/project/id/824064") in set(
        custom.objects(escape, SCHEMA.sameAs)
    )


def test_lexicon_resolves_the_names_minutes_use(lexicon: Lexicon) -> None:
    index: dict[str, set[EntityRef]] = defaultdict(set)
    for entry in lexicon.entries:
        for text in (entry.name, *entry.aliases):
            index[text.casefold()].add(entry.ref)
    expected = {
        "CTAO gGmbH": EntityRef(Kind.ORGANISATION, "ctao"),
        "CTA": EntityRef(Kind.ORGANISATION, "ctao"),
        "Square Kilometre Array Organisation": EntityRef(Kind.ORGANISATION, "skao"),
        "Jive": EntityRef(Kind.ORGANISATION, "jiv-eric"),
        "Joint Institute for VLBI ERIC": EntityRef(Kind.ORGANISATION, "jiv-eric"),
        "The Open University": EntityRef(Kind.ORGANISATION, "ou"),
        "University of Erlangen": EntityRef(Kind.ORGANISATION, "fau"),
        "ECAP": EntityRef(Kind.ORGANISATION, "ecap"),
        "KM3Net": EntityRef(Kind.ORGANISATION, "km3net"),
        "CNRS-LAPP": EntityRef(Kind.ORGANISATION, "lapp"),
        "EOSC Association": EntityRef(Kind.ORGANISATION, "eosc-association"),
        "CSCS": EntityRef(Kind.ORGANISATION, "cscs"),
        "EOSC-Future": EntityRef(Kind.PROJECT, "eosc-future"),
        "RUCIO": EntityRef(Kind.SERVICE, "rucio"),
        "binderhub": EntityRef(Kind.SERVICE, "binderhub"),
        "ESCAPE IAM": EntityRef(Kind.SERVICE, "escape-iam"),
        "IVOA meeting": EntityRef(Kind.EVENT_SERIES, "ivoa-interop"),
        "GA": EntityRef(Kind.EVENT_SERIES, "escape-general-assembly"),
        "DAC21": EntityRef(Kind.EVENT, "dac21"),
        "CHEP 2022": EntityRef(Kind.EVENT, "chep-2022"),
        "D5.3": EntityRef(Kind.DELIVERABLE, "D5.3"),
        "DIOS": EntityRef(Kind.WORK_PACKAGE, "WP2"),
    }
    for text, ref in expected.items():
        assert ref in index[text.casefold()], text


def test_lexicon_entry_fields(lexicon: Lexicon) -> None:
    lapp = lexicon.get(EntityRef(Kind.ORGANISATION, "lapp"))
    assert lapp is not None and lapp.parent == EntityRef(Kind.ORGANISATION, "in2p3")
    wp2 = lexicon.get(EntityRef(Kind.WORK_PACKAGE, "WP2"))
    assert wp2 is not None and wp2.identifier == "WP2"
    assert wp2.name == "Data Infrastructure for Open Science"
    dac = lexicon.get(EntityRef(Kind.EVENT, "dac21"))
    assert dac is not None and dac.series == EntityRef(Kind.EVENT_SERIES, "dac")
    assert (str(dac.start), str(dac.end)) == ("2021-11-22", "2021-11-26")
    chep = lexicon.get(EntityRef(Kind.EVENT, "chep-2022"))
    assert chep is not None and (str(chep.start), str(chep.end)) == ("2022-05-16", "2022-05-20")
    ms31 = lexicon.get(EntityRef(Kind.DELIVERABLE, "MS31"))
    assert ms31 is not None and ms31.identifier == "MS31"


def test_events_end_on_or_after_their_start(lexicon: Lexicon) -> None:
    events = lexicon.of_kind(Kind.EVENT)
    assert len(events) >= 28
    for event in events:
        assert event.series is None or lexicon.get(event.series) is not None, event.ref
        if event.start and event.end:
            assert event.end >= event.start, event.ref


def test_entries_have_distinct_refs_and_unambiguous_names_within_a_kind(lexicon: Lexicon) -> None:
    refs = [e.ref for e in lexicon.entries]
    assert len(refs) == len(set(refs))
    owners: dict[tuple[Kind, str], set[str]] = defaultdict(set)
    for entry in lexicon.entries:
        assert entry.name not in entry.aliases
        for text in (entry.name, *entry.aliases):
            owners[(entry.ref.kind, text.casefold())].add(entry.ref.key)
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


def test_lexicon_order_is_kind_then_natural_key(lexicon: Lexicon) -> None:
    keys = [e.ref.key for e in lexicon.of_kind(Kind.DELIVERABLE)]
    assert keys.index("MS7") < keys.index("MS20") < keys.index("MS37")
    kinds = [e.ref.kind for e in lexicon.entries]
    assert kinds == sorted(kinds, key=list(Kind).index)


def test_reference_graph_is_a_private_copy() -> None:
    first = reference_graph()
    first.remove((None, None, None))
    assert len(reference_graph()) > 1000


def test_bad_base_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        reference_graph("kg.example.org/id/")
    with pytest.raises(ConfigError):
        load_lexicon("file:///tmp/id/")
