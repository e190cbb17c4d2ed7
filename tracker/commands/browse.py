"""Read-only commands: log, show, parties."""

from __future__ import annotations

import click

from tracker.commands.options import app, emit_json, format_option, negotiation_option


@click.command("log")
@negotiation_option
@format_option()
@click.pass_context
def log_command(ctx: click.Context, negotiation: str | None, fmt: str) -> None:
    """List the drafts of a negotiation in the order they were recorded."""
    store = app(ctx).store()
    neg = store.negotiation(negotiation)
    records = store.log(neg.id)
    if fmt == "json":
        from tracker.render import jsonout

        emit_json(jsonout.log(neg, records, store.head(neg.id)))
    else:
        from tracker.render import text

        click.echo(text.log(neg, records, store.head(neg.id)))


@click.command("show")
@click.argument("ref", default="latest")
@negotiation_option
@format_option()
@click.option("--quotes", is_flag=True, help="Also print each term's quoted evidence.")
@click.pass_context
def show_command(ctx: click.Context, ref: str, negotiation: str | None, fmt: str, quotes: bool) -> None:
    """Show draft REF: a draft id, vN, latest, or a hash prefix."""
    store = app(ctx).store()
    neg = store.negotiation(negotiation)
    loaded = store.read(ref, neg.id)
    store.check_draft(loaded.record)  # what is shown as a recorded draft still matches its hashes
    carried = _carried(store, neg, loaded.record) if loaded.record.header.coverage == "partial" else {}
    if fmt == "json":
        from tracker.render import jsonout

        emit_json(jsonout.draft(loaded.record, loaded.draft, carried))
    else:
        from tracker.render import text

        click.echo(text.draft(neg, loaded.record, loaded.draft, quotes=quotes, carried=carried))


def _carried(store, negotiation, record):  # type: ignore[no-untyped-def]
    """What a partial draft carries over from its parents, unconfirmed: key → (term, origin)."""
    from tracker.history import load

    view = load(store, negotiation)
    return {k: (view.value(s), s.origin) for k, s in view.carried_over(record.id).items()}


@click.command("parties")
@negotiation_option
@format_option()
@click.pass_context
def parties_command(ctx: click.Context, negotiation: str | None, fmt: str) -> None:
    """List the parties of a negotiation, with their aliases."""
    neg = app(ctx).store().negotiation(negotiation)
    if fmt == "json":
        from tracker.render import jsonout

        emit_json(jsonout.parties(neg))
    else:
        from tracker.render import text

        click.echo(text.parties(neg))
