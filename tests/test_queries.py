"""The query catalogue: headers, safe parameter binding, and answers on the seed minutes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.errors import QueryError
from escape_kg.queries import (
    PARAMETER_TYPES,
    CatalogueQuery,
    Parameter,
    bind,
    load_catalogue,
    parse_catalogue_query,
    run_catalogue_query,
)
from escape_kg.rdf.iris import DEFAULT_BASE
from escape_kg.store.sparqltext import without_lateral

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "escape-tc-minutes.txt"
CATALOGUE = load_catalogue()
NAMES = sorted(CATALOGUE)
ID = DEFAULT_BASE
# Values for the parameters that have no default, so every query can run.
REQUIRED_VALUES: dict[str, dict[str, str]] = {"find-entity": {"text": "rucio"}}

Row = dict[str, str | None]


@pytest.fixture(scope="module")
def seeded() -> KnowledgeGraph:
    """The seed minutes imported once; the catalogue only reads, so tests may share it."""
    kg = KnowledgeGraph.memory()
    outcome = kg.ingest(SEED, date=dt.date(2021, 9, 8))
    assert outcome.status in ("imported", "forced"), outcome.error
    return kg


def run(kg: KnowledgeGraph, name: str, values: Mapping[str, str] | None = None) -> list[Row]:
    result = run_catalogue_query(kg, name, values or REQUIRED_VALUES.get(name, {}))
    names = result.variables
    return [
        {n: None if v is None else str(v) for n, v in zip(names, row, strict=True)}
        for row in result.rows()
    ]


def query(name: str, *params: tuple[str, str, str | None]) -> CatalogueQuery:
    return CatalogueQuery(
        name, "t", "d", tuple(Parameter(n, t, d, "x") for n, t, d in params), "SELECT"
    )


# -- the files ----------------------------------------------------------------------


def test_the_catalogue_has_the_cross_meeting_queries() -> None:
    assert len(CATALOGUE) >= 12
    assert {
        "meetings",
        "person-activity",
        "speakers-by-institute",
        "institute-activity",
        "wp-timeline",
        "wp-term",
        "events-upcoming",
        "event-mentions",
        "deliverables",
        "action-items",
        "co-mentions",
        "mention-context",
        "sources",
    } <= set(CATALOGUE)


@pytest.mark.parametrize("name", NAMES)
def test_every_query_has_a_header_and_typed_parameters(name: str) -> None:
    q = CATALOGUE[name]
    assert q.name == name
    assert q.title and q.description and not q.title.startswith("#")
    for p in q.parameters:
        assert p.type in PARAMETER_TYPES
        assert p.description
        assert f"?{p.name}" in q.text


@pytest.mark.parametrize("name", NAMES)
def test_every_query_runs_with_its_defaults_without_minutes(name: str) -> None:
    kg = KnowledgeGraph.memory()  # holds the ontology and reference graphs only
    result = run_catalogue_query(kg, name, REQUIRED_VALUES.get(name, {}))
    assert result.kind == "select"
    # Each parameter comes back as a column, holding the value it was bound to.
    assert {p.name for p in CATALOGUE[name].parameters} <= set(result.variables)
    for row in result.rows():
        assert len(row) == len(result.variables)


@pytest.mark.parametrize("name", NAMES)
def test_every_query_declares_its_own_prefixes(name: str) -> None:
    """A catalogue query can be pasted into any SPARQL endpoint as it is."""
    q = CATALOGUE[name]
    terms = bind(q, REQUIRED_VALUES.get(name, {}), ID)
    KnowledgeGraph.memory().store.query(q.text, substitutions=terms)  # no predeclared prefixes


@pytest.mark.parametrize("name", NAMES)
def test_defaults_bind_to_typed_terms(name: str) -> None:
    q = CATALOGUE[name]
    terms = bind(q, REQUIRED_VALUES.get(name, {}), ID)
    assert set(terms) == {p.name for p in q.parameters}
    for p in q.parameters:
        term = terms[p.name]
        if p.type == "iri":
            assert isinstance(term, URIRef) and str(term).startswith(("http", "urn:"))
        else:
            assert isinstance(term, Literal)


def test_iri_defaults_follow_the_configured_base() -> None:
    kg = KnowledgeGraph.memory(Settings(base="https://kg.example.org/id/"))
    terms = bind(CATALOGUE["wp-term"], {}, kg.minter.base)
    assert terms["wp"] == URIRef("https://kg.example.org/id/wp/WP2")


# -- header errors ------------------------------------------------------------------

GOOD_BODY = "SELECT ?wp ?x WHERE { ?x <http://schema.org/about> ?wp }\n"


def test_a_header_continuation_extends_the_field() -> None:
    q = parse_catalogue_query(
        "q",
        "# title: T\n# description: first\n#   second\n"
        "# param: wp iri = wp/WP2 -- the work\n#   package\n" + GOOD_BODY,
    )
    assert q.description == "first second"
    assert q.parameters == (Parameter("wp", "iri", "wp/WP2", "the work package"),)


def test_a_quoted_default_may_be_empty() -> None:
    q = parse_catalogue_query(
        "q",
        '# title: T\n# description: D\n# param: wp string = "" -- code\n' + GOOD_BODY,
    )
    assert q.parameters[0].default == ""
    assert not q.parameters[0].required


@pytest.mark.parametrize(
    ("header", "needle"),
    [
        ("# description: D\n", "no 'title'"),
        ("# title: T\n", "no 'description'"),
        ("# title: T\n# description: D\n# param: wp place -- x\n", "unknown type 'place'"),
        ("# title: T\n# description: D\n# param: wp iri\n", "malformed parameter"),
        ("# title: T\n# description: D\n# param: wp date = soon -- x\n", "default of 'wp'"),
        ("# title: T\n# description: D\n# param: x-y iri -- x\n", "not a usable parameter"),
        ("# title: T\n# description: D\n# titel: T\n", "unexpected header line"),
        ("# title: T\n# description: D\n# param: gone iri -- x\n", "?gone is not used"),
        ("# title: T\n# description: D\n# param: x iri -- x\n# param: x iri -- y\n", "twice"),
    ],
)
def test_header_mistakes_are_reported_with_the_file(header: str, needle: str) -> None:
    with pytest.raises(QueryError, match=None) as info:
        parse_catalogue_query("q", header + GOOD_BODY, path="queries/q.rq")
    assert needle in info.value.message
    assert info.value.path == "queries/q.rq"


def test_a_parameter_must_be_projected() -> None:
    text = "# title: T\n# description: D\n# param: wp iri -- x\n" + (
        "SELECT ?x (COUNT(?wp) AS ?n) WHERE { ?x <http://schema.org/about> ?wp } GROUP BY ?x\n"
    )
    with pytest.raises(QueryError, match=r"\?wp is not in the SELECT projection"):
        parse_catalogue_query("q", text)


def test_variables_in_comments_and_strings_do_not_count_as_projected() -> None:
    text = (
        "# title: T\n# description: D\n# param: wp iri -- x\n"
        'SELECT ?x # ?wp\n("?wp" AS ?s) WHERE { ?x <http://schema.org/about> ?wp }\n'
    )
    with pytest.raises(QueryError, match="projection"):
        parse_catalogue_query("q", text)


def test_load_catalogue_reads_a_folder(tmp_path: Path) -> None:
    (tmp_path / "one.rq").write_text("# title: T\n# description: D\n" + GOOD_BODY, "utf-8")
    (tmp_path / "notes.txt").write_text("not a query", "utf-8")
    assert list(load_catalogue(tmp_path)) == ["one"]


# -- binding values -----------------------------------------------------------------


def test_values_are_converted_to_typed_terms() -> None:
    q = query(
        "q",
        ("d", "date", None),
        ("t", "datetime", None),
        ("n", "integer", None),
        ("b", "boolean", None),
        ("s", "string", None),
        ("i", "iri", None),
    )
    terms = bind(
        q,
        {
            "d": "2021-09-08",
            "t": "2021-09-08T10:00",
            "n": " 42 ",
            "b": "TRUE",
            "s": " a b ",
            "i": "ekg:Meeting",
        },
        ID,
    )
    assert terms["d"] == Literal("2021-09-08", datatype=XSD.date)
    assert terms["t"] == Literal("2021-09-08T10:00:00", datatype=XSD.dateTime)
    assert terms["n"] == Literal("42", datatype=XSD.integer)
    assert terms["b"] == Literal("true", datatype=XSD.boolean)
    assert terms["s"] == Literal(" a b ")
    assert terms["i"] == URIRef("https://w3id.org/escape-kg/ontology#Meeting")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("wp/WP2", ID + "wp/WP2"),
        ("https://ror.org/01ggx4157", "https://ror.org/01ggx4157"),
        ("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", None),
        ("http://example.org/a#b", None),
    ],
)
def test_iris_may_be_absolute_relative_or_urns(value: str, expected: str | None) -> None:
    terms = bind(query("q", ("i", "iri", None)), {"i": value}, ID)
    assert terms["i"] == URIRef(expected or value)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("date", "8 Sep 2021"),
        ("date", "2021-02-30"),
        ("date", "20210908"),
        ("datetime", "2021-09-08"),
        ("integer", "12.5"),
        ("integer", "ten"),
        ("boolean", "maybe"),
        ("iri", "http://x> } . ?s ?p ?o . { <http://y"),
        ("iri", "javascript:alert(1)"),
        ("iri", "file:///etc/passwd"),
        ("iri", "https:///nohost"),
        ("iri", "/absolute/path"),
        ("iri", "has space"),
    ],
)
def test_malformed_values_name_the_parameter_and_its_type(kind: str, value: str) -> None:
    with pytest.raises(QueryError) as info:
        bind(query("q", ("after", kind, None)), {"after": value}, ID)
    assert f"'after' ({kind})" in info.value.message
    assert info.value.hint is not None and PARAMETER_TYPES[kind] in info.value.hint


def test_a_missing_required_value_is_an_error() -> None:
    with pytest.raises(QueryError, match="'text' \\(string\\) of 'find-entity' is required"):
        bind(CATALOGUE["find-entity"], {}, ID)
    with pytest.raises(QueryError, match="required"):
        bind(CATALOGUE["find-entity"], {"text": "  "}, ID)


def test_an_unknown_parameter_lists_the_known_ones() -> None:
    with pytest.raises(QueryError) as info:
        bind(CATALOGUE["wp-term"], {"workpackage": "WP2"}, ID)
    assert "'workpackage'" in info.value.message
    assert info.value.hint == "its parameters are: wp, term"


def test_an_overlong_value_is_refused() -> None:
    with pytest.raises(QueryError, match="too long"):
        bind(query("q", ("s", "string", None)), {"s": "x" * 5000}, ID)


def test_an_unknown_query_lists_the_known_ones() -> None:
    with pytest.raises(QueryError) as info:
        run_catalogue_query(KnowledgeGraph.memory(), "nope", {})
    assert info.value.hint is not None and "wp-term" in info.value.hint


# -- injection ----------------------------------------------------------------------


def test_a_string_value_is_bound_as_a_literal_not_as_query_text(seeded: KnowledgeGraph) -> None:
    attack = 'x" } UNION { ?s ?p ?o } #'
    q = CATALOGUE["find-entity"]
    assert bind(q, {"text": attack}, ID) == {"text": Literal(attack)}
    assert run(seeded, "find-entity", {"text": attack}) == []
    # The same pattern in the term of wp-term: the WP2 report has no such text.
    assert run(seeded, "wp-term", {"term": attack}) == []
    assert run(seeded, "wp-term", {"term": "' } UNION { ?s ?p ?o } #"}) == []


def test_an_iri_value_cannot_break_out_of_the_term(seeded: KnowledgeGraph) -> None:
    with pytest.raises(QueryError, match="'person' \\(iri\\)"):
        run(seeded, "person-activity", {"person": "http://x> } . ?s ?p ?o . { <http://y"})
    # A well-formed IRI that names nothing simply finds nothing.
    assert run(seeded, "person-activity", {"person": "http://x/"}) == []


# -- answers on the seed minutes -------------------------------------------------------


def rows_where(rows: list[Row], **match: str) -> Iterator[Row]:
    return (r for r in rows if all(r.get(k) == v for k, v in match.items()))


def test_meetings_lists_the_seed_meeting(seeded: KnowledgeGraph) -> None:
    (row,) = run(seeded, "meetings")
    assert row["title"] == "Technical Coordination Meeting"
    assert row["date"] == "2021-09-08"
    assert row["source"] == "escape-tc-minutes.txt"
    assert row["items"] == "18"
    assert "Xavier Espinal" in (row["speakerNames"] or "")
    assert run(seeded, "meetings", {"after": "2021-09-09"}) == []


def test_wp_term_finds_the_wp2_report_on_dac21(seeded: KnowledgeGraph) -> None:
    rows = run(seeded, "wp-term", {"wp": "wp/WP2", "term": "dac21"})
    assert {r["itemTitle"] for r in rows} == {"WP2"}
    notes = next(rows_where(rows, match="notes"))
    assert "[DAC21] activities moving forward" in (notes["text"] or "")
    assert notes["date"] == "2021-09-08"
    # An alias of the DAC21 event finds its mention, though the notes never spell it out.
    by_alias = run(seeded, "wp-term", {"term": "ESCAPE Data Lake data challenge 2021"})
    assert [r["match"] for r in by_alias] == ["entity"]
    assert run(seeded, "wp-term", {"wp": "wp/WP6", "term": "DAC21"}) == []


def test_speakers_by_institute_keeps_the_affiliation_as_written(seeded: KnowledgeGraph) -> None:
    rows = run(seeded, "speakers-by-institute")
    (julie,) = rows_where(rows, speaker=ID + "person/julie-chaudan")
    assert (julie["speakerName"] or "").lower() == "julie chaudan"
    assert julie["statedAs"] == "LAPP IN2P3 / CNRS"
    assert julie["institute"] == ID + "org/lapp"
    assert julie["meetings"] == "1"


def test_events_upcoming_lists_chep_and_adass(seeded: KnowledgeGraph) -> None:
    rows = run(seeded, "events-upcoming", {"after": "2021-09-08"})
    starts = {r["event"]: r["startDate"] for r in rows}
    assert starts[ID + "event/chep-2022"] == "2022-05-16"
    adass = [e for e in starts if (e or "").startswith(ID + "event/adass-")]
    assert [starts[e] for e in adass] == ["2021-10-24"]
    assert all((r["startDate"] or "") >= "2021-09-08" for r in rows)
    assert [r["startDate"] for r in rows] == sorted(r["startDate"] or "" for r in rows)
    later = run(seeded, "events-upcoming", {"after": "2022-01-01"})
    assert [r["event"] for r in later] == [ID + "event/chep-2022"]


def test_event_mentions_of_a_series_include_its_editions(seeded: KnowledgeGraph) -> None:
    rows = run(seeded, "event-mentions", {"event": "series/chep"})
    assert {r["mentioned"] for r in rows} == {ID + "series/chep", ID + "event/chep-2022"}
    assert any("[CHEP 2022]" in (r["text"] or "") for r in rows)


def test_person_activity_has_talks_and_mentions(seeded: KnowledgeGraph) -> None:
    rows = run(seeded, "person-activity", {"person": "person/john-swinbank"})
    spoke = next(rows_where(rows, role="spoke"))
    assert spoke["itemTitle"] == "WP5"
    assert "D5.3" in (spoke["text"] or "")
    assert any(r["role"] == "mentioned" for r in rows)


def test_institute_activity_includes_the_units(seeded: KnowledgeGraph) -> None:
    (row,) = run(seeded, "institute-activity", {"organisation": "org/cnrs"})
    speakers = row["speakers"] or ""
    assert "Julie Chaudan (LAPP IN2P3 / CNRS)" in speakers or "Julie CHAUDAN" in speakers
    assert "Mark Allen (CDS/CNRS)" in speakers


def test_deliverables_report_the_delivery_from_the_minutes(seeded: KnowledgeGraph) -> None:
    rows = run(seeded, "deliverables", {"workpackage": "wp5"})
    assert {r["wp"] for r in rows} == {"WP5"}
    (d53,) = rows_where(rows, identifier="D5.3")
    assert d53["status"] == "delivered"
    assert d53["deliveryDate"] == "2021-08-27"
    (d51,) = rows_where(rows, identifier="D5.1")
    assert d51["status"] == "listed"


def test_mention_context_cuts_the_minutes_around_the_mention(seeded: KnowledgeGraph) -> None:
    rows = run(seeded, "mention-context", {"entity": "event/dac21", "window": "10"})
    assert len(rows) == 5
    for r in rows:
        context = r["context"] or ""
        assert "[DAC21]" in context
        assert len(context) <= 10 + len("[DAC21]") + 10
    wide = run(seeded, "mention-context", {"entity": "event/dac21", "window": "100000"})
    assert max(len(r["context"] or "") for r in wide) <= 2000 + len("[DAC21]") + 2000


def test_co_mentions_count_shared_items(seeded: KnowledgeGraph) -> None:
    rows = run(seeded, "co-mentions", {"entity": "event/dac21"})
    rucio = next(rows_where(rows, other=ID + "service/rucio"))
    assert int(rucio["items"] or 0) >= 2
    assert ID + "event/dac21" not in {r["other"] for r in rows}


def test_sources_show_provenance_without_secrets(seeded: KnowledgeGraph) -> None:
    (row,) = run(seeded, "sources")
    assert row["source"] == "escape-tc-minutes.txt"
    assert len(row["sha256"] or "") == 64
    assert "passcode 2" in (row["redactions"] or "")
    assert int(row["redacted"] or 0) > 0


def test_action_items_find_action_lines(seeded: KnowledgeGraph, tmp_path: Path) -> None:
    # The seed minutes hold no action line; import a copy with one added to the WP2 notes.
    assert run(seeded, "action-items") == []
    anchor = "EOSC Future fellow hiring completed"
    text = SEED.read_text(encoding="utf-8")
    assert text.count(anchor) == 1
    copy = tmp_path / "tc-with-action.txt"
    copy.write_text(
        text.replace(anchor, "ACTION: Xavier to send the FENIX plan\n        • " + anchor),
        encoding="utf-8",
    )
    kg = KnowledgeGraph.memory()
    outcome = kg.ingest(copy, date=dt.date(2022, 1, 12))
    assert outcome.status in ("imported", "forced"), outcome.error
    (row,) = run(kg, "action-items")
    assert row["action"] == "ACTION: Xavier to send the FENIX plan"
    assert row["itemTitle"] == "WP2"
    assert row["date"] == "2022-01-12"
    assert "ACTION: Xavier" in (row["notes"] or "")
    assert run(kg, "action-items", {"before": "2022-01-11"}) == []


def test_find_entity_gives_the_iris_other_queries_take(seeded: KnowledgeGraph) -> None:
    rows = run(seeded, "find-entity", {"text": "RUCIO"})
    top = rows[0]
    assert top["entity"] == ID + "service/rucio"
    assert int(top["mentions"] or 0) >= 1


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("bird", "person/ian-bird"),  # a word of a name, any case
        ("Ian Bi", "person/ian-bird"),  # a whole word, then the start of the next
        ("ian bird", "person/ian-bird"),  # the whole name
        ("data lake", "service/data-lake"),  # words inside a longer name
        ("DAC21", "event/dac21"),  # a whole key
    ],
)
def test_find_entity_finds_a_name_from_a_whole_word_of_it(
    seeded: KnowledgeGraph, text: str, entity: str
) -> None:
    found = {row["entity"] for row in run(seeded, "find-entity", {"text": text})}
    assert ID + entity in found


def test_find_entity_needs_a_whole_word(seeded: KnowledgeGraph) -> None:
    # The candidates come from an index of whole words, not from reading every label.
    assert run(seeded, "find-entity", {"text": "ird"}) == []
    labels = [row["matches"] or "" for row in run(seeded, "find-entity", {"text": "lake"})]
    assert labels and all("lake" in label.lower() for label in labels)


def test_without_lateral_keeps_the_rows_an_optional_lateral_keeps() -> None:
    text = (
        "# sparql11: portable\n"
        "SELECT * WHERE { ?a ?b ?c LATERAL { GRAPH ?g { ?a ?p ?o } } "
        "LATERAL { OPTIONAL { GRAPH ?g { ?a <x:y> ?z } } } "
        "LATERAL { OPTIONAL { ?a ?q ?r } ?r ?s ?t } }"
    )
    plain = without_lateral(text)
    assert "LATERAL" not in plain
    # A lone OPTIONAL becomes a left join of the rows so far, not a joined group.
    assert " ".join(plain.split()) == (
        "# sparql11: portable SELECT * WHERE { ?a ?b ?c { GRAPH ?g { ?a ?p ?o } } "
        "OPTIONAL { GRAPH ?g { ?a <x:y> ?z } } { OPTIONAL { ?a ?q ?r } ?r ?s ?t } }"
    )
    assert without_lateral(text.replace("sparql11: portable", "")) == text.replace(
        "sparql11: portable", ""
    )


# -- several meetings: rows stay with their own meeting -------------------------------

SECOND = "2021-09-15"


@pytest.fixture(scope="module")
def twice() -> KnowledgeGraph:
    """The seed minutes imported as two meetings a week apart: same text, two graphs."""
    kg = KnowledgeGraph.memory()
    for day in (dt.date(2021, 9, 8), dt.date.fromisoformat(SECOND)):
        outcome = kg.ingest(SEED, date=day)
        assert outcome.status in ("imported", "forced"), outcome.error
    assert len(run(kg, "meetings")) == 2
    return kg


def moved(rows: list[Row]) -> list[Row]:
    """``rows`` as the second copy of the seed meeting gives them (its date is in its IRIs)."""
    return [
        {k: None if v is None else v.replace("2021-09-08", SECOND) for k, v in r.items()}
        for r in rows
    ]


def key(row: Row) -> tuple[str, ...]:
    return tuple(f"{k}={v}" for k, v in sorted(row.items()))


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("event-mentions", {"event": "series/chep"}),
        ("mention-context", {"entity": "event/dac21", "window": "20"}),
        ("person-activity", {"person": "person/john-swinbank"}),
        ("wp-term", {"wp": "wp/WP2", "term": "DAC21"}),
        ("wp-term", {"term": "ESCAPE Data Lake data challenge 2021"}),
        ("wp-timeline", {"wp": "wp/WP5"}),
        ("institute-activity", {"organisation": "org/cnrs"}),
        ("sources", {}),
    ],
)
def test_a_second_meeting_adds_its_own_rows_and_mixes_nothing(
    seeded: KnowledgeGraph, twice: KnowledgeGraph, name: str, values: dict[str, str]
) -> None:
    """The queries look rows up meeting by meeting: a second copy of the minutes must give
    the first meeting's rows again, under the second meeting, and nothing paired across."""
    one = run(seeded, name, values)
    assert one, f"{name} finds nothing on the seed minutes"
    both = run(twice, name, values)
    ignored = {"importedAt"}  # the one value two imports never share
    strip = [{k: v for k, v in r.items() if k not in ignored} for r in both]
    expected = [{k: v for k, v in r.items() if k not in ignored} for r in one + moved(one)]
    assert sorted(map(key, strip)) == sorted(map(key, expected))


