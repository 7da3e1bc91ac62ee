"""Each heavy dependency is imported in one place only, and stages stay pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "escape_kg"

# dependency -> the only module (or folder) allowed to import it
OWNERS = {
    "pyoxigraph": "store/",
    "pyshacl": "validate.py",
    "fastapi": "web/",
    "starlette": "web/",
    "uvicorn": "web/",
    "jinja2": "web/",
    "click": "cli/",
    "rich": "cli/",
}
# Pure stages must not reach for the store, the validator or the skins.
PURE = ("sources/", "parse/", "extract/", "redact.py", "model.py", "rdf/")
IMPURE = {
    "escape_kg.store",
    "escape_kg.validate",
    "escape_kg.api",
    "escape_kg.cli",
    "escape_kg.web",
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_heavy_dependencies_have_one_owner(path: Path) -> None:
    for module in imports(path):
        top = module.split(".")[0]
        owner = OWNERS.get(top)
        if owner is not None:
            assert rel(path) == owner or (rel(path).startswith(owner) and owner.endswith("/")), (
                f"{rel(path)} imports {top}; only {owner} may"
            )


@pytest.mark.parametrize("path", [p for p in MODULES if rel(p).startswith(PURE)], ids=rel)
def test_pure_stages_do_not_touch_store_or_skins(path: Path) -> None:
    bad = {m for m in imports(path) if any(m == i or m.startswith(i + ".") for i in IMPURE)}
    assert not bad, f"{rel(path)} is a pure stage but imports {bad}"


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_every_module_starts_with_a_docstring(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{rel(path)} needs a one-line docstring saying its job"
