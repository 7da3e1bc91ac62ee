"""RemoteStore: the store interface over a SPARQL 1.1 server (Oxigraph server, Virtuoso,
Fuseki, GraphDB), spoken to with the standard library's HTTP client."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO
from urllib.parse import urlencode
from urllib.request import (
    Request,
)

import pyoxigraph as ox
from rdflib.term import Node

from escape_kg import __version__
from escape_kg.errors import QueryError, StoreError
from escape_kg.store.endpoints import Flavour, RemoteEndpoints
from escape_kg.store.http import Transport, plain_blank_nodes
from escape_kg.store.results import (
    DUMP_FORMATS,
    GRAPH_FORMATS,
    GraphInfo,
    Limits,
    QueryResult,
    Term,
    TripleList,
    capped,
    ntriples_body,
    parse_graph,
    to_rdflib,
)
from escape_kg.store.sparqltext import (
    Form,
    check_iri,
    prologue,
    query_form,
    substitute,
    without_lateral,
)

__all__ = ["RemoteStore"]

_RESULTS = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
_GRAPHS = "application/n-triples, text/turtle;q=0.8, application/rdf+xml;q=0.5"
# Graphs a fresh Virtuoso holds for itself (schemas, the DAV store, its own service).
VIRTUOSO_SYSTEM = (
    "http://www.openlinksw.com/",
    "http://localuriqaserver/",
    "http://www.w3.org/ns/ldp#",
    "http://localhost:8890/",
    "urn:activitystreams-owl:map",
    "virtrdf:",
)
_TRUE = ox.parse_query_results(b'{"head":{},"boolean":true}', ox.QueryResultsFormat.JSON)
_FALSE = ox.parse_query_results(b'{"head":{},"boolean":false}', ox.QueryResultsFormat.JSON)


class RemoteStore:
    """A SPARQL 1.1 server as a store. Opening it asks the server a trivial query, so
    an unreachable or misnamed server is reported at once.

    Raises StoreError when the server cannot be reached or does not speak SPARQL.
    """

    def __init__(self, endpoints: RemoteEndpoints) -> None:
        self.path: Path | None = None
        self.endpoints = endpoints
        self._http = Transport(endpoints)
        server = self._probe()
        if endpoints.flavour is None:
            flavour: Flavour = "generic"
            if server.startswith("virtuoso"):
                flavour = "virtuoso"
            elif server.startswith("oxigraph"):
                flavour = "oxigraph"
            self.endpoints = self._http.endpoints = endpoints.with_flavour(flavour)
        if self.flavour == "virtuoso" and self.endpoints.user and self.endpoints.update_url:
            # Meet the authentication challenge with a small request, before any large one.
            warm_up = self._http.form(self.endpoints.update_url, [("query", "ASK {}")], _RESULTS)
            self._http.send(warm_up, timeout=self.endpoints.timeout, writing=True)

    @property
    def location(self) -> str:
        """The query endpoint's URL."""
        return self.endpoints.query_url

    @property
    def remote(self) -> bool:
        """Always True: queries run on the server."""
        return True

    @property
    def flavour(self) -> Flavour:
        """The server kind these endpoints speak to."""
        return self.endpoints.flavour or "generic"

    # -- HTTP -------------------------------------------------------------------

    @property
    def _write_timeout(self) -> float:
        # Writing a large graph takes longer than answering a query; never wait forever.
        return max(self.endpoints.timeout * 10, 300.0)

    def _probe(self) -> str:
        """Ask ``ASK {}``; returns the lower-cased ``Server`` header."""
        request = self._http.form(self.location, [("query", "ASK {}")], _RESULTS)
        _, media, headers = self._http.send(request, timeout=self.endpoints.timeout, writing=False)
        if "html" in media.lower():
            raise StoreError(
                f"{self.location} answered with a web page, not SPARQL results",
                hint="give the SPARQL query endpoint (e.g. http://host:7878/query for an "
                "Oxigraph server, http://host:8890/sparql for Virtuoso)",
            )
        return (headers.get("Server") or "").strip().lower()

    def _post_update(self, text: str) -> None:
        url = self.endpoints.update_url or self.location
        request = self._http.form(url, [("update", text)], _RESULTS)
        self._http.send(request, timeout=self._write_timeout, writing=True)

    # -- reading ----------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Node] | None = None,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query on the server; see ``QuadStore.query``.

        ``substitutions`` are written into the query text as terms. Raises
        QueryError (malformed, refused), QueryTimeoutError (no answer within the
        time limit), StoreError (unreachable, or an answer that is not SPARQL).
        """
        form = query_form(sparql)
        text = prologue(prefixes) + substitute(sparql, substitutions or {})
        if self.flavour != "oxigraph":
            text = without_lateral(text)
        fields = [("query", text)]
        fields += [("default-graph-uri", check_iri(g)) for g in default_graphs or []]
        fields += [("named-graph-uri", check_iri(g)) for g in named_graphs or []]
        url = self.location
        if default_graphs is None and self.flavour == "oxigraph":
            url += ("&" if "?" in url else "?") + "union-default-graph"
        accept = _RESULTS if form in ("select", "ask") else _GRAPHS
        request = self._http.form(url, fields, accept)
        body, media, headers = self._http.send(
            request, timeout=self.endpoints.timeout, writing=False
        )
        self._check_complete(headers)
        return QueryResult(self._parse(form, body, media))

    def _check_complete(self, headers: Mapping[str, str]) -> None:
        # Virtuoso cuts answers at ResultSetMaxRows and returns partial answers when a
        # query runs out of time ("anytime" queries); both must not pass for the answer.
        if headers.get("X-SQL-State") or headers.get("X-SPARQL-MaxRows"):
            raise QueryError(
                "the SPARQL store sent an incomplete answer (its row cap or time limit cut "
                f"it: {headers.get('X-SQL-Message') or headers.get('X-SPARQL-MaxRows')})",
                hint="add LIMIT/OFFSET, or raise ResultSetMaxRows and MaxQueryExecutionTime "
                "in the [SPARQL] section of virtuoso.ini",
            )

    def _parse(self, form: Form, body: bytes, media: str) -> object:
        kind = media.split(";")[0].strip().lower()
        try:
            if form in ("select", "ask"):
                fmt = ox.QueryResultsFormat.from_media_type(kind)
                if fmt is None:
                    raise self._not_sparql(media)
                if fmt == ox.QueryResultsFormat.JSON and b'"bnode"' in body:
                    body = plain_blank_nodes(body)
                raw = ox.parse_query_results(body, fmt)
                if form == "ask" and isinstance(raw, ox.QuerySolutions):
                    # Virtuoso answers ASK as a one-column SELECT (__ASK_RETVAL, 1 or none).
                    rows = [s[0] for s in raw]
                    truth = any(r is not None and str(r.value) not in ("0", "false") for r in rows)
                    return _TRUE if truth else _FALSE
                return raw
            rdf = ox.RdfFormat.from_media_type(
                "application/n-triples" if kind == "text/plain" else kind
            )
            if rdf is None:
                raise self._not_sparql(media)
            return TripleList([q.triple for q in ox.parse(body, format=rdf)])
        except SyntaxError as exc:
            raise StoreError(f"the answer of the SPARQL store does not parse: {exc}") from exc

    def _not_sparql(self, media: str) -> StoreError:
        return StoreError(
            f"the SPARQL store at {self.location} answered with {media or 'no content type'}, "
            "not SPARQL results",
            hint="check that --store / ESCAPE_KG_STORE names a SPARQL query endpoint",
        )

    def _construct(self, graph: str, limit: int | None = None) -> list[ox.Triple]:
        text = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{check_iri(graph)}> {{ ?s ?p ?o }} }}"
        if limit is not None:
            text += f" LIMIT {limit}"
        raw = self.query(text)._raw  # the parsed answer itself: no round trip via rdflib
        assert isinstance(raw, TripleList)
        return raw.triples

    def graphs(self) -> list[GraphInfo]:
        """Every named graph with its triple count, sorted by IRI (Virtuoso's own graphs
        left out)."""
        result = self.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
        )
        found = [GraphInfo(str(g), int(n)) for g, n in result.rows() if g is not None and n]
        if self.flavour == "virtuoso":
            found = [g for g in found if not g.iri.startswith(VIRTUOSO_SYSTEM)]
        return sorted(found, key=lambda g: g.iri)

    def graph_names(self) -> list[str]:
        """Every named graph holding a triple, sorted, without counting (Virtuoso's own
        graphs left out)."""
        result = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        names = [str(row[0]) for row in result.rows() if row[0] is not None]
        if self.flavour == "virtuoso":
            names = [n for n in names if not n.startswith(VIRTUOSO_SYSTEM)]
        return sorted(names)

    def has_graph(self, graph: str) -> bool:
        """True if the named graph ``graph`` holds a triple (servers differ on empty graphs).

        Raises ValueError for a malformed IRI.
        """
        return self.query(f"ASK {{ GRAPH <{check_iri(graph)}> {{ ?s ?p ?o }} }}").boolean

    def graph_triples(self, graph: str) -> Iterator[tuple[Term, Term, Term]]:
        """The triples of one named graph."""
        for t in self._construct(graph):
            yield (to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))

    def quad_count(self) -> int:
        """Number of quads in the named graphs (a server's default graph is not counted)."""
        return sum(g.triples for g in self.graphs())

    def graph_bytes(self, graph: str | None, fmt: str, limits: Limits) -> bytes:
        """One named graph serialised in ``fmt``, within ``limits`` (the default graph of a
        remote store is served empty). Raises ResultTooLargeError past the limits."""
        triples = [] if graph is None else self._construct(graph, limits.rows + 1)
        if len(triples) > limits.rows:
            raise limits.too_many_rows()
        return capped(lambda sink: ox.serialize(triples, sink, GRAPH_FORMATS[fmt]), limits)

    def dump(self, output: IO[bytes], fmt: str) -> None:
        """Write every named graph as TriG or N-Quads, a graph at a time.

        Raises StoreError for an unknown format, or when the server cut a graph short.
        """
        rdf_format = DUMP_FORMATS.get(fmt)
        if rdf_format is None:
            raise StoreError(
                f"cannot export as {fmt!r}", hint="use one of: " + ", ".join(DUMP_FORMATS)
            )
        for info in self.graphs():
            triples = self._construct(info.iri)
            if len(triples) < info.triples:
                raise StoreError(
                    f"the SPARQL store sent {len(triples)} of the {info.triples} triples of "
                    f"{info.iri}",
                    hint="raise the server's answer size cap (Virtuoso: ResultSetMaxRows)",
                )
            name = ox.NamedNode(info.iri)
            quads = [ox.Quad(t.subject, t.predicate, t.object, name) for t in triples]
            try:
                ox.serialize(quads, output, rdf_format)
            except OSError as exc:
                raise StoreError(f"writing the export failed: {exc}") from exc

    def dump_bytes(self, fmt: str) -> bytes:
        """The whole dataset as bytes (see ``dump``)."""
        buffer = io.BytesIO()
        self.dump(buffer, fmt)
        return buffer.getvalue()

    # -- writing ----------------------------------------------------------------

    def update(self, sparql: str, *, prefixes: Mapping[str, str] | None = None) -> None:
        """Send a SPARQL 1.1 Update to the server's update endpoint.

        Raises QueryError when the server refuses it (syntax, permissions), StoreError
        when it cannot be reached.
        """
        self._post_update(prologue(prefixes) + sparql)

    def _write(self, graph: str | None, body: str, *, replace: bool) -> None:
        """Write ``body`` (Turtle triples, as ``ntriples_body`` makes them) into ``graph``
        (None: the default graph), first dropping it when ``replace``.

        Oxigraph and generic servers get one SPARQL Update request, which on Oxigraph
        is one transaction. Virtuoso gets one Graph Store request instead: its SPARQL
        compiler fails on INSERT DATA blocks past about 5,000 triples and on
        xsd:duration literals, and its loader is ten times faster. Virtuoso commits
        as it loads, so a replace that fails half way leaves the graph half written.
        """
        target = "DEFAULT" if graph is None else f"GRAPH <{check_iri(graph)}>"
        if self.flavour == "virtuoso" and graph is not None and body:
            self._gsp_send(graph, body, replace=replace)
            return
        steps = [f"DROP SILENT {target}"] if replace else []
        if body:
            wrapped = body if graph is None else f"{target} {{\n{body}\n}}"
            steps.append(f"INSERT DATA {{ {wrapped} }}")
        if steps:
            self._post_update(" ;\n".join(steps))

    def _gsp_send(self, graph: str, body: str, *, replace: bool) -> None:
        url = self.endpoints.gsp_url
        if url is None:
            raise StoreError(
                "this store has no Graph Store Protocol URL",
                hint="set ESCAPE_KG_STORE_GSP (Virtuoso: http://host:8890/sparql-graph-crud-auth)",
            )
        # Virtuoso names the graph with graph-uri (the standard's graph= is not read).
        request = Request(
            f"{url}?{urlencode({'graph-uri': graph})}",
            data=body.encode("utf-8"),
            headers={
                "Content-Type": "text/turtle; charset=utf-8",
                "User-Agent": f"escape-kg/{__version__}",
            },
            method="PUT" if replace else "POST",
        )
        self._http.send(request, timeout=self._write_timeout, writing=True)

    def replace_graph(self, graph: str, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Make ``graph`` hold exactly ``triples`` (one transaction on Oxigraph; see
        ``_write`` for Virtuoso). Raises QueryError, StoreError."""
        self.replace_graph_text(graph, ntriples_body(triples))

    def replace_graph_text(self, graph: str, body: str) -> None:
        """``replace_graph`` with the triples written by ``ntriples_body``."""
        self._write(graph, body, replace=True)

    def put_graph(self, graph: str | None, data: bytes, fmt: str, *, merge: bool = False) -> bool:
        """Replace (``merge``: add to) one graph with RDF ``data`` in ``fmt``; True if the
        named graph held nothing before. Raises SourceError when ``data`` does not parse."""
        quads = parse_graph(data, fmt, graph)
        created = graph is not None and not self.has_graph(graph)
        self._write(graph, "\n".join(f"{q.triple} ." for q in quads), replace=not merge)
        return created

    def drop_graph(self, graph: str) -> None:
        """Remove ``graph`` (no error if it does not exist)."""
        self._post_update(f"DROP SILENT GRAPH <{check_iri(graph)}>")

    def load_dataset(self, data: bytes | IO[bytes], fmt: str) -> list[str]:
        """Restore an export: each named graph in it replaces the server's graph of that
        name. Returns the graph IRIs. Raises StoreError for a bad file."""
        rdf_format = DUMP_FORMATS.get(fmt)
        if rdf_format is None:
            raise StoreError(f"cannot load {fmt!r}", hint="use one of: " + ", ".join(DUMP_FORMATS))
        graphs: dict[str, list[str]] = {}
        try:
            for quad in ox.parse(data, format=rdf_format):
                if isinstance(quad.graph_name, ox.NamedNode):
                    graphs.setdefault(quad.graph_name.value, []).append(f"{quad.triple} .")
        except SyntaxError as exc:
            raise StoreError(
                f"the export does not parse as {fmt}: {exc}",
                hint="give the file produced by `escape-kg export` and its format",
            ) from exc
        for graph in sorted(graphs):
            self._write(graph, "\n".join(graphs[graph]), replace=True)
        return sorted(graphs)

    def flush(self) -> None:
        """Nothing to do: the server commits each request."""

    def close(self) -> None:
        """Nothing to release: each request has its own connection."""
