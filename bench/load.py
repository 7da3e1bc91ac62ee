"""Load test: 32 clients for 60 s over the catalogue and resource pages, with one runaway query.

Starts `escape-kg serve` on a free loopback port over a store (an existing one, or
one built here from N generated meetings), then runs ``--clients`` threads with
persistent connections for ``--seconds`` seconds, each picking requests at random
from the catalogue queries (with values taken from the store: people, meetings,
organisations, work packages) and the resource pages (HTML and Turtle). Partway
through, one more client sends a query that would run for hours; it must come back
503 once it has run for the server's time limit (after its turn in the queue for a
worker) while the others keep being answered.

Prints the error count (503s split into queries stopped at the run limit and requests
turned away after waiting for a worker), latency percentiles, requests/s, the cache
hit ratio, the server's memory over time (RSS and PSS of the server process and of its
query workers: PSS counts pages they share once), what the server's RSS is made of,
and what happened to the runaway (how long it waited for a worker, then ran). With
``--meetings N`` it also prints the importer's peak memory. Loopback only; it stops
by itself. Not a test: it prints figures.

    python bench/load.py --store DIR [--seconds 60] [--clients 32] [--query-timeout 5]
    python bench/load.py --meetings 2000 [--keep DIR] [--no-pages]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
STARTUP_LIMIT = 180.0  # seconds for the server to open a large store
HTML = "text/html"
# Distinct IRIs of each kind: every meeting graph states the type of the people and
# organisations it names again, so without DISTINCT one kind fills any LIMIT.
SAMPLE = """SELECT ?kind ?x WHERE {
  { SELECT DISTINCT ?x ("person" AS ?kind) { ?x a schema:Person } LIMIT 500 } UNION
  { SELECT DISTINCT ?x ("meeting" AS ?kind) { ?x a ekg:Meeting } LIMIT 500 } UNION
  { SELECT DISTINCT ?x ("org" AS ?kind) { ?x a org:Organization } LIMIT 500 } UNION
  { SELECT DISTINCT ?x ("wp" AS ?kind) { ?x a ekg:WorkPackage } LIMIT 50 } UNION
  { SELECT DISTINCT ?x ("event" AS ?kind) { ?x a schema:Event . FILTER NOT EXISTS
    { ?x a ekg:Meeting } FILTER NOT EXISTS { ?x a ekg:AgendaItem } } LIMIT 500 }
}"""


@dataclass
class Tally:
    """What the clients saw; each client owns one and they are merged at the end."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    cache: Counter[str] = field(default_factory=Counter)
    finished_at: list[float] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    """Resident memory of one process in KiB (0 if it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid: int) -> int:
    """Proportional set size of one process in KiB (0 if it has gone or is unreadable):
    pages shared with other processes (the store's files mapped by the server and every
    worker, the fork server's copy-on-write pages) count once across them all."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier} - found
        found |= frontier
    return found


Memory = tuple[int, int, int, int]


def breakdown(pid: int) -> dict[str, int]:
    """Resident MiB of one process by kind of mapping: the main heap, other anonymous
    memory (malloc arenas of threads, the engine's allocations), mapped files."""
    kinds: Counter[str] = Counter()
    kind = "other"
    try:
        for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
            head = line.split(maxsplit=5)
            if "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
                name = head[5] if len(head) > 5 else ""
                kind = (
                    "heap"
                    if name == "[heap]"
                    else "anonymous"
                    if not name
                    else ("stack" if name.startswith("[stack") else "files")
                )
            elif line.startswith("Rss:"):
                kinds[kind] += int(line.split()[1])
    except OSError:
        pass
    return {k: v // 1024 for k, v in sorted(kinds.items())}


def memory(pid: int) -> Memory:
    """(server RSS, sum of its child processes' RSS, server PSS, children's PSS) in MiB.

    RSS counts shared pages in every process that maps them; the PSS sum is what the
    whole process tree really holds."""
    children = descendants(pid)
    return (
        rss_kib(pid) // 1024,
        sum(rss_kib(c) for c in children) // 1024,
        pss_kib(pid) // 1024,
        sum(pss_kib(c) for c in children) // 1024,
    )


def build_store(meetings: int, store: Path) -> None:
    """Generate ``meetings`` minutes and import them into ``store``; print the import's
    speed and the peak memory of its largest process."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import generate_minutes  # a sibling script, not a package

    with tempfile.TemporaryDirectory() as folder:
        paths = generate_minutes.write(Path(folder), meetings)
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "escape_kg", "import", "--store", str(store), folder],
            capture_output=True,
            check=False,
        )
        took = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"import failed ({done.returncode}):\n{done.stderr.decode()[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(
        f"import: {len(paths)} meetings in {took:.0f} s ({len(paths) / took:.1f} meetings/s); "
        f"peak RSS of the largest import process {peak} MiB"
    )


def start_server(
    store: Path, timeout: float, workers: int, log: Path
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [
        sys.executable, "-m", "escape_kg", "serve", "--store", str(store),
        "--host", "127.0.0.1", "--port", str(port),
        "--query-timeout", str(timeout), "--query-workers", str(workers),
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, port
        except OSError:
            pass
        try:
            proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            continue
        sys.exit(f"the server stopped ({proc.returncode}):\n{log.read_text()[-2000:]}")
    proc.kill()
    sys.exit("the server did not start in time")


def get(conn: http.client.HTTPConnection, path: str, accept: str) -> tuple[int, bytes, str]:
    conn.request("GET", path, headers={"Accept": accept})
    answer = conn.getresponse()
    return answer.status, answer.read(), answer.getheader("X-Cache") or "-"


def workload(port: int, pages: bool = True) -> list[tuple[str, str]]:
    """(path, Accept) pairs: every catalogue query with values from the store, and
    resource pages as HTML and Turtle."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    status, body, _ = get(
        conn,
        "/sparql?" + urllib.parse.urlencode({"query": SAMPLE}),
        "application/sparql-results+json",
    )
    if status != 200:
        sys.exit(f"sampling the store failed: {status} {body[:300]!r}")
    found: dict[str, list[str]] = {}
    for row in json.loads(body)["results"]["bindings"]:
        found.setdefault(row["kind"]["value"], []).append(row["x"]["value"])
    status, body, _ = get(conn, "/queries", "application/json")
    catalogue = [q["name"] for q in json.loads(body)["queries"]]
    conn.close()
    rnd = random.Random(5)

    def pick(kind: str, n: int) -> list[str]:
        values = found.get(kind, [])
        return rnd.sample(values, min(n, len(values)))

    def key(iri: str) -> str:
        return iri.split("/id/", 1)[1] if "/id/" in iri else iri

    params: dict[str, list[dict[str, str]]] = {
        "person-activity": [{"person": key(p)} for p in pick("person", 20)],
        "meeting-agenda": [{"meeting": key(m)} for m in pick("meeting", 20)],
        "institute-activity": [{"organisation": key(o)} for o in pick("org", 10)],
        "wp-timeline": [{"wp": f"wp/WP{i}"} for i in range(1, 7)],
        "wp-term": [{"wp": f"wp/WP{i}", "term": t} for i in (2, 5) for t in ("rucio", "DAC21")],
        "find-entity": [{"text": t} for t in ("rucio", "bird", "WP5", "cern")],
        "meetings": [{"after": f"{y}-01-01", "before": f"{y}-12-31"} for y in range(2019, 2026)],
    }
    requests: list[tuple[str, str]] = []
    for name in catalogue:
        for values in params.get(name, [{}]):
            query = urllib.parse.urlencode({**values, "format": "json"})
            requests.append((f"/queries/{name}?{query}", "application/json"))
    for kind in ("person", "meeting", "org", "wp", "event") if pages else ():
        for iri in pick(kind, 25):
            requests.append(("/id/" + urllib.parse.quote(key(iri)), HTML))
            requests.append(("/id/" + urllib.parse.quote(key(iri)), "text/turtle"))
    return requests


def client(
    port: int, requests: list[tuple[str, str]], stop: float, seed: int, tally: Tally
) -> None:
    rnd = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while time.monotonic() < stop:
        path, accept = rnd.choice(requests)
        started = time.monotonic()
        try:
            status, body, cache = get(conn, path, accept)
        except (OSError, http.client.HTTPException) as exc:
            tally.errors.append(f"{path}: {exc!r}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            continue
        now = time.monotonic()
        tally.latencies.append(now - started)
        tally.finished_at.append(now)
        tally.statuses[status] += 1
        tally.cache[cache] += 1
        if status >= 400:
            tally.errors.append(f"{path}: {status}")
        if status == 503:
            # Stopped at the run limit, or turned away after waiting for a worker?
            waited = b"did not start" in body or b"stayed busy" in body  # (older servers)
            tally.refusals["waited" if waited else "ran"] += 1
    conn.close()


def runaway(port: int, result: dict[str, float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    result["sent"] = time.monotonic()
    status, body, _ = get(
        conn, "/sparql?" + urllib.parse.urlencode({"query": RUNAWAY}), "application/json"
    )
    result["answered"] = time.monotonic()
    result["status"] = status
    # The server says how long the query waited for a worker before its run limit began.
    waited = re.search(rb"waited ([0-9.]+) s for a worker", body)
    result["waited"] = float(waited.group(1)) if waited else 0.0
    conn.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="existing store folder to serve")
    parser.add_argument(
        "--meetings", type=int, default=0, help="build a store of N generated meetings"
    )
    parser.add_argument(
        "--keep", type=Path, help="where to build that store (default: a temp folder)"
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--query-timeout", type=float, default=5.0)
    parser.add_argument("--query-workers", type=int, default=2)
    parser.add_argument(
        "--pages",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="include resource pages (--no-pages: catalogue queries only)",
    )
    parser.add_argument("--runaway-at", type=float, default=15.0, help="seconds into the run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        store = args.store
        if store is None:
            if not args.meetings:
                parser.error("give --store DIR or --meetings N")
            store = args.keep or Path(scratch) / "store"
            build_store(args.meetings, store)
        run(args, store, Path(scratch) / "serve.log")


def run(args: argparse.Namespace, store: Path, log: Path) -> None:
    proc, port = start_server(store, args.query_timeout, args.query_workers, log)
    try:
        requests = workload(port, args.pages)
        print(
            f"store {store}: {len(requests)} distinct requests; "
            f"{args.clients} clients for {args.seconds:g} s"
        )
        start_mem = memory(proc.pid)
        samples: list[tuple[float, int, int, int, int]] = [(0.0, *start_mem)]
        begin = time.monotonic()
        stop = begin + args.seconds
        tallies = [Tally() for _ in range(args.clients)]
        threads = [
            threading.Thread(target=client, args=(port, requests, stop, i, t), daemon=True)
            for i, t in enumerate(tallies)
        ]
        for thread in threads:
            thread.start()
        outcome: dict[str, float] = {}
        slow = threading.Thread(target=runaway, args=(port, outcome), daemon=True)
        while time.monotonic() < stop:
            time.sleep(1.0)  # sampling memory once a second
            elapsed = time.monotonic() - begin
            samples.append((elapsed, *memory(proc.pid)))
            if not slow.is_alive() and "sent" not in outcome and elapsed >= args.runaway_at:
                slow.start()
        for thread in threads:
            thread.join()
        slow.join(timeout=args.query_timeout + 30)
        end_mem = memory(proc.pid)
        print(f"server memory by kind (RSS MiB): {breakdown(proc.pid)}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        _, text, _ = get(conn, "/metrics", "text/plain")
        conn.close()
        held = [ln for ln in text.decode().splitlines() if ln.startswith("escape_kg_cache_")]
        print("  " + "; ".join(held))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    report(args, tallies, samples, start_mem, end_mem, outcome, code)


def report(
    args: argparse.Namespace,
    tallies: list[Tally],
    samples: list[tuple[float, int, int, int, int]],
    start_mem: Memory,
    end_mem: Memory,
    outcome: dict[str, float],
    code: int,
) -> None:
    latencies = [x for t in tallies for x in t.latencies]
    errors = [e for t in tallies for e in t.errors]
    statuses: Counter[int] = sum((t.statuses for t in tallies), Counter())
    cache: Counter[str] = sum((t.cache for t in tallies), Counter())
    ms = [x * 1000 for x in latencies]
    refusals: Counter[str] = sum((t.refusals for t in tallies), Counter())
    print(f"requests: {len(latencies)} answered, {len(errors)} errors, statuses {dict(statuses)}")
    print(
        f"  503s: {refusals['ran']} stopped at the run limit, {refusals['waited']} turned "
        "away after waiting for a worker"
    )
    for e in errors[:5]:
        print("  error:", e)
    print(
        f"throughput: {len(latencies) / args.seconds:.0f} requests/s; latency ms: "
        f"p50 {percentile(ms, 0.5):.1f}, p95 {percentile(ms, 0.95):.1f}, "
        f"p99 {percentile(ms, 0.99):.1f}, max {max(ms):.0f}, mean {statistics.fmean(ms):.1f}"
    )
    print(f"cache: {dict(cache)} ({cache['hit'] / max(1, sum(cache.values())):.0%} hits)")
    print(
        f"server RSS MiB (server + workers): start {start_mem[0]} + {start_mem[1]}, "
        f"end {end_mem[0]} + {end_mem[1]}, peak {max(s[1] for s in samples)} + "
        f"{max(s[2] for s in samples)}"
    )
    print(
        f"server PSS MiB (server + workers): start {start_mem[2]} + {start_mem[3]}, "
        f"end {end_mem[2]} + {end_mem[3]}, peak {max(s[3] for s in samples)} + "
        f"{max(s[4] for s in samples)}, whole tree peak {max(s[3] + s[4] for s in samples)}"
    )
    step = max(1, len(samples) // 6)
    print(
        "  over time (RSS server+workers / PSS server+workers): "
        + ", ".join(f"{t:.0f}s {a}+{b}/{c}+{d}" for t, a, b, c, d in samples[::step])
    )
    if "answered" in outcome:
        took = outcome["answered"] - outcome["sent"]
        during = [
            (f, x)
            for t in tallies
            for f, x in zip(t.finished_at, t.latencies, strict=True)
            if outcome["sent"] <= f <= outcome["answered"]
        ]
        worst = max((x for _, x in during), default=0.0) * 1000
        print(
            f"runaway query: status {outcome['status']:.0f} after {took:.2f} s, of which "
            f"{outcome['waited']:.1f} s waiting for a worker (run limit {args.query_timeout:g} s); "
            f"meanwhile {len(during)} other requests "
            f"answered ({len(during) / took:.0f}/s, slowest {worst:.0f} ms)"
        )
    else:
        print("runaway query: no answer (still running?)")
    print(f"server exit code after SIGTERM: {code}")


if __name__ == "__main__":
    main()
