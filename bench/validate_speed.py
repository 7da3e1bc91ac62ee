"""Benchmark: time to map and to validate one large hand-built meeting.

Builds a Meeting by hand (no parser, no extractors): ITEMS timed agenda items
and MENTIONS person mentions, each person mentioned once. Maps it to RDF and
validates it N times, and prints milliseconds per meeting for each stage. Not
a test: it prints figures and asserts nothing.

    python bench/validate_speed.py [ITEMS MENTIONS [N]]     (default: 100 300 10)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
import time

from escape_kg.model import (
    AgendaItem,
    EntityRef,
    Kind,
    Meeting,
    Mention,
    ParsedMinutes,
    Person,
    SourceDocument,
    SourceRef,
    Span,
)
from escape_kg.rdf.iris import Minter
from escape_kg.rdf.mapping import ImportInfo, meeting_graph
from escape_kg.validate import shapes_graph, validate_graph

DATE = dt.date(2021, 9, 8)


def build(n_items: int, n_mentions: int) -> Meeting:
    """A meeting of ``n_items`` five-minute items sharing ``n_mentions`` mentions."""
    lines = ["Big Meeting"]
    offset = len(lines[0]) + 1
    agenda: list[AgendaItem] = []
    people: list[Person] = []
    mentions: list[Mention] = []
    start = dt.datetime.combine(DATE, dt.time(8, 0))
    for i in range(1, n_items + 1):
        title = f"Item {i}"
        agenda.append(
            AgendaItem(
                number=str(i),
                title=title,
                title_span=Span(offset, offset + len(title), len(lines) + 1),
                start=start,
                end=start + dt.timedelta(minutes=5),
                duration=dt.timedelta(minutes=5),
            )
        )
        start += dt.timedelta(minutes=5)
        lines.append(title)
        offset += len(title) + 1
        for j in range(n_mentions // n_items + (1 if i <= n_mentions % n_items else 0)):
            name = f"Person{i}x{j} Surname"
            ref = EntityRef(Kind.PERSON, f"person{i}x{j}-surname")
            people.append(Person(ref, name))
            line = f"  reported by {name}"
            at = offset + len("  reported by ")
            mentions.append(Mention(ref, Span(at, at + len(name), len(lines) + 1), name, str(i)))
            lines.append(line)
            offset += len(line) + 1
    text = "\n".join(lines) + "\n"
    source = SourceRef("big.txt", hashlib.sha256(text.encode()).hexdigest(), len(text))
    doc = SourceDocument(source=source, format="text", text=text, redactions={})
    minutes = ParsedMinutes(doc, "Big Meeting", DATE, "argument", tuple(agenda))
    return Meeting(minutes=minutes, people=tuple(people), mentions=tuple(mentions))


def main(argv: list[str]) -> None:
    n_items, n_mentions, rounds = (int(a) for a in (argv + ["100", "300", "10"][len(argv) :]))
    meeting = build(n_items, n_mentions)
    minter = Minter()
    info = ImportInfo(dt.datetime.now(dt.UTC), "bench")
    shapes_graph()  # parse the shapes once, as a long-running process would
    graph = meeting_graph(meeting, minter, info)
    report = validate_graph(graph)  # warm-up
    t0 = time.perf_counter()
    for _ in range(rounds):
        graph = meeting_graph(meeting, minter, info)
    t1 = time.perf_counter()
    for _ in range(rounds):
        report = validate_graph(graph)
    t2 = time.perf_counter()
    print(f"{n_items} items, {len(meeting.mentions)} mentions, {len(graph)} triples")
    print(f"map:      {(t1 - t0) / rounds * 1000:8.1f} ms per meeting")
    print(f"validate: {(t2 - t1) / rounds * 1000:8.1f} ms per meeting (conforms={report.conforms})")


if __name__ == "__main__":
    main(sys.argv[1:])
