"""Shared text matching: alias tables, word-bounded search, spans with line numbers."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from escape_kg.model import EntityRef, Span

__all__ = ["AliasTable", "Hit", "LineIndex", "first_refs", "non_overlapping", "norm_key"]

_NON_ALNUM = re.compile(r"[\W_]+")
_SPACE_OR_DASH = re.compile(r"[\s\-‐‑–]+")


def norm_key(text: str) -> str:
    """A comparison key that ignores case, spaces and punctuation ("HL-LHC" == "hl lhc")."""
    return _NON_ALNUM.sub("", text.casefold())


class LineIndex:
    """Turns offsets of one text into ``Span`` values carrying their 1-based line."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        """The 1-based line number holding ``offset``."""
        return bisect.bisect_right(self._starts, offset)

    def span(self, start: int, end: int) -> Span:
        """A Span for ``text[start:end]``."""
        return Span(start, end, self.line_of(start))


@dataclass(frozen=True, slots=True)
class Hit:
    """``text[start:end]`` names ``ref`` through ``alias``."""

    start: int
    end: int
    ref: EntityRef
    alias: str

    @property
    def length(self) -> int:
        return self.end - self.start


def _is_acronym(alias: str) -> bool:
    # An alias without lower-case letters ("ECO", "FAIR", "ESCAPE") is matched with its case
    # as written, so the English words "eco", "fair" or "escape" never count as names.
    return not any(c.islower() for c in alias)


def _alias_pattern(alias: str, *, exact_case: bool) -> re.Pattern[str]:
    parts = [re.escape(p) for p in _SPACE_OR_DASH.split(alias.strip()) if p]
    body = r"[\s\-‐‑–]+".join(parts)
    flags = 0 if exact_case else re.IGNORECASE
    return re.compile(rf"(?<![\w]){body}(?![\w])", flags)


def non_overlapping(hits: Iterable[Hit]) -> list[Hit]:
    """Keep the longest hits first and drop any hit overlapping a kept one; sorted by start."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (-h.length, h.start, h.ref)):
        if all(hit.end <= k.start or hit.start >= k.end for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


# The only non-ASCII characters that case-insensitive ``re`` matching lets stand for an ASCII
# letter or digit (checked over all of Unicode in tests/test_extract_units.py).
_ASCII_TWINS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_WORD_RUN = re.compile(r"\w+")
_LEAD = re.compile(r"[A-Za-z0-9]\w*")


def _fold(text: str) -> str:
    # One character in, one out: U+0130 is the only one whose lower case is two characters.
    return text.translate(_ASCII_TWINS).lower()


class AliasTable:
    """Finds aliases of known entities in text.

    Matching is case-insensitive except for all-capital aliases (acronyms), respects word
    boundaries, treats spaces and hyphens inside an alias as interchangeable, and returns the
    longest matches with no overlaps.
    """

    def __init__(self, pairs: Iterable[tuple[str, EntityRef]], *, any_case: bool = False) -> None:
        self._pairs: list[tuple[str, EntityRef, re.Pattern[str]]] = []
        seen: set[tuple[str, EntityRef]] = set()
        for alias, ref in pairs:
            alias = alias.strip()
            if len(norm_key(alias)) < 2 or (alias, ref) in seen:
                continue
            seen.add((alias, ref))
            exact = _is_acronym(alias) and not any_case
            self._pairs.append((alias, ref, _alias_pattern(alias, exact_case=exact)))
        # Running every alias's pattern over every text is what made matching slow. Instead,
        # aliases are indexed by the run of word characters they start with, folded to lower
        # case: a match can only start where the text's own word run is that one, because the
        # alias continues with a non-word character (or ends there). Aliases not starting with
        # plain ASCII letters and digits keep a scan of their own.
        self._index: dict[str, list[int]] = {}
        self._scanned: list[int] = []
        for number, (alias, _, _) in enumerate(self._pairs):
            lead = _LEAD.match(alias)
            if lead is not None and lead.group().isascii():
                self._index.setdefault(lead.group().lower(), []).append(number)
            else:
                self._scanned.append(number)
        self._by_key: dict[str, list[EntityRef]] = {}
        for alias, ref, _ in self._pairs:
            refs = self._by_key.setdefault(norm_key(alias), [])
            if ref not in refs:
                refs.append(ref)
        for refs in self._by_key.values():
            refs.sort()

    def __len__(self) -> int:
        return len(self._pairs)

    def all_hits(self, text: str, start: int = 0, end: int | None = None) -> list[Hit]:
        """Every occurrence of every alias in ``text[start:end]``, overlaps included.

        Hits are listed alias by alias (in table order), each alias's by position.
        """
        stop = len(text) if end is None else end
        pairs = self._pairs
        found: list[tuple[int, int, Hit]] = []
        for number in self._scanned:
            alias, ref, pattern = pairs[number]
            for m in pattern.finditer(text, start, stop):
                found.append((number, m.start(), Hit(m.start(), m.end(), ref, alias)))
        index = self._index
        # Folding keeps every offset: each character becomes exactly one.
        folded = _fold(text[start:stop])
        for word in _WORD_RUN.finditer(text, start, stop):
            pos, after = word.span()
            numbers = index.get(folded[pos - start : after - start])
            if numbers is None:
                continue
            for number in numbers:
                alias, ref, pattern = pairs[number]
                there = pattern.match(text, pos, stop)
                if there is not None:
                    found.append((number, pos, Hit(pos, there.end(), ref, alias)))
        found.sort(key=lambda f: (f[0], f[1]))
        # As with one scan per alias, an alias's next occurrence starts after its last one ends.
        out: list[Hit] = []
        ends: dict[int, int] = {}
        for number, pos, hit in found:
            if pos >= ends.get(number, -1):
                out.append(hit)
                ends[number] = hit.end
        return out

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[Hit]:
        """The longest non-overlapping alias occurrences in ``text[start:end]``, by position."""
        return non_overlapping(self.all_hits(text, start, end))

    def whole(self, text: str) -> list[EntityRef]:
        """The refs whose alias equals ``text`` ignoring case, spaces and punctuation."""
        return list(self._by_key.get(norm_key(text), ()))


def first_refs(hits: Sequence[Hit]) -> list[EntityRef]:
    """The distinct refs of ``hits`` in order of first appearance."""
    out: list[EntityRef] = []
    for hit in hits:
        if hit.ref not in out:
            out.append(hit.ref)
    return out
