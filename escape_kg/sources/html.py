"""Reader for Indico event pages saved as HTML: bytes -> SourceDocument in the text layout.

Handles the meeting views (``standard``, ``?print=1``, inline minutes,
numbered) and the compact table view (``nicecompact``). The page is rendered
into the plain-text layout that ``parse/text.py`` reads (in the numbered view
an entry's head is "N. Title 10m" instead of its times and title)::

    Title                                  header: title, date line, time zone,
    Friday 14 Mar 2025, 09:00 → 10:30      chairs, event description and the
    Europe/Zurich                          event-level minutes
        • 09:00 09:10                      a top-level entry: its times ...
          Welcome 10m                      ... title and duration
          Speakers: Jane Doe (CERN)        speakers / conveners, then notes
          • News 5m                        a sub-contribution (or an entry
            Speaker: Ann Lee (INFN)        nested in a session block)

The returned document's ``text`` is this rendering, and it is the text that
spans, mention offsets and report line numbers refer to (not the lines of the
HTML file); ``source`` still names the HTML file and its sha256. The format
is "text" so the text parser reads it unchanged; ``source.media_type`` is
"text/html". Minutes are read wherever the page holds them, also when CSS
hides them (``weak-hidden``); toolbars, "There are minutes attached to this
event", room lines, video-conference boxes and scripts are left out.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable

from escape_kg.errors import SourceError
from escape_kg.model import SourceDocument
from escape_kg.parse.dates import find_date, parse_time_line
from escape_kg.sources.htmltext import Element, element_lines, element_text, parse_html
from escape_kg.sources.text import decode_text, source_ref

__all__ = ["read_html", "render_page"]

# Page furniture whose text is never minutes (FORMATS: "text to exclude").
_EXCLUDED = frozenset(
    {
        "qtip-hidden-content",
        "timetable-item-actions",
        "event-actions",
        "note-actions",
        "no-note-text",
        "note-metadata",
        "days-dropdown",
        "vc-room-list",
        "event-label",
        "speaker-title",
        "toolbar",
        "js-attachment-container",
        "attachments-display-container",
        "material-list",
        "location-info",
        "reference-list",
    }
)
_ITEM_INDENT = "    "
_BODY_INDENT = "      "
_CLOCK = re.compile(r"^\d{1,2}[:h.]\d{2}(?:[\s\u202f]*[AaPp]\.?[Mm]\.?)?$")
_UNTIL = re.compile(r"\(until\s+([^)]*)\)", re.IGNORECASE)
_BREAK = re.compile(r"^-{2,}\s*(.*?)\s*-{2,}$")
_AMPM = frozenset({"am", "pm"})
# A header line that would read as a numbered agenda head ("1. Goals" in the description).
_NUMBERED_HEAD = re.compile(r"^(?:•\s+)?\d{1,3}[.)]?\s")


def _skip(element: Element) -> bool:
    return bool(element.classes & _EXCLUDED) or element.tag in ("button", "input", "form")


def _find(root: Element, *names: str) -> Element | None:
    return root.find(lambda e: e.has_class(*names))


def _text(element: Element | None) -> str:
    return element_text(element, _skip) if element is not None else ""


def _guard(line: str) -> str:
    """A note line that would read as an item's time line gets a dash in front of it."""
    bare = line.strip().removeprefix("• ").strip()
    return line.replace(bare, "– " + bare, 1) if parse_time_line(bare) is not None else line


def _block(lines: Iterable[str], indent: str) -> list[str]:
    return [_guard(indent + line) for line in lines if line.strip()]


def _note_lines(owner: Element, indent: str) -> list[str]:
    """Minutes held in ``owner`` itself (not in nested entries), as indented note lines."""
    out: list[str] = []
    for wrapper in _own_descendants(owner, "note-area-wrapper"):
        for note in wrapper.find_all(lambda e: e.has_class("note-text")):
            out.extend(_block(element_lines(note, _skip), indent))
    return out


