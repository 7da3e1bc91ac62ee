"""Hand-built inputs for the extraction tests: tiny minutes, a tiny lexicon, the real seed."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from escape_kg.model import (
    AgendaItem,
    EntityRef,
    Kind,
    Lexicon,
    LexiconEntry,
    NoteLine,
    ParsedMinutes,
    SourceDocument,
    SourceRef,
    Span,
    SpeakerMention,
)

MEETING_DATE = dt.date(2021, 9, 8)
SEED = Path(__file__).resolve().parent.parent / "examples" / "escape-tc-minutes.txt"


def ref(kind: Kind, key: str) -> EntityRef:
    return EntityRef(kind, key)


def small_lexicon() -> Lexicon:
    """A few entries shaped like the reference vocabulary's."""
    org, wp, series, event = Kind.ORGANISATION, Kind.WORK_PACKAGE, Kind.EVENT_SERIES, Kind.EVENT
    return Lexicon(
        (
            LexiconEntry(
                ref(org, "cnrs"), "Centre National de la Recherche Scientifique", ("CNRS",)
            ),
            LexiconEntry(ref(org, "in2p3"), "IN2P3", ("IN2P3",), parent=ref(org, "cnrs")),
            LexiconEntry(ref(org, "lapp"), "LAPP", ("LAPP",), parent=ref(org, "in2p3")),
            LexiconEntry(ref(org, "infn"), "INFN", ("INFN",)),
            LexiconEntry(ref(org, "skao"), "SKA Observatory", ("SKA", "SKAO")),
            LexiconEntry(ref(wp, "WP2"), "Data Infrastructure for Open Science", ("DIOS",), "WP2"),
            LexiconEntry(ref(wp, "WP3"), "Open-source Software Repository", ("OSSR",), "WP3"),
            LexiconEntry(ref(Kind.SERVICE, "ossr"), "OSSR", ()),
            LexiconEntry(ref(Kind.SERVICE, "escape-iam"), "ESCAPE IAM", ()),
            LexiconEntry(ref(Kind.PROJECT, "escape"), "ESCAPE", ()),
            LexiconEntry(ref(Kind.PROJECT, "eosc-future"), "EOSC Future", ("EOSC-Future",)),
            LexiconEntry(ref(Kind.PROJECT, "eosc"), "EOSC", ()),
            LexiconEntry(ref(series, "ivoa-interop"), "IVOA Interoperability Meeting", ("IVOA",)),
            LexiconEntry(
                ref(event, "ivoa-interop-2021-11"),
                "IVOA Interop Nov 2021",
                start=dt.date(2021, 11, 2),
                end=dt.date(2021, 11, 4),
                series=ref(series, "ivoa-interop"),
            ),
            LexiconEntry(ref(series, "escape-general-assembly"), "ESCAPE General Assembly"),
        )
    )


def _span(text: str, start: int, end: int) -> Span:
    return Span(start, end, text.count("\n", 0, start) + 1)


def notes_minutes(
    notes: str,
    *,
    title: str = "Notes",
    speakers: tuple[tuple[str, str | None], ...] = (),
    date: dt.date = MEETING_DATE,
) -> ParsedMinutes:
    """Minutes of one agenda item "1": a title line, a speaker line, then one note per line."""
    header = f"{title}\n"
    line = ", ".join(f"{n} ({a})" if a else n for n, a in speakers)
    text = header + line + "\n" + notes
    mentions: list[SpeakerMention] = []
    at = len(header)
    for name, aff in speakers:
        start = text.index(name, at)
        aff_span = None
        if aff:
            a = text.index(aff, start + len(name))
            aff_span = _span(text, a, a + len(aff))
            at = a + len(aff)
        else:
            at = start + len(name)
        mentions.append(SpeakerMention(name, aff, _span(text, start, start + len(name)), aff_span))
    lines: list[NoteLine] = []
    pos = len(header) + len(line) + 1
    for raw in notes.split("\n"):
        if raw.strip():
            lead = len(raw) - len(raw.lstrip())
            start = pos + lead
            lines.append(NoteLine(raw.strip(), _span(text, start, start + len(raw.strip()))))
        pos += len(raw) + 1
    doc = SourceDocument(SourceRef("notes.txt", "0" * 64, len(text)), "text", text, {})
    item = AgendaItem(
        "1", title, _span(text, 0, len(title)), speakers=tuple(mentions), notes=tuple(lines)
    )
    return ParsedMinutes(doc, "Technical Coordination Meeting", date, "given", (item,))


@functools.cache
def seed_minutes() -> ParsedMinutes:
    """The seed minutes through the real reader, redactor and parser."""
    from escape_kg.parse import parse_minutes
    from escape_kg.redact import redact
    from escape_kg.sources import read_source

    doc = redact(read_source(SEED, max_bytes=10_000_000))
    return parse_minutes(doc, date=MEETING_DATE)


@functools.cache
def real_lexicon() -> Lexicon:
    """The reference vocabulary through the real loader."""
    from escape_kg.rdf.reference import load_lexicon

    return load_lexicon()
