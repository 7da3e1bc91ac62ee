"""Media types <-> result formats, and picking one from Accept (with q-values) or ``format``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from escape_kg.errors import QueryError

__all__ = [
    "DESCRIPTION_MEDIA",
    "GRAPH_MEDIA",
    "HTML",
    "MEDIA_TYPES",
    "RESULT_MEDIA",
    "MediaRange",
    "choose",
    "format_choice",
    "parse_accept",
]

HTML = "text/html"

# SELECT/ASK results: format name -> media type, the default first.
RESULT_MEDIA: dict[str, str] = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
# CONSTRUCT/DESCRIBE results: format name -> media type, the default first.
GRAPH_MEDIA: dict[str, str] = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
# The service description (rdflib serialises it): format name -> media type.
DESCRIPTION_MEDIA: dict[str, str] = {
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
}
MEDIA_TYPES: dict[str, str] = {**RESULT_MEDIA, **GRAPH_MEDIA}

# Other names clients use for the same formats (SPARQLWrapper sends several of them).
_ALIASES: dict[str, tuple[str, ...]] = {
    "json": ("application/json",),
    "xml": ("application/xml", "text/xml"),
    "turtle": ("application/x-turtle", "application/turtle"),
    "ntriples": ("text/plain",),
    "jsonld": ("application/json", "application/x-json+ld"),
    "rdfxml": ("application/xml", "text/xml"),
}


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header: ``type/subtype`` (either may be ``*``) and its q."""

    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """-1 if this range does not cover ``media_type``; else 0 (*/*), 1 (type/*) or 2."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed entries are skipped.

    An absent or empty header yields ``[*/*]``: the client takes anything.
    """
    ranges: list[MediaRange] = []
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        kind, slash, sub = fields[0].lower().partition("/")
        if not slash or not kind or not sub:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind, sub, q))
    return ranges or [MediaRange("*", "*", 1.0)]


def _quality(ranges: Sequence[MediaRange], media_type: str, *, exact: bool = False) -> float:
    """The q the client gives ``media_type``: that of the most specific range covering it
    (only a range naming it exactly when ``exact``)."""
    best, q = -1, 0.0
    for r in ranges:
        s = r.specificity(media_type)
        if s > best and (s == 2 or not exact):
            best, q = s, r.q
    return q if best >= 0 else 0.0


def choose(accept: str | None, offers: dict[str, str]) -> str | None:
    """The format name from ``offers`` (name -> media type, preferred first) that
    the Accept header rates highest, ties going to the earlier offer.

    Aliases (``application/json`` for JSON results...) count as the format when
    named exactly; wildcards only ever match the canonical media type.
    Returns None when the client accepts none of them.
    """
    ranges = parse_accept(accept)
    best: str | None = None
    best_q = 0.0
    for name, media in offers.items():
        aliases = (_quality(ranges, m, exact=True) for m in _ALIASES.get(name, ()))
        q = max([_quality(ranges, media), *aliases])
        if q > best_q:
            best, best_q = name, q
    return best


def format_choice(value: str) -> str:
    """Normalise a ``format`` parameter: a format name, or a media type (Accept syntax).

    Returns the format name, or the value unchanged when it contains "/" (a media
    type, to be negotiated like Accept). Raises QueryError for an unknown name.
    """
    name = value.strip().lower()
    if "/" in name or name in MEDIA_TYPES or name == "html":
        return name
    raise QueryError(
        f"unknown format {value!r}",
        hint="use one of: " + ", ".join(MEDIA_TYPES) + " (or a media type)",
    )
