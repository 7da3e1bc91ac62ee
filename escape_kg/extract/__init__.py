"""Extraction: ParsedMinutes + Lexicon -> Meeting (people, organisations, WPs, events, mentions)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from escape_kg.extract.events import EventFinder
from escape_kg.extract.matching import LineIndex
from escape_kg.extract.organisations import OrgResolver
from escape_kg.extract.people import find_names, locate_name, normalise_name, person_ref
from escape_kg.extract.people import stop_words_from
from escape_kg.extract.projects import deliverable_wp, find_deliverables, find_work_packages
from escape_kg.extract.projects import wp_number_of_title, wp_ref
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
    SpeakerMention,
    Span,
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


def _region(state: _State, tools: _Tools, span: Span, item: str | None, *, notes: bool) -> None:
    text, start, end = state.text, span.start, span.end
    date = tools.finder.date
    for wp in find_work_packages(text, start, end):
        state.mention(_IDENT, wp_ref(wp.number), wp.start, wp.end, item)
    for d in find_deliverables(text, start, end, date):
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
    hits = _TABLE_CACHE[id(tools)].find(text, start, end)
    dated = [h for h in hits if h.ref.kind in (Kind.EVENT, Kind.EVENT_SERIES)]
    for ev in tools.finder.find(text, start, end, dated):
        if ev.event is not None:
            state.events.setdefault(ev.ref, ev.event)
        state.mention(_EVENT, ev.ref, ev.start, ev.end, item)
    for hit in hits:
        kind = hit.ref.kind
        if kind in (Kind.EVENT, Kind.EVENT_SERIES):
            continue
        if kind is Kind.ORGANISATION:
            state.add_org(tools.orgs.known(hit.ref))
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


_TABLE_CACHE: dict[int, object] = {}
