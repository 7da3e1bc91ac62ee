"""People across meetings: doubtful name pairs for a human, and the merges they decide."""

from __future__ import annotations

import datetime as dt
import getpass
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Protocol

from rdflib import Literal, URIRef
from rdflib.term import Node

from escape_kg.errors import EscapeKGError
from escape_kg.model import EntityRef, Kind
from escape_kg.rdf.iris import Minter, slugify
from escape_kg.rdf.namespaces import EKG, OWL, PROV, RDF, RDFS, XSD
from escape_kg.store import QueryResult

__all__ = [
    "Candidate",
    "Merge",
    "candidates",
    "current_user",
    "list_merges",
    "merge_people",
    "person_candidates",
    "resolve_person",
    "unmerge_people",
]

# Words that belong to the surname that follows them ("van der Berg", "Al Turany").
_PARTICLES = frozenset(
    {"van", "de", "der", "den", "von", "da", "di", "del", "della", "du", "la", "le", "dos"}
    | {"das", "do", "al", "el", "ben", "bin", "ibn", "abu"}
)
# Shorter names differ by one letter too often between different people ("Li"/"Lu").
_MIN_SPELLING_LENGTH = 4


@dataclass(frozen=True, slots=True)
class Candidate:
    """Two person IRIs that may be one person; ``score`` in (0, 1], higher = likelier."""

    a: str
    b: str
    reason: str
    score: float
    a_name: str = ""
    b_name: str = ""


@dataclass(frozen=True, slots=True)
class Merge:
    """A merge a human recorded: ``a owl:sameAs b``, by ``who`` at ``at``."""

    activity: str
    a: str
    b: str
    who: str
    at: str
    note: str


@dataclass(frozen=True, slots=True)
class _Name:
    iri: str
    name: str
    given: tuple[str, ...]  # folded, lower-case, dots dropped ("k", "kay")
    family: str  # folded, lower-case, particles kept, hyphens and spaces removed


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def _parse(iri: str, name: str) -> _Name | None:
    words = [w.strip(".") for w in re.split(r"[\s.]+", _fold(name)) if w.strip(".")]
    if len(words) < 2:
        return None  # a first name alone says too little to compare
    cut = len(words) - 1
    while cut > 1 and words[cut - 1] in _PARTICLES:
        cut -= 1
    family = re.sub(r"[^a-z0-9]", "", "".join(words[cut:]))
    return _Name(iri, name, tuple(words[:cut]), family)


def _one_edit(x: str, y: str) -> bool:
    """True if ``x`` and ``y`` differ by exactly one substitution, insertion, deletion or
    transposition of neighbouring letters."""
    if x == y or abs(len(x) - len(y)) > 1:
        return False
    if len(x) == len(y):
        diff = [i for i in range(len(x)) if x[i] != y[i]]
        if len(diff) == 1:
            return True
        i, j = diff[0], diff[-1]
        return len(diff) == 2 and j == i + 1 and x[i] == y[j] and x[j] == y[i]
    short, long = (x, y) if len(x) < len(y) else (y, x)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


def _given_match(x: tuple[str, ...], y: tuple[str, ...]) -> str | None:
    """Why two lists of given names may name one person, or None."""
    if x == y:
        return None
    first_x, first_y = x[0], y[0]
    if len(first_x) == 1 or len(first_y) == 1:
        if first_x[0] == first_y[0]:
            return "initials match the first name"
        return None
    if first_x != first_y:
        return None
    # Same first name; one has a middle name or initial the other leaves out.
    return "middle name differs"


def _pair(x: _Name, y: _Name) -> tuple[str, float] | None:
    """The reason and score of a doubtful pair, or None when nothing links them."""
    if x.family == y.family and x.family:
        why = _given_match(x.given, y.given)
        if why is not None:
            return why, 0.8 if why.startswith("initials") else 0.6
        if (
            min(len(x.given[0]), len(y.given[0])) >= _MIN_SPELLING_LENGTH
            and x.given[1:] == y.given[1:]
            and _one_edit(x.given[0], y.given[0])
        ):
            return "first names differ by one letter", 0.7
        return None
    long_enough = min(len(x.family), len(y.family)) >= _MIN_SPELLING_LENGTH
    if x.given == y.given and long_enough and _one_edit(x.family, y.family):
        return "surnames differ by one letter", 0.7
    return None


