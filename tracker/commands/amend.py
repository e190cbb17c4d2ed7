"""`tracker status`, `cite` and `correct`: what is learnt after a draft was recorded.

Each appends an event to the negotiation's history (``tracker.model.events``); no recorded draft
changes, and `log` lists the events beside the drafts.
"""

from __future__ import annotations

import click

from tracker.commands.options import app, negotiation_option, wrote_to
from tracker.commands.record import _carried_over, edit_options


def _wrote(ctx: click.Context, event, what: str) -> None:  # type: ignore[no-untyped-def]
    click.echo(f"Recorded {event.ref}: {what} (by {event.recorded_by})")


@click.command("status")
@click.argument("ref", metavar="REF")
@click.argument("status", metavar="STATUS")
@click.option("--date", "date_", required=True, metavar="YYYY-MM-DD", help="From when the draft has this status.")
@click.option("--source", "sources", multiple=True, metavar="SOURCE", help="A source id, or a mapping '{id: x, outlet: …}', saying so. Repeatable.")
@click.option("--note", help="What happened, in a few words.")
@negotiation_option
@click.pass_context
def status_command(ctx: click.Context, ref: str, status: str, date_: str, sources: tuple[str, ...], note: str | None, negotiation: str | None) -> None:
    """Record that draft REF has STATUS from --date on: rejected, withdrawn, superseded, agreed, signed, …

    \b
    A withdrawn draft stops being its tabler's position from then on; a rejected one is still
    what its tabler proposed. The draft itself is not changed.
      tracker status us-initial rejected --date 2025-02-15 --source kyiv-independent
    """
    from tracker.input.amending import status_change

    store = app(ctx).store()
    history = store.history(negotiation)
    record, body = status_change(history, ref, status, date_, sources, note)
    event, _ = store.record_event(history.negotiation.id, body, draft=record)
    _wrote(ctx, event, f"{record.id} (v{record.seq}) {body.status} from {body.date.isoformat()}")
    wrote_to(ctx)


@click.command("cite")
@click.argument("ref", metavar="REF")
@click.argument("key", metavar="TERM")
@click.option("--source", required=True, metavar="SOURCE", help="A source id, or a mapping '{id: x, outlet: Reuters, date: 2025-03-01, url: …}'.")
@click.option("--quote", help="The source's words, verbatim.")
@click.option("--confidence", metavar="LEVEL", help="How sure the sources now are: confirmed or reported.")
@click.option("--value", metavar="VALUE", help="The value this source reports, where it differs from the draft's: the term becomes disputed, both accounts kept.")
@click.option("--note", help="A note on the evidence.")
@negotiation_option
@click.pass_context
def cite_command(ctx: click.Context, ref: str, key: str, source: str, quote: str | None, confidence: str | None, value: str | None,
                 note: str | None, negotiation: str | None) -> None:
    """Record new evidence for TERM of draft REF: a source, a quote, a confidence.

    \b
    A report of another value makes the term disputed; both accounts are kept.
      tracker cite us-initial revenue_share --source reuters-0214 --quote "50% of revenues"
      tracker cite us-initial compensation_amount --source ft-0216 --value '$400B'
    """
    from tracker.input.amending import evidence

    store = app(ctx).store()
    history = store.history(negotiation)
    record, body = evidence(store, history, ref, key, source=source, quote=quote, confidence=confidence, value=value, note=note)
    event, _ = store.record_event(history.negotiation.id, body, draft=record)
    said = "reports another value, now disputed" if body.value is not None else f"cites {body.source.id}"
    _wrote(ctx, event, f"{record.id} (v{record.seq}) {key} {said}")
    wrote_to(ctx)


@click.command("correct")
@click.argument("ref", metavar="REF")
@click.option("--id", "draft_id", metavar="ID", help="Id of the corrected draft (default: REF's id + '-corrected').")
@edit_options(correcting=True)
@click.option("--note", help="What was wrong (kept with the correction).")
@negotiation_option
@click.pass_context
def correct_command(ctx: click.Context, ref: str, negotiation: str | None, note: str | None, **opts) -> None:  # type: ignore[no-untyped-def]
    """Record a corrected version of draft REF, recorded with a mistake.

    \b
    The correction takes REF's place: its parents, date and tablers unless given, its terms with
    these edits. REF stays in the history, marked corrected; diffs, positions and reports read
    the correction (`--corrected` shows REF as recorded).
      tracker correct counter --set price='$6.5M' --note "typo: 6.5, not 5.6"
    """
    from tracker.input.amending import correction, holding_the_mistake
    from tracker.input.pending import Pending
    from tracker.input.recording import DraftEdits

    store = app(ctx).store()
    history = store.history(negotiation)
    neg = history.negotiation
    edits = DraftEdits(
        draft_id=opts["draft_id"], tabled_by=list(opts["tabled_by"]), date=opts["date_"], title=opts["title"], status=opts["status"],
        coverage=opts["coverage"], notes=opts["notes"], sets=list(opts["sets"]), drops=list(opts["drops"]), renames=list(opts["renames"]),
        sources=list(opts["sources"]), quotes=list(opts["quotes"]), pushed=list(opts["pushed"]), confidences=list(opts["confidences"]),
    )
    wrong, draft, body = correction(store, history, ref, edits, note, _carried_over(store, neg))
    event, recorded = store.record_event(neg.id, body, draft=wrong, correction=Pending(draft))
    assert recorded is not None
    _wrote(ctx, event, f"{wrong.id} (v{wrong.seq}) corrected by {draft.id}, recorded as v{recorded.record.seq} ({recorded.record.hash[:19]}…)")
    for child, keys in holding_the_mistake(store, history, wrong, draft):
        click.echo(f"Note: {child.id} (v{child.seq}) holds {', '.join(keys)} as {wrong.id} had it; if that was the same mistake,"
                   f" correct it too (`tracker correct {child.id} …`)", err=True)
    wrote_to(ctx)
