"""Benchmark: CPU time per meeting of a whole `escape-kg import`, writer and builders apart.

On a shared machine the wall clock of an import says more about the neighbours than
about the importer; the CPU time its processes use does not. This runs the real
`escape-kg import` in a child process and reads, every 0.3 s, the CPU time (user +
system, /proc/PID/stat) of every process under it: the writing process (which holds
the store, and Oxigraph's background threads) and the worker processes that build
documents. A process's last 0.3 s may be missed. Linux only. Not a test: it prints
figures and asserts nothing.

    python bench/import_cpu.py STORE MINUTES_FOLDER [--source-root DIR]

STORE may hold data already (to see the cost as the store grows). --source-root
imports with another checkout of escape_kg (e.g. a `git archive` of an older
commit), so that before and after can run side by side in the same minute.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def own_cpu_of_tree(root: int, seen: dict[int, float]) -> None:
    """Record in ``seen`` the own CPU seconds of every process below ``root``."""
    children: dict[int, list[tuple[int, float]]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICKS
        children.setdefault(int(fields[1]), []).append((int(entry.name), cpu))
    stack = [root]
    while stack:
        for pid, cpu in children.get(stack.pop(), []):
            seen[pid] = max(seen.get(pid, 0.0), cpu)
            stack.append(pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("minutes", type=Path)
    parser.add_argument("--source-root", type=Path)
    args = parser.parse_args()
    count = sum(1 for p in args.minutes.iterdir() if p.is_file())
    env = dict(os.environ)
    cwd = "/"
    if args.source_root is not None:
        # `python -m` puts the working folder first on sys.path, then PYTHONPATH.
        env["PYTHONPATH"] = cwd = str(args.source_root.resolve())
    command = [sys.executable, "-m", "escape_kg", "import", "--store", args.store]
    seen: dict[int, float] = {}
    start = time.perf_counter()
    child = subprocess.Popen(
        [*command, str(args.minutes.resolve())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )

    def poll() -> None:
        while child.poll() is None:
            own_cpu_of_tree(os.getpid(), seen)
            time.sleep(0.3)

    poller = threading.Thread(target=poll)
    poller.start()
    _, err = child.communicate()
    poller.join()
    wall = time.perf_counter() - start
    writer = seen.get(child.pid, 0.0)
    builders = sum(cpu for pid, cpu in seen.items() if pid != child.pid)
    last = err.strip().splitlines()[-1] if err.strip() else ""
    print(
        f"{count} files in {wall:.1f} s = {count / wall:.1f} meetings/s; CPU a meeting: "
        f"writer {1000 * writer / count:.1f} ms + builders {1000 * builders / count:.1f} ms "
        f"= {1000 * (writer + builders) / count:.1f} ms (exit {child.returncode}: {last})"
    )


if __name__ == "__main__":
    main()