def _own_descendants(owner: Element, name: str) -> list[Element]:
    """Descendants of ``owner`` with class ``name``, not looking inside nested entries."""
    found: list[Element] = []
    stack = list(reversed(owner.element_children()))
    while stack:
        node = stack.pop()
        if node.has_class(name):
            found.append(node)
            continue
        if node.has_class("timetable-item") or node.has_class("subcontrib-list"):
            continue
        stack.extend(reversed(node.element_children()))
    return found


def _person(span: Element) -> str:
    affiliation = _find(span, "affiliation")
    name = element_text(span, lambda e: _skip(e) or e.has_class("affiliation"))
    if name.count(",") == 1:  # "LAST, First" name formats: commas split speakers
        last, first = (part.strip() for part in name.split(","))
        name = f"{first} {last}".strip()
    aff = _text(affiliation)
    if aff and not aff.startswith("("):
        aff = f"({aff})"
    return f"{name} {aff}".strip()


def _people(holder: Element | None) -> list[str]:
    if holder is None:
        return []
    spans = [c for c in holder.element_children() if not c.has_class("label")]
    authors = holder.find_all(lambda e: e.has_class("author"))
    names = [_person(span) for span in (authors or spans)]
    return [name for name in names if name and name not in (",", "()")]


def _people_line(label: str, people: list[str], indent: str) -> list[str]:
    return [f"{indent}{label}: {', '.join(people)}"] if people else []


def _header_of(entry: Element) -> tuple[str, str]:
    title = (
        _text(_own_descendants(entry, "timetable-title")[0])
        if _own_descendants(entry, "timetable-title")
        else ""
    )
    durations = _own_descendants(entry, "timetable-duration")
    return title, _text(durations[0]) if durations else ""


def _entry_body(entry: Element, indent: str) -> list[str]:
    """Speakers or conveners, description and minutes of one entry."""
    lines: list[str] = []
    for holder in _own_descendants(entry, "speaker-list"):
        people = _people(holder)
        lines += _people_line("Speaker" if len(people) == 1 else "Speakers", people, indent)
    for holder in _own_descendants(entry, "convener-list"):
        people = _people(holder)
        lines += _people_line("Convener" if len(people) == 1 else "Conveners", people, indent)
    for description in _own_descendants(entry, "item-description"):
        lines += _block(element_lines(description, _skip), indent)
    return lines + _note_lines(entry, indent)


def _children(entry: Element) -> list[Element]:
    lists = _own_descendants(entry, "subcontrib-list") + _own_descendants(
        entry, "meeting-sub-timetable"
    )
    return [li for ul in lists for li in ul.element_children() if li.has_class("timetable-item")]


def _sub_entry(entry: Element, depth: int) -> list[str]:
    indent = _BODY_INDENT + "  " * depth
    title, duration = _header_of(entry)
    lines = [f"{indent}• {title} {duration}".rstrip()] if title else []
    lines += _entry_body(entry, indent + "  ")
    for child in _children(entry):
        lines += _sub_entry(child, depth + 1)
    return lines


def _times(entry: Element) -> str:
    cells = _own_descendants(entry, "timetable-time")
    if not cells:
        return ""
    start = _text(_find(cells[0], "start-time"))
    end = _text(_find(cells[0], "end-time"))
    return f"{start} {end}".strip()


def _top_entry(entry: Element, number: int | None = None) -> list[str]:
    """One top-level entry; ``number`` (numbered view) puts "N. title" where the times go."""
    title, duration = _header_of(entry)
    if number is not None:
        lines = [f"{_ITEM_INDENT}{number}. {title} {duration}".rstrip()]
    else:
        lines = [f"{_ITEM_INDENT}• {_times(entry)}".rstrip()]
        if title:
            lines.append(f"{_BODY_INDENT}{title} {duration}".rstrip())
    lines += _entry_body(entry, _BODY_INDENT)
    for child in _children(entry):
        lines += _sub_entry(child, 0)
    return lines