def test_agenda_and_counts_stay_per_meeting(seeded: KnowledgeGraph, twice: KnowledgeGraph) -> None:
    for day in ("2021-09-08", SECOND):
        agenda = run(
            twice, "meeting-agenda", {"meeting": f"meeting/{day}-technical-coordination-meeting"}
        )
        assert len(agenda) == 18
        assert all((r["item"] or "").startswith(f"{ID}meeting/{day}-") for r in agenda)
    rucio = next(
        rows_where(run(twice, "co-mentions", {"entity": "event/dac21"}), other=ID + "service/rucio")
    )
    assert rucio["meetings"] == "2"
    assert (rucio["first"], rucio["last"]) == ("2021-09-08", SECOND)
    deliverables = run(twice, "deliverables", {"workpackage": "WP5"})
    (d53,) = rows_where(deliverables, identifier="D5.3")
    assert d53["mentions"] is not None and int(d53["mentions"]) % 2 == 0
    assert d53["lastMentioned"] == SECOND
    rucio_twice = run(twice, "find-entity", {"text": "rucio"})
    rucio_once = run(seeded, "find-entity", {"text": "rucio"})
    (found,) = rows_where(rucio_twice, entity=ID + "service/rucio")
    (single,) = rows_where(rucio_once, entity=ID + "service/rucio")
    assert int(found["mentions"] or 0) == 2 * int(single["mentions"] or 0) > 0


