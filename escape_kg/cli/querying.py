"""`escape-kg query`, `queries`, `graphs`, `export` and `load`: reading the store."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from escape_kg.api import KnowledgeGraph
from escape_kg.cli.common import (
    CliError,
    errors_to_exit_codes,
    main,
    open_kg,
    store_option,
    table_console,
)
from escape_kg.config import Settings
from escape_kg.paging import MAX_DIGITS, Page, paged
from escape_kg.rdf.namespaces import PREFIXES
from escape_kg.store import DUMP_FORMATS, QueryResult

__all__ = ["export", "graphs", "load", "queries_", "query"]

# -- query ----------------------------------------------------------------------

PAGE_MAX = 10**MAX_DIGITS - 1
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
@store_option
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
@click.option(
    "--limit",
    type=click.IntRange(0, PAGE_MAX),
    default=None,
    help="Print at most this many rows (SELECT only; applied inside the query).",
)
@click.option(
    "--offset",
    type=click.IntRange(0, PAGE_MAX),
    default=0,
    show_default=True,
    help="Skip this many rows first (SELECT only); with --limit, pages through an answer.",
)
@click.argument("query", required=False)
@errors_to_exit_codes
def query(
    store: Path | None,
    fmt: str,
    name: str | None,
    params: tuple[str, ...],
    limit: int | None,
    offset: int,
    query: str | None,
) -> None:
    """Run a SPARQL QUERY (text, a .rq file, or - for stdin) over all graphs,
    or a named catalogue query with --name NAME --param key=value.

    The prefixes schema: ekg: org: oa: prov: dcterms: dcat: skos: fabio:
    frapo: owl: rdf: rdfs: xsd: are predeclared. Parameter values are bound as
    typed RDF terms, never pasted into the query. --limit and --offset become a
    LIMIT and OFFSET of the query, taken within any the query has itself.
    """
    values = _key_values(params)
    if (name is None) == (query is None):
        raise click.UsageError("give either a QUERY or --name NAME")
    page = Page(limit, offset)
    with open_kg(store, existing=True) as kg:
        if name is not None:
            result = kg.run_named(name, values, page=page)
        else:
            assert query is not None
            result = kg.run_text(paged(_query_text(query), page), values)
        _print_result(result, fmt, offset)


def _key_values(params: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        values[key.strip()] = value
    return values


@main.command("queries")
@errors_to_exit_codes
def queries_() -> None:
    """List the catalogue of named queries with their parameters and defaults."""
    kg = KnowledgeGraph.memory(Settings.load())
    console = table_console()
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
    console.print(
        "Every query also takes --limit N and --offset N: one page of its rows.",
        highlight=False,
        markup=False,
    )


def _print_result(result: QueryResult, fmt: str, offset: int = 0) -> None:
    if fmt != "table":
        if result.kind == "graph" and fmt in {"csv", "tsv", "json", "xml"}:
            fmt = "turtle"
        elif result.kind != "graph" and fmt in {"turtle", "ntriples", "jsonld"}:
            fmt = "json"
        sys.stdout.buffer.write(result.serialize(fmt))
        return
    console = table_console()
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
    first = f", rows {offset + 1}–{offset + rows}" if offset and rows else ""
    Console(stderr=True).print(f"{rows} row(s){first}")


# -- graphs, export, load -----------------------------------------------------------


@main.command()
@store_option
@errors_to_exit_codes
def graphs(store: Path | None) -> None:
    """List the named graphs in the store: one per minutes document, plus the
    reference vocabulary and the ontology."""
    with open_kg(store, existing=True) as kg:
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
    table_console().print(table)


@main.command()
@store_option
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
@errors_to_exit_codes
def export(store: Path | None, fmt: str, output: Path | None) -> None:
    """Write the whole dataset (every named graph) as TriG or N-Quads."""
    with open_kg(store, existing=True) as kg:
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
@store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(DUMP_FORMATS)),
    default=None,
    help="Format of FILE (default: from its suffix, .trig or .nq).",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@errors_to_exit_codes
def load(store: Path | None, fmt: str | None, file: Path) -> None:
    """Restore an export made by `escape-kg export` (each graph replaced whole)."""
    if fmt is None:
        fmt = "nquads" if file.suffix.lower() in {".nq", ".nquads"} else "trig"
    with open_kg(store) as kg, file.open("rb") as fh:
        graphs = kg.load(fh, fmt)
    Console(stderr=True).print(f"restored {len(graphs)} graph(s) from {file}")
