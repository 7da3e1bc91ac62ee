"""Benchmark: peak memory of `escape-kg import` as the number of files grows.

Generates minutes, runs the real command (`escape-kg import --store DIR
FOLDER`) in a child process and watches the resident set size of
that process and every process it starts (the forkserver and its building
workers) through /proc. Prints, per run, the import rate, the peak RSS of the
largest single process, the peak of the whole process tree added up, and
the largest RSS the kernel recorded for a finished descendant
(getrusage RUSAGE_CHILDREN). Not a test: it prints figures and asserts nothing.
Linux only (reads /proc).

    python bench/import_memory.py [COUNT ...]          (default: 200 1000 2000)
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_minutes import write

PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process we can see."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields follow the last ')'.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _tree_rss(root: int) -> tuple[int, int]:
    """(largest single process, sum over the tree) resident bytes under ``root``."""
    tree = _children()
    todo, seen = [root], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo.extend(tree.get(pid, []))
    sizes = [_rss(pid) for pid in seen]
    return max(sizes, default=0), sum(sizes)


def run(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "minutes"
        write(folder, count)
        command = [sys.executable, "-c", "from escape_kg.cli import main; main()", "import"]
        command += ["--store"]
        command += [str(Path(tmp) / "store"), str(folder)]
        peak_one = peak_sum = 0
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done = threading.Event()

        def watch() -> None:
            nonlocal peak_one, peak_sum
            while not done.is_set():
                one, total = _tree_rss(child.pid)
                peak_one, peak_sum = max(peak_one, one), max(peak_sum, total)
                done.wait(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        code = child.wait()
        elapsed = time.perf_counter() - start
        done.set()
        watcher.join()
        # ru_maxrss is in KiB on Linux: the largest finished descendant so far.
        kernel = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        print(
            f"{count:>6} meetings: {count / elapsed:6.1f} meetings/s, exit {code}, "
            f"peak RSS largest process {peak_one / MIB:7.0f} MiB, whole tree "
            f"{peak_sum / MIB:7.0f} MiB, kernel max (finished children) {kernel / MIB:7.0f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [200, 1000, 2000]:
        run(n)
