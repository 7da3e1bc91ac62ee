"""Redaction: conferencing secrets disappear, everything else stays byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from escape_kg.model import SourceDocument
from escape_kg.redact import KINDS, placeholder, redact, redact_text
from escape_kg.sources import read_source

ROOT = Path(__file__).parent.parent
SEED = ROOT / "examples" / "escape-tc-minutes.txt"
ALL_KINDS = Path(__file__).parent / "data" / "zoom-invite-all-kinds.txt"


def _read(path: Path) -> SourceDocument:
    return read_source(path, max_bytes=1024 * 1024)


SEED_DIAL_INS = [
    "+41 43 210 71 08",
    "+41 31 528 09 88",
    "+41 43 210 70 42",
    "+33 1 8699 5831",
    "+33 1 7037 2246",
    "+33 1 7037 9729",
]


def test_seed_secrets_are_gone() -> None:
    text = redact(_read(SEED)).text
    squeezed = re.sub(r"\s", "", text)
    for secret in ["115510", "954 2955 6769", "95429556769", *SEED_DIAL_INS]:
        assert secret not in text
        assert secret.replace(" ", "") not in squeezed
    assert "+41432107108" not in text


def test_seed_counts_per_kind() -> None:
    doc = redact(_read(SEED))
    assert doc.redactions == {
        "meeting-id": 3,
        "passcode": 2,
        "one-tap": 2,
        "dial-in": 6,
        "sip": 0,
        "h323": 0,
        "join-link": 0,
    }


def test_seed_lines_are_kept_and_only_secret_lines_change() -> None:
    original = _read(SEED)
    redacted = redact(original)
    before, after = original.text.split("\n"), redacted.text.split("\n")
    assert len(before) == len(after)
    changed = [i + 1 for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [14, 15, 17, 18, *range(21, 28), 33, 34]
    assert after[13] == "Meeting ID: " + placeholder("meeting-id")
    assert after[14] == "Passcode: " + placeholder("passcode")
    assert after[16] == placeholder("one-tap") + " Switzerland"
    assert after[22].endswith(placeholder("dial-in") + " Switzerland")


def test_every_kind_is_found() -> None:
    doc = redact(_read(ALL_KINDS))
    assert doc.redactions == {
        "meeting-id": 3,
        "passcode": 3,
        "one-tap": 1,
        "dial-in": 2,
        "sip": 2,
        "h323": 3,
        "join-link": 3,
    }
    text = doc.text
    for secret in [
        "91234567890",
        "912 3456 7890",
        "482913",
        "s3cr3t-Pw",
        "7777",
        "QWxhZGRpbjpvcGVuIHNlc2FtZQ",
        "202 555 0123",
        "877 555 0100",
        "zoomcrc",
        "192.0.2.10",
        "198.51.100.7",
        "2001:db8",
        "meetup-join",
        "MTID",
    ]:
        assert secret not in text, secret
    assert "https://indico.cern.ch/event/1234/ stays" in text
    assert "Agenda: D5.3 due + High energy, 1st October 2021, 10:00 10:10, v1.2.3" in text


def test_ordinary_text_is_untouched() -> None:
    text = "\n".join(
        [
            "    • 10:00 10:10",
            "Deliverable D5.3 was delivered on 27 August 2021 (1st October for WP2).",
            "CEVO (CTAO + High energy) datamodels, 2-4 November, 2021-09-08, 08.09.2021",
            "Version 1.2.3 and 10.0.0.1.2 ship; 40 attendees; 1,234,567 files",
            "Write to jane.doe@example.org; see https://indico.cern.ch/event/1055/?view=x",
            "Password protected page; the PIN code is on the wiki",
        ]
    )
    redacted, counts = redact_text(text)
    assert redacted == text
    assert set(counts) == set(KINDS)
    assert not any(counts.values())


def test_french_and_labelled_variants() -> None:
    text = (
        "ID de réunion : 954 2955 6769\nCode secret : 115510\n"
        "Meeting-ID: 954 2955 6769\nPIN 4821#\nCall +44 20 7946 0018 to join"
    )
    redacted, counts = redact_text(text)
    assert redacted == (
        "ID de réunion : [redacted meeting-id]\nCode secret : [redacted passcode]\n"
        "Meeting-ID: [redacted meeting-id]\nPIN [redacted passcode]#\n"
        "Call [redacted dial-in] to join"
    )
    assert counts["meeting-id"] == 2 and counts["passcode"] == 2 and counts["dial-in"] == 1


def test_an_id_seen_once_is_removed_where_it_recurs() -> None:
    redacted, counts = redact_text("Meeting ID: 954 2955 6769\nlater: 95429556769 or 954-2955-6769")
    assert "2955" not in redacted
    assert counts["meeting-id"] == 3


def test_redacting_twice_finds_nothing_new() -> None:
    once = redact(_read(SEED))
    twice = redact(once)
    assert twice.text == once.text
    assert twice.redactions == once.redactions


@given(st.text(alphabet=st.sampled_from("0123456789 +,#:\n\r.@abcPINpwd=/"), max_size=200))
def test_line_breaks_are_never_added_or_removed(text: str) -> None:
    redacted, counts = redact_text(text)
    assert redacted.count("\n") == text.count("\n")
    assert all(count >= 0 for count in counts.values())


def test_indico_personal_tokens_in_links_are_redacted() -> None:
    text = (
        "Calendar: https://indico.example.org/export/event/123.ics?user_token=99_abcdEFGH\n"
        "Export: https://indico.example.org/export/categ/7.json?ak=00000000-1111-2222&pretty=yes\n"
        "Plain page: https://indico.example.org/event/123/timetable/?view=standard\n"
    )
    redacted, counts = redact_text(text)
    assert "abcdEFGH" not in redacted and "00000000-1111-2222" not in redacted
    assert counts["join-link"] == 2
    assert "https://indico.example.org/event/123/timetable/?view=standard" in redacted


def test_thousands_of_distinct_ids_are_all_removed_where_they_recur() -> None:
    ids = [f"{8_100_000_000 + 7919 * n:011d}" for n in range(3000)]
    labelled = "\n".join(f"Meeting ID: {i}" for i in ids)
    spaced = "\n".join(f"see {i[:3]} {i[3:7]} {i[7:]} again" for i in ids)
    bare = " ".join(reversed(ids))
    redacted, counts = redact_text(f"{labelled}\n{spaced}\n{bare}\n")
    assert not re.search(r"\d{4}", redacted)
    assert counts["meeting-id"] == 3 * len(ids)
    assert redacted.count("\n") == 2 * len(ids) + 1


@given(
    st.lists(st.text(alphabet="0123456789", min_size=7, max_size=12), min_size=1, max_size=40),
    st.sampled_from([" ", "-", "\u00a0", ""]),
)
def test_each_remembered_id_recurs_redacted_however_it_is_spaced(
    ids: list[str], separator: str
) -> None:
    text = "\n".join(f"Meeting ID: {i}" for i in ids) + "\nagain: "
    text += ", ".join(separator.join(i) for i in ids)
    redacted, counts = redact_text(text)
    last = redacted.rsplit("\n", 1)[1]
    assert not re.search(r"\d", last)
    assert counts["meeting-id"] >= len(set(ids)) + 1


def test_an_echo_must_stand_alone_and_the_longest_id_wins() -> None:
    text = (
        "Meeting ID: 1234567\nMeeting ID: 12345678\nx12345678 12345678_ 123456789 1 2 3 4 5 6 7 8"
    )
    redacted, counts = redact_text(text)
    last = redacted.split("\n")[2]
    assert last == "x12345678 12345678_ 123456789 [redacted meeting-id]"
    assert counts["meeting-id"] == 3


def test_a_passcode_with_letters_recurs_redacted_as_written_only() -> None:
    redacted, counts = redact_text(
        "Passcode: Ab12-xyz9\nuse Ab12-xyz9 or ab12-xyz9, not Ab12-xyz9z"
    )
    assert redacted.split("\n")[1] == "use [redacted passcode] or ab12-xyz9, not Ab12-xyz9z"
    assert counts["passcode"] == 2
