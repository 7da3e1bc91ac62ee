"""Read models for the HTML pages: the landing overview, search, meetings and entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from rdflib import Literal as RdfLiteral
from rdflib import URIRef
from rdflib.term import Node

from escape_kg.describe import Description, Querier, describe
from escape_kg.rdf.iris import Minter
from escape_kg.rdf.namespaces import EKG

__all__ = [
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
    "overview",
    "page",
    "search",
]

# Pages list at most this many mentions / search hits, and say so when there are more.
MENTION_LIMIT = 500
SEARCH_LIMIT = 200


@dataclass(frozen=True)
class Link:
    """A resource and the text to show for it."""

    iri: URIRef
    label: str


@dataclass(frozen=True)
class Overview:
    """Counts for the landing page, and the latest meetings (newest first)."""

    meetings: int
    people: int
    organisations: int
    mentions: int
    recent: tuple[tuple[Link, str], ...]


@dataclass(frozen=True)
class SearchHit:
    """A resource whose name matched, with its types."""

    iri: URIRef
    label: str
    types: tuple[URIRef, ...]


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


def _s(node: Node | None) -> str:
    return "" if node is None else str(node)


def _int(node: Node | None) -> int | None:
    if isinstance(node, RdfLiteral):
        try:
            return int(node)
        except ValueError:
            return None
    return None


def _clock(node: Node | None) -> str | None:
    """ "10:05" from an xsd:dateTime; None for a bare date or nothing."""
    text = _s(node)
    return text[11:16] if len(text) >= 16 and text[10] == "T" else None


def _natural(number: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (1 << 30, p) for p in re.split(r"[.]", number))


def overview(query: Querier) -> Overview:
    """Counts of meetings, people, organisations and mentions, and ten latest meetings."""
    counts: dict[str, int] = {}
    for name, cls in (
        ("meetings", EKG.Meeting),
        ("people", URIRef("http://schema.org/Person")),
        ("organisations", URIRef("http://www.w3.org/ns/org#Organization")),
        ("mentions", EKG.Mention),
    ):
        rows = query(
            "SELECT ?c (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a ?c } GROUP BY ?c",
            bindings={"c": cls},
        ).rows()
        counts[name] = next((_int(n) or 0 for _c, n in rows), 0)
    recent = query(
        "SELECT DISTINCT ?m ?name ?date WHERE { ?m a ekg:Meeting ; schema:name ?name ; "
        "dcterms:date ?date } ORDER BY DESC(?date) ?name LIMIT 10"
    ).rows()
    meetings = tuple(
        (Link(m, _s(name)), _s(date)) for m, name, date in recent if isinstance(m, URIRef)
    )
    return Overview(recent=meetings, **counts)


def search(query: Querier, text: str) -> tuple[list[SearchHit], bool]:
    """Resources whose schema:name or rdfs:label contains ``text`` (any case), with a
    flag set when there were more than ``SEARCH_LIMIT``. ``text`` is bound as a
    literal, never written into the query."""
    rows = query(
        "SELECT ?q ?r (SAMPLE(?l) AS ?label) (GROUP_CONCAT(DISTINCT STR(?t); separator=' ') "
        "AS ?types) WHERE { ?r schema:name|rdfs:label ?l . "
        "FILTER(isIRI(?r) && CONTAINS(LCASE(STR(?l)), LCASE(STR(?q)))) OPTIONAL { ?r a ?t } } "
        f"GROUP BY ?q ?r ORDER BY LCASE(STR(?label)) ?r LIMIT {SEARCH_LIMIT + 1}",
        bindings={"q": RdfLiteral(text)},
    ).rows()
    hits = [
        SearchHit(r, _s(label), tuple(URIRef(t) for t in _s(types).split()))
        for _q, r, label, types in rows
        if isinstance(r, URIRef)
    ]
    return hits[:SEARCH_LIMIT], len(hits) > SEARCH_LIMIT


def _meeting(query: Querier, iri: URIRef, d: Description) -> MeetingView:
    speakers: dict[URIRef, list[Link]] = {}
    about: dict[URIRef, list[Link]] = {}
    for pred, store in (("schema:performer", speakers), ("schema:about", about)):
        rows = query(
            "SELECT ?m ?i ?x ?name WHERE { ?i schema:superEvent+ ?m ; "
            f"{pred} ?x . OPTIONAL {{ ?x schema:name ?name }} }} ORDER BY ?name ?x",
            bindings={"m": iri},
        ).rows()
        for _m, i, x, name in rows:
            if isinstance(i, URIRef) and isinstance(x, URIRef):
                store.setdefault(i, []).append(Link(x, _s(name) or str(x)))
    rows = query(
        "SELECT ?m ?i ?parent ?num ?name ?start ?end ?dur ?line WHERE { "
        "?i a ekg:AgendaItem ; schema:superEvent+ ?m ; schema:superEvent ?parent ; "
        "ekg:itemNumber ?num ; schema:name ?name . "
        "OPTIONAL { ?i schema:startDate ?start } OPTIONAL { ?i schema:endDate ?end } "
        "OPTIONAL { ?i schema:duration ?dur } OPTIONAL { ?i ekg:line ?line } }",
        bindings={"m": iri},
    ).rows()
    flat: dict[URIRef, tuple[URIRef, AgendaNode]] = {}
    for _m, i, parent, num, name, start, end, dur, line in rows:
        if not isinstance(i, URIRef) or not isinstance(parent, URIRef):
            continue
        node = AgendaNode(
            i,
            _s(num),
            _s(name),
            _clock(start),
            _clock(end),
            _s(dur) or None,
            _int(line),
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
            "SELECT ?doc ?text WHERE { ?doc schema:text ?text }", bindings={"doc": minutes}
        )
        text = next((_s(t) for _doc, t in texts.rows()), "")
        marks = query(
            "SELECT DISTINCT ?doc ?men ?start ?end ?body ?name WHERE { "
            "?men oa:hasTarget ?t ; oa:hasBody ?body . ?t oa:hasSource ?doc ; "
            "oa:hasSelector ?sel . ?sel oa:start ?start ; oa:end ?end . "
            "OPTIONAL { ?body schema:name ?name } } ORDER BY ?start ?end",
            bindings={"doc": minutes},
        )
        for _doc, men, start, end, body, name in marks.rows():
            s, e = _int(start), _int(end)
            if isinstance(men, URIRef) and isinstance(body, URIRef) and s is not None and e:
                highlights.append(Highlight(s, e, men, Link(body, _s(name) or str(body))))
    date = next((str(v) for v in d.values(URIRef("http://purl.org/dc/terms/date"))), None)
    return MeetingView(
        d.label(iri) or str(iri),
        date,
        minutes if isinstance(minutes, URIRef) else None,
        text,
        tree(iri),
        tuple(highlights),
    )


def _affiliations(query: Querier, iri: URIRef) -> tuple[Affiliation, ...]:
    rows = query(
        "SELECT DISTINCT ?x ?ms ?p ?pn ?o ?on ?as ?m ?mn ?date ?line WHERE { "
        "?ms a org:Membership ; org:member ?p ; org:organization ?o ; ekg:statedAt ?m . "
        "FILTER(?p = ?x || ?o = ?x) "
        "OPTIONAL { ?ms ekg:statedAs ?as } OPTIONAL { ?ms ekg:line ?line } "
        "OPTIONAL { ?p schema:name ?pn } OPTIONAL { ?o schema:name ?on } "
        "OPTIONAL { ?m schema:name ?mn } OPTIONAL { ?m dcterms:date ?date } } "
        "ORDER BY ?date ?pn ?on",
        bindings={"x": iri},
    ).rows()
    found = []
    for _x, ms, p, pn, o, on, stated, m, mn, date, line in rows:
        if isinstance(ms, URIRef) and isinstance(p, URIRef) and isinstance(o, URIRef):
            assert isinstance(m, URIRef)
            found.append(
                Affiliation(
                    ms,
                    Link(p, _s(pn) or str(p)),
                    Link(o, _s(on) or str(o)),
                    _s(stated),
                    Link(m, _s(mn) or str(m)),
                    _s(date),
                    _int(line),
                )
            )
    return tuple(found)


def _items(query: Querier, iri: URIRef) -> tuple[ItemRef, ...]:
    rows = query(
        "SELECT DISTINCT ?x ?role ?i ?num ?name ?m ?mn ?date ?line WHERE { "
        "{ ?i schema:performer ?x BIND('speaker' AS ?role) } UNION "
        "{ ?i schema:about ?x BIND('topic' AS ?role) } "
        "?i a ekg:AgendaItem ; schema:superEvent+ ?m . ?m a ekg:Meeting . "
        "OPTIONAL { ?i ekg:itemNumber ?num } OPTIONAL { ?i schema:name ?name } "
        "OPTIONAL { ?i ekg:line ?line } OPTIONAL { ?m schema:name ?mn } "
        "OPTIONAL { ?m dcterms:date ?date } } ORDER BY ?date ?line",
        bindings={"x": iri},
    ).rows()
    return tuple(
        ItemRef(i, _s(num), _s(name), _s(role), Link(m, _s(mn) or str(m)), _s(date), _int(line))
        for _x, role, i, num, name, m, mn, date, line in rows
        if isinstance(i, URIRef) and isinstance(m, URIRef)
    )


_MENTIONS = (
    "?men oa:hasBody ?x ; oa:hasTarget ?t . ?t oa:hasSource ?doc . ?doc schema:about ?m . "
    "OPTIONAL { ?m schema:name ?mn } OPTIONAL { ?m dcterms:date ?date } "
)


def _mentions(query: Querier, iri: URIRef) -> tuple[list[MentionRef], list[Bar]]:
    rows = query(
        "SELECT DISTINCT ?x ?men ?m ?mn ?date ?line ?exact ?pre ?suf WHERE { "
        + _MENTIONS
        + "OPTIONAL { ?men ekg:line ?line } OPTIONAL { ?t oa:hasSelector ?q . "
        "?q oa:exact ?exact OPTIONAL { ?q oa:prefix ?pre } OPTIONAL { ?q oa:suffix ?suf } } } "
        f"ORDER BY ?date ?m ?line ?men LIMIT {MENTION_LIMIT + 1}",
        bindings={"x": iri},
    ).rows()
    mentions = [
        MentionRef(
            men,
            Link(m, _s(mn) or str(m)),
            _s(date),
            _int(line),
            _s(exact),
            _s(pre),
            _s(suf),
        )
        for _x, men, m, mn, date, line, exact, pre, suf in rows
        if isinstance(men, URIRef) and isinstance(m, URIRef)
    ]
    counts = query(
        "SELECT ?x ?m (SAMPLE(?mn) AS ?name) (SAMPLE(?date) AS ?d) "
        "(COUNT(DISTINCT ?men) AS ?n) WHERE { " + _MENTIONS + "} GROUP BY ?x ?m ORDER BY ?d ?m",
        bindings={"x": iri},
    ).rows()
    bars = [
        Bar(Link(m, _s(name) or str(m)), _s(d), _int(n) or 0)
        for _x, m, name, d, n in counts
        if isinstance(m, URIRef)
    ]
    return mentions, bars


def page(query: Querier, minter: Minter, iri: str) -> Page | None:
    """The read model of the HTML page of ``iri``, or None if the store does not know it.

    Meetings get their agenda tree and highlighted minutes; the entities the
    minutes name (people, organisations, work packages, events...) their
    affiliations, agenda items, mentions and mentions per meeting; anything else
    just its description.
    """
    d = describe(query, iri)
    if d is None:
        return None
    node = d.iri
    if EKG.Meeting in d.types:
        return Page(d, "meeting", meeting=_meeting(query, node, d))
    ref = minter.ref_of(iri)
    if ref is None:
        return Page(d, "resource")
    mentions, bars = _mentions(query, node)
    return Page(
        d,
        ref.kind.value,
        affiliations=_affiliations(query, node),
        items=_items(query, node),
        mentions=tuple(mentions[:MENTION_LIMIT]),
        mentions_truncated=len(mentions) > MENTION_LIMIT,
        chart=tuple(bars),
    )
