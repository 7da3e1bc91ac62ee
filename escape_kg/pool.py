"""QueryPool: worker processes that run read queries under a time limit that really stops them.

pyoxigraph holds the GIL while a query runs and has no timeout, so a thread can
neither interrupt a runaway query nor keep the server answering meanwhile. Each
worker is a process with its own read-side store handle that runs one query at a
time; the server sends it a ``QueryJob`` and gets serialised bytes back. A worker
that overruns the limit is killed and replaced.

Two bounds, set apart: ``timeout`` is how long a query may RUN (then its worker is
killed); ``wait`` is how long a request may WAIT for a free worker before it is
turned away with ServerBusyError (503 and Retry-After). Waiting requests are served
first come, first served, so under a steady load none waits much longer than the
others; a queue of cheap queries behind two busy workers is normal, not an error.

Store handles in workers: an on-disk store stays open (and locked) in the server
process, and each worker opens it read-only. Reading while another process writes
is undefined behaviour in the engine, so a write (``QueryPool.writing``) first
waits for running queries, stops every worker, writes, then starts fresh workers
that see the new data. An in-memory store is copied: the server dumps it as
N-Quads once per generation and each worker loads the copy.
"""

from __future__ import annotations

import math
import multiprocessing
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Literal, TypeVar

from rdflib.term import Node
from rdflib.util import from_n3

from escape_kg import errors
from escape_kg.errors import (
    EscapeKGError,
    QueryError,
    QueryTimeoutError,
    ServerBusyError,
    StoreError,
)
from escape_kg.flight import SingleFlight
from escape_kg.rdf.namespaces import PREFIXES
from escape_kg.store import Limits, QuadStore, QueryResult, Store

__all__ = ["Answer", "CallJob", "QueryJob", "QueryPool", "execute"]

Kind = Literal["select", "ask", "graph"]
T = TypeVar("T")
# A worker that has not loaded its store by then is broken (a huge in-memory copy?).
STARTUP_LIMIT = 120.0


@dataclass(frozen=True)
class QueryJob:
    """One read query as it crosses to a worker: bindings are N-Triples terms, and the
    format to write each kind of answer in (None: nothing acceptable, send no body)."""

    sparql: str
    result_format: str | None
    graph_format: str | None
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    bindings: Mapping[str, str] = field(default_factory=dict)
    prefixes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallJob:
    """A read made of several queries (a resource page) as it crosses to a worker: the
    worker calls ``function(query, *args)``, ``query`` running SPARQL on its store with
    the project's prefixes. ``function`` must be importable at module level (it crosses
    by name), ``args`` and its value must pickle, and ``args`` must be hashable."""

    function: Callable[..., object]
    args: tuple[Hashable, ...]


@dataclass(frozen=True)
class Answer:
    """A serialised answer: the query form, the format used (None when the job gave
    no format for this form) and the bytes."""

    kind: Kind
    format: str | None
    body: bytes


def execute(store: QuadStore, job: QueryJob, limits: Limits) -> Answer:
    """Run ``job`` on ``store`` in this process and serialise the answer within ``limits``.

    Raises QueryError (syntax, engine failure) and ResultTooLargeError.
    """
    bindings: dict[str, Node] = {}
    for name, text in job.bindings.items():
        term = from_n3(text)
        if not isinstance(term, Node):
            raise QueryError(f"cannot read the value bound to ?{name}: {text!r}")
        bindings[name] = term
    result = store.query(
        job.sparql,
        substitutions=bindings,
        default_graphs=job.default_graphs,
        named_graphs=job.named_graphs,
        prefixes=job.prefixes,
    )
    kind = result.kind
    fmt = job.graph_format if kind == "graph" else job.result_format
    if fmt is None:
        return Answer(kind, None, b"")
    error: EscapeKGError | None = None
    try:
        return Answer(kind, fmt, result.serialize_capped(fmt, limits))
    except EscapeKGError as exc:
        # The traceback holds the engine's result objects, which must be freed on this
        # thread (the web server re-raises elsewhere); pass on a fresh error instead.
        error = type(exc)(exc.message, hint=exc.hint)
    finally:
        del result
    raise error


