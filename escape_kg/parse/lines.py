"""Lines of a minutes text with their numbers and offsets, for the parser."""

from __future__ import annotations

from dataclasses import dataclass

from escape_kg.model import Span

__all__ = ["Line", "line_span", "split_lines"]


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the text: its 1-based number, its offset and its raw content."""

    number: int
    offset: int
    raw: str

    @property
    def text(self) -> str:
        return self.raw.strip()

    @property
    def indent(self) -> int:
        return len(self.raw) - len(self.raw.lstrip())

    @property
    def start(self) -> int:
        return self.offset + self.indent

    @property
    def end(self) -> int:
        return self.offset + len(self.raw.rstrip())

    @property
    def blank(self) -> bool:
        return not self.text


def split_lines(text: str) -> list[Line]:
    """Every line of ``text`` (split on "\\n" only), numbered from 1."""
    out: list[Line] = []
    offset = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        out.append(Line(number, offset, raw))
        offset += len(raw) + 1
    return out


def line_span(line: Line, start: int, end: int) -> Span:
    """The span ``start``-``end`` on ``line``."""
    return Span(start, end, line.number)
