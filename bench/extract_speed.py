"""Benchmark: milliseconds per meeting spent in ``extract`` on generated minutes.

Generates COUNT meetings with bench/generate_minutes.py (same seed, same text every run),
reads, redacts and parses them once, then times ``extract`` over all of them ROUNDS times
with the reference lexicon. The first call (which builds the per-lexicon tables) is timed
on its own. Not a test: it prints figures and asserts nothing.

    python bench/extract_speed.py [COUNT [ROUNDS]]     (default: 300 3)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_minutes import write

from escape_kg.extract import extract
from escape_kg.model import ParsedMinutes
from escape_kg.parse import parse_minutes
from escape_kg.rdf.reference import load_lexicon
from escape_kg.redact import redact
from escape_kg.sources import read_source


def parsed(folder: Path, count: int) -> list[ParsedMinutes]:
    """``count`` generated meetings, parsed and ready for extraction."""
    paths = write(folder, count)
    return [parse_minutes(redact(read_source(p, max_bytes=10**7))) for p in paths]


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 300
    rounds = int(argv[1]) if len(argv) > 1 else 3
    lexicon = load_lexicon()
    with tempfile.TemporaryDirectory() as tmp:
        meetings = parsed(Path(tmp), count)
    size = statistics.mean(len(m.document.text) for m in meetings)
    t0 = time.perf_counter()
    extract(meetings[0], lexicon)
    first = (time.perf_counter() - t0) * 1000
    per_meeting: list[float] = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for minutes in meetings:
            extract(minutes, lexicon)
        per_meeting.append((time.perf_counter() - t0) * 1000 / len(meetings))
    print(f"meetings: {len(meetings)}  mean text: {size:.0f} chars  rounds: {rounds}")
    print(f"first call (builds lexicon tables): {first:.1f} ms")
    print(
        f"extract: {min(per_meeting):.2f} ms/meeting (best round), "
        f"{statistics.mean(per_meeting):.2f} ms/meeting (mean)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
