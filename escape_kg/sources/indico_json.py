"""Reader for Indico's export API JSON (/export/event/ID.json): bytes -> SourceDocument.

The event is rendered in the plain-text timetable layout that ``parse/text.py``
reads (see that module), so every reader feeds the same parser::

    WP3 weekly                                   title
    Friday 14 March 2025, 09:00 → 12:00 (Europe/Zurich)
        • 09:00 09:10                            a contribution (or a session block)
          Welcome 10m
          Speakers: Jane Doe (CERN)
          notes, from the note HTML
          • Report 2m                            a sub-contribution (or a contribution
            Speaker: John Roe (LAPP)             inside a session block)

Times are converted from the request time zone of each date object to the
event's own ``timezone``. The event-level note becomes a first item "Minutes"
spanning the whole event, unless it is a compilation of the item notes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from escape_kg.errors import SourceError
from escape_kg.model import SourceDocument
from escape_kg.sources.htmltext import html_fragment_to_lines
from escape_kg.sources.text import decode_text, source_ref
from escape_kg.sources.timetable import (
    BODY,
    ITEM,
    SUB,
    duration_text,
    format_speakers,
    heading_date,
    load_zone,
    safe_line,
)

__all__ = ["read_indico_json"]

_HINT = (
    "export the event again from Indico (/export/event/ID.json?detail=contributions) "
    "and save the whole answer"
)
_COMPILED = re.compile(r"^\s*<h1>\s*●", re.IGNORECASE)


HtmlToLines = Callable[[str], list[str]]


@dataclass
class _Ctx:
    path: str
    zone: ZoneInfo
    to_lines: HtmlToLines
    item_notes: bool = False

    def error(self, message: str, where: str) -> SourceError:
        return SourceError(f"{message} (at {where})", hint=_HINT, path=self.path)


@dataclass
class _Entry:
    start: dt.datetime
    end: dt.datetime | None
    lines: list[str]


def _obj(value: object, ctx: _Ctx, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ctx.error(f"expected a JSON object, found {type(value).__name__}", where)
    return value


def _list(obj: dict[str, object], key: str, ctx: _Ctx, where: str) -> list[object]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ctx.error(f"{key!r} should be a list", where)
    return value


def _str(obj: dict[str, object], key: str) -> str:
    value = obj.get(key)
    return value.strip() if isinstance(value, str) else ""


def _when(obj: dict[str, object], key: str, ctx: _Ctx, where: str) -> dt.datetime | None:
    value = obj.get(key)
    if value is None:
        return None
    stamp = _obj(value, ctx, f"{where}.{key}")
    try:
        day = dt.date.fromisoformat(_str(stamp, "date"))
        clock = dt.time.fromisoformat(_str(stamp, "time") or "00:00:00")
    except ValueError as exc:
        raise ctx.error(f"{key} is not a date and time: {exc}", where) from exc
    zone_name = _str(stamp, "tz")
    zone = load_zone(zone_name, ctx.path, f"{where}.{key}") if zone_name else ctx.zone
    # The date object is in the *request* time zone; the timetable reads in the event's.
    aware = dt.datetime.combine(day, clock, tzinfo=zone).astimezone(ctx.zone)
    return aware.replace(tzinfo=None)


def _person(raw: object) -> tuple[str, str]:
    if not isinstance(raw, dict):
        return "", ""
    first = _str(raw, "first_name") or _str(raw, "firstName")
    last = _str(raw, "last_name") or _str(raw, "familyName")
    name = f"{first} {last}".strip()
    if not name:
        full = _str(raw, "fullName") or _str(raw, "name")
        last_part, comma, first_part = full.partition(",")
        name = f"{first_part.strip()} {last_part.strip()}".strip() if comma else full
    return name, _str(raw, "affiliation")


def _people(obj: dict[str, object], *keys: str) -> list[tuple[str, str]]:
    """The persons of the first of ``keys`` that lists any."""
    for key in keys:
        value = obj.get(key)
        if isinstance(value, list) and value:
            return [_person(raw) for raw in value]
    return []


def _note_html(obj: dict[str, object]) -> str:
    note = obj.get("note")
    if isinstance(note, dict):
        html = note.get("html")
        if isinstance(html, str) and html.strip():
            return html
    return ""


def _notes(obj: dict[str, object], indent: str, ctx: _Ctx) -> list[str]:
    html = _note_html(obj)
    if not html:
        return []
    ctx.item_notes = True
    return [indent + safe_line(line) if line.strip() else "" for line in ctx.to_lines(html)]


def _minutes(start: dt.datetime | None, end: dt.datetime | None, raw: object) -> int | None:
    if start is not None and end is not None and end > start:
        return int((end - start).total_seconds() // 60)
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else None


def _title_line(title: str, minutes: int | None) -> str:
    return f"{title} {duration_text(minutes)}" if minutes is not None else title


def _sub_items(obj: dict[str, object], ctx: _Ctx, where: str, indent: str) -> list[str]:
    """Sub-contributions as bulleted sub-items under ``indent`` (their body 2 deeper)."""
    lines: list[str] = []
    for index, raw in enumerate(_list(obj, "subContributions", ctx, where)):
        sub = _obj(raw, ctx, f"{where}.subContributions[{index}]")
        title = _str(sub, "title") or "(untitled)"
        duration = sub.get("duration")
        speakers = format_speakers("Speaker", _people(sub, "speakers"))
        minutes = duration if isinstance(duration, int) and not isinstance(duration, bool) else 0
        # Without a duration or a speaker line the parser would read the bullet as a note.
        shown = minutes if minutes > 0 or speakers is None else None
        lines.append(f"{indent}• {_title_line(title, shown)}")
        if speakers:
            lines.append(f"{indent}  {speakers}")
        lines.extend(_notes(sub, indent + "  ", ctx))
    return lines


def _contribution(raw: object, ctx: _Ctx, where: str) -> _Entry | None:
    contrib = _obj(raw, ctx, where)
    start = _when(contrib, "startDate", ctx, where)
    if start is None:
        return None  # unscheduled: not in the timetable
    end = _when(contrib, "endDate", ctx, where)
    lines = [f"{ITEM}• {start:%H:%M}" + (f" {end:%H:%M}" if end is not None else "")]
    title = _str(contrib, "title") or "(untitled)"
    lines.append(BODY + _title_line(title, _minutes(start, end, contrib.get("duration"))))
    speakers = format_speakers("Speaker", _people(contrib, "speakers", "primaryauthors"))
    if speakers:
        lines.append(BODY + speakers)
    lines.extend(_notes(contrib, BODY, ctx))
    lines.extend(_sub_items(contrib, ctx, where, BODY))
    return _Entry(start, end, lines)


def _nested_contribution(raw: object, ctx: _Ctx, where: str) -> tuple[dt.datetime, list[str]]:
    contrib = _obj(raw, ctx, where)
    start = _when(contrib, "startDate", ctx, where)
    end = _when(contrib, "endDate", ctx, where)
    title = _str(contrib, "title") or "(untitled)"
    lines = [f"{BODY}• {_title_line(title, _minutes(start, end, contrib.get('duration')) or 0)}"]
    speakers = format_speakers("Speaker", _people(contrib, "speakers", "primaryauthors"))
    if speakers:
        lines.append(SUB + speakers)
    lines.extend(_notes(contrib, SUB, ctx))
    # One level of sub-items is all the layout has, so these become note lines.
    lines.extend(_sub_items(contrib, ctx, where, SUB))
    return start or dt.datetime.max, lines


def _block(raw: object, ctx: _Ctx, where: str, noted: set[str]) -> _Entry | None:
    block = _obj(raw, ctx, where)
    start = _when(block, "startDate", ctx, where)
    if start is None:
        return None
    end = _when(block, "endDate", ctx, where)
    session = block.get("session")
    session_obj = session if isinstance(session, dict) else {}
    title = _str(block, "title") or _str(session_obj, "title") or "(session)"
    lines = [f"{ITEM}• {start:%H:%M}" + (f" {end:%H:%M}" if end is not None else "")]
    lines.append(BODY + _title_line(title, _minutes(start, end, None)))
    conveners = format_speakers(
        "Convener", _people(block, "conveners") or _people(session_obj, "sessionConveners")
    )
    if conveners:
        lines.append(BODY + conveners)
    # The session's note is repeated on each of its blocks: keep it once.
    key = str(session_obj.get("id", title))
    if key not in noted:
        noted.add(key)
        lines.extend(_notes(block, BODY, ctx))
    nested = [
        _nested_contribution(item, ctx, f"{where}.contributions[{index}]")
        for index, item in enumerate(_list(block, "contributions", ctx, where))
    ]
    for _, contribution_lines in sorted(nested, key=lambda pair: pair[0]):
        lines.extend(contribution_lines)
    return _Entry(start, end, lines)


def _event_of(payload: object, ctx: _Ctx) -> dict[str, object]:
    if isinstance(payload, list):
        results: object = payload
    elif isinstance(payload, dict) and payload.get("_type") == "Conference":
        return payload
    elif isinstance(payload, dict) and "results" in payload:
        results = payload["results"]
        if "message" in payload and not results:
            raise ctx.error(f"Indico answered with an error: {payload['message']}", "message")
    elif isinstance(payload, dict) and "message" in payload:
        raise SourceError(
            f"Indico answered with an error, not an event: {payload['message']}",
            hint=_HINT,
            path=ctx.path,
        )
    else:
        raise SourceError(
            'this JSON is not an Indico event export (no "results" list)',
            hint=_HINT,
            path=ctx.path,
        )
    if not isinstance(results, list) or not results:
        raise SourceError(
            "the export holds no event (Indico silently leaves out events you may not see)",
            hint="export it with an API token that may read the event, adding onlyauthed=yes",
            path=ctx.path,
        )
    if len(results) > 1:
        raise SourceError(
            f"the export holds {len(results)} events; escape-kg reads one meeting per file",
            hint="export each event on its own: /export/event/ID.json",
            path=ctx.path,
        )
    return _obj(results[0], ctx, "results[0]")


def _clean_url(url: str) -> str:
    # Query strings of Indico URLs may carry ak=/signature=/user_token= values.
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _origin(event: dict[str, object], zone: str) -> dict[str, str]:
    origin = {"source-format": "indico-json", "timezone": zone}
    for key, name in (
        ("id", "indico-event-id"),
        ("category", "indico-category"),
        ("categoryId", "indico-category-id"),
        ("type", "indico-event-type"),
    ):
        value = event.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            origin[name] = str(value).strip()
    url = _str(event, "url")
    if url:
        origin["url"] = _clean_url(url)
    return origin


def _render(event: dict[str, object], ctx: _Ctx, zone_name: str) -> tuple[str, str, dt.date]:
    title = _str(event, "title")
    if not title:
        raise ctx.error("the event has no title", "results[0].title")
    start = _when(event, "startDate", ctx, "results[0]")
    if start is None:
        raise ctx.error("the event has no start date", "results[0].startDate")
    end = _when(event, "endDate", ctx, "results[0]")
    entries: list[_Entry] = []
    unscheduled = 0
    for index, raw in enumerate(_list(event, "contributions", ctx, "results[0]")):
        entry = _contribution(raw, ctx, f"results[0].contributions[{index}]")
        if entry is None:
            unscheduled += 1
        else:
            entries.append(entry)
    noted: set[str] = set()
    for index, raw in enumerate(_list(event, "sessions", ctx, "results[0]")):
        block = _block(raw, ctx, f"results[0].sessions[{index}]", noted)
        if block is not None:
            entries.append(block)
    # Indico gives contributions in database order.
    entries.sort(key=lambda entry: (entry.start, entry.end or entry.start))
    chairs = format_speakers("Chair", _people(event, "chairs"))
    note = _note_html(event)
    # A compiled event note repeats the item notes, which are already rendered.
    duplicate = bool(_COMPILED.match(note)) and ctx.item_notes
    if (note and not duplicate) or not entries:
        lines = [f"{ITEM}• {start:%H:%M}" + (f" {end:%H:%M}" if end is not None else "")]
        item_title = "Minutes" if note and not duplicate else title
        lines.append(BODY + _title_line(item_title, _minutes(start, end, None)))
        if chairs:
            lines.append(BODY + chairs)
        if not duplicate:
            lines.extend(_notes(event, BODY, ctx))
        entries.insert(0, _Entry(start, end, lines))
    header = [title, heading_date(start, end, zone_name)]
    if chairs:
        header.append(f"Chaired by {chairs.split(': ', 1)[1]}")
    for key, label in (("location", "Venue"), ("roomFullname", "Room")):
        if _str(event, key):
            header.append(f"{label}: {_str(event, key)}")
    if unscheduled:
        header.append(f"({unscheduled} contributions not in the timetable are left out)")
    description = _str(event, "description")
    if description:
        header.extend(safe_line(line) for line in ctx.to_lines(description))
    body: list[str] = []
    # Over several days, a day header line before each day's first entry tells the parser
    # which day the entries under it are on ("Tuesday 6 May 2025").
    several = any(e.start.date() != start.date() for e in entries)
    day: dt.date | None = None
    for entry in entries:
        if several and entry.start.date() != day:
            day = entry.start.date()
            body += ["", f"{day:%A} {day.day} {day:%B %Y}"]
        body += entry.lines
    return title, "\n".join([*header, "", *body, ""]), start.date()


def read_indico_json(
    data: bytes, path: str, *, to_lines: HtmlToLines | None = None
) -> SourceDocument:
    """A SourceDocument (format "text", in the timetable layout) from an Indico export.

    Accepts the API envelope (``{"results": [event], ...}``), a list of events
    or a bare event object, holding exactly one event. ``title`` and ``date``
    (in the event's time zone) are set; ``origin`` keeps the event id, category,
    time zone and page URL (without query string). ``to_lines`` turns note
    HTML into text lines (default: ``sources.htmltext.html_fragment_to_lines``).
    Raises SourceError for bytes that are not UTF-8 JSON (with the line and
    column), an error answer, no event or several, or a malformed event.
    """
    text = decode_text(data, path)
    if text.lstrip().startswith("//"):
        # JSONP: "// fetched from Indico\nfn(<json>);"
        body = text.split("\n", 1)[1] if "\n" in text else ""
        text = "\n" + body[body.find("(") + 1 : body.rfind(")")]
    try:
        payload: object = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            + (" (the file looks cut off)" if exc.pos >= len(text.rstrip()) else ""),
            hint=_HINT,
            path=path,
            line=exc.lineno,
        ) from exc
    except RecursionError as exc:  # the decoder recurses once per nested [ or {
        raise SourceError(
            "the JSON is nested too deeply to be an Indico export", hint=_HINT, path=path
        ) from exc
    bootstrap = _Ctx(path, ZoneInfo("UTC"), to_lines or html_fragment_to_lines)
    event = _event_of(payload, bootstrap)
    zone_name = _str(event, "timezone")
    if not zone_name:
        start = event.get("startDate")
        zone_name = _str(start, "tz") if isinstance(start, dict) else ""
    zone_name = zone_name or "UTC"
    ctx = _Ctx(path, load_zone(zone_name, path, "results[0].timezone"), bootstrap.to_lines)
    title, rendered, day = _render(event, ctx, zone_name)
    return SourceDocument(
        source=source_ref(data, path, "application/json"),
        format="text",
        text=rendered,
        title=title,
        date=day,
        origin=_origin(event, zone_name),
    )
