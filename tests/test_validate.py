"""Validation reports: conformance, severities, and findings that point back to source lines."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest
from _meeting_factory import TEXT, items, meeting
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH

from escape_kg.model import Meeting, Person
from escape_kg.rdf.iris import Minter
from escape_kg.rdf.mapping import ImportInfo, meeting_graph
from escape_kg.rdf.namespaces import SCHEMA
from escape_kg.validate import ValidationReport, validate_graph

MINTER = Minter("https://kg.example.org/id/")
MKEY = "2021-09-08-technical-coordination-meeting"
INFO = ImportInfo(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "0.1.0")


def graph_of(m: Meeting) -> Graph:
    return meeting_graph(m, MINTER, INFO)


def item_iri(number: str) -> str:
    return str(MINTER.item(MKEY, number))


def with_intro(*, end: dt.datetime | None = None, duration: dt.timedelta | None = None) -> Meeting:
    """The meeting with its first item's end and duration replaced."""
    intro, rest = items()[0], items()[1:]
    intro = replace(intro, end=end or intro.end, duration=duration)
    m = meeting()
    return replace(m, minutes=replace(m.minutes, items=(intro, *rest)))


def test_hand_built_meeting_conforms() -> None:
    report = validate_graph(graph_of(meeting()))
    assert report.conforms
    assert report.results == ()
    # without a source_path the report names the file the graph records
    assert report.source_path == "tc.txt"


def test_item_ending_before_it_starts_points_to_its_line() -> None:
    m = with_intro(end=dt.datetime(2021, 9, 8, 9, 50), duration=None)
    report = validate_graph(graph_of(m), source_path="escape-tc-minutes.txt")
    assert not report.conforms
    hits = [r for r in report.violations if r.constraint == str(SH.LessThanConstraintComponent)]
    assert len(hits) == 1
    hit = hits[0]
    assert hit.focus_node == item_iri("1")
    assert hit.path == str(SCHEMA.startDate)
    assert hit.line == 3
    text = report.format_text()
    assert "escape-tc-minutes.txt:3: " in text
    assert "https://www.w3.org/TR/shacl/#LessThanConstraintComponent" in text


def test_sparql_finding_points_to_the_offending_item() -> None:
    report = validate_graph(graph_of(with_intro(duration=dt.timedelta(minutes=25))))
    hits = [r for r in report.violations if r.constraint == str(SH.SPARQLConstraintComponent)]
    assert [(h.focus_node, h.value, h.line) for h in hits] == [
        (str(MINTER.meeting(MKEY)), item_iri("1"), 3)
    ]


def test_warning_does_not_break_conformance() -> None:
    m = meeting()
    people = tuple(Person(p.ref, "Ian") if p.name == "Ian Bird" else p for p in m.people)
    report = validate_graph(graph_of(replace(m, people=people)))
    assert report.conforms
    assert report.violations == ()
    (warning,) = report.warnings
    assert warning.focus_node == str(MINTER.entity(people[0].ref))
    assert warning.constraint == str(SH.PatternConstraintComponent)
    # a person has no line of its own: the line of its first mention
    assert warning.line == 5
    assert "tc.txt:5: warning: " in report.format_text()


def test_secret_is_reported_on_its_line_without_repeating_it() -> None:
    leaked = TEXT.replace("Meeting ID: [redacted]", "Meeting ID: 123 4567 8901")
    m = meeting(text=leaked)
    report = validate_graph(graph_of(m))
    hits = [r for r in report.violations if r.path == str(SCHEMA.text)]
    assert [(h.focus_node, h.constraint, h.line) for h in hits] == [
        (str(MINTER.minutes(MKEY)), str(SH.PatternConstraintComponent), 2)
    ]
    assert hits[0].value is None
    dumped = report.format_text() + json.dumps(report.to_dict())
    assert "4567" not in dumped


