"""Generate realistic plain-text Indico minutes for benchmarks.

Meetings follow the layout of Indico's text view (a Zoom block with secrets,
timed top-level items, a round table with one report per work package and
research infrastructure), with speakers, affiliations and notes that mention
work packages, events, deliverables and services from the ESCAPE reference
vocabulary. The same seed always gives the same meetings.

    python bench/generate_minutes.py OUT_DIR [COUNT]
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections.abc import Iterator
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


def meeting_text(index: int, rng: random.Random) -> tuple[str, dt.date]:
    """One meeting's minutes and its date."""
    date = dt.date(2019, 2, 6) + dt.timedelta(days=7 * index)
    title = rng.choice(SERIES)
    meeting_id = f"{rng.randint(100, 999)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
    lines = [
        title,
        "",
        "",
        "Zoom meeting:",
        "",
        "Join Zoom Meeting",
        "",
        f"Meeting ID: {meeting_id}",
        f"Passcode: {rng.randint(100000, 999999)}",
        "One tap mobile",
        f"+4143210{rng.randint(1000, 9999)},,{meeting_id.replace(' ', '')}# Switzerland",
        "",
        "Dial by your location",
        f"        +41 43 210 {rng.randint(10, 99)} {rng.randint(10, 99)} Switzerland",
        f"Meeting ID: {meeting_id}",
        "",
        "",
    ]
    start = dt.datetime.combine(date, dt.time(10, 0))

    def timed(title: str, minutes: int) -> list[str]:
        nonlocal start
        end = start + dt.timedelta(minutes=minutes)
        block = [f"    • {start:%H:%M} {end:%H:%M}", f"      {title} {minutes}m"]
        start = end
        return block

    lines += timed("Introduction", 10)
    lines.append(f"      Orateurs: {_speaker(rng)}, {_speaker(rng)}")
    lines += [f"      {i}. {_note(rng)}" for i in range(1, rng.randint(2, 4))]
    lines += timed("Status update", 15)
    lines.append(f"      Orateur: {_speaker(rng)}")
    lines += ["", *[f"      - {_note(rng)}" for _ in range(rng.randint(2, 5))], ""]
    reports = rng.sample(ROUND_TABLE, rng.randint(6, len(ROUND_TABLE)))
    lines += timed("Round Table", 2 * len(reports))
    for report in reports:
        lines += [f"      • {report} 2m", f"        Orateur: {_speaker(rng)}"]
        lines += [f"        • {_note(rng)}" for _ in range(rng.randint(0, 3))]
    lines += timed("AOB", 5)
    lines += [f"      • Next meeting: {(date + dt.timedelta(days=14)):%d %b}", ""]
    return "\n".join(lines) + "\n", date


def generate(count: int, seed: int = 2021) -> Iterator[tuple[str, str]]:
    """``count`` (file name, text) pairs; file names carry the meeting date."""
    rng = random.Random(seed)
    for index in range(count):
        text, date = meeting_text(index, rng)
        yield f"{date.isoformat()}-meeting-{index:05d}.txt", text


def write(directory: Path, count: int, seed: int = 2021) -> list[Path]:
    """Write ``count`` generated minutes into ``directory``; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in generate(count, seed):
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    out = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    print(f"wrote {len(write(out, n))} meetings to {out}")
