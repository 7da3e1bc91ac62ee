"""Benchmark: precision, recall and F1 of extraction on the labelled minutes in tests/data/labelled.

Each document ``NAME.ext`` there has a sidecar ``NAME.expected.json`` listing what a careful
reader finds in it: people (normalised names), organisations (``org/key`` for reference
organisations, the name as written for others), work packages ("WP2"), deliverables ("D5.3"),
events (``event/key``, or ``{"name", "aliases", "start"}`` for events outside the reference
vocabulary), action items (a fragment of their text) and the secrets that must not survive.
Documents marked ``"heldout": true`` were labelled before anything was run on them; the
figures are printed for all documents, for the others ("tuned") and for the held-out ones.
Not a test: it prints figures and asserts nothing. Exit status 1 if a document crashed,
failed unexpectedly or leaked a secret.

    python bench/extraction.py [FOLDER] [--verbose]
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph

from escape_kg.config import Settings
from escape_kg.errors import EscapeKGError
from escape_kg.importer import BuiltDocument, Pipeline
from escape_kg.model import EntityRef, Meeting
from escape_kg.rdf.iris import slugify

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "data" / "labelled"
KINDS = ("people", "organisations", "work_packages", "deliverables", "events", "actions")
META = ("heldout", "form", "expect_status", "failure", "secrets")
SUFFIX = ".expected.json"

# ESCAPE's own identifiers; a key of another form is another project's and is not scored.
_ESCAPE_WP = re.compile(r"WP\d+")
_ESCAPE_DELIVERABLE = re.compile(r"D\d+\.\d+")


@dataclass(frozen=True)
class Labelled:
    """One labelled document and what its sidecar expects."""

    path: Path
    heldout: bool
    expect_status: str
    failure: str | None
    expected: dict[str, list[Any]]
    secrets: tuple[str, ...]


def load_labels(folder: Path = LABELLED) -> list[Labelled]:
    """Every document in ``folder`` with its sidecar, sorted by name.

    Raises ValueError for a sidecar with an unknown key, a missing kind or a missing document.
    """
    out = []
    for sidecar in sorted(folder.glob(f"*{SUFFIX}")):
        stem = sidecar.name[: -len(SUFFIX)]
        docs = [p for p in folder.glob(f"{stem}.*") if p != sidecar]
        if len(docs) != 1:
            raise ValueError(f"{sidecar.name}: expected one document named {stem}.*")
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        unknown = set(data) - set(KINDS) - set(META)
        missing = set(KINDS) - set(data)
        if unknown or missing:
            raise ValueError(
                f"{sidecar.name}: unknown {sorted(unknown)}, missing {sorted(missing)}"
            )
        out.append(
            Labelled(
                path=docs[0],
                heldout=bool(data.get("heldout", False)),
                expect_status=str(data.get("expect_status", "imported")),
                failure=data.get("failure"),
                expected={kind: list(data[kind]) for kind in KINDS},
                secrets=tuple(data.get("secrets", ())),
            )
        )
    return out


# -- what the code extracted, per kind ------------------------------------------------


@dataclass(frozen=True)
class Got:
    """One extracted entity: the key it is matched on, its name, and extra words to match."""

    key: str
    label: str
    start: str | None = None
    words: frozenset[str] = frozenset()


def _named(meeting: Meeting) -> set[EntityRef]:
    """Entities the text itself names (not parents added from the reference vocabulary)."""
    refs = {m.entity for m in meeting.mentions}
    refs |= {m.organisation for m in meeting.memberships}
    refs |= {t.entity for t in meeting.topics}
    return refs


def extracted(meeting: Meeting) -> dict[str, list[Got]]:
    """What the extraction found in ``meeting``, by kind, in the form the labels use."""
    named = _named(meeting)
    events = []
    for e in meeting.events:
        words = frozenset(slugify(f"{e.name} {e.ref.key}").split("-"))
        start = e.start.isoformat() if e.start else None
        events.append(Got(f"event/{e.ref.key}", e.name, start, words))
    return {
        "people": [Got(p.ref.key, p.name) for p in meeting.people],
        "organisations": [
            Got(f"org/{o.ref.key}", o.name) for o in meeting.organisations if o.ref in named
        ],
        "work_packages": [
            Got(w.ref.key, w.identifier)
            for w in meeting.work_packages
            if _ESCAPE_WP.fullmatch(w.ref.key)
        ],
        "deliverables": [
            Got(d.ref.key, d.identifier)
            for d in meeting.deliverables
            if _ESCAPE_DELIVERABLE.fullmatch(d.ref.key)
        ],
        "events": events,
        "actions": [Got(a.key, " ".join(a.text.split())) for a in meeting.actions],
    }


# -- matching -------------------------------------------------------------------------


def _org_key(label: str) -> str:
    return label if label.startswith("org/") else f"org/{slugify(label)}"


def _event_matches(label: Any, got: Got) -> bool:
    if isinstance(label, str):
        return got.key == label
    names = [label["name"], *label.get("aliases", ())]
    worded = any(set(slugify(n).split("-")) <= got.words for n in names)
    start = label.get("start")
    if start is None:
        return worded
    shares_word = any(set(slugify(n).split("-")) & got.words for n in names)
    return got.start == start and shares_word


def _fragment(text: str) -> str:
    return " ".join(text.split()).casefold()


MATCHERS: dict[str, Callable[[Any, Got], bool]] = {
    "people": lambda label, got: slugify(label) == got.key,
    "organisations": lambda label, got: _org_key(label) == got.key,
    "work_packages": lambda label, got: label == got.key,
    "deliverables": lambda label, got: label == got.key,
    "events": _event_matches,
    "actions": lambda label, got: _fragment(label) in _fragment(got.label),
}


@dataclass
class Tally:
    """Counts for one kind; ``missed``/``wrong`` say what, in which document."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.missed += other.missed
        self.wrong += other.wrong

    def figures(self) -> tuple[float, float, float]:
        """Precision, recall, F1 (1.0 when there was nothing to find and nothing was found)."""
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f


