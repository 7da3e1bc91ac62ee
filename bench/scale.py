"""Benchmark: import throughput and catalogue latency at each size, embedded and remote.

Generates the largest size's meetings once (bench/generate_minutes.py) and, for each
target store, grows one store step by step to each size (100, then 900 more to
1,000, then 9,000 more to 10,000). After each step it prints the step's import rate
(meetings/s and triples/s, validation included, through the real `escape-kg import`
in a child process, with that process's peak memory), then runs
bench/catalogue_latency.py on the store as it stands: every catalogue query in
process and over HTTP, and the throughput of concurrent clients.

Targets: ``embedded`` (a store folder), ``oxigraph`` (the Oxigraph server of the
test extras, started here on a free loopback port) and ``virtuoso`` (Debian's
virtuoso-t, started here the same way, account dba/dba). Loopback only; every
server and folder it starts is removed at the end unless ``--keep DIR``. Not a
test: it prints figures and asserts nothing.

    python bench/scale.py [--sizes 100 1000 10000] [--targets embedded oxigraph virtuoso]
                          [--runs 5] [--clients 8 32] [--no-catalogue] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_latency import free_port
from generate_minutes import write

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings

HERE = Path(__file__).resolve().parent
STARTUP_LIMIT = 120.0  # seconds for a server to answer ASK {}
# Virtuoso's page buffers (8 kB each): about 1.3 GB, what its documentation suggests
# for a few tens of millions of triples; its default of 10,000 (80 MB) thrashes.
VIRTUOSO_BUFFERS = 170_000


@dataclass
class Target:
    """One store to grow: how to name it to escape-kg, and the environment it needs."""

    name: str
    spec: str
    env: dict[str, str] = field(default_factory=dict)


def wait_for(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    """Wait until ``url`` answers ASK {} with 200, or fail if ``process`` dies first."""
    query = url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode} before answering")
        request = urllib.request.Request(
            query, headers={"Accept": "application/sparql-results+json"}
        )
        with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=5) as answer:
            if answer.status == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"{what} did not answer at {url} within {STARTUP_LIMIT:g} s")


@contextlib.contextmanager
def running(command: list[str], url: str, what: str, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(url, process, what)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def oxigraph_server(folder: Path) -> Iterator[Target]:
    command = shutil.which("oxigraph") or shutil.which(
        "oxigraph", path=str(Path(sys.executable).parent)
    )
    if command is None:
        raise SystemExit("no `oxigraph` command: pip install oxigraph (in the test extras)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [command, "serve", "--location", str(folder / "data"), "--bind", f"127.0.0.1:{port}"]
    with running(argv, f"http://127.0.0.1:{port}/query", "the Oxigraph server", folder / "log"):
        yield Target("oxigraph", f"oxigraph+http://127.0.0.1:{port}")


@contextlib.contextmanager
def virtuoso_server(folder: Path) -> Iterator[Target]:
    command = shutil.which("virtuoso-t")
    if command is None:
        raise SystemExit("no virtuoso-t: apt-get install virtuoso-opensource")
    folder.mkdir(parents=True, exist_ok=True)
    sql, http = free_port(), free_port()
    (folder / "virtuoso.ini").write_text(
        f"""[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
NumberOfBuffers = {VIRTUOSO_BUFFERS}
MaxDirtyBuffers = {VIRTUOSO_BUFFERS * 3 // 4}
DirsAllowed = .
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {folder}
ServerThreads = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 400
""",
        encoding="utf-8",
    )
    argv = [command, "+foreground", "+configfile", str(folder / "virtuoso.ini")]
    url = f"http://127.0.0.1:{http}/sparql"
    with running(argv, url, "Virtuoso", folder / "stdout.log"):
        yield Target(
            "virtuoso",
            f"virtuoso+http://127.0.0.1:{http}",
            {"ESCAPE_KG_STORE_USER": "dba", "ESCAPE_KG_STORE_PASSWORD": "dba"},
        )


def quads(target: Target) -> int:
    saved = {k: os.environ.get(k) for k in target.env}
    os.environ.update(target.env)
    try:
        with KnowledgeGraph.open(Settings.load(store=target.spec)) as kg:
            return kg.store.quad_count()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def import_step(target: Target, folder: Path) -> tuple[float, float, int, str]:
    """Import every file of ``folder`` with `escape-kg import`; returns the seconds it
    took, the importer's peak resident memory in MiB, its exit status and its summary
    (the last line it wrote; the per-file lines go to a log beside the files)."""
    command = [sys.executable, "-m", "escape_kg", "import", "--store", target.spec, str(folder)]
    env = {**os.environ, **target.env}
    log = folder.with_suffix(f".{target.name}.log")
    with log.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        spent = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return spent, usage.ru_maxrss / 1024, process.returncode, lines[-1] if lines else ""


def catalogue(target: Target, runs: int, clients: list[int]) -> None:
    """bench/catalogue_latency.py on the store as it stands: every query in process and
    over HTTP, then the throughput of each number of ``clients``."""
    command = [
        sys.executable, str(HERE / "catalogue_latency.py"), "--store", target.spec,
        "--runs", str(runs), "--requests", str(25 * max(clients)),
        "--clients", *map(str, clients),
    ]  # fmt: skip
    sys.stdout.flush()
    subprocess.run(command, env={**os.environ, **target.env}, check=False)


def grow(target: Target, batches: list[tuple[int, Path]], args: argparse.Namespace) -> None:
    print(f"\n=== {target.name} ({target.spec})", flush=True)
    before = quads(target)
    done = 0
    for size, folder in batches:
        count = size - done
        spent, rss, status, summary = import_step(target, folder)
        after = quads(target)
        print(
            f"{target.name}: meetings {done + 1}-{size}: {count / spent:.1f} meetings/s, "
            f"{(after - before) / spent:,.0f} triples/s, {1000 * spent / count:.0f} ms a "
            f"meeting; {after:,} quads in the store; importer peak RSS {rss:.0f} MiB"
            + (f"; exit status {status}: {summary}" if status else ""),
            flush=True,
        )
        before, done = after, size
        if not args.no_catalogue:
            print(f"--- catalogue on {target.name} at {size} meetings", flush=True)
            catalogue(target, args.runs, args.clients)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10_000])
    parser.add_argument(
        "--targets", nargs="+", default=["embedded", "oxigraph", "virtuoso"],
        choices=["embedded", "oxigraph", "virtuoso"],
    )  # fmt: skip
    parser.add_argument("--runs", type=int, default=5, help="timed runs per catalogue query")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--no-catalogue", action="store_true", help="measure imports only")
    parser.add_argument("--keep", type=Path, help="folder for the stores (default: temporary)")
    args = parser.parse_args()
    sizes = sorted(set(args.sizes))

    with tempfile.TemporaryDirectory(prefix="escape-kg-scale-") as tmp:
        root = args.keep or Path(tmp)
        paths = write(Path(tmp) / "all", sizes[-1])
        batches: list[tuple[int, Path]] = []
        done = 0
        for size in sizes:
            folder = Path(tmp) / f"upto-{size}"
            folder.mkdir()
            for path in paths[done:size]:
                path.rename(folder / path.name)
            batches.append((size, folder))
            done = size
        print(f"{sizes[-1]} generated meetings; sizes {sizes}; targets {args.targets}")
        for name in args.targets:
            with contextlib.ExitStack() as stack:
                if name == "embedded":
                    target = Target("embedded", str(root / "embedded"))
                elif name == "oxigraph":
                    target = stack.enter_context(oxigraph_server(root / "oxigraph"))
                else:
                    target = stack.enter_context(virtuoso_server(root / "virtuoso"))
                grow(target, batches, args)


if __name__ == "__main__":
    main()
