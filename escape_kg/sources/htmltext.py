"""HTML fragments (Indico notes, descriptions, whole pages) -> a small tree -> indented text lines.

``parse_html`` builds a forgiving element tree with the stdlib ``html.parser``
(no new dependency); every walk over the tree is iterative, so nesting depth
is bounded only by memory, never by Python's recursion limit.
``element_lines``/``html_fragment_to_lines`` render a subtree in the notes
layout the text parser reads: one line per paragraph, list item, heading or
table row; "• " before items of ``<ul>``, "1. " before items of ``<ol>``, two
spaces of indentation per list level; ``&nbsp;``, U+202F and runs of white
space become one plain space; link text is kept, link targets are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit, urlunsplit

__all__ = [
    "Element",
    "element_lines",
    "element_text",
    "html_fragment_to_lines",
    "parse_html",
]

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
# Opening one of these closes an open <p>, as browsers do.
_CLOSES_P = frozenset(
    {"address", "article", "aside", "blockquote", "div", "dl", "fieldset", "footer", "form"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p"}
    | {"pre", "section", "table", "ul"}
)
_BLOCK = _CLOSES_P | {"br", "dd", "dt", "tr", "tbody", "thead", "tfoot", "caption", "figure"}
_SKIPPED = frozenset({"script", "style", "template", "noscript", "head", "title"})
_SPACE = re.compile(r"\s+")
# Query keys that carry credentials in Indico and conferencing links.
_TOKEN_KEYS = frozenset(
    {
        "ak",
        "apikey",
        "signature",
        "user_token",
        "token",
        "access_token",
        "pwd",
        "passcode",
        "password",
        "tk",
        "key",
        "auth",
    }
)
_MAX_INDENT_LEVELS = 16


@dataclass(eq=False)
class Element:
    """One element: lower-case ``tag``, attributes, and children (elements or text)."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> frozenset[str]:
        """The words of the ``class`` attribute."""
        return frozenset(self.attrs.get("class", "").split())

    def has_class(self, *names: str) -> bool:
        """True when the element carries every class in ``names``."""
        return set(names) <= self.classes

    def iter(self) -> Iterator[Element]:
        """This element and all its descendant elements, in document order."""
        stack: list[Element] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(child for child in reversed(node.children) if isinstance(child, Element))

    def find_all(self, test: Callable[[Element], bool]) -> list[Element]:
        """Descendants (self included) for which ``test`` is true, in document order."""
        return [node for node in self.iter() if test(node)]

    def find(self, test: Callable[[Element], bool]) -> Element | None:
        """The first descendant (self included) for which ``test`` is true, or None."""
        return next((node for node in self.iter() if test(node)), None)

    def element_children(self) -> list[Element]:
        """Direct children that are elements."""
        return [child for child in self.children if isinstance(child, Element)]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root")
        self.stack: list[Element] = [self.root]

    def _close_until(self, tags: frozenset[str], stop: frozenset[str]) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            tag = self.stack[index].tag
            if tag in stop:
                return
            if tag in tags:
                del self.stack[index:]
                return

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CLOSES_P:
            self._close_until(frozenset({"p"}), frozenset({"div", "li", "td", "th", "table"}))
        if tag == "li":
            self._close_until(frozenset({"li"}), frozenset({"ul", "ol"}))
        elif tag in ("td", "th"):
            self._close_until(frozenset({"td", "th"}), frozenset({"tr", "table"}))
        elif tag == "tr":
            self._close_until(frozenset({"tr"}), frozenset({"table"}))
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack[-1].tag == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        # An end tag with no open element of its name is ignored, like a browser does.
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(html: str) -> Element:
    """The element tree of ``html`` under a "#root" element; never raises on bad markup.

    Unclosed elements are closed at the end; a tag cut off at the very end of
    the text (a truncated page) is dropped rather than kept as text.
    """
    last_open = html.rfind("<")
    if last_open > html.rfind(">"):
        html = html[:last_open]
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


Skip = Callable[[Element], bool]


def _never(_: Element) -> bool:
    return False


def _walk(root: Element, skip: Skip) -> Iterator[tuple[str, Element | str]]:
    """("start", el), ("text", s), ("end", el) events in document order, without recursion."""
    stack: list[tuple[bool, Element | str]] = [(False, root)]
    while stack:
        closing, node = stack.pop()
        if isinstance(node, str):
            yield "text", node
        elif closing:
            yield "end", node
        elif node.tag in _SKIPPED or (node is not root and skip(node)):
            continue
        else:
            yield "start", node
            stack.append((True, node))
            stack.extend((False, child) for child in reversed(node.children))


