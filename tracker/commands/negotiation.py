"""Creating and listing negotiations."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.commands.options import app, wrote_to
from tracker.commands.output import Output, output_options


@click.command("negotiations")
@output_options("negotiations")
@click.pass_context
def negotiations_command(ctx: click.Context, fmt: str, output: Path | None, force: bool, no_pager: bool) -> None:
    """List the negotiations in the database.

    \b
    Examples:
      tracker negotiations
    """
    out = Output(output, force, no_pager)
    out.render("negotiations", fmt, app(ctx).store().negotiations())


@click.group("negotiation")
def negotiation_command() -> None:
    """Create negotiations (or record a negotiation file with `tracker record`).

    \b
    Examples:
      tracker negotiation create acme-merger -t 'Acme / Widget merger' -p A=Acme -p W=Widget
      tracker record negotiation.yaml     # from a file, with preferences and sources
    """


@negotiation_command.command("create")
@click.argument("negotiation_id", metavar="ID")
@click.option("--title", "-t", required=True, help="A human title.")
@click.option(
    "--party", "-p", "parties", multiple=True, required=True, metavar="CODE=Name[,alias...]",
    help="A party: short code, name and optional aliases, e.g. 'UA=Ukraine,Kyiv'. Repeat for each.",
)
@click.pass_context
def create_command(ctx: click.Context, negotiation_id: str, title: str, parties: tuple[str, ...]) -> None:
    """Create negotiation ID with its parties.

    \b
    Examples:
      tracker negotiation create acme-merger -t 'Acme / Widget merger' -p A=Acme -p 'W=Widget Co,Widget'
    """
    from pydantic import ValidationError

    from tracker.input.loading import describe_validation_error, format_loc
    from tracker.model.errors import Conflict, InvalidInput
    from tracker.model.termsheet import Negotiation, negotiation_input_problems

    party_docs = []
    for spec in parties:
        code, sep, rest = spec.partition("=")
        names = [n.strip() for n in rest.split(",") if n.strip()]
        if not sep or not code.strip() or not names:
            raise InvalidInput(f"--party {spec!r}: expected CODE=Name[,alias...]")
        party_docs.append({"code": code.strip(), "name": names[0], "aliases": names[1:]})
    try:
        neg = Negotiation.model_validate({"id": negotiation_id, "title": title, "parties": party_docs})
    except ValidationError as exc:
        loc, msg = describe_validation_error(exc)
        raise InvalidInput(f"{format_loc(loc) or 'negotiation'}: {msg}") from None
    for loc, msg in negotiation_input_problems(neg):
        raise InvalidInput(f"{format_loc(loc)}: {msg}")
    if not app(ctx).store().add_negotiation(neg):
        raise Conflict(f"negotiation {neg.id!r} already exists")
    click.echo(f"Created negotiation {neg.id} with parties {', '.join(p.code for p in neg.parties)}")
    wrote_to(ctx)
