"""Inspection before anything runs: refuse SERVICE and LOAD (unless allow-listed), updates
sent as queries, and unknown graphs.

The decisions are made on rdflib's parse tree of the query, never by matching
text. Parsing costs ~15 ms, so a query whose text cannot contain any of the
keywords concerned (not even inside a string or a comment) skips it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from pyparsing import ParseBaseException, ParseResults
from rdflib import URIRef, Variable
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from escape_kg.api import KnowledgeGraph
from escape_kg.errors import QueryError
from escape_kg.rdf.namespaces import PREFIXES

__all__ = [
    "GRAMMAR",
    "UPDATES_OFF",
    "Inspection",
    "inspect_query",
    "inspect_update",
    "query_dataset",
]

GRAMMAR = "https://www.w3.org/TR/sparql11-query/#grammar"
UPDATE_GRAMMAR = "https://www.w3.org/TR/sparql11-update/#grammar"
UPDATES_OFF = "updates are switched off on this endpoint"

# Every word a SERVICE, a dataset clause or an update must contain. SPARQL keywords
# are case-insensitive and may be written with \u escapes, which are undone first.
_KEYWORDS = re.compile(
    r"\b(?:service|from|load|insert|delete|clear|drop|create|add|move|copy|with)\b",
    re.IGNORECASE,
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# SPARQL 1.2's LATERAL (the catalogue uses it; Oxigraph runs it) is unknown to
# rdflib's 1.1 parser. Dropping the keyword leaves a plain group with the same
# SERVICE and FROM clauses to check. Strings, IRIs and comments are matched first
# so that the word is only removed where it is a keyword.
_LATERAL = re.compile(
    r'("""[\s\S]*?"""'
    r"|'''[\s\S]*?'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\s]*>|#[^\n]*)|\bLATERAL\b',
    re.IGNORECASE,
)


def _without_lateral(text: str) -> str:
    return _LATERAL.sub(lambda m: m.group(1) if m.group(1) is not None else "", text)


# pyparsing keeps parser state in shared objects; one parse at a time.
_PARSE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Inspection:
    """What a query asks for besides its pattern: the graphs of its FROM / FROM NAMED."""

    from_graphs: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()

    @property
    def has_dataset(self) -> bool:
        """True if the query names its own dataset (FROM or FROM NAMED)."""
        return bool(self.from_graphs or self.from_named)


def _field(node: CompValue, key: str) -> object:
    # CompValue.get returns the key itself for a missing key; read the dict directly.
    return dict.get(node, key)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _syntax_error(text: str, exc: ParseBaseException, grammar: str = GRAMMAR) -> QueryError:
    pointer = " " * (max(exc.col, 1) - 1) + "^"
    return QueryError(
        f"SPARQL syntax error at line {exc.lineno}, column {exc.col}: {exc.msg}\n"
        f"  {exc.line}\n  {pointer}",
        hint=f"check it against the SPARQL 1.1 grammar: {grammar}",
    )


def _nodes(tree: object) -> Iterator[CompValue]:
    """Every CompValue in a parse tree, depth first."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list | tuple | ParseResults):
            stack.extend(node)


def _resolver(prologue: Sequence[object], start: dict[str, str] | None = None) -> dict[str, str]:
    prefixes = dict(start) if start is not None else dict(PREFIXES)
    base = prefixes.get("\0base", "")
    for decl in prologue:
        if not isinstance(decl, CompValue):
            continue
        if decl.name == "Base":
            base = urljoin(base, str(decl["iri"]))
        elif decl.name == "PrefixDecl":
            prefixes[str(_field(decl, "prefix") or "")] = urljoin(base, str(decl["iri"]))
    prefixes["\0base"] = base
    return prefixes


def _iri(term: object, names: dict[str, str], where: str = "a FROM clause") -> str:
    if isinstance(term, CompValue) and term.name == "pname":
        prefix = str(_field(term, "prefix") or "")
        if prefix not in names:
            raise QueryError(f"undeclared prefix {prefix!r} in {where}")
        return names[prefix] + str(_field(term, "localname") or "")
    if isinstance(term, URIRef):
        return urljoin(names["\0base"], str(term))
    raise QueryError(f"cannot read the IRI {term!r} in {where}")


def _check_services(tree: object, names: dict[str, str], allowed: tuple[str, ...]) -> None:
    """Raise QueryError for a SERVICE whose endpoint is not in ``allowed``."""
    for node in _nodes(tree):
        if node.name != "ServiceGraphPattern":
            continue
        term = _field(node, "term")
        endpoint = _iri(term, names, "SERVICE") if not isinstance(term, Variable) else None
        if endpoint is not None and endpoint in allowed:
            continue
        shown = f"<{endpoint}>" if endpoint is not None else str(term)
        raise QueryError(
            f"SERVICE {shown} refused: this endpoint only sends requests to the SPARQL "
            "services its operator listed" + (f" ({', '.join(allowed)})" if allowed else " (none)"),
            hint="run the federated query from your own client or endpoint, which can "
            "call this one; the operator can list endpoints in ESCAPE_KG_SERVICE_ALLOW",
        )


