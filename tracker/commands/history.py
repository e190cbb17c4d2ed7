"""`tracker blame`, `history`, `positions` and `gap`: where terms came from, where parties stand."""

from __future__ import annotations

import click

from tracker.commands.options import app, emit_json, format_option, negotiation_option

as_of_option = click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Only drafts dated on or before this day.")


def _snapshot(ctx: click.Context, negotiation: str | None):  # type: ignore[no-untyped-def]
    from tracker.history import Snapshot

    store = app(ctx).store()
    return Snapshot.load(store, store.negotiation(negotiation))


def _as_of(text: str | None):  # type: ignore[no-untyped-def]
    from tracker.history import parse_date

    return parse_date(text) if text is not None else None


@click.command("blame")
@click.argument("ref", default="latest")
@negotiation_option
@format_option()
@click.pass_context
def blame_command(ctx: click.Context, ref: str, negotiation: str | None, fmt: str) -> None:
    """For each term of draft REF (default: latest), the draft, party, date and sources that
    gave it its current value: where it first appeared in REF's lineage, following renames."""
    from tracker import history

    snap = _snapshot(ctx, negotiation)
    b = history.blame(snap, ref)
    if fmt == "json":
        from tracker.render import jsonout

        emit_json(jsonout.blame(snap.negotiation, b))
    else:
        from tracker.render import text_history

        click.echo(text_history.blame(b))


@click.command("history")
@click.argument("key")
@negotiation_option
@format_option()
@click.pass_context
def history_command(ctx: click.Context, key: str, negotiation: str | None, fmt: str) -> None:
    """The value of term KEY in every draft (all branches, by date), with who tabled each draft,
    who pushed each change, and the sources and quotes. Follows the term across renames."""
    from tracker import history

    snap = _snapshot(ctx, negotiation)
    h = history.term_history(snap, key)
    if fmt == "json":
        from tracker.render import jsonout

        emit_json(jsonout.term_history(snap.negotiation, h))
    else:
        from tracker.render import text_history

        click.echo(text_history.term_history(h))


@click.command("positions")
@as_of_option
@negotiation_option
@format_option()
@click.pass_context
def positions_command(ctx: click.Context, as_of: str | None, negotiation: str | None, fmt: str) -> None:
    """Each party's latest position on each term, and whether the term is agreed, open or
    dropped by everyone.

    A party's position is the term's value in the latest draft it tabled or co-tabled, or in
    which the term says it was pushed by that party.
    """
    from tracker import history

    day = _as_of(as_of)
    snap = _snapshot(ctx, negotiation)
    p = history.positions(snap, day)
    if fmt == "json":
        from tracker.render import jsonout

        emit_json(jsonout.positions(snap.negotiation, p))
    else:
        from tracker.render import text_history

        click.echo(text_history.positions(p, snap.negotiation))


@click.command("gap")
@click.argument("parties", nargs=-1, metavar="[PARTY PARTY]")
@as_of_option
@negotiation_option
@format_option()
@click.pass_context
def gap_command(ctx: click.Context, parties: tuple[str, ...], as_of: str | None, negotiation: str | None, fmt: str) -> None:
    """The open terms between two parties (default: the only two) and how far apart they are,
    and the share of terms agreed at each draft date: are the sides converging?"""
    from tracker import history

    day = _as_of(as_of)
    snap = _snapshot(ctx, negotiation)
    a, b = history.gap_parties(snap.negotiation, parties)
    g = history.gap(snap, a, b, day)
    if fmt == "json":
        from tracker.render import jsonout

        emit_json(jsonout.gap(snap.negotiation, g))
    else:
        from tracker.render import text_history

        click.echo(text_history.gap(g, snap.negotiation))