def element_text(root: Element, skip: Skip = _never) -> str:
    """All text under ``root`` on one line, white space collapsed, ``skip``ped subtrees left out."""
    parts = [
        piece for kind, piece in _walk(root, skip) if kind == "text" and isinstance(piece, str)
    ]
    return _SPACE.sub(" ", "".join(parts)).strip()


def _clean_link_text(text: str) -> str:
    """Link text that is itself a URL loses its query when the query carries a token."""
    stripped = text.strip()
    if "://" not in stripped or " " in stripped:
        return text
    try:
        parts = urlsplit(stripped)
        keys = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    except ValueError:
        return text
    if keys & _TOKEN_KEYS:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return text


class _LineWriter:
    """Collects text pieces and turns them into prefixed lines at block boundaries."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.pieces: list[str] = []
        self.lists: list[list[int]] = []  # [is_ordered, counter] per open list
        self.bullet: str | None = None  # the marker waiting for the current item's first line
        self.cells = 0
        self.in_cell = 0

    def indent(self) -> str:
        return "  " * min(max(len(self.lists) - 1, 0), _MAX_INDENT_LEVELS)

    def flush(self) -> None:
        text = _SPACE.sub(" ", "".join(self.pieces)).strip()
        self.pieces = []
        if not text:
            return
        if self.bullet is not None:
            self.lines.append(self.indent() + self.bullet + text)
            self.bullet = None
        elif self.lists:
            # A second paragraph of a list item lines up with the item's text.
            self.lines.append(self.indent() + "  " + text)
        else:
            self.lines.append(text)

    def start(self, element: Element) -> None:
        tag = element.tag
        if tag in ("td", "th"):
            if self.cells:
                self.pieces.append(" | ")
            self.cells += 1
            self.in_cell += 1
            return
        if self.in_cell and tag in _BLOCK and tag not in ("table", "tr"):
            self.pieces.append(" ")  # one table row stays one line
            return
        if tag in _BLOCK:
            self.flush()
        if tag == "tr":
            self.cells = 0
        elif tag in ("ul", "ol"):
            self.bullet = None
            self.lists.append([tag == "ol", 0])
        elif tag == "li":
            if not self.lists:  # a stray <li>: treat it as an item of a bullet list
                self.lists.append([False, 0])
            current = self.lists[-1]
            current[1] += 1
            self.bullet = f"{current[1]}. " if current[0] else "• "
        elif tag == "img" and element.attrs.get("alt"):
            self.pieces.append(f" {element.attrs['alt']} ")

    def end(self, element: Element) -> None:
        tag = element.tag
        if tag in ("td", "th"):
            self.in_cell = max(self.in_cell - 1, 0)
        elif self.in_cell and tag in _BLOCK | {"li"} and tag not in ("table", "tr"):
            self.pieces.append(" ")
        elif tag in ("ul", "ol"):
            self.flush()
            if self.lists:
                self.lists.pop()
        elif tag in _BLOCK or tag == "li":
            self.flush()

    def text(self, data: str, in_pre: bool, in_link: bool) -> None:
        if in_link:
            data = _clean_link_text(data)
        if in_pre and "\n" in data:
            first, *rest = data.split("\n")
            self.pieces.append(first)
            for piece in rest:
                self.flush()
                self.pieces.append(piece)
            return
        self.pieces.append(data)


def element_lines(root: Element, skip: Skip = _never) -> list[str]:
    """The text under ``root`` as lines in the notes layout (see the module docstring).

    Empty lines are left out; no line contains a line break. Subtrees for
    which ``skip`` is true (and script/style) contribute nothing.
    """
    writer = _LineWriter()
    pre = link = 0
    for kind, node in _walk(root, skip):
        if isinstance(node, str):
            writer.text(node, pre > 0, link > 0)
        elif kind == "start":
            pre += node.tag == "pre"
            link += node.tag == "a"
            writer.start(node)
        else:
            pre -= node.tag == "pre"
            link -= node.tag == "a"
            writer.end(node)
    writer.flush()
    return writer.lines


def html_fragment_to_lines(html: str) -> list[str]:
    """The text of an HTML fragment (Indico minutes, a description) as indented lines.

    Returns one string per paragraph, heading, list item or table row (cells
    joined by " | "), with "• " / "1. " markers and two spaces per list level;
    no empty lines. Plain text without tags comes back as its non-empty lines
    with white space collapsed. Raises nothing.
    """
    if "<" not in html:
        html = html.replace("&", "&amp;").replace("\n", "<br>")
    return element_lines(parse_html(html))
