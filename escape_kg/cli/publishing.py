"""`escape-kg register`, `serve` and `where`: publishing the knowledge graph."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import click
from rich.console import Console
from rich.markup import escape

from escape_kg.api import KnowledgeGraph
from escape_kg.cli.common import (
    CliError,
    StoreLocation,
    errors_to_exit_codes,
    main,
    store_option,
)
from escape_kg.config import Settings, default_store_path

__all__ = ["register", "serve", "where"]

# -- register -----------------------------------------------------------------------

REGISTER_FORMATS = ["dcat-ap", "void", "sd", "schemaorg", "eosc"]


@main.command()
@store_option
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
@errors_to_exit_codes
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
    type=StoreLocation(),
    default=None,
    help="Store folder, or the URL of a SPARQL store, to serve (default: $ESCAPE_KG_STORE, "
    "else the default store if it exists; with none of these, the bundled example minutes "
    "are served from memory).",
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
    "--query-wait",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="How long a request may wait for a busy query worker before it is answered "
    "503 with Retry-After (default: $ESCAPE_KG_QUERY_WAIT, else 30).",
)
@click.option(
    "--allow-updates",
    is_flag=True,
    default=False,
    help="Accept SPARQL updates and Graph Store writes from clients that send the "
    "bearer token in $ESCAPE_KG_TOKEN (refused to start without one).",
)
@errors_to_exit_codes
def serve(
    store: Path | str | None,
    host: str,
    port: int,
    base: str | None,
    query_timeout: float | None,
    query_workers: int | None,
    query_wait: float | None,
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
        query_wait=query_wait,
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
        f"query time limit {settings.query_timeout:g} s, {settings.query_workers} worker(s), "
        f"waiting up to {settings.query_wait:g} s for one; "
        f"updates {writes}",
        highlight=False,
    )
    signal.signal(signal.SIGTERM, _stopped_by_signal)
    try:
        run_server(kg, host=host, port=port)
    except SystemExit as stop:
        if stop.code != 0:
            raise
    finally:
        kg.close()  # after uvicorn has stopped the query workers: flush, release the lock
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    deadline = time.monotonic() + 2.0  # idle request threads end as soon as they are told
    for thread in others:
        thread.join(max(0.0, deadline - time.monotonic()))
    busy = [t for t in others if t.is_alive()]
    if busy:
        # Requests still rendering past the grace period (pages have no time limit) run in
        # threads the interpreter would wait for; everything written is flushed, so go now.
        console.print(f"stopped ({len(busy)} request(s) cut short)", highlight=False)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    console.print("stopped", highlight=False)


def _stopped_by_signal(signum: int, frame: FrameType | None) -> None:
    # uvicorn catches SIGTERM itself, shuts down, then raises the signal again for the
    # handler it found, this one: the process then closes the store and exits 0, as
    # service managers expect of a requested stop, instead of dying of the signal.
    raise SystemExit(0)


@main.command()
def where() -> None:
    """Print the store folder that commands use by default."""
    click.echo(str(Settings.load().store or default_store_path()))
