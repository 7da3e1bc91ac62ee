"""Generate realistic Indico minutes for benchmarks, in the forms the readers accept.

Meetings follow the layout of Indico's text view (a Zoom block with secrets,
timed top-level items, a round table with one report per work package and
research infrastructure), with speakers, affiliations and notes that mention
work packages, events, deliverables and services from the ESCAPE reference
vocabulary, and action items and decisions in the status update (some closed as done a
few meetings later). The same seed always gives the same meetings.

With ``--forms``, meetings take the listed forms in turn: ``text`` (Indico's
text view), ``json`` (Indico's export API with contributions, sub-contributions
and notes as HTML, times in UTC) and ``ics`` (a calendar entry without minutes,
for a meeting that also has minutes in another form, as Indico exports both).

    python bench/generate_minutes.py OUT_DIR [COUNT] [--forms text,json,ics]
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

FIRST = [
    "Ian",
    "Julie",
    "Xavier",
    "Kay",
    "Mark",
    "John",
    "Stephen",
    "Matthias",
    "Antonella",
    "Martino",
    "Nazaret",
    "Mohammad",
    "Daniele",
    "Harro",
    "Jutta",
    "Rosie",
    "Giovanni",
    "Simone",
    "Yan",
    "Patrick",
    "Andrea",
    "Thomas",
    "Enrique",
    "Marco",
    "Hugh",
    "Aris",
]
LAST = [
    "Bird",
    "Chaudan",
    "Espinal",
    "Graf",
    "Allen",
    "Swinbank",
    "Serjeant",
    "Fuessling",
    "Bozzi",
    "Romaniello",
    "Bello Gonzalez",
    "Al-Turany",
    "Spiga",
    "Verkouter",
    "Schnabel",
    "Bolton",
    "Lamanna",
    "Campana",
    "Grange",
    "Fuhrmann",
    "Ceccanti",
    "Vuillaume",
    "Garcia",
    "Molinaro",
    "Dickinson",
    "Fkiaras",
]
AFFILIATIONS = [
    "CERN",
    "LAPP IN2P3 / CNRS",
    "CDS/CNRS",
    "ECAP - University of Erlangen",
    "ASTRON",
    "The Open University",
    "CTAO gGmbH",
    "ESO",
    "INFN-Perugia",
    "infn",
    "DESY",
    "INAF",
    "Joint Institute for VLBI ERIC",
    "Square Kilometre Array Organisation",
    "FAU Erlangen (ECAP)",
    "Nikhef",
    "SURF",
    "IFAE",
    "GSI",
    "CSIC",
]
ROUND_TABLE = [
    "WP2",
    "WP3",
    "WP4",
    "WP5",
    "WP6",
    "CTA",
    "EGO",
    "ESO",
    "EST",
    "FAIR",
    "HL-LHC",
    "Jive",
    "KM3Net",
    "SKA",
]
SERIES = [
    "Technical Coordination Meeting",
    "WP2 fortnightly",
    "Executive Board",
    "WP5 monthly meeting",
    "WP4 technology forum",
]
NOTES = [
    "Progress in WP{wp} on setting up Rucio for the data lake & hooking up to DAC21",
    "Preparation for ADASS conference ({d1}-{d2} October) ongoing, presentations accepted.",
    "Deliverable D{wp}.{n}, “Report on {topic}”, was delivered on {day} August.",
    "IVOA meeting {d1}-{d2} November (on-line) - preparation of ESCAPE talks",
    "Joint meeting with WP{wp2} planned on {day} September on ESAP/OSSR integration.",
    "EOSC-Future brokered resources discussed; ESCAPE IAM token integration completed.",
    "BinderHub instance upgraded; Jupyter notebooks connected to the Data Lake via FTS.",
    "CHEP abstracts - deadline {day} Nov",
    "Discussions with {first} {last} about the common data format, WP{wp}/{wp2}.",
    "Next steps: firm up timelines, estimate compute and storage needs for WP{wp}.",
]
# Action items and decisions, in the forms the extractor takes ("ACTION (owner):",
# "Action: X to ...", "Decision:", "Agreed:"). Later meetings close some with "— done".
ACTIONS = [
    "ACTION ({owner}): circulate the WP{wp} {topic} plan by {due}",
    "Action: {owner} to check the FTS transfers of WP{wp} before {due}",
    "ACTION ({owner}): update the {topic} section of D{wp}.{n}",
    "Action: {owner} to contact the DAC21 organisers about WP{wp} by {due}",
]
DECISIONS = [
    "Decision: the WP{wp} report moves to the {topic} session",
    "Agreed: the DAC21 results go into deliverable D{wp}.{n}",
    "Decided: WP{wp} keeps Rucio for the data lake tests",
]
CLOSE_AFTER = 5  # a meeting may close an action raised this many meetings earlier
TOPICS = [
    "science platform performance",
    "data lake operations",
    "software repository usage",
    "VO integration",
    "citizen science outreach",
]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _speaker(rng: random.Random) -> str:
    name = _person(rng)
    if rng.random() < 0.15:
        name = rng.choice(["Dr ", "Prof. "]) + name
    if rng.random() < 0.1:
        name = name.upper() if rng.random() < 0.5 else name.lower()
    if rng.random() < 0.1:
        return name
    return f"{name} ({rng.choice(AFFILIATIONS)})"


def _note(rng: random.Random) -> str:
    template = rng.choice(NOTES)
    return template.format(
        wp=rng.randint(2, 6),
        wp2=rng.randint(2, 6),
        n=rng.randint(1, 4),
        d1=rng.randint(2, 10),
        d2=rng.randint(11, 28),
        day=rng.randint(1, 28),
        topic=rng.choice(TOPICS),
        first=rng.choice(FIRST),
        last=rng.choice(LAST),
    )


@dataclass
class Item:
    """One generated agenda item: title, start, minutes, speakers and notes."""

    title: str
    start: dt.datetime
    minutes: int
    speakers: list[str]
    notes: list[str]
    children: list[Item] = field(default_factory=list)
    style: str = "bullet"  # how the text view lists the notes: numbered, dash or bullet


@dataclass
class Meeting:
    """One generated meeting, before it is written in some form."""

    index: int
    title: str
    date: dt.date
    meeting_id: str
    passcode: int
    dial: tuple[int, int, int]
    items: list[Item]


def _raised(index: int, seed: int, date: dt.date) -> tuple[list[str], list[str]]:
    """The actions and decisions the ``index``-th meeting raises, from their own generator
    (seeded by ``index`` and ``seed``), so that adding them left the rest of every
    meeting as it was, and a later meeting can restate them to close them."""
    rng = random.Random(f"actions-{seed}-{index}")
    values = {
        "wp": rng.randint(2, 6),
        "n": rng.randint(1, 4),
        "topic": rng.choice(TOPICS),
        "due": (date + dt.timedelta(days=rng.randint(14, 60))).isoformat(),
    }
    actions = [
        rng.choice(ACTIONS).format(owner=_person(rng), **values)
        for _ in range(rng.choice([0, 0, 1, 1, 2]))
    ]
    decisions = [rng.choice(DECISIONS).format(**values) for _ in range(rng.choice([0, 0, 0, 1]))]
    return actions, decisions


def _actions(index: int, seed: int, date: dt.date) -> list[str]:
    """The notes lines of the meeting's actions and decisions: its own, and (one time in
    two) those of the meeting CLOSE_AFTER earlier, stated again as done."""
    actions, decisions = _raised(index, seed, date)
    lines = actions + decisions
    earlier = index - CLOSE_AFTER
    if earlier >= 0 and random.Random(f"close-{seed}-{index}").random() < 0.5:
        old_date = dt.date(2019, 2, 4) + dt.timedelta(days=7 * (earlier // 5) + earlier % 5)
        lines += [f"{line} — done" for line in _raised(earlier, seed, old_date)[0]]
    return lines


def meeting(index: int, rng: random.Random, seed: int = 2021) -> Meeting:
    """The ``index``-th meeting, drawn from ``rng``: one a working day from Monday
    2019-02-04, as the project's several series meet in the same week (10,000 meetings
    end in 2057; one a week would run past 2100, which no minutes' date reader takes).
    Its actions and decisions come from generators of their own (see ``_raised``)."""
    date = dt.date(2019, 2, 4) + dt.timedelta(days=7 * (index // 5) + index % 5)
    title = rng.choice(SERIES)
    meeting_id = f"{rng.randint(100, 999)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
    passcode = rng.randint(100000, 999999)
    dial = (rng.randint(1000, 9999), rng.randint(10, 99), rng.randint(10, 99))
    clock = dt.datetime.combine(date, dt.time(10, 0))

    def item(title: str, minutes: int, speakers: list[str], notes: list[str]) -> Item:
        nonlocal clock
        made = Item(title, clock, minutes, speakers, notes)
        clock += dt.timedelta(minutes=minutes)
        return made

    intro = item("Introduction", 10, [_speaker(rng), _speaker(rng)], [])
    intro.notes, intro.style = [_note(rng) for _ in range(1, rng.randint(2, 4))], "numbered"
    status = item("Status update", 15, [_speaker(rng)], _notes(rng, 2, 5))
    status.notes += _actions(index, seed, date)
    status.style = "dash"
    items = [intro, status]
    reports = rng.sample(ROUND_TABLE, rng.randint(6, len(ROUND_TABLE)))
    table = item("Round Table", 2 * len(reports), [], [])
    table.children = [
        Item(
            report, table.start + dt.timedelta(minutes=2 * n), 2, [_speaker(rng)], _notes(rng, 0, 3)
        )
        for n, report in enumerate(reports)
    ]
    items.append(table)
    items.append(item("AOB", 5, [], [f"Next meeting: {(date + dt.timedelta(days=14)):%d %b}"]))
    return Meeting(index, title, date, meeting_id, passcode, dial, items)


def _notes(rng: random.Random, low: int, high: int) -> list[str]:
    return [_note(rng) for _ in range(rng.randint(low, high))]


def _zoom_block(m: Meeting) -> list[str]:
    digits = m.meeting_id.replace(" ", "")
    return [
        "Zoom meeting:",
        "",
        "Join Zoom Meeting",
        "",
        f"Meeting ID: {m.meeting_id}",
        f"Passcode: {m.passcode}",
        "One tap mobile",
        f"+4143210{m.dial[0]},,{digits}# Switzerland",
        "",
        "Dial by your location",
        f"        +41 43 210 {m.dial[1]} {m.dial[2]} Switzerland",
        f"Meeting ID: {m.meeting_id}",
    ]


def as_text(m: Meeting) -> str:
    """The meeting in Indico's text view (speaker labels in French, as on indico.in2p3.fr)."""
    lines = [m.title, "", "", *_zoom_block(m), "", ""]
    for it in m.items:
        end = it.start + dt.timedelta(minutes=it.minutes)
        lines += [f"    • {it.start:%H:%M} {end:%H:%M}", f"      {it.title} {it.minutes}m"]
        if it.speakers:
            label = "Orateurs" if len(it.speakers) > 1 else "Orateur"
            lines.append(f"      {label}: {', '.join(it.speakers)}")
        if it.style == "numbered":
            lines += [f"      {n}. {note}" for n, note in enumerate(it.notes, start=1)]
        elif it.style == "dash":
            lines += ["", *[f"      - {note}" for note in it.notes], ""]
        else:
            lines += [f"      • {note}" for note in it.notes]
        for child in it.children:
            lines += [f"      • {child.title} {child.minutes}m"]
            lines += [f"        Orateur: {name}" for name in child.speakers]
            lines += [f"        • {note}" for note in child.notes]
    return "\n".join(lines) + "\n\n"