def _json_ld(root: Element) -> dict[str, object]:
    for script in root.find_all(lambda e: e.tag == "script"):
        if script.attrs.get("type") != "application/ld+json":
            continue
        try:
            data = json.loads("".join(c for c in script.children if isinstance(c, str)))
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return {}


def _title(root: Element, ld: dict[str, object]) -> str | None:
    wrapper = _find(root, "event-title")
    heading = (wrapper or root).find(lambda e: e.tag == "h1" and e.attrs.get("itemprop") == "name")
    if heading is None and wrapper is not None:
        heading = wrapper.find(lambda e: e.tag == "h1")
    text = _text(heading)
    if not text and isinstance(ld.get("name"), str):
        text = str(ld["name"]).strip()
    if not text:
        header = _find(root, "eventHeader")
        bold = (
            header.find(lambda e: e.tag in ("b", "strong") or "bold" in e.attrs.get("style", ""))
            if header is not None
            else None
        )
        text = _text(bold)
    if not text:
        page_title = _text(root.find(lambda e: e.tag == "title"))
        text = re.sub(r"\s*\([^()]*\d{4}[^()]*\).*$", "", page_title).strip()
    return text or None


def _date(root: Element, ld: dict[str, object], header_text: str) -> dt.date | None:
    start = ld.get("startDate")
    if isinstance(start, str):
        try:
            # JSON-LD dates are in the event's own zone: its date part is the meeting date.
            return dt.datetime.fromisoformat(start).date()
        except ValueError:
            pass
    found = find_date(header_text)
    if found is not None:
        return found
    day = root.find(lambda e: e.tag == "li" and e.attrs.get("id", "").startswith("day-"))
    if day is not None:
        try:
            return dt.date.fromisoformat(day.attrs["id"][4:14])
        except ValueError:
            return None
    return None


def _header_lines(root: Element, title: str | None) -> tuple[list[str], str]:
    lines = [title] if title else []
    when = _find(root, "event-time-data")
    date_text = element_text(when, lambda e: _skip(e) or e.has_class("timezone")) if when else ""
    if not date_text:
        header = _find(root, "eventHeader")
        if header is not None:
            dated = header.find(lambda e: e.tag == "div" and find_date(_text(e)) is not None)
            date_text = _text(dated)
    if date_text:
        lines.append(date_text)
    zone = _text(_find(root, "timezone"))
    if zone:
        lines.append(zone)
    chairs = _people(_find(root, "chairperson-list"))
    lines += _people_line("Chairs", chairs, "")
    for description in root.find_all(lambda e: e.has_class("event-description")):
        lines += _block(element_lines(description, _skip), "")
    section = _find(root, "event-note-section")
    if section is not None:
        for note in section.find_all(lambda e: e.has_class("note-text")):
            lines += _block(element_lines(note, _skip), "")
    return [_guard(line) for line in lines], date_text


def _compact_rows(root: Element) -> list[str]:
    """Entries of the compact view: one table row per session, contribution or break."""
    lines: list[str] = []
    for table in root.find_all(lambda e: e.has_class("dayList")):
        for row in table.find_all(lambda e: e.tag == "tr"):
            cells = [c for c in row.element_children() if c.tag in ("td", "th")]
            texts = [_text(c) for c in cells]
            clocks = [t for t in texts if _CLOCK.match(t)]
            if not clocks:
                continue
            rest = [
                c
                for c, t in zip(cells, texts, strict=True)
                if t and t not in clocks and t.lower() not in _AMPM
            ]
            if not rest:
                continue
            main = rest[0]
            speakers = _text(_find(main, "speakerList")).strip(" ,")
            text = element_text(
                main,
                lambda e: (
                    _skip(e)
                    or e.has_class("speakerList")
                    or (e.tag == "a" and e.has_class("i-button"))
                ),
            )
            until = _UNTIL.search(text)
            end = until.group(1).strip() if until else ""
            text = _UNTIL.sub("", text).strip()
            broken = _BREAK.match(text)
            title = broken.group(1) if broken else text.rstrip("-– ").strip()
            lines.append(f"{_ITEM_INDENT}• {clocks[0]} {end}".rstrip())
            lines.append(f"{_BODY_INDENT}{title}")
            label = "Conveners" if until else "Speakers"
            lines += _people_line(label, [speakers] if speakers else [], _BODY_INDENT)
    return lines


