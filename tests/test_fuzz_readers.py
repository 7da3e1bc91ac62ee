"""Bad input, fuzzed: every reader, format detection and the parse step answer any bytes
with a document or a documented InputError, never another exception, and promptly."""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from escape_kg.errors import InputError
from escape_kg.parse import parse_minutes
from escape_kg.redact import redact
from escape_kg.resources import data_dir
from escape_kg.sources import READERS, detect_format, read_bytes

DATA = Path(__file__).resolve().parent / "data"
MAX_BYTES = 10_000_000
# Real documents in every form the readers take, with the format each is read as.
SAMPLES: list[tuple[Path, str]] = [
    (data_dir("examples") / "escape-tc-minutes.txt", "text"),
    (DATA / "reunion-fr-12h.txt", "text"),
    (DATA / "zoom-invite-all-kinds.txt", "text"),
    *((p, "html") for p in sorted((DATA / "indico").glob("*.html"))),
    *((p, "indico-json") for p in sorted((DATA / "indico").glob("*.json"))),
    *((p, "ics") for p in sorted((DATA / "indico").glob("*.ics"))),
]
FORMATS = sorted(READERS)
NAMES = ["minutes.txt", "page.html", "export.json", "event.ics", "noname", "x.pdf", "2021-09-08.md"]
KNOWN = {*READERS, "json", "pdf", "doc", "docx", "odt"}
# Bounded runs: the whole file takes well under 30 s. The deadline is a hang guard
# (catastrophic backtracking, loops), generous for a loaded 2-core CI host.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "120")),  # raise it for a long hunt
    deadline=dt.timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Fragments of real minutes, so that random documents reach deep into the parser.
FRAGMENTS = [
    "Technical Coordination Meeting",
    "Wednesday 8 Sep 2021, 10:00 → 12:00 Europe/Zurich",
    "2021-09-08",
    "10:00 → 10:10",
    "10:00 - 10:25",
    "9:30 AM – 10:15 AM",
    "1h 15m",
    "Speakers: Julie Chaudan (LAPP IN2P3 / CNRS), Ian Bird (CERN)",
    "Orateurs : Jean Dupont (IN2P3)",
    "Présidente : Ana Ruiz",
    "Round table",
    "WP2: DIOS status, Rucio, FTS",
    "D5.3 due 31 Oct",
    "next week",
    "2-4 November",
    "CHEP 2023",
    "1. Intro",
    "2) Reports",
    "a) WP5",
    "   - note line",
    "Meeting ID: 123 4567 8901",
    "Passcode: 424242",
    "https://cern.zoom.us/j/12345678901?pwd=abcdef",
    "+1 202 555 0101",
    "",
    "\t",
    "(((((",
    "\u202f",
    "\ufeff",
]


def pipeline(data: bytes, name: str, fmt: str | None = None) -> None:
    """Read, redact and parse ``data`` as ``escape-kg import`` does; the only errors
    allowed out are InputError (SourceError, ParseError)."""
    try:
        doc = read_bytes(data, name, max_bytes=MAX_BYTES, fmt=fmt)
        parsed = parse_minutes(redact(doc))
    except InputError as error:
        assert str(error)  # a message for the user
        return
    assert parsed.title is not None


def mutate(document: bytes, how: str, rnd: random.Random, noise: str) -> bytes:
    """One kind of damage a real file can suffer."""
    lines = document.split(b"\n")
    at = rnd.randrange(len(lines))
    if how == "truncate":
        return document[: rnd.randrange(len(document) + 1)]
    if how == "shuffle":
        rnd.shuffle(lines)
    elif how == "drop":
        del lines[at : at + rnd.randint(1, 5)]
    elif how == "repeat":
        lines[at:at] = lines[at : at + rnd.randint(1, 5)] * rnd.randint(2, 20)
    elif how == "insert":
        lines.insert(at, noise.encode("utf-8", "surrogatepass"))
    elif how == "splice":
        cut = rnd.randrange(len(document) + 1)
        return document[:cut] + noise.encode("utf-8", "surrogatepass") + document[cut:]
    elif how == "bytes":
        cut = rnd.randrange(len(document) + 1)
        return document[:cut] + bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 40)))
    return b"\n".join(lines)


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from(NAMES))
def test_detect_format_names_a_format_for_any_bytes(data: bytes, name: str) -> None:
    assert detect_format(data, name) in KNOWN