# Indico's export API gives times in UTC; the generated meetings are in Europe/Zurich,
# one hour ahead in winter and two in summer (the last Sundays of March and October).
def _utc(local: dt.datetime) -> dict[str, str]:
    def last_sunday(month: int) -> dt.date:
        day = dt.date(local.year, month, 31)
        return day - dt.timedelta(days=(day.weekday() + 1) % 7)

    summer = last_sunday(3) <= local.date() < last_sunday(10)
    utc = local - dt.timedelta(hours=2 if summer else 1)
    return {"date": utc.date().isoformat(), "time": f"{utc:%H:%M:%S}", "tz": "UTC"}


def _json_person(text: str) -> dict[str, str]:
    name, _, rest = text.partition(" (")
    first, _, last = name.rpartition(" ")
    return {
        "_type": "ContributionParticipation",
        "fullName": f"{last}, {first}",
        "first_name": first,
        "last_name": last,
        "affiliation": rest.removesuffix(")"),
    }


def _note_html(notes: list[str]) -> dict[str, str]:
    if not notes:
        return {}
    body = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    return {"html": f"<ul>{body}</ul>"}


def as_json(m: Meeting) -> str:
    """The meeting as Indico's export API gives it (``detail=subcontributions``)."""
    event_id = 30000 + m.index
    contributions = []
    for n, it in enumerate(m.items, start=1):
        end = it.start + dt.timedelta(minutes=it.minutes)
        contributions.append(
            {
                "_type": "Contribution",
                "id": str(n),
                "title": it.title,
                "startDate": _utc(it.start),
                "endDate": _utc(end),
                "duration": it.minutes,
                "speakers": [_json_person(s) for s in it.speakers],
                "note": _note_html(it.notes),
                "subContributions": [
                    {
                        "_type": "SubContribution",
                        "id": f"{n}{k}",
                        "title": child.title,
                        "duration": child.minutes,
                        "speakers": [_json_person(s) for s in child.speakers],
                        "note": _note_html(child.notes),
                    }
                    for k, child in enumerate(it.children, start=1)
                ],
            }
        )
    first, last = m.items[0], m.items[-1]
    event = {
        "_type": "Conference",
        "id": str(event_id),
        "title": m.title,
        "type": "meeting",
        "timezone": "Europe/Zurich",
        "startDate": _utc(first.start),
        "endDate": _utc(last.start + dt.timedelta(minutes=last.minutes)),
        "description": html.escape("\n".join(_zoom_block(m))).replace("\n", "<br>"),
        "category": m.title,
        "url": f"https://indico.example.org/event/{event_id}/",
        "chairs": [],
        "note": {},
        "contributions": contributions,
    }
    return json.dumps({"count": 1, "_type": "HTTPAPIResult", "results": [event]}, indent=1)


