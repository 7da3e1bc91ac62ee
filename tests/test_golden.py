"""Golden graphs: each example input maps to the expected graph, compared by isomorphism.

Run ``pytest tests/test_golden.py --update-golden`` to accept a deliberate change,
then review the diff of tests/data/golden/ before committing it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import graph_diff, to_isomorphic

from escape_kg.api import KnowledgeGraph
from escape_kg.rdf.namespaces import PROV

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden"

CASES = {
    "escape-tc-minutes": (ROOT / "examples" / "escape-tc-minutes.txt", dt.date(2021, 9, 8)),
    "reunion-fr-12h": (ROOT / "tests" / "data" / "reunion-fr-12h.txt", None),
}
# The only triples that differ between two imports of the same file.
VOLATILE = {PROV.generatedAtTime, PROV.startedAtTime}


def stable(graph: Graph) -> Graph:
    out = Graph()
    for prefix, ns in graph.namespaces():
        out.bind(prefix, ns)
    for triple in graph:
        if triple[1] not in VOLATILE:
            out.add(triple)
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_graph(name: str, update_golden: bool) -> None:
    path, date = CASES[name]
    built = KnowledgeGraph.memory().build(path, date=date)
    actual = stable(built.graph)
    golden = GOLDEN / f"{name}.ttl"
    if update_golden:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        actual.serialize(golden, format="turtle")
        pytest.skip(f"rewrote {golden.relative_to(ROOT)}")
    expected = Graph().parse(golden, format="turtle")
    if to_isomorphic(actual) == to_isomorphic(expected):
        return
    _, only_actual, only_expected = graph_diff(to_isomorphic(actual), to_isomorphic(expected))
    lines = [f"+ {s.n3()} {p.n3()} {o.n3()}" for s, p, o in sorted(only_actual)][:40]
    lines += [f"- {s.n3()} {p.n3()} {o.n3()}" for s, p, o in sorted(only_expected)][:40]
    pytest.fail(
        f"{name}: the graph differs from {golden.relative_to(ROOT)} "
        f"(+ only in new output, - only in golden file):\n" + "\n".join(lines)
    )
