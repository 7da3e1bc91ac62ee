"""The plain-text timetable layout that ``parse/text.py`` reads, written by the format readers.

Readers of structured sources (Indico export JSON, iCalendar) render their
events with these helpers, so that one parser reads every format: indentation
(``ITEM``, ``BODY``, ``SUB``), durations, speaker lines, a date header line,
and note lines made safe from being read as times or sub-items.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escape_kg.errors import SourceError
from escape_kg.parse.dates import DURATION_SUFFIX, parse_time_line

__all__ = [
    "BODY",
    "ITEM",
    "SUB",
    "duration_text",
    "format_speakers",
    "heading_date",
    "load_zone",
    "safe_line",
]

ITEM = "    "
"""Indentation of an item's time line ("    • 10:00 10:10")."""
BODY = "      "
"""Indentation of an item's title, speakers, notes and sub-item bullets."""
SUB = "        "
"""Indentation of a sub-item's speakers and notes."""
_BULLETS = "•·*-◦▪‣●○"


def safe_line(text: str) -> str:
    """``text`` made harmless as a note line of the timetable layout.

    A note that is only a time ("10:00 - 10:30") would start a new item, and a
    bulleted note ending in a duration ("• Discussion 10m") would start a
    sub-item; a final "." stops both. Other lines come back unchanged.
    """
    stripped = text.strip()
    bullet = stripped[:1] in _BULLETS and stripped[1:2] in ("", " ", "\t")
    core = stripped[1:].strip() if bullet else stripped
    if core and (parse_time_line(core) is not None or (bullet and DURATION_SUFFIX.search(core))):
        return text.rstrip() + "."
    return text.rstrip()


def duration_text(minutes: int) -> str:
    """``minutes`` written as the timetable writes durations: "10m", "1h", "1h 30m"."""
    hours, rest = divmod(max(minutes, 0), 60)
    if hours and rest:
        return f"{hours}h {rest}m"
    return f"{hours}h" if hours else f"{rest}m"


def heading_date(start: dt.datetime, end: dt.datetime | None, zone: str) -> str:
    """A header line such as "Friday 14 March 2025, 09:00 → 12:00 (Europe/Zurich)"."""
    day = f"{start:%A} {start.day} {start:%B %Y}, {start:%H:%M}"
    if end is not None:
        day += f" → {end:%H:%M}" if end.date() == start.date() else f" → {end.day} {end:%B %Y}"
        if end.date() != start.date():
            day += f", {end:%H:%M}"
    return f"{day} ({zone})"


def format_speakers(label: str, people: Iterable[tuple[str, str]]) -> str | None:
    """A speaker line "Speakers: A (X), B" from (name, affiliation) pairs, or None if none.

    ``label`` is used as given for one person and with an "s" for several.
    Commas and brackets are removed from names, since the parser splits on them.
    """
    seen: list[str] = []
    for name, affiliation in people:
        clean = re.sub(r"[,()]+", " ", name)
        clean = " ".join(clean.split())
        if not clean:
            continue
        entry = f"{clean} ({affiliation.strip()})" if affiliation.strip() else clean
        if entry not in seen:
            seen.append(entry)
    if not seen:
        return None
    return f"{label}{'s' if len(seen) > 1 else ''}: {', '.join(seen)}"


def load_zone(name: str, path: str, where: str, line: int | None = None) -> ZoneInfo:
    """The time zone called ``name``. Raises SourceError naming ``where`` when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SourceError(
            f"unknown time zone {name!r} in {where}",
            hint="use an Olson name such as Europe/Zurich or UTC",
            path=path,
            line=line,
        ) from exc
