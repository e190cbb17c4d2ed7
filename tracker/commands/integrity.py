"""`tracker verify`, `tracker export` and `tracker import`: integrity checks and portable dumps."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tracker.commands.options import FILE, app, negotiation_option, wrote_to
from tracker.commands.output import Output, destination_options, output_options


@click.command("verify")
@click.option("--negotiation", "-n", metavar="ID", help="Check only this negotiation (default: the whole database).")
@click.option("--head", "kept", metavar="HASH", help="Also check that the history still holds this head, printed by an earlier verify, log or export.")
@output_options("verify")
@click.pass_context
def verify_command(ctx: click.Context, negotiation: str | None, kept: str | None, fmt: str, output: Path | None, force: bool,
                   no_pager: bool) -> None:
    """Recompute every hash and check lineage, sequence numbers and the history chain.

    Prints one line per problem, naming the draft and term, and exits with status 7 when
    anything was changed behind tracker's back. Each negotiation's history is a hash chain
    whose head is printed: kept elsewhere (a published export, a note), `--head` catches what
    the database alone cannot show — a removed last draft, or a history rewritten whole.

    \b
      tracker verify
      tracker verify -n acme-merger --head sha256:3f2a…

    \b
    Examples:
      tracker verify
      tracker verify -n acme-merger --head sha256:8c128210479e
    """
    from tracker.db.verify import check, check_head, parse_head
    from tracker.model.errors import IntegrityFailure, InvalidInput, NotFound

    out = Output(output, force, no_pager)
    if kept is not None:
        parse_head(kept)  # a malformed head is refused before any work
    try:
        summary = check(app(ctx).store(), negotiation)
    except NotFound as exc:
        if kept is None:
            raise
        # A head was kept for it, so it existed: its whole history is gone.
        raise IntegrityFailure(f"{exc.message}: the history whose head was kept ({kept.strip()}) is no longer in the database") from None
    if kept is not None:
        if len(summary.heads) != 1:
            raise InvalidInput("--head checks one negotiation's history: choose it with --negotiation")
        summary.problems += check_head(summary, kept)
    out.render("verify", fmt, summary)
    if summary.problems:
        raise IntegrityFailure(f"{_count(len(summary.problems), 'integrity problem')} found; the database was changed outside tracker")


@click.command("export")
@negotiation_option
@destination_options
@click.pass_context
def export_command(ctx: click.Context, negotiation: str | None, output: Path | None, force: bool, no_pager: bool) -> None:
    """Write a negotiation (default: the whole database) as a portable JSON file.

    The file holds every draft in sequence order with its full content and hashes;
    `tracker import` restores it, into another database or another kind of database.

    \b
      tracker export -o acme.json
      tracker export -n acme-merger | gzip > acme.json.gz

    \b
    Examples:
      tracker export -o deals.json
      tracker export -n acme-merger -o - | gzip > acme.json.gz
    """
    from tracker.input import portable

    out = Output(output, force, no_pager)
    data = portable.export(app(ctx).store(), negotiation)
    out.write([portable.dumps(data)])
    if not out.to_file:
        return
    drafts = sum(len(n["drafts"]) for n in data["negotiations"])
    click.echo(f"Exported {_count(len(data['negotiations']), 'negotiation')}, {_count(drafts, 'draft')} to {output}")


@click.command("import")
@click.argument("file", type=FILE)
@click.pass_context
def import_command(ctx: click.Context, file: Path) -> None:
    """Restore FILE, written by `tracker export` ('-' reads standard input).

    Every hash is checked before anything is written; then all or nothing, into an empty
    database or one already holding the same drafts.

    \b
    Examples:
      tracker --db sqlite:///copy.db import deals.json
      gunzip -c acme.json.gz | tracker import -
    """
    from tracker.input import portable

    if str(file) == "-":
        export_file = portable.read_stdin(sys.stdin.buffer)
    else:
        export_file = portable.read(file)
    if not export_file.validate():  # refuse a tampered file before opening the database
        click.echo("Nothing to import: the file holds no negotiations.")
        return
    store = app(ctx).store()
    heads = {entry["negotiation"].get("id"): entry.get("head") for entry in export_file.data["negotiations"]}
    for imported in portable.restore(store, export_file):
        total = len(imported.results)
        events = len(export_file.events.get(imported.negotiation, []))
        click.echo(f"Imported {imported.negotiation}: {_count(imported.created, 'draft')} recorded, {total - imported.created} already present"
                   + (f"; {_count(events, 'event')} in its history" if events else ""))
        here, there = store.head(imported.negotiation), heads.get(imported.negotiation)
        if there and here != there:
            # Drafts recorded here first, at other times, make another (sound) history: say so,
            # or a later `verify --head` with the file's head would look like tampering.
            click.echo(f"  its history here has head {here}, not the file's {there}: some drafts were recorded here"
                       " before; keep this head for `verify --head`")
    wrote_to(ctx)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
