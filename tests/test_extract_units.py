"""Extraction building blocks: names, organisations, WP forms, deliverables, dates, events."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from _extract_fixtures import MEETING_DATE, notes_minutes, small_lexicon

from escape_kg.extract import extract
from escape_kg.extract.dates import find_dates, resolve_day_month
from escape_kg.extract.matching import AliasTable
from escape_kg.extract.organisations import OrgResolver
from escape_kg.extract.people import normalise_name
from escape_kg.extract.projects import find_deliverables, find_work_packages
from escape_kg.model import (
    AgendaItem,
    EntityRef,
    Kind,
    Lexicon,
    LexiconEntry,
    ParsedMinutes,
    SourceDocument,
    SourceRef,
    Span,
)

D = dt.date


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("Julie CHAUDAN", "Julie Chaudan"),
        ("harro verkouter", "Harro Verkouter"),
        ("Dr Matthias Fuessling", "Matthias Fuessling"),
        ("Prof. Stephen Serjeant", "Stephen Serjeant"),
        ("Dott. Mario Rossi", "Mario Rossi"),
        ("Mohammad Al-Turany", "Mohammad Al-Turany"),
        ("Nazaret Bello Gonzalez", "Nazaret Bello Gonzalez"),
        ("Ann McX", "Ann McX"),
        ("jan van der berg", "Jan van der Berg"),
    ],
)
def test_normalise_name(written: str, name: str) -> None:
    assert normalise_name(written) == name


def test_same_speaker_twice_is_one_person_with_two_memberships() -> None:
    minutes = notes_minutes(
        "", speakers=(("Daniele Spiga", "INFN-Perugia"), ("Daniele Spiga", "infn"))
    )
    meeting = extract(minutes, small_lexicon())
    assert [p.name for p in meeting.people] == ["Daniele Spiga"]
    assert [m.organisation.key for m in meeting.memberships] == ["infn-perugia", "infn"]
    assert len(meeting.speakers) == 1


def test_names_in_notes_are_conservative() -> None:
    notes = (
        "Picking up what Gareth Hughes raised (Rob Barnsley) at the General Assembly\n"
        "we have provided to John details; Data Lake and Citizen Science and Radio Astronomy\n"
        "Important: Two new Joint Institute people; Scientific Data Lake; High Energy"
    )
    meeting = extract(notes_minutes(notes), small_lexicon())
    assert {p.name for p in meeting.people} == {"Gareth Hughes", "Rob Barnsley"}


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("LAPP IN2P3 / CNRS", "lapp"),
        ("CNRS", "cnrs"),
        ("lapp", "lapp"),
        ("IN2P3-LAPP", "lapp"),
        ("INFN-Perugia", "infn-perugia"),
        ("SKA Observatory", "skao"),
        ("University of Nowhere", "university-of-nowhere"),
    ],
)
def test_org_resolution(written: str, key: str) -> None:
    assert OrgResolver(small_lexicon()).resolve(written).organisation.ref.key == key


def test_unknown_org_is_new_and_glued_unit_gets_parent() -> None:
    resolver = OrgResolver(small_lexicon())
    unknown = resolver.resolve("University of Nowhere").organisation
    assert (unknown.known, unknown.name, unknown.parent) == (False, "University of Nowhere", None)
    unit = resolver.resolve("INFN-Perugia")
    assert unit.organisation.parent == EntityRef(Kind.ORGANISATION, "infn")
    assert unit.parent is not None and unit.parent.known


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("WP2", [("WP2", 2)]),
        ("Wp2, 3, 4, 5", [("Wp2", 2), ("3", 3), ("4", 4), ("5", 5)]),
        ("WP3/5", [("WP3", 3), ("5", 5)]),
        ("WP3+WP5", [("WP3", 3), ("WP5", 5)]),
        ("WP 4 /5 Disussion", [("WP 4", 4), ("5", 5)]),
        ("(WP4/2) : doodle", [("WP4", 4), ("2", 2)]),
        ("WP2-WP6", [("WP2", 2), ("WP6", 6)]),
        ("WP7 and WP2, 3 people", [("WP7", 7), ("WP2", 2)]),
        ("SWP2, WP2.1, MWP", []),
    ],
)
def test_work_package_forms(text: str, found: list[tuple[str, int]]) -> None:
    hits = find_work_packages(text, 0, len(text))
    assert [(text[h.start : h.end], h.number) for h in hits] == found


def test_wp_acronyms_and_services() -> None:
    meeting = extract(notes_minutes("DIOS and OSSR; dios is not; ESCAPE IAM"), small_lexicon())
    named = [(m.exact, m.entity) for m in meeting.mentions]
    assert named == [
        ("DIOS", EntityRef(Kind.WORK_PACKAGE, "WP2")),
        ("OSSR", EntityRef(Kind.SERVICE, "ossr")),
        ("ESCAPE IAM", EntityRef(Kind.SERVICE, "escape-iam")),
    ]


@pytest.mark.parametrize(
    ("text", "ident", "title", "delivered"),
    [
        ("Deliverable D5.3, “Performance assessment”, was delivered on 27 August.",
         "D5.3", "Performance assessment", D(2021, 8, 27)),
        ('D 5.3 "A plan" submitted on 1 Sep', "D5.3", "A plan", D(2021, 9, 1)),
        ("Deliverable 4.1 pending", "D4.1", None, None),
    ],
)  # fmt: skip
def test_deliverable_forms(text: str, ident: str, title: str | None, delivered: D | None) -> None:
    (hit,) = find_deliverables(text, 0, len(text), MEETING_DATE)
    assert (hit.identifier, hit.title, hit.delivered) == (ident, title, delivered)


def test_milestones_months_and_tasks_are_not_deliverables() -> None:
    meeting = extract(notes_minutes("MS11 reached; M2.2 and M18; T2.1 started"), small_lexicon())
    assert meeting.deliverables == ()
    assert not any(m.entity.kind is Kind.DELIVERABLE for m in meeting.mentions)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("16-20 May 2022", D(2022, 5, 16), D(2022, 5, 20)),
        ("2-4 November", D(2021, 11, 2), D(2021, 11, 4)),
        ("27 September - 01 October", D(2021, 9, 27), D(2021, 10, 1)),
        ("May 16, 2022 to May 20, 2022", D(2022, 5, 16), D(2022, 5, 20)),
        ("(24-28 October)", D(2021, 10, 24), D(2021, 10, 28)),
        ("28 Sep", D(2021, 9, 28), D(2021, 9, 28)),
        ("5 August", D(2021, 8, 5), D(2021, 8, 5)),
        ("August 5th", D(2021, 8, 5), D(2021, 8, 5)),
        ("13 Oct", D(2021, 10, 13), D(2021, 10, 13)),
        ("19 Nov", D(2021, 11, 19), D(2021, 11, 19)),
        ("week of 21 February 2022", D(2022, 2, 21), D(2022, 2, 27)),
        ("next week", D(2021, 9, 13), D(2021, 9, 19)),
        ("tomorrow", D(2021, 9, 9), D(2021, 9, 9)),
        ("19 January", D(2022, 1, 19), D(2022, 1, 19)),
        ("12 April", D(2021, 4, 12), D(2021, 4, 12)),
    ],
)
def test_date_forms(text: str, first: D, last: D) -> None:
    (hit,) = find_dates(text, 0, len(text), MEETING_DATE)
    assert (hit.first, hit.last) == (first, last)


def test_explicit_date_inside_relative_phrase_and_no_false_dates() -> None:
    text = "last week (1 Sep); we may 5 times; ID 954 2955 6769; 10:20 10:45"
    hits = find_dates(text, 0, len(text), MEETING_DATE)
    assert [(text[h.start : h.end], h.first, h.relative) for h in hits] == [
        ("last week", D(2021, 8, 30), True),
        ("1 Sep", D(2021, 9, 1), False),
    ]


def test_year_rolls_to_the_nearest_half_year() -> None:
    assert resolve_day_month(19, 3, D(2021, 12, 1)) == D(2022, 3, 19)
    assert resolve_day_month(1, 12, D(2022, 2, 1)) == D(2021, 12, 1)


def test_events_resolve_against_lexicon_and_deadlines_and_next_meetings_are_not_events() -> None:
    notes = (
        "IVOA meeting 2-4 November (on-line)\n"
        "IVOA abstracts - deadline 19 Nov\n"
        "Foo community workshop 27 September - 01 October\n"
        "so next TC 13 Oct\n"
        "Next meeting: 22 Sep\n"
        "the next progress call is on 29 Sep\n"
        "Prochaine réunion : 6 octobre"
    )
    meeting = extract(notes_minutes(notes), small_lexicon())
    events = {e.ref.key: (e.start, e.end, e.series) for e in meeting.events}
    series = Kind.EVENT_SERIES
    assert events == {
        "ivoa-interop-2021-11": (D(2021, 11, 2), D(2021, 11, 4), EntityRef(series, "ivoa-interop")),
        "foo-community-workshop-2021-09-27": (
            D(2021, 9, 27),
            D(2021, 10, 1),
            EntityRef(series, "foo-community-workshop"),
        ),
    }
    # The next meeting of the minutes' own series is another meeting, not an external event,
    # and its date is not given to any other event either.
    assert not [m for m in meeting.mentions if m.exact.lower().startswith(("next", "prochaine"))]


def test_a_series_with_a_year_and_no_date_is_that_years_event() -> None:
    notes = (
        "circulate the ESCAPE General Assembly 2022 draft agenda\n"
        "slides from IVOA 2021 are online\n"
        "IVOA standards were discussed"
    )
    meeting = extract(notes_minutes(notes), small_lexicon())
    events = {e.ref.key: (e.name, e.start, e.series) for e in meeting.events}
    ga = EntityRef(Kind.EVENT_SERIES, "escape-general-assembly")
    assert events["escape-general-assembly-2022"] == ("ESCAPE General Assembly 2022", None, ga)
    # the series held one event that year: that is the one meant
    assert "ivoa-interop-2021-11" in events
    assert len(events) == 2
    bodies = {m.exact: m.entity.key for m in meeting.mentions}
    assert bodies["IVOA"] == "ivoa-interop"  # no year: the series itself


def test_alias_table_longest_match_word_bounded() -> None:
    eosc = EntityRef(Kind.PROJECT, "eosc")
    future = EntityRef(Kind.PROJECT, "eosc-future")
    table = AliasTable([("EOSC", eosc), ("EOSC Future", future)])
    text = "EOSC-Future, EOSC future, EOSCx and EOSC."
    assert [(text[h.start : h.end], h.ref.key) for h in table.find(text)] == [
        ("EOSC-Future", "eosc-future"),
        ("EOSC future", "eosc-future"),
        ("EOSC", "eosc"),
    ]


def test_names_with_lower_case_particles_in_lists_and_action_owners() -> None:
    # The small lexicon names "Centre National de la Recherche Scientifique", so "de" is a
    # lexicon word too: it must still join a name when it sits between two name words.
    notes = (
        "Present: Ingrid Halvorsen, Pieter de Vries (SURF), Nadia Haddad\n"
        "JIVE: Dr Aukje van der Meer\n"
        "Maarten Van den Berg: open data on the lake by December\n"
        "ACTION (Jan de Graaf): book the room"
    )
    meeting = extract(notes_minutes(notes), small_lexicon())
    assert {p.name for p in meeting.people} == {
        "Ingrid Halvorsen",
        "Pieter de Vries",
        "Nadia Haddad",
        "Aukje van der Meer",
        "Maarten Van den Berg",
        "Jan de Graaf",
    }
    assert {m.exact for m in meeting.mentions if m.entity.kind is Kind.PERSON} >= {
        "Aukje van der Meer",
        "Jan de Graaf",
    }


def _wps_and_deliverables(minutes: ParsedMinutes) -> tuple[set[str], set[str]]:
    meeting = extract(minutes, small_lexicon())
    return {w.ref.key for w in meeting.work_packages}, {d.identifier for d in meeting.deliverables}


def test_another_projects_wps_and_deliverables_are_not_escapes() -> None:
    notes = (
        "the EOSC Future WP6 test-science project starts in January\n"
        "AQUILA WP3/4 pipelines; AQUILA D3.1 draft shared\n"
        "ESCAPE WP5 and WP2 on track; CERN WP2 effort; D2.4 due in M42"
    )
    assert _wps_and_deliverables(notes_minutes(notes)) == ({"WP2", "WP5"}, {"D2.4"})


def test_minutes_titled_after_another_project_keep_only_explicit_escape_wps() -> None:
    notes = "WP1: Management\n- D1.2 submitted to the EC\n- webinar with ESCAPE WP3 planned"
    own = notes_minutes(notes)
    assert _wps_and_deliverables(own) == ({"WP1", "WP3"}, {"D1.2"})
    other = replace(own, title="AQUILA Project Steering Committee")
    assert _wps_and_deliverables(other) == ({"WP3"}, set())
    named = replace(own, title="EOSC Future steering board")
    assert _wps_and_deliverables(named) == ({"WP3"}, set())


def test_wp_in_a_title_given_as_metadata_is_mentioned_on_its_line() -> None:
    title = "WP2 DIOS Fortnightly Meeting"
    text = f"{title}\nFriday 5 November 2021\n  Site reports\n"
    at = text.index("Site reports")
    doc = SourceDocument(SourceRef("wp2.json", "0" * 64, len(text)), "indico-json", text, {})
    item = AgendaItem("1", "Site reports", Span(at, at + len("Site reports"), 3))
    minutes = ParsedMinutes(doc, title, MEETING_DATE, "document", (item,))
    meeting = extract(minutes, small_lexicon())
    wp2 = EntityRef(Kind.WORK_PACKAGE, "WP2")
    found = {(m.exact, m.span.line, m.item) for m in meeting.mentions if m.entity == wp2}
    assert ("WP2", 1, None) in found


@pytest.mark.parametrize(
    ("written", "key", "name", "parent"),
    [
        ("INFN Perugia (Italy)", "infn-perugia", "INFN Perugia", "infn"),
        ("INFN Perugia", "infn-perugia", "INFN Perugia", "infn"),
        ("INAF - Trieste", "inaf-trieste", "INAF - Trieste", "inaf"),
        ("INFN (Italy)", "infn", "INFN", None),
        ("INFN Italy", "infn", "INFN", None),
        ("INFN IT", "infn", "INFN", None),
    ],
)
def test_site_after_a_known_acronym_is_a_unit(
    written: str, key: str, name: str, parent: str | None
) -> None:
    inaf = LexiconEntry(EntityRef(Kind.ORGANISATION, "inaf"), "INAF", ("INAF",))
    lexicon = Lexicon((*small_lexicon().entries, inaf))
    resolved = OrgResolver(lexicon).resolve(written)
    org = resolved.organisation
    assert (org.ref.key, org.name) == (key, name)
    assert (org.parent.key if org.parent else None) == parent
    assert (resolved.parent.ref.key if resolved.parent else None) == parent
