"""Events named in notes ("IVOA meeting 2-4 November", "Réunion IVOA du 2 au 4 novembre").

Dates are resolved against the meeting's date; the next meeting of the minutes' own series
("next TC 13 Oct", "Prochaine réunion : 10 novembre") is not an external event.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from escape_kg.extract.cache import per_lexicon
from escape_kg.extract.dates import DateHit, find_dates
from escape_kg.extract.matching import Hit
from escape_kg.extract.things import EVENT_WORDS, derived_aliases, initialisms
from escape_kg.model import EntityRef, Event, Kind, Lexicon, LexiconEntry
from escape_kg.rdf.iris import slugify

__all__ = ["EventFinder", "EventHit"]

_KW = "|".join(sorted(EVENT_WORDS - {"assembly", "days"}))
# One to three name tokens (the first capitalised or an acronym), at most one lower-case word,
# then an event word: "IVOA meeting", "Rucio community workshop", "SKAO CEVO provenance meeting".
_KW_HEAD = re.compile(
    rf"(?<![\w\-])(?P<name>(?:[A-Z0-9][\w+\-]*\s+){{1,3}}?(?:[a-z]+\s+)?)(?P<kw>{_KW})(?!\w)"
)
# French puts the event word first: "Réunion IVOA", "Atelier ESAP", "Assemblée générale ESCAPE".
_FR_KW = {
    "réunion": "meeting",
    "atelier": "workshop",
    "conférence": "conference",
    "colloque": "conference",
    "école": "school",
    "symposium": "symposium",
    "assemblée générale": "assembly",
    "journées": "days",
}
_FR_EN_WORDS = {"assemblée générale": "General Assembly"}
_FR_HEAD = re.compile(
    rf"(?<![\w\-])(?P<kw>(?i:{'|'.join(_FR_KW)}))\s+(?:(?:de\s+la|du|des|de)\s+|(?:de\s+l|d)['’])?"
    r"(?P<name>[A-Z0-9][\w+\-]*(?:\s+[A-Z0-9][\w+\-]*){0,2})"
)
_ACRONYM_YEAR = re.compile(r"(?<![\w\-])[A-Z][A-Za-z]*[A-Z]\s+(?:19|20)\d\d(?!\w)")
_YEAR_AFTER = re.compile(r"\s+((?:19|20)\d\d)(?!\w)")
_YEAR_IN = re.compile(r"(?<!\w)(?:19|20)\d\d(?!\w)")
_WITH = re.compile(r"\s+with\s+(?:WP\s*\d{1,2}|[A-Z][\w\-]+)(?!\w)")
_NOT_NAME_TEXT = """next last this the a an recent preparation preparations after brief important
then our first second further"""
_NOT_NAME = frozenset(_NOT_NAME_TEXT.split())
_MONTH_TEXT = (
    "january february march april may june july august september october november december"
)
_MONTH_WORDS = frozenset(_MONTH_TEXT.split())
_DEADLINE = re.compile(r"\b(?:deadline|due|by|until|before|till)\b", re.IGNORECASE)
_MAX_GAP = 25
_EVENT_TOKENS = frozenset(w.upper() for w in EVENT_WORDS)
_GENERIC = frozenset({"THE", "OF", "AND", "FOR", "ON", "IN", "AT"}) | _EVENT_TOKENS


def _tokens(text: str) -> set[str]:
    return {t.upper() for t in re.findall(r"[\w][\w\-]*", text) if not t.isdigit()}


@dataclass(frozen=True, slots=True)
class EventHit:
    """``text[start:end]`` names ``ref`` (an event, or a series when no instance is clear)."""

    start: int
    end: int
    ref: EntityRef
    event: Event | None = None


@dataclass
class _Head:
    start: int
    end: int
    name: str
    kw: str | None = None
    lexicon_ref: EntityRef | None = None
    next_meeting: bool = False
    date: DateHit | None = None
    # Words the name means but does not write ("General Assembly" for "Assemblée générale").
    also: str = ""

    def tokens(self) -> set[str]:
        return _tokens(f"{self.name} {self.also}")


@dataclass(frozen=True, slots=True)
class _Index:
    """What the finder needs from the lexicon, derived once per Lexicon."""

    series: tuple[LexiconEntry, ...]
    events: tuple[LexiconEntry, ...]
    handles: dict[EntityRef, set[str]]
    common: set[str]


@per_lexicon
def _index(lexicon: Lexicon) -> _Index:
    projects = [a for e in lexicon.of_kind(Kind.PROJECT) for a in (e.name, *e.aliases)]
    series = lexicon.of_kind(Kind.EVENT_SERIES)
    events = lexicon.of_kind(Kind.EVENT)
    handles: dict[EntityRef, set[str]] = {}
    for entry in (*series, *events):
        names = {entry.name, *entry.aliases} | derived_aliases(entry, projects)
        own: set[str] = set()
        for name in names:
            own |= _tokens(name) | initialisms(name)
        handles[entry.ref] = own
    # Words every series shares ("ESCAPE") tell them apart no better than "the".
    counts: dict[str, int] = {}
    for entry in series:
        for tok in handles[entry.ref]:
            counts[tok] = counts.get(tok, 0) + 1
    crowd = max(2, len(series) // 3)
    common = {t for t, n in counts.items() if n > crowd} | _GENERIC
    return _Index(series, events, handles, common)


class EventFinder:
    """Finds events in text, using the lexicon's series and dated events to name them."""

    def __init__(self, lexicon: Lexicon, meeting_title: str, meeting_date: dt.date) -> None:
        self.lexicon = lexicon
        self.date = meeting_date
        self.title = meeting_title
        self.series_key = slugify(meeting_title)
        index = _index(lexicon)
        self._series = index.series
        self._events = index.events
        self._handles = index.handles
        self._common = index.common
        abbrevs = {"TC", "TCM"} | initialisms(meeting_title)
        words = "|".join(sorted(abbrevs, key=len, reverse=True))
        # The next meeting of this series ("next meeting", "next TC", "the next progress call",
        # "Prochaine réunion"): a date after it is that meeting's, not an external event's.
        self._next = re.compile(
            rf"(?<!\w)(?:[Nn]ext\s+(?:(?:[a-z]+\s+){{0,2}}(?:meeting|call)|(?:{words}))"
            r"|[Pp]rochaine\s+(?:réunion|séance))(?!\w)"
        )

    # --- heads ------------------------------------------------------------------------

    def _heads(self, text: str, start: int, end: int, hits: list[Hit]) -> list[_Head]:
        heads: list[_Head] = []
        for m in self._next.finditer(text, start, end):
            heads.append(_Head(m.start(), m.end(), m.group(0), next_meeting=True))
        for m in _KW_HEAD.finditer(text, start, end):
            tokens = list(re.finditer(r"\S+", m.group("name")))
            while tokens and (
                tokens[0].group(0).lower() in _NOT_NAME
                or tokens[0].group(0).lower() in _MONTH_WORDS
                or not tokens[0].group(0)[0].isupper()
            ):
                tokens.pop(0)
            if not tokens:
                continue
            s, e = m.start("name") + tokens[0].start(), m.end()
            with_m = _WITH.match(text, e, end)
            if m.group("kw") == "meeting" and with_m:
                e = with_m.end()
            heads.append(_Head(s, e, text[s:e], kw=m.group("kw")))
        for m in _FR_HEAD.finditer(text, start, end):
            kw = m.group("kw").lower()
            heads.append(
                _Head(
                    m.start(),
                    m.end(),
                    m.group(0),
                    kw=_FR_KW[kw],
                    also=f"{_FR_EN_WORDS.get(kw, '')} {_FR_KW[kw]}",
                )
            )
        for hit in hits:
            e = hit.end
            year = _YEAR_AFTER.match(text, e, end)
            if year:
                e = year.end()
            heads.append(_Head(hit.start, e, text[hit.start : e], lexicon_ref=hit.ref))
        for m in _ACRONYM_YEAR.finditer(text, start, end):
            heads.append(_Head(m.start(), m.end(), m.group(0)))
        return _merge(heads)

    def _attach_dates(self, text: str, heads: list[_Head], dates: list[DateHit]) -> None:
        for date in dates:
            before = [h for h in heads if h.end <= date.start and date.start - h.end <= _MAX_GAP]
            if not before:
                continue
            head = max(before, key=lambda h: h.end)
            gap = text[head.end : date.start]
            if re.search(r"[.;!?]\s|\n", gap) or _DEADLINE.search(gap):
                continue
            # "Rucio workshop next week" but not "GA dinner tomorrow": a relative date is the
            # event's only right after its name.
            if date.relative and gap.strip():
                continue
            # "last week (1 Sep)": the day written wins over the week around it.
            if head.date is None or (head.date.relative and not date.relative):
                head.date = date

    # --- naming -------------------------------------------------------------------------

    def _series_for(self, head: _Head) -> EntityRef | None:
        if head.lexicon_ref is not None:
            if head.lexicon_ref.kind is Kind.EVENT_SERIES:
                return head.lexicon_ref
            entry = self.lexicon.get(head.lexicon_ref)
            if entry is not None and entry.series is not None:
                return entry.series
        wanted = head.tokens() - self._common
        best: tuple[int, EntityRef] | None = None
        for entry in self._series:
            handles = self._handles[entry.ref]
            # A "meeting" is not an instance of a "workshop" series that happens to share a word.
            kinds = handles & _EVENT_TOKENS
            if head.kw is not None and kinds and head.kw.upper() not in kinds:
                continue
            score = len(wanted & handles)
            if score and (best is None or score > best[0]):
                best = (score, entry.ref)
        if best is not None:
            return best[1]
        if head.kw in {"workshop", "conference", "symposium", "school", "interop"}:
            return EntityRef(Kind.EVENT_SERIES, slugify(head.name))
        if head.kw is None and head.date is not None:
            # "CHEP 2022": the acronym is the series.
            return EntityRef(Kind.EVENT_SERIES, slugify(head.name.split()[0]))
        return None

    def _known_event(self, series: EntityRef | None, head: _Head) -> LexiconEntry | None:
        if head.date is None:
            return None
        day, until = head.date.first, head.date.last
        for entry in self._events:
            if entry.start is None:
                continue
            last = entry.end or entry.start
            same_series = series is not None and entry.series == series
            same_days = entry.start == day and last == until
            # "next week" names a week; the event is the series' one held in that week.
            inside = entry.start <= until and day <= last if _is_week(head.date) else None
            if (same_series and (inside or entry.start <= day <= last)) or (
                same_days and (head.tokens() - self._common) & self._handles[entry.ref]
            ):
                return entry
        return None

    def _event(self, head: _Head) -> EventHit | None:
        if head.lexicon_ref is not None and head.lexicon_ref.kind is Kind.EVENT:
            return EventHit(
                head.start, head.end, head.lexicon_ref, _from_entry(self.lexicon, head.lexicon_ref)
            )
        if head.next_meeting:
            # The next meeting of this series is another meeting, not an external event.
            return None
        series = self._series_for(head)
        known = self._known_event(series, head)
        if known is not None:
            return EventHit(head.start, head.end, known.ref, _from_entry(self.lexicon, known.ref))
        # A week ("next week") is too vague to date a new event; a day ("tomorrow") is not.
        if head.date is not None and not _is_week(head.date):
            first, last = head.date.first, head.date.last
            name = (
                head.name
                if re.search(r"\b(?:19|20)\d\d\b", head.name)
                else f"{head.name} {first.year}"
            )
            stem = series.key if series is not None and head.kw != "meeting" else slugify(head.name)
            ref = EntityRef(Kind.EVENT, f"{stem}-{first.isoformat()}")
            return EventHit(head.start, head.end, ref, Event(ref, name, first, last, series))
        if series is not None and (entry := self.lexicon.get(series)) is not None:
            year = _YEAR_IN.search(head.name)
            if year is None:
                return EventHit(head.start, head.end, series)
            return self._event_of_year(head, series, entry, int(year.group()))
        return None

    def _event_of_year(
        self, head: _Head, series: EntityRef, entry: LexiconEntry, year: int
    ) -> EventHit:
        # "GA 2022" with no date: the series' event of that year, known or new, undated.
        known = [e for e in self._events if e.series == series and e.start and e.start.year == year]
        if len(known) == 1:
            ref = known[0].ref
            return EventHit(head.start, head.end, ref, _from_entry(self.lexicon, ref))
        name = f"{entry.name} {year}"
        ref = EntityRef(Kind.EVENT, slugify(name))
        return EventHit(head.start, head.end, ref, Event(ref, name, series=series))

    def find(self, text: str, start: int, end: int, hits: list[Hit]) -> list[EventHit]:
        """Events and series named in ``text[start:end]``, by position.

        ``hits`` are the lexicon matches of kind event or series in that stretch. A name
        followed closely by a date ("ADASS conference (24-28 October)") is an event on those
        days: the lexicon's own when its series and dates agree, else a new one keyed
        "{series}-{start date}". Dates after "deadline" are not event dates.
        """
        heads = self._heads(text, start, end, hits)
        self._attach_dates(text, heads, find_dates(text, start, end, self.date))
        out: list[EventHit] = []
        for head in heads:
            found = self._event(head)
            if found is not None:
                out.append(found)
        return out


def _is_week(date: DateHit) -> bool:
    return date.relative and date.first != date.last


def _from_entry(lexicon: Lexicon, ref: EntityRef) -> Event:
    entry = lexicon.get(ref)
    if entry is None:
        return Event(ref, ref.key, known=False)
    return Event(ref, entry.name, entry.start, entry.end, entry.series, known=True)


def _merge(heads: list[_Head]) -> list[_Head]:
    # Overlapping heads are one name: keep the widest span and the lexicon's reading of it.
    out: list[_Head] = []
    for head in sorted(heads, key=lambda h: (h.start, -h.end)):
        if out and head.start < out[-1].end:
            last = out[-1]
            if head.end > last.end:
                last.end = head.end
            last.lexicon_ref = last.lexicon_ref or head.lexicon_ref
            last.kw = last.kw or head.kw
            last.next_meeting = last.next_meeting or head.next_meeting
            continue
        out.append(head)
    return out
