"""Extraction: ParsedMinutes + Lexicon -> Meeting (people, organisations, WPs, events, actions)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from escape_kg.extract.actions import with_actions
from escape_kg.extract.attendance import Attendee, find_attendance
from escape_kg.extract.cache import per_lexicon
from escape_kg.extract.events import EventFinder
from escape_kg.extract.matching import AliasTable, LineIndex
from escape_kg.extract.organisations import OrgResolver
from escape_kg.extract.people import (
    find_names,
    locate_name,
    normalise_name,
    person_ref,
    stop_words_from,
)
from escape_kg.extract.projects import (
    ProjectContext,
    deliverable_wp,
    find_deliverables,
    find_work_packages,
    wp_number_of_title,
    wp_ref,
)
from escape_kg.extract.things import build_table, thing_of
from escape_kg.model import (
    AgendaItem,
    Deliverable,
    EntityRef,
    Event,
    ItemSpeaker,
    ItemTopic,
    Kind,
    Lexicon,
    Meeting,
    Membership,
    Mention,
    Organisation,
    ParsedMinutes,
    Person,
    Span,
    SpeakerMention,
    Thing,
    WorkPackage,
)

__all__ = ["extract"]

# When two extractors claim the same span, the lower number wins.
_SPEAKER, _TOPIC, _EVENT, _IDENT, _THING, _NAME = range(6)
_DURATION = re.compile(r"\s+\d+\s*(?:m|min|mins|h|hr)\s*$")


@dataclass
class _State:
    """What extraction has gathered so far, keyed by entity."""

    text: str
    lines: LineIndex
    candidates: list[tuple[int, Mention]] = field(default_factory=list)
    people: dict[EntityRef, Person] = field(default_factory=dict)
    orgs: dict[EntityRef, Organisation] = field(default_factory=dict)
    memberships: dict[tuple[EntityRef, EntityRef], Membership] = field(default_factory=dict)
    speakers: dict[tuple[str, EntityRef], ItemSpeaker] = field(default_factory=dict)
    topics: dict[tuple[str, EntityRef], ItemTopic] = field(default_factory=dict)
    deliverables: dict[str, Deliverable] = field(default_factory=dict)
    events: dict[EntityRef, Event] = field(default_factory=dict)
    things: dict[EntityRef, Thing] = field(default_factory=dict)

    def mention(self, rank: int, ref: EntityRef, start: int, end: int, item: str | None) -> None:
        span = self.lines.span(start, end)
        self.candidates.append((rank, Mention(ref, span, self.text[start:end], item)))

    def add_org(self, org: Organisation) -> None:
        old = self.orgs.get(org.ref)
        if old is None:
            self.orgs[org.ref] = org
            return
        written = old.written_as + tuple(w for w in org.written_as if w not in old.written_as)
        self.orgs[org.ref] = replace(old, written_as=written)


def _speaker(state: _State, orgs: OrgResolver, item: AgendaItem, sp: SpeakerMention) -> None:
    name = normalise_name(sp.name)
    if not name:
        return
    ref = person_ref(name)
    state.people.setdefault(ref, Person(ref, name))
    start, end = locate_name(state.text, sp.span.start, sp.span.end, sp.name)
    state.mention(_SPEAKER, ref, start, end, item.number)
    state.speakers.setdefault((item.number, ref), ItemSpeaker(item.number, ref, sp.span))
    if not sp.affiliation or not sp.affiliation.strip():
        return
    aff = sp.affiliation_span
    if aff is None:
        at = state.text.find(sp.affiliation, end)
        aff = state.lines.span(at, at + len(sp.affiliation)) if at >= 0 else sp.span
    resolved = orgs.resolve(sp.affiliation)
    org = resolved.organisation
    state.add_org(org)
    if resolved.parent is not None:
        state.add_org(resolved.parent)
    state.mention(_SPEAKER, org.ref, aff.start, aff.end, item.number)
    member = Membership(ref, org.ref, sp.affiliation, item.number, aff)
    state.memberships.setdefault((ref, org.ref), member)
    _compound(state, orgs, aff.start, aff.end, org.ref, item.number)


def _compound(
    state: _State, orgs: OrgResolver, start: int, end: int, skip: EntityRef, item: str | None
) -> None:
    # "LAPP IN2P3 / CNRS" names IN2P3 and CNRS too: each is mentioned where it is written, so
    # the parent units appear in the graph with the unit (org:unitOf links them).
    for part in orgs.parts(state.text[start:end]):
        if part.ref == skip:
            continue
        state.add_org(orgs.known(part.ref))
        state.mention(_SPEAKER, part.ref, start + part.start, start + part.end, item)


def _topic(state: _State, orgs: OrgResolver, item: AgendaItem) -> None:
    span = item.title_span
    raw = state.text[span.start : span.end]
    title = _DURATION.sub("", raw).strip()
    if not title:
        return
    start = span.start + raw.find(title)
    number = wp_number_of_title(title)
    ref = wp_ref(number) if number is not None else orgs.whole(title)
    if ref is None:
        return
    if ref.kind is Kind.ORGANISATION:
        state.add_org(orgs.known(ref))
    state.topics.setdefault((item.number, ref), ItemTopic(item.number, ref))
    state.mention(_TOPIC, ref, start, start + len(title), item.number)


@dataclass(frozen=True)
class _Tools:
    lexicon: Lexicon
    orgs: OrgResolver
    finder: EventFinder
    stop: frozenset[str]
    table: AliasTable
    projects: ProjectContext


def _region(
    state: _State,
    tools: _Tools,
    span: Span,
    item: str | None,
    *,
    notes: bool,
    events: bool = True,
) -> None:
    text, start, end = state.text, span.start, span.end
    date = tools.finder.date
    for wp in find_work_packages(text, start, end):
        if not tools.projects.is_escape(text, wp.head):
            continue
        state.mention(_IDENT, wp_ref(wp.number), wp.start, wp.end, item)
    for d in find_deliverables(text, start, end, date):
        if not tools.projects.is_escape(text, d.start):
            continue
        ref = EntityRef(Kind.DELIVERABLE, d.identifier)
        old = state.deliverables.get(d.identifier)
        new = Deliverable(
            ref,
            d.identifier,
            title=d.title or (old.title if old else None),
            delivered=d.delivered or (old.delivered if old else None),
            work_package=deliverable_wp(d.identifier, tools.lexicon),
        )
        state.deliverables[d.identifier] = new
        state.mention(_IDENT, ref, d.start, d.end, item)
    hits = tools.table.find(text, start, end)
    dated = [h for h in hits if h.ref.kind in (Kind.EVENT, Kind.EVENT_SERIES)]
    # The title names the meeting itself, which the graph already holds as the Meeting; reading
    # it as a mention of an event ("ESCAPE General Assembly 2021") would add a second node.
    for ev in tools.finder.find(text, start, end, dated) if events else ():
        if ev.event is not None:
            state.events.setdefault(ev.ref, ev.event)
        state.mention(_EVENT, ev.ref, ev.start, ev.end, item)
    for hit in hits:
        kind = hit.ref.kind
        if kind in (Kind.EVENT, Kind.EVENT_SERIES):
            continue
        if kind is Kind.ORGANISATION:
            state.add_org(tools.orgs.known(hit.ref))
            _compound(state, tools.orgs, hit.start, hit.end, hit.ref, item)
        elif kind in (Kind.PROJECT, Kind.SERVICE):
            state.things.setdefault(hit.ref, thing_of(hit.ref, tools.lexicon))
        elif kind is Kind.PERSON:
            entry = tools.lexicon.get(hit.ref)
            state.people.setdefault(hit.ref, Person(hit.ref, entry.name if entry else hit.alias))
        state.mention(_THING, hit.ref, hit.start, hit.end, item)
    if not notes:
        return
    for cand in find_names(text, start, end, tools.stop):
        if any(h.start < cand.end and cand.start < h.end for h in hits):
            continue
        ref = person_ref(cand.name)
        state.people.setdefault(ref, Person(ref, cand.name))
        state.mention(_NAME, ref, cand.start, cand.end, item)


def _select(candidates: list[tuple[int, Mention]]) -> list[Mention]:
    # One mention per span: the most trusted extractor's reading of it.
    best: dict[tuple[int, int], tuple[int, Mention]] = {}
    for rank, mention in candidates:
        key = (mention.span.start, mention.span.end)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, mention)
    return sorted((m for _, m in best.values()), key=lambda m: (m.span.start, m.span.end))


@per_lexicon
def _stop_words(lexicon: Lexicon) -> frozenset[str]:
    names = [
        n for e in lexicon.entries if e.ref.kind is not Kind.PERSON for n in (e.name, *e.aliases)
    ]
    return stop_words_from(names)


def extract(minutes: ParsedMinutes, lexicon: Lexicon) -> Meeting:
    """Everything the minutes say about people, organisations, WPs, deliverables and events.

    Every fact keeps its evidence: each Mention's ``exact`` is the redacted text at its span,
    and at most one Mention covers any span. Entities are listed once each, sorted by ref, so
    the same input always gives the same Meeting. Raises nothing on odd text; what cannot be
    recognised is simply not extracted.
    """
    text = minutes.document.text
    state = _State(text, LineIndex(text))
    tools = _Tools(
        lexicon=lexicon,
        orgs=OrgResolver(lexicon),
        finder=EventFinder(lexicon, minutes.title, minutes.date),
        stop=_stop_words(lexicon),
        table=build_table(lexicon),
        projects=ProjectContext(lexicon, minutes.title),
    )
    title_span = minutes.title_span or _title_line(minutes, state.lines)
    if title_span is not None:
        _region(state, tools, title_span, None, notes=False, events=False)
    attendees: list[tuple[Attendee, str | None]] = []
    items = minutes.all_items()
    # The page header (before the first item) holds no minutes, but it may hold who attended
    # and chaired: Indico puts the chairs and the event's own minutes there.
    head_from = title_span.end if title_span is not None else 0
    head_to = min((_start_of(i) for i in items), default=len(text))
    attendees += [(a, None) for a in _attendance(state, tools, head_from, head_to)]
    for item in items:
        for sp in item.speakers:
            _speaker(state, tools.orgs, item, sp)
        _topic(state, tools.orgs, item)
        _region(state, tools, item.title_span, item.number, notes=False)
        for note in item.notes:
            _region(state, tools, note.span, item.number, notes=True)
            found = _attendance(state, tools, note.span.start, note.span.end)
            attendees += [(a, item.number) for a in found]
    for attendee, number in attendees:
        if not attendee.first_only:
            _attendee(state, tools.orgs, attendee, number)
    firsts = _first_names(state)
    for attendee, number in attendees:
        ref = firsts.get(attendee.name) if attendee.first_only else None
        if ref is not None:
            state.mention(_NAME, ref, attendee.start, attendee.end, number)
    return with_actions(_assemble(minutes, state), lexicon)


def _start_of(item: AgendaItem) -> int:
    return item.span.start if item.span is not None else item.title_span.start


def _attendance(state: _State, tools: _Tools, start: int, end: int) -> list[Attendee]:
    if start >= end:
        return []
    orgs = tools.orgs

    def is_institute(label: str) -> bool:
        return orgs.whole(label) is not None or (
            " " not in label and sum(c.isupper() for c in label) >= 2
        )

    return find_attendance(state.text, start, end, is_institute, tools.stop)


def _attendee(state: _State, orgs: OrgResolver, who: Attendee, item: str | None) -> None:
    """A person named in full in a list, roll call or dialogue, with the affiliation stated."""
    name = normalise_name(who.name)
    if not name:
        return
    ref = person_ref(name)
    state.people.setdefault(ref, Person(ref, name))
    start, end = locate_name(state.text, who.start, who.end, who.name)
    state.mention(_SPEAKER, ref, start, end, item)
    if who.affiliation is None or who.aff_start < 0:
        return
    resolved = orgs.resolve(who.affiliation)
    org = resolved.organisation
    state.add_org(org)
    if resolved.parent is not None:
        state.add_org(resolved.parent)
    aff = state.lines.span(who.aff_start, who.aff_end)
    state.mention(_SPEAKER, org.ref, aff.start, aff.end, item)
    member = Membership(ref, org.ref, who.affiliation, item or "", aff)
    state.memberships.setdefault((ref, org.ref), member)
    _compound(state, orgs, aff.start, aff.end, org.ref, item)


def _first_names(state: _State) -> dict[str, EntityRef]:
    # "Present: Kay, Julie" or "Kay: good": the one person of this meeting with that first name.
    named = {m.entity for _, m in state.candidates if m.entity.kind is Kind.PERSON}
    by_first: dict[str, set[EntityRef]] = {}
    for ref in named:
        person = state.people.get(ref)
        if person is not None and " " in person.name:
            by_first.setdefault(person.name.split()[0], set()).add(ref)
    return {first: next(iter(refs)) for first, refs in by_first.items() if len(refs) == 1}


def _title_line(minutes: ParsedMinutes, lines: LineIndex) -> Span | None:
    # Readers of HTML and JSON give the title as metadata and also write it as the first line
    # of the text; that line is text of the document like any other, so it is searched too.
    text, title = minutes.document.text, minutes.title.strip()
    items = minutes.all_items()
    head_end = min((i.title_span.start for i in items), default=len(text))
    if not title:
        return None
    for m in re.finditer(r"[^\n]+", text[:head_end]):
        stripped = m.group(0).strip()
        if stripped == title:
            at = m.start() + m.group(0).find(title)
            return lines.span(at, at + len(title))
    return None


def _assemble(minutes: ParsedMinutes, state: _State) -> Meeting:
    mentions = _select(state.candidates)
    used = {m.entity for m in mentions}
    used |= {t.entity for t in state.topics.values()}
    used |= {m.organisation for m in state.memberships.values()}
    # A deliverable's WP or a unit's parent organisation is only linked to, not
    # named: the document's graph describes (and annotates) what the text names.
    wps = sorted(r for r in used if r.kind is Kind.WORK_PACKAGE)
    return Meeting(
        minutes=minutes,
        people=tuple(sorted((p for p in state.people.values() if p.ref in used), key=_ref)),
        organisations=tuple(sorted((o for o in state.orgs.values() if o.ref in used), key=_ref)),
        memberships=tuple(
            sorted(state.memberships.values(), key=lambda m: (m.span.start, m.organisation))
        ),
        work_packages=tuple(WorkPackage(r, r.key) for r in sorted(wps, key=_wp_order)),
        deliverables=tuple(sorted(state.deliverables.values(), key=_ref)),
        events=tuple(sorted((e for e in state.events.values() if e.ref in used), key=_ref)),
        things=tuple(sorted((t for t in state.things.values() if t.ref in used), key=_ref)),
        speakers=tuple(sorted(state.speakers.values(), key=lambda s: (s.span.start, s.person))),
        topics=tuple(sorted(state.topics.values(), key=lambda t: (_item_order(t.item), t.entity))),
        mentions=tuple(mentions),
    )


def _ref(value: Person | Organisation | Deliverable | Event | Thing) -> EntityRef:
    return value.ref


def _wp_order(ref: EntityRef) -> tuple[int, str]:
    digits = ref.key[2:]
    return (int(digits), ref.key) if digits.isdigit() else (10**6, ref.key)


def _item_order(number: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in number.split("."))
