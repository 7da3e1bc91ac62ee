"""People: speaker names normalised, and person names spotted in note text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from escape_kg.model import EntityRef, Kind
from escape_kg.rdf.iris import slugify

__all__ = [
    "NameCandidate",
    "find_names",
    "locate_name",
    "normalise_name",
    "person_ref",
    "stop_words_from",
]

_HONORIFIC = re.compile(r"^(?:(?:dr|prof|mr|mrs|ms|dott|dott\.ssa|sig|ing)\.?\s+)+", re.IGNORECASE)
_PARTICLES = frozenset({"van", "de", "der", "den", "von", "da", "di", "del", "della", "du", "la"})

# Capitalised words that start sentences or name things but never a person. The lexicon adds
# every word of every known entity name to this list (see stop_words_from).
_STOP_TEXT = """
    a about after all also an and any apologies april as at august briefly but by can
    citizen conference continued data december deliverable details dial direct discussion
    discussions document dr during each energy eu experience extended february find firm
    following for friday from general high however i if important in international is it
    items january join joint july june lake march may meeting milestone monday most mr mrs ms
    new next no not notebook november nuclear october of on one or our performance physics
    picking planning please preparation preparations prof produce progress radio recent
    registry round saturday school science scientific september some sunday table thanks
    that the then there these this thursday to token topic tuesday two we wednesday what
    when which will with word workshop yes you zoom astronomy assembly technical
    coordination platform institute university observatory array introduction update status
    overview agenda minutes note notes action actions decision decisions summary board
    executive committee forum session
"""
_STOP = frozenset(_STOP_TEXT.split())

# One name word: "Gareth", "Al-Turany", "O'Neill", "McDonald".
_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
_NAME_WORD = rf"(?:Mc|Mac|O')?[{_UP}][{_LOW}]+(?:[-'][{_UP}][{_LOW}]+)*"
# Longest first and closed at the word's end, so "der" is never read as "de" + "r".
_PARTICLE = r"(?:van|der|den|de|von|da|della|del|di|du|la)(?![\w\-'])"
_NAME_RUN = re.compile(
    rf"(?<![\w\-'.]){_NAME_WORD}(?:\s(?:{_PARTICLE}\s)*{_NAME_WORD}){{1,3}}(?![\w\-])"
)
_WORD = re.compile(rf"{_NAME_WORD}|{_PARTICLE}")


def person_ref(name: str) -> EntityRef:
    """The ref of a person from their normalised name."""
    return EntityRef(Kind.PERSON, slugify(name))


def _fix_word(word: str) -> str:
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return word
    if word.islower() and word in _PARTICLES:
        return word
    if word.isupper() or word.islower():
        return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word.lower())
    return word


def normalise_name(raw: str) -> str:
    """A display name: honorifics dropped, all-upper/all-lower parts capitalised.

    Mixed-case parts ("Al-Turany", "McX", "Bello Gonzalez") are kept as written, lower-case
    particles ("van", "de") stay lower. Returns "" when nothing is left.
    """
    text = _HONORIFIC.sub("", " ".join(raw.split()))
    return " ".join(_fix_word(w) for w in text.split())


def locate_name(text: str, start: int, end: int, name: str) -> tuple[int, int]:
    """The offsets of the name itself inside ``text[start:end]``, honorifics excluded.

    Falls back to the whole range when ``name`` is not found inside it.
    """
    region = text[start:end]
    bare = _HONORIFIC.sub("", name.strip())
    at = region.find(bare) if bare else -1
    if at < 0:
        stripped = _HONORIFIC.sub("", region)
        lead = len(region) - len(stripped)
        trail = len(stripped) - len(stripped.rstrip())
        return start + lead, end - trail
    return start + at, start + at + len(bare)


def stop_words_from(names: Iterable[str]) -> frozenset[str]:
    """The built-in stop list plus every word of ``names`` (lexicon names), lower-cased."""
    words = set(_STOP)
    for name in names:
        words.update(w.casefold() for w in re.findall(r"[^\W\d_]+", name))
    return frozenset(words)


@dataclass(frozen=True, slots=True)
class NameCandidate:
    """``text[start:end]`` looks like the full name of a person."""

    start: int
    end: int
    name: str


def _candidates(words: list[re.Match[str]], stop: frozenset[str]) -> list[tuple[int, int]]:
    # Split a run of name-shaped words at stop words; keep pieces of two or more real words.
    out: list[tuple[int, int]] = []
    piece: list[re.Match[str]] = []
    for w in [*words, None]:
        # A lower-case particle joins a name even when the lexicon lists it ("Université de
        # ..."): the run regex only lets it in between two name words.
        if w is not None and (w.group(0) in _PARTICLES or w.group(0).casefold() not in stop):
            piece.append(w)
            continue
        while piece and piece[-1].group(0) in _PARTICLES:
            piece.pop()
        while piece and piece[0].group(0) in _PARTICLES:
            piece.pop(0)
        if sum(1 for p in piece if p.group(0) not in _PARTICLES) >= 2:
            out.append((piece[0].start(), piece[-1].end()))
        piece = []
    return out


def find_names(text: str, start: int, end: int, stop: frozenset[str]) -> list[NameCandidate]:
    """Sequences of two or more capitalised name words in ``text[start:end]``.

    Conservative on purpose: every word must look like a name word and none may be a stop word
    (``stop`` holds lower-cased words), so "Data Lake" or "General Assembly" never qualify.
    """
    out: list[NameCandidate] = []
    for run in _NAME_RUN.finditer(text, start, end):
        words = list(_WORD.finditer(text, run.start(), run.end()))
        for s, e in _candidates(words, stop):
            out.append(NameCandidate(s, e, normalise_name(text[s:e])))
    return out
