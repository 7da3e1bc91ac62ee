"""Benchmark: latency of every catalogue query in process and over HTTP, and 8-client throughput.

Runs each catalogue query with its defaults and with a second, realistic set of
values on an existing store (build one with generate_minutes.py and
`escape-kg import`), first in this process, then through `escape-kg serve`
started on a free loopback port, and prints median and 95th-percentile times,
the HTTP overhead and the throughput of concurrent clients over a mix of
queries. Not a test: it prints figures and asserts nothing.

    python bench/catalogue_latency.py --store DIR|URL [--runs 20] [--requests 400] [--clients 8 32]
    python bench/catalogue_latency.py --store DIR --answers OUT_DIR   (sorted CSV per run)

With a remote store's URL (credentials in ESCAPE_KG_STORE_USER / _PASSWORD), "in
process" means through this process's client of that server.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings

# A second set of values per query, realistic for the generated minutes (from 2019,
# one a working day): a year of meetings, another work package, a service instead of an event...
OTHER_VALUES: dict[str, dict[str, str]] = {
    "action-items": {"after": "2021-01-01", "before": "2021-12-31"},
    "co-mentions": {"entity": "service/rucio"},
    "deliverables": {"workpackage": "WP5"},
    "event-mentions": {"event": "event/dac21"},
    "events-upcoming": {"after": "2022-01-01", "before": "2022-12-31"},
    "find-entity": {"text": "bird"},
    "institute-activity": {"organisation": "org/cnrs", "after": "2021-01-01"},
    "meeting-agenda": {"meeting": "meeting/2021-09-08-wp5-monthly-meeting"},
    "meetings": {"after": "2021-01-01", "before": "2021-12-31"},
    "mention-context": {"entity": "service/rucio", "window": "40"},
    "person-activity": {"person": "person/ian-bird"},
    "sources": {},
    "speakers-by-institute": {"after": "2021-01-01", "before": "2021-12-31"},
    "wp-term": {"wp": "wp/WP5", "term": "rucio"},
    "wp-timeline": {"wp": "wp/WP5", "after": "2021-01-01"},
}
# Values for parameters without a default, so the "defaults" run can happen at all.
REQUIRED: dict[str, dict[str, str]] = {"find-entity": {"text": "rucio"}}
STARTUP_LIMIT = 120.0  # seconds for the server to open a large store


@dataclass
class Case:
    """One query with one set of values, and what was measured for it."""

    name: str
    label: str
    values: dict[str, str]
    rows: int = -1
    local: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    http: list[float] = field(default_factory=list)
    cached: list[float] = field(default_factory=list)


def cases(names: list[str]) -> list[Case]:
    """Each query with its defaults, then with OTHER_VALUES when they differ."""
    out = []
    for name in names:
        out.append(Case(name, "defaults", dict(REQUIRED.get(name, {}))))
        other = OTHER_VALUES.get(name)
        if other:
            out.append(Case(name, "other", dict(other)))
    return out


def median_ms(times: list[float]) -> float:
    return 1000 * statistics.median(times) if times else math.nan


def p95_ms(times: list[float]) -> float:
    if not times:
        return math.nan
    ordered = sorted(times)
    return 1000 * ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def timed(call: Callable[[], object], runs: int) -> list[float]:
    spent = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        spent.append(time.perf_counter() - t0)
    return spent


def timed_cpu(call: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of this thread per run. Oxigraph evaluates in the
    calling thread, so its CPU time is the query's own work: on a machine shared with
    other jobs it varies much less than the wall clock does (the process's CPU time
    would also count the store's background threads, such as RocksDB compactions)."""
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.thread_time()
        call()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    return wall, cpu


# -- in process ---------------------------------------------------------------------


def csv_rows(kg: KnowledgeGraph, case: Case) -> list[list[str]]:
    result = kg.run_named(case.name, case.values)
    return [["" if v is None else str(v) for v in row] for row in result.rows()]


def as_json(kg: KnowledgeGraph, case: Case) -> bytes:
    """The work the server does for a request, without HTTP: run, write SPARQL JSON.
    (Reading rows as rdflib terms instead costs several times more on large answers.)"""
    return kg.run_named(case.name, case.values).serialize("json")


def affordable(first: float, runs: int, budget: float) -> int:
    """How many timed runs fit in ``budget`` seconds, given one took ``first`` (at least 1):
    a query that takes seconds before the rewrite would otherwise take all day."""
    return max(1, min(runs, int(budget / max(first, 1e-6))))


def open_store(store: str) -> KnowledgeGraph:
    """The store folder or remote store URL ``store`` (credentials from the environment)."""
    return KnowledgeGraph.open(Settings.load(store=store))