def as_ics(m: Meeting) -> str:
    """The meeting's calendar entry, as Indico exports it (UTC times, no minutes)."""
    first, last = m.items[0], m.items[-1]

    def stamp(local: dt.datetime) -> str:
        utc = _utc(local)
        return utc["date"].replace("-", "") + "T" + utc["time"].replace(":", "") + "Z"

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//escape-kg bench//generated//EN",
        "BEGIN:VEVENT",
        f"UID:indico-event-{30000 + m.index}@indico.example.org",
        f"SUMMARY:{m.title}",
        f"DTSTART:{stamp(first.start)}",
        f"DTEND:{stamp(last.start + dt.timedelta(minutes=last.minutes))}",
        "LOCATION:Zoom",
        f"URL:https://indico.example.org/event/{30000 + m.index}/",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


WRITERS = {"text": (as_text, ".txt"), "json": (as_json, ".json"), "ics": (as_ics, ".ics")}


def meeting_text(index: int, rng: random.Random) -> tuple[str, dt.date]:
    """One meeting's minutes in the text view, and its date."""
    m = meeting(index, rng)
    return as_text(m), m.date


def generate(
    count: int, seed: int = 2021, forms: tuple[str, ...] = ("text",)
) -> Iterator[tuple[str, str]]:
    """``count`` (file name, content) pairs, the forms taken in turn; file names carry
    the meeting date. A ``ics`` meeting also gets its minutes in the next form, as a
    calendar entry alone has none."""
    rng = random.Random(seed)
    for index in range(count):
        m = meeting(index, rng, seed)
        form = forms[index % len(forms)]
        stem = f"{m.date.isoformat()}-meeting-{index:05d}"
        if form == "ics":
            yield stem + ".ics", as_ics(m)
            others = [f for f in forms if f != "ics"] or ["text"]
            form = others[index % len(others)]
        writer, suffix = WRITERS[form]
        yield stem + suffix, writer(m)


def write(
    directory: Path, count: int, seed: int = 2021, forms: tuple[str, ...] = ("text",)
) -> list[Path]:
    """Write ``count`` generated meetings into ``directory``; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in generate(count, seed, forms):
        path = directory / name
        path.write_text(content, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    """Command line: write COUNT meetings into OUT_DIR."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write into")
    parser.add_argument("count", type=int, nargs="?", default=100, help="meetings (100)")
    parser.add_argument("--forms", default="text", help="comma-separated: text,json,ics")
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()
    forms = tuple(f.strip() for f in args.forms.split(",") if f.strip())
    unknown = [f for f in forms if f not in WRITERS]
    if unknown or not forms:
        parser.error(f"unknown form(s) {unknown}; choose among {sorted(WRITERS)}")
    paths = write(args.out, args.count, args.seed, forms)
    print(f"wrote {len(paths)} files for {args.count} meetings to {args.out}")


if __name__ == "__main__":
    main()