@lru_cache(maxsize=512)
def inspect_query(text: str, service_allow: tuple[str, ...] = ()) -> Inspection:
    """Check a query before it runs; returns the graphs of its FROM / FROM NAMED.

    Raises QueryError for a syntax error (with line, column and a link to the
    grammar), a SERVICE call to an endpoint not in ``service_allow`` (no other
    server-side request to another host, ever) and an update sent as a query.
    Results are cached by text and allow-list.
    """
    if not _KEYWORDS.search(_unescape(text)):
        return Inspection()
    with _PARSE_LOCK:
        try:
            prologue, query = parseQuery(_without_lateral(text))
        except ParseBaseException as exc:
            error = _syntax_error(text, exc)
            try:
                parseUpdate(text)
            except ParseBaseException:
                raise error from exc
            raise QueryError(
                "this is a SPARQL update, sent as a query; it was not run",
                hint="send updates as update= (or application/sparql-update) with POST, "
                "on a server started with --allow-updates; queries are SELECT, ASK, "
                "CONSTRUCT, DESCRIBE",
            ) from exc
    names = _resolver(prologue)
    _check_services(query, names, service_allow)
    defaults: list[str] = []
    named: list[str] = []
    for clause in _field(query, "datasetClause") or ():  # type: ignore[attr-defined]
        if _field(clause, "default") is not None:
            defaults.append(_iri(_field(clause, "default"), names))
        else:
            named.append(_iri(_field(clause, "named"), names))
    return Inspection(tuple(defaults), tuple(named))


@lru_cache(maxsize=128)
def inspect_update(
    text: str, service_allow: tuple[str, ...] = (), load_allow: tuple[str, ...] = ()
) -> None:
    """Check an update before it runs.

    Raises QueryError for a syntax error, a LOAD of a document not in
    ``load_allow`` and a SERVICE to an endpoint not in ``service_allow``.
    """
    with _PARSE_LOCK:
        try:
            tree = parseUpdate(text)
        except ParseBaseException as exc:
            raise _syntax_error(text, exc, UPDATE_GRAMMAR) from exc
    names = dict(PREFIXES)
    names["\0base"] = ""
    prologues = list(_field(tree, "prologue") or [])  # type: ignore[call-overload]
    operations: list[object] = list(_field(tree, "request") or [])  # type: ignore[call-overload]
    for i, operation in enumerate(operations):
        # Prefixes carry forward to later operations, never back to earlier ones.
        if i < len(prologues):
            names = _resolver(prologues[i], names)
        _check_services(operation, names, service_allow)
        for node in _nodes(operation):
            if node.name != "Load":
                continue
            source = _iri(_field(node, "iri"), names, "LOAD")
            if source not in load_allow:
                raise QueryError(
                    f"LOAD <{source}> refused: this endpoint only fetches the documents "
                    "its operator listed" + (f" ({', '.join(load_allow)})" if load_allow else ""),
                    hint="upload the data yourself with PUT or POST /store?graph=...; the "
                    "operator can list documents in ESCAPE_KG_LOAD_ALLOW",
                )


def query_dataset(
    kg: KnowledgeGraph,
    inspection: Inspection,
    default_graph_uris: Sequence[str],
    named_graph_uris: Sequence[str],
) -> tuple[list[str] | None, list[str] | None]:
    """The dataset to run a query on: (default graphs, named graphs), None for "all".

    The protocol's default-graph-uri / named-graph-uri win over the query's FROM /
    FROM NAMED (SPARQL 1.1 Protocol, 2.1.4); naming only one kind leaves the other
    empty. Without either, the default graph is the union of all graphs. Raises
    QueryError when a graph named is not in the store (nothing is ever fetched).
    """
    if default_graph_uris or named_graph_uris:
        defaults, named = list(default_graph_uris), list(named_graph_uris)
    elif inspection.has_dataset:
        defaults, named = list(inspection.from_graphs), list(inspection.from_named)
    else:
        return None, None
    missing = [g for g in dict.fromkeys([*defaults, *named]) if not kg.has_graph(g)]
    if missing:
        listed = ", ".join(f"<{g}>" for g in missing)
        raise QueryError(
            f"not a graph of this store: {listed}",
            hint="FROM, FROM NAMED, default-graph-uri and named-graph-uri may only name "
            "graphs held here (GET /sparql lists them); other graphs are never fetched",
        )
    return defaults, named
