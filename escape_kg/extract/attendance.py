"""Who took part: "Present:"/"Apologies:" lists, roll calls by institute, dialogue speakers.

Line forms read (English and French labels, any indentation, bullets allowed)::

    Present: Ian, Julie, Kay                         first names: matched to people later
    Chairs: Jane Doe (CERN)                          the meeting's chairs (page header)
    Apologies: John Swinbank (ASTRON), Antonella Bozzi
    Présents : Giovanni Lamanna (CNRS-LAPP), Léa Dubois-Martin
    CERN: Simone Campana, Xavier Espinal             a roll call: the label is an institute
    Kay: good; the D3.3 follow-up needs ...          dialogue: "Name: text"
    Zheng Meyer-Zhao (ASTRON): the next call ...     dialogue with an affiliation
    Q(Thomas Vuillaume): ... A (Kay Graf): ...       questions and answers, anywhere on a line
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Attendee", "find_attendance", "name_shape"]

Role = Literal["present", "apologies", "chair", "rollcall", "dialogue"]

_LIST_LABEL = re.compile(
    r"^(?P<label>present|also\s+present|attendees|attendance|participants|participating"
    r"|présents?|présentes|présent\(e\)s|participant\(e\)s"
    r"|apologies|apologi[sz]ed|excused|regrets|absent|absents|excusés?|excusées?|excusé\(e\)s"
    r"|chairs?|chair\(s\)|chairperson|chaired\s+by|président(?:e|\(e\))?s?)"
    r"(?:\s*:\s*|(?<=by)\s+)",
    re.IGNORECASE,
)
_ABSENT = ("apolog", "excus", "regret", "absent")
# "CERN: A, B" or "JIVE : Dr A": an institute label (an acronym or capitalised words) then names.
_INSTITUTE_LABEL = re.compile(
    r"^(?P<label>[A-Z][\w\-/&]*(?:[ \t]+[A-Z][\w\-/&]*){0,3})[ \t]*:[ \t]*(?=\S)"
)
# "Name: text" or "Name (Org): text" at the start of a note.
_SPEAKER_LABEL = re.compile(
    r"^(?P<name>[^\W\d_][^:()\n]{0,60}?)\s*(?:\((?P<aff>[^()\n]{1,80})\))?\s*:\s"
)
# "Q(Name)", "A (Name):" anywhere on a line.
_QA = re.compile(r"(?<![\w(])[QA]\s*\(\s*(?P<name>[^()\n]{2,60}?)\s*\)\s*:?")
_PARTICLE_TEXT = "van der den de von da della del di du la le"
_PARTICLES = frozenset(_PARTICLE_TEXT.split())
_HONORIFIC_TEXT = "dr dr. prof prof. mr mr. mrs mrs. ms ms. dott dott."
_HONORIFICS = frozenset(_HONORIFIC_TEXT.split())
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[-'’][^\W\d_]+)*$")
# Dialogue labels that are headings, not people ("Note:", "Summary:", "Q:").
_NOT_SPEAKER_TEXT = """
    action actions agenda aob apologies attendees comment comments conclusion decision
    decisions discussion issue issues minutes next note notes outcome present question
    questions reply remark remarks status summary todo update updates answer agreed
    speaker speakers chair chairs convener conveners room location
