"""Indico HTML: fragments to note lines, and saved event pages through read -> redact -> parse."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from escape_kg.api import KnowledgeGraph
from escape_kg.errors import ParseError, SourceError
from escape_kg.model import ParsedMinutes
from escape_kg.parse import parse_minutes
from escape_kg.redact import redact
from escape_kg.sources import detect_format, read_bytes, read_source
from escape_kg.sources.htmltext import html_fragment_to_lines

DATA = Path(__file__).parent / "data" / "indico"
LIMIT = 10_000_000
DAY = dt.date(2027, 5, 12)


def _parse(name: str) -> ParsedMinutes:
    return parse_minutes(redact(read_source(DATA / name, max_bytes=LIMIT)))


def _rows(parsed: ParsedMinutes) -> list[tuple[str, str, str | None, str | None, str | None]]:
    return [
        (
            item.number,
            item.title,
            item.start.strftime("%H:%M") if item.start else None,
            item.end.strftime("%H:%M") if item.end else None,
            str(item.duration) if item.duration else None,
        )
        for item in parsed.all_items()
    ]


def _people(parsed: ParsedMinutes, number: str) -> list[tuple[str, str | None, str]]:
    item = next(i for i in parsed.all_items() if i.number == number)
    return [(s.name, s.affiliation, s.role) for s in item.speakers]


def _notes(parsed: ParsedMinutes, number: str) -> list[tuple[str, int]]:
    item = next(i for i in parsed.all_items() if i.number == number)
    return [(n.text, n.depth) for n in item.notes]


# --- fragments -----------------------------------------------------------


def test_fragment_lists_nest_with_bullets_numbers_and_indentation() -> None:
    html = (
        "<p>Hello&nbsp;<strong>all</strong></p><ul><li>A<ul><li>A1</li>"
        "<li><p>A2</p><p>more</p></li></ul></li><li>B</ul><ol><li>one<li>two</ol>"
    )
    assert html_fragment_to_lines(html) == [
        "Hello all",
        "• A",
        "  • A1",
        "  • A2",
        "    more",
        "• B",
        "1. one",
        "2. two",
    ]


def test_fragment_breaks_tables_entities_and_narrow_spaces() -> None:
    html = (
        "<p>x<br>9:00\u202fAM &amp; R&eacute;union</p>"
        "<table><tr><th>WP</th><th>State</th></tr><tr><td>WP2</td><td><p>ok</p></td></tr></table>"
        "<script>alert(1)</script><style>p {}</style><pre>l1\nl2</pre>"
    )
    assert html_fragment_to_lines(html) == [
        "x",
        "9:00 AM & Réunion",
        "WP | State",
        "WP2 | ok",
        "l1",
        "l2",
    ]


def test_fragment_keeps_link_text_and_drops_tokens() -> None:
    html = (
        '<p>see <a href="https://x.example/?token=1">the slides</a> and '
        '<a href="https://x.example/a?user_token=12_ab">https://x.example/a?user_token=12_ab</a>'
        ' or <a href="https://x.example/b?page=2">https://x.example/b?page=2</a></p>'
    )
    assert html_fragment_to_lines(html) == [
        "see the slides and https://x.example/a or https://x.example/b?page=2"
    ]


def test_fragment_plain_text_and_empty() -> None:
    assert html_fragment_to_lines("R&D plan\n\n  two   words ") == ["R&D plan", "two words"]
    assert html_fragment_to_lines("") == []
    assert html_fragment_to_lines("<p> </p><ul><li></li></ul>") == []


@pytest.mark.parametrize("opener", ["<div>", "<ul><li>", "<span><b>", "<table><tr><td>"])
def test_fragment_survives_ten_thousand_levels(opener: str) -> None:
    began = time.perf_counter()
    lines = html_fragment_to_lines(opener * 10_000 + "deep")
    assert [line.strip() for line in lines] in (["deep"], ["• deep"])
    assert time.perf_counter() - began < 10


# --- pages ---------------------------------------------------------------


def test_standard_view_items_speakers_and_hidden_minutes() -> None:
    parsed = _parse("standard.html")
    assert (parsed.title, parsed.date, parsed.date_origin) == (
        "WP9 Telescope Sync",
        DAY,
        "document",
    )
    assert _rows(parsed) == [
        ("1", "Welcome & news", "10:00", "10:10", "0:10:00"),
        ("2", "Round table", "10:10", "10:50", "0:40:00"),
        ("2.1", "Site A", None, None, "0:05:00"),
        ("2.2", "Site B", None, None, "0:05:00"),
        ("3", "Coffee", "10:50", "11:00", "0:10:00"),
    ]
    # The honorific ("Dr") is page furniture, not part of the name.
    assert _people(parsed, "1") == [("Nora Quillfeather", "Observatoire de Nulle-Part", "speaker")]
    assert _people(parsed, "2.2") == [
        ("Aiko Tanabe", "Nishi Institute", "speaker"),
        ("Élodie Brûlé", None, "speaker"),
    ]
    # weak-hidden minutes are read; toolbars, attachments and metadata are not.
    assert _notes(parsed, "1") == [
        ("Budget review moved to June", 0),
        ("D9.2 draft circulated", 0),
        ("comments by Friday", 1),
    ]
    assert _notes(parsed, "2.1") == [("Dish 3 back online.", 0), ("Next test on 19 May.", 0)]
    text = parsed.document.text
    for furniture in (
        "There are minutes",
        "slides.pdf",
        "Last modified",
        "Draft",
        "7-1-042",
        "Powered by",
        "Login",
        "poster.pdf",
    ):
        assert furniture not in text
    assert "Chairs: Nora Quillfeather (Observatoire de Nulle-Part)" in text
    assert "Present: Nora, Piet, Aiko" in text  # event-level minutes, in the header


def test_zoom_block_in_a_page_is_redacted() -> None:
    doc = redact(read_source(DATA / "standard.html", max_bytes=LIMIT))
    assert doc.redactions is not None
    assert doc.redactions["join-link"] == 1
    assert doc.redactions["passcode"] == 1
    assert doc.redactions["meeting-id"] == 1
    for secret in ("FaKeFaKe", "424242", "123 4567 8901"):
        assert secret not in doc.text
    assert doc.source.media_type == "text/html"
    assert doc.source.path.endswith("standard.html")


def test_print_view_12_hour_times_blocks_and_conveners() -> None:
    parsed = _parse("print-12h-block.html")
    assert (parsed.title, parsed.date) == ("Data Lake Ops", DAY)
    assert _rows(parsed) == [
        ("1", "Storage status", "09:00", "09:20", "0:20:00"),
        ("2", "Operations: Sites", "09:20", "10:30", "1:10:00"),
        ("2.1", "North site", None, None, "0:30:00"),
        ("2.2", "Short break", None, None, "0:10:00"),
    ]
    # A linked affiliation: its inline <script> JSON is dropped.
    assert _people(parsed, "1") == [("Ravi Oduya", "Lakeside Computing Centre - LCC", "speaker")]
    assert _people(parsed, "2") == [
        ("Mara Lindqvist", "Nordic Grid Lab", "convener"),
        ("Tom Okafor", "LCC", "convener"),
    ]
    assert _notes(parsed, "1") == [
        ("Quota raised to 2 PB.", 0),
        ("Migrate tape buffer", 0),
        ("Check FTS3 transfers", 0),
        ("weekly report", 1),
        ("Site | Used", 0),
        ("LCC | 71%", 0),
        ("– 14:00", 0),  # a time alone in the minutes must not open a new item
    ]
    assert _notes(parsed, "2") == [("All sites green this week.", 0)]
    assert _notes(parsed, "2.1") == [("New disk servers installed", 0)]


def test_compact_view_rows() -> None:
    parsed = _parse("compact.html")
    assert (parsed.title, parsed.date) == ("WP9 Telescope Sync", dt.date(2027, 5, 19))
    assert _rows(parsed) == [
        ("1", "Welcome", "10:00", None, None),
        ("2", "Operations", "10:10", "11:00", None),
        ("3", "Site reports", "10:15", None, None),
        ("4", "Coffee", "11:00", None, None),
        ("5", "AOB", "11:10", None, None),
    ]
    assert _people(parsed, "2") == [("Mara Lindqvist", "Nordic Grid Lab", "convener")]
    assert _people(parsed, "3") == [
        ("Piet Vandermolen", "Radio Lab Zuid", "speaker"),
        ("Aiko Tanabe", "Nishi Institute", "speaker"),
    ]
    assert "Minutes" not in parsed.document.text


def test_numbered_view_items_have_numbers_and_no_times() -> None:
    parsed = _parse("numbered.html")
    assert (parsed.title, parsed.date) == ("Réunion WP9", DAY)
    assert _rows(parsed) == [
        ("1", "Introduction", None, None, None),
        ("2", "Tour de table", None, None, None),
    ]
    assert _people(parsed, "1") == [("Nora Quillfeather", None, "speaker")]
    # An untimed sub-contribution with neither duration nor speaker stays a note.
    assert _notes(parsed, "2") == [("a) Site A", 0)]
    text = parsed.document.text
    for item in parsed.items:
        assert text[item.title_span.start : item.title_span.end] == item.title


def test_numbered_list_in_a_numbered_page_header_is_not_the_agenda() -> None:
    page = (DATA / "numbered.html").read_text(encoding="utf-8")
    described = page.replace(
        '<div class="event-body">',
        '<div class="event-description"><ol><li>Goals</li><li>Budget</li><li>Plans</li></ol>'
        '</div><div class="event-body">',
    )
    parsed = parse_minutes(redact(read_bytes(described.encode(), "n.html", max_bytes=LIMIT)))
    assert [item.title for item in parsed.items] == ["Introduction", "Tour de table"]


def test_rendered_lines_are_what_spans_point_at() -> None:
    parsed = _parse("standard.html")
    text = parsed.document.text
    lines = text.split("\n")
    for item in parsed.all_items():
        span = item.title_span
        assert text[span.start : span.end] == item.title
        assert item.title in lines[span.line - 1]
        for speaker in item.speakers:
            assert text[speaker.span.start : speaker.span.end] == speaker.name


@pytest.mark.parametrize("name", ["standard.html", "print-12h-block.html", "compact.html"])
def test_detected_by_content_whatever_the_name(name: str) -> None:
    data = (DATA / name).read_bytes()
    assert detect_format(data, "saved-page.txt") == "html"
    assert detect_format(data, "page") == "html"
    assert read_bytes(data, "x.txt", max_bytes=LIMIT).title is not None


def test_fragment_of_an_indico_page_is_detected() -> None:
    assert detect_format(b'<div class="timetable-item">x</div>', "a") == "html"
    assert detect_format(b"<b>not a page</b>", "notes.txt") == "text"


def test_page_cut_mid_tag_keeps_what_came_before() -> None:
    data = (DATA / "standard.html").read_bytes()
    cut = data[: data.index(b'id="2-round-table"') + 5]
    parsed = parse_minutes(redact(read_bytes(cut, "cut.html", max_bytes=LIMIT)))
    assert _rows(parsed)[0] == ("1", "Welcome & news", "10:00", "10:10", "0:10:00")
    assert "<" not in parsed.document.text


def test_page_cut_before_the_timetable_is_a_parse_error() -> None:
    data = (DATA / "standard.html").read_bytes()
    cut = data[: data.index(b'<div class="event-body">') + 10]
    doc = redact(read_bytes(cut, "cut.html", max_bytes=LIMIT))
    with pytest.raises(ParseError, match="no agenda"):
        parse_minutes(doc)


def test_page_cut_in_the_head_is_a_source_error() -> None:
    data = (DATA / "standard.html").read_bytes()
    with pytest.raises(SourceError, match="no Indico event") as info:
        read_bytes(data[:40], "cut.html", max_bytes=LIMIT)
    assert info.value.hint


def test_non_event_pages_are_refused() -> None:
    with pytest.raises(SourceError, match="no Indico event"):
        read_bytes(b"<!DOCTYPE html><html><body><p>Login</p></body></html>", "x", max_bytes=LIMIT)
    access = b'<!DOCTYPE html><html><body><form id="access-key-form"></form></body></html>'
    with pytest.raises(SourceError, match="access key"):
        read_bytes(access, "x.html", max_bytes=LIMIT)


def test_deeply_nested_page_does_not_crash() -> None:
    page = (DATA / "standard.html").read_text(encoding="utf-8")
    deep = "<div>" * 10_000 + "<ul><li>" * 10_000 + "deep note" + "</li></ul>" * 10_000
    page = page.replace("<p>Dish 3 back online.</p>", deep)
    began = time.perf_counter()
    parsed = parse_minutes(redact(read_bytes(page.encode(), "deep.html", max_bytes=LIMIT)))
    assert time.perf_counter() - began < 20
    site_a = next(i for i in parsed.all_items() if i.number == "2.1")
    assert site_a.notes[0].text == "deep note"


@pytest.mark.parametrize(
    "name", ["standard.html", "print-12h-block.html", "compact.html", "numbered.html"]
)
def test_each_sample_is_imported(name: str) -> None:
    kg = KnowledgeGraph.memory()
    assert kg.ingest(DATA / name).status == "imported"


def test_multi_day_page_dates_each_day_and_keeps_the_chair() -> None:
    parsed = _parse("multiday.html")
    assert parsed.date == dt.date(2025, 3, 14)
    assert [(i.title, i.start, i.end) for i in parsed.items] == [
        ("Welcome", dt.datetime(2025, 3, 14, 9, 0), dt.datetime(2025, 3, 14, 9, 30)),
        ("Closing", dt.datetime(2025, 3, 15, 11, 0), dt.datetime(2025, 3, 15, 12, 0)),
    ]
    assert "Chairs: Nora Quist (CNRS-LAPP)" in parsed.document.text
