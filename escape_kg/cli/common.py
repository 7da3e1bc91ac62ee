"""Shared pieces of the command line: the `escape-kg` group, options, error handling."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from rich.console import Console

from escape_kg import __version__
from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings, is_remote
from escape_kg.errors import EscapeKGError, StoreError

__all__ = [
    "CliError",
    "StoreLocation",
    "as_date",
    "date_option",
    "errors_to_exit_codes",
    "main",
    "open_kg",
    "store_option",
    "table_console",
]

P = ParamSpec("P")
R = TypeVar("R")


class CliError(click.ClickException):
    """An EscapeKGError on its way out: message on stderr, exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        Console(stderr=True).print(
            f"[bold red]error:[/] {self.message}", highlight=False, soft_wrap=True
        )


def errors_to_exit_codes(func: Callable[P, R]) -> Callable[P, R]:
    """Turn library errors into a clean message and exit code 2 (never a traceback)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except EscapeKGError as exc:
            raise CliError(str(exc)) from exc

    return wrapper


class StoreLocation(click.ParamType[Any, Any]):
    """A store folder (a Path), or the URL of a remote SPARQL store (kept as a str: a
    Path would fold the "//" of the URL)."""

    name = "DIR|URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and is_remote(value):
            return value.strip()
        path = Path(value)
        if path.is_file():
            self.fail(f"{value} is a file, not a store folder", param, ctx)
        return path


def store_option(func: Callable[P, R]) -> Callable[P, R]:
    return click.option(
        "--store",
        type=StoreLocation(),
        default=None,
        help="Store folder, or the URL of a SPARQL store such as http://host:7878/query or "
        "virtuoso+http://host:8890 (default: $ESCAPE_KG_STORE, else "
        "~/.local/share/escape-kg/store).",
    )(func)


def date_option(func: Callable[P, R]) -> Callable[P, R]:
    return click.option(
        "--date",
        "date",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Meeting date YYYY-MM-DD, when the minutes do not say it.",
    )(func)


def table_console() -> Console:
    """A console for tables: piped output gets wide lines instead of 80 columns."""
    console = Console()
    return console if console.is_terminal else Console(width=400)


def open_kg(store: Path | str | None, *, existing: bool = False) -> KnowledgeGraph:
    """Open the store named by ``store``, the environment or the default.

    With ``existing``, a store folder that is not there is an error instead of a new
    empty store: reading commands must not leave an empty default store behind, or
    `escape-kg serve` would serve it instead of the bundled example.
    """
    settings = Settings.load(store=store)
    folder = settings.store
    if existing and not settings.store_url and folder is not None and not folder.exists():
        raise StoreError(
            f"there is no store at {folder}",
            hint="import minutes first (escape-kg import FILE...), or name a store "
            "with --store DIR / ESCAPE_KG_STORE",
        )
    return KnowledgeGraph.open(settings)


def as_date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="escape-kg")
def main() -> None:
    """Turn meeting minutes into a validated, queryable linked-data knowledge graph.

    Typical use: `escape-kg import minutes.txt`, then `escape-kg query "..."`.
    Exit codes: 0 ok, 1 a document does not conform to the shapes, 2 error.
    """