"""
_NOT_SPEAKER = frozenset(_NOT_SPEAKER_TEXT.split())


def name_shape(name: str, stop: frozenset[str]) -> Literal["full", "first"] | None:
    """ "full" for a person's full name ("Aukje van der Meer", "Dr Julie CHAUDAN"), "first" for
    a lone first name ("Kay"), None for anything else (a stop word, "Round Table", "CERN")."""
    words = name.split()
    while words and words[0].casefold() in _HONORIFICS:
        words.pop(0)
    if not words or len(words) > 5:
        return None
    real = 0
    for index, word in enumerate(words):
        if word in _PARTICLES and 0 < index < len(words) - 1:
            continue
        if not _NAME_CHARS.match(word) or not word[0].isupper() or word.casefold() in stop:
            return None
        # Only surnames are written in capitals ("CHAUDAN"); a lone capitalised word is an
        # acronym.
        if word.isupper() and (index == 0 or len(word) < 2):
            return None
        real += 1
    if real >= 2:
        return "full"
    return "first" if real == 1 and len(words) == 1 else None


@dataclass(frozen=True, slots=True)
class Attendee:
    """A person named in an attendance list, roll call or dialogue.

    ``name`` is as written at ``start``..``end``; ``first_only`` when it is a single word (a
    first name, to be matched to a person named in full elsewhere). ``affiliation`` is the
    bracketed affiliation or the roll-call institute, at ``aff_start``..``aff_end``.
    """

    start: int
    end: int
    name: str
    role: Role
    first_only: bool = False
    affiliation: str | None = None
    aff_start: int = -1
    aff_end: int = -1


def _names(
    text: str,
    begin: int,
    end: int,
    role: Role,
    institute: tuple[str, int, int] | None,
    stop: frozenset[str],
) -> list[Attendee]:
    """The names of a comma-separated list in ``text[begin:end]``; [] if one is not a name."""
    out: list[Attendee] = []
    depth, piece_start = 0, begin
    cuts: list[tuple[int, int]] = []
    for index in range(begin, end):
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char in ",;" and depth == 0:
            cuts.append((piece_start, index))
            piece_start = index + 1
    cuts.append((piece_start, end))
    for s, e in cuts:
        piece = text[s:e]
        paren = piece.find("(")
        name_part = piece if paren < 0 else piece[:paren]
        stripped = name_part.strip().rstrip(".")
        if not stripped:
            continue
        # "and Kay" closes an English list, "et Léa" a French one.
        stripped = re.sub(r"^(?:and|et)\s+", "", stripped)
        at = s + name_part.find(stripped)
        shape = name_shape(stripped, stop)
        if shape is None:
            return []
        full = shape == "full"
        aff, a_s, a_e = (institute[0], institute[1], institute[2]) if institute else (None, -1, -1)
        if paren >= 0:
            close = piece.find(")", paren)
            inner = piece[paren + 1 : close if close > 0 else len(piece)]
            if inner.strip():
                a_s = s + paren + 1 + (len(inner) - len(inner.lstrip()))
                aff = inner.strip()
                a_e = a_s + len(aff)
        out.append(Attendee(at, at + len(stripped), stripped, role, not full, aff, a_s, a_e))
    return out


def _line(text: str, start: int, end: int, tools: _Tools) -> list[Attendee]:
    body = text[start:end]
    lead = len(body) - len(body.lstrip(" \t•·*-–◦▪‣●○"))
    at = start + lead
    line = text[at:end]
    stop = tools.stop
    label = _LIST_LABEL.match(line)
    if label is not None:
        word = label["label"].lower()
        role: Role = "present"
        if word.startswith(_ABSENT):
            role = "apologies"
        elif word.startswith(("chair", "prési")):
            role = "chair"
        return _names(text, at + label.end(), end, role, None, stop)
    inst = _INSTITUTE_LABEL.match(line)
    if inst is not None and tools.is_institute(inst["label"]):
        where = (inst["label"], at + inst.start("label"), at + inst.end("label"))
        names = _names(text, at + inst.end(), end, "rollcall", where, stop)
        if any(not n.first_only for n in names):
            return names
    found: list[Attendee] = []
    speaker = _SPEAKER_LABEL.match(line)
    if speaker is not None and not _QA.match(line):
        name = speaker["name"].strip()
        shape = name_shape(name, stop) if name.casefold() not in _NOT_SPEAKER else None
        if shape is not None:
            n_at = at + speaker.start("name")
            aff, a_s, a_e = speaker["aff"], -1, -1
            if aff is not None and aff.strip():
                a_s = at + speaker.start("aff") + len(aff) - len(aff.lstrip())
                aff = aff.strip()
                a_e = a_s + len(aff)
            found.append(
                Attendee(n_at, n_at + len(name), name, "dialogue", shape == "first", aff, a_s, a_e)
            )
    for qa in _QA.finditer(text, at, end):
        name = qa["name"]
        shape = name_shape(name, stop)
        if shape is not None:
            s = qa.start("name")
            found.append(Attendee(s, s + len(name), name, "dialogue", shape == "first"))
    return found


@dataclass(frozen=True)
class _Tools:
    is_institute: Callable[[str], bool]
    stop: frozenset[str]


def find_attendance(
    text: str,
    start: int,
    end: int,
    is_institute: Callable[[str], bool],
    stop: frozenset[str],
) -> list[Attendee]:
    """The people named in attendance lists, roll calls and dialogue in ``text[start:end]``.

    ``is_institute`` tells whether a label before a colon names an institute (a roll call);
    ``stop`` holds lower-cased words that are never part of a name. Each line is read on its
    own. A list with anything that is not a name (a sentence after "Present:") gives nothing,
    so prose is never read as a list. Returns them by position.
    """
    tools = _Tools(is_institute, stop)
    out: list[Attendee] = []
    for m in re.finditer(r"[^\n]+", text[start:end]):
        out.extend(_line(text, start + m.start(), start + m.end(), tools))
    return sorted(out, key=lambda a: a.start)