def candidates(people: Iterable[tuple[str, str]]) -> list[Candidate]:
    """Pairs of people (``(iri, name)``) whose names suggest they may be one person.

    Exact matches across case, honorifics, diacritics and hyphens already share one IRI
    (see ``extract.people.person_ref``), so only doubtful pairs come back: initials for a
    first name with the same surname ("K. Graf"/"Kay Graf"), a middle name one side leaves
    out, first names or surnames one letter or one swap apart with the other part equal
    ("Mohammed"/"Mohammad", "Vuillame"/"Vuillaume"), and first and last names swapped.
    Sorted by score, best first, then by IRI. Never raises.
    """
    names = [n for iri, name in dict(people).items() if (n := _parse(iri, name)) is not None]
    by_family: dict[str, list[_Name]] = defaultdict(list)
    by_given: dict[tuple[str, ...], list[_Name]] = defaultdict(list)
    for n in names:
        by_family[n.family].append(n)
        by_given[n.given].append(n)
    found: dict[tuple[str, str], Candidate] = {}

    def note(x: _Name, y: _Name, reason: str, score: float) -> None:
        if x.iri == y.iri:
            return
        first, second = sorted((x, y), key=lambda n: n.iri)
        key = (first.iri, second.iri)
        if key not in found or found[key].score < score:
            found[key] = Candidate(first.iri, second.iri, reason, score, first.name, second.name)

    for group in [*by_family.values(), *by_given.values()]:
        for x, y in combinations(group, 2):
            hit = _pair(x, y)
            if hit is not None:
                note(x, y, *hit)
    # Surnames one letter apart with the same given names share no bucket key with each
    # other's surname, so compare within the given-name buckets above; swaps need a lookup.
    by_words = {(n.given, n.family): n for n in names if len(n.given) == 1}
    for n in names:
        if len(n.given) == 1:
            swapped = by_words.get(((n.family,), n.given[0]))
            if swapped is not None:
                note(n, swapped, "first and last names swapped", 0.9)
    return sorted(found.values(), key=lambda c: (-c.score, c.a, c.b))


# -- the store-facing part -------------------------------------------------------------


class _Graph(Protocol):
    """What these functions need of a KnowledgeGraph (its query and update methods)."""

    minter: Minter

    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Node] | None = ...,
        default_graphs: list[str] | None = ...,
        named_graphs: list[str] | None = ...,
    ) -> QueryResult: ...

    def update(self, sparql: str) -> None: ...


def current_user() -> str:
    """The name of the OS user, or "unknown" when the system cannot say."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return "unknown"


def resolve_person(kg: _Graph, text: str) -> str:
    """The IRI of the person ``text`` names: a full IRI, ``person/kay-graf`` or ``kay-graf``.

    Raises EscapeKGError when the store holds no schema:Person with that IRI.
    """
    text = text.strip()
    if "://" in text:
        iri = text
    else:
        key = text.removeprefix("person/")
        iri = str(kg.minter.entity(EntityRef(Kind.PERSON, key)))
    known = False
    try:
        known = kg.query("ASK { ?p a schema:Person }", bindings={"p": URIRef(iri)}).boolean
    except ValueError:  # a malformed IRI is not a person either
        known = False
    if not known:
        raise EscapeKGError(
            f"no person {text!r} in the store ({iri})",
            hint="list people with `escape-kg people --candidates`, or query "
            "`SELECT ?p ?n { ?p a schema:Person ; schema:name ?n }`; "
            f"a person key is the slug of the name, e.g. person/{slugify('Kay Graf')}",
        )
    return iri


def _pair_key(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def _decided_pairs(kg: _Graph) -> tuple[list[set[str]], set[frozenset[str]]]:
    """Groups of people merged (transitively) and pairs a human unmerged."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for m in list_merges(kg):
        parent[find(m.a)] = find(m.b)
    groups: dict[str, set[str]] = defaultdict(set)
    for x in list(parent):
        groups[find(x)].add(x)
    undone = kg.query(
        f"""SELECT ?a ?b WHERE {{ GRAPH {kg.minter.identity_graph.n3()} {{
             ?m a ekg:Merge ; ekg:undoneBy ?u ;
                prov:generated [ rdf:subject ?a ; rdf:object ?b ] }} }}"""
    )
    rejected = {_pair_key(str(a), str(b)) for a, b in undone.rows()}
    return list(groups.values()), rejected


def person_candidates(kg: _Graph) -> list[Candidate]:
    """``candidates`` over every schema:Person with a name in the store, without pairs a
    human already merged (directly or through others) or unmerged."""
    rows = kg.query("SELECT ?p ?n WHERE { ?p a schema:Person ; schema:name ?n } ORDER BY ?p ?n")
    people: dict[str, str] = {}
    for p, n in rows.rows():
        people.setdefault(str(p), str(n))
    groups, rejected = _decided_pairs(kg)
    group_of = {iri: i for i, group in enumerate(groups) for iri in group}
    out = []
    for c in candidates(people.items()):
        if _pair_key(c.a, c.b) in rejected:
            continue
        if c.a in group_of and group_of.get(c.a) == group_of.get(c.b):
            continue
        out.append(c)
    return out


