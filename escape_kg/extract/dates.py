"""Calendar dates written in notes ("2-4 November", "28 Sep", "next week"), resolved to dates."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["DateHit", "find_dates", "resolve_day_month"]

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12, "janv": 1, "févr": 2, "fevr": 2, "avr": 4, "juil": 7,
    "déc": 12,
}  # fmt: skip
# French month names that are also English words are read only in French phrases.
_FRENCH_ONLY = frozenset({"mars", "mai"})

_FULL = sorted((m for m in _MONTHS if len(m) > 4 or m in ("may", "june", "july")), key=len)
_ABBR = sorted((m for m in _MONTHS if m not in _FULL), key=len)
# Full names before abbreviations, longest first; only abbreviations take a dot ("Sept.").
_M = rf"(?:{'|'.join(reversed(_FULL))}|(?:{'|'.join(reversed(_ABBR))})\.?)"
_D = r"(?<![\d.,:/+])(?:[0-3]?\d)(?:st|nd|rd|th|er)?(?![\d:])"
_Y = r"(?:19|20)\d\d(?!\d)"
_TO = r"\s*(?:-|–|—|to|until|till)\s*"

# Each form names its groups: d1 m1 y1 (start) and d2 m2 y2 (end); "week" marks a week.
_FORMS = [
    # French: "du 2 au 4 novembre", "du 28 septembre au 1er octobre 2021".
    rf"(?P<fr>du)\s+(?P<d1>{_D})(?:\s+(?P<m1>{_M})(?:\s+(?P<y1>{_Y}))?)?\s+au\s+(?P<d2>{_D})"
    rf"\s+(?P<m2>{_M})(?:\s+(?P<y2>{_Y}))?",
    rf"(?P<d1>{_D})\s+(?P<m1>{_M})(?:,?\s+(?P<y1>{_Y}))?{_TO}(?P<d2>{_D})\s+(?P<m2>{_M})"
    rf"(?:,?\s+(?P<y2>{_Y}))?",
    rf"(?P<m1>{_M})\s+(?P<d1>{_D})(?:,?\s+(?P<y1>{_Y}))?{_TO}(?P<m2>{_M})\s+(?P<d2>{_D})"
    rf"(?:,?\s+(?P<y2>{_Y}))?",
    rf"(?P<d1>{_D}){_TO}(?P<d2>{_D})\s+(?P<m2>{_M})(?:,?\s+(?P<y2>{_Y}))?",
    rf"(?P<m2>{_M})\s+(?P<d1>{_D}){_TO}(?P<d2>{_D})(?:,?\s+(?P<y2>{_Y}))?",
    rf"(?P<week>week\s+of\s+(?:the\s+)?)(?P<d1>{_D})\s+(?P<m1>{_M})(?:,?\s+(?P<y1>{_Y}))?",
    rf"(?P<week>week\s+of\s+(?:the\s+)?)(?P<m1>{_M})\s+(?P<d1>{_D})(?:,?\s+(?P<y1>{_Y}))?",
    rf"(?P<d1>{_D})\s+(?:of\s+)?(?P<m1>{_M})(?:,?\s+(?P<y1>{_Y}))?",
    rf"(?P<m1>{_M})\s+(?P<d1>{_D})(?:,?\s+(?P<y1>{_Y}))?",
]
_PATTERNS = [re.compile(rf"(?<!\w){form}(?!\w)", re.IGNORECASE) for form in _FORMS]
# Every absolute form has a digit and a month, so a stretch without a digit or without the
# first three letters of a month skips them all; likewise for the relative words. The few
# non-ASCII letters case-insensitive ``re`` takes for ASCII ones are folded to them first.
_MONTH_STEMS = tuple(sorted({m[:3] for m in _MONTHS}))
_RELATIVE_WORDS = ("week", "tomorrow", "today", "yesterday", "semaine", "demain", "hier")
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_DIGIT = re.compile(r"\d")
# Where an absolute form can start: a day number, a month or "week", after a non-word.
_STEMS = "|".join(sorted({m[:3] for m in _MONTHS} | {"week", "du"}))
_FORM_START = re.compile(rf"(?<!\w)(?:\d|{_STEMS})", re.IGNORECASE)
_RELATIVE = re.compile(
    r"(?<!\w)(?:(?:next|last|this)\s+week|tomorrow|today|yesterday"
    r"|(?:la\s+)?semaine\s+(?:prochaine|derni[èe]re)|(?:cette|la\s+m[êe]me)\s+semaine"
    r"|demain|aujourd'hui|hier)(?!\w)",
    re.I,
)
_RELATIVE_DAYS = {
    "tomorrow": 1, "today": 0, "yesterday": -1, "demain": 1, "aujourd'hui": 0, "hier": -1,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class DateHit:
    """``text[start:end]`` names the days ``first``..``last``; ``relative`` for "next week"."""

    start: int
    end: int
    first: dt.date
    last: dt.date
    relative: bool = False


def resolve_day_month(day: int, month: int, ref: dt.date, year: int | None = None) -> dt.date:
    """The date of ``day`` ``month`` written without a year, seen from ``ref``.

    The year is the one putting the date within about six months of ``ref`` (minutes talk
    about the coming months and the recent past). Raises ValueError for impossible dates.
    """
    if year is not None:
        return dt.date(year, month, day)
    best: dt.date | None = None
    for y in (ref.year, ref.year - 1, ref.year + 1):
        try:
            cand = dt.date(y, month, day)
        except ValueError:
            continue
        if best is None or abs((cand - ref).days) < abs((best - ref).days):
            best = cand
        if -183 <= (cand - ref).days <= 183:
            return cand
    if best is None:
        raise ValueError(f"no such day: {day}/{month}")
    return best


def _day(text: str | None) -> int | None:
    return int(re.sub(r"\D", "", text)) if text else None


def _month(text: str | None) -> int | None:
    # Folded: case-insensitive matching lets "ſep" (long s) or "aprıl" through as months.
    return _MONTHS[text.rstrip(".").translate(_FOLD).lower()] if text else None


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _from_match(m: re.Match[str], ref: dt.date) -> tuple[dt.date, dt.date] | None:
    g = m.groupdict()
    d1, d2 = _day(g.get("d1")), _day(g.get("d2"))
    m1, m2 = _month(g.get("m1")), _month(g.get("m2"))
    y1, y2 = _day(g.get("y1")), _day(g.get("y2"))
    months = [w for w in (g.get("m1"), g.get("m2")) if w is not None]
    if any(w.islower() and w.startswith("may") for w in months):
        return None  # "may" in lower case is the verb
    if not g.get("fr") and any(w.lower() in _FRENCH_ONLY and not w.islower() for w in months):
        return None  # French months are written in lower case; "Mars" is the planet
    if m1 is None:
        m1 = m2
    if d1 is None or m1 is None:
        return None
    if d2 is None or m2 is None:
        first = resolve_day_month(d1, m1, ref, y1)
        if g.get("week"):
            return _monday(first), _monday(first) + dt.timedelta(days=6)
        return first, first
    if y1 is None and y2 is not None:
        y1 = y2 if (m1, d1) <= (m2, d2) else y2 - 1
    first = resolve_day_month(d1, m1, ref, y1)
    last = dt.date(y2, m2, d2) if y2 is not None else dt.date(first.year, m2, d2)
    if last < first and y2 is None:
        last = dt.date(first.year + 1, m2, d2)
    return (first, last) if last >= first else None


def _relative(word: str, ref: dt.date) -> tuple[dt.date, dt.date]:
    lowered = " ".join(word.translate(_FOLD).lower().split())
    if lowered in _RELATIVE_DAYS:
        day = ref + dt.timedelta(days=_RELATIVE_DAYS[lowered])
        return day, day
    if lowered.startswith(("la ", "cette")):
        lowered = lowered.split(" ", 1)[1] if lowered.startswith("la ") else lowered
    if lowered.startswith("semaine"):
        weeks = 1 if lowered.endswith("prochaine") else -1
    elif "semaine" in lowered:
        weeks = 0
    else:
        weeks = {"next week": 1, "last week": -1, "this week": 0}[lowered]
    monday = _monday(ref) + dt.timedelta(weeks=weeks)
    return monday, monday + dt.timedelta(days=6)


def find_dates(text: str, start: int, end: int, ref: dt.date) -> list[DateHit]:
    """Dates written in ``text[start:end]``, resolved against ``ref``; no overlaps, by position.

    Absolute forms: "16-20 May 2022", "2-4 November", "27 September - 01 October",
    "May 16, 2022 to May 20, 2022", "28 Sep", "August 5th", "week of 21 February 2022" (its
    Monday to Sunday), French "du 2 au 4 novembre", "2-4 novembre 2021", "le 19 novembre",
    "1er octobre". Relative forms: "tomorrow", "today", "yesterday", "next/last/this week",
    French "demain", "hier", "la semaine prochaine/dernière", "cette semaine".
    """
    found: list[DateHit] = []
    folded = text[start:end].translate(_FOLD).lower()
    absolute = _DIGIT.search(text, start, end) and any(s in folded for s in _MONTH_STEMS)
    # Each form is tried only where one can start, skipping what its previous match covered:
    # the same matches as scanning the whole stretch with it, for a fraction of the work.
    starts = [m.start() for m in _FORM_START.finditer(text, start, end)] if absolute else []
    for pattern in _PATTERNS if starts else ():
        reach = start
        for pos in starts:
            if pos < reach or (m := pattern.match(text, pos, end)) is None:
                continue
            reach = m.end()
            try:
                days = _from_match(m, ref)
            except ValueError:
                continue
            if days is not None:
                found.append(DateHit(m.start(), m.end(), days[0], days[1]))
    relative = any(word in folded for word in _RELATIVE_WORDS)
    for m in _RELATIVE.finditer(text, start, end) if relative else ():
        first, last = _relative(m.group(0), ref)
        found.append(DateHit(m.start(), m.end(), first, last, relative=True))
    kept: list[DateHit] = []
    for hit in sorted(found, key=lambda h: (h.start - h.end, h.start)):
        if all(hit.end <= k.start or hit.start >= k.end for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)
