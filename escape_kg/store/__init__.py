"""The quad store: pyoxigraph on disk (or in memory), behind a small interface.

This package is the only place that imports pyoxigraph. Terms cross the
boundary as rdflib terms, so nothing else needs to know which engine runs
underneath.
"""

from escape_kg.store.core import Store
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
    "QueryResult",
    "Store",
    "ntriples_body",
]
