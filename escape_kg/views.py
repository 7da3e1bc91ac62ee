"""Read models for the HTML pages: the landing overview, search, meetings and entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from rdflib import URIRef
from rdflib.term import Node

from escape_kg import listings
from escape_kg.describe import Description, Querier, describe
from escape_kg.finding import SEARCH_LIMIT, Link, Overview, SearchHit, overview, search
from escape_kg.listings import (
    AFFILIATIONS,
    CHART_LIMIT,
    ITEMS,
    LIST_LIMIT,
    MENTIONS,
    Row,
    chart_rows,
    int_of,
    read_list,
    text_of,
)
from escape_kg.rdf.iris import Minter
from escape_kg.rdf.namespaces import EKG

__all__ = [
    "CHART_LIMIT",
    "LIST_LIMIT",
    "MENTION_LIMIT",
    "SEARCH_LIMIT",
    "Affiliation",
    "AgendaNode",
    "Bar",
    "Highlight",
    "ItemRef",
    "Link",
    "MeetingView",
    "MentionRef",
    "Overview",
    "Page",
    "SearchHit",
    "Totals",
    "overview",
    "page",
    "search",
]

# Pages list at most this many mentions (affiliations, items) per page.
MENTION_LIMIT = LIST_LIMIT


@dataclass(frozen=True)
class AgendaNode:
    """One agenda item with its speakers, topics and nested items."""

    iri: URIRef
    number: str
    name: str
    start: str | None
    end: str | None
    duration: str | None
    line: int | None
    speakers: tuple[Link, ...]
    about: tuple[Link, ...]
    children: tuple[AgendaNode, ...] = ()


@dataclass(frozen=True)
class Highlight:
    """A mention: offsets into the minutes text, and the entity it names."""

    start: int
    end: int
    mention: URIRef
    body: Link


@dataclass(frozen=True)
class MeetingView:
    """What a meeting page shows besides the properties table."""

    name: str
    date: str | None
    minutes: URIRef | None
    text: str
    agenda: tuple[AgendaNode, ...]
    highlights: tuple[Highlight, ...]


@dataclass(frozen=True)
class Affiliation:
    """An affiliation as stated at a meeting (an org:Membership)."""

    membership: URIRef
    person: Link
    organisation: Link
    stated_as: str
    meeting: Link
    date: str
    line: int | None


@dataclass(frozen=True)
class ItemRef:
    """An agenda item the entity spoke at ("speaker") or was the topic of ("topic")."""

    item: URIRef
    number: str
    name: str
    role: str
    meeting: Link
    date: str
    line: int | None


@dataclass(frozen=True)
class MentionRef:
    """One mention of the entity with its quote and surroundings."""

    mention: URIRef
    meeting: Link
    date: str
    line: int | None
    exact: str
    prefix: str
    suffix: str


@dataclass(frozen=True)
class Bar:
    """Mentions of an entity in one meeting (a bar of the chart)."""

    meeting: Link
    date: str
    count: int


@dataclass(frozen=True)
class Totals:
    """How many affiliations, agenda items and mentions an entity has in all, and how
    many meetings mention it (a page shows LIST_LIMIT of each list)."""

    affiliations: int
    items: int
    mentions: int
    meetings: int


@dataclass(frozen=True)
class Page:
    """Everything a resource's HTML page needs: its description, and the extra
    read model of its kind (``meeting`` for meetings; affiliations, items,
    mentions and chart bars for the entities the minutes name)."""

    description: Description
    kind: str
    meeting: MeetingView | None = None
    affiliations: tuple[Affiliation, ...] = ()
    items: tuple[ItemRef, ...] = ()
    mentions: tuple[MentionRef, ...] = ()
    mentions_truncated: bool = False
    chart: tuple[Bar, ...] = field(default_factory=tuple)
    number: int = 1
    limit: int = LIST_LIMIT
    totals: Totals = field(default_factory=lambda: Totals(0, 0, 0, 0))

    @property
    def pages(self) -> int:
        """How many pages the longest list fills (at least 1)."""
        t = self.totals
        longest = max(t.affiliations, t.items, t.mentions)
        return max(1, -(-longest // self.limit))


def _clock(node: Node | None) -> str | None:
    """ "10:05" from an xsd:dateTime; None for a bare date or nothing."""
    text = text_of(node)
    return text[11:16] if len(text) >= 16 and text[10] == "T" else None


def _natural(number: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (1 << 30, p) for p in re.split(r"[.]", number))


_GRAPH_OF = "SELECT ?m ?g WHERE { GRAPH ?g { ?m a ekg:Meeting } } LIMIT 1"


# One name of each speaker or topic of an item, from any graph (a work package is
# named in the reference graph only): a LIMIT 1 look-up per row where LATERAL is
# understood, else every name, of which the first in order is kept.
_NAME_LATERAL = "LATERAL { OPTIONAL { SELECT ?x ?name WHERE { ?x schema:name ?name } LIMIT 1 } }"
_NAME_PLAIN = "OPTIONAL { ?x schema:name ?name }"


def _meeting(query: Querier, iri: URIRef, d: Description, lateral: bool) -> MeetingView:
    # Everything a meeting page shows is in the meeting's own graph: with ?g bound
    # every pattern below is an index read of that one graph, never of the store.
    g = next((g for _m, g in query(_GRAPH_OF, bindings={"m": iri}).rows()), None)
    at: dict[str, Node] = {"m": iri, "g": g if isinstance(g, URIRef) else iri}
    speakers: dict[URIRef, list[Link]] = {}
    about: dict[URIRef, list[Link]] = {}
    for pred, store in (("schema:performer", speakers), ("schema:about", about)):
        rows = query(
            f"SELECT DISTINCT ?m ?g ?i ?x ?name WHERE {{ "
            f"GRAPH ?g {{ ?i {pred} ?x . ?i a ekg:AgendaItem }} "
            f"{_NAME_LATERAL if lateral else _NAME_PLAIN} }}",
            bindings=at,
        ).rows()
        seen: set[tuple[URIRef, URIRef]] = set()
        for _m, _g, i, x, name in sorted(rows, key=lambda r: (text_of(r[4]), text_of(r[3]))):
            if isinstance(i, URIRef) and isinstance(x, URIRef) and (i, x) not in seen:
                seen.add((i, x))
                store.setdefault(i, []).append(Link(x, text_of(name) or str(x)))
    rows = query(
        "SELECT ?m ?g ?i ?parent ?num ?name ?start ?end ?dur ?line WHERE { GRAPH ?g { "
        "?i a ekg:AgendaItem ; schema:superEvent ?parent ; "
        "ekg:itemNumber ?num ; schema:name ?name . "
        "OPTIONAL { ?i schema:startDate ?start } OPTIONAL { ?i schema:endDate ?end } "
        "OPTIONAL { ?i schema:duration ?dur } OPTIONAL { ?i ekg:line ?line } } }",
        bindings=at,
    ).rows()
    flat: dict[URIRef, tuple[URIRef, AgendaNode]] = {}
    for _m, _g, i, parent, num, name, start, end, dur, line in rows:
        if not isinstance(i, URIRef) or not isinstance(parent, URIRef):
            continue
        node = AgendaNode(
            i,
            text_of(num),
            text_of(name),
            _clock(start),
            _clock(end),
            text_of(dur) or None,
            int_of(line),
            tuple(speakers.get(i, ())),
            tuple(about.get(i, ())),
        )
        flat[i] = (parent, node)

    def tree(parent: URIRef) -> tuple[AgendaNode, ...]:
        kids = sorted(
            (n for p, n in flat.values() if p == parent), key=lambda n: _natural(n.number)
        )
        return tuple(replace(n, children=tree(n.iri)) for n in kids)

    minutes = next((m for m in d.values(URIRef("http://schema.org/recordedIn"))), None)
    text = ""
    highlights: list[Highlight] = []
    if isinstance(minutes, URIRef):
        texts = query(
            "SELECT ?doc ?g ?text WHERE { GRAPH ?g { ?doc schema:text ?text } }",
            bindings={"doc": minutes, "g": at["g"]},
        )
        text = next((text_of(t) for _doc, _g, t in texts.rows()), "")
        marks = query(
            "SELECT DISTINCT ?doc ?g ?men ?start ?end ?body ?name WHERE { GRAPH ?g { "
            "?t oa:hasSource ?doc . ?men oa:hasTarget ?t ; oa:hasBody ?body . "
            "?t oa:hasSelector ?sel . ?sel oa:start ?start ; oa:end ?end . "
            "OPTIONAL { ?body schema:name ?name } } } ORDER BY ?start ?end",
            bindings={"doc": minutes, "g": at["g"]},
        )
        for _doc, _g, men, start, end, body, name in marks.rows():
            s, e = int_of(start), int_of(end)
            if isinstance(men, URIRef) and isinstance(body, URIRef) and s is not None and e:
                highlights.append(Highlight(s, e, men, Link(body, text_of(name) or str(body))))
    date = next((str(v) for v in d.values(URIRef("http://purl.org/dc/terms/date"))), None)
    return MeetingView(
        d.label(iri) or str(iri),
        date,
        minutes if isinstance(minutes, URIRef) else None,
        text,
        tree(iri),
        tuple(highlights),
    )


def _affiliations(rows: list[Row]) -> tuple[Affiliation, ...]:
    found = []
    for ms, p, pn, o, on, stated, m, mn, date, line in rows:
        if (
            isinstance(ms, URIRef)
            and isinstance(p, URIRef)
            and isinstance(o, URIRef)
            and isinstance(m, URIRef)
        ):
            person, org, meeting = (
                Link(p, text_of(pn) or str(p)),
                Link(o, text_of(on) or str(o)),
                Link(m, text_of(mn) or str(m)),
            )
            found.append(
                Affiliation(ms, person, org, text_of(stated), meeting, text_of(date), int_of(line))
            )
    return tuple(found)


def _items(rows: list[Row]) -> tuple[ItemRef, ...]:
    return tuple(
        ItemRef(
            i,
            text_of(num),
            text_of(name),
            text_of(role),
            Link(m, text_of(mn) or str(m)),
            text_of(date),
            int_of(line),
        )
        for role, i, num, name, m, mn, date, line in rows
        if isinstance(i, URIRef) and isinstance(m, URIRef)
    )


def _mentions(rows: list[Row]) -> tuple[MentionRef, ...]:
    return tuple(
        MentionRef(
            men,
            Link(m, text_of(mn) or str(m)),
            text_of(date),
            int_of(line),
            text_of(exact),
            text_of(pre),
            text_of(suf),
        )
        for men, m, mn, date, line, exact, pre, suf in rows
        if isinstance(men, URIRef) and isinstance(m, URIRef)
    )


def _bars(rows: list[Row]) -> tuple[Bar, ...]:
    return tuple(
        Bar(Link(m, text_of(name) or str(m)), text_of(d), int_of(n) or 0)
        for m, name, d, n in rows
        if isinstance(m, URIRef)
    )


def page(
    query: Querier, minter: Minter, iri: str, number: int = 1, *, lateral: bool = True
) -> Page | None:
    """The read model of the HTML page of ``iri``, or None if the store does not know it.

    Meetings get their agenda tree and highlighted minutes; the entities the
    minutes name (people, organisations, work packages, events...) their
    affiliations, agenda items and mentions, LIST_LIMIT of each on page ``number``
    (1 = the newest), with their totals, and mentions per meeting for the
    CHART_LIMIT latest meetings; anything else just its description. ``lateral``
    False writes the queries in SPARQL 1.1, for servers without LATERAL.
    """
    d = describe(query, iri, lateral=lateral)
    if d is None:
        return None
    node = d.iri
    if EKG.Meeting in d.types:
        return Page(d, "meeting", meeting=_meeting(query, node, d, lateral))
    ref = minter.ref_of(iri)
    if ref is None:
        return Page(d, "resource")
    limit = listings.LIST_LIMIT  # read here, so that tests can page through a few
    offset = (max(1, number) - 1) * limit
    mentions, mention_total, meetings = read_list(
        query, MENTIONS, node, offset, limit, lateral=lateral
    )
    items, item_total, _ = read_list(query, ITEMS, node, offset, limit, lateral=lateral)
    affiliations, affiliation_total, _ = read_list(
        query, AFFILIATIONS, node, offset, limit, lateral=lateral
    )
    return Page(
        d,
        ref.kind.value,
        affiliations=_affiliations(affiliations),
        items=_items(items),
        mentions=_mentions(mentions),
        mentions_truncated=mention_total > limit,
        chart=_bars(chart_rows(query, node, lateral=lateral)) if meetings else (),
        number=max(1, number),
        limit=limit,
        totals=Totals(affiliation_total, item_total, mention_total, meetings),
    )
