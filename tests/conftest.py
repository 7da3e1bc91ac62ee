"""Shared pytest options (``--update-golden`` rewrites the expected graphs) and fixtures
(the remote SPARQL servers of the store contract tests)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/data/golden/*.ttl from the current output instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to regenerate golden files."""
    return bool(request.config.getoption("--update-golden"))


# -- remote SPARQL stores (tests/test_store_contract.py) --------------------------------
# .ci/run starts Virtuoso on loopback and exports ESCAPE_KG_TEST_VIRTUOSO (its /sparql URL)
# with ESCAPE_KG_TEST_VIRTUOSO_USER/_PASSWORD; the Oxigraph server is started here from
# the `oxigraph` command of the test extras, unless ESCAPE_KG_TEST_OXIGRAPH names one.
# With ESCAPE_KG_REQUIRE_REMOTE=1 (set by .ci/run) a missing server fails instead of skipping.


def remote_required() -> bool:
    """True when remote-store tests must run (CI), not be skipped."""
    return os.environ.get("ESCAPE_KG_REQUIRE_REMOTE", "") == "1"


def _missing(what: str) -> None:
    if remote_required():
        pytest.fail(f"{what} is required (ESCAPE_KG_REQUIRE_REMOTE=1) but not available")
    pytest.skip(f"{what} not available")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def oxigraph_url() -> Iterator[str]:
    """The query URL of an Oxigraph server: ESCAPE_KG_TEST_OXIGRAPH, else one started
    here in memory for the session (skipped, or failed in CI, without the command)."""
    given = os.environ.get("ESCAPE_KG_TEST_OXIGRAPH")
    if given:
        yield given
        return
    command = shutil.which("oxigraph") or shutil.which(
        "oxigraph", path=str(Path(sys.executable).parent)
    )
    if command is None:
        _missing("the oxigraph server command (pip install oxigraph)")
        return
    port = _free_port()
    process = subprocess.Popen(
        [command, "serve", "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    # The server says "Listening for requests at ..." once it accepts connections.
    first = process.stdout.readline()
    if "Listening" not in first:
        process.kill()
        pytest.fail(f"the oxigraph server did not start: {first!r}")
    # Keep reading its log so that a full pipe never blocks it.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}/query"
    finally:
        process.kill()
        process.wait()
        process.stdout.close()


@pytest.fixture(scope="session")
def virtuoso_url() -> str:
    """The /sparql URL of the Virtuoso that .ci/run started (skipped, or failed in CI,
    when ESCAPE_KG_TEST_VIRTUOSO is not set)."""
    url = os.environ.get("ESCAPE_KG_TEST_VIRTUOSO", "")
    if not url:
        _missing("a Virtuoso server (ESCAPE_KG_TEST_VIRTUOSO)")
    return url


@pytest.fixture(scope="session")
def virtuoso_credentials() -> tuple[str, str]:
    """The account the Virtuoso tests write with (.ci/run: the fresh database's dba)."""
    return (
        os.environ.get("ESCAPE_KG_TEST_VIRTUOSO_USER", "dba"),
        os.environ.get("ESCAPE_KG_TEST_VIRTUOSO_PASSWORD", "dba"),
    )