@FUZZ
@given(st.sampled_from(FORMATS), st.binary(max_size=4096))
@example("indico-json", b'{"results": [' + b"[" * 50_000)
@example("html", b"<html>" + b"<div>" * 5_000)
def test_every_reader_takes_random_bytes(fmt: str, data: bytes) -> None:
    pipeline(data, "file", fmt)


@FUZZ
@given(st.sampled_from([None, *FORMATS]), st.text(max_size=3000), st.sampled_from(NAMES))
def test_random_unicode_text(fmt: str | None, text: str, name: str) -> None:
    pipeline(text.encode("utf-8", "surrogatepass"), name, fmt)


@FUZZ
@given(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=60),
    st.sampled_from([None, "text"]),
)
def test_documents_made_of_minutes_fragments(lines: list[str], fmt: str | None) -> None:
    pipeline("\n".join(lines).encode("utf-8", "surrogatepass"), "2021-09-08-minutes.txt", fmt)


@FUZZ
@given(
    st.sampled_from(SAMPLES),
    st.sampled_from(["truncate", "shuffle", "drop", "repeat", "insert", "splice", "bytes"]),
    st.randoms(use_true_random=False),
    st.text(max_size=200),
    st.booleans(),
)
def test_damaged_real_documents(
    sample: tuple[Path, str], how: str, rnd: random.Random, noise: str, forced: bool
) -> None:
    path, fmt = sample
    data = mutate(path.read_bytes(), how, rnd, noise)
    pipeline(data, path.name, fmt if forced else None)


@pytest.mark.parametrize(("path", "fmt"), SAMPLES, ids=[p.name for p, _ in SAMPLES])
def test_the_real_documents_are_read(path: Path, fmt: str) -> None:
    """The samples the fuzzers damage are themselves readable (else the above prove little)."""
    doc = read_bytes(path.read_bytes(), path.name, max_bytes=MAX_BYTES)
    assert detect_format(path.read_bytes(), path.name) == fmt
    assert doc.text.strip()


HANG = 30.0  # seconds
# Hostile shapes, each large enough to expose recursion or quadratic work.
HOSTILE = {
    "nested-div": ("html", b"<!doctype html><html><body>" + b"<div>" * 20_000 + b"x"),
    "nested-list": ("html", b"<!doctype html><html><body>" + b"<ul><li>" * 10_000 + b"x"),
    "unclosed-tags": ("html", b'<div class="event-wrapper">' + b"<b><i><span>" * 10_000),
    "nested-json-arrays": ("indico-json", b'{"results": [' + b"[" * 100_000),
    "nested-json-objects": ("indico-json", b'{"results": [' + b'{"a":' * 50_000),
    "ics-components": ("ics", b"BEGIN:VCALENDAR\n" + b"BEGIN:VEVENT\n" * 20_000),
    "ics-folds": ("ics", b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\n" + b" a\n" * 50_000),
    "text-long-line": ("text", b"Meeting 2021-09-08\n" + b"a" * 1_000_000),
    "text-long-times": ("text", b"Meeting 2021-09-08\n" + b"12:00 - 13:00 " * 50_000),
    "text-long-digits": ("text", b"Meeting 2021-09-08\n" + b"1" * 500_000),
    # Redaction once compared every secret of a line with every other: ~2 min here.
    "text-many-secrets-one-line": (
        "text",
        b"Meeting 2021-09-08\n" + b"Meeting ID: 123 4567 8901 " * 40_000,
    ),
    "text-many-phones-one-line": ("text", b"Meeting 2021-09-08\n" + b"+1 202 555 0101 " * 40_000),
    "text-many-items": (
        "text",
        b"Meeting 2021-09-08\n" + b"10:00 \xe2\x86\x92 10:05 Item\n" * 5_000,
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_shapes_get_an_answer(case: str) -> None:
    fmt, data = HOSTILE[case]
    started = time.monotonic()
    pipeline(data, "hostile", fmt)
    pipeline(data, "hostile", None)
    # A hang guard, not a speed test: linear work takes a few seconds even on a busy host.
    assert time.monotonic() - started < HANG
