"""Summary triples computed at import time so that the catalogue queries need not scan the store.

A SPARQL engine answers "how many items has each meeting" or "which entity is called
dac21, in any case" by reading every item or every label of every graph. The
mapper knows these facts already, so it writes them down once, inside the same
document graph as the facts they sum up: replacing or deleting a document replaces
its summaries with it, and they can never disagree with the rest of the graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rdflib import Literal, URIRef
from rdflib.term import Node

from escape_kg.rdf.namespaces import EKG, RDF, SCHEMA, XSD

__all__ = ["LABEL_PREDICATES", "action_line", "meeting_summary", "search_keys", "words"]

Triple = tuple[Node, Node, Node]

# Every predicate that gives an entity a name someone may search for.
LABEL_PREDICATES = frozenset(
    {SCHEMA.name, SCHEMA.alternateName, SCHEMA.identifier, EKG.alias, EKG.acronym}
)

# A notes line that reads like an action: "Action:", "Actions:", "Action items:", "AI:",
# "TODO", "to do", "to-do" (the action-items query documents the same list).
_ACTION = re.compile(r"\b(?:actions?(?: items?)?\s*:|ai\s*:|todo\b|to[ -]do\b)", re.IGNORECASE)

_AGENDA_ITEM = EKG.AgendaItem
_ACTION_LINE = EKG.actionLine
_DESCRIPTION = SCHEMA.description
_ITEM_COUNT = EKG.itemCount
_NAME = SCHEMA.name
_PERFORMER = SCHEMA.performer
_SEARCH_KEY = EKG.searchKey
_SEARCH_WORD = EKG.searchWord
_SPEAKER_COUNT = EKG.speakerCount
_SPEAKER_NAMES = EKG.speakerNames
_TYPE = RDF.type
# A word is a run of letters and digits: the find-entity query cuts its text the same
# way (SPARQL "[\\W_]+", which Oxigraph reads with Unicode classes, as Python does).
_WORD = re.compile(r"[^\W_]+")
_DIGIT = re.compile(r"\d")


def action_line(notes: str) -> str | None:
    """The first line of ``notes`` that reads like an action, without surrounding blanks;
    None when no line does."""
    for line in notes.split("\n"):
        if _ACTION.search(line):
            return line.strip()
    return None


def meeting_summary(meeting: URIRef, triples: Sequence[Triple]) -> list[Triple]:
    """The meeting's ``ekg:itemCount`` (agenda items at every level), ``ekg:speakerCount``
    (distinct people performing an item) and, when anyone spoke, ``ekg:speakerNames``
    (their names, sorted, joined by ", "); plus ``ekg:actionLine`` on each item whose
    notes hold a line that reads like an action. ``triples`` is the document's graph."""
    items: set[Node] = set()
    speakers: set[Node] = set()
    names: dict[Node, set[str]] = {}
    notes: list[tuple[Node, str]] = []
    for s, p, o in triples:
        if p == _TYPE:
            if o == _AGENDA_ITEM:
                items.add(s)
        elif p == _PERFORMER:
            speakers.add(o)
        elif p == _NAME:
            names.setdefault(s, set()).add(str(o))
        elif p == _DESCRIPTION:
            notes.append((s, str(o)))
    out: list[Triple] = []
    # Actions carry a schema:description too; only the items' notes are searched.
    for item, text in notes:
        line = action_line(text) if item in items else None
        if line is not None:
            out.append((item, _ACTION_LINE, Literal(line)))
    out.append((meeting, _ITEM_COUNT, Literal(len(items), datatype=XSD.integer)))
    out.append((meeting, _SPEAKER_COUNT, Literal(len(speakers), datatype=XSD.integer)))
    spoken = sorted({n for s in speakers for n in names.get(s, ())})
    if spoken:
        out.append((meeting, _SPEAKER_NAMES, Literal(", ".join(spoken))))
    return out


def words(key: str) -> list[str]:
    """The words of ``key`` worth a lookup, each once, in order: runs of letters and digits
    of three characters or more, or of two with a digit ("d5"), that differ from ``key``
    itself. "escape data lake" gives three, "dac21" none (its key says it), "la" none."""
    found = {
        w: None for w in _WORD.findall(key) if len(w) > 2 or (len(w) == 2 and _DIGIT.search(w))
    }
    found.pop(key, None)
    return list(found)


def search_keys(triples: Iterable[Triple], skip: Iterable[Node] = ()) -> list[Triple]:
    """One ``ekg:searchKey`` per distinct lower-cased label (LABEL_PREDICATES) of each
    subject in ``triples``, except the subjects in ``skip`` (agenda items and the meeting,
    which nobody looks up by name), and one ``ekg:searchWord`` per distinct word of those
    keys that is not a key itself (see ``words``). Queries match a term exactly against
    these, an index lookup, instead of lower-casing every label of every graph."""
    skipped = set(skip)
    seen: set[tuple[Node, str]] = set()
    keys: dict[Node, list[str]] = {}
    out: list[Triple] = []
    for s, p, o in triples:
        if p in LABEL_PREDICATES and s not in skipped and isinstance(o, Literal):
            key = str(o).lower()
            if (s, key) not in seen:
                seen.add((s, key))
                out.append((s, _SEARCH_KEY, Literal(key)))
                keys.setdefault(s, []).append(key)
    for s, labels in keys.items():
        done = set(labels)
        for key in labels:
            for word in words(key):
                if word not in done:
                    done.add(word)
                    out.append((s, _SEARCH_WORD, Literal(word)))
    return out
