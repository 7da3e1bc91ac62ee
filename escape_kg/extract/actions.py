"""Action items and decisions: note lines with an explicit marker ("ACTION (Kay):", "Agreed:")."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from escape_kg.extract.dates import find_dates
from escape_kg.extract.people import normalise_name
from escape_kg.model import (
    Action,
    AgendaItem,
    Decision,
    EntityRef,
    Kind,
    Lexicon,
    Meeting,
    Mention,
    NoteLine,
    Span,
)
from escape_kg.rdf.iris import meeting_key, slugify

__all__ = ["action_key", "with_actions"]

# A marker opens the line. Upper-case markers are deliberate enough to stand before plain
# text ("ACTION Kay to ..."); the others need a colon, so prose such as "the action of the
# telescope" or "Agreed that..." in a sentence never qualifies.
_LOUD_ACTION = r"ACTION(?:\s+ITEMS?|\s+POINTS?)?|TODO"
_ACTION = r"Actions?(?:\s+items?|\s+points?)?|AP|To-?do|ACTIONS|AIs?"
_DECISION = r"DECISIONS?|Decisions?|DECIDED|Decided|AGREED|Agreed"
_HEAD = re.compile(
    rf"^(?:(?P<loud>{_LOUD_ACTION})|(?P<action>{_ACTION})|(?P<decision>{_DECISION}))(?![\w-])"
    r"(?:\s*\((?P<owner>[^()\n]{1,80})\))?(?P<sep>\s*[:\-–—]\s*|\s+)"
)
# A list header alone on its line: the lines under it are the actions or decisions.
_LIST = re.compile(
    rf"^(?:(?:{_LOUD_ACTION}|ACTIONS)\s*:?|(?:{_ACTION})\s*:|(?P<decision>{_DECISION})\s*:)\s*$"
)
_STATUS_WORD = r"done|closed|completed|complete|finished"
# "— done", "(closed)", "[DONE]", ": completed." at the end; "[done]" or "DONE:" at the start.
_STATUS_END = re.compile(
    rf"\s*(?:[-–—:;,]\s*\(?|\(|\[)\s*(?:{_STATUS_WORD})\s*[)\]]?\s*[.!]?\s*$", re.IGNORECASE
)
_STATUS_START = re.compile(rf"(?:\[(?:{_STATUS_WORD})\]|\((?:{_STATUS_WORD})\)|DONE:)\s*", re.I)
_BULLET = re.compile(r"\S")
# "Kay to send ...", "Kay Graf will ...", "Kay: send ..." inside an action.
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:[-'][A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)*"
_WHO = re.compile(rf"(?P<who>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})(?:\s+(?:to|will)\s|:\s)")
_NOT_WHO = frozenset(
    {"all", "everyone", "everybody", "we", "the", "this", "each", "someone", "nobody", "it"}
    | {"they", "please", "who", "team"}
)
_DUE = re.compile(r"(?<!\w)(?:by|before|due(?:\s+(?:by|on))?|deadline:?|until)\s+", re.I)
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_NORM = re.compile(r"[^\w]+")


def action_key(text: str, owner: str) -> str:
    """The key of an action: a slug of its text and a hash of ``owner`` and the normalised text.

    Case, punctuation and spacing do not change the key; ``owner`` is the owner's person key
    (or the name as written when it matched nobody, or "").
    """
    norm = " ".join(_NORM.sub(" ", text.casefold()).split())
    digest = hashlib.sha256(f"{owner}\n{norm}".encode()).hexdigest()[:10]
    head = slugify(norm)[:40].strip("-")
    return f"{head}-{digest}"


@dataclass(frozen=True, slots=True)
class _Raw:
    """One marked line before owner resolution."""

    kind: Literal["action", "decision"]
    start: int
    end: int
    owner_name: str | None
    done: bool
    item: str


def _is_bulleted(text: str, note: NoteLine) -> bool:
    line_start = text.rfind("\n", 0, note.span.start) + 1
    return _BULLET.search(text, line_start, note.span.start) is not None


def _body(text: str, start: int, end: int) -> tuple[int, int, bool]:
    """The action text inside ``text[start:end]`` without status markers, and whether done."""
    done = False
    if m := _STATUS_START.match(text, start, end):
        start, done = m.end(), True
    if (m := _STATUS_END.search(text, start, end)) and m.start() > start:
        end, done = m.start(), True
    while end > start and text[end - 1] in " \t.;,":
        end -= 1
    return start, end, done


def _deliberate(m: re.Match[str]) -> bool:
    # Only upper-case markers may be followed by a dash or a space; "AI" needs its owner,
    # since "AI:" alone too often means artificial intelligence.
    if m.group("loud"):
        return True
    if ":" not in m.group("sep"):
        return False
    if m.group("decision"):
        return m.group("owner") is None
    return m.group("action") not in ("AI", "AIs") or m.group("owner") is not None


def _marked(text: str, note: NoteLine, item: str) -> _Raw | None:
    line = text[note.span.start : note.span.end]
    m = _HEAD.match(line)
    if m is None or not _deliberate(m):
        return None
    start, end, done = _body(text, note.span.start + m.end(), note.span.end)
    if end <= start:
        return None
    kind: Literal["action", "decision"] = "decision" if m.group("decision") else "action"
    owner = m.group("owner")
    return _Raw(kind, start, end, owner.strip() if owner else None, done, item)


def _listed(text: str, note: NoteLine, kind: Literal["action", "decision"], item: str) -> _Raw:
    start, end, done = _body(text, note.span.start, note.span.end)
    return _Raw(kind, start, end, None, done, item)


def _scan_item(text: str, item: AgendaItem) -> list[_Raw]:
    out: list[_Raw] = []
    notes = item.notes
    index = 0
    while index < len(notes):
        note = notes[index]
        index += 1
        header = _LIST.match(note.text)
        if header is None:
            raw = _marked(text, note, item.number)
            if raw is not None:
                out.append(raw)
            continue
        kind: Literal["action", "decision"] = "decision" if header.group("decision") else "action"
        header_bullet = _is_bulleted(text, note)
        # The list is what sits under the header: deeper lines, or bullets under a plain line.
        while index < len(notes):
            under = notes[index]
            deeper = under.depth > note.depth
            bullet = under.depth == note.depth and not header_bullet
            if not (deeper or (bullet and _is_bulleted(text, under))):
                break
            index += 1
            raw = _marked(text, under, item.number) or _listed(text, under, kind, item.number)
            if raw.end > raw.start:
                out.append(raw)
    return out


def _find(minutes_text: str, items: Sequence[AgendaItem]) -> list[_Raw]:
    """Every marked action or decision line in the notes of ``items``, in text order."""
    out: list[_Raw] = []
    for item in items:
        out.extend(_scan_item(minutes_text, item))
    return sorted(out, key=lambda r: r.start)


def _resolve_owner(name: str, people: Sequence[tuple[EntityRef, str]]) -> EntityRef | None:
    # A full name matches its slug; a single word matches one person's first or last name.
    if "," in name or " and " in name or "/" in name:
        return None
    slug = slugify(normalise_name(name))
    exact = [ref for ref, _ in people if ref.key == slug]
    if exact:
        return exact[0]
    words = normalise_name(name).casefold().split()
    if len(words) != 1:
        return None
    hits = [
        ref
        for ref, full in people
        if (parts := full.casefold().split()) and words[0] in (parts[0], parts[-1])
    ]
    return hits[0] if len(hits) == 1 else None


def _due(
    text: str, start: int, end: int, meeting: Meeting, lexicon: Lexicon | None
) -> dt.date | None:
    date = meeting.minutes.date
    for m in _DUE.finditer(text, start, end):
        at = m.end()
        if iso := _ISO.match(text, at, end):
            try:
                return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
            except ValueError:
                return None
        hits = [h for h in find_dates(text, at, end, date) if h.start == at]
        if hits:
            return hits[0].first
        event = _event_date(text, at, end, meeting, lexicon)
        if event is not None:
            return event
    return None


def _event_date(
    text: str, at: int, end: int, meeting: Meeting, lexicon: Lexicon | None
) -> dt.date | None:
    """The start of the event named right after "before"/"by" ("before the GA")."""
    lead = re.match(r"(?:the\s+|next\s+)?", text[at:end])
    begin = at + (lead.end() if lead else 0)
    named = [m for m in meeting.mentions if m.span.start == begin and m.span.end <= end]
    for mention in named:
        ref = mention.entity
        for event in meeting.events:
            if event.ref == ref and event.start is not None:
                return event.start
        if ref.kind is Kind.EVENT and lexicon is not None:
            entry = lexicon.get(ref)
            if entry is not None and entry.start is not None:
                return entry.start
        if ref.kind is Kind.EVENT_SERIES and lexicon is not None:
            # The series' next edition on or after the meeting date.
            upcoming = sorted(
                e.start
                for e in lexicon.of_kind(Kind.EVENT)
                if e.series == ref and e.start is not None and e.start >= meeting.minutes.date
            )
            if upcoming:
                return upcoming[0]
    return None


def _owner_in_text(text: str, start: int, end: int) -> str | None:
    m = _WHO.match(text, start, end)
    if m is None or m.group("who").split()[0].casefold() in _NOT_WHO:
        return None
    return m.group("who")


def with_actions(meeting: Meeting, lexicon: Lexicon | None = None) -> Meeting:
    """``meeting`` with the actions and decisions its notes state, each with a Mention.

    Owners are resolved only to people this meeting already names; dates ("by 15 Oct",
    "due 2021-10-01", "before the GA") are resolved against the meeting date. A mention
    is added for each action or decision whose span no other mention covers. Raises
    nothing: a line without a recognised marker is simply not an action.
    """
    text = meeting.minutes.document.text
    raws = _find(text, meeting.minutes.all_items())
    if not raws:
        return meeting
    people = [(p.ref, p.name) for p in meeting.people]
    mkey = meeting_key(meeting.minutes.title, meeting.minutes.date)
    actions: list[Action] = []
    decisions: list[Decision] = []
    taken = {(m.span.start, m.span.end) for m in meeting.mentions}
    mentions = list(meeting.mentions)
    for raw in raws:
        span = _span(text, raw.start, raw.end)
        body = text[raw.start : raw.end]
        if raw.kind == "decision":
            digest = hashlib.sha256(f"{raw.item}\n{body}".encode()).hexdigest()[:10]
            ref = EntityRef(Kind.DECISION, f"{mkey}-{digest}")
            decisions.append(Decision(ref.key, body, raw.item, span))
        else:
            owner_name = raw.owner_name or _owner_in_text(text, raw.start, raw.end)
            owner = _resolve_owner(owner_name, people) if owner_name else None
            owner_id = owner.key if owner else slugify(owner_name) if owner_name else ""
            ref = EntityRef(Kind.ACTION, action_key(body, owner_id))
            due = _due(text, raw.start, raw.end, meeting, lexicon)
            status: Literal["open", "done"] = "done" if raw.done else "open"
            actions.append(Action(ref.key, body, owner, owner_name, due, status, raw.item, span))
        if (raw.start, raw.end) not in taken:
            taken.add((raw.start, raw.end))
            mentions.append(Mention(ref, span, body, raw.item))
    mentions.sort(key=lambda m: (m.span.start, m.span.end))
    return replace(
        meeting,
        actions=_unique_actions(actions),
        decisions=tuple({d.key: d for d in decisions}.values()),
        mentions=tuple(mentions),
    )


def _unique_actions(actions: list[Action]) -> tuple[Action, ...]:
    # The same action twice in one document (raised, then ticked off): the last word counts.
    by_key: dict[str, Action] = {}
    for action in actions:
        by_key.pop(action.key, None)
        by_key[action.key] = action
    return tuple(sorted(by_key.values(), key=lambda a: a.span.start))


def _span(text: str, start: int, end: int) -> Span:
    return Span(start, end, text.count("\n", 0, start) + 1)
