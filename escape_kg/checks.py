"""Python twins of the shapes' SHACL-SPARQL constraints, for fast validation.

rdflib parses a SPARQL query on every pySHACL run and evaluates it at tens of
microseconds per row, so the two SHACL-SPARQL constraints cost more than all
core constraints together. Each twin finds exactly what its SELECT finds (the
shapes stay the specification; tests/test_validate.py runs both on the same
graphs and compares). A twin takes the data graph and the focus node and yields
(offending node, path) pairs, like the SELECT's ?value and ?path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from escape_kg.rdf.namespaces import OA, SCHEMA

__all__ = ["TWINS", "Twin"]

SHAPES = "https://w3id.org/escape-kg/shapes#"

Twin = Callable[[Graph, Node], Iterator[tuple[Node, URIRef]]]


def _value(node: Node | None) -> object:
    return node.toPython() if isinstance(node, Literal) else None


def _comparable(a: object, b: object) -> bool:
    # SPARQL raises a type error (so the FILTER drops the row) when comparing a date with a
    # dateTime, or a time-zoned dateTime with a local one; Python would compare or raise.
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return (a.tzinfo is None) == (b.tzinfo is None)
    return (
        isinstance(a, dt.date)
        and isinstance(b, dt.date)
        and not (isinstance(a, dt.datetime) or isinstance(b, dt.datetime))
    )


def agenda_times(data: Graph, focus: Node) -> Iterator[tuple[Node, URIRef]]:
    """ekgsh:AgendaTimesConsistent: durations match times; items sit inside their parent."""
    del focus  # the SELECT does not use $this: one meeting per document graph
    for node, duration in data.subject_objects(SCHEMA.duration):
        d = _value(duration)
        if not isinstance(d, dt.timedelta):
            continue
        for start in data.objects(node, SCHEMA.startDate):
            for end in data.objects(node, SCHEMA.endDate):
                s, e = _value(start), _value(end)
                timed = isinstance(s, dt.datetime) and isinstance(e, dt.datetime)
                if timed and _comparable(s, e) and e > s and e - s != d:  # type: ignore[operator]
                    yield node, SCHEMA.duration
    for node, parent in data.subject_objects(SCHEMA.superEvent):
        for path, later in ((SCHEMA.startDate, False), (SCHEMA.endDate, True)):
            for mine in data.objects(node, path):
                for theirs in data.objects(parent, path):
                    a, b = _value(mine), _value(theirs)
                    if not (isinstance(a, dt.date) and isinstance(b, dt.date)):
                        continue
                    if _comparable(a, b) and (a > b if later else a < b):
                        yield node, path


def mention_quotes(data: Graph, focus: Node) -> Iterator[tuple[Node, URIRef]]:
    """ekgsh:MentionQuoteMatches: quote equals the text at the offsets, inside the text."""
    for text_node in data.objects(focus, SCHEMA.text):
        if not isinstance(text_node, Literal):
            continue
        text = str(text_node)
        for quote, exact in data.subject_objects(OA.exact):
            for target in data.subjects(OA.hasSelector, quote):
                for position in data.objects(target, OA.hasSelector):
                    for start in data.objects(position, OA.start):
                        for end in data.objects(position, OA.end):
                            s, e = _value(start), _value(end)
                            if not isinstance(s, int) or not isinstance(e, int):
                                continue
                            if e > len(text) or str(exact) != _substr(text, s, e):
                                for mention in data.subjects(OA.hasTarget, target):
                                    yield mention, OA.exact


def _substr(text: str, start: int, end: int) -> str:
    # SUBSTR(text, start + 1, end - start) with SPARQL's 1-based, length-based rules
    if end <= start:
        return ""
    return text[max(start, 0) : end]


TWINS: dict[str, Twin] = {
    SHAPES + "AgendaTimesConsistent": agenda_times,
    SHAPES + "MentionQuoteMatches": mention_quotes,
}