def _querier(store: QuadStore) -> Callable[..., QueryResult]:
    """What a CallJob's function gets to query the worker's store with: the signature
    of ``KnowledgeGraph.query`` (SPARQL, keyword ``bindings``)."""

    def query(sparql: str, *, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        return store.query(sparql, substitutions=bindings, prefixes=PREFIXES)

    return query


Source = tuple[Literal["path"], str] | tuple[Literal["dump"], bytes]


def _worker_main(conn: Connection, source: Source, limits: Limits) -> None:
    """A worker's life: open the store, say ready, then answer jobs until told to stop."""
    try:
        if source[0] == "path":
            store = Store.read_only(Path(source[1]))
        else:
            store = Store.from_dump(source[1])
    except EscapeKGError as exc:
        conn.send(("failed", str(exc)))
        return
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except EOFError:  # the server went away
            return
        if job is None:
            return
        try:
            if isinstance(job, CallJob):
                conn.send(("ok", job.function(_querier(store), *job.args)))
            else:
                conn.send(("ok", execute(store, job, limits)))
        except EscapeKGError as exc:
            conn.send(("error", type(exc).__name__, exc.message, exc.hint))


def _rebuild(name: str, message: str, hint: str | None) -> EscapeKGError:
    cls = getattr(errors, name, QueryError)
    if not (isinstance(cls, type) and issubclass(cls, EscapeKGError)):
        cls = QueryError
    return cls(message, hint=hint)


class _Worker:
    """One worker process and the server's end of its pipe."""

    def __init__(
        self, ctx: ForkServerContext, source: Source, limits: Limits, generation: int
    ) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(child, source, limits), daemon=True, name="escape-kg-query"
        )
        self.process.start()
        child.close()
        self.generation = generation
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        try:
            if not self.conn.poll(STARTUP_LIMIT):
                raise StoreError(f"a query worker did not start within {STARTUP_LIMIT:.0f} s")
            message = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise StoreError("a query worker stopped while starting") from exc
        if message[0] != "ready":
            raise StoreError(f"a query worker could not open the store: {message[1]}")
        self.ready = True

    def stop(self) -> None:
        # SIGKILL: a worker deep in a query never reads a polite request to stop.
        self.process.kill()
        self.process.join()
        self.conn.close()


