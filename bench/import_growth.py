"""Benchmark: does the cost of importing a meeting stay flat as the store grows?

Generates COUNT meetings (bench/generate_minutes.py, same seed, same text every
run) and imports them into one fresh on-disk store in slices of SLICE, printing
for each slice the rate, the milliseconds per meeting, the store's size and the
importer's resident memory. A flat ms/meeting column means the cost does not
grow with the store. Not a test: it prints figures and asserts nothing.

    python bench/import_growth.py [COUNT] [--slice 1000] [--workers 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_minutes import write

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings


def rss_mib() -> float:
    """The resident memory of this process now, in MiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    """Command line: import COUNT generated meetings slice by slice and print each slice."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=10_000)
    parser.add_argument("--slice", type=int, default=1_000, help="meetings per slice")
    parser.add_argument(
        "--workers", type=int, default=1, help="build processes (1 = serial, 0 = one per core)"
    )
    parser.add_argument("--keep", type=Path, help="store folder to keep (default: temporary)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="escape-kg-growth-") as tmp:
        paths = write(Path(tmp) / "minutes", args.count)
        store = args.keep or Path(tmp) / "store"
        settings = Settings(store=store, import_workers=args.workers)
        print(f"{args.count} meetings in slices of {args.slice}, {args.workers} build worker(s)")
        print(f"{'slice':>13} {'meetings/s':>11} {'ms/meeting':>11} {'quads':>11} {'RSS MiB':>8}")
        total = 0.0
        with KnowledgeGraph.open(settings) as kg:
            for first in range(0, len(paths), args.slice):
                chunk = paths[first : first + args.slice]
                start = time.perf_counter()
                outcomes = kg.ingest_many(chunk)
                spent = time.perf_counter() - start
                total += spent
                failed = sum(o.status not in ("imported", "unchanged") for o in outcomes)
                label = f"{first + 1}-{first + len(chunk)}"
                print(
                    f"{label:>13} {len(chunk) / spent:11.1f} {1000 * spent / len(chunk):11.1f} "
                    f"{kg.store.quad_count():11,d} {rss_mib():8.0f}"
                    + (f"  ({failed} not imported)" if failed else "")
                )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"overall {len(paths) / total:.1f} meetings/s; peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
