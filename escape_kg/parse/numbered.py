"""Agendas numbered instead of timed: "1. Introduction", "2) Round table", "• 1 Title 10m"."""

from __future__ import annotations

import re

from escape_kg.parse.dates import parse_time_line
from escape_kg.parse.lines import Line

__all__ = ["NUMBERED_HEAD", "numbered_head", "numbered_starts", "run_from"]

NUMBERED_HEAD = re.compile(r"^(?:[•·*\-◦▪‣●○]\s+(?P<n1>\d{1,3})[.)]?|(?P<n2>\d{1,3})[.)])\s+(?=\S)")


def numbered_head(line: Line) -> tuple[int, str, int] | None:
    """(number, title text, offset of the title) when ``line`` reads as a numbered item head."""
    match = NUMBERED_HEAD.match(line.text)
    if match is None:
        return None
    rest = line.text[match.end() :].rstrip()
    # A head needs a title in words; "1. 10:00" or "2) 15" are not agenda items.
    if not any(char.isalpha() for char in rest) or parse_time_line(rest) is not None:
        return None
    return int(match["n1"] or match["n2"]), rest, line.start + match.end()


def run_from(lines: list[Line], first: int) -> list[int]:
    """Indexes of the heads numbered 1, 2, 3 ... at the indentation of ``lines[first]``.

    The run stops at the first non-blank line that is neither the next head nor
    indented deeper than the heads (an item's body).
    """
    indent = lines[first].indent
    heads = [first]
    for index in range(first + 1, len(lines)):
        line = lines[index]
        if line.blank or line.indent > indent:
            continue
        head = numbered_head(line)
        if line.indent < indent or head is None or head[0] != len(heads) + 1:
            break
        heads.append(index)
    return heads


def numbered_starts(lines: list[Line]) -> list[int]:
    """The heads of a numbered agenda in a document without times, or [] when there is none.

    A run needs two items at least, so that a lone "1. ..." line is not taken
    for an agenda. A run inside another run's items (numbered notes under
    numbered items) is not the agenda; of the outer runs the longest wins.
    """
    runs = [
        run_from(lines, index)
        for index, line in enumerate(lines)
        if not line.blank and (head := numbered_head(line)) is not None and head[0] == 1
    ]
    runs = [run for run in runs if len(run) >= 2]
    outer = [
        run
        for run in runs
        if not any(
            other[0] < run[0] <= other[-1] and lines[other[0]].indent < lines[run[0]].indent
            for other in runs
        )
    ]
    return max(outer, key=len, default=[])
