"""Indico export JSON and iCalendar readers: read_source -> redact -> parse_minutes, and import."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from escape_kg.api import KnowledgeGraph
from escape_kg.errors import SourceError
from escape_kg.model import AgendaItem, ParsedMinutes
from escape_kg.parse import parse_minutes
from escape_kg.redact import redact
from escape_kg.sources import READERS, detect_format, read_bytes, read_source
from escape_kg.sources.timetable import safe_line

DATA = Path(__file__).parent / "data" / "indico"
LIMIT = 1_000_000
SAMPLES = ("event-contributions.json", "event-sessions.json", "event-utc.ics", "event-tzid.ics")


def parsed(name: str) -> ParsedMinutes:
    return parse_minutes(redact(read_source(DATA / name, max_bytes=LIMIT)))


def at(day: str, clock: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{clock}")


def people(item: AgendaItem) -> list[tuple[str, str | None, str]]:
    return [(s.name, s.affiliation, s.role) for s in item.speakers]


def notes(item: AgendaItem) -> list[str]:
    return [note.text for note in item.notes]


def test_both_readers_are_registered() -> None:
    assert READERS["indico-json"].__name__ == "read_indico_json"
    assert READERS["ics"].__name__ == "read_ics"


@pytest.mark.parametrize(
    ("name", "saved_as", "expected"),
    [
        ("event-contributions.json", "export.json", "indico-json"),
        ("event-sessions.json", "event", "indico-json"),
        ("event-contributions.json", "minutes.txt", "indico-json"),
        ("event-utc.ics", "calendar.txt", "ics"),
        ("event-tzid.ics", "event", "ics"),
    ],
)
def test_detect_format_by_content(name: str, saved_as: str, expected: str) -> None:
    assert detect_format((DATA / name).read_bytes(), saved_as) == expected


def test_other_json_is_not_taken_for_indico() -> None:
    assert detect_format(b'{"name": "x"}', "data.json") == "json"
    with pytest.raises(SourceError, match="unsupported format 'json'"):
        read_bytes(b'{"name": "x"}', "data.json", max_bytes=LIMIT)


def test_json_contributions_items_times_speakers_notes() -> None:
    minutes = parsed("event-contributions.json")
    assert minutes.title == "WP9 Fortnightly Meeting"
    assert minutes.date == dt.date(2025, 3, 14)
    intro, table, aob = minutes.items  # sorted by time; the unscheduled one left out
    # 08:00 UTC in the export is 09:00 in the event's zone (Europe/Zurich, CET).
    assert (intro.title, intro.start, intro.end) == (
        "Introduction",
        at("2025-03-14", "09:00"),
        at("2025-03-14", "09:10"),
    )
    assert intro.duration == dt.timedelta(minutes=10)
    assert people(intro) == [("Jane Doe", "CERN", "speaker")]
    # A lone time and a bulleted duration in the notes do not become items.
    assert notes(intro) == ["Deadline for abstracts: 19 March", "Budget 10m", "10:30."]
    assert (table.title, table.start) == ("Round table", at("2025-03-14", "09:10"))
    assert notes(table) == ["General remarks from the chair."]
    wp2, wp5 = table.children
    assert (wp2.number, wp2.title, wp2.duration) == ("2.1", "WP2", dt.timedelta(minutes=5))
    assert people(wp2) == [("Anna Müller", "LAPP IN2P3 / CNRS", "speaker")]
    assert notes(wp2) == ["Data lake tests done", "Next: D2.4 review"]
    assert people(wp5) == [("John Roe", "ASTRON", "speaker")]
    # Primary authors stand in when no speaker is flagged; an empty note is no note.
    assert people(aob) == [("John Roe", None, "speaker")]
    assert notes(aob) == []


def test_json_origin_and_secrets() -> None:
    doc = redact(read_source(DATA / "event-contributions.json", max_bytes=LIMIT))
    assert doc.format == "text"
    assert doc.source.media_type == "application/json"
    assert doc.origin is not None
    assert doc.origin["indico-event-id"] == "4711"
    assert doc.origin["indico-category"] == "WP9 meetings"
    assert doc.origin["indico-category-id"] == "901"
    assert doc.origin["timezone"] == "Europe/Zurich"
    assert doc.origin["url"] == "https://indico.example.org/event/4711/"
    assert "pwd=" not in doc.text and "12345678901" not in doc.text
    assert "00000000-0000" not in doc.text and "ak=" not in str(doc.origin)
    assert doc.redactions is not None and doc.redactions["join-link"] == 1


def test_json_sessions_converted_from_request_zone() -> None:
    minutes = parsed("event-sessions.json")
    assert minutes.date == dt.date(2025, 10, 8)
    welcome, morning, afternoon = minutes.items
    # 16:00 Asia/Tokyo (the request zone) is 09:00 in Europe/Paris (CEST).
    assert (welcome.start, welcome.end) == (at("2025-10-08", "09:00"), at("2025-10-08", "09:15"))
    assert notes(welcome) == ["Welcome by the host; agenda approved."]
    assert morning.title == "Storage: Morning"
    assert (morning.start, morning.end) == (at("2025-10-08", "09:15"), at("2025-10-08", "11:15"))
    assert people(morning) == [("Marco Rossi", "INFN", "convener")]
    assert notes(morning) == ["Session notes: FTS upgrade agreed."]
    rucio, qos = morning.children  # contributions of the block, by start time
    assert (rucio.title, rucio.duration) == ("Rucio status", dt.timedelta(hours=1))
    assert people(qos) == [("Petra Novak", "CESNET", "speaker")]
    assert notes(qos) == ["Results in the shared folder.", "Demo 10m"]
    # 23:30-00:45 in Tokyo is 16:30-17:45 on the same day in Paris.
    assert (afternoon.start, afternoon.end) == (
        at("2025-10-08", "16:30"),
        at("2025-10-08", "17:45"),
    )
    # The session note is on every block in the export; it is kept once. The
    # compiled event note repeats item notes and is left out.
    assert notes(afternoon) == []
    assert people(afternoon) == [("Marco Rossi", "INFN", "convener")]
    assert "Copied notes" not in minutes.document.text


def test_json_event_note_becomes_a_minutes_item() -> None:
    event = {
        "_type": "Conference",
        "id": "9",
        "title": "ESCAPE Executive Board",
        "timezone": "Europe/Zurich",
        "startDate": {"date": "2025-06-02", "time": "14:00:00", "tz": "Europe/Zurich"},
        "endDate": {"date": "2025-06-02", "time": "15:30:00", "tz": "Europe/Zurich"},
        "chairs": [{"fullName": "Doe, Jane", "affiliation": "CERN"}],
        "note": {"html": "<p>Present: all WP leaders</p><ul><li>WP3 report accepted</li></ul>"},
    }
    doc = read_bytes(json.dumps({"results": [event]}).encode(), "eb.json", max_bytes=LIMIT)
    [item] = parse_minutes(redact(doc)).items
    assert (item.title, item.duration) == ("Minutes", dt.timedelta(hours=1, minutes=30))
    assert people(item) == [("Jane Doe", "CERN", "chair")]
    assert notes(item) == ["Present: all WP leaders", "WP3 report accepted"]


def test_ics_utc_kept_and_said() -> None:
    minutes = parsed("event-utc.ics")
    doc = minutes.document
    assert doc.source.media_type == "text/calendar"
    assert "Times in UTC" in doc.text
    assert (minutes.title, minutes.date) == ("WP9 Fortnightly Meeting", dt.date(2025, 3, 14))
    [item] = minutes.items
    assert (item.title, item.start, item.end) == (
        "WP9 Fortnightly Meeting",
        at("2025-03-14", "08:00"),
        at("2025-03-14", "09:00"),
    )
    # An event's calendar lists its chairpersons under "Speakers:".
    assert people(item) == [
        ("Jane Doe", "CERN", "chair"),
        ("Anna Müller", "LAPP IN2P3 / CNRS", "chair"),
    ]
    # Folded lines are unfolded and \; \, \n unescaped; the Zoom link is redacted.
    assert notes(item) == [
        "Fortnightly status of WP9; see the agenda for D9.1.",
        "https://indico.example.org/event/4711/",
        "Zoom: [redacted join-link]",
    ]
    assert "Location: 4/3-006 - TH Conference Room (CERN)" in doc.text
    assert doc.origin is not None and doc.origin["uid"] == "indico-event-4711@indico.example.org"


def test_ics_tzid_converted_to_the_event_zone() -> None:
    minutes = parsed("event-tzid.ics")
    [item] = minutes.items
    # DTSTART in Europe/Paris; DTEND in UTC (10:30Z) shown in Paris time.
    assert (item.start, item.end) == (at("2025-12-03", "09:30"), at("2025-12-03", "11:30"))
    assert item.duration == dt.timedelta(hours=2)
    # The legacy export writes "Last, First (affiliation)" with empty brackets.
    assert people(item) == [
        ("Steve Serjeant", "The Open University", "speaker"),
        ("Antonella Bozzi", None, "speaker"),
    ]
    assert notes(item)[0] == "Planning of the hands-on demo; see WP6 notes."
    doc = minutes.document
    assert "Times in UTC" not in doc.text
    assert "user_token" not in doc.text and doc.origin is not None
    assert doc.origin["url"] == "https://indico.example.org/event/6100/contributions/3/"
    assert doc.origin["timezone"] == "Europe/Paris"


def test_broken_json_names_the_line(tmp_path: Path) -> None:
    whole = (DATA / "event-contributions.json").read_text(encoding="utf-8")
    cut = tmp_path / "cut.json"
    kept = whole[: whole.index('"title": "Round table"')]
    cut.write_text(kept, encoding="utf-8")
    with pytest.raises(SourceError) as info:
        read_source(cut, max_bytes=LIMIT)
    expected = kept.count("\n") + 1  # the file ends on this line
    assert info.value.line == expected
    assert f"not valid JSON at line {expected}" in info.value.message
    assert "cut off" in info.value.message
    assert info.value.hint


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b'{"results": [], "count": 0}', "holds no event"),
        (b'{"message": "Not authenticated"}', "Not authenticated"),
        (b'{"results": [{"_type": "Conference", "id": "1"}]}', "has no title"),
        (
            b'{"results": [{"_type": "Conference", "title": "T", "timezone": "Mars/Base",'
            b' "startDate": {"date": "2025-01-01", "time": "10:00:00", "tz": "UTC"}}]}',
            "unknown time zone 'Mars/Base'",
        ),
    ],
)
def test_json_refusals(payload: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        read_bytes(payload, "e.json", max_bytes=LIMIT, fmt="indico-json")


def test_json_event_over_several_days_dates_each_day() -> None:
    def on(day: str) -> dict[str, object]:
        stamp = {"date": day, "time": "09:00:00", "tz": "UTC"}
        return {"title": day, "startDate": stamp, "endDate": stamp}

    event = {
        "_type": "Conference",
        "title": "Workshop",
        "timezone": "UTC",
        "startDate": {"date": "2025-05-05", "time": "09:00:00", "tz": "UTC"},
        "contributions": [on("2025-05-05"), on("2025-05-06")],
    }
    doc = read_bytes(json.dumps(event).encode(), "w.json", max_bytes=LIMIT)
    assert "\nTuesday 6 May 2025\n" in doc.text
    parsed = parse_minutes(redact(doc))
    assert parsed.date == dt.date(2025, 5, 5)
    starts = [(i.title, i.start) for i in parsed.all_items()]
    assert starts == [
        ("2025-05-05", dt.datetime(2025, 5, 5, 9, 0)),
        ("2025-05-06", dt.datetime(2025, 5, 6, 9, 0)),
    ]


def test_truncated_ics_names_the_open_event(tmp_path: Path) -> None:
    lines = (DATA / "event-utc.ics").read_text(encoding="utf-8").splitlines()
    cut = tmp_path / "cut.ics"
    cut.write_text("\n".join(lines[:7]), encoding="utf-8")
    with pytest.raises(SourceError, match="ends before END:VEVENT") as info:
        read_source(cut, max_bytes=LIMIT)
    assert info.value.line == 4  # where BEGIN:VEVENT is


def test_bad_ics_date_names_its_line() -> None:
    data = (
        b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nDTSTART:2025-03-14 08:00\n"
        b"END:VEVENT\nEND:VCALENDAR\n"
    )
    with pytest.raises(SourceError, match="line 4: DTSTART") as info:
        read_bytes(data, "e.ics", max_bytes=LIMIT)
    assert info.value.line == 4


def test_ics_with_several_events_is_refused() -> None:
    event = b"BEGIN:VEVENT\nSUMMARY:x\nDTSTART:20250314T080000Z\nEND:VEVENT\n"
    data = b"BEGIN:VCALENDAR\n" + event * 2 + b"END:VCALENDAR\n"
    with pytest.raises(SourceError, match="holds 2 events"):
        read_bytes(data, "cat.ics", max_bytes=LIMIT)


def test_safe_line_only_touches_lines_that_would_change_structure() -> None:
    assert safe_line("10:00 - 10:30") == "10:00 - 10:30."
    assert safe_line("  • Discussion 10m") == "  • Discussion 10m."
    assert safe_line("2. Budget 10m") == "2. Budget 10m"
    assert safe_line("Meeting at 10:00 in room 4") == "Meeting at 10:00 in room 4"


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_imports(name: str) -> None:
    outcome = KnowledgeGraph.memory().ingest(DATA / name)
    assert outcome.error is None
    assert outcome.status == "imported"
