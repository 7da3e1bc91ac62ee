"""Reader for iCalendar (.ics) files as Indico exports events: bytes -> SourceDocument.

An Indico calendar has no agenda and no minutes: one VEVENT per event with
SUMMARY, DTSTART/DTEND (UTC "Z", or a TZID parameter), LOCATION, URL and a
DESCRIPTION whose first part may be "Speakers: ...". We render it as a
one-item meeting in the timetable layout ``parse/text.py`` reads: the title,
then a single timed item named after the event, its people, and the
description as notes. Times are shown in the event's zone when the file names
one (TZID, X-WR-TIMEZONE); otherwise they stay in UTC and the text says so.
No library is needed for this subset of RFC 5545 (unfolding, escapes, dates).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from escape_kg.errors import SourceError
from escape_kg.model import SourceDocument
from escape_kg.sources.text import decode_text, source_ref
from escape_kg.sources.timetable import (
    BODY,
    ITEM,
    duration_text,
    format_speakers,
    heading_date,
    load_zone,
    safe_line,
)

__all__ = ["read_ics"]

_HINT = "export the event again from Indico (/event/ID/event.ics) and save the whole file"
_STAMP = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z?))?$")
_UNESCAPE = re.compile(r"\\([\\;,nN])")
_URL_QUERY = re.compile(r"\?.*$")


@dataclass(frozen=True, slots=True)
class _Prop:
    name: str
    params: dict[str, str]
    value: str
    line: int


@dataclass
class _Component:
    name: str
    line: int
    props: list[_Prop] = field(default_factory=list)
    children: list[_Component] = field(default_factory=list)

    def first(self, name: str) -> _Prop | None:
        return next((prop for prop in self.props if prop.name == name), None)


def _unfold(text: str) -> list[tuple[int, str]]:
    """Logical lines with the file line number where each begins (RFC 5545 3.1 folding)."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        if raw[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + raw[1:])
        elif raw.strip():
            out.append((number, raw))
    return out


