"""Child processes of a test's subprocess: find them through /proc and wait for them to end."""

from __future__ import annotations

import os
import select
import time
from pathlib import Path


def descendants(pid: int) -> set[int]:
    """Process ids whose parent chain leads to ``pid`` (Linux /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def still_running(pids: set[int], limit: float) -> set[int]:
    """Wait (at most ``limit`` seconds in all) for each process to end; returns those
    still running. A pidfd becomes readable when its process ends: no polling loop."""
    deadline = time.monotonic() + limit
    left: set[int] = set()
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue  # already gone
        try:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        finally:
            os.close(fd)
        if not ready:
            left.add(pid)
    return left
