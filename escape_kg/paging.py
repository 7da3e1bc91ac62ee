"""Pages of SELECT answers: reading limit/offset values and applying them inside the query."""

from __future__ import annotations

import re
from dataclasses import dataclass

from escape_kg.errors import QueryError

__all__ = ["MAX_DIGITS", "RESERVED_PARAMETERS", "Page", "is_select", "paged", "read_page"]

# Paging parameters every catalogue query takes; no catalogue query may declare them.
RESERVED_PARAMETERS = ("limit", "offset")
# Longer numbers are mistakes, and sums of two of them still fit a 64-bit integer.
MAX_DIGITS = 15

_DIGITS = re.compile(r"\d+")
# What may hide keywords and braces: strings, IRIs and comments (blanked out before scanning).
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n]*"
)
# Braces, parentheses, variables, prefixed names (so that ex:limit is no keyword), words, numbers.
_TOKEN = re.compile(r"[{}()]|[?$]\w+|[A-Za-z_][\w-]*:[\w.-]*|:[\w.-]*|[A-Za-z_][\w-]*|\d+")
_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


@dataclass(frozen=True)
class Page:
    """A window of a SELECT answer: at most ``limit`` rows (None: no bound) from row
    ``offset`` (0: the first)."""

    limit: int | None = None
    offset: int = 0

    @property
    def whole(self) -> bool:
        """True when the page is the whole answer (no limit, no offset)."""
        return self.limit is None and self.offset == 0


def read_page(limit: str | None, offset: str | None) -> Page:
    """The page that ``limit`` and ``offset``, as a user typed them, ask for.

    None or blank text means not given (no limit; offset 0). Raises QueryError
    naming the parameter for a value that is not a whole number of 0 or more.
    """
    return Page(_count("limit", limit), _count("offset", offset) or 0)


def _count(name: str, value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not _DIGITS.fullmatch(text):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise QueryError(
            f"bad value for the paging parameter {name!r}: {shown!r} is not a whole number "
            "of 0 or more",
            hint="give limit= (rows per page) and offset= (rows to skip) as whole numbers, "
            "e.g. limit=100&offset=200",
        )
    if len(text.lstrip("0")) > MAX_DIGITS:
        raise QueryError(
            f"bad value for the paging parameter {name!r}: {text} is too large",
            hint=f"give {name}= as a whole number of at most {MAX_DIGITS} digits",
        )
    return int(text)


def _blank(match: re.Match[str]) -> str:
    # Same length, so offsets in the blanked text are offsets in the query; a string
    # or IRI stays a word-like token so that it still separates what is around it.
    text = match[0]
    return " " * len(text) if text.startswith("#") else "x" + " " * (len(text) - 1)


def _tokens(sparql: str) -> list[tuple[int, int, str]]:
    code = _OPAQUE.sub(_blank, sparql)
    return [(m.start(), m.end(), m[0]) for m in _TOKEN.finditer(code)]


def _form(tokens: list[tuple[int, int, str]]) -> str | None:
    for _, _, token in tokens:
        if token.upper() in _FORMS:
            return token.upper()
        if token in "{}()":
            return None
    return None


def is_select(sparql: str) -> bool:
    """True if ``sparql`` is a SELECT query (the only form that can be paged)."""
    return _form(_tokens(sparql)) == "SELECT"


def paged(sparql: str, page: Page, *, name: str = "the query") -> str:
    """``sparql`` answering only ``page`` of its rows: a top-level LIMIT and OFFSET,
    written from the two integers (never from user text), so the store returns
    only the page.

    A query that already has a top-level LIMIT or OFFSET keeps its own window: the
    page is taken within it. The clauses go before a trailing VALUES block, on
    lines of their own (the query may end in a comment). The whole page returns
    ``sparql`` unchanged. Raises QueryError when a page other than the whole is
    asked of a query that is not a SELECT (``name`` names it in the message).
    """
    if page.whole:
        return sparql
    tokens = _tokens(sparql)
    form = _form(tokens)
    if form != "SELECT":
        raise QueryError(
            f"{name} is not a SELECT query, and only the rows of a SELECT can be paged",
            hint="leave out limit and offset for this query",
        )
    limit, offset, cuts, values_at = _modifiers(tokens)
    start = offset + page.offset
    if page.limit is None:
        count = None if limit is None else max(limit - page.offset, 0)
    else:
        count = page.limit if limit is None else min(page.limit, max(limit - page.offset, 0))
    clause = " ".join(
        ([] if count is None else [f"LIMIT {count}"]) + ([f"OFFSET {start}"] if start else [])
    )
    at = len(sparql) if values_at is None else values_at
    out: list[str] = []
    last = 0
    for begin, end in cuts:
        out += [sparql[last:begin]]
        last = end
    out += [sparql[last:at], f"\n{clause}\n", sparql[at:]]
    return "".join(out)


def _modifiers(
    tokens: list[tuple[int, int, str]],
) -> tuple[int | None, int, list[tuple[int, int]], int | None]:
    """The query's own top-level LIMIT (None) and OFFSET (0), the spans of those
    clauses, and where a trailing VALUES block starts (None: there is none)."""
    depth = parens = 0
    after_where = False
    limit: int | None = None
    offset = 0
    cuts: list[tuple[int, int]] = []
    values_at: int | None = None
    for i, (start, _, token) in enumerate(tokens):
        if token == "(":
            parens += 1
        elif token == ")":
            parens -= 1
        elif token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            # The group that closes at the top, outside parentheses, is the WHERE clause.
            after_where = after_where or (depth == 0 and parens == 0)
        elif after_where and depth == 0:
            keyword = token.upper()
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            if keyword == "VALUES" and values_at is None:
                values_at = start
            elif keyword in ("LIMIT", "OFFSET") and following and _DIGITS.fullmatch(following[2]):
                number = int(following[2])
                if keyword == "LIMIT":
                    limit = number
                else:
                    offset = number
                cuts.append((start, following[1]))
    return limit, offset, cuts, values_at
