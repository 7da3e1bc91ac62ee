"""Parsers registry: a redacted SourceDocument -> ParsedMinutes, chosen by its format."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from escape_kg.errors import ParseError
from escape_kg.model import ParsedMinutes, SourceDocument
from escape_kg.parse.text import parse_text

__all__ = ["PARSERS", "Parser", "parse_minutes"]

Parser = Callable[..., ParsedMinutes]

PARSERS: dict[str, Parser] = {
    "text": parse_text,
}


def parse_minutes(doc: SourceDocument, *, date: dt.date | None = None) -> ParsedMinutes:
    """The title, date and agenda tree of ``doc``, parsed by the parser for ``doc.format``.

    ``date`` (when given) is the meeting date and wins over any date found.
    Raises ValueError when ``doc`` has not been through ``redact.redact``
    (``doc.redactions is None``): that is a bug in the caller, not bad input,
    since secrets must never reach the parser. Raises ParseError for a format
    with no parser, or text that is not minutes (see ``parse_text``).
    """
    if doc.redactions is None:
        raise ValueError("parse_minutes needs a redacted document: call redact.redact(doc) first")
    parser = PARSERS.get(doc.format)
    if parser is None:
        raise ParseError(
            f"no parser for format {doc.format!r}; known formats: {', '.join(sorted(PARSERS))}",
            hint="give the minutes as plain text copied from the Indico page",
            path=doc.source.path,
        )
    return parser(doc, date=date)
