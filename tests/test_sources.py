"""Reading minutes files: format detection, decoding, and the errors users see."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from escape_kg.errors import SourceError
from escape_kg.sources import READERS, detect_format, read_bytes, read_source

SEED = Path(__file__).parent.parent / "examples" / "escape-tc-minutes.txt"
LIMIT = 1024 * 1024


def test_seed_is_read_with_provenance_and_every_line() -> None:
    raw = SEED.read_bytes()
    doc = read_source(SEED, max_bytes=LIMIT)
    assert doc.format == "text"
    assert doc.source.path == str(SEED)
    assert doc.source.sha256 == hashlib.sha256(raw).hexdigest()
    assert doc.source.size == len(raw)
    assert doc.redactions is None
    assert doc.text == raw.decode("utf-8")
    assert doc.text.count("\n") == raw.count(b"\n")


def test_line_ends_are_normalised_without_losing_lines() -> None:
    doc = read_bytes(b"a\r\nb\rc\n\r\nd", "m.txt", max_bytes=LIMIT)
    assert doc.text == "a\nb\nc\n\nd"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbfTitle\n", "Title\n"),
        ("Réunion\r\n".encode("utf-16"), "Réunion\n"),
        (b"\xfe\xff" + "Réunion\n".encode("utf-16-be"), "Réunion\n"),
    ],
)
def test_byte_order_marks_are_honoured_and_stripped(data: bytes, expected: str) -> None:
    assert read_bytes(data, "m.txt", max_bytes=LIMIT).text == expected


def test_latin1_is_not_guessed_and_the_place_is_named() -> None:
    data = "Title\nsecond line\nRéunion\n".encode("latin-1")
    with pytest.raises(SourceError) as info:
        read_bytes(data, "m.txt", max_bytes=LIMIT)
    err = info.value
    assert err.line == 3
    assert "not UTF-8 at line 3, byte offset 19" in err.message
    assert err.hint is not None and "UTF-8" in err.hint
    assert err.path == "m.txt"


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n\t\r\n", "\u00a0\n".encode(), b"\xef\xbb\xbf\n"],
    ids=["empty", "whitespace", "nbsp", "bom-only"],
)
def test_empty_or_blank_files_are_refused(data: bytes) -> None:
    with pytest.raises(SourceError, match=r"empty|white space") as info:
        read_bytes(data, "m.txt", max_bytes=LIMIT)
    assert info.value.hint


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", bytes(range(1, 8)) * 40 + b"text"],
    ids=["nul", "controls"],
)
def test_binary_files_are_refused(data: bytes) -> None:
    with pytest.raises(SourceError, match="binary"):
        read_bytes(data, "m.txt", max_bytes=LIMIT)


def test_size_is_checked_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 101)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened although it is too large")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(SourceError, match="101 bytes, more than the limit of 100"):
        read_source(big, max_bytes=100)


def test_in_memory_data_over_the_limit_is_refused() -> None:
    with pytest.raises(SourceError, match="limit"):
        read_bytes(b"x" * 11, "m.txt", max_bytes=10)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file") as info:
        read_source(tmp_path / "nope.txt", max_bytes=LIMIT)
    assert info.value.path == str(tmp_path / "nope.txt")
    with pytest.raises(SourceError, match="directory"):
        read_source(tmp_path, max_bytes=LIMIT)


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulated: the tests may run as root, for whom chmod 000 changes nothing.
    target = tmp_path / "m.txt"
    target.write_text("Title\n")

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(SourceError, match="permission denied") as info:
        read_source(target, max_bytes=LIMIT)
    assert info.value.hint


def test_detect_format() -> None:
    assert detect_format(b"anything", "minutes.txt") == "text"
    assert detect_format(b"Title\n", "minutes") == "text"
    assert detect_format(b"<!DOCTYPE html><html>", "page") == "html"
    assert detect_format(b"BEGIN:VCALENDAR\r\n", "x.dat") == "ics"
    assert detect_format(b"{}", "export.json") == "json"


def test_unknown_format_lists_the_known_ones() -> None:
    with pytest.raises(SourceError) as info:
        read_bytes(b"PK\x03\x04 not really", "notes.docx", max_bytes=LIMIT)
    assert "'docx'" in info.value.message
    assert "known formats: " + ", ".join(sorted(READERS)) in info.value.message
    with pytest.raises(SourceError, match="known formats"):
        read_bytes(b"Title\n", "m.txt", max_bytes=LIMIT, fmt="docx")
