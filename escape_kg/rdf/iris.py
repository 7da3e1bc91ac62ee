"""Every IRI escape-kg mints comes from here, deterministically.

Layout under the base (default ``https://w3id.org/escape-kg/id/``)::

    {kind}/{key}                         an entity (person/ian-bird, org/cern, wp/WP2,
                                         deliverable/D5.3, event/chep-2022, series/chep,
                                         project/escape, service/rucio)
    meeting/{mkey}                       a meeting (mkey = date + title slug)
    meeting/{mkey}/minutes               its minutes document (redacted text)
    meeting/{mkey}/item/{number}         an agenda item ("3.2")
    meeting/{mkey}/mention/{start}-{end} a mention (offsets into the redacted text)
    meeting/{mkey}/membership/{p}/{o}    an affiliation stated at the meeting
    meeting/{mkey}/action/{key}          the status of action/{key} as this meeting states it
    meeting/{mkey}/import                the import activity
    graph/{mkey}                         the named graph of that meeting's document
    graph/reference, graph/ontology      the two shared graphs
    graph/identity                       merges of people recorded by humans
    identity/{kind}/{stamp}              one such decision ("merge", "unmerge")

The reference vocabulary uses the same layout, written as relative IRIs that
are resolved against the configured base when it is loaded.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import quote

from rdflib import URIRef

from escape_kg.model import EntityRef, Kind

__all__ = ["DEFAULT_BASE", "Minter", "meeting_key", "series_key", "slugify"]

DEFAULT_BASE = "https://w3id.org/escape-kg/id/"

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens ("Julie CHAUDAN" -> "julie-chaudan").

    Diacritics are folded ("Fuessling" and "Füßling" stay distinct; "é" -> "e").
    Returns "x" for text with no letters or digits, so an IRI is always minted.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NON_SLUG.sub("-", folded.lower()).strip("-")
    return slug or "x"


def meeting_key(title: str, date: object) -> str:
    """The stable key of a meeting: its ISO date and a slug of its title."""
    return f"{date}-{slugify(title)}"


# Words that vary between the titles of meetings of one series without naming another series:
# the project's name, "meeting"/"call" and the abbreviations before a number ("No. 12").
_SERIES_NOISE = frozenset(
    {"escape", "meeting", "meetings", "call", "calls", "telecon", "videoconference", "no", "nr"}
)
_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june"
    "|july|august|september|october|november|december"
)
# Dates first (so their digits go together), then any remaining number ("#12", "12th").
_SERIES_DATE = re.compile(
    rf"\b\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}\b|\b\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\b\.?(?:\s+\d{{4}})?"
    rf"|\b(?:{_MONTHS})\b\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?,?(?:\s+\d{{4}})?",
    re.IGNORECASE,
)
_SERIES_NUMBER = re.compile(r"#?\b\d+(?:st|nd|rd|th)?\b|#", re.IGNORECASE)


def series_key(title: str) -> str:
    """The key of the series a meeting titled ``title`` belongs to.

    Series come from meeting titles alone: the slug of the title once the project name
    ("ESCAPE"), the words "meeting"/"call", dates, numbers and "#" are dropped, so
    "ESCAPE Technical Coordination meeting #12" and "Technical Coordination Meeting" share
    ``technical-coordination``. Acronyms are not expanded ("TC meeting" stays ``tc``). A
    title made only of such words keeps its plain slug.
    """
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    text = _SERIES_NUMBER.sub(" ", _SERIES_DATE.sub(" ", folded))
    words = [w for w in _NON_SLUG.split(text.lower()) if w and w not in _SERIES_NOISE]
    return "-".join(words) or slugify(title)


def _segment(key: str) -> str:
    # Keys are slugs or identifiers such as "D5.3"; quote anything else.
    return quote(key, safe="-._~")


class Minter:
    """Mints IRIs under one base; the same input always gives the same IRI."""

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        if not base.endswith(("/", "#")):
            base += "/"
        self.base = base

    def entity(self, ref: EntityRef) -> URIRef:
        """The IRI of an entity (``{base}{kind}/{key}``)."""
        return URIRef(f"{self.base}{ref.kind.value}/{_segment(ref.key)}")

    def ref_of(self, iri: str) -> EntityRef | None:
        """The inverse of ``entity``: the ref of an entity IRI, or None if it is not one."""
        if not iri.startswith(self.base):
            return None
        kind, _, key = iri[len(self.base) :].partition("/")
        try:
            k = Kind(kind)
        except ValueError:
            return None
        if not key or "/" in key:
            return None
        return EntityRef(k, key)

    def meeting(self, mkey: str) -> URIRef:
        return URIRef(f"{self.base}meeting/{_segment(mkey)}")

    def minutes(self, mkey: str) -> URIRef:
        return URIRef(f"{self.meeting(mkey)}/minutes")

    def item(self, mkey: str, number: str) -> URIRef:
        return URIRef(f"{self.meeting(mkey)}/item/{_segment(number)}")

    def mention(self, mkey: str, start: int, end: int) -> URIRef:
        return URIRef(f"{self.meeting(mkey)}/mention/{start}-{end}")

    def membership(self, mkey: str, person: EntityRef, organisation: EntityRef) -> URIRef:
        return URIRef(
            f"{self.meeting(mkey)}/membership/{_segment(person.key)}/{_segment(organisation.key)}"
        )

    def action_status(self, mkey: str, key: str) -> URIRef:
        """The record of what meeting ``mkey`` says about the status of action ``key``."""
        return URIRef(f"{self.meeting(mkey)}/action/{_segment(key)}")

    def import_activity(self, mkey: str) -> URIRef:
        return URIRef(f"{self.meeting(mkey)}/import")

    def graph(self, mkey: str) -> URIRef:
        """The named graph holding one meeting's document."""
        return URIRef(f"{self.base}graph/{_segment(mkey)}")

    @property
    def reference_graph(self) -> URIRef:
        return URIRef(f"{self.base}graph/reference")

    @property
    def ontology_graph(self) -> URIRef:
        return URIRef(f"{self.base}graph/ontology")

    @property
    def identity_graph(self) -> URIRef:
        """The named graph of identity decisions (merges of people)."""
        return URIRef(f"{self.base}graph/identity")

    def identity_decision(self, kind: str, at: str, *about: str) -> URIRef:
        """The IRI of one identity decision of ``kind`` made at time ``at`` about ``about``."""
        digest = hashlib.sha256("\n".join([kind, at, *about]).encode()).hexdigest()[:12]
        stamp = re.sub(r"[^0-9T]", "", re.sub(r"(?:Z|[+-]\d\d:\d\d)$", "", at))
        return URIRef(f"{self.base}identity/{_segment(kind)}/{stamp}-{digest}")
