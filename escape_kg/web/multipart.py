"""Split a multipart/form-data (or multipart/mixed) request body into its parts' bodies."""

from __future__ import annotations

import re
from email.parser import BytesHeaderParser
from email.policy import HTTP
from itertools import pairwise

from escape_kg.web.errors import WebError

__all__ = ["is_multipart", "media_type", "multipart_parts"]

# form-data may wrap a multipart/mixed part holding several files (RFC 7578 4.3 allows
# it, and the Graph Store suite sends one); deeper nesting is refused.
MAX_DEPTH = 2
_BOUNDARY = re.compile(r"""[;,]\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;,]+))""", re.IGNORECASE)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


def media_type(content_type: str) -> str:
    """The bare media type of a Content-Type value, lower-cased (parameters dropped)."""
    return re.split(r"[;,]", content_type, maxsplit=1)[0].strip().lower()


def is_multipart(content_type: str) -> bool:
    """True for multipart/form-data and multipart/mixed."""
    return media_type(content_type) in {"multipart/form-data", "multipart/mixed"}


def _boundary(content_type: str) -> bytes:
    # Parameters are read after ';' or ',': some clients (and the W3C suite) use a comma.
    found = _BOUNDARY.search(content_type)
    if found is None or not 1 <= len(found.group(1) or found.group(2)) <= 70:
        raise WebError(
            400,
            f"the multipart Content-Type {content_type!r} has no usable boundary",
            hint="send Content-Type: multipart/form-data; boundary=...",
        )
    return (found.group(1) or found.group(2)).encode("latin-1", "replace")


def _split(body: bytes, boundary: bytes) -> list[bytes]:
    """The parts between delimiter lines; the preamble and what follows the last
    delimiter (closing or not) are dropped, as RFC 2046 5.1.1 says of them."""
    # The line break before a delimiter belongs to the delimiter, not to the part.
    delimiter = re.compile(rb"(?:\A|\r?\n)--" + re.escape(boundary) + rb"(--)?[ \t]*(?:\r?\n|\Z)")
    found = list(delimiter.finditer(body))
    parts = [body[a.end() : b.start()] for a, b in pairwise(found)]
    closing = next((i for i, m in enumerate(found) if m.group(1)), None)
    return parts if closing is None else parts[:closing]


def multipart_parts(content_type: str, body: bytes, depth: int = 1) -> list[tuple[str, bytes]]:
    """Each leaf part of a multipart ``body`` as (its Content-Type, its bytes), in order;
    nested multipart parts are opened in turn. A part without a Content-Type is
    text/plain, as for any MIME part.

    Raises WebError 400 for a body without a boundary or parts, or nested too deeply.
    """
    if depth > MAX_DEPTH:
        raise WebError(400, "multipart parts are nested too deeply", hint="nest at most one level")
    leaves: list[tuple[str, bytes]] = []
    for raw in _split(body, _boundary(content_type)):
        if raw.startswith((b"\r\n", b"\n")):  # no headers at all
            head, data = b"", raw[raw.index(b"\n") + 1 :]
        else:
            blank = _BLANK_LINE.search(raw)
            head, data = (raw[: blank.start()], raw[blank.end() :]) if blank else (raw, b"")
        headers = BytesHeaderParser(policy=HTTP).parsebytes(head + b"\r\n\r\n")
        part_type = str(headers.get("content-type") or "text/plain")
        if is_multipart(part_type):
            leaves.extend(multipart_parts(part_type, data, depth + 1))
        else:
            leaves.append((part_type, data))
    if not leaves:
        raise WebError(
            400,
            "the multipart body has no parts",
            hint="put each graph in a part of its own, with its Content-Type",
        )
    return leaves
