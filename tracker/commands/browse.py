"""Read-only commands: log, show, parties."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.commands.options import app, negotiation_option
from tracker.commands.output import Output, output_options


@click.command("log")
@negotiation_option
@output_options("log")
@click.pass_context
def log_command(ctx: click.Context, negotiation: str | None, fmt: str, output: Path | None, force: bool, no_pager: bool) -> None:
    """List the drafts of a negotiation in the order they were recorded, with who recorded them,
    and the events recorded since: status changes, new evidence, corrections, revisions.

    \b
    Examples:
      tracker log
      tracker log -n acme-merger --format json
    """
    from tracker.db.engine import redact
    from tracker.model.events import apply

    out = Output(output, force, no_pager)
    store = app(ctx).store()
    history = store.history(negotiation)
    applied = apply(history.negotiation, history.records, history.events)
    out.render("log", fmt, history.negotiation, history.records, history.head, applied, database=redact(store.url))


@click.command("show")
@click.argument("ref", default="latest")
@negotiation_option
@output_options("draft")
@click.option("--quotes", is_flag=True, help="Also print each term's quoted evidence.")
@click.pass_context
def show_command(ctx: click.Context, ref: str, negotiation: str | None, fmt: str, output: Path | None, force: bool, no_pager: bool,
                 quotes: bool) -> None:
    """Show draft REF (a draft id, vN, latest, or a hash prefix), with what was recorded about it since.

    `--format yaml` writes the draft as a file `tracker record` takes back: recorded under a
    new id, its terms get the same hashes.

    \b
    Examples:
      tracker show latest --quotes
      tracker show v2 --format yaml > counter.yaml   # a file record takes back
    """
    from tracker.db.engine import redact
    from tracker.model.events import apply

    out = Output(output, force, no_pager)
    store = app(ctx).store()
    neg = store.negotiation(negotiation)
    loaded = store.read(ref, neg.id)
    store.check_draft(loaded.record)  # what is shown as a recorded draft still matches its hashes
    record = loaded.record
    if fmt == "yaml":  # the draft as recorded, nothing learnt since
        out.render("draft", fmt, neg, record, loaded.draft)
        return
    history = store.history(neg.id)
    # A corrected draft is shown as recorded, with what was recorded about it.
    corrected = any(e.kind == "correct" and e.body.draft == record.id for e in history.events)
    applied = apply(history.negotiation, history.records, history.events, corrected=corrected)
    events = [e for e in applied.events if getattr(e.body, "draft", None) == record.id or getattr(e.body, "by", None) == record.id]
    draft = loaded.draft.model_copy(update={"terms": {k: applied.term(record.id, k, t) for k, t in loaded.draft.terms.items()}})
    carried = _carried(store, neg, record, history, corrected=corrected) if record.header.coverage == "partial" else {}
    out.render("draft", fmt, neg, record, draft, carried=carried, events=events, quotes=quotes,
               seqs={r.id: r.seq for r in history.records}, database=redact(store.url))


def _carried(store, negotiation, record, history, *, corrected: bool = False):  # type: ignore[no-untyped-def]
    """What a partial draft carries over from its parents, unconfirmed: key → (term, origin)."""
    from tracker.history.reading import load

    view = load(store, negotiation, corrected=corrected, recorded=history)
    return {k: (view.value(s), s.origin) for k, s in view.carried_over(record.id).items()}


@click.command("parties")
@negotiation_option
@output_options("parties")
@click.pass_context
def parties_command(ctx: click.Context, negotiation: str | None, fmt: str, output: Path | None, force: bool, no_pager: bool) -> None:
    """List the parties of a negotiation, with their aliases.

    \b
    Examples:
      tracker parties
      tracker parties --format json
    """
    out = Output(output, force, no_pager)
    out.render("parties", fmt, app(ctx).store().negotiation(negotiation))
