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

    def __len__(self) -> int:
        return len(self._pairs)

    def all_hits(self, text: str, start: int = 0, end: int | None = None) -> list[Hit]:
        """Every occurrence of every alias in ``text[start:end]``, overlaps included."""
        stop = len(text) if end is None else end
        out: list[Hit] = []
        for alias, ref, pattern in self._pairs:
            for m in pattern.finditer(text, start, stop):
                out.append(Hit(m.start(), m.end(), ref, alias))
        return out

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[Hit]:
        """The longest non-overlapping alias occurrences in ``text[start:end]``, by position."""
        return non_overlapping(self.all_hits(text, start, end))

    def whole(self, text: str) -> list[EntityRef]:
        """The refs whose alias equals ``text`` ignoring case, spaces and punctuation."""
        key = norm_key(text)
        return sorted({ref for alias, ref, _ in self._pairs if norm_key(alias) == key})


def first_refs(hits: Sequence[Hit]) -> list[EntityRef]:
    """The distinct refs of ``hits`` in order of first appearance."""
    out: list[EntityRef] = []
    for hit in hits:
        if hit.ref not in out:
            out.append(hit.ref)
    return out
