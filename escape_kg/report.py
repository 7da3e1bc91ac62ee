"""Validation reports a minute-taker understands: each result with its source line,
what is wrong and what to do, built from pySHACL's report graph (read with rdflib)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RDFLiteral
from rdflib.namespace import SH
from rdflib.term import Node

from escape_kg.checks import TWINS
from escape_kg.rdf.namespaces import EKG, OA, ORG, PREFIXES, RDF, SCHEMA, XSD

__all__ = ["SHACL_SPEC", "Severity", "ValidationReport", "ValidationResult", "make_report"]

Severity = Literal["Violation", "Warning", "Info"]

SHACL_SPEC = "https://www.w3.org/TR/shacl/"
_SEVERITY: dict[Node, Severity] = {
    SH.Violation: "Violation",
    SH.Warning: "Warning",
    SH.Info: "Info",
}
_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}
# Results of these shapes are about text that may hold a secret: never quote it back.
_SECRET_SHAPE_PREFIX = "https://w3id.org/escape-kg/shapes#NoSecretIn"
_LESS_THAN = (SH.lessThan, SH.lessThanOrEquals)

_KIND_LABEL: dict[Node, str] = {
    EKG.Meeting: "meeting",
    EKG.Minutes: "minutes",
    EKG.AgendaItem: "agenda item",
    EKG.Mention: "mention",
    EKG.WorkPackage: "work package",
    EKG.Deliverable: "deliverable",
    EKG.Service: "service",
    SCHEMA.Person: "person",
    SCHEMA.Event: "event",
    SCHEMA.EventSeries: "event series",
    SCHEMA.ResearchProject: "project",
    ORG.Organization: "organisation",
    ORG.Membership: "stated affiliation",
    OA.SpecificResource: "mention target",
    OA.TextQuoteSelector: "mention quote",
    OA.TextPositionSelector: "mention position",
}


@dataclass(frozen=True)
class ValidationResult:
    """One finding: what (focus node, path, value) broke which constraint, and where."""

    focus_node: str
    path: str | None
    value: str | None
    constraint: str
    shape: str | None
    severity: Severity
    message: str
    line: int | None

    @property
    def spec_url(self) -> str:
        """The SHACL specification section of the constraint component."""
        return SHACL_SPEC + "#" + _local(self.constraint)


@dataclass(frozen=True)
class ValidationReport:
    """All findings for one graph; it conforms when there is no Violation."""

    conforms: bool
    results: tuple[ValidationResult, ...]
    source_path: str | None = None
    _texts: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def violations(self) -> tuple[ValidationResult, ...]:
        return tuple(r for r in self.results if r.severity == "Violation")

    @property
    def warnings(self) -> tuple[ValidationResult, ...]:
        return tuple(r for r in self.results if r.severity == "Warning")

    def format_text(self) -> str:
        """One ``file:line: what is wrong. What to do. (SHACL: link)`` line per finding."""
        where = self.source_path or "<graph>"
        lines = []
        for result, text in zip(self.results, self._texts, strict=True):
            place = f"{where}:{result.line}" if result.line is not None else where
            tag = "" if result.severity == "Violation" else f"{result.severity.lower()}: "
            lines.append(f"{place}: {tag}{text} (SHACL: {result.spec_url})")
        nv, nw = len(self.violations), len(self.warnings)
        verdict = "conforms" if self.conforms else "does not conform"
        lines.append(f"{where}: {verdict}: {nv} violation(s), {nw} warning(s)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: conforms, source_path, counts and the results."""
        return {
            "conforms": self.conforms,
            "source_path": self.source_path,
            "violations": len(self.violations),
            "warnings": len(self.warnings),
            "results": [
                {**asdict(r), "text": t, "spec": r.spec_url}
                for r, t in zip(self.results, self._texts, strict=True)
            ],
        }


def make_report(
    data: Graph,
    shapes: Graph,
    report: Graph,
    *,
    source_path: str | None = None,
    twins: bool = False,
) -> ValidationReport:
    """The ValidationReport of pySHACL's ``report`` graph on ``data`` and ``shapes``;
    with ``twins``, the Python twins of the SHACL-SPARQL constraints run too."""
    reader = _Reader(data, shapes)
    found: list[tuple[ValidationResult, str]] = [
        reader.result(report, node) for node in report.subjects(RDF.type, SH.ValidationResult)
    ]
    if twins:
        found.extend(reader.twin_results())
    pairs = sorted(found, key=_sort_key)
    results = tuple(r for r, _ in pairs)
    return ValidationReport(
        conforms=not any(r.severity == "Violation" for r in results),
        results=results,
        source_path=source_path,
        _texts=tuple(t for _, t in pairs),
    )