def test_report_to_dict_is_json() -> None:
    m = with_intro(end=dt.datetime(2021, 9, 8, 9, 50), duration=None)
    data = validate_graph(graph_of(m), source_path="x.txt").to_dict()
    decoded = json.loads(json.dumps(data))
    assert decoded["conforms"] is False
    assert decoded["violations"] == len(decoded["results"]) >= 1
    first = decoded["results"][0]
    assert {"focus_node", "constraint", "severity", "line", "message", "spec"} <= set(first)


def test_mention_quote_mismatch_is_found() -> None:
    m = meeting()
    wrong = replace(m.mentions[0], exact="Ivan Bird")
    report = validate_graph(graph_of(replace(m, mentions=(wrong, *m.mentions[1:]))))
    s = wrong.span
    mention = str(MINTER.mention(MKEY, s.start, s.end))
    hits = [r for r in report.violations if r.value == mention]
    assert [(h.constraint, h.line) for h in hits] == [(str(SH.SPARQLConstraintComponent), 5)]


def test_results_are_sorted_by_line() -> None:
    g = graph_of(meeting())
    g.add((URIRef(item_iri("2.1")), SCHEMA.name, Literal("second title")))
    g.add((URIRef(item_iri("1")), SCHEMA.name, Literal("second title")))
    lines = [r.line for r in validate_graph(g).results]
    assert lines == [3, 9]


def _keys(report: object) -> set[tuple[str, str | None, str | None, str, str | None, int | None]]:
    assert isinstance(report, ValidationReport)
    return {(r.focus_node, r.path, r.value, r.constraint, r.shape, r.line) for r in report.results}


SPARQL_FIXTURES = sorted(
    p
    for p in (Path(__file__).parent / "data" / "shapes").glob("*.ttl")
    if p.name.startswith(("AgendaTimesShape.", "MentionTextShape."))
)


@pytest.mark.parametrize("path", SPARQL_FIXTURES, ids=lambda p: p.stem)
def test_python_twins_agree_with_sparql_on_fixtures(path: Path) -> None:
    data = Graph().parse(path, format="turtle")
    assert _keys(validate_graph(data)) == _keys(validate_graph(data, sparql=True))


@pytest.mark.parametrize(
    "m",
    [
        meeting(),
        with_intro(duration=dt.timedelta(minutes=25)),
        replace(
            meeting(),
            mentions=(replace(meeting().mentions[0], exact="Ivan"), *meeting().mentions[1:]),
        ),
    ],
    ids=["conforming", "duration", "quote"],
)
def test_python_twins_agree_with_sparql_on_meetings(m: Meeting) -> None:
    data = graph_of(m)
    fast, slow = validate_graph(data), validate_graph(data, sparql=True)
    assert _keys(fast) == _keys(slow)
    assert fast.format_text() == slow.format_text()
    assert fast.conforms == (m == meeting())


def test_python_twins_agree_on_a_child_outside_its_parent() -> None:
    data = graph_of(meeting())
    child = URIRef(item_iri("2.1"))
    # 10:05-10:07 is inside the meeting but before its parent (10:10-10:45)
    data.add((child, SCHEMA.startDate, Literal(dt.datetime(2021, 9, 8, 10, 5))))
    data.add((child, SCHEMA.endDate, Literal(dt.datetime(2021, 9, 8, 10, 7))))
    fast, slow = validate_graph(data), validate_graph(data, sparql=True)
    assert _keys(fast) == _keys(slow)
    assert [(r.value, r.path, r.line) for r in fast.violations] == [
        (item_iri("2.1"), str(SCHEMA.startDate), 9)
    ]


def test_a_secret_in_a_name_is_not_repeated_by_other_findings() -> None:
    data = graph_of(meeting())
    intro = URIRef(item_iri("1"))
    data.remove((intro, SCHEMA.name, None))
    data.add((intro, SCHEMA.name, Literal("Access code: 424242")))  # sorts first
    data.add((intro, SCHEMA.name, Literal("Introduction")))  # two titles: ItemName fails too
    report = validate_graph(data)
    assert {r.constraint for r in report.violations} >= {
        str(SH.PatternConstraintComponent),
        str(SH.MaxCountConstraintComponent),
    }
    assert "424242" not in report.format_text() + json.dumps(report.to_dict())
