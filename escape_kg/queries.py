"""The named query catalogue: reads queries/*.rq headers and binds typed parameters safely."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from escape_kg.errors import QueryError
from escape_kg.paging import RESERVED_PARAMETERS, Page, paged
from escape_kg.rdf.iris import DEFAULT_BASE
from escape_kg.rdf.namespaces import PREFIXES
from escape_kg.resources import data_dir

if TYPE_CHECKING:
    from escape_kg.serving import Serving
    from escape_kg.store import QueryResult

__all__ = [
    "PARAMETER_TYPES",
    "CatalogueQuery",
    "Parameter",
    "bind",
    "find_query",
    "has_header",
    "load_catalogue",
    "parse_catalogue_query",
    "run_catalogue_query",
]

Term = URIRef | Literal

# Each type with an example value, used in error messages and the README.
PARAMETER_TYPES: dict[str, str] = {
    "iri": "wp/WP2 or https://w3id.org/escape-kg/id/wp/WP2",
    "string": "DAC21",
    "date": "2021-09-08",
    "datetime": "2021-09-08T10:00:00",
    "integer": "80",
    "boolean": "true",
}

# A user value longer than this is a mistake or an attack, never a search term.
MAX_VALUE_LENGTH = 1000

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUERY_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_FIELD = re.compile(r"#\s?(?P<key>[a-z]+):\s*(?P<value>.*)")
_CONTINUATION = re.compile(r"#\s{2,}(?P<value>\S.*)")
_PARAM = re.compile(
    r"(?P<name>\S+)\s+(?P<type>\S+)(?:\s*=\s*(?P<default>.*?))?\s+--\s+(?P<description>\S.*)"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?")
_INTEGER = re.compile(r"[+-]?\d{1,18}")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
# Characters that may not appear in an IRI (RFC 3987 and the SPARQL IRIREF rule).
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f-\x9f]')
_URN = re.compile(r"urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Lexing just enough SPARQL to find variables outside strings, IRIs and comments.
_SPARQL_TOKENS = re.compile(
    r'(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')'
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r"|(?P<comment>#[^\n]*)"
)
_VARIABLE = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")
_SELECT = re.compile(r"\bSELECT\b(?P<clause>.*?)(?:\bWHERE\b|\{)", re.IGNORECASE | re.DOTALL)
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Parameter:
    """A typed parameter of a catalogue query; ``default`` None means required."""

    name: str
    type: str
    default: str | None
    description: str

    @property
    def required(self) -> bool:
        """True when the caller must give a value."""
        return self.default is None


@dataclass(frozen=True)
class CatalogueQuery:
    """One ``.rq`` file of the catalogue: its header and its SPARQL text."""

    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    text: str

    def parameter(self, name: str) -> Parameter | None:
        """The parameter called ``name``, or None."""
        return next((p for p in self.parameters if p.name == name), None)


# -- reading the catalogue ------------------------------------------------------


def load_catalogue(directory: Path | None = None) -> dict[str, CatalogueQuery]:
    """Every ``*.rq`` file of ``directory`` (default: the bundled queries/), by name.

    Raises QueryError, naming the file and line, for a header that is
    malformed or incomplete, a parameter of unknown type, a default that does
    not fit its type, or a parameter variable the query does not project or use.
    """
    folder = data_dir("queries") if directory is None else directory
    catalogue: dict[str, CatalogueQuery] = {}
    for path in sorted(folder.glob("*.rq")):
        query = parse_catalogue_query(path.stem, path.read_text(encoding="utf-8"), path=str(path))
        catalogue[query.name] = query
    return catalogue


def has_header(text: str) -> bool:
    """True if ``text`` starts with a catalogue header (a ``# title:`` or ``# param:`` line)."""
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            return False
        match = _FIELD.fullmatch(line)
        if match is not None and match["key"] in ("title", "param"):
            return True
    return False


def parse_catalogue_query(name: str, text: str, *, path: str | None = None) -> CatalogueQuery:
    """The catalogue entry for query ``text`` called ``name`` (see ``load_catalogue``).

    Raises QueryError when the header or the parameter variables are wrong.
    """
    where = path or name
    if not _QUERY_NAME.fullmatch(name):
        raise QueryError(
            f"{name!r} is not a valid query name",
            hint="name catalogue files with lower-case letters, digits and hyphens",
            path=where,
        )
    fields: dict[str, str] = {}
    params: list[tuple[int, str]] = []
    last: tuple[str, int] | None = None  # the field a continuation line extends
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.startswith("#"):
            break
        if line.strip() == "#":
            continue
        more = _CONTINUATION.fullmatch(line)
        if more is not None and last is not None:
            key, index = last
            if key == "param":
                params[index] = (params[index][0], f"{params[index][1]} {more['value']}")
            else:
                fields[key] = f"{fields[key]} {more['value']}"
            continue
        match = _FIELD.fullmatch(line)
        if match is None or match["key"] not in ("title", "description", "param"):
            raise QueryError(
                f"unexpected header line: {line!r}",
                hint="header lines are '# title: ...', '# description: ...', "
                "'# param: name type [= default] -- description', or '#   ' continuations",
                path=where,
                line=number,
            )
        key, value = match["key"], match["value"].strip()
        if key == "param":
            params.append((number, value))
            last = ("param", len(params) - 1)
        else:
            if key in fields:
                raise QueryError(f"the header gives '{key}' twice", path=where, line=number)
            fields[key] = value
            last = (key, 0)
    for key in ("title", "description"):
        if not fields.get(key):
            raise QueryError(
                f"the header has no '{key}'",
                hint=f"start the file with a '# {key}: ...' comment line",
                path=where,
            )
    parameters = tuple(_parameter(spec, where, number) for number, spec in params)
    seen: set[str] = set()
    for p in parameters:
        if p.name in seen:
            raise QueryError(f"the parameter {p.name!r} is declared twice", path=where)
        seen.add(p.name)
    query = CatalogueQuery(name, fields["title"], fields["description"], parameters, text)
    _check_variables(query, where)
    return query


def _parameter(spec: str, where: str, line: int) -> Parameter:
    match = _PARAM.fullmatch(spec)
    if match is None:
        raise QueryError(
            f"malformed parameter declaration: {spec!r}",
            hint="write '# param: name type [= default] -- description', "
            "e.g. '# param: after date = 2021-01-01 -- only events from this day on'",
            path=where,
            line=line,
        )
    name, kind = match["name"], match["type"]
    if name in RESERVED_PARAMETERS:
        raise QueryError(
            f"the parameter name {name!r} is reserved for paging",
            hint="every query takes limit= and offset= already; give the parameter another name",
            path=where,
            line=line,
        )
    if not _NAME.fullmatch(name):
        raise QueryError(
            f"{name!r} is not a usable parameter name",
            hint="use letters, digits and '_', starting with a letter: it is a SPARQL variable",
            path=where,
            line=line,
        )
    if kind not in PARAMETER_TYPES:
        raise QueryError(
            f"the parameter {name!r} has unknown type {kind!r}",
            hint="use one of: " + ", ".join(PARAMETER_TYPES),
            path=where,
            line=line,
        )
    default = match["default"]
    if default is not None and len(default) >= 2 and default[0] == default[-1] == '"':
        default = default[1:-1]  # a quoted default may be empty or have edge spaces
    parameter = Parameter(name, kind, default, match["description"].strip())
    if default is not None:
        try:
            _convert(parameter, default, DEFAULT_BASE)
        except QueryError as exc:
            raise QueryError(
                f"the default of {name!r} does not fit its type: {exc.message}",
                hint=exc.hint,
                path=where,
                line=line,
            ) from exc
    return parameter


def _check_variables(query: CatalogueQuery, where: str) -> None:
    """Substitution (SEP-0007) in Oxigraph only applies to projected variables."""
    if not query.parameters:
        return
    code = _SPARQL_TOKENS.sub(lambda m: " " if m["comment"] else '""', query.text)
    form = _FORM.search(code)
    select = _SELECT.search(code)
    if form is None or form[1].upper() != "SELECT" or select is None:
        raise QueryError(
            "a query with parameters must be a SELECT query",
            hint="parameters are passed as pre-bound SELECT variables",
            path=where,
        )
    clause = select["clause"]
    body = code[select.end() :]
    star = clause.strip() == "*" or clause.strip().upper() in ("DISTINCT *", "REDUCED *")
    projected = set(_VARIABLE.findall(_top_level(clause)))
    used = set(_VARIABLE.findall(body))
    for p in query.parameters:
        if p.name not in used:
            raise QueryError(
                f"the parameter {p.name!r} is declared but ?{p.name} is not used in the query",
                path=where,
            )
        if not star and p.name not in projected:
            raise QueryError(
                f"the parameter ?{p.name} is not in the SELECT projection",
                hint=f"list ?{p.name} after SELECT (and in GROUP BY if the query groups): "
                "parameters are bound by substitution, which needs projected variables",
                path=where,
            )


def _top_level(clause: str) -> str:
    """The parts of a SELECT clause outside parentheses, i.e. its plain variables."""
    depth, kept = 0, []
    for char in clause:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0:
            kept.append(char)
    return "".join(kept)


# -- binding values -----------------------------------------------------------------


def bind(query: CatalogueQuery, values: Mapping[str, str], base: str) -> dict[str, Term]:
    """The RDF term each parameter of ``query`` takes, keyed by variable name.

    ``values`` are strings as a user typed them; parameters left out (or
    given as empty text) take their default. IRIs may be absolute (http,
    https, urn), relative to ``base`` ("wp/WP2") or prefixed ("ekg:Meeting").
    Raises QueryError naming the parameter for an unknown name, a missing
    required value or a value that does not fit the parameter's type.
    """
    unknown = sorted(set(values) - {p.name for p in query.parameters})
    if unknown:
        known = ", ".join(p.name for p in query.parameters) or "none"
        raise QueryError(
            f"the query {query.name!r} has no parameter {', '.join(map(repr, unknown))}",
            hint=f"its parameters are: {known}",
        )
    terms: dict[str, Term] = {}
    for p in query.parameters:
        value = values.get(p.name)
        if value is None or not value.strip():
            if p.default is None:
                raise QueryError(
                    f"the parameter {p.name!r} ({p.type}) of {query.name!r} is required",
                    hint=f"give a value such as {PARAMETER_TYPES[p.type]}: {p.description}",
                )
            value = p.default
        terms[p.name] = _convert(p, value, base)
    return terms


def _convert(p: Parameter, value: str, base: str) -> Term:
    """``value`` as the typed term for ``p``; raises QueryError if it does not fit."""
    if len(value) > MAX_VALUE_LENGTH:
        raise _bad(p, f"a value of {len(value)} characters is too long")
    text = value.strip() if p.type != "string" else value
    if p.type == "string":
        return Literal(text)
    if p.type == "iri":
        return _iri(p, text, base)
    if p.type == "date":
        if _DATE.fullmatch(text):
            try:
                return Literal(dt.date.fromisoformat(text).isoformat(), datatype=XSD.date)
            except ValueError:
                pass
        raise _bad(p, f"{value!r} is not a date")
    if p.type == "datetime":
        if _DATETIME.fullmatch(text):
            try:
                stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                iso = stamp.isoformat().replace("+00:00", "Z")
                return Literal(iso, datatype=XSD.dateTime)
        raise _bad(p, f"{value!r} is not a date and time")
    if p.type == "integer":
        if _INTEGER.fullmatch(text):
            return Literal(str(int(text)), datatype=XSD.integer)
        raise _bad(p, f"{value!r} is not a whole number")
    if p.type == "boolean":
        flag = _BOOLEANS.get(text.lower())
        if flag is not None:
            return Literal("true" if flag else "false", datatype=XSD.boolean)
        raise _bad(p, f"{value!r} is not true or false")
    raise _bad(p, f"unknown type {p.type!r}")  # load_catalogue refuses these earlier


def _iri(p: Parameter, text: str, base: str) -> URIRef:
    if not text or _IRI_FORBIDDEN.search(text):
        raise _bad(p, f"{text!r} is not an IRI (spaces, quotes and <>{{}}|\\^` are not allowed)")
    scheme = _SCHEME.match(text)
    if scheme is None:
        if text.startswith(("/", ".", "#", "?")):
            raise _bad(p, f"{text!r} is not relative to the base {base}")
        return URIRef(base + text)
    prefix = scheme[0][:-1]
    if prefix.lower() in ("http", "https"):
        parts = urlsplit(text)
        if parts.netloc and text[len(scheme[0]) :].startswith("//"):
            return URIRef(text)
        raise _bad(p, f"{text!r} has no host")
    if prefix.lower() == "urn":
        if _URN.fullmatch(text):
            return URIRef(text)
        raise _bad(p, f"{text!r} is not a URN (urn:namespace:name)")
    namespace = PREFIXES.get(prefix)
    if namespace is not None:
        return URIRef(namespace + text[len(scheme[0]) :])
    raise _bad(p, f"{text!r} uses the scheme or prefix {prefix!r}, which is not accepted")


def _bad(p: Parameter, problem: str) -> QueryError:
    return QueryError(
        f"bad value for the parameter {p.name!r} ({p.type}): {problem}",
        hint=f"give a {p.type} such as {PARAMETER_TYPES[p.type]}",
    )


# -- running ----------------------------------------------------------------------


def find_query(catalogue: Mapping[str, CatalogueQuery], name: str) -> CatalogueQuery:
    """The entry ``name`` of ``catalogue``; QueryError listing the known names otherwise."""
    query = catalogue.get(name)
    if query is None:
        raise QueryError(
            f"there is no catalogue query called {name!r}",
            hint="known queries: " + ", ".join(sorted(catalogue)),
        )
    return query


def run_catalogue_query(
    kg: Serving,
    name: str,
    values: Mapping[str, str] | None = None,
    *,
    catalogue: Mapping[str, CatalogueQuery] | None = None,
    page: Page | None = None,
) -> QueryResult:
    """Run the catalogue query ``name`` on ``kg`` with ``values`` for its parameters.

    ``catalogue`` defaults to the bundled one (pass it to avoid re-reading the
    files on every call). Values are bound as RDF terms by substitution, never
    pasted into the query text; ``page`` (default: every row) is applied inside
    the query (see ``paged``). Raises QueryError for an unknown query name
    (listing the known ones), for bad parameter values (see ``bind``) and for a
    page of a query that is not a SELECT.
    """
    query = find_query(load_catalogue() if catalogue is None else catalogue, name)
    terms = bind(query, values or {}, kg.minter.base)
    return kg.query(paged(query.text, page or Page(), name=repr(name)), bindings=terms)