def _sort_key(pair: tuple[ValidationResult, str]) -> tuple[Any, ...]:
    r = pair[0]
    return (
        r.line is None,
        r.line or 0,
        _SEVERITY_ORDER[r.severity],
        r.focus_node,
        r.path or "",
        r.constraint,
        r.value or "",
    )


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _qname(iri: Node) -> str:
    text = str(iri)
    for prefix, ns in PREFIXES.items():
        if text.startswith(ns) and len(text) > len(ns):
            return f"{prefix}:{text[len(ns) :]}"
    return f"<{text}>"


def _show(value: Node) -> str:
    """A short human form of a value: 10:00 for a time, 'text' for a string."""
    if isinstance(value, RDFLiteral):
        if value.datatype == XSD.dateTime and hasattr(value.value, "strftime"):
            return str(value.value.strftime("%H:%M"))
        text = str(value)
        if value.datatype in (None, XSD.string):
            text = text if len(text) <= 60 else text[:57] + "..."
            return repr(text)
        return text
    if isinstance(value, URIRef):
        return _qname(value)
    return "a blank node"


def _secret_free_pattern(graph: Graph) -> re.Pattern[str] | None:
    """The pattern every text must match in the secret shapes of ``graph`` (they share one)."""
    for shape in sorted(graph.subjects(SH.path, None), key=str):
        if str(shape).startswith(_SECRET_SHAPE_PREFIX):
            pattern = graph.value(shape, SH.pattern)
            flags = str(graph.value(shape, SH.flags) or "")
            if pattern is not None:
                return re.compile(str(pattern), re.IGNORECASE if "i" in flags else 0)
    return None


