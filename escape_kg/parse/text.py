"""Parser for plain text copied from an Indico timetable page: SourceDocument -> ParsedMinutes.

The layout it reads (indentation varies, bullets may be missing)::

    • 10:20 10:45                      a top-level item: a time line ...
      Round Table 25m                  ... then "title duration"
      Orateurs: A (X), B               speaker lines right after a title
      • WP2 2m                         a sub-item: "title duration" or a bullet
        Orateur: Xavier Espinal (CERN)    followed at once by a speaker line
        • Data Lake as a Service ...   everything else in an item is a note

Minutes that number their items instead of timing them ("1. Introduction",
"2) Round table", or "• 1 Introduction 10m" as Indico's numbered view shows
them) are read too: the title is on the numbered line and the item has no
start or end. Numbered lines open items only when no line holds times (then
the agenda is a run numbered 1, 2, 3 ... at one indentation), or at the
indentation of the time lines with the item's own position as number; numbered
notes inside an item stay notes.

Lines before the first item (the Zoom block, Indico page furniture) give only
the title and, perhaps, the date.
"""

from __future__ import annotations

import datetime as dt
import re

from escape_kg.errors import ParseError
from escape_kg.model import (
    AgendaItem,
    NoteLine,
    ParsedMinutes,
    SourceDocument,
    Span,
    SpeakerMention,
)
from escape_kg.parse.dates import (
    DURATION_SUFFIX,
    date_in_name,
    find_date,
    parse_time_line,
    split_duration,
)
from escape_kg.parse.furniture import BOILERPLATE, FURNITURE, day_of_items
from escape_kg.parse.lines import Line, line_span, split_lines
from escape_kg.parse.numbered import numbered_head, numbered_starts

__all__ = ["parse_text", "split_speakers"]

_BULLET = re.compile(r"^[•·*\-◦▪‣●○](?:\s+|$)")
_MARKER = re.compile(r"^(?:[•·*\-◦▪‣●○]|\d{1,3}[.)]|[A-Za-z]\)|\([A-Za-z0-9]{1,3}\))(?:\s+|$)")
# "1. Title", "2) Title", "• 3 Title 10m", "• 4. Title": a numbered agenda item's head.
_SPEAKER = re.compile(
    r"^(?P<label>orateurs?|speakers?|presenters?|intervenants?|présentateurs?"
    r"|conveners?|convener\(s\)|chairs?|chairperson|chair\(s\)|président(?:e)?(?:\(s\))?)"
    r"\s*:\s*",
    re.IGNORECASE,
)
_ROLES = {"conven": "convener", "chair": "chair", "prési": "chair"}
_HEADER_LINES = 60


def _strip_marker(line: Line, pattern: re.Pattern[str]) -> tuple[str, int]:
    """The line's text without its bullet/number, and the offset where that text starts."""
    text = line.text
    match = pattern.match(text)
    cut = match.end() if match else 0
    return text[cut:].rstrip(), line.start + cut


def _time_line(line: Line) -> tuple[dt.time, dt.time | None] | None:
    text, _ = _strip_marker(line, _BULLET)
    return parse_time_line(text) if text else None


def _is_speaker(line: Line) -> bool:
    return _SPEAKER.match(line.text) is not None


def _role(label: str) -> str:
    for prefix, role in _ROLES.items():
        if label.lower().startswith(prefix):
            return role
    return "speaker"


def split_speakers(text: str, offset: int, line: int, role: str) -> list[SpeakerMention]:
    """Speakers in ``text`` ("A (X), B (Y (Z))"), split on commas outside parentheses.

    ``offset`` is where ``text`` starts in the document; spans point at the
    name and the affiliation as written. A missing ")" takes the affiliation
    to the end of that speaker's text. Returns them in written order.
    """
    pieces: list[tuple[int, int]] = []
    depth, begin = 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            pieces.append((begin, index))
            begin = index + 1
    pieces.append((begin, len(text)))
    speakers: list[SpeakerMention] = []
    for begin, end in pieces:
        mention = _one_speaker(text, begin, end, offset, line, role)
        if mention is not None:
            speakers.append(mention)
    return speakers


def _trimmed(text: str, begin: int, end: int) -> tuple[int, int]:
    while begin < end and text[begin].isspace():
        begin += 1
    while end > begin and text[end - 1].isspace():
        end -= 1
    return begin, end


