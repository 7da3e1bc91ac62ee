"""Benchmark: redaction time as the number of distinct meeting ids in one text grows.

Each id appears once labelled ("Meeting ID: ...") and once more unlabelled and
spaced, so the second pass (removing ids where they recur) has as many values
to look for as there are ids. Not a test: it prints figures and asserts nothing.

    python bench/redact_speed.py [IDS ...]          (default: 1000 4000 16000)
"""

from __future__ import annotations

import sys
import time

from escape_kg.redact import redact_text


def text_with(count: int) -> str:
    """Minutes-like text naming ``count`` distinct 11-digit meeting ids twice each."""
    ids = [f"{8_100_000_000 + 7919 * n:011d}" for n in range(count)]
    labelled = [f"Meeting ID: {i} (room {n % 40})" for n, i in enumerate(ids)]
    echoed = [f"Dial in and enter {i[:3]} {i[3:7]} {i[7:]} when asked." for i in reversed(ids)]
    return "\n".join(labelled + echoed) + "\n"


def main(counts: list[int]) -> None:
    for count in counts:
        text = text_with(count)
        start = time.perf_counter()
        _, found = redact_text(text)
        elapsed = time.perf_counter() - start
        print(
            f"{count:>7} distinct ids, {len(text) / 1000:7.0f} kB: {elapsed:7.3f} s, "
            f"{found['meeting-id']} meeting ids redacted",
            flush=True,
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 4000, 16000])