class _Reader:
    """Turns report nodes into results, looking up lines and names in the data graph."""

    def __init__(self, data: Graph, shapes: Graph) -> None:
        self.data = data
        self.shapes = shapes
        self.safe = _secret_free_pattern(shapes)

    def show(self, value: Node) -> str:
        """``_show``, except that text which looks like a secret is never repeated."""
        if isinstance(value, RDFLiteral) and self.safe and not self.safe.search(str(value)):
            return "(text withheld: it looks like a secret)"
        return _show(value)

    def result(self, report: Graph, node: Node) -> tuple[ValidationResult, str]:
        """The result and its sentence for one sh:ValidationResult of pySHACL's report."""
        focus = report.value(node, SH.focusNode)
        assert focus is not None  # every SHACL result has a focus node
        return self.build(
            focus,
            report.value(node, SH.resultPath),
            report.value(node, SH.value),
            report.value(node, SH.sourceConstraintComponent),
            report.value(node, SH.sourceShape),
            report.value(node, SH.resultSeverity),
            sorted(str(m) for m in report.objects(node, SH.resultMessage)),
        )

    def twin_results(self) -> Iterator[tuple[ValidationResult, str]]:
        """What the SHACL-SPARQL constraints switched off for speed would have reported."""
        shapes, data = self.shapes, self.data
        for name, twin in sorted(TWINS.items()):
            constraint = URIRef(name)
            message = [str(m) for m in shapes.objects(constraint, SH.message)]
            for shape in sorted(shapes.subjects(SH.sparql, constraint), key=str):
                severity = shapes.value(shape, SH.severity)
                focus_nodes = {
                    f
                    for c in shapes.objects(shape, SH.targetClass)
                    for f in data.subjects(RDF.type, c)
                }
                for focus in sorted(focus_nodes, key=str):
                    for value, path in sorted(set(twin(data, focus)), key=str):
                        yield self.build(
                            focus,
                            path,
                            value,
                            SH.SPARQLConstraintComponent,
                            shape,
                            severity,
                            message,
                        )

    def build(
        self,
        focus: Node,
        path: Node | None,
        value: Node | None,
        component: Node | None,
        shape: Node | None,
        severity_node: Node | None,
        messages: list[str],
    ) -> tuple[ValidationResult, str]:
        """A result from the parts of a SHACL validation result."""
        severity = _SEVERITY.get(severity_node or SH.Violation, "Violation")
        message = messages[0] if messages else "the graph does not match its shape."
        secret = self._is_secret_shape(shape)
        result = ValidationResult(
            focus_node=str(focus),
            path=str(path) if isinstance(path, URIRef) else None,
            value=None
            if value is None or (secret and isinstance(value, RDFLiteral))
            else str(value),
            constraint=str(component),
            shape=self._shape_name(shape),
            severity=severity,
            message=message,
            line=self.line(focus, value, first_value=component == SH.SPARQLConstraintComponent),
        )
        if (
            result.line is None
            and path == SCHEMA.text
            and component == SH.PatternConstraintComponent
        ):
            result = replace(result, line=self.text_line(value, shape))
        return result, self._text(result, focus, path, value, shape, secret)

    # --- lines ----------------------------------------------------------------

    def _own_line(self, node: Node) -> int | None:
        line = self.data.value(node, EKG.line)
        return int(line) if isinstance(line, RDFLiteral) and isinstance(line.value, int) else None

    def _owners(self, node: Node) -> Iterator[list[Node]]:
        """Groups of nodes that ``node`` belongs to, most telling first."""
        data = self.data
        # a selector or target: the mention it belongs to
        yield [
            m for t in data.subjects(OA.hasSelector, node) for m in data.subjects(OA.hasTarget, t)
        ]
        yield list(data.subjects(OA.hasTarget, node))
        # an entity: where it is mentioned
        yield list(data.subjects(OA.hasBody, node))
        # a mention or a speaker: its agenda item
        yield list(data.objects(node, EKG.inItem))
        yield list(data.subjects(SCHEMA.performer, node))

    def line(self, focus: Node, value: Node | None, *, first_value: bool = False) -> int | None:
        """The source line a finding is about: focus, value, then what they belong to.

        ``first_value`` puts the value first: our SPARQL constraints hang off the one
        meeting or minutes node and return the offending node as the value.
        """
        if value is None or isinstance(value, RDFLiteral):
            nodes = [focus]
        else:
            nodes = [value, focus] if first_value else [focus, value]
        for n in nodes:
            line = self._own_line(n)
            if line is not None:
                return line
        for n in nodes:
            for group in self._owners(n):
                lines = [ln for o in group if (ln := self._own_line(o)) is not None]
                if lines:
                    return min(lines)
        return None

    def text_line(self, value: Node | None, shape: Node | None) -> int | None:
        """For a pattern broken by the whole minutes text: the first line that breaks it."""
        if not isinstance(value, RDFLiteral) or shape is None:
            return None
        pattern = self.shapes.value(shape, SH.pattern)
        if pattern is None:
            return None
        flags = str(self.shapes.value(shape, SH.flags) or "")
        regex = re.compile(str(pattern), re.IGNORECASE if "i" in flags else 0)
        for number, text in enumerate(str(value).split("\n"), start=1):
            if not regex.search(text):
                return number
        return None

    # --- words ----------------------------------------------------------------

    def _is_secret_shape(self, shape: Node | None) -> bool:
        return shape is not None and str(shape).startswith(_SECRET_SHAPE_PREFIX)

    def _shape_name(self, shape: Node | None) -> str | None:
        if isinstance(shape, BNode):
            owner = self.shapes.value(None, SH.property, shape)
            return str(owner) if isinstance(owner, URIRef) else None
        return str(shape) if shape is not None else None

    def describe(self, node: Node, *, quote: bool = True) -> str:
        """'agenda item 'Introduction'' style name of a data node."""
        data = self.data
        kind = next(
            (_KIND_LABEL[t] for t in data.objects(node, RDF.type) if t in _KIND_LABEL), None
        )
        if kind is None:
            return self.show(node)
        if not quote:
            return kind
        # the first name in order, so that the same graph always reads the same
        names = sorted(data.objects(node, SCHEMA.name), key=str) or sorted(
            data.objects(node, SCHEMA.identifier), key=str
        )
        name = names[0] if names else None
        if name is None and kind == "mention":
            target = data.value(node, OA.hasTarget)
            for sel in data.objects(target, OA.hasSelector) if target is not None else ():
                name = data.value(sel, OA.exact) or name
        return f"{kind} {self.show(name)}" if name is not None else kind

    def _text(
        self,
        result: ValidationResult,
        focus: Node,
        path: Node | None,
        value: Node | None,
        shape: Node | None,
        secret: bool,
    ) -> str:
        # SPARQL constraints hang off the one meeting/minutes node; the offending node is
        # the value, so that is what the sentence is about.
        about = value if value is not None and not isinstance(value, RDFLiteral) else focus
        subject = self.describe(about, quote=not secret)
        detail = ""
        if not secret and isinstance(path, URIRef):
            detail = self._detail(focus, path, value, shape)
        first, dot, rest = result.message.partition(". ")
        text = f"{subject}: {first}{detail}{dot}{rest}"
        return text if text.endswith(".") else text + "."

    def _detail(self, focus: Node, path: URIRef, value: Node | None, shape: Node | None) -> str:
        parts = []
        if value is not None and isinstance(value, RDFLiteral):
            parts.append(f"{_qname(path)} {self.show(value)}")
        elif value is not None:
            parts.extend(f"{_qname(path)} {self.show(o)}" for o in self.data.objects(value, path))
        if shape is not None:
            for comparison in _LESS_THAN:
                other = self.shapes.value(shape, comparison)
                if isinstance(other, URIRef):
                    for o in self.data.objects(focus, other):
                        parts.append(f"{_qname(other)} {self.show(o)}")
        return f" ({', '.join(parts)})" if parts else ""