def _one_speaker(
    text: str, begin: int, end: int, offset: int, line: int, role: str
) -> SpeakerMention | None:
    paren = text.find("(", begin, end)
    name_begin, name_end = _trimmed(text, begin, end if paren < 0 else paren)
    if name_begin == name_end:
        return None
    affiliation: str | None = None
    affiliation_span: Span | None = None
    if paren >= 0:
        depth, close = 0, end
        for index in range(paren, end):
            if text[index] == "(":
                depth += 1
            elif text[index] == ")":
                depth -= 1
                if depth == 0:
                    close = index
                    break
        aff_begin, aff_end = _trimmed(text, paren + 1, close)
        if aff_begin < aff_end:
            affiliation = text[aff_begin:aff_end]
            affiliation_span = Span(offset + aff_begin, offset + aff_end, line)
    return SpeakerMention(
        name=text[name_begin:name_end],
        affiliation=affiliation,
        span=Span(offset + name_begin, offset + name_end, line),
        affiliation_span=affiliation_span,
        role=role,
    )


def _speakers_of(line: Line) -> list[SpeakerMention]:
    match = _SPEAKER.match(line.text)
    if match is None:
        return []
    rest = line.text[match.end() :].rstrip()
    return split_speakers(rest, line.start + match.end(), line.number, _role(match["label"]))


def _take_speakers(body: list[Line]) -> tuple[list[SpeakerMention], list[Line]]:
    """Speaker lines at the head of ``body`` (blank lines between allowed), and the rest."""
    speakers: list[SpeakerMention] = []
    index = taken = 0
    while index < len(body):
        if body[index].blank:
            index += 1
            continue
        if not _is_speaker(body[index]):
            break
        speakers.extend(_speakers_of(body[index]))
        index += 1
        taken = index
    return speakers, body[taken:]


def _notes(lines: list[Line]) -> tuple[NoteLine, ...]:
    kept = [line for line in lines if not line.blank and not FURNITURE.match(line.text)]
    indents = sorted({line.indent for line in kept})
    notes: list[NoteLine] = []
    for line in kept:
        text, start = _strip_marker(line, _MARKER)
        if text:
            notes.append(
                NoteLine(
                    text, line_span(line, start, start + len(text)), indents.index(line.indent)
                )
            )
    return tuple(notes)


def _extent(lines: list[Line]) -> Span:
    filled = [line for line in lines if not line.blank]
    return Span(filled[0].start, filled[-1].end, filled[0].number)


def _is_child_start(body: list[Line], index: int, parent_indent: int) -> bool:
    line = body[index]
    if line.indent <= parent_indent or _BULLET.match(line.text) is None:
        return False
    text, _ = _strip_marker(line, _BULLET)
    if DURATION_SUFFIX.search(text) and split_duration(text)[1] is not None:
        return True
    return index + 1 < len(body) and _is_speaker(body[index + 1])


def _child(number: str, lines: list[Line]) -> AgendaItem:
    head = lines[0]
    text, start = _strip_marker(head, _BULLET)
    title, duration = split_duration(text)
    speakers, rest = _take_speakers(lines[1:])
    return AgendaItem(
        number=number,
        title=title,
        title_span=line_span(head, start, start + len(title)),
        duration=duration,
        speakers=tuple(speakers),
        notes=_notes(rest),
        span=_extent(lines),
    )


def _item_starts(lines: list[Line]) -> list[int]:
    """Indexes of the lines that open top-level items: time lines, and numbered heads."""
    timed = [i for i, line in enumerate(lines) if _time_line(line) is not None]
    if not timed:
        return numbered_starts(lines)
    indents = {lines[i].indent for i in timed}
    starts: list[int] = []
    for index, line in enumerate(lines):
        if index in timed:
            starts.append(index)
            continue
        if line.blank or line.indent not in indents or not starts:
            continue
        head = numbered_head(line)
        # Beside timed items only a head numbered as its own position is an item.
        if head is not None and head[0] == len(starts) + 1:
            starts.append(index)
    return starts