def score(kind: str, labels: Sequence[Any], found: Sequence[Got], doc: str) -> Tally:
    """Match ``labels`` to ``found`` one to one (first fit) and count."""
    tally = Tally()
    left = list(found)
    for label in labels:
        hit = next((g for g in left if MATCHERS[kind](label, g)), None)
        if hit is None:
            tally.fn += 1
            shown = label if isinstance(label, str) else json.dumps(label, ensure_ascii=False)
            tally.missed.append(f"{doc}: {shown}")
        else:
            tally.tp += 1
            left.remove(hit)
    for g in left:
        tally.fp += 1
        tally.wrong.append(f"{doc}: {g.key} ({g.label!r})")
    return tally


# -- secrets --------------------------------------------------------------------------


def leaks(graph: Graph, secrets: Iterable[str]) -> list[str]:
    """The secrets that appear in any term (literal or IRI) of ``graph``."""
    terms = {str(t) for triple in graph for t in triple}
    return [s for s in secrets if any(s in t for t in terms)]


# -- running --------------------------------------------------------------------------


@dataclass
class Outcome:
    """One document's run: built, failed with a clear error, or crashed."""

    doc: Labelled
    built: BuiltDocument | None = None
    status: str = "imported"
    message: str = ""


def run_one(pipeline: Pipeline, doc: Labelled) -> Outcome:
    """Build ``doc``; "imported" when its graph conforms, "refused" if not, else why not."""
    try:
        built = pipeline.build(doc.path)
    except EscapeKGError as exc:
        return Outcome(doc, status="failed", message=str(exc))
    # The bench exists to report crashes of the code it measures and to carry on with
    # the next document, so any other exception is recorded here, not raised.
    except Exception as exc:  # noqa: BLE001
        last = traceback.format_exception(exc)[-2:]
        return Outcome(doc, status="crashed", message="".join(last).strip())
    status = "imported" if built.report.conforms else "refused"
    return Outcome(doc, built, status)


def _row(name: str, tally: Tally) -> str:
    p, r, f = tally.figures()
    return f"  {name:<14} {p:6.3f} {r:6.3f} {f:6.3f}   {tally.tp:4d} {tally.fp:4d} {tally.fn:4d}"


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    args = [a for a in argv if not a.startswith("--")]
    docs = load_labels(Path(args[0]) if args else LABELLED)
    settings = Settings()
    pipeline = Pipeline(settings.base, settings.max_bytes)
    groups: dict[str, dict[str, Tally]] = {
        g: {k: Tally() for k in KINDS} for g in ("all", "tuned", "held-out")
    }
    problems: list[str] = []
    not_imported: list[str] = []
    for doc in docs:
        out = run_one(pipeline, doc)
        group = "held-out" if doc.heldout else "tuned"
        name = doc.path.name
        print(f"{name:<42} {group:<9} {out.status}{': ' + out.message if out.message else ''}")
        if out.status != "imported":
            not_imported.append(f"{name}: {out.status}: {out.message}")
        if out.status != doc.expect_status or (
            doc.failure is not None and doc.failure not in out.message
        ):
            problems.append(f"{name}: {out.status} (expected {doc.expect_status}) {out.message}")
        # A document that did not build found nothing: all its labels count as missed.
        found: dict[str, list[Got]] = {kind: [] for kind in KINDS}
        if out.built is not None:
            for secret in leaks(out.built.graph, doc.secrets):
                problems.append(f"{name}: secret {secret!r} is in the graph")
            found = extracted(out.built.meeting)
        for kind in KINDS:
            tally = score(kind, doc.expected[kind], found[kind], name)
            groups["all"][kind].add(tally)
            groups[group][kind].add(tally)
    held = sum(d.heldout for d in docs)
    counts = {"all": len(docs), "tuned": len(docs) - held, "held-out": held}
    for group, tallies in groups.items():
        print(f"\n{group} ({counts[group]} documents)      P      R     F1     TP   FP   FN")
        for kind in KINDS:
            print(_row(kind, tallies[kind]))
    print("\nMisses (expected, not found) and wrong extractions (found, not expected):")
    for kind in KINDS:
        tally = groups["all"][kind]
        if tally.missed or tally.wrong:
            print(f"- {kind}")
            for line in tally.missed:
                print(f"    missed  {line}")
            for line in tally.wrong:
                print(f"    wrong   {line}")
    print("\nDocuments that did not import (failed, refused or crashed):")
    for line in not_imported or ["none"]:
        print(f"  {line}")
    print("\nUnexpected outcomes and leaked secrets:")
    for line in problems or ["none"]:
        print(f"  {line}")
    if verbose:
        print(f"\n{len(docs)} documents, {held} held out")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
