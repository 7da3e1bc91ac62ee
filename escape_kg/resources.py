"""Locates the bundled data folders: ontology/, shapes/, queries/, examples/."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

__all__ = [
    "data_dir",
    "example_date",
    "example_minutes",
    "ontology_files",
    "reference_file",
    "shape_files",
]

_PACKAGE = Path(__file__).resolve().parent

# Meeting dates of bundled examples whose text does not state one.
_EXAMPLE_DATES = {"escape-tc-minutes.txt": dt.date(2021, 9, 8)}


@cache
def data_dir(name: str) -> Path:
    """The folder ``name`` (e.g. "shapes"): in the wheel's ``_data``, else at the repo top.

    Raises FileNotFoundError if neither exists (a broken install).
    """
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"escape-kg data folder {name!r} is missing from this install")


def ontology_files() -> list[Path]:
    """The project's OWL vocabulary in Turtle (without the reference vocabulary)."""
    return sorted(p for p in data_dir("ontology").glob("*.ttl") if p.name != "escape-reference.ttl")


def reference_file() -> Path:
    """The ESCAPE reference vocabulary (relative IRIs, resolved against the base)."""
    return data_dir("ontology") / "escape-reference.ttl"


def shape_files() -> list[Path]:
    """Every SHACL shapes file, in name order."""
    return sorted(data_dir("shapes").glob("*.ttl"))


def example_minutes() -> list[Path]:
    """The bundled example minutes that the demo server imports."""
    return sorted(data_dir("examples").glob("*.txt"))


def example_date(path: Path) -> dt.date | None:
    """The meeting date of a bundled example whose text lacks one, else None."""
    return _EXAMPLE_DATES.get(path.name)
