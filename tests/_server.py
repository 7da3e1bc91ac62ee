"""Start `escape-kg serve` as a real process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STARTUP_LIMIT = 60.0  # seconds; the demo imports the example minutes first


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(proc: subprocess.Popen[bytes], url: str) -> None:
    """Return once ``url`` answers 200; fail if the server dies or stays silent too long."""
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
        raise AssertionError(f"escape-kg serve exited with {proc.returncode}")
    raise AssertionError(f"escape-kg serve did not answer within {STARTUP_LIMIT} s")


@contextmanager
def demo_server(data_home: Path) -> Iterator[str]:
    """Run `escape-kg serve` with an empty XDG_DATA_HOME (so it serves the bundled example
    from memory) and yield its root URL, e.g. ``http://127.0.0.1:PORT``; stop it after."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCAPE_KG_")}
    env["XDG_DATA_HOME"] = str(data_home)
    proc = subprocess.Popen(
        [sys.executable, "-m", "escape_kg", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, root + "/sparql")
        yield root
    finally:
        proc.terminate()
        proc.wait(timeout=20)