def measure_local(
    store: str, todo: list[Case], runs: int, budget: float, answers: Path | None
) -> None:
    with open_store(store) as kg:
        for case in todo:
            t0 = time.perf_counter()
            as_json(kg, case)  # also warms the caches
            first = time.perf_counter() - t0
            if answers is not None or first < budget:
                rows = csv_rows(kg, case)
                case.rows = len(rows)
                if answers is not None:
                    variables = kg.run_named(case.name, case.values).variables
                    write_answers(answers, case, variables, rows)
            n = affordable(first, runs, budget)
            if n > 1:
                case.local, case.cpu = timed_cpu(partial(as_json, kg, case), n)
            else:
                case.local = [first]
            print(
                f"  in process {case.name:22} {case.label:8} {case.rows:6} rows "
                f"{median_ms(case.local):9.1f} ms (cpu {median_ms(case.cpu):.1f} ms)",
                file=sys.stderr,
            )


def write_answers(folder: Path, case: Case, header: list[str], rows: list[list[str]]) -> None:
    """Rows sorted, so that two runs compare with diff whatever the ORDER BY ties did."""
    folder.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(sorted(rows))
    (folder / f"{case.name}.{case.label}.csv").write_text(out.getvalue(), encoding="utf-8")


# -- over HTTP -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str, headers: Mapping[str, str]) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=600) as r:
            return r.status, r.read(), dict(r.headers.items())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers.items())


JSON = {"Accept": "application/sparql-results+json"}
# An HTTP cache in front of the engine would hide it; ask every request to go through.
UNCACHED = {**JSON, "Cache-Control": "no-cache"}


class Server:
    """`escape-kg serve --store DIR|URL` on a free loopback port, stopped on exit."""

    def __init__(self, store: str, extra: list[str], *, cache: bool) -> None:
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "escape_kg", "serve", "--store", str(store)]
        command += ["--host", "127.0.0.1", "--port", str(self.port), *extra]
        # The caller's settings stay out, except the credentials of a remote store.
        keep = ("ESCAPE_KG_STORE_USER", "ESCAPE_KG_STORE_PASSWORD")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ESCAPE_KG_") or k in keep}
        if not cache:
            env["ESCAPE_KG_CACHE_ENTRIES"] = "0"
        self.proc = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + STARTUP_LIMIT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"escape-kg serve exited with {self.proc.returncode}")
            try:
                if fetch(self.root + "/queries", {"Accept": "application/json"})[0] == 200:
                    return self
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"escape-kg serve did not answer within {STARTUP_LIMIT} s")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def url(self, case: Case) -> str:
        query = urlencode(case.values)
        return f"{self.root}/queries/{case.name}" + (f"?{query}" if query else "")


def measure_http(
    server: Server, todo: list[Case], runs: int, budget: float, *, cached: bool
) -> int:
    """Fills each case's ``http`` (or ``cached``) times; returns how many answers the
    server said came from its cache (X-Cache: hit)."""
    hits = 0
    for case in todo:
        url = server.url(case)
        t0 = time.perf_counter()
        status, body, headers = fetch(url, UNCACHED)  # also fills the cache, if any
        first = time.perf_counter() - t0
        if status != 200:
            print(f"  HTTP {status} for {url}: {body[:200]!r}", file=sys.stderr)
            continue
        spent: list[float] = []
        for _ in range(affordable(first, runs, budget)):
            t0 = time.perf_counter()
            headers = fetch(url, UNCACHED)[2]
            spent.append(time.perf_counter() - t0)
            hits += headers.get("X-Cache", headers.get("x-cache")) == "hit"
        if cached:
            case.cached = spent
        else:
            case.http = spent
        print(
            f"  HTTP {'cached' if cached else 'engine'} {case.name:22} {case.label:8} "
            f"{median_ms(spent):9.1f} ms",
            file=sys.stderr,
        )
    return hits


@dataclass
class Throughput:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int


def throughput(
    server: Server, todo: list[Case], clients: int, requests: int, headers: Mapping[str, str]
) -> Throughput:
    """``requests`` requests cycling through ``todo``, from ``clients`` threads at once."""
    urls = [server.url(c) for c in todo]
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0

    def one(index: int) -> None:
        nonlocal errors
        t0 = time.perf_counter()
        status = fetch(urls[index % len(urls)], headers)[0]
        spent = time.perf_counter() - t0
        with lock:
            latencies.append(spent)
            errors += status != 200

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, range(requests)))
    return Throughput(requests, time.perf_counter() - start, latencies, errors)


# -- report ---------------------------------------------------------------------------