def _now() -> str:
    """The current UTC time in the xsd:dateTime form the store gives back ("...+00:00")."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _n3(triples: Iterable[tuple[Node, Node, Node]]) -> str:
    return "\n".join(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in triples)


def merge_people(kg: _Graph, a: str, b: str, *, who: str | None = None, note: str = "") -> Merge:
    """Record that people ``a`` and ``b`` (IRIs or keys) are one: ``a owl:sameAs b`` in the
    identity graph, made by a prov:Activity (ekg:Merge) with time, ``who`` (default: the OS
    user) and ``note``, which links the statement through its reification.

    Returns the merge. Raises EscapeKGError for an unknown person, the same person twice,
    or a pair already merged.
    """
    a, b = sorted((resolve_person(kg, a), resolve_person(kg, b)))
    if a == b:
        raise EscapeKGError(
            f"{a} and {b} are one IRI already", hint="give two different people to merge"
        )
    if any(_pair_key(m.a, m.b) == _pair_key(a, b) for m in list_merges(kg)):
        raise EscapeKGError(
            f"{a} and {b} are merged already", hint="see `escape-kg people --list-merges`"
        )
    at = _now()
    activity = kg.minter.identity_decision("merge", at, a, b)
    statement = URIRef(f"{activity}#sameAs")
    who = who or current_user()
    sa, sb = URIRef(a), URIRef(b)
    triples: list[tuple[Node, Node, Node]] = [
        (sa, OWL.sameAs, sb),
        (activity, RDF.type, EKG.Merge),
        (activity, RDF.type, PROV.Activity),
        (activity, PROV.startedAtTime, Literal(at, datatype=XSD.dateTime)),
        (activity, PROV.wasAssociatedWith, Literal(who)),
        (activity, PROV.generated, statement),
        (statement, RDF.type, RDF.Statement),
        (statement, RDF.subject, sa),
        (statement, RDF.predicate, OWL.sameAs),
        (statement, RDF.object, sb),
    ]
    if note:
        triples.append((activity, RDFS.comment, Literal(note)))
    graph = kg.minter.identity_graph
    kg.update(f"INSERT DATA {{ GRAPH {graph.n3()} {{\n{_n3(triples)}\n}} }}")
    return Merge(str(activity), a, b, who, at, note)


def unmerge_people(kg: _Graph, a: str, b: str, *, who: str | None = None, note: str = "") -> Merge:
    """Undo the merge of ``a`` and ``b``: remove ``a owl:sameAs b`` and record an ekg:Unmerge
    activity that the merge points to (ekg:undoneBy), so the history stays and the pair is
    no longer proposed as a candidate. Merging again later undoes the unmerge.

    Returns the merge undone. Raises EscapeKGError for an unknown person or a pair that is
    not merged.
    """
    a, b = sorted((resolve_person(kg, a), resolve_person(kg, b)))
    merge = next((m for m in list_merges(kg) if _pair_key(m.a, m.b) == _pair_key(a, b)), None)
    if merge is None:
        raise EscapeKGError(
            f"{a} and {b} are not merged", hint="see `escape-kg people --list-merges`"
        )
    at = _now()
    activity = kg.minter.identity_decision("unmerge", at, a, b)
    triples: list[tuple[Node, Node, Node]] = [
        (activity, RDF.type, EKG.Unmerge),
        (activity, RDF.type, PROV.Activity),
        (activity, PROV.startedAtTime, Literal(at, datatype=XSD.dateTime)),
        (activity, PROV.wasAssociatedWith, Literal(who or current_user())),
        (URIRef(merge.activity), EKG.undoneBy, activity),
    ]
    if note:
        triples.append((activity, RDFS.comment, Literal(note)))
    sa, sb = URIRef(merge.a), URIRef(merge.b)
    graph = kg.minter.identity_graph.n3()
    kg.update(
        f"DELETE DATA {{ GRAPH {graph} {{ {sa.n3()} {OWL.sameAs.n3()} {sb.n3()} . }} }} ;\n"
        f"INSERT DATA {{ GRAPH {graph} {{\n{_n3(triples)}\n}} }}"
    )
    return merge


def list_merges(kg: _Graph) -> list[Merge]:
    """The merges in force (not undone), oldest first."""
    # The graph IRI comes from the Minter, so writing it into the query is safe.
    rows = kg.query(
        f"""SELECT ?m ?a ?b ?who ?at ?note WHERE {{ GRAPH {kg.minter.identity_graph.n3()} {{
             ?m a ekg:Merge ; prov:startedAtTime ?at ; prov:wasAssociatedWith ?who ;
                prov:generated [ rdf:subject ?a ; rdf:object ?b ] .
             ?a owl:sameAs ?b .
             OPTIONAL {{ ?m rdfs:comment ?note }}
             FILTER NOT EXISTS {{ ?m ekg:undoneBy ?u }} }} }} ORDER BY ?at ?m"""
    )
    return [
        Merge(str(m), str(a), str(b), str(who), str(at), "" if note is None else str(note))
        for m, a, b, who, at, note in rows.rows()
    ]
