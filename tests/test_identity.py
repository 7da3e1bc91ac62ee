"""One node per real thing across meetings: person keys, candidates, merges, series."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rdflib import Literal, URIRef

from escape_kg.api import KnowledgeGraph
from escape_kg.cli import main
from escape_kg.errors import EscapeKGError
from escape_kg.extract.people import normalise_name, person_ref
from escape_kg.identity import candidates
from escape_kg.rdf.iris import DEFAULT_BASE, series_key
from escape_kg.rdf.namespaces import OWL, PROV, RDF, RDFS, XSD

ROOT = Path(__file__).resolve().parent.parent
IDENTITY = ROOT / "tests" / "data" / "identity"
FILES = sorted(IDENTITY.glob("*.txt"))
P = f"{DEFAULT_BASE}person/"


def key(name: str) -> str:
    return person_ref(normalise_name(name)).key


# -- 1. person keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Jose Garcia", "José García"),
        ("Al-Turany", "Al Turany"),
        ("Mohammed Al-Turany", "Mohammed Al Turany"),
        ("Dr Kay GRAF", "Kay Graf"),
        ("Prof. JULIE chaudan", "Julie Chaudan"),
        ("Zoë  Müller", "Zoe Muller"),
    ],
)
def test_spelling_variants_share_one_person_key(one: str, other: str) -> None:
    assert key(one) == key(other)


def test_initials_and_different_people_keep_their_own_keys() -> None:
    assert key("K. Graf") != key("Kay Graf")
    assert key("Anne Vuillame") != key("Anne Vuillaume")


# -- 2. candidates (pure) ---------------------------------------------------------------


def pairs(*names: str) -> set[tuple[str, str, str]]:
    people = [(P + key(n), n) for n in names]
    return {(c.a_name, c.b_name, c.reason) for c in candidates(people)}


@pytest.mark.parametrize(
    ("one", "other", "reason"),
    [
        ("Mohammed Al-Turany", "Mohammad Al Turany", "first names differ by one letter"),
        ("Anne Vuillame", "Anne Vuillaume", "surnames differ by one letter"),
        ("Anne Vuillaume", "Anne Vuillamue", "surnames differ by one letter"),  # swap
        ("K. Graf", "Kay Graf", "initials match the first name"),
        ("K Graf", "Kay Graf", "initials match the first name"),
        ("Kay Martin Graf", "Kay Graf", "middle name differs"),
        ("Graf Kay", "Kay Graf", "first and last names swapped"),
    ],
)
def test_doubtful_pairs_are_candidates(one: str, other: str, reason: str) -> None:
    [(a, b, why)] = pairs(one, other)
    assert {a, b} == {one, other}
    assert why == reason


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Kay Graf", "Mark Allen"),
        ("Mark Allen", "Paul Allen"),  # same surname, other first name
        ("Ian Bird", "Ian Smith"),  # same first name, other surname
        ("K. Graf", "M. Graf"),  # other initial
        ("J. Graf", "Kay Graf"),
        ("Jan Li", "Jan Lu"),  # too short to call a typo
        ("Kay", "Kai"),  # a first name alone
    ],
)
def test_clearly_different_people_are_no_candidates(one: str, other: str) -> None:
    assert pairs(one, other) == set()


def test_candidates_are_ordered_and_each_pair_once() -> None:
    found = candidates(
        [(P + "k-graf", "K. Graf"), (P + "kay-graf", "Kay Graf"), (P + "graf-kay", "Graf Kay")]
    )
    assert [(c.a, c.b) for c in found] == [
        (P + "graf-kay", P + "kay-graf"),  # swapped: 0.9
        (P + "k-graf", P + "kay-graf"),  # initials: 0.8
    ]
    assert found[0].score > found[1].score


# -- 4. series --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Technical Coordination Meeting",
        "ESCAPE Technical Coordination meeting",
        "Technical coordination meeting #12",
        "Technical Coordination Meeting 2021-10-13",
        "ESCAPE Technical Coordination call - 13 October 2021",
        "Technical Coordination Meeting No. 7 (Sept 2021)",
    ],
)
def test_series_key_ignores_project_numbers_dates_and_meeting(title: str) -> None:
    assert series_key(title) == "technical-coordination"


def test_series_key_keeps_what_tells_series_apart() -> None:
    assert series_key("WP2 fortnightly meeting") == "wp2-fortnightly"
    assert series_key("WP5 monthly call") != series_key("WP2 fortnightly meeting")
    assert series_key("TC meeting 2021-10-13") == "tc"  # acronyms are not expanded
    assert series_key("ESCAPE meeting") == "escape-meeting"  # nothing else left: plain slug


# -- 5. two meetings in the store -------------------------------------------------------


@pytest.fixture
def kg() -> KnowledgeGraph:
    graph = KnowledgeGraph.memory()
    for outcome in graph.ingest_many(FILES):
        assert outcome.status == "imported", (outcome.path, outcome.error, outcome.report)
    return graph


def meetings_of(kg: KnowledgeGraph, iri: str) -> set[str]:
    rows = kg.query(
        "SELECT DISTINCT ?m WHERE { ?m a ekg:Meeting ; schema:subEvent ?i . "
        f"?i schema:performer <{iri}> }}"
    )
    return {str(m) for (m,) in rows.rows()}


def test_one_person_iri_with_both_meetings(kg: KnowledgeGraph) -> None:
    # "Dr Kay GRAF (FAU)" in one meeting, "Kay Graf (ECAP)" in the other.
    graf = kg.query("SELECT DISTINCT ?p WHERE { ?p a schema:Person ; schema:name 'Kay Graf' }")
    assert [str(p) for (p,) in graf.rows()] == [P + "kay-graf"]
    assert len(meetings_of(kg, P + "kay-graf")) == 2
    assert len(meetings_of(kg, P + "jose-garcia")) == 2  # "José García" / "Jose Garcia"


def test_lapp_aliases_are_one_organisation_under_cnrs(kg: KnowledgeGraph) -> None:
    rows = kg.query(
        "SELECT DISTINCT ?s ?o WHERE { ?x a org:Membership ; ekg:statedAs ?s ; "
        "org:organization ?o . FILTER(CONTAINS(?s, 'LAPP')) }"
    )
    stated = {str(s): str(o) for s, o in rows.rows()}
    assert stated == dict.fromkeys(
        ["LAPP", "LAPP IN2P3 / CNRS", "CNRS-LAPP"], f"{DEFAULT_BASE}org/lapp"
    )
    assert kg.query(
        "ASK { ?lapp org:unitOf+ ?cnrs }",
        bindings={
            "lapp": URIRef(f"{DEFAULT_BASE}org/lapp"),
            "cnrs": URIRef(f"{DEFAULT_BASE}org/cnrs"),
        },
    ).boolean


def test_same_external_event_and_series_in_both_meetings(kg: KnowledgeGraph) -> None:
    rows = kg.query(
        "SELECT DISTINCT ?g ?e WHERE { GRAPH ?g { ?x oa:hasBody ?e . ?e a schema:Event } }"
    )
    graphs_of_dac21 = {str(g) for g, e in rows.rows() if str(e) == f"{DEFAULT_BASE}event/dac21"}
    assert len(graphs_of_dac21) == 2
    series = kg.query("SELECT DISTINCT ?s WHERE { ?m a ekg:Meeting ; schema:superEvent ?s }")
    assert [str(s) for (s,) in series.rows()] == [f"{DEFAULT_BASE}series/technical-coordination"]


def test_store_candidates_merge_and_unmerge(kg: KnowledgeGraph) -> None:
    found = {(c.a, c.b) for c in kg.person_candidates()}
    assert found == {
        (P + "k-graf", P + "kay-graf"),
        (P + "anne-vuillame", P + "anne-vuillaume"),
        (P + "mohammad-al-turany", P + "mohammed-al-turany"),
    }
    before = kg.data_version
    merge = kg.merge_people("person/kay-graf", P + "k-graf", who="tester", note="same person")
    assert kg.data_version != before  # caches see the write
    assert (merge.a, merge.b, merge.who, merge.note) == (
        P + "k-graf",
        P + "kay-graf",
        "tester",
        "same person",
    )
    assert kg.merges() == [merge]
    assert (P + "k-graf", P + "kay-graf") not in {(c.a, c.b) for c in kg.person_candidates()}

    identity = kg.minter.identity_graph
    act = URIRef(merge.activity)
    quads = kg.query(
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", bindings={"g": identity}
    )
    triples = set(quads.triples())
    assert (URIRef(P + "k-graf"), OWL.sameAs, URIRef(P + "kay-graf")) in triples
    assert (act, RDF.type, PROV.Activity) in triples
    assert (act, RDFS.comment, Literal("same person", datatype=XSD.string)) in triples
    assert any(s == act and p == PROV.startedAtTime for s, p, _ in triples)
    with pytest.raises(EscapeKGError, match="merged already"):
        kg.merge_people("k-graf", "kay-graf")

    undone = kg.unmerge_people("k-graf", "kay-graf")
    assert undone == merge and kg.merges() == []
    assert not kg.query("ASK { ?a owl:sameAs ?b }", bindings={"a": URIRef(P + "k-graf")}).boolean
    # An unmerged pair was judged by a human: it is not proposed again.
    assert (P + "k-graf", P + "kay-graf") not in {(c.a, c.b) for c in kg.person_candidates()}
    again = kg.merge_people("k-graf", "kay-graf")
    assert kg.merges() == [again] and again.activity != merge.activity


def test_person_activity_follows_merges(kg: KnowledgeGraph) -> None:
    def meetings(person: str) -> set[tuple[str, str]]:
        rows = kg.run_named("person-activity", {"person": person}).rows()
        return {(str(row[2]), str(row[-1])) for row in rows}

    short, full = meetings("person/k-graf"), meetings("person/kay-graf")
    assert short and full and short.isdisjoint(full)
    kg.merge_people("k-graf", "kay-graf")
    # Either name now finds both people's meetings, each row saying which node it is.
    assert meetings("person/k-graf") == meetings("person/kay-graf") == short | full
    kg.unmerge_people("k-graf", "kay-graf")
    assert meetings("person/k-graf") == short


def test_merges_exclude_pairs_joined_through_a_third(kg: KnowledgeGraph) -> None:
    kg.merge_people("mohammed-al-turany", "mohammad-al-turany")
    found = {(c.a, c.b) for c in kg.person_candidates()}
    assert (P + "mohammad-al-turany", P + "mohammed-al-turany") not in found


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ("person/nobody", "kay-graf", "no person 'person/nobody'"),
        ("kay-graf", "person/kay-graf", "one IRI already"),
        ("https://example.org/x", "kay-graf", "no person"),
    ],
)
def test_merge_refuses_unknown_or_identical_people(
    kg: KnowledgeGraph, a: str, b: str, message: str
) -> None:
    with pytest.raises(EscapeKGError, match=message):
        kg.merge_people(a, b)
    assert kg.merges() == []


def test_unmerge_of_a_pair_not_merged_fails(kg: KnowledgeGraph) -> None:
    with pytest.raises(EscapeKGError, match="not merged"):
        kg.unmerge_people("k-graf", "kay-graf")


# -- 3. the command line ----------------------------------------------------------------


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    result = run("import", "--store", str(folder), *map(str, FILES))
    assert result.exit_code == 0, result.output
    return folder


def test_cli_candidates_merge_list_unmerge(store: Path) -> None:
    s = ("people", "--store", str(store))
    listed = run(*s, "--candidates")
    assert listed.exit_code == 0, listed.output
    assert "K. Graf / Kay Graf" in listed.output
    assert "initials match the first name" in listed.output
    assert "Anne Vuillame / Anne Vuillaume" in listed.output

    merged = run(*s, "--merge", "person/k-graf", "person/kay-graf", "--note", "checked")
    assert merged.exit_code == 0, merged.output
    assert f"merged {P}k-graf and {P}kay-graf" in merged.output
    assert "K. Graf / Kay Graf" not in run(*s, "--candidates").output

    merges = run(*s, "--list-merges")
    assert merges.exit_code == 0 and "checked" in merges.output and P + "k-graf" in merges.output

    unmerged = run(*s, "--unmerge", "kay-graf", "k-graf")
    assert unmerged.exit_code == 0, unmerged.output
    assert P + "k-graf" not in run(*s, "--list-merges").output


def test_cli_unknown_person_exits_2_with_a_message(store: Path) -> None:
    result = run("people", "--store", str(store), "--merge", "person/nobody", "kay-graf")
    assert result.exit_code == 2
    assert "no person 'person/nobody'" in result.output


def test_cli_needs_exactly_one_action(store: Path) -> None:
    result = run("people", "--store", str(store), "--candidates", "--list-merges")
    assert result.exit_code == 2
    assert "exactly one of" in result.output
