"""Forms of real minutes: multi-day meetings, French dates, next meetings, compound affiliations,
attendance lists, roll calls, dialogue, Indico furniture, truncated pages, category series."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from _extract_fixtures import real_lexicon
from rdflib import URIRef
from rdflib.namespace import RDF

from escape_kg.config import Settings
from escape_kg.errors import InputError
from escape_kg.extract import extract
from escape_kg.extract.dates import find_dates
from escape_kg.extract.organisations import OrgResolver
from escape_kg.importer import Pipeline
from escape_kg.model import EntityRef, Kind, Meeting
from escape_kg.parse import parse_minutes
from escape_kg.rdf.namespaces import SCHEMA
from escape_kg.redact import redact
from escape_kg.sources import read_bytes

D = dt.date
LIMIT = 10_000_000


def _meeting(text: str) -> Meeting:
    doc = redact(read_bytes(text.encode(), "minutes.txt", max_bytes=LIMIT))
    return extract(parse_minutes(doc), real_lexicon())


def _item(notes: str, *, title: str = "ESCAPE WP5 call", day: str = "2021-10-13") -> str:
    body = "\n".join(f"      {line}" for line in notes.splitlines())
    return f"{title}\n{day}\n\n    • 10:00 11:00\n      Status 1h\n{body}\n"


def _mentioned(meeting: Meeting) -> list[tuple[str, str, str | None]]:
    return [(m.exact, m.entity.key, m.item) for m in meeting.mentions]


# --- events: next meetings, French dates, relative dates -------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Next meeting: 22 Sep",
        "next TC meeting on 22 Sep",
        "the next progress call is on 22 Sep",
        "Prochaine réunion : mercredi 22 septembre",
    ],
)
def test_the_next_meeting_is_not_an_event(line: str) -> None:
    meeting = _meeting(_item(line, day="2021-09-08"))
    assert meeting.events == ()


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("du 2 au 4 novembre", D(2021, 11, 2), D(2021, 11, 4)),
        ("du 28 septembre au 1er octobre 2021", D(2021, 9, 28), D(2021, 10, 1)),
        ("2-4 novembre 2021", D(2021, 11, 2), D(2021, 11, 4)),
        ("le 19 novembre", D(2021, 11, 19), D(2021, 11, 19)),
        ("le 3 mars", D(2022, 3, 3), D(2022, 3, 3)),
        ("demain", D(2021, 10, 14), D(2021, 10, 14)),
        ("la semaine prochaine", D(2021, 10, 18), D(2021, 10, 24)),
        ("la semaine dernière", D(2021, 10, 4), D(2021, 10, 10)),
    ],
)
def test_french_dates(text: str, first: D, last: D) -> None:
    (hit,) = find_dates(text, 0, len(text), D(2021, 10, 13))
    assert (text[hit.start : hit.end], hit.first, hit.last) == (
        text.removeprefix("le "),
        first,
        last,
    )


def test_mars_the_planet_is_not_a_month() -> None:
    text = "Mars 2 rover data"
    assert find_dates(text, 0, len(text), D(2021, 10, 13)) == []


def test_french_event_phrases_name_known_and_new_events() -> None:
    meeting = _meeting(
        _item(
            "- Assemblée générale ESCAPE du 28 au 30 septembre : bilan positif\n"
            "- Réunion IVOA du 2 au 4 novembre (en ligne)\n"
            "- Atelier ESAP le 19 novembre"
        )
    )
    events = {e.ref.key: (e.start, e.end) for e in meeting.events}
    assert events["escape-ga-2021"][0] == D(2021, 9, 28)
    assert events["ivoa-interop-2021-11"] == (D(2021, 11, 2), D(2021, 11, 4))
    (atelier,) = [e for e in meeting.events if not e.known]
    assert (atelier.name, atelier.start) == ("Atelier ESAP 2021", D(2021, 11, 19))


def test_relative_dates_resolve_against_the_meeting_date() -> None:
    meeting = _meeting(
        _item(
            "- Rucio workshop tomorrow\n"
            "- EOSC Future meeting last week (1 Oct)\n"
            "- GA dinner tomorrow\n"
            "- a citizen science workshop next week",
        )
    )
    dated = {e.ref.key: e.start for e in meeting.events}
    assert dated == {
        "rucio-community-workshop-2021-10-14": D(2021, 10, 14),
        "eosc-future-meeting-2021-10-01": D(2021, 10, 1),
    }


# --- organisations: compound affiliations ----------------------------------------------


@pytest.mark.parametrize(
    ("written", "parts"),
    [
        ("LAPP IN2P3 / CNRS", ["lapp", "in2p3", "cnrs"]),
        ("CNRS-LAPP", ["cnrs", "lapp"]),
        ("CNRS/IN2P3", ["cnrs", "in2p3"]),
        ("ECAP - University of Erlangen", ["ecap", "fau"]),
        ("FAU Erlangen (ECAP)", ["fau", "ecap"]),
        ("CC-IN2P3", []),
        ("IAA-CSIC", []),
        ("INFN Perugia (Italy)", []),
        ("The Open University", []),
    ],
)
def test_parts_of_compound_affiliations(written: str, parts: list[str]) -> None:
    assert [p.ref.key for p in OrgResolver(real_lexicon()).parts(written)] == parts


def test_compound_affiliation_mentions_each_unit_and_links_the_most_specific() -> None:
    text = _item("Present: Julie")
    text = text.replace(
        "Status 1h\n", "Status 1h\n      Speaker: Julie Chaudan (LAPP IN2P3 / CNRS)\n"
    )
    meeting = _meeting(text)
    orgs = {(m.exact, m.entity.key) for m in meeting.mentions if m.entity.kind is Kind.ORGANISATION}
    assert orgs == {("LAPP IN2P3 / CNRS", "lapp"), ("IN2P3", "in2p3"), ("CNRS", "cnrs")}
    assert [(m.person.key, m.organisation.key) for m in meeting.memberships] == [
        ("julie-chaudan", "lapp")
    ]
    parents = {o.ref.key: o.parent for o in meeting.organisations}
    assert parents["lapp"] == EntityRef(Kind.ORGANISATION, "in2p3")
    assert parents["in2p3"] == EntityRef(Kind.ORGANISATION, "cnrs")


# --- attendance, roll calls, dialogue ---------------------------------------------------


def test_present_and_apologies_lists_give_people_and_affiliations() -> None:
    meeting = _meeting(
        "Réunion WP1\nmercredi 13 octobre 2021\n"
        "Présents : Giovanni Lamanna (CNRS-LAPP), Léa Dubois-Martin\n"
        "Excusés : Dr Rosie Bolton (SKAO), Antonella Bozzi\n\n"
        "    • 10:00 10:20\n      Introduction 20m\n"
        "      Apologies: John Swinbank (ASTRON)\n"
    )
    assert {p.name for p in meeting.people} == {
        "Giovanni Lamanna",
        "Léa Dubois-Martin",
        "Rosie Bolton",
        "Antonella Bozzi",
        "John Swinbank",
    }
    members = {(m.person.key, m.organisation.key, m.stated_as) for m in meeting.memberships}
    assert members == {
        ("giovanni-lamanna", "lapp", "CNRS-LAPP"),
        ("rosie-bolton", "skao", "SKAO"),
        ("john-swinbank", "astron", "ASTRON"),
    }
    assert ("Rosie Bolton", "rosie-bolton", None) in _mentioned(meeting)
    assert ("John Swinbank", "john-swinbank", "1") in _mentioned(meeting)


def test_first_names_are_matched_to_the_one_person_of_the_meeting() -> None:
    meeting = _meeting(
        _item(
            "Present: Kay, Julie, Mark, Zed\n"
            "Kay: good; the report needs an update\n"
            "Q(Julie Chaudan): is it done? A(Kay Graf): yes\n"
            "Mark Allen (CDS): registry ready\n"
            "Mark Jones: nothing"
        )
    )
    firsts = [(e, k) for e, k, _ in _mentioned(meeting) if e in {"Kay", "Julie", "Mark", "Zed"}]
    # Kay and Julie are named in full once each; two Marks make "Mark" ambiguous; no Zed.
    assert firsts == [("Kay", "kay-graf"), ("Julie", "julie-chaudan"), ("Kay", "kay-graf")]
    assert {p.name for p in meeting.people} == {
        "Kay Graf",
        "Julie Chaudan",
        "Mark Allen",
        "Mark Jones",
    }
    assert [(m.person.key, m.organisation.key) for m in meeting.memberships] == [
        ("mark-allen", "cds")
    ]
    dialogue = [m for m in meeting.mentions if m.exact == "Julie Chaudan"]
    assert [m.item for m in dialogue] == ["1"]


def test_roll_call_grouped_by_institute() -> None:
    meeting = _meeting(
        _item(
            "Roll call:\n"
            "CERN: Simone Campana, Xavier Espinal\n"
            "JIVE: Dr Aukje van der Meer\n"
            "Round Table: nothing to report\n"
            "Summary: WP2 on track"
        )
    )
    members = {(m.person.key, m.organisation.key) for m in meeting.memberships}
    assert members == {
        ("simone-campana", "cern"),
        ("xavier-espinal", "cern"),
        ("aukje-van-der-meer", "jiv-eric"),
    }
    assert {p.name for p in meeting.people} == {
        "Simone Campana",
        "Xavier Espinal",
        "Aukje van der Meer",
    }


def test_prose_after_a_label_is_not_a_list() -> None:
    meeting = _meeting(_item("Present: the whole WP2 team and some guests\nNote: Data Lake is up"))
    assert meeting.people == ()


# --- parsing: multi-day, furniture, truncation --------------------------------------------

MULTI_DAY = """ESCAPE WP3 workshop
8-9 November 2021
There are minutes attached to this event. Show them.

