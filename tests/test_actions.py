"""Action items and decisions: the written forms, owners, due dates, RDF and the catalogue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import SH

from escape_kg.api import KnowledgeGraph
from escape_kg.extract import extract
from escape_kg.extract.actions import action_key
from escape_kg.model import Action, EntityRef, Kind, Meeting, SourceDocument, SourceRef
from escape_kg.parse import parse_minutes
from escape_kg.queries import run_catalogue_query
from escape_kg.rdf.iris import Minter
from escape_kg.rdf.mapping import ImportInfo, meeting_graph
from escape_kg.rdf.namespaces import EKG, RDF, SCHEMA
from escape_kg.rdf.reference import load_lexicon
from escape_kg.redact import redact
from escape_kg.validate import shapes_graph, validate_graph

DATA = Path(__file__).parent / "data" / "actions"
FIRST, SECOND = DATA / "2021-10-01-wp2.txt", DATA / "2021-10-15-wp2.txt"
SEED = Path(__file__).resolve().parent.parent / "examples" / "escape-tc-minutes.txt"
DATE = dt.date(2021, 9, 8)
KAY = EntityRef(Kind.PERSON, "kay-graf")
XAVIER = EntityRef(Kind.PERSON, "xavier-espinal")


def meeting_of(*notes: str, date: dt.date = DATE) -> Meeting:
    """One timed item spoken by Kay Graf and Xavier Espinal, with ``notes`` as its bullets."""
    lines = [
        "WP2 Fortnightly Meeting",
        date.strftime("%d %B %Y"),
        "",
        "    • 10:00 10:20",
        "      Status 20m",
        "      Speakers: Kay Graf (FAU), Xavier Espinal (CERN)",
        *(f"      {note}" for note in notes),
    ]
    text = "\n".join(lines) + "\n"
    doc = SourceDocument(SourceRef("t.txt", "0" * 64, len(text)), "text", text)
    return extract(parse_minutes(redact(doc)), load_lexicon())


def only_action(*notes: str, date: dt.date = DATE) -> Action:
    m = meeting_of(*notes, date=date)
    assert len(m.actions) == 1, m.actions
    return m.actions[0]


# -- written forms -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "text", "owner_name"),
    [
        ("- ACTION (Kay Graf): send the slides", "send the slides", "Kay Graf"),
        ("- ACTION: Kay to send the slides", "Kay to send the slides", "Kay"),
        ("- ACTION Kay to send the slides", "Kay to send the slides", "Kay"),
        ("- Action: send the slides", "send the slides", None),
        ("- Action (Kay): send the slides", "send the slides", "Kay"),
        ("- AP: Kay will send the slides", "Kay will send the slides", "Kay"),
        ("- AI (Kay): send the slides", "send the slides", "Kay"),
        ("- TODO send the slides", "send the slides", None),
        ("- TODO: send the slides", "send the slides", None),
        ("- Action item: send the slides", "send the slides", None),
    ],
)
def test_each_written_form_is_an_action(line: str, text: str, owner_name: str | None) -> None:
    action = only_action(line)
    assert (action.text, action.owner_name, action.status) == (text, owner_name, "open")
    assert action.item == "1"


def test_the_span_quotes_the_action_text_on_its_line() -> None:
    m = meeting_of("- FENIX not connected yet", "- ACTION (Kay Graf): send the slides")
    [action] = m.actions
    assert m.minutes.document.text[action.span.start : action.span.end] == "send the slides"
    assert action.span.line == 8
    [mention] = [x for x in m.mentions if x.entity.kind is Kind.ACTION]
    assert (mention.entity.key, mention.span, mention.item) == (action.key, action.span, "1")


def test_an_actions_list_makes_each_bullet_an_action() -> None:
    m = meeting_of("Actions:", "- Kay to send the slides", "- Xavier: check the endpoint", "Next")
    assert [(a.text, a.owner) for a in m.actions] == [
        ("Kay to send the slides", KAY),
        ("Xavier: check the endpoint", XAVIER),
    ]


def test_an_indented_list_under_a_header_is_the_list() -> None:
    m = meeting_of("- Actions:", "    - send the slides", "- not an action")
    assert [a.text for a in m.actions] == ["send the slides"]


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("- Decision: keep the FTS-only mode", "keep the FTS-only mode"),
        ("- Decided: keep the FTS-only mode", "keep the FTS-only mode"),
        ("- Agreed: keep the FTS-only mode", "keep the FTS-only mode"),
        ("- AGREED: keep the FTS-only mode.", "keep the FTS-only mode"),
    ],
)
def test_decision_forms(line: str, text: str) -> None:
    m = meeting_of(line)
    assert m.actions == ()
    assert [(d.text, d.item) for d in m.decisions] == [(text, "1")]
    [mention] = [x for x in m.mentions if x.entity.kind is Kind.DECISION]
    assert mention.exact == text


def test_a_decisions_list() -> None:
    m = meeting_of("Decisions:", "  * keep FTS", "  * move to Thursdays")
    assert [d.text for d in m.decisions] == ["keep FTS", "move to Thursdays"]


@pytest.mark.parametrize(
    "line",
    [
        "- the action of the telescope on the mount is smooth",
        "- Action was taken by the site to fix the link",
        "- actions: none this week",  # lower case: prose, not a marker
        "- AI: machine learning session next month",
        "- We agreed that the plan is fine",
        "- Kay to send the slides by 15 Oct",  # no marker at all
        "- The decision is pending",
        "- APs are listed on the twiki",
        "- TODOs remain in the code",
    ],
)
def test_prose_is_not_an_action_or_decision(line: str) -> None:
    m = meeting_of(line)
    assert (m.actions, m.decisions) == ((), ())


def test_the_seed_minutes_have_no_actions() -> None:
    doc = SourceDocument(
        SourceRef("seed.txt", "0" * 64, 0), "text", SEED.read_text(encoding="utf-8")
    )
    m = extract(parse_minutes(redact(doc), date=DATE), load_lexicon())
    assert (m.actions, m.decisions) == ((), ())


# -- status ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "- ACTION (Kay Graf): send the slides — done",
        "- ACTION (Kay Graf): send the slides - closed",
        "- ACTION (Kay Graf): send the slides (completed)",
        "- ACTION (Kay Graf): send the slides [DONE]",
        "- ACTION (Kay Graf): [done] send the slides",
        "- ACTION (Kay Graf) send the slides: done.",
    ],
)
def test_done_markers_close_the_action(line: str) -> None:
    action = only_action(line)
    assert (action.text, action.status) == ("send the slides", "done")


def test_done_inside_the_sentence_is_not_a_status() -> None:
    action = only_action("- ACTION (Kay Graf): check the migration is completed")
    assert (action.text, action.status) == ("check the migration is completed", "open")


def test_the_same_action_open_and_done_has_one_key() -> None:
    opened = only_action("- ACTION (Kay Graf): Send the slides.")
    closed = only_action("- ACTION (Kay): send  the slides — done", date=dt.date(2021, 9, 22))
    assert opened.key == closed.key
    assert (opened.status, closed.status) == ("open", "done")


def test_the_key_depends_on_owner_and_normalised_text() -> None:
    assert action_key("Send the slides.", "kay-graf") == action_key("send the  slides", "kay-graf")
    assert action_key("send the slides", "kay-graf") != action_key("send the slides", "x")
    assert action_key("send the slides", "") != action_key("send the agenda", "")


# -- owner and due date --------------------------------------------------------------


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        ("Kay Graf", KAY),
        ("KAY GRAF", KAY),
        ("Kay", KAY),
        ("Graf", KAY),
        ("Espinal", XAVIER),
        # A full name in the notes is a person of these minutes (the name finder sees it).
        ("Julien Peloton", EntityRef(Kind.PERSON, "julien-peloton")),
        ("Mario", None),  # a first name nobody in these minutes has
        ("Kay, Xavier", None),  # two owners: not one person
    ],
)
def test_the_owner_resolves_to_a_person_of_the_meeting(
    owner: str, expected: EntityRef | None
) -> None:
    m = meeting_of(f"- ACTION ({owner}): send the slides")
    [action] = m.actions
    assert (action.owner, action.owner_name) == (expected, owner)
    if expected is not None:
        assert expected in {p.ref for p in m.people}


@pytest.mark.parametrize(
    ("phrase", "due"),
    [
        ("by 15 Oct", dt.date(2021, 10, 15)),
        ("by 3 January", dt.date(2022, 1, 3)),  # the next January, seen from September
        ("due 2021-10-01", dt.date(2021, 10, 1)),
        ("before the GA", dt.date(2021, 9, 28)),  # the GA 2021 edition after the meeting
        ("by next week", dt.date(2021, 9, 13)),  # the Monday of next week
        ("soon", None),
        ("with the 15 Oct data", None),  # a date that is not a deadline
    ],
)
def test_due_dates_resolve_against_the_meeting_date(phrase: str, due: dt.date | None) -> None:
    assert only_action(f"- ACTION (Kay): send the slides {phrase}").due == due


# -- RDF -------------------------------------------------------------------------


def test_actions_and_decisions_map_to_rdf_that_conforms() -> None:
    m = meeting_of(
        "- ACTION (Kay Graf): send the slides by 15 Oct",
        "- ACTION (Mario): book the room — done",
        "- Decision: keep the FTS-only mode",
    )
    minter = Minter()
    graph = meeting_graph(m, minter, ImportInfo(dt.datetime(2021, 9, 8, tzinfo=dt.UTC), "0"))
    assert validate_graph(graph).conforms
    meeting = minter.meeting("2021-09-08-wp2-fortnightly-meeting")
    slides = minter.entity(EntityRef(Kind.ACTION, m.actions[0].key))
    room = minter.entity(EntityRef(Kind.ACTION, m.actions[1].key))
    assert (slides, RDF.type, EKG.ActionItem) in graph
    assert graph.value(slides, SCHEMA.agent) == minter.entity(KAY)
    assert graph.value(slides, EKG.dueDate) == Literal(dt.date(2021, 10, 15))
    assert graph.value(slides, SCHEMA.description) == Literal("send the slides by 15 Oct")
    assert graph.value(slides, EKG.raisedIn) == meeting
    record = graph.value(slides, EKG.statusAt)
    assert record == minter.action_status("2021-09-08-wp2-fortnightly-meeting", m.actions[0].key)
    assert graph.value(record, SCHEMA.actionStatus) == SCHEMA.ActiveActionStatus
    assert graph.value(record, EKG.statedAt) == meeting
    assert graph.value(record, EKG.inItem) == minter.item("2021-09-08-wp2-fortnightly-meeting", "1")
    assert graph.value(room, SCHEMA.agent) is None
    assert graph.value(room, EKG.ownerName) == Literal("Mario")
    assert graph.value(graph.value(room, EKG.statusAt), SCHEMA.actionStatus) == (
        SCHEMA.CompletedActionStatus
    )
    decision = minter.entity(EntityRef(Kind.DECISION, m.decisions[0].key))
    assert graph.value(decision, SCHEMA.text) == Literal("keep the FTS-only mode")
    assert graph.value(decision, EKG.decidedIn) == meeting
    bodies = set(graph.objects(None, URIRef("http://www.w3.org/ns/oa#hasBody")))
    assert {slides, room, decision} <= bodies


# -- two meetings in one store -------------------------------------------------------


def rows(kg: KnowledgeGraph, name: str, values: dict[str, str]) -> list[dict[str, str | None]]:
    result = run_catalogue_query(kg, name, values)
    return [
        {n: None if v is None else str(v) for n, v in zip(result.variables, row, strict=True)}
        for row in result.rows()
    ]


def test_a_later_meeting_closes_the_action() -> None:
    kg = KnowledgeGraph.memory()
    assert kg.ingest(FIRST).status == "imported"
    [row] = rows(kg, "open-actions", {})
    assert row["text"] == "set up the FENIX endpoint by 15 Oct"
    assert row["owner"] == str(kg.minter.entity(XAVIER))
    assert (row["ownerName"], row["due"], row["raised"]) == (
        "Xavier Espinal",
        "2021-10-15",
        "2021-10-01",
    )
    assert row["meeting"] == str(kg.minter.meeting("2021-10-01-wp2-dios-fortnightly-meeting"))
    assert (row["itemNumber"], row["line"]) == ("1", "9")
    assert rows(kg, "open-actions", {"who": "espinal"}) == [{**row, "who": "espinal"}]
    assert rows(kg, "open-actions", {"who": "someone else"}) == []

    assert kg.ingest(SECOND).status == "imported"
    assert rows(kg, "open-actions", {}) == []


def test_the_latest_meeting_wins_whatever_the_import_order() -> None:
    kg = KnowledgeGraph.memory()
    assert kg.ingest(SECOND).status == "imported"
    assert kg.ingest(FIRST).status == "imported"
    assert rows(kg, "open-actions", {}) == []


def test_decisions_are_found_by_text_or_by_a_mentioned_entity() -> None:
    kg = KnowledgeGraph.memory()
    for path in (FIRST, SECOND):
        assert kg.ingest(path).status == "imported"
    assert [r["text"] for r in rows(kg, "decisions", {})] == [
        "move the meeting to Thursdays from November",
        "the DAC21 data challenge keeps the FTS-only transfer mode",
    ]
    [by_text] = rows(kg, "decisions", {"term": "THURSDAYS"})
    assert by_text["date"] == "2021-10-15" and by_text["itemNumber"] == "1"
    # "File Transfer Service" is not in the text: the decision mentions FTS, whose alias it is.
    [by_entity] = rows(kg, "decisions", {"term": "file transfer"})
    assert by_entity["text"] == "the DAC21 data challenge keeps the FTS-only transfer mode"
    assert rows(kg, "decisions", {"term": "telescope"}) == []


def test_a_first_name_two_people_share_resolves_to_nobody() -> None:
    m = meeting_of("- Kay Smith joined the call", "- ACTION (Kay): send the slides")
    assert m.actions[0].owner is None


def test_every_text_the_action_mapping_writes_is_scanned_for_secrets() -> None:
    m = meeting_of("- ACTION (Mario): book the room", "- Agreed: keep FTS")
    graph = meeting_graph(m, Minter(), ImportInfo(dt.datetime(2021, 9, 8, tzinfo=dt.UTC), "0"))
    mine = {
        p
        for s, p, o in graph
        if isinstance(o, Literal)
        and o.datatype is None
        and ("/action/" in str(s) or "/decision/" in str(s))
    }
    assert {EKG.ownerName, SCHEMA.description, SCHEMA.text} <= mine
    shapes = shapes_graph()
    scanned = {
        shapes.value(s, SH.path)
        for s in shapes.subjects(SH.targetSubjectsOf, None)
        if str(s).startswith("https://w3id.org/escape-kg/shapes#NoSecretIn")
    }
    assert mine <= scanned, mine - scanned
