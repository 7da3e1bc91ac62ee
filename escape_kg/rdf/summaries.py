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

from escape_kg.rdf.namespaces import EKG, OA, RDF, SCHEMA, XSD

__all__ = [
    "LABEL_PREDICATES",
    "SUMMARY_VERSION",
    "action_line",
    "decision_mentions",
    "meeting_summary",
    "search_keys",
    "search_words",
    "summary_stamp",
    "words",
]

Triple = tuple[Node, Node, Node]

# Raised whenever the summaries a document graph carries change, so that queries (and
# the importer) can tell a graph summed up by an older tool from a current one:
# 1 (no stamp) itemCount, speakerCount, speakerNames, actionLine, searchKey, searchWord;
# 2 adds ekg:textMentions and leaves out the search words the reference graph holds.
SUMMARY_VERSION = 2

# Every predicate that gives an entity a name someone may search for.
LABEL_PREDICATES = frozenset(
    {SCHEMA.name, SCHEMA.alternateName, SCHEMA.identifier, EKG.alias, EKG.acronym}
)

# A notes line that reads like an action: "Action:", "Actions:", "Action items:", "AI:",
# "TODO", "to do", "to-do" (the action-items query documents the same list).
_ACTION = re.compile(r"\b(?:actions?(?: items?)?\s*:|ai\s*:|todo\b|to[ -]do\b)", re.IGNORECASE)

_AGENDA_ITEM = EKG.AgendaItem
_ACTION_LINE = EKG.actionLine
_DECIDED_IN = EKG.decidedIn
_DESCRIPTION = SCHEMA.description
_END = OA.end
_HAS_BODY = OA.hasBody
_HAS_SELECTOR = OA.hasSelector
_HAS_TARGET = OA.hasTarget
_ITEM_COUNT = EKG.itemCount
_NAME = SCHEMA.name
_PERFORMER = SCHEMA.performer
_SEARCH_KEY = EKG.searchKey
_SEARCH_WORD = EKG.searchWord
_SPEAKER_COUNT = EKG.speakerCount
_SPEAKER_NAMES = EKG.speakerNames
_START = OA.start
_SUMMARY_VERSION = EKG.summaryVersion
_TEXT_MENTIONS = EKG.textMentions
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


def summary_stamp(graph: URIRef) -> Triple:
    """The triple saying which summaries (``SUMMARY_VERSION``) the document graph carries."""
    return (graph, _SUMMARY_VERSION, Literal(SUMMARY_VERSION, datatype=XSD.integer))


def decision_mentions(triples: Iterable[Triple]) -> list[Triple]:
    """One ``ekg:textMentions`` from each decision (a subject of ``ekg:decidedIn``) to each
    body of a mention whose text lies inside a mention of the decision itself (offsets
    within its ``oa:start``..``oa:end``), each pair once. The decisions query matches a
    term against the labels of these entities instead of comparing every mention's
    offsets in the graph."""
    decisions: set[Node] = set()
    body: dict[Node, list[Node]] = {}
    target: dict[Node, list[Node]] = {}
    selector: dict[Node, list[Node]] = {}
    start: dict[Node, list[int]] = {}
    end: dict[Node, list[int]] = {}
    for s, p, o in triples:
        if p == _DECIDED_IN:
            decisions.add(s)
        elif p == _HAS_BODY:
            body.setdefault(s, []).append(o)
        elif p == _HAS_TARGET:
            target.setdefault(s, []).append(o)
        elif p == _HAS_SELECTOR:
            selector.setdefault(s, []).append(o)
        elif p == _START and isinstance(o, Literal):
            start.setdefault(s, []).append(int(o))
        elif p == _END and isinstance(o, Literal):
            end.setdefault(s, []).append(int(o))
    if not decisions:
        return []
    # Every (start, end) of a mention, through its targets' selectors, as the query reads it.
    spans: dict[Node, list[tuple[int, int]]] = {}
    for mention in body:
        spans[mention] = [
            (a, b)
            for t in target.get(mention, ())
            for sel in selector.get(t, ())
            for a in start.get(sel, ())
            for b in end.get(sel, ())
        ]
    out: list[Triple] = []
    seen: set[tuple[Node, Node]] = set()
    for dm, bodies in body.items():
        for decision in bodies:
            if decision not in decisions:
                continue
            for ds, de in spans[dm]:
                for em, entities in body.items():
                    if em == dm or not any(es >= ds and ee <= de for es, ee in spans[em]):
                        continue
                    for entity in entities:
                        if (decision, entity) not in seen:
                            seen.add((decision, entity))
                            out.append((decision, _TEXT_MENTIONS, entity))
    return out


def search_keys(
    triples: Iterable[Triple],
    skip: Iterable[Node] = (),
    known_words: frozenset[tuple[Node, str]] = frozenset(),
) -> list[Triple]:
    """One ``ekg:searchKey`` per distinct lower-cased label (LABEL_PREDICATES) of each
    subject in ``triples``, except the subjects in ``skip`` (agenda items and the meeting,
    which nobody looks up by name), and one ``ekg:searchWord`` per distinct word of those
    keys that is not a key itself (see ``words``) nor in ``known_words`` (the reference
    graph's, which every store holds once: minutes graphs need not repeat them). Queries
    match a term exactly against these, an index lookup, instead of lower-casing every
    label of every graph."""
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
                    if (s, word) not in known_words:
                        out.append((s, _SEARCH_WORD, Literal(word)))
    return out


def search_words(triples: Iterable[Triple]) -> frozenset[tuple[Node, str]]:
    """Every (subject, word) that ``triples`` give as an ``ekg:searchWord``."""
    return frozenset((s, str(o)) for s, p, o in triples if p == _SEARCH_WORD)
