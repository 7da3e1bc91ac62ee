"""A lean in-memory rdflib store that holds the triples of one document graph."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from rdflib import URIRef
from rdflib.store import Store
from rdflib.term import Node

if TYPE_CHECKING:
    from rdflib.graph import Graph, _ContextType, _QuadType, _TriplePatternType, _TripleType

__all__ = ["DocumentStore"]

Triple = tuple[Node, Node, Node]
_Index = dict[Node, dict[Node, dict[Node, None]]]


def _drop(index: _Index, a: Node, b: Node, c: Node) -> None:
    inner = index[a]
    leaves = inner[b]
    del leaves[c]
    if not leaves:
        del inner[b]
        if not inner:
            del index[a]


class DocumentStore(Store):
    """The triples of one minutes document, for the one Graph built on this store.

    rdflib's Memory store keeps, per triple, the set of graphs holding it, and
    checks that set on every lookup; pySHACL makes about 150 lookups per triple,
    so that bookkeeping dominated validation. A document graph lives alone on its
    store, so this store keeps no such set: every Graph on it sees all its
    triples, whatever context is asked for. Build one Graph per DocumentStore.
    It still reports itself context- and graph-aware because pySHACL wraps its
    data graph in an rdflib Dataset, which requires both.
    Lookups yield triples in insertion order, as rdflib's Memory store does.
    """

    context_aware = True
    graph_aware = True
    formula_aware = False
    transaction_aware = False

    def __init__(self, configuration: str | None = None, identifier: Node | None = None) -> None:
        super().__init__(configuration)
        self.identifier = identifier
        self._spo: _Index = {}
        self._pos: _Index = {}
        # built on the first lookup by object alone, which pySHACL never makes: a third
        # fewer dicts to build (and for the garbage collector to walk)
        self._osp: _Index | None = None
        self._size = 0
        self._graphs: list[Graph] = []
        self._namespace: dict[str, URIRef] = {}
        self._prefix: dict[URIRef, str] = {}

    # --- writing ----------------------------------------------------------

    def add_triples(self, triples: Iterable[Triple]) -> None:
        """Adds many triples at once (duplicates are kept once); no events are sent."""
        spo, pos, osp = self._spo, self._pos, self._osp
        size = self._size
        # Inlined index updates: this loop is most of the mapping stage's time.
        for s, p, o in triples:
            po = spo.get(s)
            if po is None:
                spo[s] = {p: {o: None}}
            else:
                objects = po.get(p)
                if objects is None:
                    po[p] = {o: None}
                elif o in objects:
                    continue
                else:
                    objects[o] = None
            os_ = pos.get(p)
            if os_ is None:
                pos[p] = {o: {s: None}}
            else:
                subjects = os_.get(o)
                if subjects is None:
                    os_[o] = {s: None}
                else:
                    subjects[s] = None
            if osp is not None:
                sp = osp.get(o)
                if sp is None:
                    osp[o] = {s: {p: None}}
                else:
                    preds = sp.get(s)
                    if preds is None:
                        sp[s] = {p: None}
                    else:
                        preds[p] = None
            size += 1
        self._size = size

    def add(self, triple: _TripleType, context: _ContextType, quoted: bool = False) -> None:
        if quoted:
            raise ValueError("a DocumentStore holds no quoted (formula) triples")
        self._remember(context)
        self.add_triples((triple,))

    def addN(self, quads: Iterable[_QuadType]) -> None:  # noqa: N802 (rdflib's name)
        for s, p, o, c in quads:
            self.add((s, p, o), c)

    def remove(
        self, triple_pattern: _TriplePatternType, context: _ContextType | None = None
    ) -> None:
        # materialised first: the indexes change under the loop
        for (s, p, o), _ in list(self.triples(triple_pattern, context)):
            _drop(self._spo, s, p, o)
            _drop(self._pos, p, o, s)
            if self._osp is not None:
                _drop(self._osp, o, s, p)
            self._size -= 1

    def _remember(self, graph: Graph | None) -> None:
        if graph is not None and not any(g is graph for g in self._graphs):
            self._graphs.append(graph)

    # --- reading ----------------------------------------------------------

    def triples(
        self, triple_pattern: _TriplePatternType, context: _ContextType | None = None
    ) -> Iterator[tuple[Triple, Iterator[Graph]]]:
        s, p, o = triple_pattern
        graphs = self._graphs
        # Copies (list(...)) let callers change the graph while they iterate, as Memory does.
        if s is not None:
            po = self._spo.get(s)
            if po is None:
                return
            if p is not None:
                objects = po.get(p)
                if objects is None:
                    return
                if o is not None:
                    if o in objects:
                        yield (s, p, o), iter(graphs)
                    return
                for obj in list(objects):
                    yield (s, p, obj), iter(graphs)
                return
            for pred, objects in list(po.items()):
                if o is not None:
                    if o in objects:
                        yield (s, pred, o), iter(graphs)
                    continue
                for obj in list(objects):
                    yield (s, pred, obj), iter(graphs)
        elif p is not None:
            os_ = self._pos.get(p)
            if os_ is None:
                return
            if o is not None:
                for subj in list(os_.get(o, ())):
                    yield (subj, p, o), iter(graphs)
                return
            for obj, subjects in list(os_.items()):
                for subj in list(subjects):
                    yield (subj, p, obj), iter(graphs)
        elif o is not None:
            for subj, preds in list(self._by_object().get(o, {}).items()):
                for pred in list(preds):
                    yield (subj, pred, o), iter(graphs)
        else:
            for subj, po in list(self._spo.items()):
                for pred, objects in list(po.items()):
                    for obj in list(objects):
                        yield (subj, pred, obj), iter(graphs)

    def all_triples(self) -> Iterator[Triple]:
        """Every triple, grouped by subject and then predicate; a plain walk of the
        index, without the graph bookkeeping of ``triples`` (for serialising)."""
        for s, po in self._spo.items():
            for p, objects in po.items():
                for o in objects:
                    yield s, p, o

    def _by_object(self) -> _Index:
        osp = self._osp
        if osp is None:
            osp = self._osp = {}
            for s, po in self._spo.items():
                for p, objects in po.items():
                    for o in objects:
                        inner = osp.get(o)
                        if inner is None:
                            osp[o] = {s: {p: None}}
                        elif s in inner:
                            inner[s][p] = None
                        else:
                            inner[s] = {p: None}
        return osp

    def __len__(self, context: _ContextType | None = None) -> int:
        return self._size

    def contexts(self, triple: _TripleType | None = None) -> Iterator[Graph]:  # type: ignore[override]
        if triple is None or any(True for _ in self.triples(triple)):
            yield from self._graphs

    def add_graph(self, graph: Graph) -> None:
        self._remember(graph)

    def remove_graph(self, graph: Graph) -> None:
        self.remove((None, None, None))
        self._graphs = [g for g in self._graphs if g is not graph]

    # --- prefixes (same rules as rdflib's Memory store) ---------------------

    def bind(self, prefix: str, namespace: URIRef, override: bool = True) -> None:
        bound_namespace = self._namespace.get(prefix)
        bound_prefix = self._prefix.get(namespace)
        if bound_prefix is None and bound_namespace is not None:
            bound_prefix = self._prefix.get(bound_namespace)
        if override:
            if bound_prefix is not None:
                del self._namespace[bound_prefix]
            if bound_namespace is not None:
                del self._prefix[bound_namespace]
            self._prefix[namespace] = prefix
            self._namespace[prefix] = namespace
        else:
            ns = bound_namespace if bound_namespace is not None else namespace
            pf = bound_prefix if bound_prefix is not None else prefix
            self._prefix[ns] = pf
            self._namespace[pf] = ns

    def namespace(self, prefix: str) -> URIRef | None:
        return self._namespace.get(prefix)

    def prefix(self, namespace: URIRef) -> str | None:
        return self._prefix.get(namespace)

    def namespaces(self) -> Iterator[tuple[str, URIRef]]:
        yield from list(self._namespace.items())

    def __repr__(self) -> str:
        return f"<DocumentStore of {self._size} triples>"
