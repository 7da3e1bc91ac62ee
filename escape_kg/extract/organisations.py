"""Organisations: resolve an affiliation as written to a known or new organisation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from escape_kg.extract.cache import per_lexicon
from escape_kg.extract.matching import AliasTable, Hit, non_overlapping, norm_key
from escape_kg.model import EntityRef, Kind, Lexicon, LexiconEntry, Organisation
from escape_kg.rdf.iris import slugify

__all__ = ["OrgResolver", "Part", "Resolved"]

# Legal-form words and articles that do not change which organisation is meant.
_NOISE = re.compile(
    r"^\s*the\s+|\s*,?\s*\b(?:ggmbh|gmbh|e\.\s?v\.|ltd\.?|ag|s\.?p\.?a\.?|b\.?v\.?|n\.?v\.?)\s*$",
    re.IGNORECASE,
)


# What may follow a known acronym to name one of its sites: a hyphen and one word ("-Perugia",
# "-CNAF"), or a space or spaced dash and one or two capitalised words (" Perugia", " - Trieste"),
# then optionally a bracketed country that is not part of the unit's name ("(Italy)").
_GLUED = r"[-‐‑][^\W_][\w\-]*"
_SPACED = r"(?:[ \t]*[-–][ \t]*|[ \t]+)(?P<place>[^\W\d_][\w\-']*(?:[ \t]+[^\W\d_][\w\-']*)?)"
_SITE = re.compile(rf"(?P<site>{_GLUED}|{_SPACED})(?:[ \t]*\([^()]*\))?")
# A country after an acronym is where the organisation is, not a site of it ("CNRS France").
_COUNTRY_TEXT = """
    austria belgium czechia denmark europe finland france germany greece hungary ireland italy
    netherlands norway poland portugal spain sweden switzerland uk usa