def table(todo: list[Case], caching: bool) -> str:
    """The figures as a text table; the HTTP columns only when HTTP was measured."""
    http = any(c.http for c in todo)
    head = f"{'query':22} {'values':8} {'rows':>6} {'local med':>10} {'p95':>8} {'cpu med':>8}"
    if http:
        head += f" {'HTTP med':>10} {'p95':>8} {'overhead':>9}"
    if caching:
        head += f" {'cached med':>11}"
    lines = [head, "-" * len(head)]
    for c in todo:
        local = median_ms(c.local)
        line = (
            f"{c.name:22} {c.label:8} {c.rows:6} {local:8.1f}ms {p95_ms(c.local):6.1f}ms "
            f"{median_ms(c.cpu or c.local):6.1f}ms"
        )
        if http:
            remote = median_ms(c.http)
            overhead = 100 * (remote - local) / local if local > 0 else math.nan
            line += f" {remote:8.1f}ms {p95_ms(c.http):6.1f}ms {overhead:8.0f}%"
        if caching:
            line += f" {median_ms(c.cached):9.1f}ms"
        lines.append(line)
    measured = [c for c in todo if c.local]
    slow = [c for c in measured if median_ms(c.local) >= 50]
    if measured:
        lines.append(
            f"{len(measured) - len(slow)} of {len(measured)} runs have an in-process median "
            "under 50 ms"
            + (": slower are " + ", ".join(f"{c.name} ({c.label})" for c in slow) if slow else "")
        )
        # A query timed once (slower than the budget) has no CPU figure: count it as slow.
        busy = [c for c in measured if median_ms(c.cpu or c.local) >= 50]
        lines.append(
            f"{len(measured) - len(busy)} of {len(measured)} runs take under 50 ms of CPU "
            "(the wall clock adds waiting for a core on a shared machine)"
        )
    return "\n".join(lines)


def describe(label: str, t: Throughput, clients: int) -> str:
    return (
        f"{label}: {t.requests} requests from {clients} clients in {t.seconds:.1f} s = "
        f"{t.requests / t.seconds:.1f} requests/s; latency median {median_ms(t.latencies):.1f} ms, "
        f"p95 {p95_ms(t.latencies):.1f} ms; {t.errors} errors"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--store", required=True, help="an imported store folder, or a remote store's URL"
    )
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query and values")
    parser.add_argument("--http-runs", type=int, help="timed HTTP runs (default: --runs)")
    parser.add_argument(
        "--budget", type=float, default=30, help="seconds of timed runs per query at most"
    )
    parser.add_argument(
        "--clients", type=int, nargs="+", default=[8], help="concurrent HTTP clients (each)"
    )
    parser.add_argument("--requests", type=int, default=400, help="requests for throughput")
    parser.add_argument("--only", nargs="*", help="query names (default: the whole catalogue)")
    parser.add_argument("--answers", type=Path, help="write each run's rows as sorted CSV here")
    parser.add_argument("--no-http", action="store_true", help="measure in process only")
    parser.add_argument("--no-local", action="store_true", help="measure over HTTP only")
    parser.add_argument(
        "--serve-arg", action="append", default=[], help="extra `escape-kg serve` argument"
    )
    args = parser.parse_args(argv)
    if "://" not in args.store and not Path(args.store).exists():
        raise SystemExit(f"no store at {args.store}")

    with open_store(args.store) as kg:
        names = sorted(kg.catalogue())
        quads = kg.store.quad_count()
    todo = cases([n for n in names if not args.only or n in args.only])
    print(f"store {args.store}: {quads} quads; {len(todo)} query runs", file=sys.stderr)

    if not args.no_local:
        measure_local(args.store, todo, args.runs, args.budget, args.answers)
    notes: list[str] = []
    runs = args.http_runs or args.runs
    if not args.no_http:
        mix = [c for c in todo if c.label == "defaults"]
        # The server takes the store's lock: the in-process part has closed it by now.
        # Its answer cache (if this version has one) is switched off, so that every
        # request reaches the engine; then a second server measures the cache.
        with Server(args.store, args.serve_arg, cache=False) as server:
            hits = measure_http(server, todo, runs, args.budget, cached=False)
            for clients in args.clients:
                t = throughput(server, mix, clients, args.requests, UNCACHED)
                notes.append(describe("throughput, cache off", t, clients))
        if hits:
            notes.append(f"warning: {hits} answers said X-Cache: hit with the cache off")
        with Server(args.store, args.serve_arg, cache=True) as server:
            hits = measure_http(server, todo, runs, args.budget, cached=True)
            if hits:
                for clients in args.clients:
                    t = throughput(server, mix, clients, args.requests, JSON)
                    notes.append(describe("throughput, cache on (warm)", t, clients))
            else:
                notes.append("the server has no answer cache (no X-Cache: hit seen)")
    print(f"\n{quads} quads, up to {args.runs} runs each (at most {args.budget:g} s of them)")
    print("in process: run_named + SPARQL JSON (wall clock, and the querying thread's CPU time)")
    if not args.no_http:
        print("HTTP: GET /queries/{name} as SPARQL JSON with")
        print("the server's answer cache off; 'cached': the same with the cache on")
    print()
    print(table(todo, any(c.cached for c in todo)))
    for line in notes:
        print(line)


if __name__ == "__main__":
    main()
