"""Operations: one JSON log line per request, Prometheus metrics at /metrics, /health.

The middleware sees every request once it has been routed, so requests are counted
by route template (``/id/{path:path}``), never by the concrete path: the label set
stays bounded whatever clients ask for. The log line holds the path without its
query string and a short hash of the SPARQL text, never parameter values or
headers, which may carry queries with personal data or the bearer token.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from escape_kg import __version__
from escape_kg.api import KnowledgeGraph
from escape_kg.web.cache import ResponseCache

__all__ = [
    "ACCESS_LOGGER",
    "AccessLogMiddleware",
    "Metrics",
    "StoreSize",
    "console_access_log",
    "mark_error",
    "mark_query",
    "observability_router",
    "query_hash",
]

ACCESS_LOGGER = "escape_kg.access"
# Latency bucket bounds in seconds: cached answers take ~1 ms, the time limit is 30 s.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
UNMATCHED = "(unmatched)"
EXPOSITION = "text/plain; version=0.0.4; charset=utf-8"

# Keys this module keeps in the ASGI scope of a request, set by routes and error handlers.
_QUERY_KEY = "escape_kg.query_hash"
_ERROR_KEY = "escape_kg.error"


def query_hash(text: str) -> str:
    """A short, stable fingerprint of a query (12 hex digits of its SHA-256, surrounding
    whitespace ignored): enough to group log lines by query, and reveals nothing of it."""
    return hashlib.sha256(text.strip().encode("utf-8", "surrogatepass")).hexdigest()[:12]


def mark_query(request: Request, text: str) -> None:
    """Record on ``request`` the SPARQL text it runs, for its log line (as a hash only)."""
    request.scope[_QUERY_KEY] = query_hash(text)


def mark_error(request: Request, error: BaseException) -> None:
    """Record on ``request`` the class of the library error its answer reports."""
    request.scope[_ERROR_KEY] = type(error).__name__


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else UNMATCHED


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    inner = ",".join(f'{name}="{_escape_label(value)}"' for name, value in pairs)
    return "{" + inner + "}" if inner else ""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass
class _Histogram:
    counts: list[int]  # per bucket (not cumulative), the last one is +Inf
    total: float = 0.0


class Metrics:
    """Request counters, a latency histogram per route and query-timeout counts, kept
    in memory for one app. Thread-safe (routes run in a thread pool)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = {}
        self._latency: dict[str, _Histogram] = {}
        self.query_timeouts = 0
        self.busy_refusals = 0

    def observe(self, route: str, method: str, status: int, seconds: float, error: str) -> None:
        """Count one answered request."""
        with self._lock:
            key = (route, method, str(status))
            self._requests[key] = self._requests.get(key, 0) + 1
            histogram = self._latency.get(route)
            if histogram is None:
                histogram = self._latency[route] = _Histogram([0] * (len(BUCKETS) + 1))
            histogram.counts[bisect_left(BUCKETS, seconds)] += 1
            histogram.total += seconds
            if error == "QueryTimeoutError":
                self.query_timeouts += 1
            elif error == "ServerBusyError":
                self.busy_refusals += 1

    def requests(self, route: str, status: int | None = None) -> int:
        """How many requests to ``route`` were answered (with ``status``, if given)."""
        with self._lock:
            return sum(
                n
                for (r, _m, s), n in self._requests.items()
                if r == route and (status is None or s == str(status))
            )

    def exposition(self, gauges: Iterable[tuple[str, str, str, float]]) -> str:
        """Everything in the Prometheus text format (version 0.0.4), followed by
        ``gauges``: (name, type, help, value) read at scrape time."""
        with self._lock:
            requests = sorted(self._requests.items())
            latency = sorted((r, list(h.counts), h.total) for r, h in self._latency.items())
            timeouts = self.query_timeouts
            refusals = self.busy_refusals
        lines = [
            "# HELP escape_kg_http_requests_total HTTP requests answered, by route template, "
            "method and status.",
            "# TYPE escape_kg_http_requests_total counter",
        ]
        for (route, method, status), n in requests:
            labels = _labels((("route", route), ("method", method), ("status", status)))
            lines.append(f"escape_kg_http_requests_total{labels} {n}")
        lines += [
            "# HELP escape_kg_http_request_duration_seconds Time to answer a request, "
            "by route template.",
            "# TYPE escape_kg_http_request_duration_seconds histogram",
        ]
        for route, counts, total in latency:
            running = 0
            for bound, count in zip((*BUCKETS, float("inf")), counts, strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else _number(bound)
                labels = _labels((("route", route), ("le", le)))
                lines.append(f"escape_kg_http_request_duration_seconds_bucket{labels} {running}")
            labels = _labels((("route", route),))
            lines.append(f"escape_kg_http_request_duration_seconds_sum{labels} {total!r}")
            lines.append(f"escape_kg_http_request_duration_seconds_count{labels} {running}")
        lines += [
            "# HELP escape_kg_query_timeouts_total Queries stopped at the time limit.",
            "# TYPE escape_kg_query_timeouts_total counter",
            f"escape_kg_query_timeouts_total {timeouts}",
            "# HELP escape_kg_query_busy_refusals_total Queries refused unstarted after "
            "waiting the whole wait bound for a worker.",
            "# TYPE escape_kg_query_busy_refusals_total counter",
            f"escape_kg_query_busy_refusals_total {refusals}",
        ]
        for name, kind, text, value in gauges:
            lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", f"{name} {_number(value)}"]
        return "\n".join(lines) + "\n"


class StoreSize:
    """The store's quad and named-graph counts, computed once per data version: every
    write goes through ``kg`` (the server holds the store's lock), so they cannot
    change in between, and counting a large store is not free."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self._kg = kg
        self._lock = threading.Lock()
        self._seen: tuple[str, int, int] | None = None

    def counts(self) -> tuple[int, int]:
        """(quads, named graphs) of the store as it is now. Raises StoreError, QueryError."""
        tag = self._kg.data_version.tag
        with self._lock:
            if self._seen is not None and self._seen[0] == tag:
                return self._seen[1], self._seen[2]
            quads = self._kg.store.quad_count()
            result = self._kg.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { } }")
            graphs = next((int(str(row[0])) for row in result.rows() if row[0] is not None), 0)
            self._seen = (tag, quads, graphs)
            return quads, graphs


def _resident_bytes() -> int | None:
    """This process's resident memory from /proc (Linux), None elsewhere."""
    try:
        pages = int(Path("/proc/self/statm").read_text("ascii").split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


class AccessLogMiddleware:
    """ASGI middleware: times each HTTP request, logs it as one JSON line on the
    ``escape_kg.access`` logger and counts it in ``metrics``."""

    def __init__(self, app: ASGIApp, metrics: Metrics, logger: logging.Logger | None = None):
        self.app = app
        self.metrics = metrics
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering
        sent = 0

        async def watch(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self._record(scope, status, sent, time.perf_counter() - started)

    def _record(self, scope: MutableMapping[str, Any], status: int, sent: int, took: float) -> None:
        route = _route_template(scope)
        error = str(scope.get(_ERROR_KEY, ""))
        self.metrics.observe(route, scope["method"], status, took, error)
        if not self.logger.isEnabledFor(logging.INFO):
            return
        entry: dict[str, object] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": scope["method"],
            "path": scope["path"],  # without the query string, which may hold the query
            "route": route,
            "status": status,
            "duration_ms": round(took * 1000, 2),
            "bytes": sent,
        }
        if _QUERY_KEY in scope:
            entry["query_hash"] = scope[_QUERY_KEY]
        if error:
            entry["error"] = error
        self.logger.info(json.dumps(entry, ensure_ascii=False))


def observability_router(
    kg: KnowledgeGraph, metrics: Metrics, cache: ResponseCache, size: StoreSize | None = None
) -> APIRouter:
    """GET /health (JSON: ok, version, store quads and graphs, queries running) and
    GET /metrics (Prometheus text format) over ``kg``, ``metrics`` and ``cache``."""
    router = APIRouter()
    store_size = size or StoreSize(kg)

    def gauges() -> list[tuple[str, str, str, float]]:
        quads, graphs = store_size.counts()
        found: list[tuple[str, str, str, float]] = [
            ("escape_kg_store_quads", "gauge", "Quads in the store.", quads),
            ("escape_kg_store_graphs", "gauge", "Named graphs in the store.", graphs),
            ("escape_kg_cache_hits_total", "counter", "Answers served from the cache.", cache.hits),
            (
                "escape_kg_cache_misses_total",
                "counter",
                "Read requests the cache could not answer.",
                cache.misses,
            ),
            ("escape_kg_cache_entries", "gauge", "Answers held in the cache.", len(cache)),
            ("escape_kg_cache_bytes", "gauge", "Bytes held by the cache.", cache.size),
            (
                "escape_kg_queries_running",
                "gauge",
                "Queries the worker processes are running now.",
                kg.queries_running,
            ),
            (
                "escape_kg_queries_waiting",
                "gauge",
                "Requests waiting for a free worker now.",
                kg.queries_waiting,
            ),
            (
                "escape_kg_queries_shared_total",
                "counter",
                "Queries answered by an equal query's run instead of their own.",
                kg.queries_shared,
            ),
        ]
        rss = _resident_bytes()
        if rss is not None:
            found.append(
                (
                    "process_resident_memory_bytes",
                    "gauge",
                    "Resident memory of the server process.",
                    rss,
                )
            )
        return found

    def health() -> dict[str, object]:
        quads, graphs = store_size.counts()
        return {
            "ok": True,
            "version": __version__,
            "store": {"quads": quads, "graphs": graphs},
            "queries_running": kg.queries_running,
        }

    def respond(request: Request, body: bytes, media_type: str) -> Response:
        headers = {"Cache-Control": "no-store"}
        if request.method == "HEAD":
            headers["content-length"] = str(len(body))
            body = b""
        return Response(body, media_type=media_type, headers=headers)

    @router.api_route("/health", methods=["GET", "HEAD"], response_model=None)
    async def health_route(request: Request) -> Response:
        body = json.dumps(await run_in_threadpool(health)).encode()
        return respond(request, body, "application/json")

    @router.api_route("/metrics", methods=["GET", "HEAD"], response_model=None)
    async def metrics_route(request: Request) -> Response:
        text = metrics.exposition(await run_in_threadpool(gauges))
        return respond(request, text.encode(), EXPOSITION)

    return router


def console_access_log() -> logging.Logger:
    """Send the access log to standard error, one bare JSON line per request (for
    ``serve``; tests read the log records instead). Returns the logger."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(getattr(h, "_escape_kg", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._escape_kg = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger
