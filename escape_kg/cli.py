"""The ``escape-kg`` command line: parse arguments, call KnowledgeGraph, print.

Exit codes (a contract, see the README): 0 success / conforms, 1 a document
does not conform to the shapes, 2 an error (unreadable input, bad query,
store problem).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from escape_kg import __version__
from escape_kg.api import ImportOutcome, KnowledgeGraph
from escape_kg.config import Settings, default_store_path
from escape_kg.errors import EscapeKGError
from escape_kg.rdf.namespaces import PREFIXES
from escape_kg.store import DUMP_FORMATS, QueryResult

__all__ = ["main"]

P = ParamSpec("P")
R = TypeVar("R")

# Files `import` picks up when given a folder.
MINUTES_SUFFIXES = {".txt", ".text", ".md"}


class CliError(click.ClickException):
    """An EscapeKGError on its way out: message on stderr, exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        Console(stderr=True).print(
            f"[bold red]error:[/] {self.message}", highlight=False, soft_wrap=True
        )


def _errors_to_exit_codes(func: Callable[P, R]) -> Callable[P, R]:
    """Turn library errors into a clean message and exit code 2 (never a traceback)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except EscapeKGError as exc:
            raise CliError(str(exc)) from exc

    return wrapper


def _store_option(func: Callable[P, R]) -> Callable[P, R]:
    return click.option(
        "--store",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Store folder (default: $ESCAPE_KG_STORE, else ~/.local/share/escape-kg/store).",
    )(func)


def _date_option(func: Callable[P, R]) -> Callable[P, R]:
    return click.option(
        "--date",
        "date",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Meeting date YYYY-MM-DD, when the minutes do not say it.",
    )(func)


def _table_console() -> Console:
    """A console for tables: piped output gets wide lines instead of 80 columns."""
    console = Console()
    return console if console.is_terminal else Console(width=400)


def _open(store: Path | None) -> KnowledgeGraph:
    return KnowledgeGraph.open(Settings.load(store=store))


def _as_date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="escape-kg")
def main() -> None:
    """Turn meeting minutes into a validated, queryable linked-data knowledge graph.

    Typical use: `escape-kg import minutes.txt`, then `escape-kg query "..."`.
    Exit codes: 0 ok, 1 a document does not conform to the shapes, 2 error.
    """


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
@_store_option
@_date_option
@click.option("--force", is_flag=True, help="Store documents even if they violate the shapes.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, exists=False))
@_errors_to_exit_codes
def import_(
    store: Path | None, date: dt.datetime | None, force: bool, files: tuple[Path, ...]
) -> None:
    """Import minutes FILES (or folders of .txt minutes) into the store.

    Each file is redacted, parsed, validated and, if it conforms, replaces its
    meeting's graph in one step. Re-importing an unchanged file changes
    nothing. Exit code 0 when every file was stored or unchanged, 1 when one was
    refused by the shapes, 2 when one could not be read.
    """
    console = Console(stderr=True)
    paths = list(_expand(files))
    with _open(store) as kg:
        outcomes = _import_all(kg, console, paths, _as_date(date), force)
        where = kg.settings.store
    counts = {
        s: sum(1 for o in outcomes if o.status == s)
        for s in ("imported", "forced", "unchanged", "refused", "failed")
    }
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    console.print(
        f"{len(outcomes)} file(s): {summary}; store {where}", highlight=False, soft_wrap=True
    )
    sys.exit(max((o.exit_code for o in outcomes), default=0))


# -- validate -------------------------------------------------------------------


@main.command()
@_date_option
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
            report = kg.validate_file(path, date=_as_date(date))
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


# -- query ----------------------------------------------------------------------

QUERY_FORMATS = ["table", "csv", "tsv", "json", "xml", "turtle", "ntriples", "jsonld"]


def _compact(term: object) -> str:
    if term is None:
        return ""
    text = str(term)
    for prefix, ns in PREFIXES.items():
        if text.startswith(ns) and len(text) > len(ns):
            return f"{prefix}:{text[len(ns) :]}"
    return text


def _query_text(arg: str) -> str:
    """The query itself, from stdin ("-"), a file, or the argument as written."""
    if arg == "-":
        return sys.stdin.read()
    # A query has braces or several lines; only short one-liners can be file names.
    if "{" in arg or "\n" in arg:
        return arg
    path = Path(arg)
    if path.suffix.lower() in {".rq", ".sparql"} or path.is_file():
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot read the query file {arg}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise CliError(f"the query file {arg} is not UTF-8 text") from exc
    return arg


@main.command()
@_store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(QUERY_FORMATS),
    default="table",
    show_default=True,
    help="table for people; csv/tsv/json/xml (SPARQL results) for SELECT and ASK; "
    "turtle/ntriples/jsonld for CONSTRUCT and DESCRIBE.",
)
@click.option(
    "--name",
    "name",
    default=None,
    help="Run the catalogue query NAME instead (see `escape-kg queries`).",
)
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A parameter of a catalogue query (or of a .rq file with a header); repeatable.",
)
@click.argument("query", required=False)
@_errors_to_exit_codes
def query(
    store: Path | None, fmt: str, name: str | None, params: tuple[str, ...], query: str | None
) -> None:
    """Run a SPARQL QUERY (text, a .rq file, or - for stdin) over all graphs,
    or a named catalogue query with --name NAME --param key=value.

    The prefixes schema: ekg: org: oa: prov: dcterms: dcat: skos: fabio:
    frapo: owl: rdf: rdfs: xsd: are predeclared. Parameter values are bound as
    typed RDF terms, never pasted into the query.
    """
    values = _key_values(params)
    if (name is None) == (query is None):
        raise click.UsageError("give either a QUERY or --name NAME")
    with _open(store) as kg:
        if name is not None:
            result = kg.run_named(name, values)
        else:
            assert query is not None
            result = kg.run_text(_query_text(query), values)
        _print_result(result, fmt)


def _key_values(params: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        values[key.strip()] = value
    return values


@main.command("queries")
@_errors_to_exit_codes
def queries_() -> None:
    """List the catalogue of named queries with their parameters and defaults."""
    kg = KnowledgeGraph.memory(Settings.load())
    console = _table_console()
    for entry in sorted(kg.catalogue().values(), key=lambda q: q.name):
        console.print(f"[bold]{entry.name}[/]: {entry.title}", highlight=False)
        console.print(f"  {entry.description}", highlight=False, markup=False)
        for p in entry.parameters:
            default = "required" if p.default is None else f"default {p.default!r}"
            console.print(
                f"  --param {p.name}=<{p.type}>  {p.description} ({default})",
                highlight=False,
                markup=False,
            )


def _print_result(result: QueryResult, fmt: str) -> None:
    if fmt != "table":
        if result.kind == "graph" and fmt in {"csv", "tsv", "json", "xml"}:
            fmt = "turtle"
        elif result.kind != "graph" and fmt in {"turtle", "ntriples", "jsonld"}:
            fmt = "json"
        sys.stdout.buffer.write(result.serialize(fmt))
        return
    console = _table_console()
    if result.kind == "ask":
        console.print("yes" if result.boolean else "no")
        return
    if result.kind == "graph":
        sys.stdout.buffer.write(result.serialize("turtle"))
        return
    table = Table(*result.variables, show_lines=False)
    rows = 0
    for row in result.rows():
        table.add_row(*(_compact(term) for term in row))
        rows += 1
    console.print(table)
    Console(stderr=True).print(f"{rows} row(s)")


# -- graphs, export, load -----------------------------------------------------------


@main.command()
@_store_option
@_errors_to_exit_codes
def graphs(store: Path | None) -> None:
    """List the named graphs in the store: one per minutes document, plus the
    reference vocabulary and the ontology."""
    with _open(store) as kg:
        summaries = kg.graphs()
    table = Table("graph", "kind", "triples", "date", "title", "source", "imported at")
    for g in summaries:
        table.add_row(
            g.iri,
            g.kind,
            str(g.triples),
            g.date or "",
            g.title or "",
            g.source or "",
            g.imported_at or "",
        )
    _table_console().print(table)


@main.command()
@_store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(DUMP_FORMATS)),
    default="trig",
    show_default=True,
    help="TriG or N-Quads; both keep the named graphs.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@_errors_to_exit_codes
def export(store: Path | None, fmt: str, output: Path | None) -> None:
    """Write the whole dataset (every named graph) as TriG or N-Quads."""
    with _open(store) as kg:
        if output is None:
            kg.export(sys.stdout.buffer, fmt)
            return
        tmp = output.with_name(output.name + ".part")
        try:
            with tmp.open("wb") as fh:
                kg.export(fh, fmt)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CliError(f"cannot write {output}: {exc.strerror}") from exc
    try:
        tmp.replace(output)  # never leave a half-written export under the real name
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CliError(f"cannot write {output}: {exc.strerror}") from exc
    Console(stderr=True).print(f"wrote {output}")


@main.command()
@_store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(DUMP_FORMATS)),
    default=None,
    help="Format of FILE (default: from its suffix, .trig or .nq).",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_errors_to_exit_codes
def load(store: Path | None, fmt: str | None, file: Path) -> None:
    """Restore an export made by `escape-kg export` (each graph replaced whole)."""
    if fmt is None:
        fmt = "nquads" if file.suffix.lower() in {".nq", ".nquads"} else "trig"
    with _open(store) as kg, file.open("rb") as fh:
        graphs = kg.load(fh, fmt)
    Console(stderr=True).print(f"restored {len(graphs)} graph(s) from {file}")


# -- register -----------------------------------------------------------------------

REGISTER_FORMATS = ["dcat-ap", "void", "sd", "schemaorg", "eosc"]


@main.command()
@_store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(REGISTER_FORMATS),
    default="dcat-ap",
    show_default=True,
    help="dcat-ap (DCAT-AP 3 catalogue), void, sd (SPARQL service description): Turtle; "
    "schemaorg: schema.org Dataset JSON-LD; eosc: EOSC resource profile JSON.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Print what a registry would reject and the setting that fixes each; "
    "exit 1 if anything is found.",
)
@click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="Public address of the server, e.g. https://kg.example.org/ "
    "(default: $ESCAPE_KG_PUBLIC_URL, else http://127.0.0.1:8000/).",
)
@_errors_to_exit_codes
def register(
    store: Path | None, fmt: str, output: Path | None, check: bool, base_url: str | None
) -> None:
    """Print (or write) the metadata registries harvest, from the store's real
    statistics and the ESCAPE_KG_* settings (title, publisher, contact, licence...).

    Nothing is sent anywhere. With --check, report the problems instead: exit
    code 0 when the documents are ready to register, 1 when something needs a
    setting.
    """
    settings = Settings.load(store=store, public_url=base_url)
    with KnowledgeGraph.open(settings) as kg:
        urls = kg.registry_urls()
        if check:
            problems = kg.registry_problems(urls)
        else:
            text = kg.registry_document(fmt, urls)
    if check:
        err = Console(stderr=True)
        for problem in problems:
            err.print(f"[yellow]✘[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
        if problems:
            err.print(f"{len(problems)} problem(s) to fix before registering", highlight=False)
            sys.exit(1)
        err.print("[green]✔[/] ready to register", highlight=False)
        return
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror}") from exc
    Console(stderr=True).print(f"wrote {output}", highlight=False)


# -- serve --------------------------------------------------------------------------


@main.command()
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Store folder to serve (default: $ESCAPE_KG_STORE, else the default store if "
    "it exists; with none of these, the bundled example minutes are served from memory).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on.",
)
@click.option(
    "--base",
    default=None,
    help="Base of minted IRIs (default: $ESCAPE_KG_BASE, else https://w3id.org/escape-kg/id/).",
)
@click.option(
    "--query-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Stop a query after this long (default: $ESCAPE_KG_QUERY_TIMEOUT, else 30).",
)
@click.option(
    "--query-workers",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Processes that run queries (default: $ESCAPE_KG_QUERY_WORKERS, else 2; "
    "0 runs them in the server, with no time limit).",
)
@click.option(
    "--allow-updates",
    is_flag=True,
    default=False,
    help="Accept SPARQL updates and Graph Store writes from clients that send the "
    "bearer token in $ESCAPE_KG_TOKEN (refused to start without one).",
)
@_errors_to_exit_codes
def serve(
    store: Path | None,
    host: str,
    port: int,
    base: str | None,
    query_timeout: float | None,
    query_workers: int | None,
    allow_updates: bool,
) -> None:
    """Serve the knowledge graph over HTTP: a SPARQL 1.1 endpoint at /sparql
    (read only unless --allow-updates) and the Graph Store Protocol at /store.

    Serves --store, else $ESCAPE_KG_STORE, else the default store once
    `escape-kg import` has created it; on a fresh install, with none of these,
    it serves the bundled example minutes from memory.
    """
    from escape_kg.web import serve as run_server  # fastapi loads only when serving

    settings = Settings.load(
        store=store,
        base=base,
        query_timeout=query_timeout,
        query_workers=query_workers,
        allow_updates=True if allow_updates else None,
    )
    console = Console(stderr=True)
    chosen = store is not None or bool(os.environ.get("ESCAPE_KG_STORE"))
    if not chosen and (settings.store is None or not settings.store.exists()):
        kg = KnowledgeGraph.demo(settings)
        console.print("serving the bundled example minutes (in memory; --store DIR serves a store)")
    else:
        kg = KnowledgeGraph.open(settings)
    shown = f"[{host}]" if ":" in host else host
    console.print(f"SPARQL endpoint: http://{shown}:{port}/sparql", highlight=False)
    writes = "on (bearer token required)" if settings.allow_updates else "off"
    console.print(
        f"query time limit {settings.query_timeout:g} s, {settings.query_workers} worker(s); "
        f"updates {writes}",
        highlight=False,
    )
    run_server(kg, host=host, port=port)


@main.command()
def where() -> None:
    """Print the store folder that commands use by default."""
    click.echo(str(Settings.load().store or default_store_path()))
