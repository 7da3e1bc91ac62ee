"""What is page furniture or layout rather than minutes: Indico boilerplate and day headers."""

from __future__ import annotations

import datetime as dt
import re

from escape_kg.parse.dates import day_header
from escape_kg.parse.lines import Line

__all__ = ["BOILERPLATE", "FURNITURE", "day_of_items"]

# Lines of an Indico page that are never the meeting title.
BOILERPLATE = frozenset(
    {
        "indico",
        "skip to main content",
        "home",
        "login",
        "log in",
        "logout",
        "search",
        "enter your search term",
        "timetable",
        "contribution list",
        "overview",
        "minutes",
        "description",
        "my profile",
        "create event",
        "room booking",
        "help",
        "contact",
        "powered by indico",
        "english (united kingdom)",
        "français (france)",
        "europe/zurich",
        "europe/paris",
    }
)
# Indico page furniture copied along with the minutes: never a note.
FURNITURE = re.compile(
    r"^(?:there\s+are\s+minutes\s+attached\s+to\s+this\s+(?:event|contribution|session)\.?"
    r"(?:\s+(?:show|hide)\s+them\.?)?|(?:show|hide)\s+them\.?|minutes|go\s+to\s+day"
    r"|[A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?\s+time\s*zone|(?:edit|delete|print|pdf|full\s+screen"
    r"|detailed\s+view|filter|export)(?:\s*[|·]\s*\w+)*)$",
    re.IGNORECASE,
)


def day_of_items(
    lines: list[Line], starts: list[int], first_day: dt.date
) -> tuple[list[Line], list[dt.date]]:
    """The lines with day headers blanked, and the day of each item start.

    A day header ("Tuesday, 9 Nov") is a line of its own, no deeper than the item lines, that
    names a day; the items after it (until the next header) take place on that day.
    """
    indent = min(lines[i].indent for i in starts)
    day, out, days = first_day, list(lines), []
    begin = set(starts)
    for index, line in enumerate(lines):
        if index in begin:
            days.append(day)
            continue
        if line.blank or line.indent > indent:
            continue
        found = day_header(line.text, first_day)
        if found is not None:
            day = found
            # Blank, not removed: line numbers and offsets must stay those of the text.
            out[index] = Line(line.number, line.offset, "")
    return out, days