"""
_COUNTRIES = frozenset(_COUNTRY_TEXT.split())


# Where a compound affiliation ("LAPP IN2P3 / CNRS", "FAU Erlangen (ECAP)") splits into
# organisations: slashes, commas, brackets and spaced dashes; then glued hyphens and spaces.
_PIECE = re.compile(r"[^/,;&+()\[\]\s–—-][^/,;&+()\[\]–—]*?(?=\s*(?:\s[-–—]\s|[/,;&+()\[\]]|$))")
_FINE = (re.compile(r"[^\s\-‐‑]+"), re.compile(r"\S+"))


@dataclass(frozen=True, slots=True)
class Part:
    """``text[start:end]`` of an affiliation names the known organisation ``ref``."""

    start: int
    end: int
    ref: EntityRef


@dataclass(frozen=True, slots=True)
class Resolved:
    """The organisation an affiliation names, plus any parent that must exist with it."""

    organisation: Organisation
    parent: Organisation | None = None


@per_lexicon
def _org_tables(lexicon: Lexicon) -> tuple[dict[EntityRef, LexiconEntry], AliasTable]:
    entries = {e.ref: e for e in lexicon.of_kind(Kind.ORGANISATION)}
    pairs = [(a, e.ref) for e in entries.values() for a in (e.name, *e.aliases)]
    pairs += [(e.ref.key, e.ref) for e in entries.values()]
    # Affiliations are written loosely ("infn"), so acronyms match in any case here.
    return entries, AliasTable(pairs, any_case=True)


class OrgResolver:
    """Maps affiliations as written ("LAPP IN2P3 / CNRS") to organisations of the lexicon."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._entries, self._table = _org_tables(lexicon)

    def entry(self, ref: EntityRef) -> LexiconEntry | None:
        """The lexicon entry of a known organisation."""
        return self._entries.get(ref)

    def known(self, ref: EntityRef, written: str | None = None) -> Organisation:
        """The Organisation value of a known organisation (optionally noting how it was written)."""
        entry = self._entries[ref]
        return Organisation(
            ref=ref,
            name=entry.name,
            known=True,
            written_as=(written,) if written else (),
            parent=entry.parent,
        )

    def whole(self, text: str) -> EntityRef | None:
        """The known organisation whose name or alias is all of ``text``, or None."""
        for variant in (text, _NOISE.sub("", text), _NOISE.sub("", _NOISE.sub("", text))):
            refs = self._table.whole(variant) if norm_key(variant) else []
            if len(refs) == 1:
                return refs[0]
        return None

    def _depth(self, ref: EntityRef) -> int:
        depth, seen = 0, {ref}
        entry = self._entries.get(ref)
        while entry is not None and entry.parent is not None and entry.parent not in seen:
            seen.add(entry.parent)
            depth += 1
            entry = self._entries.get(entry.parent)
        return depth

    def _ancestors(self, ref: EntityRef) -> set[EntityRef]:
        out: set[EntityRef] = set()
        entry = self._entries.get(ref)
        while entry is not None and entry.parent is not None and entry.parent not in out:
            out.add(entry.parent)
            entry = self._entries.get(entry.parent)
        return out

    def _most_specific(self, hits: list[Hit]) -> Hit:
        refs = {h.ref for h in hits}
        above: set[EntityRef] = set()
        for ref in refs:
            above |= self._ancestors(ref)
        leaves = [h for h in hits if h.ref not in above] or hits
        return max(leaves, key=lambda h: (self._depth(h.ref), -h.start))

    def _site(self, text: str, hit: Hit) -> Organisation | None:
        # After a space only a capitalised place makes a unit ("INFN Perugia"); "CERN IT",
        # "CNRS France" or "INFN (Italy)" stay the known organisation.
        m = _SITE.fullmatch(text, hit.end)
        if m is None:
            return None
        place = m.group("place")
        if place is not None and any(
            not w[0].isupper() or w.isupper() or w.casefold() in _COUNTRIES for w in place.split()
        ):
            return None
        name = text[: m.end("site")]
        return Organisation(
            EntityRef(Kind.ORGANISATION, slugify(name)), name, written_as=(text,), parent=hit.ref
        )

    def parts(self, text: str) -> list[Part]:
        """The known organisations a compound affiliation is made of, with their offsets.

        "LAPP IN2P3 / CNRS" -> LAPP, IN2P3, CNRS; "CNRS-LAPP" -> CNRS, LAPP; "FAU Erlangen
        (ECAP)" -> FAU, ECAP. Every piece must be a known organisation, or there is no split
        (so "CC-IN2P3", "IAA-CSIC" or "INFN Perugia" give []). Also [] for a single piece.
        """
        out: list[Part] = []
        for piece in _PIECE.finditer(text):
            found = self._piece(piece.group(0), piece.start())
            if found is None:
                return []
            out.extend(found)
        return out if len(out) >= 2 else []

    def _piece(self, piece: str, offset: int) -> list[Part] | None:
        whole = self.whole(piece)
        if whole is not None and not re.search(r"[\s\-‐‑]", piece.strip()):
            return [Part(offset, offset + len(piece), whole)]
        for pattern in _FINE:
            words = list(pattern.finditer(piece))
            refs = [self.whole(w.group(0)) for w in words]
            if len(words) >= 2 and all(r is not None for r in refs):
                return [
                    Part(offset + w.start(), offset + w.end(), r)
                    for w, r in zip(words, refs, strict=True)
                    if r is not None
                ]
        if whole is not None:
            return [Part(offset, offset + len(piece), whole)]
        return None

    def resolve(self, written: str) -> Resolved:
        """The organisation ``written`` names.

        Whole-string matches win; otherwise the most specific known unit named inside it
        ("FAU Erlangen (ECAP)" -> ECAP); a known acronym followed by a place makes a new unit
        of it ("INFN-Perugia", "INFN Perugia (Italy)", "INAF - Trieste"; a bracketed country is
        left out of the unit's name); anything else becomes a new, unknown organisation.
        """
        text = " ".join(written.split())
        ref = self.whole(text)
        if ref is not None:
            return Resolved(self.known(ref, text))
        hits = non_overlapping(self._table.all_hits(text))
        if not hits:
            ref = EntityRef(Kind.ORGANISATION, slugify(text))
            return Resolved(Organisation(ref, text, written_as=(text,)))
        if len(hits) == 1 and hits[0].start == 0:
            unit = self._site(text, hits[0])
            if unit is not None:
                return Resolved(unit, self.known(hits[0].ref))
        best = self._most_specific(hits)
        return Resolved(self.known(best.ref, text))
