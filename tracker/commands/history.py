"""`tracker blame`, `history`, `positions` and `gap`: where terms came from, where parties stand."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.commands.options import app, corrected_option, negotiation_option
from tracker.commands.output import Output, output_options

as_of_option = click.option("--as-of", "as_of", metavar="YYYY-MM-DD",
                            help="Only drafts dated on or before this day, with the statuses and evidence known by then.")


def _view(ctx: click.Context, negotiation: str | None, *, as_of=None, corrected: bool = False, keys=None):  # type: ignore[no-untyped-def]
    from tracker.history.reading import load

    store = app(ctx).store()
    return load(store, store.negotiation(negotiation), as_of=as_of, corrected=corrected, keys=keys)


def _as_of(text: str | None):  # type: ignore[no-untyped-def]
    from tracker.history.reading import parse_date

    return parse_date(text) if text is not None else None


@click.command("blame")
@click.argument("ref", default="latest")
@negotiation_option
@output_options("blame")
@corrected_option
@click.pass_context
def blame_command(ctx: click.Context, ref: str, negotiation: str | None, fmt: str, output: Path | None, force: bool,
                  no_pager: bool, corrected: bool) -> None:
    """For each term of draft REF (default: latest), the draft, party, date and sources that
    gave it its current value: where it first appeared in REF's lineage, following renames.

    \b
    Examples:
      tracker blame
      tracker blame counter --format json
    """
    from tracker.history.blame import blame
    from tracker.history.reading import resolve

    out = Output(output, force, no_pager)
    view = _view(ctx, negotiation, corrected=corrected)
    _, note = resolve(view, ref)
    if note:
        click.echo(f"Note: {note}", err=True)
    out.render("blame", fmt, blame(view, ref), negotiation=view.negotiation)


@click.command("history")
@click.argument("key")
@negotiation_option
@output_options("history")
@corrected_option
@click.pass_context
def history_command(ctx: click.Context, key: str, negotiation: str | None, fmt: str, output: Path | None, force: bool,
                    no_pager: bool, corrected: bool) -> None:
    """The value of term KEY in every draft (all branches, by date), with who tabled each draft,
    who pushed each change, and the sources and quotes. Follows the term across renames.

    \b
    Examples:
      tracker history price
      tracker history fund.governance --format json
    """
    from tracker.history.reading import known_key
    from tracker.history.term_history import term_history

    out = Output(output, force, no_pager)
    view = _view(ctx, negotiation, corrected=corrected, keys=[key])  # the term's rows, and those of any key it had
    known_key(view, key)
    out.render("history", fmt, term_history(view, key), negotiation=view.negotiation)


@click.command("positions")
@as_of_option
@negotiation_option
@output_options("positions")
@corrected_option
@click.pass_context
def positions_command(ctx: click.Context, as_of: str | None, negotiation: str | None, fmt: str, output: Path | None, force: bool,
                      no_pager: bool, corrected: bool) -> None:
    """Each party's position on each term, and whether the term is agreed, open or unaddressed.

    A party's position is what the latest draft it tabled or co-tabled (and did not withdraw)
    says of the term — a value, or that the text leaves it out. A draft known only from reports
    (coverage partial) states only what the reports say: the rest is not its position.

    \b
    Examples:
      tracker positions
      tracker positions --as-of 2025-03-05
    """
    from tracker.history.positions import positions

    out = Output(output, force, no_pager)
    day = _as_of(as_of)
    view = _view(ctx, negotiation, as_of=day, corrected=corrected)
    out.render("positions", fmt, view, positions(view, day))


@click.command("gap")
@click.argument("parties", nargs=-1, metavar="[PARTY PARTY]")
@as_of_option
@negotiation_option
@output_options("gap")
@corrected_option
@click.pass_context
def gap_command(ctx: click.Context, parties: tuple[str, ...], as_of: str | None, negotiation: str | None, fmt: str, output: Path | None, force: bool,
                no_pager: bool, corrected: bool) -> None:
    """The open terms between two parties (default: the only two) and how far apart they are,
    the terms only one of them has addressed, and the share agreed at each draft date —
    agreed ÷ (agreed + open): are the sides converging?

    \b
    Examples:
      tracker gap
      tracker gap A W --as-of 2025-03-05
    """
    from tracker.history.positions import gap
    from tracker.history.reading import gap_parties

    out = Output(output, force, no_pager)
    day = _as_of(as_of)
    view = _view(ctx, negotiation, as_of=day, corrected=corrected)
    a, b = gap_parties(view.negotiation, parties)
    out.render("gap", fmt, view, gap(view, a, b, day))
