"""`escape-kg import` and `escape-kg validate`: minutes in, reports out."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from escape_kg.api import ImportOutcome, KnowledgeGraph
from escape_kg.cli.common import (
    as_date,
    date_option,
    errors_to_exit_codes,
    main,
    open_kg,
    store_option,
)
from escape_kg.config import Settings
from escape_kg.errors import EscapeKGError

__all__ = ["import_", "validate"]

# Files `import` picks up when given a folder.
MINUTES_SUFFIXES = {".txt", ".text", ".md", ".html", ".htm", ".json", ".ics"}

# -- import ---------------------------------------------------------------------


def _expand(paths: tuple[Path, ...]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MINUTES_SUFFIXES
            )
        else:
            yield path


def _redaction_note(outcome: ImportOutcome) -> str:
    found = {k: v for k, v in outcome.redactions.items() if v}
    if not found:
        return "no secrets found"
    return "redacted " + ", ".join(f"{n} {kind}" for kind, n in sorted(found.items()))


def _print_outcome(console: Console, outcome: ImportOutcome) -> None:
    name = outcome.path
    if outcome.status == "failed":
        console.print(f"[red]✘ failed[/]    {outcome.error}", highlight=False, soft_wrap=True)
        return
    what = f"{outcome.date} {outcome.title!r}"
    if outcome.status == "kept":
        console.print(
            f"[blue]✔ kept[/]      {name} → {what}: not stored, {outcome.reason}",
            highlight=False,
            soft_wrap=True,
        )
        return
    if outcome.status in {"imported", "forced", "unchanged"}:
        colour = {"imported": "green", "forced": "yellow", "unchanged": "blue"}[outcome.status]
        console.print(
            f"[{colour}]✔ {outcome.status:<9}[/] {name} → {what}: {outcome.triples} triples, "
            f"{_redaction_note(outcome)}",
            highlight=False,
            soft_wrap=True,
        )
    else:
        count = len(outcome.report.violations) if outcome.report else 0
        console.print(
            f"[red]✘ refused[/]   {name} → {what}: {count} violation(s); store unchanged",
            highlight=False,
            soft_wrap=True,
        )
    if outcome.report is not None and outcome.report.results:
        console.print(outcome.report.format_text(), highlight=False, markup=False, soft_wrap=True)


def _import_all(
    kg: KnowledgeGraph, console: Console, paths: list[Path], date: dt.date | None, force: bool
) -> list[ImportOutcome]:
    if len(paths) > 1 and console.is_terminal:
        with Progress(
            TextColumn("importing"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("import", total=len(paths))

            def advance(outcome: ImportOutcome) -> None:
                bar.update(task, advance=1)
                _print_outcome(bar.console, outcome)

            return kg.ingest_many(paths, date=date, force=force, progress=advance)
    return kg.ingest_many(
        paths, date=date, force=force, progress=lambda o: _print_outcome(console, o)
    )


@main.command("import")
@store_option
@date_option
@click.option("--force", is_flag=True, help="Store documents even if they violate the shapes.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, exists=False))
@errors_to_exit_codes
def import_(
    store: Path | None, date: dt.datetime | None, force: bool, files: tuple[Path, ...]
) -> None:
    """Import minutes FILES (or folders of them, searched recursively) into the store.

    Minutes may be plain text copied from an Indico page, a saved Indico page
    (.html), Indico export JSON or iCalendar (.ics); the format is recognised
    by content.

    Each file is redacted, parsed, validated and, if it conforms, replaces its
    meeting's graph in one step. Re-importing an unchanged file changes
    nothing. Exit code 0 when every file was stored or unchanged, 1 when one was
    refused by the shapes, 2 when one could not be read.
    """
    console = Console(stderr=True)
    paths = list(_expand(files))
    with open_kg(store) as kg:
        outcomes = _import_all(kg, console, paths, as_date(date), force)
        where = kg.store.location
    counts = {
        s: sum(1 for o in outcomes if o.status == s)
        for s in ("imported", "forced", "unchanged", "kept", "refused", "failed")
    }
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    console.print(
        f"{len(outcomes)} file(s): {summary}; store {where}", highlight=False, soft_wrap=True
    )
    sys.exit(max((o.exit_code for o in outcomes), default=0))


# -- validate -------------------------------------------------------------------


@main.command()
@date_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(date: dt.datetime | None, fmt: str, files: tuple[Path, ...]) -> None:
    """Check minutes (or RDF files: .ttl .nt .trig .jsonld .rdf) against the shapes.

    Nothing is stored. Each problem is named with the minutes line it comes
    from. Exit code 0 all conform, 1 violations found, 2 a file could not be read.
    """
    kg = KnowledgeGraph.memory(Settings.load())
    console = Console()
    err = Console(stderr=True)
    code = 0
    reports = []
    for path in files:
        try:
            report = kg.validate_file(path, date=as_date(date))
        except EscapeKGError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            code = 2
            continue
        if not report.conforms:
            code = max(code, 1)
        if fmt == "json":
            reports.append(report.to_dict())
        else:
            verdict = "[green]conforms[/]" if report.conforms else "[red]does not conform[/]"
            console.print(f"{path}: {verdict}", highlight=False)
            if report.results:
                console.print(report.format_text(), highlight=False, markup=False, soft_wrap=True)
    if fmt == "json":
        click.echo(json.dumps(reports, indent=2))
    sys.exit(code)
