"""The docs stay true: commands documented, __all__ exact, the two README commands intact."""

from __future__ import annotations

import importlib
import pkgutil
import re
import types
from pathlib import Path

import click
import pytest

import escape_kg
from escape_kg.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands() -> list[str]:
    return sorted(main.commands)


@pytest.mark.parametrize("name", commands())
def test_every_command_has_help_and_is_in_the_readme(name: str) -> None:
    command = main.commands[name]
    assert command.help and len(command.help.strip()) > 20, f"{name} needs help text"
    assert f"escape-kg {name}" in README, f"README does not document `escape-kg {name}`"
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in {"help"}:
            assert param.help or param.name in {"store", "date"}, (
                f"option {param.opts} of {name} needs help text"
            )


def test_package_all_is_exact() -> None:
    for name in escape_kg.__all__:
        assert getattr(escape_kg, name) is not None
    names = {n for n, v in vars(escape_kg).items() if not isinstance(v, types.ModuleType)}
    public = {n for n in names if not n.startswith("_")} - {"annotations", "TYPE_CHECKING", "Any"}
    assert public <= set(escape_kg.__all__), public - set(escape_kg.__all__)


# __main__ is left out: importing it runs the CLI.
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(escape_kg.__path__, "escape_kg.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("module_name", MODULES)
def test_module_all_names_exist(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in getattr(module, "__all__", []):
        assert hasattr(module, name), f"{module_name}.__all__ lists {name!r} but it is not defined"


def code_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)


def test_readme_starts_with_the_two_commands() -> None:
    first, second = code_blocks()[:2]
    assert "pip install" in first and "escape-kg serve" in first
    assert "pip install" in second and "pytest" in second


def test_ci_runs_the_readme_test_command() -> None:
    second = code_blocks()[1]
    assert second in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
