"""`escape-kg people`: doubtful pairs of people, and the merges a human decides."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from escape_kg.cli.common import errors_to_exit_codes, main, open_kg, store_option, table_console

__all__ = ["people"]


@main.command()
@store_option
@click.option("--candidates", is_flag=True, help="List pairs of people that may be one person.")
@click.option(
    "--merge",
    nargs=2,
    metavar="A B",
    default=None,
    help="Record that A and B (IRIs or keys like person/kay-graf) are one person.",
)
@click.option("--unmerge", nargs=2, metavar="A B", default=None, help="Undo the merge of A and B.")
@click.option("--list-merges", is_flag=True, help="List the merges in force.")
@click.option("--note", default="", help="Why (kept with a merge or unmerge).")
@errors_to_exit_codes
def people(
    store: Path | None,
    candidates: bool,
    merge: tuple[str, str] | None,
    unmerge: tuple[str, str] | None,
    list_merges: bool,
    note: str,
) -> None:
    """Find people who may be one person across meetings, and merge or unmerge them.

    Exact names already share one IRI (case, honorifics, accents and hyphens do not
    matter); `--candidates` lists the doubtful pairs (initials, one-letter spellings,
    swapped names) for a human to confirm with `--merge A B`. A merge is stored as
    owl:sameAs with who, when and why in the graph {base}graph/identity.
    """
    chosen = [bool(candidates), merge is not None, unmerge is not None, bool(list_merges)]
    if sum(chosen) != 1:
        raise click.UsageError(
            "give exactly one of --candidates, --merge, --unmerge, --list-merges"
        )
    with open_kg(store) as kg:
        if merge is not None:
            done = kg.merge_people(*merge, note=note)
            click.echo(f"merged {done.a} and {done.b} ({done.activity})")
        elif unmerge is not None:
            undone = kg.unmerge_people(*unmerge, note=note)
            click.echo(f"unmerged {undone.a} and {undone.b} (merge {undone.activity})")
        elif candidates:
            table = Table("A", "B", "names", "reason")
            for c in kg.person_candidates():
                table.add_row(c.a, c.b, f"{c.a_name} / {c.b_name}", c.reason)
            table_console().print(table)
        else:
            table = Table("A", "B", "by", "at", "note")
            for m in kg.merges():
                table.add_row(m.a, m.b, m.who, m.at, m.note)
            table_console().print(table)