def _days(wrapper: Element, timetable: list[Element]) -> list[tuple[str, list[Element]]]:
    """The timetable by day: (day header line, its timetables); one unnamed day if single-day.

    The header line is the day title as the page shows it ("Friday 14 March"), or, when the
    page has none, the day of the ``li#day-YYYY-MM-DD`` id written out in English.
    """
    days = wrapper.find_all(lambda e: e.tag == "li" and e.attrs.get("id", "").startswith("day-"))
    if len(days) < 2:
        return [("", timetable)]
    out: list[tuple[str, list[Element]]] = []
    for day in days:
        title = _text(_find(day, "day-title"))
        if not title:
            try:
                date = dt.date.fromisoformat(day.attrs["id"][4:14])
            except ValueError:
                continue
            title = f"{date:%A} {date.day} {date:%B %Y}"
        out.append((title, day.find_all(lambda e: e.has_class("meeting-timetable"))))
    return out


def render_page(html: str) -> tuple[str, str | None, dt.date | None]:
    """The text rendering of an Indico page, with its title and date when found.

    Returns (text, title, date); the text has one trailing newline. Raises
    SourceError when the page is an access-key or login form, or holds no
    Indico event (neither an event header nor a timetable).
    """
    root = parse_html(html)
    if root.find(lambda e: e.attrs.get("id") == "access-key-form") is not None:
        raise SourceError(
            "this Indico page asks for an access key; it holds no event",
            hint="open the event in a browser, enter the key, then save the page again",
        )
    wrapper = _find(root, "event-wrapper") or root
    ld = _json_ld(root)
    title = _title(root, ld)
    timetable = wrapper.find_all(lambda e: e.has_class("meeting-timetable"))
    compact = _find(root, "dayList") is not None
    if title is None and not timetable and not compact:
        raise SourceError(
            "no Indico event found in this HTML page (no event title, no timetable)",
            hint="save the event page itself (/event/<id>/, or with ?print=1), not a login, "
            "category or search page",
        )
    starts = [_text(cell) for cell in wrapper.find_all(lambda e: e.has_class("start-time"))]
    # The numbered view shows running numbers where times go: render "N. title" heads,
    # which the text parser reads as untimed items.
    numbered = bool(starts) and all(start.isdigit() for start in starts)
    header, date_text = _header_lines(wrapper, title)
    if numbered:
        # Otherwise a numbered list in the description would be taken for the agenda.
        header = [f"– {line}" if _NUMBERED_HEAD.match(line) else line for line in header]
    body: list[str] = []
    position = 0
    for day_line, uls in _days(wrapper, timetable):
        if day_line:
            body += ["", day_line]
        for ul in uls:
            for entry in ul.element_children():
                if entry.has_class("timetable-item"):
                    position += 1
                    body += _top_entry(entry, position if numbered else None)
    if compact:
        body += _compact_rows(root)
    text = "\n".join([*header, "", *body]) + "\n"
    return text, title, _date(root, ld, date_text)


def read_html(data: bytes, path: str) -> SourceDocument:
    """A SourceDocument (format "text", media type text/html) from a saved Indico event page.

    ``title`` and ``date`` are set from the page when found. Raises
    SourceError for undecodable bytes and for pages without an Indico event
    (see ``render_page``); ``path`` is attached to the error.
    """
    html = decode_text(data, path)
    try:
        text, title, date = render_page(html)
    except SourceError as exc:
        exc.path = path
        raise
    return SourceDocument(
        source=source_ref(data, path, "text/html"),
        format="text",
        text=text,
        title=title,
        date=date,
    )
