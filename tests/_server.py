"""Start `escape-kg serve` as a real process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

STARTUP_LIMIT = 60.0  # seconds; the demo imports the example minutes first
STOP_LIMIT = 20.0  # seconds for a polite stop before the process is killed


@dataclass(frozen=True)
class RunningServer:
    """A live `escape-kg serve`: its root URL (``http://127.0.0.1:PORT``) and process id."""

    root: str
    pid: int

    @property
    def sparql(self) -> str:
        """The SPARQL endpoint's URL."""
        return self.root + "/sparql"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _log_tail(log: Path) -> str:
    try:
        return log.read_text("utf-8", errors="replace")[-2000:]
    except OSError:
        return "(no log)"


def wait_until_up(proc: subprocess.Popen[bytes], url: str, log: Path | None = None) -> None:
    """Return once ``url`` answers 200; fail if the server dies or stays silent too long
    (quoting the end of its ``log`` when there is one)."""
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        try:  # doubles as the pause between polls, and notices a server that died
            proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            continue
        tail = _log_tail(log) if log is not None else ""
        raise AssertionError(f"escape-kg serve exited with {proc.returncode}\n{tail}")
    tail = _log_tail(log) if log is not None else ""
    raise AssertionError(f"escape-kg serve did not answer within {STARTUP_LIMIT} s\n{tail}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn shuts down and stops its query workers), SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_LIMIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_LIMIT)


@contextmanager
def serve_process(
    data_home: Path,
    flags: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Iterator[RunningServer]:
    """Run `escape-kg serve --host 127.0.0.1 --port PORT *flags` with XDG_DATA_HOME set to
    ``data_home`` and the ``ESCAPE_KG_*`` variables of ``env`` only (the caller's own are
    dropped), wait until /sparql answers, and yield the server. The process is always
    stopped on exit, also when it failed to start; its output goes to ``data_home/serve.log``.
    """
    port = free_port()
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("ESCAPE_KG_")}
    child_env["XDG_DATA_HOME"] = str(data_home)
    child_env.update(env or {})
    log = data_home / "serve.log"
    command = [sys.executable, "-m", "escape_kg", "serve", "--host", "127.0.0.1"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "--port", str(port), *flags],
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        root = f"http://127.0.0.1:{port}"
        wait_until_up(proc, root + "/sparql", log)
        yield RunningServer(root, proc.pid)
    finally:
        _stop(proc)


@contextmanager
def demo_server(data_home: Path) -> Iterator[str]:
    """Run `escape-kg serve` with an empty XDG_DATA_HOME (so it serves the bundled example
    from memory) and yield its root URL, e.g. ``http://127.0.0.1:PORT``; stop it after."""
    with serve_process(data_home) as server:
        yield server.root
