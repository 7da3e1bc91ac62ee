"""Hand-built Meeting values for the mapping and validation tests (no parser needed)."""

from __future__ import annotations

import datetime as dt
import hashlib

from escape_kg.model import (
    AgendaItem,
    Deliverable,
    EntityRef,
    Event,
    ItemSpeaker,
    ItemTopic,
    Kind,
    Meeting,
    Membership,
    Mention,
    NoteLine,
    Organisation,
    ParsedMinutes,
    Person,
    SourceDocument,
    SourceRef,
    Span,
    Thing,
    WorkPackage,
)

DATE = dt.date(2021, 9, 8)

# A short minutes text in the shape of the seed example; offsets below are found, not typed.
TEXT = (
    "Technical Coordination Meeting\n"  # 1
    "Meeting ID: [redacted]\n"  # 2
    "    • 10:00 10:10\n"  # 3
    "      Introduction 10m\n"  # 4
    "      Orateurs: Ian Bird (LAPP), Julie CHAUDAN (LAPP IN2P3 / CNRS)\n"  # 5
    "      1. CHEP abstracts - deadline 19 Nov\n"  # 6
    "    • 10:10 10:45\n"  # 7
    "      Round Table 35m\n"  # 8
    "      • WP2 2m\n"  # 9
    "        Orateur: Xavier Espinal (CERN)\n"  # 10
    "        • Rucio upload works; D2.1 delivered; DAC21 moving forward.\n"  # 11
)


def span_of(needle: str, after: int = 0) -> Span:
    """The span of the first ``needle`` at or after offset ``after`` in TEXT."""
    start = TEXT.index(needle, after)
    return Span(start, start + len(needle), TEXT.count("\n", 0, start) + 1)


def ref(kind: Kind, key: str) -> EntityRef:
    return EntityRef(kind, key)


IAN = ref(Kind.PERSON, "ian-bird")
JULIE = ref(Kind.PERSON, "julie-chaudan")
XAVIER = ref(Kind.PERSON, "xavier-espinal")
LAPP = ref(Kind.ORGANISATION, "lapp")
CNRS = ref(Kind.ORGANISATION, "cnrs")
CERN = ref(Kind.ORGANISATION, "cern")
WP2 = ref(Kind.WORK_PACKAGE, "WP2")
D21 = ref(Kind.DELIVERABLE, "D2.1")
CHEP = ref(Kind.EVENT, "chep-2023")
CHEP_SERIES = ref(Kind.EVENT_SERIES, "chep")
DAC = ref(Kind.EVENT, "dac21")
RUCIO = ref(Kind.SERVICE, "rucio")


def _at(hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(DATE, dt.time(hour, minute))


def items() -> tuple[AgendaItem, ...]:
    """Introduction (1), Round Table (2) with its WP2 report (2.1)."""
    intro = AgendaItem(
        number="1",
        title="Introduction",
        title_span=span_of("Introduction"),
        span=span_of("• 10:00 10:10"),
        start=_at(10, 0),
        end=_at(10, 10),
        duration=dt.timedelta(minutes=10),
        notes=(NoteLine("CHEP abstracts - deadline 19 Nov", span_of("CHEP abstracts")),),
    )
    wp2 = AgendaItem(
        number="2.1",
        title="WP2",
        title_span=span_of("WP2 2m"),
        span=span_of("• WP2 2m"),
        duration=dt.timedelta(minutes=2),
        notes=(NoteLine("Rucio upload works", span_of("Rucio upload")),),
    )
    table = AgendaItem(
        number="2",
        title="Round Table",
        title_span=span_of("Round Table"),
        span=span_of("• 10:10 10:45"),
        start=_at(10, 10),
        end=_at(10, 45),
        duration=dt.timedelta(minutes=35),
        children=(wp2,),
    )
    return (intro, table)


def meeting(
    *, text: str = TEXT, agenda: tuple[AgendaItem, ...] | None = None, path: str = "/home/u/tc.txt"
) -> Meeting:
    """The small meeting above, with every entity mentioned at least once."""
    doc = SourceDocument(
        source=SourceRef(path, hashlib.sha256(text.encode()).hexdigest(), len(text)),
        format="text",
        text=text,
        redactions={"passcode": 2, "meeting-id": 3},
    )
    minutes = ParsedMinutes(
        document=doc,
        title="Technical Coordination Meeting",
        date=DATE,
        date_origin="argument",
        items=items() if agenda is None else agenda,
        title_span=span_of("Technical Coordination Meeting"),
    )
    orateurs = TEXT.index("Orateurs")
    mentions = (
        Mention(IAN, span_of("Ian Bird"), "Ian Bird", "1"),
        Mention(LAPP, span_of("LAPP"), "LAPP", "1"),
        Mention(JULIE, span_of("Julie CHAUDAN"), "Julie CHAUDAN", "1"),
        Mention(CNRS, span_of("CNRS", orateurs), "CNRS", "1"),
        Mention(CHEP, span_of("CHEP"), "CHEP", "1"),
        Mention(WP2, span_of("WP2"), "WP2", "2.1"),
        Mention(XAVIER, span_of("Xavier Espinal"), "Xavier Espinal", "2.1"),
        Mention(CERN, span_of("CERN"), "CERN", "2.1"),
        Mention(RUCIO, span_of("Rucio"), "Rucio", "2.1"),
        Mention(D21, span_of("D2.1"), "D2.1", "2.1"),
        Mention(DAC, span_of("DAC21"), "DAC21", "2.1"),
    )
    return Meeting(
        minutes=minutes,
        people=(
            Person(IAN, "Ian Bird"),
            Person(JULIE, "Julie Chaudan"),
            Person(XAVIER, "Xavier Espinal"),
        ),
        organisations=(
            Organisation(LAPP, "LAPP", known=True, parent=CNRS),
            Organisation(CNRS, "CNRS", known=True),
            Organisation(CERN, "CERN", known=True),
        ),
        memberships=(
            Membership(IAN, LAPP, "LAPP", "1", span_of("LAPP")),
            Membership(JULIE, LAPP, "LAPP IN2P3 / CNRS", "1", span_of("LAPP IN2P3 / CNRS")),
            Membership(XAVIER, CERN, "CERN", "2.1", span_of("CERN")),
        ),
        work_packages=(WorkPackage(WP2, "WP2"),),
        deliverables=(Deliverable(D21, "D2.1", "Data lake", DATE, WP2),),
        events=(
            Event(CHEP, "CHEP 2023", dt.date(2023, 5, 8), dt.date(2023, 5, 12), CHEP_SERIES),
            Event(DAC, "DAC21", dt.date(2021, 11, 15), dt.date(2021, 11, 26)),
        ),
        things=(Thing(RUCIO, "Rucio", known=True),),
        speakers=(
            ItemSpeaker("1", IAN, span_of("Ian Bird")),
            ItemSpeaker("1", JULIE, span_of("Julie CHAUDAN")),
            ItemSpeaker("2.1", XAVIER, span_of("Xavier Espinal")),
        ),
        topics=(ItemTopic("2.1", WP2),),
        mentions=mentions,
    )
