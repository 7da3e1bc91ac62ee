"""Pure helpers for clock times (24 h / 12 h), durations ("1h 15m") and dates (en/fr)."""

from __future__ import annotations

import datetime as dt
import re

__all__ = [
    "DURATION_SUFFIX",
    "TIME_LINE",
    "date_in_name",
    "day_header",
    "find_date",
    "parse_clock",
    "parse_duration",
    "parse_time_line",
    "split_duration",
]

# Indico puts a narrow no-break space (U+202F) or a no-break space between the
# time and AM/PM in 12-hour locales; plain spaces and none at all also occur.
_GAP = r"[ \t\u00a0\u202f]"
_CLOCK = rf"\d{{1,2}}[:h]\d{{2}}(?:{_GAP}*(?:[AaPp]\.?[Mm]\.?))?"
_CLOCK_PARTS = re.compile(
    rf"^(?P<h>\d{{1,2}})[:h](?P<m>\d{{2}})(?:{_GAP}*(?P<ampm>[AaPp])\.?[Mm]\.?)?$"
)

TIME_LINE = re.compile(
    rf"^(?P<start>{_CLOCK})(?:{_GAP}*(?:[-–—→>]|->|to|à){_GAP}*|{_GAP}+)?"
    rf"(?P<end>{_CLOCK})?{_GAP}*$"
)
"""A line holding only a start time and optionally an end time ("10:00 10:10")."""

DURATION_SUFFIX = re.compile(
    rf"{_GAP}+(?P<duration>(?:(?P<h>\d{{1,2}}){_GAP}*h(?:{_GAP}*(?P<hm>\d{{1,2}}){_GAP}*m)?"
    rf"|(?P<m>\d{{1,3}}){_GAP}*m)(?:in)?)$"
)
"""A duration at the end of a title line: " 10m", " 1h", " 1h 15m", " 1h15m"."""

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan janvier janv",
        "february feb feb. février fevrier févr fevr",
        "march mar mars",
        "april apr avril avr",
        "may mai",
        "june jun juin",
        "july jul juillet juil",
        "august aug août aout",
        "september sep sept septembre",
        "october oct octobre",
        "november nov novembre",
        "december dec décembre decembre déc",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name.rstrip(".")] = _number

_MONTH = r"(?P<month>[A-Za-zéûÉÛ]{3,9})\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th|er)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # "14-16 March 2025", "20–22 June 2022": a range of days starts on its first day.
    re.compile(
        rf"(?<![\w.]){_DAY}{_GAP}*[-–—]{_GAP}*\d{{1,2}}(?:st|nd|rd|th|er)?{_GAP}+{_MONTH}"
        rf",?{_GAP}+{_YEAR}(?!\d)",
        re.IGNORECASE,
    ),
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?!\d)"),
    re.compile(rf"(?<![\d.])(?P<day>\d{{1,2}})[./](?P<month>\d{{1,2}})[./]{_YEAR}(?!\d)"),
    re.compile(rf"(?<!\w){_DAY}{_GAP}+{_MONTH},?{_GAP}+{_YEAR}(?!\d)", re.IGNORECASE),
    re.compile(rf"(?<!\w){_MONTH}{_GAP}+{_DAY},?{_GAP}+{_YEAR}(?!\d)", re.IGNORECASE),
)
_NAME_DATE = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)[-_](?P<month>\d\d)[-_](?P<day>\d\d)(?!\d)")


def parse_clock(text: str) -> dt.time:
    """The time of day written as "10:00", "9:05 PM", "9:05\\u202fpm" or "10h30".

    12-hour times map 12:xx AM to 00:xx and 12:xx PM to 12:xx.
    Raises ValueError when the text is not a time or is out of range
    (hour 24, minute 60, "0:30 AM", "13:00 PM").
    """
    match = _CLOCK_PARTS.match(text.strip())
    if match is None:
        raise ValueError(f"not a clock time: {text!r}")
    hour, minute = int(match["h"]), int(match["m"])
    if minute > 59:
        raise ValueError(f"minute out of range in {text!r}")
    ampm = match["ampm"]
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise ValueError(f"12-hour time with hour {hour} in {text!r}")
        hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
    elif hour > 23:
        raise ValueError(f"hour out of range in {text!r}")
    return dt.time(hour, minute)


def parse_time_line(text: str) -> tuple[dt.time, dt.time | None] | None:
    """(start, end or None) when ``text`` is only a time or a time range, else None.

    Accepts "10:00 10:10", "10:00 - 10:10", "10:00 AM 10:10 AM", "9:05 PM".
    Returns None (rather than raising) for text that is not a time line or
    holds an impossible time such as "25:00", since such a line is then a note.
    """
    match = TIME_LINE.match(text.strip())
    if match is None:
        return None
    try:
        start = parse_clock(match["start"])
        end = parse_clock(match["end"]) if match["end"] else None
    except ValueError:
        return None
    return start, end


