"""The quad store: pyoxigraph on disk (or in memory), or a remote SPARQL 1.1 server,
behind one interface (``QuadStore``).

This package is the only place that imports pyoxigraph. Terms cross the
boundary as rdflib terms, so nothing else needs to know which engine runs
underneath.
"""

from escape_kg.store.base import QuadStore
from escape_kg.store.core import Store
from escape_kg.store.endpoints import RemoteEndpoints, remote_endpoints
from escape_kg.store.opening import open_store
from escape_kg.store.remote import RemoteStore
from escape_kg.store.results import (
    DUMP_FORMATS,
    GRAPH_FORMATS,
    RESULT_FORMATS,
    GraphInfo,
    Limits,
    QueryResult,
    ntriples_body,
)

__all__ = [
    "DUMP_FORMATS",
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "GraphInfo",
    "Limits",
    "QuadStore",
    "QueryResult",
    "RemoteEndpoints",
    "RemoteStore",
    "Store",
    "ntriples_body",
    "open_store",
    "remote_endpoints",
]
