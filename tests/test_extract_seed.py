"""Extraction on the seed minutes, through the real parser and reference vocabulary."""

from __future__ import annotations

import datetime as dt

import pytest
from _extract_fixtures import real_lexicon, seed_minutes

from escape_kg.extract import extract
from escape_kg.model import EntityRef, Kind, Meeting

SPEAKERS = {
    "Ian Bird", "Julie Chaudan", "Xavier Espinal", "Kay Graf", "Mark Allen", "John Swinbank",
    "Stephen Serjeant", "Matthias Fuessling", "Antonella Bozzi", "Martino Romaniello",
    "Nazaret Bello Gonzalez", "Mohammad Al-Turany", "Daniele Spiga", "Harro Verkouter",
    "Jutta Schnabel", "Rosie Bolton",
}  # fmt: skip


@pytest.fixture(scope="module")
def meeting() -> Meeting:
    return extract(seed_minutes(), real_lexicon())


def org(key: str) -> EntityRef:
    return EntityRef(Kind.ORGANISATION, key)


def test_every_mention_quotes_the_redacted_text_once_per_span(meeting: Meeting) -> None:
    text = meeting.minutes.document.text
    spans = [(m.span.start, m.span.end) for m in meeting.mentions]
    assert len(spans) == len(set(spans))
    for m in meeting.mentions:
        assert text[m.span.start : m.span.end] == m.exact
        assert m.span.line == text.count("\n", 0, m.span.start) + 1


def test_people_are_the_speakers_plus_the_two_named_in_notes(meeting: Meeting) -> None:
    names = [p.name for p in meeting.people]
    assert len(names) == len(set(names))
    assert set(names) == SPEAKERS | {"Gareth Hughes", "Rob Barnsley"}
    assert "John" not in names


def test_kay_graf_speaks_at_two_items_as_one_person(meeting: Meeting) -> None:
    kay = EntityRef(Kind.PERSON, "kay-graf")
    assert {s.item for s in meeting.speakers if s.person == kay} == {"3.2", "3.13"}


def test_memberships_resolve_written_affiliations(meeting: Meeting) -> None:
    by_person = {(m.person.key, m.stated_as): m.organisation for m in meeting.memberships}
    assert by_person[("julie-chaudan", "LAPP IN2P3 / CNRS")] == org("lapp")
    assert by_person[("matthias-fuessling", "CTAO gGmbH")] == org("ctao")
    assert by_person[("stephen-serjeant", "The Open University")] == org("ou")
    assert by_person[("rosie-bolton", "Square Kilometre Array Organisation")] == org("skao")
    assert by_person[("harro-verkouter", "Joint Institute for VLBI ERIC")] == org("jiv-eric")
    assert by_person[("jutta-schnabel", "FAU Erlangen (ECAP)")] == org("ecap")
    assert by_person[("kay-graf", "ECAP - University of Erlangen")] == org("ecap")
    assert by_person[("mark-allen", "CDS/CNRS")] == org("cds")
    assert by_person[("daniele-spiga", "INFN-Perugia")] == org("infn-perugia")
    assert by_person[("daniele-spiga", "infn")] == org("infn")
    perugia = next(o for o in meeting.organisations if o.ref == org("infn-perugia"))
    assert (perugia.known, perugia.parent, perugia.written_as) == (
        False,
        org("infn"),
        ("INFN-Perugia",),
    )


def test_round_table_topics(meeting: Meeting) -> None:
    topics = {(t.item, t.entity.key) for t in meeting.topics}
    wps = {(f"3.{n - 1}", f"WP{n}") for n in range(2, 7)}
    ris = {"3.6": "ctao", "3.7": "ego", "3.8": "eso", "3.9": "est", "3.10": "fair"}
    ris |= {"3.11": "hl-lhc", "3.12": "jiv-eric", "3.13": "km3net", "3.14": "skao"}
    assert topics == wps | set(ris.items())


def test_work_packages_and_the_deliverable(meeting: Meeting) -> None:
    assert [w.identifier for w in meeting.work_packages] == ["WP2", "WP3", "WP4", "WP5", "WP6"]
    (d53,) = meeting.deliverables
    assert d53.identifier == "D5.3"
    assert d53.title == "Performance assessment of initial science platform prototype"
    assert d53.delivered == dt.date(2021, 8, 27)
    assert d53.work_package == EntityRef(Kind.WORK_PACKAGE, "WP5")


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("chep-2022", dt.date(2022, 5, 16), dt.date(2022, 5, 20)),
        ("rucio-community-workshop-2021-09-27", dt.date(2021, 9, 27), dt.date(2021, 10, 1)),
        ("adass-2021-10-24", dt.date(2021, 10, 24), dt.date(2021, 10, 28)),
        ("ivoa-interop-2021-11", dt.date(2021, 11, 2), dt.date(2021, 11, 4)),
        ("escape-ga-2021", dt.date(2021, 9, 28), None),
        ("wp5-ws2-2021", dt.date(2021, 8, 5), dt.date(2021, 8, 5)),
        ("dac21", dt.date(2021, 11, 22), dt.date(2021, 11, 26)),
        ("joint-meeting-with-wp3-2021-09-15", dt.date(2021, 9, 15), dt.date(2021, 9, 15)),
    ],
)
def test_events_with_resolved_dates(
    meeting: Meeting, key: str, start: dt.date, end: dt.date | None
) -> None:
    events = {e.ref.key: e for e in meeting.events}
    assert (events[key].start, events[key].end) == (start, end)
    assert any(m.entity == events[key].ref for m in meeting.mentions)


def test_next_meeting_is_not_an_external_event(meeting: Meeting) -> None:
    # "so next TC 13 Oct": the next Technical Coordination meeting, not an event talked about.
    assert not any(e.start == dt.date(2021, 10, 13) for e in meeting.events)
    assert not any(m.exact == "next TC" for m in meeting.mentions)


def test_chep_deadline_names_the_series_not_an_event(meeting: Meeting) -> None:
    line40 = [m for m in meeting.mentions if m.span.line == 40]
    assert [(m.exact, m.entity) for m in line40] == [("CHEP", EntityRef(Kind.EVENT_SERIES, "chep"))]
    assert not any(e.start == dt.date(2021, 11, 19) for e in meeting.events)


def test_things_named_in_notes(meeting: Meeting) -> None:
    named = {(m.exact, m.entity.key) for m in meeting.mentions}
    for pair in [
        ("EOSC-Future", "eosc-future"), ("EOSC Future", "eosc-future"),
        ("EOSC Association", "eosc-association"), ("FENIX", "fenix"), ("CSCS", "cscs"),
        ("RUCIO", "rucio"), ("rucio", "rucio"), ("FTS", "fts"), ("ESCAPE IAM", "escape-iam"),
        ("ESAP", "esap"), ("OSSR", "ossr"), ("binderhub", "binderhub"), ("Jupyter", "jupyter"),
        ("Data Lake", "data-lake"), ("CEVO", "WP4"), ("ESCAPE", "escape"),
    ]:  # fmt: skip
        assert pair in named
    assert not any(m.exact == "EOSC" for m in meeting.mentions)
    assert not any(m.exact == "ESCAPE" and m.span.line == 76 for m in meeting.mentions)


def test_mentions_know_their_item(meeting: Meeting) -> None:
    gareth = next(m for m in meeting.mentions if m.exact == "Gareth Hughes")
    assert gareth.item == "3.4"
    assert all(m.item is not None for m in meeting.mentions if m.span.line > 37)


def test_extraction_is_deterministic(meeting: Meeting) -> None:
    assert extract(seed_minutes(), real_lexicon()) == meeting
