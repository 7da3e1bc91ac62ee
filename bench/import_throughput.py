"""Benchmark: import throughput (meetings/s, triples/s), validation included.

Generates minutes, imports them into a fresh on-disk store and prints the
rate, with the time spent in each pipeline stage. Not a test: it prints
figures and asserts nothing.

    python bench/import_throughput.py [--store URL] [COUNT ...]     (default: 100 1000)

With --store URL the documents go to that remote SPARQL store (see the README,
"Remote stores"; credentials from ESCAPE_KG_STORE_USER / ESCAPE_KG_STORE_PASSWORD)
instead of a fresh on-disk store. The remote store is not emptied first.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_minutes import write

from escape_kg import __version__
from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.extract import extract
from escape_kg.parse import parse_minutes
from escape_kg.rdf.mapping import ImportInfo, meeting_graph, meeting_key_of
from escape_kg.redact import redact
from escape_kg.sources import read_source
from escape_kg.validate import validate_graph


def stages(kg: KnowledgeGraph, paths: list[Path]) -> dict[str, float]:
    """Seconds spent per stage over ``paths`` (same work as KnowledgeGraph.ingest)."""
    spent: dict[str, float] = defaultdict(float)
    info = ImportInfo(imported_at=dt.datetime.now(dt.UTC), tool_version=__version__)
    for path in paths:
        t0 = time.perf_counter()
        doc = redact(read_source(path, max_bytes=kg.settings.max_bytes))
        t1 = time.perf_counter()
        minutes = parse_minutes(doc)
        t2 = time.perf_counter()
        meeting = extract(minutes, kg.lexicon)
        t3 = time.perf_counter()
        graph = meeting_graph(meeting, kg.minter, info)
        t4 = time.perf_counter()
        validate_graph(graph, source_path=str(path))
        t5 = time.perf_counter()
        kg.store.replace_graph(str(kg.minter.graph(meeting_key_of(meeting))), graph)
        t6 = time.perf_counter()
        for name, a, b in (
            ("read+redact", t0, t1),
            ("parse", t1, t2),
            ("extract", t2, t3),
            ("map", t3, t4),
            ("validate", t4, t5),
            ("store", t5, t6),
        ):
            spent[name] += b - a
    return spent


def run(count: int, store_url: str = "") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = write(Path(tmp) / "minutes", count)
        if store_url:
            kg = KnowledgeGraph.open(Settings.load(store=store_url))
        else:
            kg = KnowledgeGraph.open(Settings(store=Path(tmp) / "store"))
        start = time.perf_counter()
        outcomes = kg.ingest_many(paths)
        elapsed = time.perf_counter() - start
        stored = [o for o in outcomes if o.status in {"imported", "forced"}]
        triples = sum(o.triples for o in stored)
        others = {o.status for o in outcomes} - {"imported"}
        print(
            f"{count:>6} meetings: {count / elapsed:7.1f} meetings/s, {triples / elapsed:9.0f} "
            f"triples/s, {triples / max(len(stored), 1):6.0f} triples/meeting, "
            f"{elapsed:6.2f} s total" + (f"  (statuses seen: {sorted(others)})" if others else "")
        )
        # Cost per meeting as the store grows: first vs last tenth of the run.
        tenth = max(count // 10, 1)
        first = stages(kg, paths[:tenth])
        last = stages(kg, paths[-tenth:])
        for label, spent in (("first 10%", first), ("last 10%", last)):
            parts = ", ".join(f"{k} {1000 * v / tenth:.2f}" for k, v in spent.items())
            print(f"        ms/meeting by stage, re-import of {label}: {parts}")
        kg.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    url = ""
    if args[:1] == ["--store"]:
        url, args = args[1], args[2:]
    for n in [int(a) for a in args] or [100, 1000]:
        run(n, url)