class QueryPool:
    """``workers`` processes running queries on ``store`` (an embedded Store; StoreError
    for another) for at most ``timeout`` seconds each; a query waits at most ``wait``
    seconds for a free worker (None: as long as ``timeout``).

    Thread-safe: the web server calls ``run`` from many threads at once. Workers
    start on first use; ``close`` stops them all.
    """

    def __init__(
        self,
        store: QuadStore,
        *,
        workers: int,
        timeout: float,
        limits: Limits,
        wait: float | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("a query pool needs at least one worker")
        if not isinstance(store, Store):
            # A remote store needs no workers: an HTTP time limit bounds its queries.
            raise StoreError("query workers run on the embedded store only")
        self.store = store
        self.size = workers
        self.timeout = timeout
        self.wait = timeout if wait is None else wait
        self.limits = limits
        ctx = multiprocessing.get_context("forkserver")
        # forkserver: workers fork from a clean, single-threaded process, not from the
        # threaded server. Each child still re-runs the main module, so the heavy
        # imports are made once in the fork server (~15 ms a worker instead of ~300).
        ctx.set_forkserver_preload(["__main__", "escape_kg.api"])
        self._ctx = ctx
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        # Requests waiting for a worker, oldest first; only the first may take one.
        self._queue: deque[object] = deque()
        self._alive = 0  # idle + busy
        self._busy = 0
        self._generation = 0
        self._writing = False
        self._closed = False
        self._source: tuple[int, Source] | None = None
        self._source_lock = threading.Lock()
        self._flights: SingleFlight[object] = SingleFlight()

    # -- the data workers load ------------------------------------------------

    def _current_source(self, generation: int) -> Source:
        with self._source_lock:
            if self._source is None or self._source[0] != generation:
                if self.store.path is not None:
                    self.store.flush()
                    source: Source = ("path", str(self.store.path))
                else:
                    source = ("dump", self.store.dump_bytes("nquads"))
                self._source = (generation, source)
            return self._source[1]

    def _spawn(self, generation: int) -> _Worker:
        return _Worker(self._ctx, self._current_source(generation), self.limits, generation)

    # -- checking workers out and in --------------------------------------------

    def _acquire(self, deadline: float) -> _Worker:
        stale: list[_Worker] = []
        ticket = object()
        try:
            with self._cond:
                self._queue.append(ticket)
                try:
                    generation = self._take(ticket, deadline, stale)
                finally:
                    self._queue.remove(ticket)
                    # The next in line may be able to go now (or to give up in its turn).
                    self._cond.notify_all()
                if isinstance(generation, _Worker):
                    return generation
        finally:
            for worker in stale:
                worker.stop()
        try:
            return self._spawn(generation)
        except BaseException:
            self._release(None)
            raise

    def _take(self, ticket: object, deadline: float, stale: list[_Worker]) -> _Worker | int:
        """With ``_cond`` held: wait until ``ticket`` is first in line and a worker is free,
        then check out an idle worker, or reserve a place for a new one (its generation).
        Raises ServerBusyError past ``deadline``, StoreError once the pool is closed."""
        while True:
            if self._closed:
                raise StoreError("the query workers have been stopped")
            if not self._writing and self._queue[0] is ticket:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.generation == self._generation:
                        self._busy += 1
                        return worker
                    stale.append(worker)
                    self._alive -= 1
                if self._alive < self.size:
                    self._alive += 1
                    self._busy += 1
                    return self._generation
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                busy = "paused for a write" if self._writing else "busy"
                raise ServerBusyError(
                    f"all {self.size} query workers stayed {busy} for {self.wait:g} s, as "
                    "long as a request may wait for one; the query did not start",
                    hint="try again shortly; the operator can add workers with "
                    "--query-workers / ESCAPE_KG_QUERY_WORKERS or let requests wait "
                    "longer with --query-wait / ESCAPE_KG_QUERY_WAIT",
                    # A worker comes free at the latest when its query reaches the run limit.
                    retry_after=max(1, math.ceil(min(self.timeout, self.wait))),
                )
            self._cond.wait(remaining)

    def _release(self, worker: _Worker | None, *, healthy: bool = False) -> None:
        with self._cond:
            self._busy -= 1
            keep = (
                worker is not None
                and healthy
                and worker.generation == self._generation
                and not self._closed
            )
            if keep:
                assert worker is not None
                self._idle.append(worker)
            else:
                self._alive -= 1
            self._cond.notify_all()
        if worker is not None and not keep:
            worker.stop()
            self._refill()

    def _refill(self) -> None:
        """Start workers up to the pool size, so the next query finds one warm."""
        while True:
            with self._cond:
                if self._closed or self._writing or self._alive >= self.size:
                    return
                self._alive += 1
                generation = self._generation
            try:
                worker = self._spawn(generation)
            except BaseException:
                with self._cond:
                    self._alive -= 1
                raise
            with self._cond:
                self._idle.append(worker)
                self._cond.notify_all()

    @property
    def busy(self) -> int:
        """How many workers are running a query right now."""
        with self._cond:
            return self._busy

    def start(self) -> None:
        """Start every worker now instead of on first use (they load in the background)."""
        self._refill()

    # -- running -------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """How many requests are waiting for a free worker right now."""
        with self._cond:
            return len(self._queue)

    @property
    def shared(self) -> int:
        """How many queries so far were answered by an equal query's run."""
        return self._flights.shared

    def run(self, job: QueryJob) -> Answer:
        """Run ``job`` in a worker; returns its answer.

        Raises ServerBusyError when no worker came free within ``wait`` seconds (the
        query did not start), QueryTimeoutError after ``timeout`` seconds of running
        (the worker is killed and replaced), the worker's own QueryError /
        ResultTooLargeError, and StoreError when a worker cannot start or dies.
        The same job asked again while it runs waits for that run's answer.
        """
        key = (
            self._generation,  # never share an answer across a write
            job.sparql,
            job.result_format,
            job.graph_format,
            None if job.default_graphs is None else tuple(job.default_graphs),
            None if job.named_graphs is None else tuple(job.named_graphs),
            tuple(sorted(job.bindings.items())),
            tuple(sorted(job.prefixes.items())),
        )
        answer = self._flights.run(key, lambda: self._run(job))
        assert isinstance(answer, Answer)
        return answer

    def call(self, function: Callable[..., T], *args: Hashable) -> T:
        """``function(query, *args)`` run in a worker, as ``run`` runs a query (see
        CallJob): under the same wait bound and time limit, shared with an equal call
        already running. Raises what ``run`` raises, and the function's own
        EscapeKGError."""
        job = CallJob(function, args)
        key = (self._generation, function.__module__, function.__qualname__, args)
        value = self._flights.run(key, lambda: self._run(job))
        return value  # type: ignore[return-value]  # the worker ran ``function``

    def _run(self, job: QueryJob | CallJob) -> object:
        asked = time.monotonic()
        worker = self._acquire(asked + self.wait)
        waited = time.monotonic() - asked
        healthy = False
        try:
            worker.wait_ready()  # loading the store is not the query's time
            try:
                worker.conn.send(job)
                finished = worker.conn.poll(self.timeout)
                message = worker.conn.recv() if finished else None
            except (EOFError, OSError) as exc:
                raise StoreError(
                    "the process running the query stopped unexpectedly (out of memory?)",
                    hint="narrow the query; the server has started a fresh worker",
                ) from exc
            if message is None:
                # Said apart, so a client that waited long for the 503 sees why.
                queued = f" (it first waited {waited:.1f} s for a worker)" if waited >= 0.1 else ""
                raise QueryTimeoutError(
                    f"the query ran longer than the {self.timeout:g} s time limit and was "
                    f"stopped{queued}",
                    hint="make it more selective (name the graph with GRAPH <...>, add "
                    "LIMIT); the operator can raise the limit with --query-timeout or "
                    "ESCAPE_KG_QUERY_TIMEOUT",
                )
            healthy = True
        finally:
            self._release(worker, healthy=healthy)
        if message[0] == "error":
            raise _rebuild(*message[1:])
        return message[1]

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store for a write: wait for running queries (each ends within the
        time limit), stop every worker, and start fresh ones afterwards, which see
        what was written."""
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._writing = True
            while self._busy:
                self._cond.wait()
            stale, self._idle = self._idle, []
            self._alive -= len(stale)
        for worker in stale:
            worker.stop()
        try:
            yield
        finally:
            with self._cond:
                self._generation += 1
                self._writing = False
                self._cond.notify_all()
            self._refill()

    def close(self) -> None:
        """Stop every worker; running queries fail with StoreError."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._alive -= len(idle)
            self._cond.notify_all()
        for worker in idle:
            worker.stop()
