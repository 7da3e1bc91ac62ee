"""Crash safety: a killed import leaves whole documents, writes and reads do not see
halves of each other, a full disk or a read-only store gives a clear error."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest
from _processes import descendants, still_running
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.compare import isomorphic, to_isomorphic

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.rdf.namespaces import PROV
from escape_kg.resources import data_dir
from escape_kg.web import create_app

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = 40  # at least 32, so the import builds documents in worker processes
KILL_AFTER = 8  # documents reported imported before the importer is killed
LIMIT = 180.0  # seconds for any one step on a loaded 2-core CI host
# The only triples that differ between two imports of one file.
IMPORT_TIME = (PROV.generatedAtTime, PROV.startedAtTime)
TOKEN = "crash-safety-token"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_minutes", ROOT / "bench/generate_minutes.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def minutes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    paths: list[Path] = _generator().write(tmp_path_factory.mktemp("minutes"), DOCUMENTS)
    return paths


@pytest.fixture(scope="module")
def expected(minutes: list[Path]) -> dict[str, Graph]:
    """What a clean import of each file stores: graph IRI -> its triples (import time left
    out). Taken from a store, not from the built graph, because the engine stores some
    literals in canonical form (xsd:nonNegativeInteger as xsd:integer)."""
    kg = KnowledgeGraph.memory()
    outcomes = kg.ingest_many(minutes)
    assert {o.status for o in outcomes} == {"imported"}
    return {o.graph_iri: stored(kg, o.graph_iri) for o in outcomes if o.graph_iri}


def without_import_time(graph: Graph) -> Graph:
    kept = Graph()
    for triple in graph:
        if triple[1] not in IMPORT_TIME:
            kept.add(triple)
    return kept


def stored(kg: KnowledgeGraph, iri: str) -> Graph:
    graph = Graph()
    for triple in kg.store.graph_triples(iri):
        graph.add(triple)
    return without_import_time(graph)


def check_whole(kg: KnowledgeGraph, expected: dict[str, Graph]) -> set[str]:
    """Assert every document graph in the store is exactly what a clean import gives;
    returns the IRIs present."""
    present = {iri for iri in expected if kg.has_graph(iri)}
    for iri in sorted(present):
        got, want = stored(kg, iri), expected[iri]
        if not isomorphic(got, want):
            only_got = set(to_isomorphic(got)) - set(to_isomorphic(want))
            only_want = set(to_isomorphic(want)) - set(to_isomorphic(got))
            raise AssertionError(
                f"{iri} is half-written: {len(got)} triples stored, {len(want)} expected; "
                f"{len(only_got)} extra, {len(only_want)} missing, e.g. "
                f"{sorted(map(str, only_want))[:3]}"
            )
    return present


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "escape_kg", *args]


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCAPE_KG_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


# -- SIGKILL in the middle of an import ------------------------------------------------


@pytest.mark.slow
def test_an_import_killed_midway_leaves_only_whole_documents(
    tmp_path: Path, minutes: list[Path], expected: dict[str, Graph]
) -> None:
    store = tmp_path / "store"
    log = tmp_path / "import.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cli("import", "--store", str(store), *map(str, minutes)),
            env=child_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    reported: list[str] = []
    helpers: set[int] = set()
    try:
        deadline = time.monotonic() + LIMIT
        while len(reported) < KILL_AFTER:
            assert time.monotonic() < deadline, log.read_text("utf-8", errors="replace")
            try:
                proc.wait(timeout=0.05)  # the pause between looks at the log
            except subprocess.TimeoutExpired:
                pass
            else:
                raise AssertionError("the import ended before it could be killed")
            text = log.read_text("utf-8", errors="replace")
            reported = [line for line in text.splitlines() if line.startswith("✔ imported")]
            helpers |= descendants(proc.pid)
        proc.kill()  # SIGKILL: no cleanup of any kind in the importer
        proc.wait(timeout=LIMIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -9
    # Import workers notice their parent is gone and end; none may keep the store.
    leftover = still_running(helpers, 30.0)
    for pid in leftover:  # started by this test: clean up before failing
        os.kill(pid, 9)
    assert not leftover, f"import workers outlived the killed importer: {leftover}"

    with KnowledgeGraph.open(Settings(store=store)) as kg:
        present = check_whole(kg, expected)
        # Whatever was reported imported was committed, and the run stopped midway.
        assert len(present) >= len(reported)
        assert len(present) < DOCUMENTS
        answer = kg.query("SELECT (COUNT(*) AS ?n) WHERE { ?m a ekg:Meeting }")
        assert [int(str(n)) for (n,) in answer.rows()] == [len(present)]
        # Running the import again completes the set and leaves the survivors as they are.
        outcomes = kg.ingest_many(minutes)
        statuses = {o.graph_iri: o.status for o in outcomes}
        assert {statuses[iri] for iri in present} == {"unchanged"}
        assert {s for iri, s in statuses.items() if iri not in present} == {"imported"}
        assert check_whole(kg, expected) == set(expected)


# -- writes and reads at the same time --------------------------------------------------


def _document(size: int) -> bytes:
    lines = [f'<https://example.org/s{i}> <https://example.org/p> "v{i}" .' for i in range(size)]
    return "\n".join(lines).encode()


def test_queries_during_graph_replacements_see_a_whole_graph(tmp_path: Path) -> None:
    """A writer replaces one graph over and over (50 triples, then 150, ...) while readers
    count it: every count is one of the whole versions, and every answer is prompt."""
    graph = "https://example.org/replaced"
    sizes = (50, 150)
    settings = Settings(store=tmp_path / "store", allow_updates=True, token=TOKEN, query_workers=2)
    auth = {"authorization": f"Bearer {TOKEN}", "content-type": "application/n-triples"}
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    writes = 12

    def write(client: TestClient) -> list[int]:
        codes = []
        for i in range(writes):
            body = _document(sizes[i % 2])
            codes.append(
                client.put(
                    "/store", params={"graph": graph}, content=body, headers=auth
                ).status_code
            )
        return codes

    def read(client: TestClient, done: list[bool]) -> list[tuple[int, float]]:
        seen = []
        while not done:
            start = time.monotonic()
            answer = client.get("/sparql", params={"query": count, "format": "json"})
            assert answer.status_code == 200, answer.text
            n = int(json.loads(answer.text)["results"]["bindings"][0]["n"]["value"])
            seen.append((n, time.monotonic() - start))
        return seen

    with KnowledgeGraph.open(settings) as kg, TestClient(create_app(kg)) as client:
        done: list[bool] = []
        with ThreadPoolExecutor(4) as pool:
            readers = [pool.submit(read, client, done) for _ in range(3)]
            codes = pool.submit(write, client).result(timeout=LIMIT)
            done.append(True)
            seen = [item for reader in readers for item in reader.result(timeout=LIMIT)]
    assert codes[0] == 201 and set(codes[1:]) == {204}
    counts = {n for n, _ in seen}
    assert counts <= {0, *sizes}, f"a query saw a half-replaced graph: {sorted(counts)}"
    assert counts & set(sizes), "no read overlapped the writes"
    assert len(seen) >= 3
    # A read waits at most for one write (each is one transaction) and a worker restart.
    assert max(took for _, took in seen) < settings.query_timeout


# -- a full disk, a read-only store --------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB tmpfs mounted at a fresh folder (root only); unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def remount(mount: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mount)], check=True)


@pytest.mark.slow
def test_a_full_disk_is_a_clear_error_and_the_store_stays_whole(
    small_disk: Path, minutes: list[Path], expected: dict[str, Graph]
) -> None:
    store = small_disk / "store"
    done = subprocess.run(
        cli("import", "--store", str(store), *map(str, minutes)),
        env=child_env(),
        capture_output=True,
        timeout=LIMIT,
        check=False,
    )
    output = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert "No space left on device" in output
    assert "check free disk space" in output
    reported = [line for line in output.splitlines() if line.startswith("✔ imported")]
    remount(small_disk, "size=256m")  # the operator frees some space
    with KnowledgeGraph.open(Settings(store=store)) as kg:
        present = check_whole(kg, expected)
        assert len(present) >= len(reported)
        assert kg.query("ASK { ?s ?p ?o }").boolean


@pytest.mark.slow
def test_a_read_only_store_is_a_clear_error(small_disk: Path) -> None:
    store = small_disk / "store"
    example = data_dir("examples") / "escape-tc-minutes.txt"
    imported = subprocess.run(
        cli("import", "--date", "2021-09-08", "--store", str(store), str(example)),
        env=child_env(),
        capture_output=True,
        timeout=LIMIT,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr.decode()
    remount(small_disk, "ro")
    for command in (
        ("import", "--date", "2021-09-08", "--store", str(store), str(example)),
        ("graphs", "--store", str(store)),
    ):
        done = subprocess.run(
            cli(*command), env=child_env(), capture_output=True, timeout=LIMIT, check=False
        )
        output = done.stdout.decode() + done.stderr.decode()
        assert done.returncode == 2, output
        assert "Traceback" not in output
        assert f"cannot open the store {store}" in output
        assert "Read-only file system" in output


def test_a_file_where_the_store_folder_should_be_is_a_clear_error(tmp_path: Path) -> None:
    """Works as root too, where permission bits are not checked: the command line refuses
    it before anything is opened."""
    blocker = tmp_path / "store"
    blocker.write_text("not a folder")
    done = subprocess.run(
        cli("graphs", "--store", str(blocker)),
        env=child_env(),
        capture_output=True,
        timeout=LIMIT,
        check=False,
    )
    output = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert "is a file" in output


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits (see the tmpfs test)")
def test_a_store_folder_without_write_permission_is_a_clear_error(tmp_path: Path) -> None:
    store = tmp_path / "store"
    KnowledgeGraph.open(Settings(store=store)).close()
    for path in [store, *store.iterdir()]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        done = subprocess.run(
            cli("graphs", "--store", str(store)),
            env=child_env(),
            capture_output=True,
            timeout=LIMIT,
            check=False,
        )
    finally:
        store.chmod(0o755)
    output = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert "cannot open the store" in output