def _split(line: str, number: int, path: str) -> _Prop:
    """NAME;PARAM=VALUE;PARAM="quoted:value":VALUE, colons in quotes not ending the name."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            head, value = line[:index], line[index + 1 :]
            break
    else:
        raise SourceError(
            f"line {number} is not an iCalendar property (no ':'): {line[:60]!r}",
            hint=_HINT,
            path=path,
            line=number,
        )
    name, *raw_params = head.split(";")
    params = {}
    for raw in raw_params:
        key, _, val = raw.partition("=")
        params[key.strip().upper()] = val.strip().strip('"')
    return _Prop(name.strip().upper(), params, value, number)


def _tree(text: str, path: str) -> _Component:
    root = _Component("#root", 0)
    stack = [root]
    for number, line in _unfold(text):
        prop = _split(line, number, path)
        if prop.name == "BEGIN":
            child = _Component(prop.value.strip().upper(), number)
            stack[-1].children.append(child)
            stack.append(child)
        elif prop.name == "END":
            name = prop.value.strip().upper()
            if len(stack) == 1 or stack[-1].name != name:
                raise SourceError(
                    f"line {number}: END:{name} does not close an open BEGIN:{name}",
                    hint=_HINT,
                    path=path,
                    line=number,
                )
            stack.pop()
        else:
            stack[-1].props.append(prop)
    if len(stack) > 1:
        open_one = stack[-1]
        raise SourceError(
            f"the file ends before END:{open_one.name} (BEGIN:{open_one.name} is at line "
            f"{open_one.line}); it looks cut off",
            hint=_HINT,
            path=path,
            line=open_one.line,
        )
    return root


def _unescape(value: str) -> str:
    return _UNESCAPE.sub(lambda m: "\n" if m[1] in "nN" else m[1], value)


def _stamp(prop: _Prop, zone: ZoneInfo | None, path: str) -> dt.datetime:
    """The moment of a DTSTART/DTEND as an aware datetime."""
    match = _STAMP.match(prop.value.strip())
    if match is not None and match[4] is None:
        raise SourceError(
            f"line {prop.line}: {prop.name} is a date without a time of day",
            hint="escape-kg needs the event's times; Indico always exports them",
            path=path,
            line=prop.line,
        )
    if match is None:
        raise SourceError(
            f"line {prop.line}: {prop.name} {prop.value!r} is not an iCalendar date-time",
            hint="expected 20250314T080000Z, or TZID=Europe/Zurich:20250314T090000",
            path=path,
            line=prop.line,
        )
    year, month, day, hour, minute, second, utc = match.groups()
    try:
        moment = dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError as exc:
        raise SourceError(
            f"line {prop.line}: {prop.name} {prop.value!r} is not a real date-time ({exc})",
            hint=_HINT,
            path=path,
            line=prop.line,
        ) from exc
    if utc:
        tzinfo: dt.tzinfo = dt.UTC
    elif "TZID" in prop.params:
        tzinfo = load_zone(prop.params["TZID"], path, f"{prop.name} TZID", prop.line)
    else:
        # A floating time: local time wherever the calendar is, i.e. the event's zone.
        tzinfo = zone or dt.UTC
    return moment.replace(tzinfo=tzinfo)


def _speakers(description: list[str]) -> tuple[str | None, list[str]]:
    """The "Speakers: ..." first line of an Indico DESCRIPTION as pairs, and the other lines."""
    if not description or not description[0].startswith("Speakers:"):
        return None, description
    pieces = _top_level(description[0].removeprefix("Speakers:"))
    # The legacy export writes "Last, First (affiliation)", brackets always present.
    legacy = (
        len(pieces) % 2 == 0
        and all("(" not in piece for piece in pieces[0::2])
        and all("(" in piece for piece in pieces[1::2])
    )
    people: list[tuple[str, str]] = []
    if legacy:
        for last, rest in zip(pieces[0::2], pieces[1::2], strict=True):
            first, _, aff = rest.partition("(")
            people.append((f"{first.strip()} {last.strip()}", aff.rstrip(") ")))
    else:
        for piece in pieces:
            name, _, aff = piece.partition("(")
            people.append((name.strip(), aff.rstrip(") ")))
    return format_speakers("Speaker", people), description[1:]


def _top_level(text: str) -> list[str]:
    pieces, depth, begin = [], 0, 0
    for index, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if char == "," and depth <= 0:
            pieces.append(text[begin:index].strip())
            begin = index + 1
    pieces.append(text[begin:].strip())
    return [piece for piece in pieces if piece]


def _zone_of(calendar: _Component, event: _Component, path: str) -> tuple[ZoneInfo | None, str]:
    for holder, prop_name in ((event, "DTSTART"), (calendar, "X-WR-TIMEZONE")):
        prop = holder.first(prop_name)
        if prop is None:
            continue
        name = prop.params.get("TZID") if prop_name == "DTSTART" else prop.value.strip()
        if name:
            return load_zone(name, path, prop_name, prop.line), name
    return None, "UTC"


def _event(root: _Component, path: str) -> tuple[_Component, _Component]:
    calendars = [child for child in root.children if child.name == "VCALENDAR"]
    if not calendars:
        raise SourceError(
            "this is not an iCalendar file: no BEGIN:VCALENDAR",
            hint=_HINT,
            path=path,
            line=1,
        )
    calendar = calendars[0]
    events = [child for child in calendar.children if child.name == "VEVENT"]
    if len(events) != 1:
        found = f"{len(events)} events" if events else "no event"
        raise SourceError(
            f"the calendar holds {found}; escape-kg reads one meeting (one VEVENT) per file",
            hint="export the single event: /event/ID/event.ics (not a category or "
            "contribution calendar)",
            path=path,
            line=calendar.line,
        )
    return calendar, events[0]


def read_ics(data: bytes, path: str) -> SourceDocument:
    """A SourceDocument (format "text", one timed item) from a one-event iCalendar file.

    ``title`` is the SUMMARY and ``date`` the start date in the event's zone (in
    UTC when the file names no zone; the text then says "times in UTC").
    ``origin`` keeps the UID, URL (without query string) and zone.
    Raises SourceError, with the line, for a file that is not UTF-8, not
    iCalendar, cut off, holds no event or several, or lacks SUMMARY/DTSTART.
    """
    text = decode_text(data, path)
    calendar, event = _event(_tree(text, path), path)
    summary_prop = event.first("SUMMARY")
    title = _unescape(summary_prop.value).strip() if summary_prop else ""
    start_prop = event.first("DTSTART")
    if not title or start_prop is None:
        missing = "SUMMARY" if not title else "DTSTART"
        raise SourceError(
            f"the event (BEGIN:VEVENT at line {event.line}) has no {missing}",
            hint=_HINT,
            path=path,
            line=event.line,
        )
    zone, zone_name = _zone_of(calendar, event, path)
    shown: dt.tzinfo = zone or dt.UTC
    start = _stamp(start_prop, zone, path)
    end_prop = event.first("DTEND")
    end = _stamp(end_prop, zone, path) if end_prop is not None else None
    start, end = start.astimezone(shown), end.astimezone(shown) if end else None
    naive_end = end.replace(tzinfo=None) if end else None
    header = [title, heading_date(start.replace(tzinfo=None), naive_end, zone_name)]
    if zone is None:
        header.append("Times in UTC: the calendar names no time zone for this event.")
    origin = {"source-format": "ics", "timezone": zone_name}
    for name, label, key in (("LOCATION", "Location", ""), ("URL", "URL", "url")):
        prop = event.first(name)
        value = _unescape(prop.value).strip() if prop else ""
        if key:
            # Indico calendar links may carry a user_token in their query string.
            value = _URL_QUERY.sub("", value)
        if value:
            header.append(f"{label}: {value}")
            if key:
                origin[key] = value
    uid = event.first("UID")
    if uid is not None and uid.value.strip():
        origin["uid"] = uid.value.strip()
    description_prop = event.first("DESCRIPTION")
    description = _unescape(description_prop.value).split("\n") if description_prop else []
    speakers, notes = _speakers(description)
    if speakers and origin.get("uid", "").startswith("indico-event-"):
        speakers = "Chair" + speakers.removeprefix("Speaker")  # an event lists its chairs
    body = [ITEM + f"• {start:%H:%M}" + (f" {end:%H:%M}" if end is not None else "")]
    minutes = int((end - start).total_seconds() // 60) if end and end > start else None
    body.append(BODY + (f"{title} {duration_text(minutes)}" if minutes else title))
    if speakers:
        body.append(BODY + speakers)
    body.extend(BODY + safe_line(line) if line.strip() else "" for line in notes)
    return SourceDocument(
        source=source_ref(data, path, "text/calendar"),
        format="text",
        text="\n".join([*header, "", *body, ""]),
        title=title,
        date=start.date(),
        origin=origin,
    )
