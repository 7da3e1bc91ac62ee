"""Replace conferencing secrets (meeting ids, passcodes, dial-ins, links) with placeholders.

Runs on every document before any other stage sees its text. Each secret is
replaced, inside its line, by a visible ``[redacted <kind>]``; no line break
is ever added or removed, so line numbers stay those of the original file.
Only counts per kind are kept, never the values.

Kinds: meeting-id, passcode, one-tap, dial-in, sip, h323, join-link. A one-tap
string ("+41432107108,,95429556769#") counts once, as one-tap, although it
holds a phone number and a meeting id.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl, urlsplit

from escape_kg.model import SourceDocument

__all__ = ["KINDS", "placeholder", "redact", "redact_text"]

KINDS: tuple[str, ...] = (
    "meeting-id",
    "passcode",
    "one-tap",
    "dial-in",
    "sip",
    "h323",
    "join-link",
)

_SP = r"[ \t\u00a0\u202f\u2009]"  # spaces that may appear inside one line
_NOT_REDACTED = r"(?!\[redacted )"

_ONE_TAP = re.compile(r"\+?\d[\d \u00a0-]{5,20}\d(?:,{2,}[\d*#]+)+#?")
_URL = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.|\b[\w-]+(?:\.[\w-]+)*\.zoom\.us/)[^\s<>\"'\]]+",
    re.IGNORECASE,
)
_SIP = re.compile(
    r"\bsips?:[^\s<>\"']+"
    r"|(?<![\w.+-])\d{6,}(?:\.\d+)*@[\w-]+(?:\.[\w-]+)+"
    r"|(?<![\w.+-])[\w.+-]+@(?:[\w-]+\.)*(?:zoomcrc\.com|zoom\.us|lync\.zoom\.us|webex\.com)\b",
    re.IGNORECASE,
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)"
_IPV4 = re.compile(rf"(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?!\w|\.\d)")
_IPV6 = re.compile(r"\[?(?<![\w:])[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}\]?", re.IGNORECASE)
_MEETING_ID = re.compile(
    r"(?:\b(?:meeting|webinar|conference)[ -]?(?:id|number|no\.?)"
    r"|\bID de (?:la )?réunion|\bID du webinaire|\bnuméro de (?:la )?réunion"
    rf"){_SP}*[:：#]?{_SP}*(?P<value>\d[\d \u00a0\u202f-]{{5,}}\d)#?",
    re.IGNORECASE,
)
_PASSCODE = re.compile(
    r"\b(?:passcode|password|mot de passe|code secret|code d'accès|kenncode|kennwort|pin)"
    rf"{_SP}*[:：=]{_SP}*{_NOT_REDACTED}(?P<value>[^\s,;]+)"
    rf"|\b(?:passcode|pin){_SP}+(?P<digits>\d{{4,}})#?",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<![\w+])\+\d[\d \u00a0\u202f().-]*\d")
_LOCAL_PHONE = re.compile(rf"^{_SP}*(?P<value>\(?\d[\d \u00a0\u202f().-]*\d)")
_DIAL_HEADER = re.compile(
    r"dial by your location|dial-in numbers?|composez un numéro|numéros? d'appel",
    re.IGNORECASE,
)
_H323_HEADER = re.compile(r"join by h\.?323|rejoindre par h\.?323|via h\.?323", re.IGNORECASE)

# Query keys that carry a credential: meeting passwords, signed links, and
# Indico's personal tokens (user_token, ak) that export and calendar links carry.
_SECRET_QUERY = frozenset(
    {
        "pwd",
        "password",
        "passcode",
        "signature",
        "tk",
        "token",
        "access_token",
        "mtid",
        "confno",
        "user_token",
        "ak",
        "apikey",
        "api_key",
    }
)
_ZOOM_ID = re.compile(r"\d{9,11}")


def placeholder(kind: str) -> str:
    """The visible text that stands in for a redacted value of ``kind``."""
    return f"[redacted {kind}]"


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _is_secret_url(url: str) -> bool:
    candidate = url if "://" in url else "https://" + url
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return False
    keys = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    if keys & _SECRET_QUERY:
        return True
    host = (parts.hostname or "").lower()
    path = parts.path.lower()
    if host.endswith(("zoom.us", "zoom.com", "zoomgov.com")):
        return bool(_ZOOM_ID.search(path) or re.match(r"/(?:j|w|s|my|join|wc)/", path))
    if host.endswith("teams.microsoft.com") or host.endswith("teams.live.com"):
        return "meetup-join" in path or "/meet/" in path
    if host.endswith("webex.com"):
        return "j.php" in path or "/meet/" in path or "/join/" in path
    return False


_Hit = tuple[int, int, str]


def _url_hits(line: str) -> Iterator[_Hit]:
    for match in _URL.finditer(line):
        url = match.group().rstrip(".,;:!?)")
        if _is_secret_url(url):
            yield match.start(), match.start() + len(url), "join-link"


def _group_hits(pattern: re.Pattern[str], kind: str, line: str) -> Iterator[_Hit]:
    for match in pattern.finditer(line):
        name = next(g for g in ("value", "digits") if g in match.re.groupindex and match[g])
        yield match.start(name), match.end(name), kind


def _whole_hits(pattern: re.Pattern[str], kind: str, line: str) -> Iterator[_Hit]:
    for match in pattern.finditer(line):
        yield match.start(), match.end(), kind


def _phone_hits(line: str, in_dial_block: bool) -> Iterator[_Hit]:
    for match in _PHONE.finditer(line):
        if len(_digits(match.group())) >= 8:
            yield match.start(), match.end(), "dial-in"
    if in_dial_block:
        local = _LOCAL_PHONE.match(line)
        if local and len(_digits(local["value"])) >= 8:
            yield local.start("value"), local.end("value"), "dial-in"


# Order is priority: when two hits overlap the earlier finder wins, so a
# one-tap string is not also taken apart into a phone number and an id.
_FINDERS: tuple[Callable[[str], Iterator[_Hit]], ...] = (
    lambda line: _whole_hits(_ONE_TAP, "one-tap", line),
    _url_hits,
    lambda line: _whole_hits(_SIP, "sip", line),
    lambda line: _group_hits(_MEETING_ID, "meeting-id", line),
    lambda line: _group_hits(_PASSCODE, "passcode", line),
    lambda line: _whole_hits(_IPV4, "h323", line),
)


def _choose(hits: list[_Hit]) -> list[_Hit]:
    # Earlier hits win over later ones they overlap. ``taken`` stays sorted and free of
    # overlaps, so only the neighbours of a new hit can overlap it: a line with
    # thousands of secrets costs n log n, not n squared.
    taken: list[_Hit] = []
    for hit in hits:
        start, end = hit[0], hit[1]
        if start >= end:
            continue
        at = bisect.bisect_left(taken, hit)
        if at > 0 and taken[at - 1][1] > start:
            continue
        if at < len(taken) and taken[at][0] < end:
            continue
        taken.insert(at, hit)
    return taken


def _apply(line: str, hits: list[_Hit], counts: dict[str, int]) -> str:
    out: list[str] = []
    cursor = 0
    for start, end, kind in hits:
        out.append(line[cursor:start])
        out.append(placeholder(kind))
        counts[kind] += 1
        cursor = end
    out.append(line[cursor:])
    return "".join(out)


# Characters that may sit between the digits of an id quoted again ("954 2955 6769").
_ECHO_SEPARATORS = frozenset(" \u00a0\u202f-")
_WORD = re.compile(r"\w")


class _Echoes:
    """Finds where remembered meeting ids or passcodes recur in a line.

    A meeting id or passcode found once is also removed where it recurs
    unlabelled, spaced or not ("954 2955 6769" / "95429556769"). Values under
    six characters are left alone: they would hit years and counts. A value of
    digits matches its digits with at most one separator between two of them;
    any other value matches as written. Either must stand alone (no letter,
    digit or underscore just before or after it); where several values match
    at one place the longest wins, and the search goes on after it.

    One pattern per remembered value, joined into one regular expression,
    took seconds to compile for thousands of distinct ids; this looks values
    up in sets instead, so the time grows with the text, not with the values.
    """

    def __init__(self, values: set[str]) -> None:
        kept = [value for value in values if len(value) >= 6]
        self.digits = frozenset(value for value in kept if value.isdigit())
        self.max_digits = max(map(len, self.digits), default=0)
        literal: dict[int, set[str]] = {}
        for value in kept:
            if not value.isdigit():
                literal.setdefault(len(value), set()).add(value)
        # Longest first: the longest value that matches at a place wins there.
        self.literal = sorted(literal.items(), reverse=True)
        firsts = {value[0] for value in kept}
        self.start = (
            re.compile("(?<!\\w)[" + "".join(re.escape(ch) for ch in sorted(firsts)) + "]")
            if firsts
            else None
        )

    def _digits_at(self, line: str, at: int) -> int:
        """End of the longest remembered id spelled from ``at`` that stands alone, or -1."""
        if not line[at].isdigit():
            return -1
        best = -1
        digits: list[str] = []
        index = at
        size = len(line)
        while len(digits) < self.max_digits:
            digits.append(line[index])
            end = index + 1
            standalone = end >= size or not _WORD.match(line, end)
            if standalone and len(digits) >= 6 and "".join(digits) in self.digits:
                best = end
            if end < size and line[end].isdigit():
                index = end
            elif end + 1 < size and line[end] in _ECHO_SEPARATORS and line[end + 1].isdigit():
                index = end + 1
            else:
                break
        return best

    def _literal_at(self, line: str, at: int) -> int:
        """End of the longest remembered non-digit value at ``at`` that stands alone, or -1."""
        for size, values in self.literal:
            end = at + size
            if line[at:end] in values and (end >= len(line) or not _WORD.match(line, end)):
                return end
        return -1

    def spans(self, line: str) -> Iterator[tuple[int, int]]:
        """(start, end) of each recurrence in ``line``, left to right, not overlapping."""
        if self.start is None:
            return
        at = 0
        while (match := self.start.search(line, at)) is not None:
            start = match.start()
            by_digits = self._digits_at(line, start) if self.digits else -1
            by_literal = self._literal_at(line, start) if self.literal else -1
            if by_digits < 0 and by_literal < 0:
                at = start + 1
                continue
            end = by_digits if by_literal < 0 else by_literal
            if by_digits >= 0 and by_literal >= 0:
                # The longer value wins; an id's separators are not part of its length.
                spelled = sum(1 for ch in line[start:by_digits] if ch.isdigit())
                end = by_digits if spelled >= by_literal - start else by_literal
            yield start, end
            at = end


def redact_text(text: str) -> tuple[str, dict[str, int]]:
    """``text`` with every secret replaced by ``placeholder(kind)``, and counts by kind.

    The counts hold every kind of ``KINDS`` (0 when none was found). The
    number of ``\\n`` is unchanged and lines without secrets are untouched.
    """
    counts = dict.fromkeys(KINDS, 0)
    lines = text.split("\n")
    found: dict[str, set[str]] = {"meeting-id": set(), "passcode": set()}
    in_dial_block = False
    in_h323_block = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _DIAL_HEADER.search(line):
            in_dial_block, in_h323_block = True, False
        elif _H323_HEADER.search(line):
            in_dial_block, in_h323_block = False, True
        elif stripped and not _LOCAL_PHONE.match(line) and not stripped.startswith("+"):
            in_dial_block = False
        hits = [hit for find in _FINDERS for hit in find(line)]
        hits.extend(_phone_hits(line, in_dial_block))
        if in_h323_block:
            hits.extend(_whole_hits(_IPV6, "h323", line))
        chosen = _choose(hits)
        _remember(line, chosen, found)
        if in_h323_block and stripped and not chosen and not _H323_HEADER.search(line):
            in_h323_block = False
        lines[index] = _apply(line, chosen, counts)
    _remove_echoes(lines, found, counts)
    return "\n".join(lines), counts


_TAP_ID = re.compile(r",{2,}(\d{9,11})#")
_TAP_PASSCODE = re.compile(r",{2,}\*?(\d{4,})#")


def _remember(line: str, chosen: list[_Hit], found: dict[str, set[str]]) -> None:
    for start, end, kind in chosen:
        value = line[start:end]
        if kind == "meeting-id":
            found[kind].add(_digits(value))
        elif kind == "passcode":
            found[kind].add(value)
        elif kind == "one-tap":
            ids = _TAP_ID.findall(value)
            found["meeting-id"].update(ids)
            found["passcode"].update(v for v in _TAP_PASSCODE.findall(value) if v not in ids)


def _remove_echoes(lines: list[str], found: dict[str, set[str]], counts: dict[str, int]) -> None:
    for kind, values in found.items():
        echoes = _Echoes(values)
        if echoes.start is None:
            continue
        for index, line in enumerate(lines):
            hits = [(start, end, kind) for start, end in echoes.spans(line)]
            if hits:
                lines[index] = _apply(line, hits, counts)


def redact(doc: SourceDocument) -> SourceDocument:
    """A copy of ``doc`` with secrets replaced and ``redactions`` set to counts by kind.

    Every kind in ``KINDS`` appears in ``redactions`` (0 when none was found).
    Redacting an already redacted document finds nothing new and adds its
    counts to the existing ones. Raises nothing.
    """
    text, counts = redact_text(doc.text)
    if doc.redactions is not None:
        for kind, count in doc.redactions.items():
            counts[kind] = counts.get(kind, 0) + count
    return dataclasses.replace(doc, text=text, redactions=counts)
