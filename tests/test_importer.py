"""Import runs: the parallel path stores exactly what the serial path stores."""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Iterable
from pathlib import Path

import pytest
from rdflib import Literal as RdfLiteral
from rdflib import URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from escape_kg import importer
from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.errors import SourceError
from escape_kg.importer import PARALLEL_MIN_FILES
from escape_kg.store.core import Store
from escape_kg.store.results import to_oxigraph

ROOT = Path(__file__).resolve().parent.parent
SEED = (ROOT / "examples" / "escape-tc-minutes.txt").read_bytes()


def minutes_folder(tmp_path: Path, count: int) -> list[Path]:
    """``count`` copies of the seed, each dated by its file name, plus one empty file."""
    folder = tmp_path / "minutes"
    folder.mkdir()
    paths = []
    for i in range(count):
        day = dt.date(2021, 1, 6) + dt.timedelta(days=7 * i)
        path = folder / f"{day.isoformat()}-tc.txt"
        path.write_bytes(SEED)
        paths.append(path)
    empty = folder / "2022-12-31-empty.txt"
    empty.write_bytes(b"")
    paths.insert(len(paths) // 2, empty)
    return paths


def stored(kg: KnowledgeGraph) -> list[str]:
    """The dataset as sorted N-Quads lines, without the import times."""
    lines = kg.store.dump_bytes("nquads").decode().splitlines()
    return sorted(
        line for line in lines if "generatedAtTime" not in line and "startedAtTime" not in line
    )


def test_parallel_import_equals_serial_import(tmp_path: Path) -> None:
    paths = minutes_folder(tmp_path, PARALLEL_MIN_FILES)
    serial = KnowledgeGraph.memory(Settings(import_workers=1))
    parallel = KnowledgeGraph.memory(Settings(import_workers=2))
    one = serial.ingest_many(paths)
    two = parallel.ingest_many(paths)
    assert [(o.path, o.status, o.triples) for o in one] == [
        (o.path, o.status, o.triples) for o in two
    ]
    assert [o.status for o in two].count("imported") == PARALLEL_MIN_FILES
    [failed] = [o for o in two if o.status == "failed"]
    assert isinstance(failed.error, SourceError)
    assert failed.error.hint  # the hint survives the trip from the worker
    assert stored(serial) == stored(parallel)


def test_errors_keep_hint_path_and_line_through_pickling() -> None:
    error = SourceError("not UTF-8", hint="re-save it as UTF-8", path="a.txt", line=3)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is SourceError
    assert (copy.message, copy.hint, copy.path, copy.line) == (
        "not UTF-8",
        "re-save it as UTF-8",
        "a.txt",
        3,
    )
    assert str(copy) == str(error)


def test_a_long_import_flushes_the_store_as_it_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The embedded store holds unflushed writes in memory: a run that only
    # flushed at the end would need memory for every document it stored.
    monkeypatch.setattr(importer, "FLUSH_EVERY", 2)
    paths = minutes_folder(tmp_path, 5)
    kg = KnowledgeGraph.open(Settings(store=tmp_path / "store", import_workers=1))
    flushes: list[int] = []
    real_flush = kg.store.flush

    def counting_flush() -> None:
        flushes.append(len(stored(kg)))
        real_flush()

    monkeypatch.setattr(kg.store, "flush", counting_flush)
    outcomes = kg.ingest_many(paths)
    kg.close()
    assert [o.status for o in outcomes].count("imported") == 5
    # After the 2nd and the 4th stored documents, before the run was complete.
    assert flushes[0] < flushes[1] < flushes[-1]


def test_reimporting_a_changed_file_replaces_its_graph_whole(tmp_path: Path) -> None:
    # A new graph is written without a DROP, an existing one with it: either way the
    # store must end up holding exactly what a fresh import of the file holds.
    path = tmp_path / "2021-09-08-tc.txt"
    path.write_bytes(SEED)
    kg = KnowledgeGraph.open(Settings(store=tmp_path / "store"))
    [first] = kg.ingest_many([path])
    path.write_bytes(SEED.replace(b"Rucio", b"FTS"))
    [second] = kg.ingest_many([path])
    kg.close()
    fresh = KnowledgeGraph.memory()
    [only] = fresh.ingest_many([path])
    assert (first.status, second.status, only.status) == ("imported", "imported", "imported")
    assert first.graph_iri == second.graph_iri
    reopened = KnowledgeGraph.open(Settings(store=tmp_path / "store"))
    assert stored(reopened) == stored(fresh)
    reopened.close()


AWKWARD_LITERALS = [
    RdfLiteral('say "hi"\\ and \\"'),
    RdfLiteral('three """ quotes\nand a line break\r\nand a CR'),
    RdfLiteral("tab\tand unicode: Ünïcødé — 名前 🎉"),
    RdfLiteral('ends with a quote"'),
    RdfLiteral("bonjour", lang="fr"),
    RdfLiteral("2021-09-08", datatype=XSD.date),
    RdfLiteral(42, datatype=XSD.integer),
    RdfLiteral("PT25M", datatype=XSD.duration),
    RdfLiteral("INF", datatype=XSD.double),
    RdfLiteral(""),
]


def as_oxigraph(triples: Iterable[tuple[Node, Node, Node]]) -> set[tuple[object, ...]]:
    return {tuple(to_oxigraph(term) for term in triple) for triple in triples}


@pytest.mark.parametrize("existing", [False, True], ids=["new graph", "replaced graph"])
def test_stored_literals_are_exactly_the_mapped_ones(tmp_path: Path, existing: bool) -> None:
    # Documents travel to the store as N-Triples text written by our own writer:
    # whatever a literal holds, the store must get back the same term.
    graph = "https://example.org/graph/g"
    subject = URIRef("https://example.org/s")
    triples: set[tuple[Node, Node, Node]] = {
        (subject, URIRef(f"https://example.org/p{i}"), o) for i, o in enumerate(AWKWARD_LITERALS)
    }
    triples.add((subject, URIRef("https://example.org/link"), URIRef("https://example.org/o#x")))
    store = Store(tmp_path / "store")
    if existing:
        store.replace_graph(graph, [(subject, URIRef("https://example.org/old"), RdfLiteral(1))])
    store.replace_graph(graph, triples)
    # compared as Oxigraph terms, where a plain string literal is an xsd:string
    assert as_oxigraph(store.graph_triples(graph)) == as_oxigraph(triples)
    store.close()
