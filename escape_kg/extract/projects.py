"""Project structure: work packages in every written form, deliverables, round-table topics."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from escape_kg.extract.dates import find_dates
from escape_kg.model import EntityRef, Kind, Lexicon

__all__ = [
    "DeliverableHit",
    "WpHit",
    "deliverable_wp",
    "find_deliverables",
    "find_work_packages",
    "wp_number_of_title",
    "wp_ref",
]

_SEP = r"\s*(?:,|/|\+|&|-|–|\band\b|\bor\b)\s*"
# A bare number continues a WP list unless a lower-case word follows ("WP4, 3 people").
_NEXT_NUM = r"(?P<pre>WP\s*)?(?P<num>\d{1,2})(?!\w|\.\d|\s+(?!and\b|or\b)(?-i:[a-z]))"
_WP_HEAD = re.compile(r"(?<![\w])WP\s*(?P<num>\d{1,2})(?![\w]|\.\d)", re.IGNORECASE)
_WP_NEXT = re.compile(_SEP + _NEXT_NUM, re.IGNORECASE)
_WP_TITLE = re.compile(r"\s*WP\s*(\d{1,2})\s*", re.IGNORECASE)

_DELIVERABLE = re.compile(
    r"(?<![\w.])(?P<word>Deliverable\s+)?(?P<id>(?P<d>D\s?)?(?P<a>\d{1,2})\.(?P<b>\d{1,2}))"
    r"(?!\w|\.\d)",
    re.IGNORECASE,
)
_TITLE = re.compile(r"\s*[,:\-–]?\s*(?:[\"“”„]([^\"“”\n]{3,200})[\"“”]|‘([^‘’\n]{3,200})’)")
_DELIVERED = re.compile(r"\b(?:delivered|submitted)\s+(?:on\s+|in\s+)?", re.IGNORECASE)


def wp_ref(number: int) -> EntityRef:
    """The ref of work package ``number`` ("WP2")."""
    return EntityRef(Kind.WORK_PACKAGE, f"WP{number}")


@dataclass(frozen=True, slots=True)
class WpHit:
    """``text[start:end]`` names work package ``number``."""

    start: int
    end: int
    number: int


def find_work_packages(text: str, start: int, end: int) -> list[WpHit]:
    """Work packages named in ``text[start:end]``, by position.

    Handles "WP2", "Wp2, 3, 4, 5" (each number gets its own span), "WP3/5", "WP3+WP5",
    "WP 4 /5" and "(WP4/2)"; "WP2-WP6" yields its two ends, not a range.
    """
    out: list[WpHit] = []
    pos = start
    while (m := _WP_HEAD.search(text, pos, end)) is not None:
        out.append(WpHit(m.start(), m.end(), int(m.group("num"))))
        pos = m.end()
        while (n := _WP_NEXT.match(text, pos, end)) is not None:
            first = n.start("pre") if n.group("pre") else n.start("num")
            out.append(WpHit(first, n.end("num"), int(n.group("num"))))
            pos = n.end()
    return out


def wp_number_of_title(title: str) -> int | None:
    """The WP number when an agenda title is just a work package ("WP2"), else None."""
    m = _WP_TITLE.fullmatch(title)
    return int(m.group(1)) if m else None


@dataclass(frozen=True, slots=True)
class DeliverableHit:
    """``text[start:end]`` names deliverable ``identifier`` ("D5.3")."""

    start: int
    end: int
    identifier: str
    title: str | None = None
    delivered: dt.date | None = None


def find_deliverables(text: str, start: int, end: int, ref: dt.date) -> list[DeliverableHit]:
    """Deliverables ("D5.3", "D 5.3", "Deliverable 5.3") named in ``text[start:end]``.

    A quoted string right after the identifier is its title; "delivered on 27 August" later in
    the same stretch is its delivery date, resolved against ``ref``. Milestones ("MS11",
    "M2.2"), project months ("M18") and tasks ("T2.1") are not deliverables.
    """
    matches = list(_DELIVERABLE.finditer(text, start, end))
    out: list[DeliverableHit] = []
    for i, m in enumerate(matches):
        stop = matches[i + 1].start() if i + 1 < len(matches) else end
        ident = f"D{int(m.group('a'))}.{int(m.group('b'))}"
        if not (m.group("word") or m.group("d")):
            continue
        # The span is the identifier ("D5.3"); a bare "5.3" keeps its "Deliverable" word.
        begin = m.start("id") if m.group("d") else m.start()
        title_m = _TITLE.match(text, m.end(), stop)
        title = (title_m.group(1) or title_m.group(2)).strip() if title_m else None
        delivered = None
        said = _DELIVERED.search(text, m.end(), stop)
        if said is not None:
            dates = find_dates(text, said.end(), min(stop, said.end() + 40), ref)
            if dates and dates[0].start == said.end() and not dates[0].relative:
                delivered = dates[0].first
        out.append(DeliverableHit(begin, m.end(), ident, title, delivered))
    return out


def deliverable_wp(identifier: str, lexicon: Lexicon) -> EntityRef:
    """The work package of a deliverable: its lexicon parent, else its first number (D5.3->WP5)."""
    entry = lexicon.get(EntityRef(Kind.DELIVERABLE, identifier))
    if entry is not None and entry.parent is not None and entry.parent.kind is Kind.WORK_PACKAGE:
        return entry.parent
    return wp_ref(int(identifier[1:].split(".")[0]))
