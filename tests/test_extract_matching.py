"""The fast matching paths give exactly what a plain scan per pattern gives."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from _extract_fixtures import small_lexicon

from escape_kg.extract import dates
from escape_kg.extract.cache import per_lexicon
from escape_kg.extract.matching import _ASCII_TWINS, AliasTable, Hit
from escape_kg.extract.things import build_table
from escape_kg.model import EntityRef, Kind, Lexicon

REF = dt.date(2021, 9, 8)
ALIASES = [
    "EOSC",
    "EOSC Future",
    "A A",
    "Rucio",
    "ESCAPE IAM",
    "C++ tools",
    "EGO/Virgo",
    "(WP) group",
    "Université Paris",
    "ska",
    "kit",
    "sis",
]
TEXTS = [
    "EOSC-Future, EOSC future, EOSCx and EOSC.",
    "A A A A A",
    "rucio RUCIO Rucio-based xRucio Rucio_x",
    "C++ tools, EGO/Virgo and EGO / Virgo; (WP) group",
    "Université Paris and UNIVERSITÉ PARIS",
    "\u212aIT and \u017fi\u017f and \u0130IT and KIT, \u212a\u0131t",
    "ESCAPE  IAM\nESCAPE-IAM ESCAPE–IAM",
    "",
]


def _plain(table: AliasTable, text: str, start: int, end: int) -> list[Hit]:
    # What the table did before it had an index: one scan per alias, alias by alias.
    out = []
    for alias, ref, pattern in table._pairs:
        out += [Hit(m.start(), m.end(), ref, alias) for m in pattern.finditer(text, start, end)]
    return out


@pytest.mark.parametrize("any_case", [False, True])
@pytest.mark.parametrize("text", TEXTS)
def test_all_hits_equal_one_scan_per_alias(text: str, any_case: bool) -> None:
    refs = [EntityRef(Kind.PROJECT, f"p{i}") for i in range(len(ALIASES))]
    table = AliasTable(zip(ALIASES, refs, strict=True), any_case=any_case)
    for start in range(len(text) + 1):
        for end in range(start, len(text) + 1):
            assert table.all_hits(text, start, end) == _plain(table, text, start, end)


def test_all_hits_keep_one_scans_non_overlapping_repeats() -> None:
    table = AliasTable([("A A", EntityRef(Kind.PROJECT, "a"))])
    assert [(h.start, h.end) for h in table.all_hits("A A A A A")] == [(0, 3), (4, 7)]


def test_ascii_twins_are_all_letters_case_insensitive_re_takes_for_ascii() -> None:
    everything = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000)
    twins = {m.group() for m in re.finditer(r"(?i)[a-z0-9]", everything)}
    assert twins == {chr(c) for c in _ASCII_TWINS}


def test_every_character_folds_to_one() -> None:
    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert len(everything.translate(_ASCII_TWINS).lower()) == len(everything)


def _plain_dates(text: str, start: int, end: int) -> list[dates.DateHit]:
    found = []
    for pattern in dates._PATTERNS:
        for m in pattern.finditer(text, start, end):
            try:
                days = dates._from_match(m, REF)
            except ValueError:
                continue
            if days is not None:
                found.append(dates.DateHit(m.start(), m.end(), *days))
    for m in dates._RELATIVE.finditer(text, start, end):
        found.append(dates.DateHit(m.start(), m.end(), *dates._relative(m.group(0), REF), True))
    kept: list[dates.DateHit] = []
    for hit in sorted(found, key=lambda h: (h.start - h.end, h.start)):
        if all(hit.end <= k.start or hit.start >= k.end for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


@pytest.mark.parametrize(
    "text",
    [
        "IVOA meeting 2-4 November, then 27 September - 01 October 2022 and 31 Feb",
        "May 16, 2022 to May 20, 2022; 28 Sep; August 5th; week of the 21 February 2022",
        "SEPT. 3 and \u017fep 4 or 3 \u017fept, next wee\u212a, tomorrow, TODAY",
        "12 may be late; May 12; x12 May; 1.12 May; Sep12; 3-Nov; 3 to5 Nov",
        "no dates here at all, 42",
    ],
)
def test_find_dates_equals_one_scan_per_form(text: str) -> None:
    for start in range(0, len(text) + 1, 3):
        for end in range(start, len(text) + 1, 2):
            assert dates.find_dates(text, start, end, REF) == _plain_dates(text, start, end)


def test_lexicon_tables_are_built_once_per_lexicon() -> None:
    calls: list[Lexicon] = []

    @per_lexicon
    def count(lexicon: Lexicon) -> int:
        calls.append(lexicon)
        return len(lexicon.entries)

    first, second = small_lexicon(), small_lexicon()
    assert count(first) == count(first) == count(second) == len(first.entries)
    assert len(calls) == 2
    assert build_table(first) is build_table(first)
    assert build_table(first) is not build_table(second)
    assert first == second  # the memo is not part of the lexicon's value


@pytest.mark.parametrize(
    ("text", "first"),
    [("3 \u017fept", dt.date(2021, 9, 3)), ("apr\u0131l 3", dt.date(2021, 4, 3))],
)
def test_months_spelled_with_case_twins_resolve_instead_of_crashing(
    text: str, first: dt.date
) -> None:
    assert [h.first for h in dates.find_dates(text, 0, len(text), REF)] == [first]


def test_relative_word_spelled_with_long_s_resolves() -> None:
    text = "ye\u017fterday"
    assert [h.first for h in dates.find_dates(text, 0, len(text), REF)] == [dt.date(2021, 9, 7)]
