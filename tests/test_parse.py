"""Parsing Indico timetable text into an agenda tree, and the date/time helpers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from escape_kg.errors import ParseError
from escape_kg.model import ParsedMinutes, SourceDocument, Span
from escape_kg.parse import parse_minutes
from escape_kg.parse.dates import (
    date_in_name,
    day_header,
    find_date,
    parse_clock,
    parse_duration,
    parse_time_line,
    split_duration,
)
from escape_kg.redact import redact
from escape_kg.sources import read_bytes, read_source

DATA = Path(__file__).parent / "data"
SEED = Path(__file__).parent.parent / "examples" / "escape-tc-minutes.txt"
SEED_DATE = dt.date(2021, 9, 8)
LIMIT = 1024 * 1024


def _doc(path: Path) -> SourceDocument:
    return redact(read_source(path, max_bytes=LIMIT))


def _text(text: str, name: str = "m.txt") -> SourceDocument:
    return redact(read_bytes(text.encode(), name, max_bytes=LIMIT))


@pytest.fixture(scope="module")
def seed() -> ParsedMinutes:
    return parse_minutes(_doc(SEED), date=SEED_DATE)


def _at(minutes: ParsedMinutes, span: Span) -> str:
    return minutes.document.text[span.start : span.end]


# --- the seed minutes ------------------------------------------------------


def test_seed_title_and_date(seed: ParsedMinutes) -> None:
    assert seed.title == "Technical Coordination Meeting"
    assert seed.date == SEED_DATE
    assert seed.date_origin == "option"


def at(hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(SEED_DATE, dt.time(hour, minute))


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def test_seed_top_level_items(seed: ParsedMinutes) -> None:
    got = [(i.number, i.title, i.start, i.end, i.duration, len(i.children)) for i in seed.items]
    assert got == [
        ("1", "Introduction", at(10, 0), at(10, 10), minutes(10), 0),
        ("2", "TSP update", at(10, 10), at(10, 20), minutes(10), 0),
        ("3", "Round Table", at(10, 20), at(10, 45), minutes(25), 14),
        ("4", "AOB", at(10, 50), at(10, 51), minutes(1), 0),
    ]


def test_seed_round_table_children(seed: ParsedMinutes) -> None:
    children = seed.items[2].children
    assert [c.title for c in children] == [
        "WP2", "WP3", "WP4", "WP5", "WP6", "CTA", "EGO", "ESO",
        "EST", "FAIR", "HL-LHC", "Jive", "KM3Net", "SKA",
    ]  # fmt: skip
    assert [c.number for c in children] == [f"3.{n}" for n in range(1, 15)]
    assert all(c.duration == dt.timedelta(minutes=2) for c in children)
    assert all(c.start is None and c.end is None for c in children)


def _speakers(minutes: ParsedMinutes, number: str) -> list[tuple[str, str | None]]:
    item = next(i for i in minutes.all_items() if i.number == number)
    return [(s.name, s.affiliation) for s in item.speakers]


def test_seed_speakers_as_written(seed: ParsedMinutes) -> None:
    assert _speakers(seed, "1") == [("Ian Bird", "LAPP"), ("Julie CHAUDAN", "LAPP IN2P3 / CNRS")]
    assert _speakers(seed, "3.1") == [("Xavier Espinal", "CERN")]
    assert _speakers(seed, "3.6") == [("Dr Matthias Fuessling", "CTAO gGmbH")]
    assert _speakers(seed, "3.7") == [("Antonella Bozzi", None)]
    assert _speakers(seed, "3.11") == [("Daniele Spiga", "INFN-Perugia"), ("Daniele Spiga", "infn")]
    assert _speakers(seed, "3.13") == [
        ("Jutta Schnabel", "FAU Erlangen (ECAP)"),
        ("Dr Kay Graf", "ECAP - University of Erlangen"),
    ]
    assert _speakers(seed, "2") == []
    assert all(s.role == "speaker" for i in seed.all_items() for s in i.speakers)


def test_seed_notes(seed: ParsedMinutes) -> None:
    intro = seed.items[0]
    assert [n.text for n in intro.notes][:2] == [
        "CHEP abstracts - deadline 19 Nov",
        "EOSC Association - stakeholder registry",
    ]
    wp2 = seed.items[2].children[0]
    assert wp2.notes[0].text == "Data Lake as a Service project completed during the summer"
    assert [n.depth for n in wp2.notes[:5]] == [0, 1, 1, 1, 0]
    assert seed.items[2].notes == ()
    assert [n.text for n in seed.items[3].notes] == [
        "Next meeting: - regain original schedule, but E-EB next week, then GA + extended "
        "technical discussions, so next TC 13 Oct",
        "Items for future agendas",
    ]
    assert [n.text for n in seed.items[2].children[6].notes] == []


def test_zoom_block_is_neither_item_nor_note(seed: ParsedMinutes) -> None:
    first_item_line = seed.items[0].title_span.line - 1
    for item in seed.all_items():
        for note in item.notes:
            assert note.span.line > first_item_line
    assert seed.items[0].span is not None and seed.items[0].span.line == 37


def test_every_span_quotes_its_text(seed: ParsedMinutes) -> None:
    assert seed.title_span is not None and _at(seed, seed.title_span) == seed.title
    lines = seed.document.text.split("\n")
    checked = 0
    for item in seed.all_items():
        assert _at(seed, item.title_span) == item.title
        assert lines[item.title_span.line - 1].strip().lstrip("• ").startswith(item.title)
        for speaker in item.speakers:
            assert _at(seed, speaker.span) == speaker.name
            if speaker.affiliation is not None:
                assert speaker.affiliation_span is not None
                assert _at(seed, speaker.affiliation_span) == speaker.affiliation
            checked += 1
        for note in item.notes:
            assert _at(seed, note.span) == note.text
            assert note.text in lines[note.span.line - 1]
        assert item.span is not None
        assert item.span.start <= item.title_span.start < item.span.end
    assert checked == 18


# --- the other fixtures -----------------------------------------------------


def test_french_twelve_hour_fixture() -> None:
    minutes = parse_minutes(_doc(DATA / "reunion-fr-12h.txt"))
    assert minutes.title == "Réunion de coordination technique"
    assert (minutes.date, minutes.date_origin) == (dt.date(2021, 10, 13), "document")
    first, second, third = minutes.items
    assert (first.title, first.duration) == ("Bilan du semestre", dt.timedelta(hours=1, minutes=15))
    assert (first.start, first.end) == (
        dt.datetime(2021, 10, 13, 9, 30),
        dt.datetime(2021, 10, 13, 10, 45),
    )
    assert [(s.name, s.affiliation) for s in first.speakers] == [
        ("Marie Curie", "Institut du Radium (Paris)"),
        ("Paul Langevin", "ESPCI"),
    ]
    assert [n.text for n in first.notes] == [
        "Points ouverts - échéance 1er novembre",
        "Budget 2022",
        "relecture du livrable D5.3",
    ]
    assert second.end == dt.datetime(2021, 10, 13, 12, 5)
    assert second.duration == dt.timedelta(hours=1, minutes=20)
    assert [(c.number, c.title, c.duration) for c in second.children] == [
        ("2.1", "WP2", dt.timedelta(minutes=5)),
        ("2.2", "Observatoire", None),
    ]
    assert second.children[1].speakers[0].role == "chair"
    assert [n.text for n in second.notes] == ["Remarque sans orateur"]
    assert (third.start, third.end) == (dt.datetime(2021, 10, 13, 12, 5), None)
    assert third.speakers[0].role == "convener"
    for item in minutes.all_items():
        assert _at(minutes, item.title_span) == item.title
        for s in item.speakers:
            assert _at(minutes, s.span) == s.name


def test_an_item_ending_before_it_starts_is_kept() -> None:
    minutes = parse_minutes(_doc(DATA / "2022-03-01-end-before-start.txt"))
    assert (minutes.date, minutes.date_origin) == (dt.date(2022, 3, 1), "file name")
    (item,) = minutes.items
    assert item.start == dt.datetime(2022, 3, 1, 11, 0)
    assert item.end == dt.datetime(2022, 3, 1, 10, 30)
    assert [(s.name, s.affiliation) for s in item.speakers] == [("Jane Doe", None)]


def test_option_date_wins_over_document_date() -> None:
    minutes = parse_minutes(_doc(DATA / "reunion-fr-12h.txt"), date=dt.date(2020, 1, 2))
    assert (minutes.date, minutes.date_origin) == (dt.date(2020, 1, 2), "option")
    assert minutes.items[0].start == dt.datetime(2020, 1, 2, 9, 30)


def test_a_date_inside_notes_is_not_the_meeting_date() -> None:
    doc = _text("Sync\n• 10:00 10:10\n  Intro 10m\n  - next meeting 2021-10-13\n")
    with pytest.raises(ParseError) as info:
        parse_minutes(doc)
    assert info.value.hint is not None and "--date YYYY-MM-DD" in info.value.hint


def test_no_agenda_is_an_error_with_a_hint() -> None:
    with pytest.raises(ParseError, match="no agenda found") as info:
        parse_minutes(_text("Just some notes\nabout 10:00 things\n"), date=SEED_DATE)
    assert info.value.hint


def test_unredacted_documents_are_refused() -> None:
    raw = read_source(SEED, max_bytes=LIMIT)
    with pytest.raises(ValueError, match="redact"):
        parse_minutes(raw, date=SEED_DATE)


def test_unknown_format_is_refused() -> None:
    doc = dataclasses.replace(_text("T\n• 10:00\n  X 1m\n"), format="html")
    with pytest.raises(ParseError, match="known formats: text"):
        parse_minutes(doc, date=SEED_DATE)


def test_speaker_edge_cases() -> None:
    doc = _text(
        "T\n• 10:00\n  X 1m\n  Speakers: A (B (C), D), , E (F\n  Chair: G\n",
    )
    item = parse_minutes(doc, date=SEED_DATE).items[0]
    assert [(s.name, s.affiliation, s.role) for s in item.speakers] == [
        ("A", "B (C), D", "speaker"),
        ("E", "F", "speaker"),
        ("G", None, "chair"),
    ]


# --- dates.py ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10:00", dt.time(10, 0)),
        ("0:05", dt.time(0, 5)),
        ("23:59", dt.time(23, 59)),
        ("9:05 PM", dt.time(21, 5)),
        ("9:05\u202fpm", dt.time(21, 5)),
        ("9:05\u00a0AM", dt.time(9, 5)),
        ("9:05AM", dt.time(9, 5)),
        ("12:00 AM", dt.time(0, 0)),
        ("12:30 AM", dt.time(0, 30)),
        ("12:00 PM", dt.time(12, 0)),
        ("12:45 p.m.", dt.time(12, 45)),
        ("1:00 PM", dt.time(13, 0)),
        ("11:59 PM", dt.time(23, 59)),
        ("10h30", dt.time(10, 30)),
    ],
)
def test_parse_clock(text: str, expected: dt.time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["24:00", "10:60", "0:30 AM", "13:00 PM", "ten", "10", "1.10"])
def test_parse_clock_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_clock(text)


def test_parse_time_line() -> None:
    assert parse_time_line("10:00 10:10") == (dt.time(10), dt.time(10, 10))
    assert parse_time_line("10:00 AM 10:10 AM") == (dt.time(10), dt.time(10, 10))
    assert parse_time_line("11:30\u202fAM – 12:15\u202fPM") == (dt.time(11, 30), dt.time(12, 15))
    assert parse_time_line("9:05 PM") == (dt.time(21, 5), None)
    assert parse_time_line("10:00 - 10:10") == (dt.time(10), dt.time(10, 10))
    assert parse_time_line("10:00 10:10 Introduction") is None
    assert parse_time_line("25:00 26:00") is None
    assert parse_time_line("2021") is None


@pytest.mark.parametrize(
    ("text", "title", "minutes"),
    [
        ("Introduction 10m", "Introduction", 10),
        ("WP2 2m", "WP2", 2),
        ("Long 1h", "Long", 60),
        ("Bilan 1h 15m", "Bilan", 75),
        ("Bilan 1h15m", "Bilan", 75),
        ("Round Table 25min", "Round Table", 25),
        ("HL-LHC 2m  ", "HL-LHC", 2),
        ("TSP update", "TSP update", None),
        ("10m", "10m", None),
        ("D5.3", "D5.3", None),
    ],
)
def test_split_duration(text: str, title: str, minutes: int | None) -> None:
    expected = None if minutes is None else dt.timedelta(minutes=minutes)
    assert split_duration(text) == (title, expected)


def test_parse_duration() -> None:
    assert parse_duration("1h 15m") == dt.timedelta(hours=1, minutes=15)
    assert parse_duration("2m") == dt.timedelta(minutes=2)
    assert parse_duration("soon") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wednesday 8 September 2021", dt.date(2021, 9, 8)),
        ("mercredi 8 septembre 2021", dt.date(2021, 9, 8)),
        ("le 1er octobre 2021", dt.date(2021, 10, 1)),
        ("08.09.2021", dt.date(2021, 9, 8)),
        ("8/9/2021", dt.date(2021, 9, 8)),
        ("2021-09-08", dt.date(2021, 9, 8)),
        ("Sep 8, 2021 10:00 AM", dt.date(2021, 9, 8)),
        ("8 déc. 2021", dt.date(2021, 12, 8)),
        ("from 13 août 2021 to 2021-09-08", dt.date(2021, 8, 13)),
        ("31.02.2021 or 2021-03-01", dt.date(2021, 3, 1)),
        ("D5.3 at 10:00 10:10", None),
        ("Wednesday 8 Smarch 2021", None),
    ],
)
def test_find_date(text: str, expected: dt.date | None) -> None:
    assert find_date(text) == expected


def test_date_in_name() -> None:
    assert date_in_name("/minutes/2021-09-08-tc.txt") == dt.date(2021, 9, 8)
    assert date_in_name("tc_2021_09_08.txt") == dt.date(2021, 9, 8)
    assert date_in_name("2021-09-08/tc.txt") is None
    assert date_in_name("tc-2021-13-45.txt") is None


# --- numbered instead of timed -------------------------------------------

NUMBERED = """WP2 Sync
Friday 19 November 2021

    1. Introduction
      Speaker: Ann Lee (CERN)
      1. first note
      2. second note
    2) Site status 15m
      - all green
      • Site A 5m
        Speaker: Bo Chan (INFN)
    • 3 AOB 10m
