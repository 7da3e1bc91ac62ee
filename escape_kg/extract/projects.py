"""Project structure: work packages in every written form, deliverables, round-table topics.

Only ESCAPE's work packages and deliverables become entities; minutes also talk about other
projects' ones, and linking those to ESCAPE's ``wp/WP3`` would be a wrong fact. The rule is
conservative: a WP or deliverable token is skipped (no entity, no mention) when

* the name of a project right before it is not ESCAPE's: a lexicon project other than ESCAPE
  ("EOSC Future WP6") or an all-caps word that the lexicon does not know as anything else
  ("AQUILA WP3", "AQUILA D3.1"); a list ("AQUILA WP3/4") goes with its first token; or
* the meeting title names another project and not ESCAPE (a lexicon project other than
  ESCAPE, or an unknown all-caps word followed by "project": "AQUILA Project Steering
  Committee"); then every token in the document is skipped unless "ESCAPE" is right before it.

Names of known organisations, services or WPs ("CERN WP2", "DIOS WP2") never count as another
project, so the tokens after them stay ESCAPE's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from escape_kg.extract.cache import per_lexicon
from escape_kg.extract.dates import find_dates
from escape_kg.model import EntityRef, Kind, Lexicon

__all__ = [
    "DeliverableHit",
    "ProjectContext",
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
    head: int = -1
    """Start of the first token of the list this one belongs to ("WP3" in "WP3/4")."""


def find_work_packages(text: str, start: int, end: int) -> list[WpHit]:
    """Work packages named in ``text[start:end]``, by position.

    Handles "WP2", "Wp2, 3, 4, 5" (each number gets its own span), "WP3/5", "WP3+WP5",
    "WP 4 /5" and "(WP4/2)"; "WP2-WP6" yields its two ends, not a range.
    """
    out: list[WpHit] = []
    pos = start
    while (m := _WP_HEAD.search(text, pos, end)) is not None:
        head = m.start()
        out.append(WpHit(head, m.end(), int(m.group("num")), head))
        pos = m.end()
        while (n := _WP_NEXT.match(text, pos, end)) is not None:
            first = n.start("pre") if n.group("pre") else n.start("num")
            out.append(WpHit(first, n.end("num"), int(n.group("num")), head))
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


# Words in capitals that start a minutes line without naming a project ("ACTION WP2: ...").
_MINUTES_CAPS = frozenset({"action", "actions", "aob", "ap", "nb", "note", "todo", "done", "all"})
_CAPS = r"\b[A-Z][A-Z0-9]*[A-Z](?:-[A-Z0-9]+)*"
_BEFORE = r"(?:[ \t]*[-–][ \t]*|[ \t]+)(?i:(?:deliverable|work[ \t]+package)[ \t]+)?\Z"


@dataclass(frozen=True, slots=True)
class _Names:
    escape: re.Pattern[str]
    before: re.Pattern[str]
    known: frozenset[str]
    other: re.Pattern[str] | None


def _alternation(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))


@per_lexicon
def _names(lexicon: Lexicon) -> _Names:
    escape = EntityRef(Kind.PROJECT, "escape")
    ours = [
        n for e in lexicon.of_kind(Kind.PROJECT) if e.ref == escape for n in (e.name, *e.aliases)
    ]
    theirs = [
        n for e in lexicon.of_kind(Kind.PROJECT) if e.ref != escape for n in (e.name, *e.aliases)
    ]
    known = {
        n.casefold()
        for e in lexicon.entries
        if e.ref.kind is not Kind.PROJECT
        for n in (e.name, *e.aliases)
    }
    ours_alt = _alternation([*ours, "ESCAPE"])
    theirs_alt = _alternation(theirs)
    names = rf"(?P<ours>{ours_alt})" + (rf"|(?P<theirs>{theirs_alt})" if theirs else "")
    return _Names(
        escape=re.compile(rf"(?<![\w-])(?:{ours_alt})(?![\w-])"),
        before=re.compile(rf"(?<![\w-])(?:{names}|(?P<caps>{_CAPS})){_BEFORE}"),
        known=frozenset(known | _MINUTES_CAPS),
        other=re.compile(rf"(?<![\w-])(?:{theirs_alt})(?![\w-])") if theirs else None,
    )


class ProjectContext:
    """Tells whether a WP or deliverable token is ESCAPE's (see the module docstring)."""

    def __init__(self, lexicon: Lexicon, title: str) -> None:
        self._names = _names(lexicon)
        self.foreign_document = self._foreign_title(title)

    def _foreign_title(self, title: str) -> bool:
        names = self._names
        if names.escape.search(title) is not None:
            return False
        if names.other is not None and names.other.search(title) is not None:
            return True
        return any(
            m.group(1).casefold() not in names.known
            for m in re.finditer(rf"({_CAPS})\s+(?i:project)\b", title)
        )

    def is_escape(self, text: str, at: int) -> bool:
        """Whether the WP or deliverable token starting at ``text[at]`` is ESCAPE's own."""
        line_start = text.rfind("\n", 0, at) + 1
        m = self._names.before.search(text, max(line_start, at - 120), at)
        if m is None:
            return not self.foreign_document
        if m.group("ours"):
            return True
        if m.groupdict().get("theirs"):
            return False
        caps = m.group("caps")
        if caps and caps.casefold() not in self._names.known:
            return False
        return not self.foreign_document