def parse_duration(text: str) -> dt.timedelta | None:
    """The duration written as "10m", "2m", "1h", "1h 15m", "1h15m" or "25min"; else None."""
    match = DURATION_SUFFIX.search(" " + text.strip())
    if match is None or match.start() != 0:
        return None
    return _duration_of(match)


def _duration_of(match: re.Match[str]) -> dt.timedelta:
    if match["h"] is not None:
        return dt.timedelta(hours=int(match["h"]), minutes=int(match["hm"] or 0))
    return dt.timedelta(minutes=int(match["m"]))


def split_duration(line: str) -> tuple[str, dt.timedelta | None]:
    """Split "Round Table 25m" into ("Round Table", 25 minutes).

    Returns the line without trailing white space and None when it does not
    end in a duration, or when nothing would be left of the title.
    """
    text = line.rstrip()
    match = DURATION_SUFFIX.search(text)
    if match is None:
        return text, None
    title = text[: match.start()].rstrip()
    if not title:
        return text, None
    return title, _duration_of(match)


def _build(year: str, month: str, day: str) -> dt.date | None:
    number = int(month) if month.isdigit() else _MONTHS.get(month.lower().rstrip("."))
    if number is None:
        return None
    try:
        return dt.date(int(year), number, int(day))
    except ValueError:
        return None


def find_date(text: str) -> dt.date | None:
    """The first valid calendar date written in ``text``, or None.

    Understands "2021-09-08", "08.09.2021" and "08/09/2021" (day first),
    "Wednesday 8 September 2021", "8 Sep 2021", "September 8, 2021", and
    French "mercredi 8 septembre 2021" / "1er octobre 2021". Impossible dates
    ("31.02.2021") are skipped. Raises nothing.
    """
    found: list[tuple[int, dt.date]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            date = _build(match["year"], match["month"], match["day"])
            if date is not None:
                found.append((match.start(), date))
                break
    return min(found)[1] if found else None


# Weekdays as day headers write them, in English and French, full or abbreviated.
_WEEKDAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"
    r"|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    r"|lun|mar|mer|jeu|ven|sam|dim)\.?"
)
_DAY_HEADERS = (
    # "Monday 8 November 2021", "Tuesday, 9 Nov", "Mardi 9 novembre", "ven. 14 mars"
    re.compile(
        rf"^(?:{_WEEKDAY},?{_GAP}+)?{_DAY}\.?{_GAP}+(?:de{_GAP}+)?{_MONTH}(?:,?{_GAP}+{_YEAR})?$",
        re.IGNORECASE,
    ),
    # "Fri, March 14", "Friday March 14, 2025"
    re.compile(
        rf"^(?:{_WEEKDAY},?{_GAP}+)?{_MONTH}{_GAP}+{_DAY}(?:,?{_GAP}+{_YEAR})?$", re.IGNORECASE
    ),
)


def day_header(text: str, after: dt.date) -> dt.date | None:
    """The day named by a day-header line of a multi-day timetable, else None.

    A header is the whole line: a weekday (English or French, maybe abbreviated) and a day and
    month ("Tuesday, 9 Nov", "Mardi 9 novembre", "Fri, March 14"), or a full date with its year
    ("Monday 8 November 2021"); a day and month alone is not a header. Without a year, the day
    is taken on or after ``after`` (the meeting's first day) within a year. Raises nothing.
    """
    line = text.strip().rstrip(":").strip()
    if len(line) > 40:
        return None
    for pattern in _DAY_HEADERS:
        match = pattern.match(line)
        if match is None:
            continue
        has_weekday = re.match(_WEEKDAY + r"(?![^\W\d_])", line, re.IGNORECASE) is not None
        if not has_weekday and match["year"] is None:
            return None
        if match["year"] is not None:
            return _build(match["year"], match["month"], match["day"])
        for year in (after.year, after.year + 1):
            found = _build(str(year), match["month"], match["day"])
            if found is not None and found >= after:
                return found
        return None
    return None


def date_in_name(path: str) -> dt.date | None:
    """The date written as YYYY-MM-DD (or YYYY_MM_DD) in the file name of ``path``, or None."""
    name = re.split(r"[\\/]", path)[-1]
    for match in _NAME_DATE.finditer(name):
        date = _build(match["year"], match["month"], match["day"])
        if date is not None:
            return date
    return None
