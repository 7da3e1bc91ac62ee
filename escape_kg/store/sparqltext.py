"""SPARQL text for remote stores: the query form, pre-bound variables, prefixes, SPARQL 1.1."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Literal

from rdflib import BNode
from rdflib.term import Node

from escape_kg.errors import QueryError

__all__ = [
    "Form",
    "check_iri",
    "prologue",
    "query_form",
    "substitute",
    "with_using",
    "without_lateral",
]

Form = Literal["select", "ask", "construct", "describe"]

_FORMS: dict[str, Form] = {
    "SELECT": "select",
    "ASK": "ask",
    "CONSTRUCT": "construct",
    "DESCRIBE": "describe",
}
_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_STRING = re.compile(r"'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*\"\"\"|"
                     r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"", re.S)  # fmt: skip
# Characters an IRI pasted between < and > may not hold (SPARQL's IRIREF).
_BAD_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')


def check_iri(iri: str) -> str:
    """``iri`` itself, once it is known to be safe between ``<`` and ``>``.

    Raises ValueError for an IRI that could break out of its brackets (as the
    embedded engine refuses to build such a node).
    """
    if not iri or _BAD_IRI.search(iri) or ":" not in iri:
        raise ValueError(f"not a valid absolute IRI: {iri!r}")
    return iri


def _tokens(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, token) for the tokens that matter here: words, variables (with their
    ``?``), braces, parentheses.

    Strings, IRIs and comments are skipped whole so that their braces, keywords
    and question marks do not count.
    """
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif c in "'\"":
            match = _STRING.match(text, i)
            i = match.end() if match else i + 1
        elif c == "<" and (match := _IRIREF.match(text, i)):
            i = match.end()
        elif c in "{}()":
            yield i, i + 1, c
            i += 1
        elif c in "?$":
            match = _WORD.match(text, i + 1)
            if match:
                yield i, match.end(), "?" + match.group()
            i = match.end() if match else i + 1
        elif match := _WORD.match(text, i):
            yield i, match.end(), match.group()
            i = match.end()
        else:
            i += 1


def query_form(sparql: str) -> Form:
    """Which kind of query ``sparql`` is. Raises QueryError when it is none of the four."""
    for _, _, token in _tokens(sparql):
        form = _FORMS.get(token.upper())
        if form is not None:
            return form
        if token in "{}()":  # past the prologue (PREFIX and BASE lines) without a form
            break
    raise QueryError(
        "this is not a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE)",
        hint="see https://www.w3.org/TR/sparql11-query/#grammar",
    )


def substitute(sparql: str, bindings: Mapping[str, Node]) -> str:
    """``sparql`` with each variable of ``bindings`` replaced by its term, everywhere:
    the remote stand-in for the engine's pre-binding (servers have no such option).

    A bound variable still comes out in the answer: in the SELECT list ``?v`` becomes
    ``(term AS ?v)`` (and leaves the lists of sub-SELECTs); in GROUP BY and ORDER BY
    it becomes ``(term)``; after AS it is left alone. Raises QueryError for a blank
    node (a query cannot name one) or a name that is not a variable name.
    """
    if not bindings:
        return sparql
    for name, term in bindings.items():
        if isinstance(term, BNode):
            raise QueryError(f"?{name} cannot be bound to a blank node on a remote store")
        if not _WORD.fullmatch(name):
            raise QueryError(f"not a SPARQL variable name: {name!r}")
    out: list[str] = []
    last = 0
    clause = ""  # "select" (a projection), "group", "order" or "" (anywhere else)
    parens = depth = 0
    previous = ""
    for start, end, token in _tokens(sparql):
        upper = token.upper()
        if token == "(":
            parens += 1
        elif token == ")":
            parens -= 1
        elif token in "{}" or upper in {"WHERE", "FROM", "HAVING", "LIMIT", "OFFSET", "VALUES"}:
            clause = ""
            depth += {"{": 1, "}": -1}.get(token, 0)
        elif upper == "SELECT":
            clause, parens = "select", 0
        elif upper == "BY" and previous.upper() in {"GROUP", "ORDER"}:
            clause, parens = previous.lower(), 0
        elif token.startswith("?") and token[1:] in bindings and previous.upper() != "AS":
            text = bindings[token[1:]].n3()
            if clause == "select" and parens == 0:
                # The outer SELECT gives the value back; a sub-SELECT must not project it
                # too, or the outer one would bind the variable twice.
                text = f"({text} AS {token})" if depth == 0 else ""
            elif clause in {"group", "order"} and parens == 0:
                text = f"({text})"
            out += [sparql[last:start], text]
            last = end
        previous = token
    out.append(sparql[last:])
    return "".join(out)


