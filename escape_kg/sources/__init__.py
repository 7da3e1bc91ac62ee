"""Readers registry: pick a format for a file and read it into a SourceDocument."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path, PurePath

from escape_kg.errors import SourceError
from escape_kg.model import SourceDocument
from escape_kg.sources.html import read_html
from escape_kg.sources.ics import read_ics
from escape_kg.sources.indico_json import read_indico_json
from escape_kg.sources.text import read_text

__all__ = ["READERS", "Reader", "detect_format", "read_bytes", "read_source"]

Reader = Callable[[bytes, str], SourceDocument]

READERS: dict[str, Reader] = {
    "text": read_text,
    "html": read_html,
    "indico-json": read_indico_json,
    "ics": read_ics,
}

# File name suffix -> format name. Formats not (yet) in READERS are still named
# here so the user is told "html is not supported" rather than fed a tag soup.
_SUFFIXES: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".ics": "ics",
    ".pdf": "pdf",
    ".doc": "doc",
    ".docx": "docx",
    ".odt": "odt",
}


# Markers of an HTML page or of a saved piece of an Indico page, looked for in the first KB.
_HTML_MARKERS = (
    b"<!doctype html",
    b"<html",
    b'<div class="timetable',
    b'<div class="event-wrapper',
)


# An Indico export API answer: the envelope's "results" list or an event object,
# also when the file is cut off (so its reader can name the broken line).
_INDICO_JSON = re.compile(rb'"(?:results"\s*:\s*\[|_type"\s*:\s*"(?:Conference|HTTPAPIResult)")')


def _sniff(data: bytes) -> str:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") and any(marker in data[:1024].lower() for marker in _HTML_MARKERS):
        return "html"
    if head.startswith(b"begin:vcalendar"):
        return "ics"
    if head.startswith(b"%pdf-"):
        return "pdf"
    if head.startswith((b"{", b"[", b"//")) and _INDICO_JSON.search(data[:4096]):
        return "indico-json"
    if head.startswith(b"{"):
        return "json"
    return "text"


def detect_format(data: bytes, path: str) -> str:
    """The format name of a document: HTML by content, else by file name suffix, else content.

    HTML is recognised from its first KB (a doctype, ``<html>``, or Indico's
    ``event-wrapper``/``timetable`` markup) whatever the file is called; so are
    iCalendar ("BEGIN:VCALENDAR") and Indico export JSON (a "results" list or
    a "Conference" object), while other JSON stays "json" (not supported).

    Returns a name that may not be in ``READERS`` (say "html" before its reader
    exists); ``read_bytes`` reports those. Anything unrecognised is "text", so
    that the text reader can say precisely what is wrong with it.
    """
    sniffed = _sniff(data)
    if sniffed in ("html", "ics", "indico-json"):
        return sniffed  # an Indico page or export saved as .txt or with no suffix is still one
    suffix = PurePath(path).suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    return sniffed


def _unknown_format(fmt: str, path: str) -> SourceError:
    known = ", ".join(sorted(READERS))
    return SourceError(
        f"unsupported format {fmt!r}; known formats: {known}",
        hint="copy the minutes from the Indico page into a .txt file",
        path=path,
    )


def _too_large(size: int, max_bytes: int, path: str) -> SourceError:
    return SourceError(
        f"the file is {size} bytes, more than the limit of {max_bytes} bytes",
        hint="check that this is the minutes file; raise the limit with ESCAPE_KG_MAX_BYTES "
        "if it really is",
        path=path,
    )


def read_bytes(data: bytes, name: str, *, max_bytes: int, fmt: str | None = None) -> SourceDocument:
    """Read in-memory ``data`` named ``name`` (a path or upload name) into a SourceDocument.

    ``fmt`` forces a format; otherwise ``detect_format`` picks it. Raises
    SourceError when the data is larger than ``max_bytes``, the format is not
    one of ``READERS``, or the reader refuses the bytes.
    """
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes, name)
    chosen = fmt if fmt is not None else detect_format(data, name)
    reader = READERS.get(chosen)
    if reader is None:
        raise _unknown_format(chosen, name)
    return reader(data, name)


def read_source(path: Path, *, max_bytes: int, fmt: str | None = None) -> SourceDocument:
    """Read the file at ``path`` into a SourceDocument (``source.path`` is ``str(path)``).

    The size is checked with ``stat`` before anything is read. Raises
    SourceError for a missing file, a directory, a file that cannot be opened
    (permissions), one over ``max_bytes``, or content the reader refuses.
    """
    name = str(path)
    try:
        info = path.stat()
        if path.is_dir():
            raise SourceError(
                "this is a directory, not a file",
                hint="give the path of one minutes file (.txt)",
                path=name,
            )
        if info.st_size > max_bytes:
            raise _too_large(info.st_size, max_bytes, name)
        with path.open("rb") as handle:
            # One byte more than allowed tells us the file grew after stat().
            data = handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise SourceError(
            "no such file", hint="check the path and the current directory", path=name
        ) from exc
    except PermissionError as exc:
        raise SourceError(
            "permission denied: the file cannot be read",
            hint="check the file's permissions (it must be readable by you)",
            path=name,
        ) from exc
    except IsADirectoryError as exc:
        raise SourceError(
            "this is a directory, not a file",
            hint="give the path of one minutes file (.txt)",
            path=name,
        ) from exc
    except OSError as exc:
        raise SourceError(
            f"the file cannot be read: {exc.strerror or exc}",
            hint="check that the path names a readable regular file",
            path=name,
        ) from exc
    return read_bytes(data, name, max_bytes=max_bytes, fmt=fmt)
