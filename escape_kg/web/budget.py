"""A time budget for building one HTML or RDF page: its queries stop once it is spent."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from rdflib.term import Node

from escape_kg.errors import QueryTimeoutError
from escape_kg.store import QueryResult

__all__ = ["PageBudget"]

RunQuery = Callable[..., QueryResult]


class PageBudget:
    """A ``Querier`` (escape_kg.describe) that refuses to start a query once ``seconds``
    have passed since it was made.

    Without query workers, resource pages run a dozen small queries in the server
    process (with workers, the time limit stops them there). Each is written
    to read a bounded number of quads, so no single one is expected to be slow; the
    budget is the safety net that keeps a page that is slow all the same (a store far
    larger than measured) from holding a server thread for minutes: it answers 503
    at its next query instead. A query already running is not interrupted.
    """

    def __init__(self, run: RunQuery, seconds: float, clock: Callable[[], float] = time.monotonic):
        self._run = run
        self._clock = clock
        self._deadline = clock() + seconds if seconds > 0 else float("inf")
        self.seconds = seconds

    def __call__(self, sparql: str, *, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        """The answer of ``sparql``; raises QueryTimeoutError when the budget is spent,
        QueryError for a malformed query."""
        if self._clock() > self._deadline:
            raise QueryTimeoutError(
                f"building this page took longer than {self.seconds:g} s",
                hint="try again later, ask for a later ?page=, or use the SPARQL endpoint",
            )
        return self._run(sparql, bindings=bindings)