def prologue(prefixes: Mapping[str, str] | None) -> str:
    """PREFIX lines declaring ``prefixes`` (prefix -> namespace IRI)."""
    return "".join(f"PREFIX {name}: <{check_iri(iri)}>\n" for name, iri in (prefixes or {}).items())


# A comment line by which a query says its LATERAL groups may be read as plain groups.
PORTABLE = re.compile(r"^#\s*sparql11:\s*portable\b", re.M)


def without_lateral(sparql: str) -> str:
    """``sparql`` with each ``LATERAL { … }`` written as the plain group ``{ … }``, for
    servers that only speak SPARQL 1.1, when the query carries the line
    ``# sparql11: portable``; any other query is returned as it is.

    The catalogue uses LATERAL to tell Oxigraph in which order to look things up.
    Once the parameters are written into the text (``substitute``), the plain join
    gives the same answer only when each group's filters use its own variables and
    constants, which is a property of the query, not of the syntax: hence the
    marker, set on the queries shown to agree (tests/test_store_remote_cli.py), so
    that no other query silently answers differently.
    """
    if not PORTABLE.search(sparql):
        return sparql
    tokens = list(_tokens(sparql))
    cuts: list[tuple[int, int]] = []
    for i, (start, end, token) in enumerate(tokens):
        if token.upper() != "LATERAL":
            continue
        closing = _optional_only(tokens, i + 1)
        if closing is None:
            cuts.append((start, end))
        else:
            # LATERAL { OPTIONAL { … } } keeps a row that finds nothing; the plain group
            # { OPTIONAL { … } } would be joined and drop it: write OPTIONAL { … }.
            cuts += [(start, tokens[i + 1][1]), (closing[0], closing[1])]
    out: list[str] = []
    last = 0
    for start, end in sorted(cuts):
        out += [sparql[last:start]]
        last = end
    out.append(sparql[last:])
    return "".join(out)


def _optional_only(tokens: list[tuple[int, int, str]], at: int) -> tuple[int, int] | None:
    """When ``tokens[at:]`` is ``{ OPTIONAL { … } }``, the span of its last ``}``."""
    if at + 2 >= len(tokens) or tokens[at][2] != "{" or tokens[at + 1][2].upper() != "OPTIONAL":
        return None
    if tokens[at + 2][2] != "{":
        return None
    depth = 0
    for j in range(at + 2, len(tokens)):
        token = tokens[j][2]
        depth += token == "{"
        depth -= token == "}"
        if depth == 0:
            following = tokens[j + 1] if j + 1 < len(tokens) else None
            if following is not None and following[2] == "}":
                return following[0], following[1]
            return None
    return None


def with_using(update: str, default: Sequence[str], named: Sequence[str]) -> str:
    """``update`` restricted to the dataset the SPARQL Protocol's ``using-graph-uri``
    (``default``) and ``using-named-graph-uri`` (``named``) give: ``USING <g>`` and
    ``USING NAMED <g>`` clauses go before the ``WHERE`` of every operation that has one.

    Operations without a WHERE (INSERT DATA, CLEAR, DROP…) are left as they are. Raises
    QueryError when an operation names its own dataset (USING or WITH), which the
    protocol answers with 400, or is a ``DELETE WHERE``, whose short form takes no
    USING; ValueError for an IRI that is not one.
    """
    if not default and not named:
        return update
    clauses = "".join(f"USING <{check_iri(iri)}> " for iri in default)
    clauses += "".join(f"USING NAMED <{check_iri(iri)}> " for iri in named)
    out: list[str] = []
    last = depth = 0
    previous = ""
    for start, end, token in _tokens(update):
        if token in "{}":
            depth += 1 if token == "{" else -1
            previous = token
            continue
        # A word glued to a colon is part of a prefixed name (ex:where), not a keyword.
        if depth or update[start - 1 : start] == ":" or update[end : end + 1] == ":":
            continue
        upper = token.upper()
        if upper in {"USING", "WITH"}:
            raise QueryError(
                f"the update names its own dataset ({upper}) and the request gives "
                "using-graph-uri/using-named-graph-uri as well; it was not run",
                hint="name the graphs in one place only",
            )
        if upper == "WHERE":
            if previous.upper() == "DELETE":
                raise QueryError(
                    "DELETE WHERE cannot be restricted by using-graph-uri or "
                    "using-named-graph-uri; it was not run",
                    hint="write it as DELETE { … } WHERE { … }",
                )
            out += [update[last:start], clauses]
            last = start
        previous = token
    out.append(update[last:])
    return "".join(out)
