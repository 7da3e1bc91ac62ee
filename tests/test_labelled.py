"""The labelled minutes in tests/data/labelled: each imports (or fails as its sidecar says),
none leaks a listed secret, and every sidecar parses and lists only known kinds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escape_kg.config import Settings
from escape_kg.errors import EscapeKGError
from escape_kg.importer import Pipeline

LABELLED = Path(__file__).parent / "data" / "labelled"
SUFFIX = ".expected.json"
KINDS = {"people", "organisations", "work_packages", "deliverables", "events", "actions"}
META = {"heldout", "form", "expect_status", "failure", "secrets"}
SIDECARS = sorted(LABELLED.glob(f"*{SUFFIX}"))


def _document(sidecar: Path) -> Path:
    stem = sidecar.name[: -len(SUFFIX)]
    (doc,) = [p for p in LABELLED.glob(f"{stem}.*") if p != sidecar]
    return doc


def test_there_are_enough_documents_and_some_are_held_out() -> None:
    labels = [json.loads(p.read_text(encoding="utf-8")) for p in SIDECARS]
    assert len(labels) >= 12
    assert sum(bool(d.get("heldout")) for d in labels) >= 4


@pytest.mark.parametrize("sidecar", SIDECARS, ids=lambda p: p.name)
def test_sidecar_lists_only_known_kinds(sidecar: Path) -> None:
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    assert set(data) <= KINDS | META
    assert set(data) >= KINDS
    assert data.get("expect_status", "imported") in {"imported", "failed"}
    for kind in KINDS - {"events"}:
        assert all(isinstance(v, str) and v.strip() for v in data[kind]), kind
    for event in data["events"]:
        assert (isinstance(event, str) and event.startswith("event/")) or (
            isinstance(event, dict) and set(event) <= {"name", "aliases", "start"}
        )
    assert all(isinstance(s, str) and s for s in data.get("secrets", []))
    _document(sidecar)  # exactly one document goes with the sidecar


@pytest.mark.parametrize("sidecar", SIDECARS, ids=lambda p: p.name)
def test_document_imports_and_leaks_no_secret(sidecar: Path) -> None:
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    doc = _document(sidecar)
    settings = Settings()
    pipeline = Pipeline(settings.base, settings.max_bytes)
    raw = doc.read_text(encoding="utf-8")
    # A listed secret must be in the document, or its absence from the graph proves nothing.
    for secret in data.get("secrets", []):
        assert secret in raw.replace("\\/", "/"), secret
    if data.get("expect_status", "imported") == "failed":
        with pytest.raises(EscapeKGError) as caught:
            pipeline.build(doc)
        assert data["failure"] in str(caught.value)
        assert "hint" in str(caught.value)
        return
    built = pipeline.build(doc)
    assert built.report.conforms, built.report
    terms = {str(term) for triple in built.graph for term in triple}
    leaked = [s for s in data.get("secrets", []) if any(s in t for t in terms)]
    assert leaked == []