def _item(number: str, lines: list[Line], date: dt.date, path: str) -> AgendaItem:
    first = lines[0]
    times = _time_line(first)
    if times is None:
        numbered = numbered_head(first)
        assert numbered is not None  # callers pass ranges that start at a time line or a head
        head, (_, text, start), rest = first, numbered, lines[1:]
    else:
        titled = [i for i, line in enumerate(lines) if i > 0 and not line.blank]
        if not titled:
            raise ParseError(
                "agenda item has a time but no title",
                hint='put the item title, with its duration ("Introduction 10m"), on the line '
                "after the times",
                path=path,
                line=first.number,
            )
        head, rest = lines[titled[0]], lines[titled[0] + 1 :]
        text, start = head.text, head.start
    title, duration = split_duration(text)
    speakers, body = _take_speakers(rest)
    own: list[Line] = []
    children: list[AgendaItem] = []
    index = 0
    while index < len(body):
        if not _is_child_start(body, index, first.indent):
            own.append(body[index])
            index += 1
            continue
        child_indent = body[index].indent
        stop = index + 1
        while stop < len(body) and (body[stop].blank or body[stop].indent > child_indent):
            stop += 1
        children.append(_child(f"{number}.{len(children) + 1}", body[index:stop]))
        index = stop
    return AgendaItem(
        number=number,
        title=title,
        title_span=line_span(head, start, start + len(title)),
        start=dt.datetime.combine(date, times[0]) if times else None,
        end=dt.datetime.combine(date, times[1]) if times and times[1] is not None else None,
        duration=duration,
        speakers=tuple(speakers),
        notes=_notes(own),
        children=tuple(children),
        span=_extent(lines),
    )


def _title(doc: SourceDocument, header: list[Line]) -> tuple[str, Span | None]:
    if doc.title:
        return doc.title, None
    for line in header:
        text = line.text
        if (
            not text
            or text.lower() in BOILERPLATE
            or parse_time_line(text) is not None
            or (find_date(text) is not None and len(text) < 40)
        ):
            continue
        return text, line_span(line, line.start, line.end)
    raise ParseError(
        "no meeting title found before the agenda",
        hint="put the meeting title on the first line of the file",
        path=doc.source.path,
    )


def _date(doc: SourceDocument, header: list[Line], given: dt.date | None) -> tuple[dt.date, str]:
    if given is not None:
        return given, "option"
    if doc.date is not None:
        return doc.date, "document"
    for line in header[:_HEADER_LINES]:
        found = find_date(line.text)
        if found is not None:
            return found, "document"
    named = date_in_name(doc.source.path)
    if named is not None:
        return named, "file name"
    raise ParseError(
        "no meeting date found in the header or the file name",
        hint="pass --date YYYY-MM-DD or put the date in the file name "
        "(e.g. 2021-09-08-tc-minutes.txt)",
        path=doc.source.path,
    )


def parse_text(doc: SourceDocument, *, date: dt.date | None = None) -> ParsedMinutes:
    """The title, date and agenda tree of Indico timetable text in ``doc`` (already redacted).

    ``date`` overrides any date found (date_origin "option"); otherwise the
    first date in the header lines (before the first item) is used
    ("document"), then a YYYY-MM-DD in the file name ("file name").
    Items may be numbered instead of timed (see the module docstring); they
    then have no start or end. In a multi-day timetable, items after a day
    header line ("Tuesday, 9 Nov", "Mardi 9 novembre") are on that day.
    Raises ParseError when there is no agenda item, no title, no date, or an
    item with times but no title. An item ending before it starts is kept.
    """
    lines = split_lines(doc.text)
    starts = _item_starts(lines)
    if not starts:
        raise ParseError(
            "no agenda found: no line holds an item's times, and the items are not numbered",
            hint="copy the whole timetable from the Indico page, including the times of each "
            'item ("• 10:00 10:10" followed by "Introduction 10m"), or number the items '
            '("1. Introduction", "2. Round table")',
            path=doc.source.path,
        )
    header = lines[: starts[0]]
    title, title_span = _title(doc, header)
    meeting_date, origin = _date(doc, header, date)
    lines, days = day_of_items(lines, starts, meeting_date)
    bounds = [*starts, len(lines)]
    items = tuple(
        _item(str(n), lines[bounds[n - 1] : bounds[n]], days[n - 1], doc.source.path)
        for n in range(1, len(starts) + 1)
    )
    return ParsedMinutes(
        document=doc,
        title=title,
        date=meeting_date,
        date_origin=origin,
        items=items,
        title_span=title_span,
        series=_series(doc),
    )


def _series(doc: SourceDocument) -> str | None:
    # Indico files a meeting under a category ("WP3 OSSR meetings"); the meetings of one
    # category are one series, whatever each is titled.
    category = (doc.origin or {}).get("indico-category", "").strip()
    return category or None