"""


def test_numbered_items_without_times() -> None:
    minutes = parse_minutes(_text(NUMBERED))
    assert (minutes.title, minutes.date) == ("WP2 Sync", dt.date(2021, 11, 19))
    rows = [
        (i.number, i.title, i.start, i.end, i.duration.seconds // 60 if i.duration else None)
        for i in minutes.all_items()
    ]
    assert rows == [
        ("1", "Introduction", None, None, None),
        ("2", "Site status", None, None, 15),
        ("2.1", "Site A", None, None, 5),
        ("3", "AOB", None, None, 10),
    ]
    intro, site, _ = minutes.items
    assert [(s.name, s.affiliation) for s in intro.speakers] == [("Ann Lee", "CERN")]
    # Numbered notes deeper than the numbered items stay notes.
    assert [n.text for n in intro.notes] == ["first note", "second note"]
    assert [n.text for n in site.notes] == ["all green"]
    assert [(s.name, s.affiliation) for s in site.children[0].speakers] == [("Bo Chan", "INFN")]
    for item in minutes.all_items():
        assert _at(minutes, item.title_span) == item.title


def test_numbered_notes_in_a_timed_document_stay_notes(seed: ParsedMinutes) -> None:
    intro = seed.items[0]
    assert intro.title == "Introduction"
    assert intro.notes[0].text == "CHEP abstracts - deadline 19 Nov"
    assert all(item.start is not None for item in seed.items)


def test_numbered_item_beside_timed_items_at_their_indentation() -> None:
    text = (
        "Sync\n2021-09-08\n"
        "  • 10:00 10:10\n"
        "    Intro 10m\n"
        "    1. a note\n"
        "  2. AOB\n"
        "    - nothing\n"
        "  5. not an item: numbered out of place\n"
    )
    minutes = parse_minutes(_text(text))
    assert [(i.number, i.title, i.start is None) for i in minutes.items] == [
        ("1", "Intro", False),
        ("2", "AOB", True),
    ]
    assert [n.text for n in minutes.items[0].notes] == ["a note"]
    assert [n.text for n in minutes.items[1].notes] == [
        "nothing",
        "not an item: numbered out of place",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Notes\n1. only one numbered line\n  - body\n",  # a run needs two items
        "Notes\n1. first\n3. skips two\n",  # numbers must run 1, 2, 3 ...
        "Notes\n2. starts at two\n3. three\n",
        "Notes\n1 bare number\n2 bare number\n",  # no "." / ")" and no bullet
        "Notes\n1. 10\n2. 20\n",  # no title in words
    ],
)
def test_text_that_is_not_a_numbered_agenda_still_has_no_agenda(text: str) -> None:
    with pytest.raises(ParseError, match="no agenda found"):
        parse_minutes(_text(text), date=SEED_DATE)


def test_numbered_list_under_a_numbered_item_is_not_the_agenda() -> None:
    text = "T\n2021-09-08\n1. Intro\n   1. a\n   2. b\n   3. c\n2. AOB\n"
    minutes = parse_minutes(_text(text))
    assert [i.title for i in minutes.items] == ["Intro", "AOB"]
    assert [n.text for n in minutes.items[0].notes] == ["a", "b", "c"]


# --- day headers of multi-day meetings ----------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Monday 8 November 2021", dt.date(2021, 11, 8)),
        ("Tuesday, 9 Nov", dt.date(2021, 11, 9)),
        ("Mardi 9 novembre", dt.date(2021, 11, 9)),
        ("ven. 14 janv.", dt.date(2022, 1, 14)),
        ("Fri, December 10", dt.date(2021, 12, 10)),
        ("Wednesday 10 November:", dt.date(2021, 11, 10)),
        ("9 Nov", None),
        ("Tuesday, 9 Nov: WP2 status", None),
        ("Mark Allen", None),
        ("Marc 9 November", None),
    ],
)
def test_day_header(text: str, expected: dt.date | None) -> None:
    assert day_header(text, dt.date(2021, 11, 8)) == expected


def test_a_range_of_days_dates_the_meeting_on_its_first_day() -> None:
    assert find_date("WP3 workshop (14-16 March 2025)") == dt.date(2025, 3, 14)
    assert find_date("20–22 June 2022") == dt.date(2022, 6, 20)


def test_a_day_header_inside_an_item_is_a_note() -> None:
    text = "TC\n2021-11-08\n\n    • 10:00 11:00\n      Status 1h\n        Tuesday, 9 Nov\n"
    (item,) = parse_minutes(_text(text)).items
    assert item.start == dt.datetime(2021, 11, 8, 10, 0)
    assert [n.text for n in item.notes] == ["Tuesday, 9 Nov"]