# -- decisions: the summary and the fallback for graphs without it ----------------------

ACTIONS = ROOT / "tests" / "data" / "actions"
_OLD_SUMMARIES = """
PREFIX ekg: <https://w3id.org/escape-kg/ontology#>
DELETE WHERE { GRAPH ?g { ?d ekg:textMentions ?e } } ;
DELETE WHERE { GRAPH ?g { ?g ekg:summaryVersion ?v } }
"""


@pytest.mark.parametrize("summed_up", [True, False], ids=["summaries-2", "older-graphs"])
def test_decisions_find_a_term_in_a_mentioned_entitys_labels(summed_up: bool) -> None:
    kg = KnowledgeGraph.memory()
    for path in sorted(ACTIONS.glob("2021-10-*-wp2.txt")):
        assert kg.ingest(path).status == "imported"
    summary = "ASK { GRAPH ?g { ?d <https://w3id.org/escape-kg/ontology#textMentions> ?e } }"
    assert kg.store.query(summary).boolean
    if not summed_up:
        # What a store imported before ekg:textMentions holds: the query reads the offsets.
        kg.store.update(_OLD_SUMMARIES)
        assert not kg.store.query(summary).boolean
    texts = {
        term: sorted(str(r["text"]) for r in run(kg, "decisions", {"term": term}))
        for term in ("file transfer", "FTS", "telescope", "")
    }
    fts = "the DAC21 data challenge keeps the FTS-only transfer mode"
    assert texts["file transfer"] == [fts]  # only an alias of FTS, mentioned in the text
    assert texts["FTS"] == [fts]
    assert texts["telescope"] == []
    assert len(texts[""]) == 2