Monday 8 November 2021
    • 09:00 10:00
      Opening 1h
      Speaker: Ann Lee (CERN)
      There are minutes attached to this contribution.
      • all sites green

Tuesday, 9 Nov
    • 16:00 17:00
      Closing 1h
"""


def test_multi_day_text_dates_each_item_and_the_meeting_spans_the_days(tmp_path: Path) -> None:
    parsed = parse_minutes(redact(read_bytes(MULTI_DAY.encode(), "w.txt", max_bytes=LIMIT)))
    assert parsed.date == D(2021, 11, 8)
    assert [(i.title, i.start, i.end) for i in parsed.items] == [
        ("Opening", dt.datetime(2021, 11, 8, 9), dt.datetime(2021, 11, 8, 10)),
        ("Closing", dt.datetime(2021, 11, 9, 16), dt.datetime(2021, 11, 9, 17)),
    ]
    # Day headers and Indico furniture are neither notes nor items.
    assert [n.text for n in parsed.items[0].notes] == ["all sites green"]
    path = tmp_path / "w.txt"
    path.write_text(MULTI_DAY, encoding="utf-8")
    settings = Settings()
    built = Pipeline(settings.base, settings.max_bytes).build(path)
    meeting = next(built.graph.subjects(RDF.type, URIRef(f"{_ekg()}Meeting")))
    start = built.graph.value(meeting, SCHEMA.startDate)
    end = built.graph.value(meeting, SCHEMA.endDate)
    assert (str(start), str(end)) == ("2021-11-08T09:00:00", "2021-11-09T17:00:00")


def _ekg() -> str:
    from escape_kg.rdf.namespaces import EKG

    return str(EKG)


def test_pages_cut_off_anywhere_parse_or_fail_cleanly() -> None:
    text = _item(
        "Present: Kay, Julie\n"
        "Q(Julie Chaudan): is it done? A(Kay Graf): yes\n"
        "- Réunion IVOA du 2 au 4 novembre\n"
        "CERN: Simone Campana, Xavier Espinal (CERN"
    ).replace("Status 1h\n", "Status 1h\n      Speaker: Kay Graf (ECAP - FAU)\n")
    built = 0
    for cut in range(0, len(text), 3):
        try:
            doc = redact(read_bytes(text[:cut].encode(), "cut.txt", max_bytes=LIMIT))
            parsed = parse_minutes(doc)
        except InputError:
            continue  # an empty page or one without agenda: a clear error, not a crash
        meeting = extract(parsed, real_lexicon())
        for mention in meeting.mentions:
            assert doc.text[mention.span.start : mention.span.end] == mention.exact
        built += 1
    assert built > 30


# --- series from an Indico category ----------------------------------------------------


def _export(title: str, day: str, category: str) -> bytes:
    stamp = {"date": day, "time": "09:00:00", "tz": "UTC"}
    event = {
        "_type": "Conference",
        "title": title,
        "timezone": "UTC",
        "category": category,
        "startDate": stamp,
        "endDate": {"date": day, "time": "10:00:00", "tz": "UTC"},
        "contributions": [{"title": "Status", "startDate": stamp, "endDate": stamp}],
    }
    return json.dumps({"results": [event]}).encode()


def test_meetings_of_one_category_form_one_series(tmp_path: Path) -> None:
    settings = Settings()
    pipeline = Pipeline(settings.base, settings.max_bytes)
    series = []
    for name, title, day in [
        ("a.json", "OSSR onboarding call", "2021-10-01"),
        ("b.json", "WP3 focus meeting #4", "2021-10-15"),
    ]:
        path = tmp_path / name
        path.write_bytes(_export(title, day, "WP3 OSSR meetings"))
        built = pipeline.build(path)
        assert built.meeting.minutes.series == "WP3 OSSR meetings"
        meeting = next(built.graph.subjects(RDF.type, URIRef(f"{_ekg()}Meeting")))
        series.append(built.graph.value(meeting, SCHEMA.superEvent))
    assert series[0] == series[1]
    assert str(series[0]).endswith("/series/wp3-ossr")


def test_chairs_in_the_page_header_are_people_with_their_affiliation() -> None:
    data = (Path(__file__).parent / "data" / "indico" / "multiday.html").read_bytes()
    doc = redact(read_bytes(data, "multiday.html", max_bytes=LIMIT))
    meeting = extract(parse_minutes(doc), real_lexicon())
    members = {(m.person.key, m.organisation.key, m.item) for m in meeting.memberships}
    assert ("nora-quist", "lapp", "") in members
    # "Present: Nora, Olaf" on the second day names the chair and the first day's speaker.
    present = [(m.exact, m.entity.key, m.item) for m in meeting.mentions if m.span.line == 15]
    assert present == [("Nora", "nora-quist", "2"), ("Olaf", "olaf-brink", "2")]
