"""Reader for plain text (minutes copied from an Indico page): bytes -> SourceDocument."""

from __future__ import annotations

import codecs
import hashlib

from escape_kg.errors import SourceError
from escape_kg.model import SourceDocument, SourceRef

__all__ = ["decode_text", "read_text", "source_ref"]

_RESAVE = 'open it in an editor and save it as UTF-8 ("Unicode (UTF-8)"), then try again'

# Byte-order marks, longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# C0 controls other than tab, line feed, vertical tab, form feed, carriage
# return and escape; text editors never write these, binary formats are full of them.
_CONTROL_BYTES = frozenset(range(0x00, 0x09)) | frozenset(range(0x0E, 0x1B)) | {0x1C, 0x1D}
_CONTROL_BYTES |= {0x1E, 0x1F, 0x7F}
_SNIFF = 64 * 1024
_MAX_CONTROL_SHARE = 0.05


def source_ref(data: bytes, path: str, media_type: str = "text/plain") -> SourceRef:
    """The provenance of ``data``: ``path`` as given, sha256 hex digest and size in bytes."""
    return SourceRef(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        media_type=media_type,
    )


def _looks_binary(data: bytes) -> bool:
    head = data[:_SNIFF]
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte in _CONTROL_BYTES)
    return controls > _MAX_CONTROL_SHARE * len(head)


def _bad_utf8(data: bytes, exc: UnicodeDecodeError, path: str) -> SourceError:
    line = data.count(b"\n", 0, exc.start) + 1
    column_start = data.rfind(b"\n", 0, exc.start) + 1
    bad = data[exc.start : exc.start + 1].hex()
    return SourceError(
        f"the file is not UTF-8 at line {line}, byte offset {exc.start} "
        f"(byte 0x{bad}, column {exc.start - column_start + 1}); it may be Latin-1 or "
        "Windows-1252, which escape-kg does not guess",
        hint=_RESAVE,
        path=path,
        line=line,
    )


def decode_text(data: bytes, path: str) -> str:
    """Decode ``data`` as UTF-8 (BOM allowed) or BOM-marked UTF-16/32, with ``\\n`` line ends.

    Returns the text without BOM, ``\\r\\n`` and lone ``\\r`` turned into ``\\n``;
    every line of the file is kept, so line numbers stay those of the file.
    Raises SourceError for an empty or whitespace-only file, a binary file, or
    bytes that are not valid in the detected encoding (line and byte offset given).
    """
    if not data:
        raise SourceError(
            "the file is empty", hint="copy the minutes into the file and save it", path=path
        )
    text: str | None = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise SourceError(
                    f"the file starts with a {encoding.upper()} byte-order mark but is not valid "
                    f"{encoding.upper()} at byte offset {exc.start}",
                    hint=_RESAVE,
                    path=path,
                ) from exc
            text = text.removeprefix("\ufeff")
            break
    if text is None:
        if _looks_binary(data):
            raise SourceError(
                "the file looks binary (it contains NUL or other control bytes), not text",
                hint="give the minutes as plain text copied from the Indico page (.txt)",
                path=path,
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _bad_utf8(data, exc, path) from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise SourceError(
            "the file holds only white space",
            hint="copy the minutes into the file and save it",
            path=path,
        )
    if "\x00" in text:
        raise SourceError(
            "the decoded text contains NUL characters; the file looks binary",
            hint="give the minutes as plain text copied from the Indico page (.txt)",
            path=path,
        )
    return text


def read_text(data: bytes, path: str) -> SourceDocument:
    """A ``SourceDocument`` of format "text" from the raw bytes of a plain-text file.

    ``path`` is recorded as given. Raises SourceError (see ``decode_text``).
    """
    text = decode_text(data, path)
    return SourceDocument(source=source_ref(data, path), format="text", text=text)
