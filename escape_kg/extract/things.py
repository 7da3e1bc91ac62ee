"""Known things named in notes and titles: projects, services, organisations, WPs, events."""

from __future__ import annotations

import re
from collections.abc import Iterable

from escape_kg.extract.cache import per_lexicon
from escape_kg.extract.matching import AliasTable, norm_key
from escape_kg.model import EntityRef, Kind, Lexicon, LexiconEntry, Thing

__all__ = ["EVENT_WORDS", "build_table", "derived_aliases", "initialisms", "thing_of"]

# Words that make a name an event name ("IVOA meeting", "Rucio community workshop").
EVENT_WORDS = frozenset(
    {"conference", "workshop", "meeting", "symposium", "interop", "school", "assembly", "days"}
)

# When one alias names several entities, the first kind here wins (after exact names).
_KIND_ORDER = (
    Kind.WORK_PACKAGE,
    Kind.SERVICE,
    Kind.PROJECT,
    Kind.ORGANISATION,
    Kind.EVENT,
    Kind.EVENT_SERIES,
    Kind.PERSON,
)
_WP_LIKE = re.compile(r"^\s*(?:WP|D|MS|M|T)\s*\d", re.IGNORECASE)


def initialisms(name: str) -> set[str]:
    """Initials of runs of two or more capitalised words ("General Assembly" -> "GA")."""
    out: set[str] = set()
    for run in re.findall(r"(?:\b[A-Z][a-z]+\b\s*){2,}", name):
        words = run.split()
        for i in range(len(words)):
            for j in range(i + 2, len(words) + 1):
                out.add("".join(w[0] for w in words[i:j]))
    return out


def derived_aliases(entry: LexiconEntry, projects: Iterable[str]) -> set[str]:
    """Extra names an event series goes by in minutes.

    "ESCAPE General Assembly" is written "General Assembly" or "GA" by project members, so
    a series named after a project gets its name without the project, and that name's
    initials, as aliases when it ends in an event word.
    """
    out: set[str] = set()
    for name in (entry.name, *entry.aliases):
        for project in projects:
            if name.lower().startswith(project.lower() + " "):
                rest = name[len(project) + 1 :].strip()
                if rest.split()[-1].lower() in EVENT_WORDS:
                    out.add(rest)
                    out.update(initialisms(rest))
    return out


def _winner(refs: list[EntityRef], alias: str, lexicon: Lexicon) -> EntityRef:
    named = []
    for ref in refs:
        entry = lexicon.get(ref)
        if entry is not None and norm_key(entry.name) == norm_key(alias):
            named.append(ref)
    pool = named or refs
    return min(pool, key=lambda r: (_KIND_ORDER.index(r.kind), r.key))


@per_lexicon
def build_table(lexicon: Lexicon) -> AliasTable:
    """The alias table used on notes and titles: every lexicon entry except deliverables.

    Aliases shaped like identifiers ("WP2", "D5.3") are left to the dedicated patterns, and an
    alias naming several entries goes to one: the entry it is the name of, else by kind
    (a WP acronym before a service, a service before an organisation...). Built once per
    Lexicon object; later calls return the same table.
    """
    projects = [a for e in lexicon.of_kind(Kind.PROJECT) for a in (e.name, *e.aliases)]
    candidates: dict[str, list[EntityRef]] = {}
    spellings: dict[str, set[str]] = {}
    for entry in lexicon.entries:
        if entry.ref.kind not in _KIND_ORDER:
            continue
        names = {entry.name, *entry.aliases}
        if entry.ref.kind is Kind.EVENT_SERIES:
            names |= derived_aliases(entry, projects)
        for alias in names:
            if _WP_LIKE.match(alias) and entry.ref.kind is Kind.WORK_PACKAGE:
                continue
            # Acronyms and ordinary names are matched differently, so keep them apart.
            key = ("A:" if not any(c.islower() for c in alias) else "a:") + norm_key(alias)
            refs = candidates.setdefault(key, [])
            if entry.ref not in refs:
                refs.append(entry.ref)
            spellings.setdefault(key, set()).add(alias)
    pairs = []
    for key, refs in candidates.items():
        for alias in spellings[key]:
            pairs.append((alias, _winner(refs, alias, lexicon)))
    return AliasTable(sorted(pairs))


def thing_of(ref: EntityRef, lexicon: Lexicon) -> Thing:
    """The Thing value of a known project or service."""
    entry = lexicon.get(ref)
    return Thing(ref=ref, name=entry.name if entry else ref.key, known=entry is not None)
